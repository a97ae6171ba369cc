"""Benchmarks: hostile inputs, and kgen against helm template (see README.md)."""
