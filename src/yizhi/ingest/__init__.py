"""Ingest: hospital data in its real formats (FHIR R4, DICOM, CSV/Parquet tables, notes) →
one de-identified dataset version, with one pseudonym and one date shift per patient across them.

    from yizhi.ingest import Source, build_version, load_profile
    result = build_version([Source("labs.csv", path)], out_dir, profile=load_profile(None), key=key)

Pure library: no web layer, no database (the catalog domain stores versions and runs the job).
"""

from yizhi.ingest.pipeline import BuildResult, Source, build_version
from yizhi.ingest.profile import Profile, load_profile

__all__ = ["BuildResult", "Profile", "Source", "build_version", "load_profile"]
