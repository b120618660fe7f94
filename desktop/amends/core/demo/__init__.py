"""Deterministic, realistic demo data (``amends demo``, the first-run offer)."""

from amends.core.demo.generator import Cancelled, DemoSummary, generate

__all__ = ["Cancelled", "DemoSummary", "generate"]
