"""Satisfaction in the Review pane and the PDF report (issue 17.5): a survey
queued for a demo resolution, the customer's reply imported as mail, the
pane's Satisfaction table and the report show the answer."""

from __future__ import annotations

from datetime import UTC, datetime

from amends.core import importers, resolution, surveys
from amends.core.insights.period import Period
from amends.core.mail import outbox
from amends.core.resolution import StepOutcome
from amends.core.vocabulary import category_name
from PySide6.QtCore import QDate


def test_a_survey_answer_shows_by_category_policy_and_person(qtbot, window, tmp_path):
    from amends.ui.report import build_html

    db = window.db
    outbox.add_account(db, "Shop support", "support@shop.example", smtp_host="127.0.0.1", smtp_port=2525,
                       smtp_security="none")
    first = tmp_path / "first.eml"
    first.write_bytes(b"From: Ada Okafor <ada@example.com>\nSubject: Box arrived crushed\n"
                      b"Message-ID: <crushed@example.com>\n\nThe box arrived crushed.\n")
    importers.import_file(db, first)
    ticket_id = db.scalar("SELECT ticket_id FROM messages WHERE external_id = '<crushed@example.com>'")
    shown = resolution.checklist_for(db, ticket_id)
    resolved = resolution.resolve(db, ticket_id, shown.policy.id if shown.policy else None,
                                  [StepOutcome(i, False, "not needed") for i in range(len(shown.steps))], None)
    assert surveys.queue(db, resolved) is not None
    answer = tmp_path / "answer.eml"
    answer.write_bytes(f"From: ada@example.com\nSubject: Re: How did we do? [#{ticket_id}]\n"
                       f"Message-ID: <survey-answer@example.com>\n\nGood\n".encode())
    importers.import_file(db, answer)
    pane = window.review
    today = datetime.now(UTC).date()
    pane.since.setDate(QDate(today.year, today.month, today.day))
    pane.until.setDate(QDate(today.year, today.month, today.day))
    with qtbot.waitSignal(pane.computed, timeout=30_000):
        pane.compute()
    assert "1 surveys sent, 1 answered" in pane.satisfaction_summary.text()
    rows = pane.satisfaction.model().rows
    assert [(r["by"], r["answered"], r["average"]) for r in rows] == [
        ("Category", 1, 4.0), ("Policy version", 1, 4.0), ("Person", 1, 4.0)]
    category = db.scalar("SELECT category FROM resolutions WHERE id = ?", (resolved,))
    assert rows[0]["which"] == category_name(category) and rows[2]["which"] == db.actor
    text, _images = build_html(db, pane.data, Period(today, today))
    assert "<h2>Satisfaction (surveys sent)</h2>" in text and "average <b>4.0</b> of 5" in text
