"""Benchmarks, run by hand (`python -m bench.broadcast --help`); pytest never collects them."""
