"""Is a mail from a machine? Away replies and surveys must never answer
auto-replies, bounces or mailing lists (RFC 3834 section 2), or two robots
mail each other forever. Read from the headers when the mail comes in."""

from __future__ import annotations

import re
from email.message import Message

_NO_REPLY = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply|bounces?)([+@.-]|$)", re.IGNORECASE)


def reason(message: Message, address: str | None) -> str | None:
    """Which header says a machine sent it (None: a person, as far as the
    headers tell)."""
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto and not auto.startswith("no"):
        return f"Auto-Submitted: {auto[:40]}"
    precedence = str(message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in message:
        if name.lower().startswith("list-"):
            return f"{name} (a mailing list)"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(name) is not None:
            return name
    if str(message.get("Return-Path") or "").strip() == "<>":
        return "Return-Path: <> (a delivery report)"
    if address and _NO_REPLY.match(address):
        return f"sender {address}"
    return None
