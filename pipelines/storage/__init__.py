"""Storage of record (Delta Lake) and the analysts' DuckDB catalog over it."""
