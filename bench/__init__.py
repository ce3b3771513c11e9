"""Benchmarks (run on demand, never as tests): `python -m bench NAME`; see bench/README.md."""
