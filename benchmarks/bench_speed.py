"""The in-process measures of ``benchmarks/run.py`` on the big demo file:
inbox pages, search, scrolling, opening a long ticket, resolving, and the
Review figures. Each returns the rows it measured (bench_common.Row); the
baseline of a core call is the SQL it ran, replayed raw (bench_common).
"""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from amends.core import tickets
from amends.core.store import Database
from bench_common import (
    BIG_TICKET_REF,
    Row,
    median,
    p95,
    ratio_row,
    raw_connection,
    replay,
    rss_mb,
    samples_ms,
    traced,
)

#: The inbox views: the default, and six filtered or sorted ones.
VIEWS = (
    ("default view", tickets.InboxQuery()),
    ("open, by created", tickets.InboxQuery(status="open", sort="created")),
    ("pending, by priority", tickets.InboxQuery(status="pending", sort="priority")),
    ("billing, Ben Carter, by priority", tickets.InboxQuery(status="all", category="billing",
                                                            assignee="Ben Carter", sort="priority")),
    ("damaged shipment, active", tickets.InboxQuery(category="damaged_shipment")),
    ("resolved, by updated", tickets.InboxQuery(status="resolved")),
    ("all, unassigned, by created", tickets.InboxQuery(status="all", assignee=tickets.UNASSIGNED, sort="created")),
)
#: The search kinds: (label, what the person typed).
SEARCHES = (
    ("common word 'order'", "order"),
    ("rare word 'ingredients'", "ingredients"),
    ("phrase \"arrived crushed\"", '"arrived crushed"'),
    ("prefix while typing 'refu'", "refu"),
    ("from:tess", "from:tess"),
    ("tag:VIP", "tag:VIP"),
)


@dataclass
class Sizes:
    """How hard each measure works: --quick makes them smaller."""

    page_runs: int = 60
    paint_runs: int = 30
    review_runs: int = 3
    ticket_runs: int = 20
    resolves: int = 15


def interleaved(fn, baseline, runs: int) -> tuple[list[float], list[float]]:
    """Timings (ms) of ``fn`` and ``baseline`` taken in turns, after a warm-up
    of each: on a shared machine both sides meet the same interruptions, so
    a p95 compares like with like."""
    fn()
    baseline()
    ours, base = [], []
    for _ in range(runs):
        for call, out in ((fn, ours), (baseline, base)):
            start = time.perf_counter()
            call()
            out.append((time.perf_counter() - start) * 1000)
    return ours, base


def _core_vs_raw(db: Database, raw: sqlite3.Connection, label: str, fn, runs: int, limit: float = 2.0) -> Row:
    statements = traced(db.conn, fn)
    core, base = interleaved(fn, lambda: replay(raw, statements), runs)
    return ratio_row(f"{label}: p95 ms via core / same raw SQL", p95(core), p95(base), limit)


def inbox_pages(db: Database, path: Path, sizes: Sizes) -> list[Row]:
    raw = raw_connection(path)
    rows = [_core_vs_raw(db, raw, f"inbox first page, {label}", lambda q=query: tickets.page(db, q),
                         sizes.page_runs) for label, query in VIEWS]
    raw.close()
    return rows


def _shown_pane(db: Database, app):
    """The app's inbox pane at 1280x800, shown and laid out: what the painted rows measure against."""
    from amends.ui.inbox.inbox_pane import InboxPane

    pane = InboxPane(db)
    pane.resize(1280, 800)
    pane.show()
    app.processEvents()
    return pane


def _painted_row(measure: str, times: list[float], limit_ms: float) -> Row:
    worst = p95(times)
    return Row(measure, worst, None, None, f"<= {limit_ms:g} ms", worst <= limit_ms)


