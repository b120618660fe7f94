"""Who is writing a temporary file: this host's name and whether a process
still runs. Exports (output_files.py) and backups (store/snapshot.py) both
name their partial files "<host>.<pid>" so the next write can tell a killed
writer's debris from a copy being made right now; one definition keeps the
two sweeps agreeing."""

from __future__ import annotations

import os


def host_tag() -> str:
    """This machine's name, safe in a file name and free of dots (the
    separator in the partial files' names)."""
    return "".join(c if c.isalnum() else "_" for c in host_name()) or "host"


def host_name() -> str:
    """This computer's name: on POSIX what gethostname() answers (uname's
    node name), without importing the socket module, which opening a file
    and every first start did only for this (issue 16); elsewhere from socket."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def process_alive(pid: int) -> bool | None:
    """Whether process ``pid`` on this host still runs; None where the
    platform cannot tell without harm (Windows: os.kill would end it)."""
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: someone else's process; anything else: cannot tell, keep its file
        return True
    return True
