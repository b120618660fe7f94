"""Small statistics, so that small samples look small."""

from __future__ import annotations

import math
from statistics import median

from amends.core.insights.records import ChurnRate


def wilson(successes: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """The 95 % Wilson score interval for a proportion (sensible at 0, 1 and
    for small samples, unlike the normal approximation)."""
    if total <= 0:
        return (0.0, 1.0)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    spread = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - spread), min(1.0, centre + spread))


def rate(successes: int, total: int) -> ChurnRate:
    low, high = wilson(successes, total)
    return ChurnRate(total, successes, successes / total if total else 0.0, (round(low, 4), round(high, 4)))


def per_thousand(count: int, population: int) -> float:
    return 1000.0 * count / population if population else 0.0


__all__ = ["median", "per_thousand", "rate", "wilson"]
