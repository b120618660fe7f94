"""QSettings through the declared schema (amends/settings_schema.py): the
only module that names QSettings. A key, its type and its default are
written once, in the schema; callers pass the Setting and its placeholders
(``db=path``), never a key string."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

from amends.settings_schema import QSETTINGS, Setting


def _check(setting: Setting) -> None:
    if setting.where != QSETTINGS:
        raise ValueError(f"{setting.name} is not kept in QSettings ({setting.where})")


def get(setting: Setting, **parts: Any) -> Any:
    """The stored value as the declared type, or the default. ``bytes``
    settings (saved window and splitter states) come back as Qt stored them."""
    _check(setting)
    key = setting.key(**parts)
    if setting.type is bytes:
        return QSettings().value(key)
    return QSettings().value(key, setting.default, type=setting.type)


def put(setting: Setting, value: Any, **parts: Any) -> None:
    _check(setting)
    QSettings().setValue(setting.key(**parts), value)
