"""Showing a long conversation (issue 16: a 50-message ticket): a message too
short to have history worth folding is not given to the reply parser (ms a
message), and the parser's answer is remembered per text. Both give the
answers the full path gives."""

from __future__ import annotations

from amends.core import safe_html, thanks

QUOTED = ("Thanks, that worked.\n\nOn Mon, 5 Jan 2026 at 10:00, Shop <hello@shop.example> wrote:\n"
          "> line one\n> line two\n> line three\n> line four\n> line five\n")


def test_short_messages_are_shown_whole():
    for text in ("", "One line.", "Hello,\n\nthe box arrived crushed.", "a\nb\nc"):
        assert safe_html.fold_quotes(text) == (text, 0)


def test_long_quoted_history_is_still_folded():
    shown, quoted = safe_html.fold_quotes(QUOTED)
    assert shown == "Thanks, that worked." and quoted == 6


def test_the_reply_parser_answer_is_the_same_the_second_time():
    first = thanks.new_text(QUOTED)
    assert thanks.new_text(QUOTED) == first == "Thanks, that worked."
    assert thanks.is_thanks_only(QUOTED)
