"""Surveys that are sent: when a resolution's checklist did its survey
step, a short satisfaction mail goes out through the outbox; the customer
answers by replying with a number (1–5) or a word (great, good, ok, bad,
terrible). When that reply comes in (import or fetch) it is read, kept on
the ticket like any mail (marked, so it does not reopen the ticket), and
its score recorded beside the resolution (resolutions are immutable: the
answer lives in ``survey_answers``, keyed by the resolution).

Satisfaction is then read by category, policy version and person for the
Review, the report and ``amends insights --json`` (key "satisfaction")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from amends.core import audit, clock, signatures
from amends.core.mail import mailboxes, outbox
from amends.core.store import Database

if TYPE_CHECKING:
    from amends.core.insights.period import Period

SUBJECT = "How did we do?"
TEXT = ("Hi {customer.first_name},\n\n"
        "Your request \u201c{subject}\u201d is resolved. How did we do? Just reply to this mail with a number from "
        "1 (terrible) to 5 (great), or one word: great, good, ok, bad or terrible.\n\n"
        "Thank you!\n{mailbox.name}\n")

#: Words a customer may answer with, and the score each stands for.
WORDS: dict[str, int] = {"great": 5, "excellent": 5, "amazing": 5, "good": 4, "ok": 3, "okay": 3, "fine": 3,
                         "bad": 2, "poor": 2, "terrible": 1, "awful": 1}
_NUMBER = re.compile(r"^\W*([1-5])(?:\s*(?:/\s*5|stars?|out of 5))?\b(?!\s*[-.,]\d)")
_WORD = re.compile(r"^\W*([a-z]+)\b")
_QUOTE_INTRO = re.compile(r"^(on .+ wrote:|-----original message-----|from:)", re.IGNORECASE)


def parse_answer(text: str) -> int | None:
    """The score in a reply: its first line of its own (not quoted) is a
    number from 1 to 5 or one of :data:`WORDS`. Anything else is no answer
    (the mail is still kept; a person reads it)."""
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith(">") or _QUOTE_INTRO.match(line):
            return None
        lowered = line.lower()
        if (number := _NUMBER.match(lowered)) is not None:
            return int(number.group(1))
        if (word := _WORD.match(lowered)) is not None and word.group(1) in WORDS:
            return WORDS[word.group(1)]
        return None
    return None


def queue(db: Database, resolution_id: int, *, at: str | None = None) -> int | None:
    """The survey mail for this resolution, queued (inside the caller's
    transaction when there is one). None when it cannot go: no mailbox or no
    address (the checklist step is still recorded as done)."""
    row = db.one("""SELECT r.ticket_id, t.subject, c.email FROM resolutions r JOIN tickets t ON t.id = r.ticket_id
                    LEFT JOIN customers c ON c.id = t.customer_id WHERE r.id = ?""", (resolution_id,))
    if row is None or not row["email"]:
        return None
    sender = mailboxes.for_ticket(db, row["ticket_id"]) or outbox.account(db)
    if sender is None:
        return None
    values = signatures.values_for(db, row["ticket_id"], sender)
    body = signatures.render(TEXT.replace("{subject}", row["subject"].replace("{", "(").replace("}", ")")), values)
    inbound = db.scalar("SELECT external_id FROM messages WHERE ticket_id = ? AND direction = 'in' "
                        "AND external_id LIKE '<%>' ORDER BY created_at DESC, id DESC LIMIT 1", (row["ticket_id"],))
    at = at or clock.now_iso()
    with db.transaction(tickets=(row["ticket_id"],)) as conn:
        if conn.execute("SELECT 1 FROM surveys WHERE resolution_id = ?", (resolution_id,)).fetchone():
            return None
        outbox_id, header_id = outbox.queue_mail(conn, db.actor, ticket_id=row["ticket_id"], sender=sender,
                                                 to=row["email"], subject=SUBJECT, body=body, kind="survey",
                                                 in_reply_to=inbound, at=at)
        conn.execute("INSERT INTO surveys (resolution_id, ticket_id, outbox_id, header_message_id, sent_at) "
                     "VALUES (?, ?, ?, ?, ?)", (resolution_id, row["ticket_id"], outbox_id, header_id, at))
    return outbox_id


def record_answers(conn, actor: str, parsed) -> int:
    """The intake hook (importers/writer.py, inside its transaction): new
    customer mail on a ticket whose survey has no answer yet is read for a
    score. An answer is recorded, its mail marked 'survey', and a ticket the
    mail reopened goes back to resolved. Returns how many were recorded."""
    if conn.execute("SELECT 1 FROM surveys s WHERE NOT EXISTS (SELECT 1 FROM survey_answers a "
                    "WHERE a.resolution_id = s.resolution_id) LIMIT 1").fetchone() is None:
        return 0  # the usual case: nothing is waiting for an answer
    ids = [m.external_id for t in parsed.tickets for m in t.messages
           if m.direction == "in" and m.external_id and m.flag is None and not getattr(m, "automatic", None)]
    recorded = 0
    answered: dict[int, bool] = {}  # ticket → only survey answers came in (so far)
    for external_id in ids:
        message = conn.execute("SELECT id, ticket_id, body, flag FROM messages WHERE external_id = ?",
                               (external_id,)).fetchone()
        if message is None:
            continue
        survey = conn.execute(
            # new mail on the ticket (its Date may be off: the sender's clock is not ours)
            """SELECT s.resolution_id FROM surveys s WHERE s.ticket_id = ?
               AND NOT EXISTS (SELECT 1 FROM survey_answers a WHERE a.resolution_id = s.resolution_id)
               ORDER BY s.sent_at DESC LIMIT 1""", (message["ticket_id"],)).fetchone()
        score = parse_answer(message["body"]) if survey is not None else None
        if score is None:
            if message["flag"] is None:
                answered[message["ticket_id"]] = False
            continue
        answered.setdefault(message["ticket_id"], True)
        conn.execute("INSERT INTO survey_answers (resolution_id, score, message_id, answered_at) VALUES (?, ?, ?, ?)",
                     (survey["resolution_id"], score, message["id"], clock.now_iso()))
        conn.execute("UPDATE messages SET flag = 'survey' WHERE id = ?", (message["id"],))
        audit.record(conn, actor, "ticket", message["ticket_id"], "survey_answer",
                     {"resolution_id": survey["resolution_id"], "score": score, "message_id": message["id"]})
        recorded += 1
    for ticket_id, only_answers in answered.items():
        if only_answers:  # nothing but the answer came: the ticket the writer reopened stays resolved
            conn.execute("UPDATE tickets SET status = 'resolved', version = version + 1 WHERE id = ? "
                         "AND status = 'open' AND resolved_at IS NOT NULL", (ticket_id,))
    return recorded


@dataclass(frozen=True, slots=True)
class Satisfaction:
    """One group's answers: how many, their average score (1–5) and the
    share that said 4 or 5."""

    key: str
    answered: int
    average: float | None
    satisfied: float | None

    def to_json(self, name: str) -> dict[str, Any]:
        return {name: self.key, "answered": self.answered, "average": self.average, "satisfied": self.satisfied}


_GROUPS = {
    "category": "r.category",
    "policy_version": "coalesce(p.name || ' v' || v.number, 'no policy')",
    "person": "r.actor",
}


def satisfaction(db: Database, period: Period) -> dict[str, Any]:
    """Surveys sent in the period and their answers, overall and by
    category, policy version and person (the shape is in docs/FORMAT.md)."""
    sent = db.scalar("SELECT count(*) FROM surveys WHERE sent_at >= ? AND sent_at < ?", (period.start, period.end))
    result: dict[str, Any] = {"sent": sent}
    base = """FROM surveys s JOIN survey_answers a ON a.resolution_id = s.resolution_id
              JOIN resolutions r ON r.id = s.resolution_id
              LEFT JOIN policy_versions v ON v.id = r.policy_version_id LEFT JOIN policies p ON p.id = v.policy_id
              WHERE s.sent_at >= ? AND s.sent_at < ?"""
    [total] = db.query(f"SELECT count(*) AS n, avg(a.score) AS average, avg(a.score >= 4) AS satisfied {base}",
                       (period.start, period.end))
    result.update({"answered": total["n"], "response_rate": round(total["n"] / sent, 4) if sent else 0.0,
                   "average": _round(total["average"]), "satisfied": _round(total["satisfied"])})
    for name, expression in _GROUPS.items():
        rows = db.query(f"SELECT {expression} AS key, count(*) AS n, avg(a.score) AS average, "
                        f"avg(a.score >= 4) AS satisfied {base} GROUP BY 1 ORDER BY 1", (period.start, period.end))
        result[f"by_{name}"] = [Satisfaction(str(r["key"]), r["n"], _round(r["average"]),
                                             _round(r["satisfied"])).to_json(name) for r in rows]
    return result


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)
