"""Fusion, with indicators that show on a dark palette.

Fusion outlines check boxes and radio buttons in the window colour made
darker: on our dark palette (appearance.DARK_PALETTE) an unchecked box was
1.1:1 against the window — invisible (seen in the reply targets dialog's
Saturday and Sunday). A style sheet for ``::indicator`` would fix the
outline but replaces Fusion's check mark and its states, so this proxy
draws Fusion's indicator and then a visible outline on dark palettes only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPalette, QPen
from PySide6.QtWidgets import QProxyStyle, QStyle, QStyleFactory, QStyleOption, QWidget

_OUTLINED = (QStyle.PrimitiveElement.PE_IndicatorCheckBox, QStyle.PrimitiveElement.PE_IndicatorRadioButton,
             QStyle.PrimitiveElement.PE_IndicatorItemViewItemCheck)


class ReadableFusion(QProxyStyle):
    def __init__(self) -> None:
        super().__init__(QStyleFactory.create("Fusion"))

    def drawPrimitive(self, element: QStyle.PrimitiveElement, option: QStyleOption, painter: QPainter,
                      widget: QWidget | None = None) -> None:
        super().drawPrimitive(element, option, painter, widget)
        palette = option.palette  # type: ignore[attr-defined]
        if element not in _OUTLINED or palette.color(QPalette.ColorRole.Window).lightness() >= 128:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.PlaceholderText), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        box = option.rect.adjusted(1, 1, -1, -1)  # type: ignore[attr-defined]
        if element == QStyle.PrimitiveElement.PE_IndicatorRadioButton:
            painter.drawEllipse(box)
        else:
            painter.drawRoundedRect(box, 1.5, 1.5)
        painter.restore()
