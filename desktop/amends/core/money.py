"""Amounts of money as integers in the currency's smallest unit (cents),
so that sums are exact; the currency says how many decimals it has."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

#: Currencies without minor units (Stripe's list of zero-decimal currencies).
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND",
                          "VUV", "XAF", "XOF", "XPF"})


def exponent(currency: str | None) -> int:
    return 0 if (currency or "").upper() in ZERO_DECIMAL else 2


def to_minor(text: str, currency: str | None) -> int:
    """'29.00' (or '29,00', '1,234.50', '$29') in ``currency`` → 2900.
    ValueError when it is not an amount."""
    value = text.strip().lstrip("$€£¥").replace(" ", "").replace("\u00a0", "")
    if "," in value and "." in value:
        value = value.replace(",", "")          # 1,234.50
    elif "," in value:
        value = value.replace(",", ".")         # 29,00
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError(f"{text!r} is not an amount of money")
    return int((amount * (10 ** exponent(currency))).to_integral_value())


def from_minor(minor: float, currency: str | None) -> float:
    """2900 → 29.0 (for JSON and display)."""
    return round(minor / (10 ** exponent(currency)), exponent(currency))


def label(minor: float, currency: str | None) -> str:
    """'29.00 USD'."""
    places = exponent(currency)
    return f"{minor / 10 ** places:,.{places}f} {currency or ''}".strip()
