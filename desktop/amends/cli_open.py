"""How the ``amends`` commands reach their database and print JSON: the
file or server ``--db`` / $AMENDS_DB names (the user data folder made on
first use), refused with how to make one when it is missing or empty; the
write-lock wait from $AMENDS_LOCK_WAIT_SECONDS; JSON with no NaN in it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from amends import paths
from amends import settings_schema as schema
from amends.core import identity
from amends.core.errors import DatabaseProblem, ValidationError
from amends.core.store import Database
from amends.core.workspace import open_database

T = TypeVar("T")


def database_path(args: argparse.Namespace) -> Path:
    return Path(args.db).expanduser() if args.db else paths.default_database()


def uses_default(args: argparse.Namespace) -> bool:
    return not args.db and not schema.environment(schema.AMENDS_DB)


def ensure_default_folder(args: argparse.Namespace) -> None:
    """The user data folder is the app's own: made on first use by every
    command, so that a new user's first ``amends demo`` (or ``stats``) is not
    told to create it."""
    if not uses_default(args):
        return
    folder = paths.data_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseProblem(f"Cannot create the data folder {folder}: {error.strerror}.", path=str(folder),
                              hint="Choose another location with --db.") from error


def refuse_missing_or_empty(args: argparse.Namespace, path: Path) -> None:
    """A command that reads (stats, check, search …) on a file that is not
    there yet, or is empty, says so and how to make one: an empty file is
    not "missing", and the message names the commands that fill it."""
    where = "" if uses_default(args) else f"--db {path} "
    how = (f"Create one with 'amends {where}demo --tickets 100' (sample data) or 'amends {where}import FILE', "
           "or start the app.")
    if path.is_file() and path.stat().st_size == 0:  # stat, not open: see the POSIX lock trap in DESIGN.md
        raise DatabaseProblem(f"{path} is an empty file (0 bytes), not an Amends database yet.", path=str(path),
                              hint=how)
    if not path.exists() and path.parent.is_dir():
        first = "No database yet: " if uses_default(args) else ""
        raise DatabaseProblem(f"{first}{path} does not exist.", path=str(path), hint=how)


def server_url(args: argparse.Namespace) -> str | None:
    """``--db`` / AMENDS_DB naming a PostgreSQL server (issue 19), else None."""
    from amends.core.store.location import is_server_url

    target = args.db or schema.environment(schema.AMENDS_DB) or ""
    return target if is_server_url(target) else None


def open_db(args: argparse.Namespace, *, create: bool = False, actor: str | None = None) -> Database:
    """The command's database, open; the caller closes it."""
    url = server_url(args)
    if url is None and not create:
        refuse_missing_or_empty(args, database_path(args))
    db = open_database(url or database_path(args), actor or identity.current_actor(), create=create)
    wait = os.environ.get("AMENDS_LOCK_WAIT_SECONDS")
    if wait:
        try:
            seconds = float(wait)
        except ValueError:
            seconds = math.nan
        if not 0 <= seconds <= 86_400:  # NaN too: it compares false
            db.close()
            raise ValidationError([("AMENDS_LOCK_WAIT_SECONDS", f"{wait[:40]!r} is not a number of seconds "
                                                                "from 0 to 86400")])
        db.write_wait_seconds = seconds
    return db


def with_db(args: argparse.Namespace, work: Callable[[Database], T], *, create: bool = False,
            actor: str | None = None) -> T:
    """Open the database, run ``work(db)``, always close it."""
    db = open_db(args, create=create, actor=actor)
    try:
        return work(db)
    finally:
        db.close()


def strict_json(data: object) -> object:
    """``data`` with every non-finite number as null: JSON has no NaN or
    Infinity, and a database written before imports refused them may still
    hold one. Everything the CLI prints as JSON goes through this."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: strict_json(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [strict_json(value) for value in data]
    return data


def strict_dumps(data: object, **options: Any) -> str:
    """JSON text with no NaN or Infinity. The common case is checked by
    ``allow_nan=False`` itself; only a document that holds one is copied."""
    try:
        return json.dumps(data, allow_nan=False, **options)
    except ValueError:  # "Out of range float values are not JSON compliant"
        return json.dumps(strict_json(data), allow_nan=False, **options)


def print_json(data: object) -> None:
    print(strict_dumps(data, indent=2, ensure_ascii=False))
