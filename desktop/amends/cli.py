"""The ``amends`` command: the app launcher and headless commands over the
same core services as the app.

Every failure a person can cause (bad arguments, a missing or broken file,
a rule broken) ends in one line on stderr and a non-zero exit status, never
a traceback. Exit codes: 0 fine, 1 refused or failed, 2 bad arguments,
130 interrupted, 141 the reader of the output went away (``| head``; quietly,
as for tools that SIGPIPE ends).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from amends import __version__, cli_database, cli_files, cli_relations, cli_tickets, paths
from amends.cli_args import DB_HELP, Command, Parser
from amends.cli_open import database_path, ensure_default_folder, server_url, with_db
from amends.cli_usage import UsageError
from amends.core.errors import AmendsError

log = logging.getLogger("amends.cli")


def _mail_arguments(p: argparse.ArgumentParser) -> None:
    from amends import cli_mail

    cli_mail.add_commands(p, Parser, DB_HELP)


def cmd_mail(args: argparse.Namespace) -> int:
    from amends import cli_mail

    return cli_mail.run(args, lambda work: with_db(args, work))


def _move_parser(sub: argparse._SubParsersAction) -> None:
    from amends import cli_move

    cli_move.add_command(sub)


def cmd_move(args: argparse.Namespace) -> int:
    from amends import cli_move

    return cli_move.run(args)


MAIL = Command("mail", "mailboxes: list them, fetch new mail, test the connections, sign in (OAuth2)",
               _mail_arguments, cmd_mail)
MOVE = Command("move", "", lambda _p: None, cmd_move, own_parser=_move_parser)  # help: cli_move.py

#: Every command, in the order `amends --help` lists them; each group's module
#: (cli_database, cli_tickets, cli_relations, cli_files) holds its commands'
#: options and what runs them.
COMMANDS: dict[str, Command] = {command.name: command for command in (
    cli_database.DEMO, cli_database.STATS, cli_database.CHECK, cli_tickets.SEARCH, cli_relations.INSIGHTS,
    cli_relations.REPLACEMENT_COST, cli_files.IMPORT, cli_files.EXPORT, cli_files.BACKUP, cli_files.RESTORE,
    cli_relations.REPORT, cli_tickets.RESOLVE, cli_relations.RULES, MAIL, MOVE)}


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="amends", description="Amends: support console for subscription businesses. "
                                               "With no command, launches the app.")
    parser.add_argument("--version", action="version", version=f"amends {__version__}")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS.values():
        command.add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths.private_umask()  # everything it writes holds customer data
    try:
        args = build_parser().parse_args(argv)
        if args.command is None:
            from amends.app import run

            url = server_url(args) if args.db else None
            return run(url or (database_path(args) if args.db else None))
        ensure_default_folder(args)
        status = COMMANDS[args.command].run(args)
        sys.stdout.flush()  # here, so that a reader gone away is met inside the try
        return status
    except BaseException as error:  # noqa: BLE001 (failed() re-raises what it does not say)
        return failed(error)


def failed(error: BaseException) -> int:
    """The exit status for ``error``, said in one line on stderr; called in
    the ``except`` clause that caught it (by main, and by launch.py for the
    app). What is not ours to say (SystemExit, …) is raised again."""
    if isinstance(error, BrokenPipeError):
        _silence_stdout()
        return 141
    if isinstance(error, (UsageError, AmendsError)):
        print(f"amends: {error}", file=sys.stderr)
        return 2 if isinstance(error, UsageError) else 1
    if isinstance(error, KeyboardInterrupt):
        print("amends: interrupted", file=sys.stderr)
        return 130
    if isinstance(error, Exception):  # the crash handler: a bug, said in one line, details in the log
        where = _log_crash()
        print(f"amends: internal error ({type(error).__name__}: {error}); details in {where}", file=sys.stderr)
        return 1
    raise error


def _silence_stdout() -> None:
    """The reader of our output left (``amends search … | head``): stop
    quietly. What is still buffered goes to /dev/null, or Python would
    complain about the broken pipe once more at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError) as error:  # no real stdout (embedded, captured): nothing to silence
        log.debug("stdout left as it is after a broken pipe: %s", error)


def _log_crash() -> str:
    from amends.core.store import snapshot

    target = paths.log_dir() / "amends-cli-crash.log"
    try:
        snapshot.private_folder(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # tracebacks quote customer data
        os.chmod(target, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(traceback.format_exc() + "\n")
    except OSError:
        return "(the log folder is not writable)"
    return str(target)


if __name__ == "__main__":
    raise SystemExit(main())
