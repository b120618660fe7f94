"""The entry point tells a plain launch of the app from a command (issue 16,
START): a launch skips building the commands' parser, anything else goes to
cli.py, which accepts or refuses it exactly as before."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from amends.launch import NOT_A_LAUNCH, app_target


@pytest.mark.parametrize(("argv", "target"), [
    ([], None),
    (["--db", "a.db"], "a.db"),
    (["--db=a.db"], "a.db"),
    (["--db", "a.db", "--db", "b.db"], "b.db"),  # the last one wins, as in argparse
    (["--db", "postgresql://me@host/amends"], "postgresql://me@host/amends"),
])
def test_a_plain_launch_names_its_target(argv, target):
    assert app_target(argv) == target


@pytest.mark.parametrize("argv", [
    ["stats"], ["--db", "a.db", "stats"], ["--version"], ["--help"], ["-h"], ["--db"], ["--db", "--version"],
    ["--db="], ["--db", ""], ["--d", "a.db"], ["a.db"], ["--db", "a.db", "--bogus"],
])
def test_anything_else_is_left_to_the_command_parser(argv):
    assert app_target(argv) is NOT_A_LAUNCH


def _amends(*args: str, home) -> subprocess.CompletedProcess:
    env = {**os.environ, "AMENDS_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([sys.executable, "-m", "amends", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_commands_and_refusals_still_reach_the_command_parser(tmp_path):
    assert _amends("--version", home=tmp_path).stdout.startswith("amends ")
    bogus = _amends("--db", str(tmp_path / "a.db"), "--bogus", home=tmp_path)
    assert bogus.returncode == 2 and "unrecognized arguments" in bogus.stderr
    missing = _amends("--db", str(tmp_path / "none.db"), "stats", home=tmp_path)
    assert missing.returncode == 1 and missing.stderr.startswith("amends: ")


def test_a_launch_that_fails_says_it_in_one_line(tmp_path):
    """The app refused a file: one line and status 1, as cli.py said it."""
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database" * 100)
    env_probe = {"AMENDS_STARTUP_PROBE": "1"}
    env = {**os.environ, "AMENDS_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen", **env_probe}
    result = subprocess.run([sys.executable, "-m", "amends", "--db", str(broken)], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 1 and result.stderr.startswith("amends: "), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
