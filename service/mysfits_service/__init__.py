"""Mythical Mysfits API service (deployed on its own; independent of the notebook library)."""

__version__ = "1.0.0"
