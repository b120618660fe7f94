"""Deterministic, realistic demo data (``amends demo``, the first-run offer)."""

from desktop.core.demo.generator import Cancelled, DemoSummary, generate

__all__ = ["Cancelled", "DemoSummary", "generate"]
