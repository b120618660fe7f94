"""Debian's validators for the Linux desktop files, installed when missing
(as root, quietly, the way tests/mail/conftest.py installs dovecot)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.helpers import one_installer

PACKAGES = {"desktop-file-validate": "desktop-file-utils", "appstreamcli": "appstream"}


def tool(name: str) -> str:
    """The path of ``name``; installs its Debian package first if needed."""
    found = shutil.which(name)
    if found is None and os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        with one_installer():
            found = shutil.which(name)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            install = ["apt-get", "install", "-y", "-qq", PACKAGES[name]]
            if found is None and subprocess.run(install, capture_output=True, env=env).returncode != 0:
                subprocess.run(["apt-get", "update", "-qq"], capture_output=True, env=env)
                subprocess.run(install, capture_output=True, env=env)
            found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} ({PACKAGES[name]}) is not installed and cannot be installed here")
    return found
