"""CoopNet: secure consultations between central authorities over a closed Matrix federation."""

__version__ = "0.1.0"
