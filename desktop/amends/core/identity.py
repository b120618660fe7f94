"""Who is using Amends on this machine: a display name recorded on every
change. Not a security boundary, just honest attribution.

Stored in a small JSON file in the user's config dir so the app and the CLI
agree; ``AMENDS_ACTOR`` overrides it (handy for scripts and tests).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from amends import paths
from amends import settings_schema as schema
from amends.core.writers import host_name


def default_actor() -> str:
    import getpass  # (and termios, pwd: only on a first start, before a name is chosen)

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "user"
    return f"{user}@{host_name().split('.')[0] or 'localhost'}"


@dataclass
class Identity:
    display_name: str
    role: str = "both"  # service | relations | both


def _file() -> Path:
    return paths.config_dir() / "identity.json"


def load() -> Identity:
    name = schema.environment(schema.AMENDS_ACTOR)
    stored: dict = {}
    try:
        stored = json.loads(_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = {}
    identity = Identity(display_name=str(stored.get("display_name") or default_actor()),
                        role=str(stored.get("role") or "both"))
    if name:
        identity.display_name = name
    return identity


def save(identity: Identity) -> None:
    target = _file()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(asdict(identity), indent=2), encoding="utf-8")


def is_set() -> bool:
    """Whether the person has chosen a name (first run asks otherwise)."""
    return bool(schema.environment(schema.AMENDS_ACTOR)) or _file().exists()


def current_actor() -> str:
    return load().display_name
