"""The on-sale rush benchmark (python -m tools.bench.onsale) and its helpers."""
