"""Reusable widgets of the terminal client (each with its own DEFAULT_CSS)."""
