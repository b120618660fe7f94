"""A keyring backend in a JSON file (the path in $AMENDS_TEST_KEYRING), so
that a refresh token kept by one `amends` process is found by the next, as
with the OS keyring. Selected the way keyring documents it:
PYTHON_KEYRING_BACKEND=tests.mail.file_keyring.FileKeyring."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        """Never chosen by keyring's own detection (it tries every backend
        class it knows): only when named, with its file given."""
        if "AMENDS_TEST_KEYRING" not in os.environ:
            raise RuntimeError("only for the tests that name it")
        return 1

    def __init__(self, path: str | None = None) -> None:
        super().__init__()
        self.path = Path(path or os.environ.get("AMENDS_TEST_KEYRING") or "keyring.json")

    def _all(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._all().get(f"{service}\n{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        found = self._all()
        found[f"{service}\n{username}"] = password
        self.path.write_text(json.dumps(found))

    def delete_password(self, service: str, username: str) -> None:
        found = self._all()
        if found.pop(f"{service}\n{username}", None) is None:
            raise PasswordDeleteError(username)
        self.path.write_text(json.dumps(found))


@contextlib.contextmanager
def file_keyring(path: Path) -> Iterator[FileKeyring]:
    """This process's keyring is a file for a while (the one before comes back
    after): for tests that keep and read secrets in the test process itself."""
    before = keyring.get_keyring()
    backend = FileKeyring(str(path))
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)
