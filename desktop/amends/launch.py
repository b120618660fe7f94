"""The ``amends`` entry point: the app itself, or a headless command.

Launching the app (``amends`` or ``amends --db TARGET``) is most of what
people run, and its start is measured to the first painted inbox page
(issue 16). The headless commands' parser (argparse and every command's
options, cli.py and what it imports) is a noticeable part of that start, so
it is built only when the command line is something else: a command,
``--help``, ``--version``, or anything this does not recognise, which
cli.py then accepts or refuses exactly as before.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

#: What :func:`app_target` returns for a command line that is not a plain launch.
NOT_A_LAUNCH = object()


def app_target(argv: Sequence[str]) -> object:
    """``None`` (the default database), the ``--db`` value (a path, or a
    ``postgresql://`` address) when ``argv`` only launches the app, else
    :data:`NOT_A_LAUNCH`. Only the two spellings argparse reads the same
    way are taken here (``--db VALUE``, ``--db=VALUE``; a value starting
    with ``-`` is argparse's to refuse); the last ``--db`` wins, as there."""
    target: str | None = None
    rest = list(argv)
    while rest:
        word = rest.pop(0)
        if word.startswith("--db="):
            value = word[len("--db="):]
        elif word == "--db" and rest and not rest[0].startswith("-"):
            value = rest.pop(0)
        else:
            return NOT_A_LAUNCH
        if not value:  # argparse takes "--db=" as an empty value, cli.py then uses the default
            return NOT_A_LAUNCH
        target = value
    return target


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app, or run the command (cli.main) the arguments name."""
    args = list(sys.argv[1:] if argv is None else argv)
    target = app_target(args)
    if target is NOT_A_LAUNCH:
        from amends.cli import main as command

        return command(args)
    try:  # (app.run sets the private umask first thing, as cli.main does for a command)
        from amends.app import run
        from amends.core.store.location import is_server_url

        assert target is None or isinstance(target, str)
        if target is None or is_server_url(target):
            return run(target)
        return run(Path(target).expanduser())
    except BaseException as error:  # noqa: BLE001 (handed on: cli.py says it in one line, as for a command)
        from amends.cli import failed

        return failed(error)
