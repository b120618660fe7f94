"""Every ``amends`` command's ``--help`` stays as it was written (issue 16,
SPLIT: cli.py was split into one module per command group; the help a
person reads must not change by the move).

The golden file holds the output of ``amends [COMMAND [ACTION]] --help`` for
every command and action the parser has, at 100 columns. A change to an
option's help is a change of this file too: regenerate it with
``python -m tests.cli.test_cli_help > tests/cli/golden/help.txt`` and read
the diff before committing it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("golden") / "help.txt"
COLUMNS = "100"


def _commands(parser: argparse.ArgumentParser, prefix: list[str]) -> Iterator[list[str]]:
    """The words of every command and action under ``parser``, depth first, in the parser's order."""
    yield prefix
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, [*prefix, name])


def every_help() -> str:
    """``amends … --help`` of each command, as ``main`` prints it, one after another."""
    from amends import cli

    shown = []
    for words in _commands(cli.build_parser(), []):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as stop:
            cli.main([*words, "--help"])
        assert stop.value.code == 0, words
        shown.append(f"$ amends {' '.join([*words, '--help'])}\n{out.getvalue()}")
    return "\n".join(shown)


def test_every_commands_help_is_as_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", COLUMNS)
    now = every_help()
    golden = GOLDEN.read_text(encoding="utf-8")
    assert now == golden, ("an `amends --help` changed; if on purpose, regenerate "
                           "tests/cli/golden/help.txt (see this module's docstring) and read the diff")


if __name__ == "__main__":
    os.environ["COLUMNS"] = COLUMNS
    sys.stdout.write(every_help())