def inbox_painted(db: Database, sizes: Sizes) -> list[Row]:
    """From asking the inbox model for a view to its rows painted: the
    model's query (rows, tags, delivery marks) and reset, and a synchronous
    repaint of a table showing it (the ticket beside it is the "open a
    ticket" row). Then the same in the app's own inbox list (InboxPane: its
    columns, widths, row height, no grid, alternating rows, asked through
    show_query as a filter change does), in wall time and in the UI thread's
    CPU time (which moves far less with other processes' load)."""
    from amends.ui.inbox.inbox_model import InboxModel
    from PySide6.QtWidgets import QApplication, QTableView

    app = QApplication.instance() or QApplication([])
    model = InboxModel(db)
    view = QTableView()
    view.setModel(model)
    model.header_labels.show_on(view)  # its titles, as the app's list shows them
    view.resize(1280, 800)
    view.show()
    app.processEvents()
    rows = []
    for label, query in VIEWS:
        def show(q=query) -> None:
            model.set_query(q)
            view.viewport().repaint()
        rows.append(_painted_row(f"inbox {label}: p95 ms request to painted", samples_ms(show, sizes.paint_runs),
                                 16))
    view.close()
    pane = _shown_pane(db, app)
    for label, query in VIEWS:
        times, cpu = [], []
        for run in range(sizes.paint_runs + 1):  # the first warms
            start, start_cpu = time.perf_counter(), time.thread_time()
            pane.show_query(query)
            pane.table.viewport().repaint()
            if run:
                times.append((time.perf_counter() - start) * 1000)
                cpu.append((time.thread_time() - start_cpu) * 1000)
        rows.append(_painted_row(f"inbox {label}, the app's inbox list: p95 ms request to painted", times, 16))
        rows.append(Row(f"inbox {label}, the app's inbox list: p95 CPU ms of the UI thread", p95(cpu), None, None,
                        "report", None))
    pane.close()
    return rows


def search(db: Database, path: Path, sizes: Sizes) -> list[Row]:
    """Each kind of search through the core beside its raw SQL, and from the
    end of the typing pause (the search box's timer firing) to painted."""
    from PySide6.QtWidgets import QApplication

    raw = raw_connection(path)
    rows = [_core_vs_raw(db, raw, f"search {label}",
                         lambda t=text: tickets.page(db, tickets.InboxQuery(status="all", text=t)), sizes.page_runs)
            for label, text in SEARCHES]
    raw.close()
    app = QApplication.instance() or QApplication([])
    pane = _shown_pane(db, app)
    for label, text in SEARCHES:
        times, cpu = [], []
        for _ in range(sizes.paint_runs):
            pane.search.clear()
            pane.apply_filters()
            pane.search.setText(text)  # starts the typing-pause timer
            pane._search_timer.stop()
            start, start_cpu = time.perf_counter(), time.thread_time()
            pane._search_timer.timeout.emit()  # the pause is over
            pane.table.viewport().repaint()
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.thread_time() - start_cpu) * 1000)
        rows.append(_painted_row(f"search {label}: p95 ms pause over to painted", times, 50))
        # The same in CPU time of this (the UI) thread: on a loaded machine the wall time above is mostly waiting
        # for a core; this is what the search and the paint cost, and moves far less with the load.
        rows.append(Row(f"search {label}: p95 CPU ms of the UI thread, pause over to painted", p95(cpu), None, None,
                        "report", None))
    pane.close()
    return rows


def scroll(db: Database) -> list[Row]:
    """The default inbox scrolled from top to bottom through the model (every
    page fetched and painted); resident memory after over before."""
    from amends.ui.inbox.inbox_model import InboxModel
    from PySide6.QtWidgets import QApplication, QTableView

    app = QApplication.instance() or QApplication([])
    model = InboxModel(db)
    view = QTableView()
    view.setModel(model)
    model.header_labels.show_on(view)  # its titles, as the app's list shows them
    view.resize(1280, 800)
    model.set_query(tickets.InboxQuery())
    view.show()
    app.processEvents()
    before = rss_mb()
    while model.canFetchMore():
        model.fetchMore()
        view.scrollToBottom()
        view.viewport().repaint()
    app.processEvents()
    growth = rss_mb() - before
    count = model.rowCount()
    # A change (here or by someone else) reloads the model: scrolled to the end, that must not read every page
    # again; beside it, showing the view afresh (its first page).
    reloads = samples_ms(model.reload, 3)
    fresh = samples_ms(lambda: model.set_query(tickets.InboxQuery()), 3)
    view.close()
    return [Row(f"scroll the default inbox to its end ({count:,} rows): MB RSS growth", growth, before, None,
                "<= 50 MB", growth <= 50),
            Row(f"reload the inbox scrolled to its end ({count:,} rows): median ms / a fresh first page",
                median(reloads), median(fresh), median(reloads) / median(fresh), "report", None)]


