"""Benchmarks and comparisons. They call the packages; nothing in the packages calls them."""
