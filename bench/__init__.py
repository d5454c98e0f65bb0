"""Benchmarks for the Kent Locality Explorer: `python -m bench.run` prints the figures (see bench/README.md)."""
