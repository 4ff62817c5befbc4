"""Page image processing for digitised paper records (crop, deskew, clean, QC metrics, derivatives)."""
