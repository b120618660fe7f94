"""Showing mail safely: HTML through an allow-list (nh3), never anything that
loads from the network, links that show where they go, file names that
cannot climb out of a folder, and long quoted history folded away."""

from __future__ import annotations

import re

# (html, nh3 and unicodedata are imported where they are used: the inbox's first paint shows names
# through display_name only, and the three were a part of every start, issue 16)

TAGS = {"p", "br", "b", "strong", "i", "em", "u", "ul", "ol", "li", "blockquote", "pre", "code", "a", "h1", "h2",
        "h3", "h4", "table", "thead", "tbody", "tr", "td", "th", "div", "span", "hr"}
ATTRIBUTES = {"a": {"href"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
SCHEMES = {"http", "https", "mailto"}
_ANCHOR = re.compile(r'<a href="([^"]*)"[^>]*>(.*?)</a>', re.S)
QUOTED_LINES_SHOWN = 3


def clean(markup: str) -> str:
    """Only harmless tags; no styles, scripts, forms or frames, and images
    only from the mail's own parts (``cid:``), so nothing is ever fetched
    when the mail is shown. Each link is followed by
    its target in brackets, so what it points to is always visible."""
    import nh3

    safe = nh3.clean(markup, tags=TAGS | {"img"}, attributes=ATTRIBUTES | {"img": {"src", "alt"}},
                     url_schemes=SCHEMES | {"cid"}, link_rel=None, strip_comments=True,
                     attribute_filter=_only_cid_images)
    safe = _IMAGE_WITHOUT_SOURCE.sub("", safe)
    return _ANCHOR.sub(lambda m: f'<a href="{m.group(1)}">{m.group(2)}</a> <small>[{m.group(1)}]</small>', safe)


#: An <img> left without a source (it pointed at the network): dropped whole.
_IMAGE_WITHOUT_SOURCE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")


def _only_cid_images(tag: str, attribute: str, value: str) -> str | None:
    """Images only from the mail's own parts (``cid:``, shown from the
    stored attachment by the viewer); every other source is removed."""
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith("cid:") else None
    if tag == "a" and attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


_CID_SOURCE = re.compile(r"""\ssrc\s*=\s*["']cid:([^"']+)["']""", re.I)


def referenced_cids(markup: str | None) -> set[str]:
    """The Content-IDs an (already cleaned) HTML part shows in place, lower case."""
    import html

    return {html.unescape(m.group(1)).strip("<>").lower() for m in _CID_SOURCE.finditer(markup or "")}


def fold_quotes(text: str) -> tuple[str, int]:
    """The new part of a plain-text mail and how many quoted lines follow
    (the reply parser of :mod:`amends.core.thanks` finds where the history
    starts, Outlook's "From: … Sent: …" block included)."""
    lines = text.splitlines()
    if len(lines) <= QUOTED_LINES_SHOWN:  # nothing could be folded: no need to ask the parser (ms per message)
        return text, 0
    from amends.core.thanks import new_text

    head = new_text(text)
    at = text.find(head) if head else -1
    index = text[:at + len(head)].count("\n") + 1 if at >= 0 else 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    quoted = len(lines) - index
    if head and quoted > QUOTED_LINES_SHOWN:
        return "\n".join(lines[:index]).rstrip(), quoted
    return text, 0


def text_html(text: str) -> str:
    """Plain text as HTML, escaped, with long quoted history folded."""
    shown, quoted = fold_quotes(text)
    import html

    body = html.escape(shown).replace("\n", "<br>")
    if quoted:
        body += f"<br><i>… {quoted} lines of quoted history hidden …</i>"
    return body


#: Bidirectional controls (embeddings, overrides, isolates, marks): they make
#: 'invoice\u202efdp.exe' show as 'invoiceexe.pdf'. Names never need them.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


def display_name(text: str) -> str:
    """A name (attachment, sender) as it may be shown: without bidi controls,
    so what is read is what it is. The UI calls this for names from mail."""
    return BIDI_CONTROLS.sub("", text or "")


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """A file name that stays where it is put: no folders, no '..', no
    control, bidi or reserved characters, not empty, not too long."""
    import unicodedata

    name = display_name(unicodedata.normalize("NFC", name or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r'[\x00-\x1f\x7f<>:"|?*]', "_", name).strip(" .")
    if name.upper().split(".")[0] in {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                                      *(f"LPT{i}" for i in range(10))}:
        name = "_" + name
    return (name or fallback)[:180]
