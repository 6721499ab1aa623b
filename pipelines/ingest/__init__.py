"""Ingest: landing files to contract-checked bronze and quarantine."""
