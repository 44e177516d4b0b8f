"""Benchmarks and the synthetic-county generator they and the tests share."""