def open_ticket(db: Database, path: Path, sizes: Sizes) -> list[Row]:
    """What the ticket view reads to show a ticket (ticket_view.show_ticket):
    the conversation, the customer sidebar, the policy, files. The History
    tab reads the audit log only when it is shown (not on opening)."""
    from amends.core import (
        attachments,
        customers,
        followups,
        merges,
        policies,
        proposals,
        resolution,
        tags,
    )
    from amends.core.mail import defects

    ticket_id = db.scalar("SELECT id FROM tickets WHERE ref = ?", (BIG_TICKET_REF,))

    def read() -> None:
        ticket = tickets.get(db, ticket_id)
        if ticket.customer_id:
            customers.profile(db, ticket.customer_id)
        policies.match(db, resolution.context_for(db, ticket))
        tickets.assignees(db)
        history = resolution.resolutions_for(db, ticket_id)
        if history and history[-1].policy_version_id:
            policies.version(db, history[-1].policy_version_id)
        followups.for_ticket(db, ticket_id)
        proposals.for_ticket(db, ticket_id)
        tags.for_tickets(db, [ticket_id])
        merges.merged_from(db, ticket_id)
        attachments.for_ticket(db, ticket_id)
        defects.of_ticket(db, ticket_id)

    raw = raw_connection(path)
    statements = traced(db.conn, read)
    core, base = interleaved(read, lambda: replay(raw, statements), sizes.ticket_runs)
    raw.close()
    rows = [ratio_row("open a ticket (50 messages, 10 files, sidebar): median ms via core / raw queries",
                      median(core), median(base), 2.0)]
    # The same ticket shown by the ticket view (conversation rendered, files, sidebar), for people's ~100 ms.
    from amends.ui.ticket.ticket_view import TicketView
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    view = TicketView(db)
    view.resize(900, 800)
    view.show()
    app.processEvents()

    other = db.scalar("SELECT max(id) FROM tickets WHERE id <> ? AND customer_id IS NOT NULL", (ticket_id,))

    def show() -> None:
        view.show_ticket(ticket_id)
        view.repaint()

    def away() -> None:
        # Another ticket, then none, between samples (not timed): the view
        # keeps an unchanged conversation, so each sample draws the long one afresh.
        view.show_ticket(other)
        view.show_ticket(None)

    away()
    show()
    shown = []
    for _ in range(max(3, sizes.ticket_runs // 2)):
        away()
        shown.extend(samples_ms(show, 1, warm=False))
    view.close()
    rows.append(Row("open that ticket in the ticket view, painted: median ms", median(shown), None, None,
                    "<= 100 ms", median(shown) <= 100))
    return rows


def resolve(db: Database, path: Path, sizes: Sizes) -> list[Row]:
    """Resolve with the damaged-shipment checklist (5 steps), committed,
    beside one raw transaction writing the same rows (resolution, 5 steps,
    the ticket's status, resolved_at and updated_at), in turns. Both write into the cached file: new bench tickets
    each run, resolved (they leave the default inbox)."""
    from amends.core import resolution

    stamp = time.time_ns()
    ids = [tickets.create(db, f"Bench resolve {n}", "The box arrived crushed.", category="damaged_shipment",
                          ref=f"bench-resolve-{stamp}-{n}") for n in range(2 * sizes.resolves + 1)]
    core_ids, raw_ids = ids[:sizes.resolves + 1], ids[sizes.resolves + 1:]
    steps = len(resolution.checklist_for(db, core_ids[0]).steps)

    def do(ticket_id: int) -> None:
        checklist = resolution.checklist_for(db, ticket_id)
        outcomes = [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))]
        resolution.resolve(db, ticket_id, checklist.policy.id, outcomes, resolution.Offer(10),
                           expected_version=checklist.ticket_version)

    raw = raw_connection(path)
    raw.execute("PRAGMA synchronous = NORMAL")  # as Amends's WAL connections
    version = db.scalar("SELECT id FROM policy_versions WHERE published_at IS NOT NULL ORDER BY id LIMIT 1")

    def raw_txn(ticket_id: int) -> None:
        # The same rows as the core writes for them: the resolution, its steps, and the ticket's status with
        # resolved_at and updated_at (moving updated_at moves the ticket in every inbox ordering's index:
        # most of the commit's pages).
        at = "2026-12-01T00:00:00Z"
        raw.execute("BEGIN IMMEDIATE")
        rid = raw.execute("INSERT INTO resolutions (ticket_id, policy_version_id, actor, resolved_at, offer_value, "
                          "category, steps_total) VALUES (?, ?, 'raw', ?, 10, 'damaged_shipment', ?)",
                          (ticket_id, version, at, steps)).lastrowid
        raw.executemany("INSERT INTO resolution_steps (resolution_id, position, type, outcome) "
                        "VALUES (?, ?, 'custom', 'done')", [(rid, p) for p in range(steps)])
        raw.execute("UPDATE tickets SET status = 'resolved', resolved_at = ?, updated_at = ?, version = version + 1 "
                    "WHERE id = ?", (at, at, ticket_id))
        raw.execute("COMMIT")

    do(core_ids[0])  # warm
    core, base = [], []
    for core_id, raw_id in zip(core_ids[1:], raw_ids, strict=False):  # in turns: both meet the same load
        start = time.perf_counter()
        do(core_id)
        core.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        raw_txn(raw_id)
        base.append((time.perf_counter() - start) * 1000)
    raw.close()
    return [ratio_row(f"resolve with a {steps}-step checklist (commit): median ms via core / raw INSERT txn",
                      median(core), median(base), 3.0)]


