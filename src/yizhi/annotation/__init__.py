"""Annotation service (数据标注服务): projects on dataset versions, a distributed queue with locks,
overlap and qualification, agreement, review and adjudication, export as a new version; reader
studies (human–AI collaboration, 人机协同) with multi-reader multi-case analysis."""
