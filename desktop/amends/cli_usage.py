"""The command line's one error of its own: bad arguments (exit status 2).

In a module of its own so that the command modules (cli_move, …) can raise
it without importing cli.py, which imports them: no import circle."""

from __future__ import annotations


class UsageError(Exception):
    """Bad command-line arguments (exit status 2)."""
