"""Checks that keep the code as it is now: the installed package is
``amends`` (and nothing called ``desktop`` leaks into the environment), the
core type-checks with mypy, and ruff finds nothing with the project's rules.

They run as real processes with the venv's own interpreter, so ``.ci/run``
(the README's test line, verbatim) fails when mypy or ruff would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A neutral environment: no PYTHONPATH that could make the source tree
    # importable by accident and hide a packaging mistake.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONSTARTUP")}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_only_amends_is_importable_from_a_neutral_folder(tmp_path: Path) -> None:
    result = run(sys.executable, "-c",
                 "import importlib.util, amends, amends.core, amends.cli\n"
                 "print(amends.__file__)\n"
                 "print(importlib.util.find_spec('desktop'))", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    package_file, desktop_spec = result.stdout.splitlines()
    assert Path(package_file).parent.name == "amends"
    assert desktop_spec == "None", f"a package named 'desktop' is importable: {desktop_spec}"


def test_version_from_the_command_and_from_python_m(tmp_path: Path) -> None:
    from amends import __version__

    script = Path(sys.executable).with_name("amends")
    assert script.exists(), f"the 'amends' command is not installed next to {sys.executable}"
    for command in ([str(script), "--version"], [sys.executable, "-m", "amends", "--version"]):
        result = run(*command, cwd=tmp_path)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.strip() == f"amends {__version__}", command


def test_mypy_finds_no_error_in_the_core(tmp_path: Path) -> None:
    """The settings (files, strict modules) are in pyproject.toml's [tool.mypy]."""
    result = run(sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "mypy-cache"),
                 "desktop/amends/core", cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_finds_nothing_with_the_project_rules() -> None:
    """The rule set is pyproject.toml's [tool.ruff.lint]."""
    result = run(sys.executable, "-m", "ruff", "check", "--no-cache", "desktop", "tests", "benchmarks", "scripts",
                 cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
