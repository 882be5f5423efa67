"""Finding, downloading, reading and caching the Home Office files: raw files -> tidy table."""
