"""The build pipeline: reads, validates and fetches the sources and writes the database (never imported by the explorer)."""
