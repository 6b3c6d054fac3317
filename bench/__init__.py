"""Benchmarks: data generators and timing scripts (see docs/benchmarks.md)."""
