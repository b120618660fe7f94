"""A window told to stop listening (it closes; tests freeze one) takes no
notice that was already on its way from the listener's thread: a late notice
made it look for changes and reload a ticket it was meant to keep stale
(tests/e2e/test_two_instances_pg.py's conflict failed so under load)."""

from __future__ import annotations

from amends.core import tickets
from amends.core.workspace import open_database


def test_a_notice_that_arrives_after_stop_listening_changes_nothing(window, demo_db):
    live = window.live
    live.stop_listening()
    other = open_database(demo_db.path, "other@host")  # another process's commit, on the same file
    try:
        tickets.create(other, "Written elsewhere", "hello")
    finally:
        other.close()
    announced: list[int] = []
    live.bus.changed.connect(announced.append)
    live._on_notice(object())  # what the listener's thread had queued before it stopped
    assert announced == []
