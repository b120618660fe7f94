"""The plain ints the first paint uses instead of Qt's enums are Qt's own values."""

import pytest
from amends.ui.common import qt_values
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCompleter, QWidget


def test_each_value_is_qts_own():
    roles = Qt.ItemDataRole
    flags = Qt.AlignmentFlag
    expected = {
        "DISPLAY_ROLE": roles.DisplayRole, "DECORATION_ROLE": roles.DecorationRole, "TOOLTIP_ROLE": roles.ToolTipRole,
        "FONT_ROLE": roles.FontRole, "TEXT_ALIGNMENT_ROLE": roles.TextAlignmentRole,
        "BACKGROUND_ROLE": roles.BackgroundRole, "FOREGROUND_ROLE": roles.ForegroundRole,
        "CHECK_STATE_ROLE": roles.CheckStateRole, "ACCESSIBLE_TEXT_ROLE": roles.AccessibleTextRole,
        "USER_ROLE": roles.UserRole,
        "ALIGN_LEFT": flags.AlignLeft, "ALIGN_RIGHT": flags.AlignRight, "ALIGN_H_CENTER": flags.AlignHCenter,
        "ALIGN_V_CENTER": flags.AlignVCenter,
        "CASE_INSENSITIVE": Qt.CaseSensitivity.CaseInsensitive,
        "CUSTOM_CONTEXT_MENU": Qt.ContextMenuPolicy.CustomContextMenu,
        "TOOL_BUTTON_TEXT_BESIDE_ICON": Qt.ToolButtonStyle.ToolButtonTextBesideIcon,
    }
    names = {name for name in vars(qt_values) if name.isupper()}
    assert names == set(expected)
    for name, value in expected.items():
        assert getattr(qt_values, name) == int(value.value), name


def test_an_enum_property_is_set_from_its_int(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    qt_values.set_property(owner, "contextMenuPolicy", qt_values.CUSTOM_CONTEXT_MENU)
    assert owner.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu
    completer = QCompleter(["Abc"], owner)
    qt_values.set_property(completer, "caseSensitivity", qt_values.CASE_INSENSITIVE)
    assert completer.caseSensitivity() == Qt.CaseSensitivity.CaseInsensitive
    with pytest.raises(ValueError):
        qt_values.set_property(completer, "caseSensitivty", 0)
