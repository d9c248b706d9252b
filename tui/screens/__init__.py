"""Screens of the terminal client, one per file."""
