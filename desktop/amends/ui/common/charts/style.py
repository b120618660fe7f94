"""Chart colours and fonts taken from a palette, so charts follow light and
dark mode (QtCharts drew them white in dark mode). A series colour is a
role name ("series0", "flag", "ok"); each role has a light and a dark
shade, chosen to read on the palette's base colour."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette

#: role → (on a light background, on a dark background)
ROLES: dict[str, tuple[str, str]] = {
    "series0": ("#2f6f5e", "#6cc2a8"),
    "series1": ("#3b6bb3", "#8ab4f8"),
    "series2": ("#b36b00", "#f0b060"),
    "series3": ("#7b4fa6", "#c4a0ec"),
    "series4": ("#2a8a9e", "#7fd3e3"),
    "series5": ("#8a5a44", "#d7a58c"),
    "series6": ("#5a6e1f", "#b5cf6b"),
    "series7": ("#a3456e", "#f29bc2"),
    "flag": ("#c0392b", "#ff8a7a"),
    "ok": ("#2f6f5e", "#6cc2a8"),
}
SERIES_ROLES = tuple(r for r in ROLES if r.startswith("series"))


@dataclass
class ChartStyle:
    """Everything a painter needs besides the chart: colours and the font."""

    background: QColor
    text: QColor
    muted: QColor
    grid: QColor
    axis: QColor
    dark: bool
    font: QFont = field(default_factory=QFont)

    @classmethod
    def from_palette(cls, palette: QPalette, font: QFont | None = None) -> ChartStyle:
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        dark = base.lightness() < 128
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        grid = QColor(text)
        grid.setAlphaF(0.15)
        axis = QColor(text)
        axis.setAlphaF(0.6)
        return cls(base, text, muted, grid, axis, dark, QFont(font) if font is not None else QFont())

    @classmethod
    def light(cls, font: QFont | None = None) -> ChartStyle:
        """For paper: dark text on white, whatever the screen's scheme."""
        return cls(QColor("#ffffff"), QColor("#222222"), QColor("#666666"), QColor(0, 0, 0, 38),
                   QColor(0, 0, 0, 150), False, QFont(font) if font is not None else QFont())

    @classmethod
    def current(cls) -> ChartStyle:
        return cls.from_palette(QGuiApplication.palette(), QGuiApplication.font())

    def colour(self, role: str) -> QColor:
        light, dark = ROLES.get(role, ROLES["series0"])
        return QColor(dark if self.dark else light)
