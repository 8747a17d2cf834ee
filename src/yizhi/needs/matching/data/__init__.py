"""Shipped vocabulary and category examples of the matcher (data files, no code)."""
