"""Mail files: .eml and .mbox become threaded tickets, idempotently."""

from __future__ import annotations

import shutil
from pathlib import Path

from amends.core import importers, tickets

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def test_eml_then_mbox_thread_together_and_import_once(db, tmp_path):
    first = importers.import_file(db, FIXTURES / "first.eml")
    assert first.format == "eml" and first.imported == 1
    kept = importers.import_file(db, FIXTURES / "inbox.mbox")
    assert kept.format == "mbox" and kept.written and not kept.errors
    assert kept.imported == 3 and kept.skipped == 0, "the broken message is kept too (its defects noted on it)"
    crushed = tickets.get(db, db.scalar("SELECT id FROM tickets WHERE subject = 'Box arrived crushed'"))
    bodies = [m.body for m in crushed.messages]
    assert len(bodies) == 2 and "Café beans still there" in bodies[1], "the reply joined the first mail's ticket"
    assert "alert(1)" not in bodies[1] and "<p>" not in bodies[1], "HTML is reduced to text, scripts dropped"
    assert "From this moment on" in bodies[1], "an unescaped From line is text, not a new message"
    charged = db.scalar("SELECT count(*) FROM tickets WHERE subject = 'Charged twice'")
    assert charged == 1
    again = importers.import_file(db, FIXTURES / "inbox.mbox")
    assert again.imported == 0 and db.scalar("SELECT count(*) FROM messages") == 4
    assert tickets.page(db, tickets.InboxQuery(status="all", text="charged twice"))[0]


def test_mboxrd_quoting_is_undone(db, tmp_path):
    path = tmp_path / "quoted.mbox"
    path.write_bytes(b"From a@example.com Mon Jan  5 10:00:00 2026\nFrom: a@example.com\nSubject: Hi\n"
                     b"Date: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <q@x>\n\n>From the start it broke.\n")
    report = importers.import_file(db, path)
    assert report.imported == 1
    assert db.scalar("SELECT body FROM messages") == "From the start it broke."


def test_arbitrary_bytes_as_mail_never_crash(db, tmp_path):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.binary(max_size=1500))
    def run(data):
        path = tmp_path / "fuzz.mbox"
        path.write_bytes(b"From x@example.com Mon Jan  5 10:00:00 2026\n" + data)
        before = db.scalar("SELECT count(*) FROM messages")
        report = importers.import_file(db, path, "mbox")
        if not report.written:
            assert db.scalar("SELECT count(*) FROM messages") == before

    run()
    shutil.rmtree(tmp_path / "amends.db.backups", ignore_errors=True)


def _reply(tmp_path, name: str, body: str, message_id: str) -> Path:
    path = tmp_path / name
    path.write_text(f"From: Ada Okafor <ada@example.com>\nSubject: Re: Box arrived crushed\n"
                    f"Date: Tue, 06 Jan 2026 10:00:00 +0000\nMessage-ID: <{message_id}>\n"
                    f"In-Reply-To: <first@mail.example.com>\n\n{body}\n")
    return path


def test_a_thank_you_does_not_reopen_but_a_question_does(db, tmp_path):
    from amends.core import resolution

    importers.import_file(db, FIXTURES / "first.eml")
    ticket_id = db.scalar("SELECT id FROM tickets")
    checklist = resolution.checklist_for(db, ticket_id)
    resolution.resolve(db, ticket_id, checklist.policy.id,
                       [resolution.StepOutcome(i, True) for i in range(len(checklist.steps))],
                       # a rule sorts the crushed box into damaged_shipment, whose checklist has a save offer
                       next((resolution.Offer(s.offer_min or 0) for s in checklist.steps if s.type == "save_offer"),
                            None))
    importers.import_file(db, _reply(tmp_path, "thanks.eml", "Thanks a lot, all good!\n\n> old quoted text?",
                                     "thanks@x"))
    ticket = tickets.get(db, ticket_id)
    assert ticket.status == "resolved" and ticket.messages[-1].flag == "thanks"
    importers.import_file(db, _reply(tmp_path, "again.eml", "Thanks, but the new box is crushed too. Can you help?",
                                     "again@x"))
    ticket = tickets.get(db, ticket_id)
    assert ticket.status == "open" and ticket.messages[-1].flag is None


def test_thanks_detection():
    from amends.core.thanks import is_thanks_only

    assert is_thanks_only("Thank you!")
    assert is_thanks_only("Great, thanks.\n\nOn Mon, Ana wrote:\n> Is there anything else?")
    assert not is_thanks_only("Thanks, but where is my refund?")
    assert not is_thanks_only("The box is broken again.")
    assert not is_thanks_only("thanks " * 40)
