"""A hostile HTML mail is shown without a single request leaving the app:
a local HTTP server counts the requests (there must be none), scripts and
styles are gone, links show their target, attachment names are made safe."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

from amends.core import importers, tickets
from amends.core.safe_html import safe_filename
from amends.ui.shell.main_window import MainWindow


class Counter(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x")

    def log_message(self, *args) -> None:
        pass


def hostile_mail(port: int) -> bytes:
    url = f"http://127.0.0.1:{port}"
    return f"""From: Mallory <mallory@example.com>
Subject: Your invoice
Date: Mon, 05 Jan 2026 10:00:00 +0000
Message-ID: <hostile@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="B"

--B
Content-Type: text/html; charset=utf-8

<html><head><link rel="stylesheet" href="{url}/style.css"><style>body {{ background: url({url}/bg.png) }}</style>
<script src="{url}/evil.js"></script></head>
<body onload="fetch('{url}/onload')"><p>Hello <img src="{url}/pixel.png" width=1 height=1>
<a href="{url}/phish">click here to see your invoice</a></p>
<iframe src="{url}/frame"></iframe><object data="{url}/object"></object>
<video src="{url}/video.mp4" poster="{url}/poster.png"></video>
<p style="background-image: url({url}/inline.png)">styled</p></body></html>
--B
Content-Type: application/pdf
Content-Disposition: attachment; filename="../../../etc/passwd"
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--B--
""".encode()


def test_hostile_html_mail_makes_no_request_while_shown(qtbot, db, tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Counter.hits = []
    try:
        path = tmp_path / "hostile.eml"
        path.write_bytes(hostile_mail(server.server_address[1]))
        report = importers.import_file(db, path)
        assert report.written and report.imported == 1
        ticket_id = db.scalar("SELECT id FROM tickets")
        message = tickets.get(db, ticket_id).messages[0]
        assert message.html and "<script" not in message.html and "<img" not in message.html
        assert "onload" not in message.html and "<iframe" not in message.html and "url(" not in message.html
        assert "[attachment: passwd" in message.body, "the name cannot climb out of a folder"
        window = MainWindow(db)
        qtbot.addWidget(window)
        window.show()
        window.drill_down("hostile", [ticket_id])
        shown = window.inbox.ticket_view.conversation.toPlainText()
        assert "click here to see your invoice" in shown and "/phish]" in shown, "the link shows its target"
        qtbot.wait(1000)
        assert Counter.hits == [], f"requests were made: {Counter.hits}"
        window.close()
    finally:
        server.shutdown()


def test_safe_filenames():
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("..\\..\\windows\\system.ini") == "system.ini"
    assert safe_filename("CON.txt") == "_CON.txt"
    assert safe_filename("a\x00b?.pdf") == "a_b_.pdf"
    assert safe_filename("") == "attachment"
    assert safe_filename("..") == "attachment"


def test_long_quoted_history_is_folded():
    from amends.core.safe_html import text_html

    body = "Thanks!\n\nOn Mon, Ana wrote:\n" + "\n".join(f"> line {i}" for i in range(20))
    shown = text_html(body)
    assert "Thanks!" in shown and "line 19" not in shown and "21 lines of quoted history hidden" in shown


BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


def test_bidi_controls_are_removed_from_attachment_names():
    """'invoice\\u202efdp.exe' would show as 'invoiceexe.pdf'."""
    from amends.core.safe_html import display_name

    assert safe_filename("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert safe_filename(f"a{BIDI}b.pdf") == "ab.pdf"
    assert safe_filename(BIDI) == "attachment"
    assert display_name(f"Ada{BIDI} Okafor") == "Ada Okafor", "for names the UI shows (senders, files)"
    assert display_name("Zoë محمد") == "Zoë محمد", "letters of any script stay"


def test_an_attachment_with_a_bidi_override_is_listed_by_its_real_name(db, tmp_path):
    raw = ("From: m@example.com\nSubject: Invoice\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <bidi@x>\n"
           "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\n"
           "See attached.\n--B\nContent-Type: application/octet-stream\n"
           "Content-Disposition: attachment; filename*=utf-8''invoice%E2%80%AEfdp.exe\n"
           "Content-Transfer-Encoding: base64\n\nTVo=\n--B--\n")
    path = tmp_path / "bidi.eml"
    path.write_text(raw)
    importers.import_file(db, path)
    body = db.scalar("SELECT body FROM messages")
    assert "[attachment: invoicefdp.exe" in body and "\u202e" not in body


def test_outlook_style_history_is_folded_too():
    from amends.core.safe_html import fold_quotes

    body = ("Thanks so much!\n\nFrom: Shop Support <support@shop.example>\nSent: Monday, January 5, 2026 10:00 AM\n"
            "To: Ada\nSubject: RE: Box\n\n" + "\n".join(f"old line {i}" for i in range(10)))
    shown, quoted = fold_quotes(body)
    assert shown == "Thanks so much!" and quoted == 15
    assert fold_quotes("Just one line.") == ("Just one line.", 0)
