"""Where Amends keeps its files, per platform (platformdirs).

``AMENDS_HOME`` moves all of them under one folder: the tests use it so they
never touch the real user's data.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from amends import settings_schema as schema

APP = "Amends"


def private_umask() -> None:
    """From now on this process creates files readable by the user only
    (0600, folders 0700): the database, backups, exports, reports and logs
    all hold customer data. Called first thing by the app and the CLI; the
    core also sets these modes itself where it creates files."""
    if os.name == "posix":
        os.umask(0o077)


def _home() -> Path | None:
    value = schema.environment(schema.AMENDS_HOME)
    return Path(value) if value else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP, appauthor=False))


def config_dir() -> Path:
    home = _home()
    return home / "config" if home else Path(platformdirs.user_config_dir(APP, appauthor=False))


def log_dir() -> Path:
    home = _home()
    return home / "log" if home else Path(platformdirs.user_log_dir(APP, appauthor=False))


def default_database() -> Path:
    """``AMENDS_DB`` if set, else ``amends.db`` in the user data dir."""
    env = schema.environment(schema.AMENDS_DB)
    return Path(env).expanduser() if env else data_dir() / "amends.db"


def resources_dir() -> Path:
    """The package's own resources folder (icons, desktop files), read through
    importlib.resources so the same call works from a checkout, an installed
    wheel and a one-folder bundle: resources are package data, never files
    beside the source tree. A package on the file system (every case but a
    zip) is read beside this module without importing importlib.resources
    and its zip support: that was a part of every start (issue 16)."""
    here = Path(__file__).resolve().parent / "resources"
    if here.is_dir():
        return here
    import importlib.resources

    return Path(str(importlib.resources.files("amends") / "resources"))
