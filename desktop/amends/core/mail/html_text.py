"""The text of an HTML mail, in linear time whatever the markup is like
(title, style and script left out; lists and table rows kept apart): what
a ticket's body holds when a mail came as HTML only, and what the HTML view
compares with the plain part to show what the HTML leaves out.
"""

from __future__ import annotations

import html as html_lib
import re

from amends.core.mail.parsing import text

#: Above this many characters of markup, or this deep a tree, the plain lxml
#: walk below is used: inscriptis is linear but spends ~20 µs per element in
#: Python (a dense 1 MB body would take seconds on a busy machine), and it
#: recurses once per level.
LARGE_HTML = 200_000
DEEP_HTML = 150
_BLOCKS = frozenset(["address", "article", "aside", "blockquote", "br", "center", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre", "section", "table", "tr", "ul"])
_HIDDEN = frozenset(["head", "title", "script", "style", "template", "noscript"])
_HIDDEN_TAGS = re.compile(r"<(/?)(head|title|script|style|template|noscript)\b[^>]*>", re.I)


def html_to_text(markup: str, large: int = LARGE_HTML, defects: list[str] | None = None) -> str:
    """The text of an HTML mail, in linear time: no <title>, <style> or
    <script>; lists keep their bullets and each table row its own line.
    inscriptis (Apache-2.0) lays it out; very large or deep bodies get a
    lighter walk of the same lxml tree (benchmarks/bench_mail.py: 1 MB well
    under 1 s). HTML nested deeper than the parser goes (unclosed tags by the
    thousand) is read as plain words instead, so no text is lost."""
    import lxml.html
    from inscriptis import Inscriptis
    from lxml.etree import LxmlError

    markup = text(markup).strip()
    if not markup:
        return ""
    try:
        parser = lxml.html.HTMLParser(huge_tree=True)
        root = lxml.html.document_fromstring(markup, parser=parser)
        if any("depth" in entry.message.lower() for entry in parser.error_log):
            if defects is not None:
                defects.append("HTML nested too deeply to lay out; read as plain text")
            return _plain_words(markup)
        if len(markup) <= large and _depth(root) <= DEEP_HTML:
            return Inscriptis(root).get_text().strip()
        return _walk_text(root).strip()
    except (LxmlError, ValueError, RecursionError):
        # lxml refused the document: the words without the tags (linear passes)
        return _plain_words(markup)


_WORDS = re.compile(r"\w+")


def omitted_plain(body: str, markup: str | None) -> str | None:
    """The plain text when the HTML leaves some of it out (a mail whose
    plain part says what the HTML does not, or a text part after the HTML),
    so that the HTML view can show it beside; None when the HTML has it all.
    Compared by words: layout and link brackets do not count."""
    if not markup or not body.strip():
        return None
    shown = set(_WORDS.findall(html_to_text(markup).lower()))
    lines = [line for line in body.splitlines() if not line.startswith("[attachment: ")]
    missing = [w for line in lines for w in _WORDS.findall(line.lower()) if w not in shown]
    return "\n".join(lines).strip() or None if missing else None


def _plain_words(markup: str) -> str:
    """The words outside <head>/<script>/<style>..., tags dropped (linear:
    one scan for those tags, one for the rest; nothing is matched twice)."""
    kept, hidden, at = [], 0, 0
    for tag in _HIDDEN_TAGS.finditer(markup):
        if not hidden:
            kept.append(markup[at:tag.start()])
        hidden = max(0, hidden + (-1 if tag.group(1) else 1))
        at = tag.end()
    if not hidden:
        kept.append(markup[at:])
    words = re.sub(r"<[^>]*>", " ", "".join(kept))
    return re.sub(r"[ \t]*\n\s*", "\n", re.sub(r"[ \t]+", " ", html_lib.unescape(words))).strip()


def _depth(root) -> int:
    from lxml import etree

    depth = deepest = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


def _walk_text(root) -> str:
    """One pass over the parsed tree: text and tails in order, a line break
    around block elements, '* ' before list items, cells apart."""
    from lxml import etree

    out: list[str] = []
    hidden = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in _HIDDEN:
            hidden += 1 if event == "start" else -1
            if event == "end" and not hidden and element.tail:
                out.append(element.tail)
            continue
        if hidden:
            continue
        if event == "start":
            out.append("\n  * " if tag == "li" else "\n" if tag in _BLOCKS else "  " if tag in ("td", "th") else "")
            out.append(element.text or "")
        else:
            out.append(("\n" if tag in _BLOCKS else "") + (element.tail or ""))
    return re.sub(r"[ \t]*\n\s*", "\n", "".join(out))