def review(db: Database, path: Path, sizes: Sizes) -> list[Row]:
    """The Review figures for the last full quarter, beside the same
    aggregate SQL replayed raw; the target is both <= 1 s and <= 1.5x."""
    from amends.core import insights

    period = insights.last_full_quarter()
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    count = db.scalar("SELECT count(*) FROM tickets WHERE created_at >= ? AND created_at < ?",
                      (period.start, period.end))
    raw = raw_connection(path)
    # The statements of every part, traced one part after another on db's own connection (side by side, the
    # parts run on readers of their own); the raw baseline replays them all sequentially, as before.
    statements = traced(db.conn, lambda: insights.compute(db, period, now=now, workers=1))
    core, base = interleaved(lambda: insights.compute(db, period, now=now), lambda: replay(raw, statements),
                             sizes.review_runs)
    value, baseline = median(core), median(base)
    ratio = value / baseline if baseline else float("inf")
    rows = [Row(f"Review figures for {period.label()} ({count:,} tickets): median ms via core / raw aggregates",
                value, baseline, ratio, "<= 1000 ms and <= 1.5x", value <= 1000 and ratio <= 1.5)]
    workers = insights.running.default_workers()
    if workers > 1:  # the same Review one part after another (workers=1), beside the same raw replay
        one, base = interleaved(lambda: insights.compute(db, period, now=now, workers=1),
                                lambda: replay(raw, statements), sizes.review_runs)
        rows.append(Row(f"  Review figures one part after another (the default runs {workers} side by side): "
                        "median ms via core / raw aggregates", median(one), median(base),
                        median(one) / median(base) if median(base) else None, "report", None))
    rows += review_parts(db, raw, period, now)
    raw.close()
    return rows


def review_parts(db: Database, raw: sqlite3.Connection, period, now: str) -> list[Row]:
    """Where the Review's time goes (P16REVIEW): each part of insights.compute once (warm, after the whole
    measure), beside its own statements replayed raw; reported, no target of its own."""
    from amends.core import surveys
    from amends.core.insights import Settings, churn, recovery, recurring, resolutions, saves, themes
    from amends.core.insights.reply_targets import reply_targets

    settings = Settings()
    parts = (
        ("recurring complaints", lambda: recurring.complaints(db, period, settings.thresholds, now=now)),
        ("resolutions (offers, checklist, cost)", lambda: resolutions.resolution_figures(db, period)),
        ("cycle-1 churn", lambda: churn.cycle1_churn(db, period, settings.churn_window_days, now=now)),
        ("overdue follow-ups", lambda: recovery.followups_overdue(db, now)),
        ("themes", lambda: themes.themes(db, period, min_tickets=settings.theme_min_tickets)),
        ("save offers", lambda: saves.save_offers(db, period, settings.save_window_days, now=now)),
        ("satisfaction", lambda: surveys.satisfaction(db, period)),
        ("reply targets", lambda: reply_targets(db, period, now=now)),
    )
    rows = []
    for name, part in parts:
        statements = traced(db.conn, part)
        start = time.perf_counter()
        part()
        ours = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        replay(raw, statements)
        base = (time.perf_counter() - start) * 1000
        rows.append(Row(f"  Review part: {name}: ms via core / its SQL raw (one run each)", ours, base,
                        ours / base if base else None, "report", None))
    return rows


def environment_home() -> None:
    """Qt settings and the identity of these measures away from the user's."""
    import tempfile

    os.environ.setdefault("AMENDS_HOME", tempfile.mkdtemp(prefix="amends-bench-home-"))
