"""The consultation bot: one per authority, in every consultation room of that authority."""
