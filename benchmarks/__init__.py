"""Benchmarks of the book: speed and memory comparisons measured side by side."""
