"""Live refresh on a server: every write transaction sends one ``NOTIFY``
when it commits, and :class:`ChangeListener` hears them (issue 19 point 4).

Why not only poll, as on a file: polling ``data_version`` once a second makes
a change visible after half a second on average, and costs every open window
a query a second against a server shared by a whole team. A notification
arrives within milliseconds of the commit and costs nothing while nobody
writes. Polling stays as the fallback (and as a slow safety net), because a
LISTEN connection can be lost like any other.

The payload (JSON, well under PostgreSQL's 8,000-byte limit) says what the
commit changed: the change counter (``amends_changes.n``), the sending
connection's backend pid (a window ignores its own commits), the actor, and
the tables written, so a presence heartbeat does not make every window
re-read its tickets.

The listener owns its own connection and runs in a daemon thread of its own,
never on the UI thread; it reports through two callbacks (a change; listening
or not, and why), which the UI turns into queued Qt signals. Not a
``ui/common/ops`` worker: those are jobs that end, this waits for as long as
the window is open.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from amends.core.store import pg_access

log = logging.getLogger(__name__)

#: The channel every write notifies on (one per database: NOTIFY is per database).
CHANNEL = "amends_changes"
#: PostgreSQL refuses payloads of 8,000 bytes or more: beyond this the tables are left out ("anything").
MAX_PAYLOAD = 7000
#: How long one wait for notifications lasts before the thread looks at its stop flag.
WAIT_SLICE_SECONDS = 0.25


@dataclass(frozen=True)
class Notice:
    """One commit by someone, as its NOTIFY told it."""

    change: int  # amends_changes.n after the commit
    pid: int  # the backend pid of the connection that committed
    actor: str
    #: the tables the transaction wrote, sorted; empty when not known (anything may have changed)
    tables: tuple[str, ...]

    @property
    def only_presence(self) -> bool:
        """A heartbeat: who is where changed, not the data."""
        return self.tables == ("presence",)


def payload(change: int, pid: int, actor: str, tables: Iterable[str]) -> str:
    """The NOTIFY payload of one commit."""
    names = sorted(set(tables))
    text = json.dumps({"n": change, "pid": pid, "actor": actor, "tables": names}, ensure_ascii=False)
    if len(text.encode()) > MAX_PAYLOAD:
        text = json.dumps({"n": change, "pid": pid, "actor": actor[:200], "tables": []}, ensure_ascii=False)
    return text


def parse(text: str) -> Notice:
    """A payload back into a :class:`Notice`; one that is not ours (someone's
    own ``NOTIFY amends_changes``) reads as "anything may have changed"."""
    try:
        data = json.loads(text)
        return Notice(int(data["n"]), int(data["pid"]), str(data.get("actor", "")),
                      tuple(str(t) for t in data.get("tables", ())))
    except (ValueError, TypeError, KeyError) as error:
        log.info("a notification on %s that is not Amends' own (%s): treated as 'anything changed'", CHANNEL, error)
        return Notice(0, 0, "", ())


class ChangeListener:
    """LISTEN on its own connection, in its own thread, until :meth:`stop`.

    ``on_change(notice)`` is called (on the listener's thread) for every
    commit except those of the connection ``ignore_pid``; ``on_state(listening,
    why)`` when listening starts, and when the connection is lost (then it
    connects again every ``retry_seconds``: the caller polls meanwhile)."""

    def __init__(self, url: str, on_change: Callable[[Notice], None],
                 on_state: Callable[[bool, str], None] | None = None, *, ignore_pid: int | None = None,
                 retry_seconds: float = 2.0, where: str = "") -> None:
        self.url = url
        self.where = where or "the server"
        self.on_change = on_change
        self.on_state = on_state
        self.ignore_pid = ignore_pid
        self.retry_seconds = retry_seconds
        self.backend_pid: int | None = None
        self._listening = False
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="amends-listen", daemon=True)

    @property
    def listening(self) -> bool:
        return self._listening

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop listening; returns once the thread has closed its connection
        (at most about one wait slice)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _state(self, listening: bool, why: str) -> None:
        changed = listening != self._listening
        self._listening = listening
        if self.on_state is not None and (changed or not listening):
            self.on_state(listening, why)

    def _run(self) -> None:
        import psycopg

        while not self._stop.is_set():
            try:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=10,
                                       password=pg_access.password_for(self.url))
            except psycopg.Error as error:
                why = f"{self.where}: cannot listen for changes ({str(error).strip()})"
                log.warning("%s; polling instead, trying again in %.0f s", why, self.retry_seconds)
                self._state(False, why)
                self._stop.wait(self.retry_seconds)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                self.backend_pid = conn.info.backend_pid
                self._state(True, "")
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=WAIT_SLICE_SECONDS):
                        self._deliver(note.payload)
                    if conn.closed or conn.broken:
                        raise psycopg.OperationalError("the connection was closed")
            except psycopg.Error as error:
                if not self._stop.is_set():
                    why = f"{self.where}: the connection listening for changes was lost ({str(error).strip()})"
                    log.warning("%s; polling instead, trying again in %.0f s", why, self.retry_seconds)
                    self._state(False, why)
            finally:
                conn.close()
            self._stop.wait(self.retry_seconds)
        self._listening = False

    def _deliver(self, text: str) -> None:
        notice = parse(text)
        if self.ignore_pid is not None and notice.pid == self.ignore_pid:
            return
        self.on_change(notice)
