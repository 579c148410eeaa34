"""The warehouse and what every write carries: atomic DuckDB tables, the ingest log and
quarantine, paths, provenance digests and validation before a write."""
