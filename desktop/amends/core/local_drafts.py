"""Drafts kept on this computer while the database server is away (issue 19
point 6): nothing typed is lost when the connection drops.

Drafts normally live in the database (core/drafts.py), so they follow the
person to another computer. When a save finds the server gone
(:class:`ConnectionLost`), the text goes to a private file instead, one per
database, person, ticket and kind under the user data folder; the ticket
shows it when opened again, and once the server answers, every such file is
written into the database and removed. The file is newer than anything the
database holds for that draft, so it wins.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

from amends import paths
from amends.core import drafts
from amends.core.errors import AmendsError, ConnectionLost
from amends.core.store import Database, snapshot

log = logging.getLogger(__name__)


def folder_for(db: Database, base: Path | None = None) -> Path:
    """Where this database's and this person's local drafts go (not created)."""
    where = str(getattr(db, "url", "") or db.path)
    key = hashlib.sha256(f"{where}\n{db.actor}".encode()).hexdigest()[:16]
    return (base or paths.data_dir() / "drafts") / key


def _file(db: Database, ticket_id: int, kind: str, base: Path | None) -> Path:
    return folder_for(db, base) / f"{int(ticket_id)}-{kind}.json"


def keep(db: Database, ticket_id: int, kind: str, body: str, base: Path | None = None) -> Path:
    """Write the draft to this computer (0600, in a 0700 folder), replacing the last one."""
    if kind not in drafts.KINDS:
        raise ValueError(kind)
    folder = snapshot.private_folder(folder_for(db, base))
    target = _file(db, ticket_id, kind, base)
    partial = target.with_suffix(".part")
    partial.write_text(json.dumps({"ticket_id": int(ticket_id), "kind": kind, "body": body}), encoding="utf-8")
    os.chmod(partial, 0o600)
    partial.replace(target)  # whole or not at all
    log.info("draft of ticket %s kept on this computer in %s (the server is away)", ticket_id, folder)
    return target


def load(db: Database, ticket_id: int, kind: str, base: Path | None = None) -> str | None:
    target = _file(db, ticket_id, kind, base)
    try:
        return str(json.loads(target.read_text(encoding="utf-8"))["body"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        log.warning("local draft %s not readable: %s", target, error)
        return None


def discard(db: Database, ticket_id: int, kind: str, base: Path | None = None) -> None:
    _file(db, ticket_id, kind, base).unlink(missing_ok=True)


def save(db: Database, ticket_id: int, kind: str, body: str, base: Path | None = None) -> str:
    """Save the draft in the database; when the server is away, on this
    computer. Returns where it went: 'database' or 'local'."""
    try:
        drafts.save(db, ticket_id, kind, body)
    except ConnectionLost:
        keep(db, ticket_id, kind, body, base)
        return "local"
    discard(db, ticket_id, kind, base)
    return "database"


def load_any(db: Database, ticket_id: int, kind: str, base: Path | None = None) -> str | None:
    """The newest draft: the one kept here (written while the server was away), else the database's."""
    here = load(db, ticket_id, kind, base)
    if here is not None:
        return here
    return drafts.load(db, ticket_id, kind)


def save_checklist(db: Database, ticket_id: int, state: dict[str, Any], base: Path | None = None) -> str:
    """An unfinished checklist, as :func:`save` keeps a reply."""
    return save(db, ticket_id, "checklist", json.dumps(state, sort_keys=True), base)


def load_checklist(db: Database, ticket_id: int, base: Path | None = None) -> dict[str, Any] | None:
    return drafts.parse_checklist(load_any(db, ticket_id, "checklist", base))


def push(db: Database, base: Path | None = None) -> int:
    """Once the server answers: every draft kept here goes into the database
    and its file is removed. Returns how many; stops (keeping the rest) if the
    server goes away again."""
    folder = folder_for(db, base)
    if not folder.is_dir():
        return 0
    moved = 0
    for target in sorted(folder.glob("*.json")):
        try:
            found = json.loads(target.read_text(encoding="utf-8"))
            drafts.save(db, int(found["ticket_id"]), str(found["kind"]), str(found["body"]))
        except ConnectionLost:
            return moved
        except (OSError, ValueError, KeyError, TypeError, AmendsError, sqlite3.DatabaseError) as error:
            log.warning("local draft %s not moved to the database (kept): %s", target, error)
            continue
        target.unlink(missing_ok=True)
        moved += 1
    return moved
