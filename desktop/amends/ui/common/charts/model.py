"""What a chart shows, as plain frozen dataclasses: no Qt, no SQL.

A :class:`Chart` is the whole description (title, categories along the x
axis, one or more :class:`Series`, the :class:`Unit` of the value axis);
``painter.paint`` draws it into any QPainter (a widget, a picture, a PDF
page), so the screen and the report show the same thing. Why plain data:
the Review builds charts from the insights JSON in one function per figure
and the tests can read back exactly what is drawn.
"""

from __future__ import annotations

import calendar
import math
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["bars", "lines"]


@dataclass(frozen=True)
class Unit:
    """The one unit of a value axis. ``name`` is written on the axis
    ("%", "tickets", "USD"); ``scale`` turns a stored value into a shown one
    (a rate 0.12 is 12 %); ``decimals`` is how many digits a figure gets."""

    name: str
    decimals: int = 0
    scale: float = 1.0
    suffix: str = ""  # written after every figure ("%" sits on the number: "12.5 %")

    def format(self, value: float, decimals: int | None = None) -> str:
        digits = self.decimals if decimals is None else decimals
        text = f"{value * self.scale:,.{digits}f}"
        return f"{text} {self.suffix}" if self.suffix else text


def percent(decimals: int = 1) -> Unit:
    """Rates stored as fractions (0.125), shown as 12.5 %."""
    return Unit("%", decimals, 100.0, "%")


def percent_points(decimals: int = 1) -> Unit:
    """Values already in percent (an offer of 15 % off)."""
    return Unit("%", decimals, 1.0, "%")


def count(name: str = "tickets") -> Unit:
    return Unit(name)


def money(currency: str, decimals: int = 2) -> Unit:
    """Amounts in a currency's major unit; the currency is the unit's name."""
    return Unit(currency, decimals, 1.0, currency)


def month_label(month: str) -> str:
    """'2026-09' → 'Sep 2026' (English month abbreviations, like the rest of the UI)."""
    year, number = month.split("-")[:2]
    return f"{calendar.month_abbr[int(number)]} {year}"


@dataclass(frozen=True)
class Series:
    """One set of values, one per category (None: no value there).
    ``intervals`` (same length, or empty) are drawn as error bars, e.g. 95 %
    Wilson intervals; ``colours`` (same length, or empty) overrides the
    series colour per point (the Review's flagged categories in red) and
    takes its legend from ``Chart.legend``. Colours are palette role names
    of ``style.ChartStyle`` ("series0"…, "flag", "ok"), never RGB, so light
    and dark both work."""

    name: str
    values: tuple[float | None, ...]
    colour: str = ""
    intervals: tuple[tuple[float, float] | None, ...] = ()
    colours: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # NaN or infinity (a value stored before numbers were checked) is no
        # figure: left out, like None, rather than drawn off the chart.
        object.__setattr__(self, "values", tuple(v if v is not None and math.isfinite(v) else None
                                                 for v in self.values))
        object.__setattr__(self, "intervals", tuple(
            iv if iv is not None and all(math.isfinite(x) for x in iv) else None for iv in self.intervals))


@dataclass(frozen=True)
class LegendEntry:
    name: str
    colour: str


@dataclass(frozen=True)
class Chart:
    """A bar chart (grouped when there are several series) or a line chart.
    ``x_title`` names what the categories are ("Category", "Month");
    ``unit`` is the value axis' one unit, written on it. ``legend``: shown
    entries; empty means one per series when there are several."""

    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    unit: Unit
    x_title: str
    kind: Kind = "bars"
    y_title: str = ""
    legend: tuple[LegendEntry, ...] = ()
    value_labels: bool = False  # write each bar's figure above it
    note: str = ""  # shown instead of the plot when there is nothing to draw
    footnote: str = ""  # under the chart: what it leaves out, and why
    meta: dict[str, object] = field(default_factory=dict, compare=False)  # what a click means, for the owner

    def legend_entries(self, colour_of: dict[int, str]) -> tuple[LegendEntry, ...]:
        if self.legend:
            return self.legend
        if len(self.series) < 2:
            return ()
        return tuple(LegendEntry(s.name, colour_of[i]) for i, s in enumerate(self.series))

    def is_empty(self) -> bool:
        return not self.categories or all(v is None for s in self.series for v in s.values)

    def top(self) -> float:
        """The largest figure drawn (interval ends included), in stored units."""
        tops = [v for s in self.series for v in s.values if v is not None]
        tops += [iv[1] for s in self.series for iv in s.intervals if iv is not None]
        return max(tops, default=0.0)
