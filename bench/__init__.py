"""Benchmarks that print timings as ratios to a floor measured in the same run."""
