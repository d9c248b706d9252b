"""Consultation protocol core (no I/O): typed events, validation, fallback text, labels."""
