"""Issue 11 point 12: after loading demo data (the welcome dialog's path),
the view counts are right at once, not 0 until a restart.

Cause (before the data bus): the demo's success handler re-queried the list
but not the counts, and swallowed the new data_version, so the live poll
never announced the change either. Now it announces Changed.EVERYTHING and
the inbox recounts; these tests hold that (they fail on the old code with
'Active  0')."""

from __future__ import annotations

from amends.ui.shell.main_window import MainWindow

DEMO = 2000


def _count_of(inbox, key: str) -> str:
    return inbox.views.item(inbox._row_of_view(key)).text()


def _assert_counts_right(inbox, db) -> None:
    """Every view in the sidebar shows what the core counts for it now."""
    from amends.core import saved_views, tickets

    for view in saved_views.all_views(db):
        number, capped = tickets.count(db, view.query)
        assert _count_of(inbox, view.key).endswith(f"  {number:,}{'+' if capped else ''}"), view.key


def test_counts_right_at_once_after_demo_load_from_welcome(qtbot, db):
    """As app.py does it: the window is shown and the demo load starts at
    once (before the inbox's own first count has even run)."""
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    window.poll.stop()
    window.backup_timer.stop()
    op = window.load_demo(DEMO)
    qtbot.waitUntil(lambda: op.done, timeout=120_000)
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox._counting is not None and inbox._counting.done and not inbox._counts_stale,
                    timeout=20_000)
    assert db.scalar("SELECT count(*) FROM tickets") > 0
    _assert_counts_right(inbox, db)
    assert inbox.model.rowCount() > 0, "the list shows the demo tickets too"
    window.close()


def test_counts_right_after_demo_load_with_counting_in_flight(qtbot, db):
    """The first count is still running when the demo load finishes."""
    window = MainWindow(db)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.poll.stop()
    window.backup_timer.stop()
    inbox = window.inbox
    qtbot.waitUntil(lambda: inbox._counting is not None and inbox._counting.done, timeout=20_000)
    assert _count_of(inbox, "builtin:All tickets") == "All tickets  0"
    op = window.load_demo(60)
    qtbot.waitUntil(lambda: op.done, timeout=60_000)
    qtbot.waitUntil(lambda: inbox._counting.done and not inbox._counts_stale, timeout=20_000)
    _assert_counts_right(inbox, db)
    window.close()

