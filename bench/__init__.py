"""Benchmarks (run as modules: `python -m bench.full_case`)."""
