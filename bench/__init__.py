"""The on-sale rush benchmark (bench/onsale.py)."""
