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


def poisson_at_least(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean): the one-sided p-value of seeing
    ``k`` or more events where ``mean`` were expected. Computed as the
    regularised lower incomplete gamma function P(k, mean), so that it is
    exact and quick for counts in the millions as for 3."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    return _lower_gamma(float(k), float(mean))


def _lower_gamma(a: float, x: float) -> float:
    """Regularised P(a, x): the series below a + 1, else 1 - the continued
    fraction of Q (Numerical Recipes, 6.2), to about 1e-12."""
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:
        term = total = 1.0 / a
        n = a
        for _ in range(100_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * 1e-14:
                break
        return min(1.0, total * math.exp(log_front))
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < 1e-14:
            break
    return max(0.0, 1.0 - math.exp(log_front) * h)


def binomial_at_least(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), as the regularised incomplete beta
    function I_p(k, n - k + 1): exact for any n."""
    if k <= 0:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    return _incomplete_beta(float(k), float(n - k + 1), p)


def _incomplete_beta(a: float, b: float, x: float) -> float:
    """Regularised I_x(a, b) by its continued fraction (Numerical Recipes, 6.4)."""
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x > (a + 1) / (a + b + 2):
        return 1.0 - _incomplete_beta(b, a, 1 - x)
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (tiny if abs(d) < tiny else d)
    h = d
    for m in range(1, 100_000):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (tiny if abs(d) < tiny else d)
            c = 1 + numerator / c
            c = tiny if abs(c) < tiny else c
            h *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return min(1.0, max(0.0, front * h / a))


__all__ = ["binomial_at_least", "median", "per_thousand", "poisson_at_least", "rate", "wilson"]
