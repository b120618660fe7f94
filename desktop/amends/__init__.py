"""Amends: a desktop support console for subscription businesses."""

__version__ = "0.1.0"
