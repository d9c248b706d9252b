"""The consultation core (pure)."""
