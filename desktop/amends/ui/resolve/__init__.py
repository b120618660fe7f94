"""Resolving tickets through the recovery checklist."""
