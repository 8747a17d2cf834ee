"""De-identification: text (zh/en), DICOM (PS3.15 Annex E) and tabular anonymization."""
