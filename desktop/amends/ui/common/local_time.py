"""Stored times (UTC text) as the person reads them: in their own time zone,
with the zone said where there is room for it (tooltips, the conversation).

Snooze presets are local already; showing UTC without saying so made
"tomorrow 09:00" look like 08:00. Files written for others (exports, the
exchange format) keep ISO 8601 with its zone (``Z``), unchanged.
"""

from __future__ import annotations

from datetime import datetime

from amends.core import clock


def _local(iso: str) -> datetime | None:
    try:
        return clock.parse_iso(iso).astimezone()
    except (ValueError, TypeError):
        return None


def short(iso: str | None) -> str:
    """``2026-12-01 10:05`` in local time (the list's cells). Formatted by
    hand: strftime imports ``time`` on every call, and with PySide's import
    hook that was a third of a painted page's formatting (issue 16)."""
    moment = _local(iso or "")
    if moment is None:
        return iso or ""
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def stamp(iso: str) -> str:
    """``2026-12-01 10:05 CET``: a message's time with its zone's short name
    (the conversation; the list shows the full zone on hover)."""
    moment = _local(iso)
    if moment is None:
        return iso
    return f"{short(iso)} {moment.tzname() or ''}"


def day_and_time(iso: str) -> str:
    """``Tue 2026-12-01 10:05``: a time still to come (snoozed until), with its weekday."""
    moment = _local(iso)
    return moment.strftime("%a %Y-%m-%d %H:%M") if moment else iso


def zone(moment: datetime) -> str:
    offset = moment.strftime("%z")
    name = moment.tzname() or ""
    label = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    return f"{name} ({label})" if name and name not in ("UTC", label) else label


def with_zone(iso: str | None) -> str:
    """``2026-12-01 10:05:33 CET (UTC+01:00)``: the time and the zone it is in."""
    moment = _local(iso or "")
    return f"{moment.strftime('%Y-%m-%d %H:%M:%S')} {zone(moment)}" if moment else (iso or "")


def duration(seconds: float) -> str:
    """A wait as people say it: ``45 min``, ``3 h 20 min``, ``2 d 4 h``."""
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours and days < 2 else f"{days} d"  # "527 d": the hours no longer matter
