"""The search box's language (also ``amends search``): free words and
"quoted phrases", plus fields — ``status:`` ``category:`` ``assignee:``
(``me``, ``none``) ``from:`` ``cycle:`` (``1``, ``2-3``, ``>3``) ``policy:``
(``none`` = no policy: resolved without one, or not resolved and no published
policy covers its category) ``tag:`` ``is:`` (``snoozed``, ``merged``)
``before:`` ``after:`` (dates) ``mailbox:`` (the mailbox a ticket came in on, by its name or address)
``waiting:`` (``>4h``, ``<30m``: how long the customer has waited, clock time) ``due:`` (``today``,
``tomorrow``, a date, ``soon``, ``overdue``: when the reply target falls due, business time; also
``is:overdue`` ``is:due-soon``) —
and ``-`` to negate any of them; ``a OR b``
(upper case) matches either, binding tighter than the space (``box crushed
OR broken`` = box and either word). A mistake is explained (which token, why);
nothing the person types is ever spliced into SQL or FTS syntax."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from amends.core import clock
from amends.core.vocabulary import CATEGORIES, STATUSES

FIELDS = ("status", "category", "assignee", "from", "cycle", "policy", "before", "after", "tag", "is", "mailbox",
          "waiting", "due")
IS_VALUES = ("snoozed", "merged", "overdue", "due-soon")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
#: The search's reply targets: ``due:<value>`` → SQL (core/targets.py builds it from the file).
ReplyDue = Callable[[str], tuple[str, list]]
MANY_CUSTOMERS = 200  # a from: matching more customers is checked per ticket
MANY_TAGGED = 2000  # tickets: above this a tag is checked per ticket, below it its tickets are listed
MAX_CYCLE = 999_999
PREFIX_FROM = 3  # letters typed before the last word also matches as a prefix
_TOKEN = re.compile(r'(-?)(?:([A-Za-z_]+):)?(?:"([^"]*)"?|(\S+))')


@dataclass(frozen=True)
class Problem:
    token: str
    reason: str


@dataclass
class ParsedQuery:
    words: list[tuple[str, bool]] = field(default_factory=list)   # (text, is phrase) to match
    excluded: list[tuple[str, bool]] = field(default_factory=list)  # words and phrases that must not match
    conditions: list[tuple[str, list]] = field(default_factory=list)  # SQL on alias t, with parameters
    problems: list[Problem] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # the fields named (they override the view's own filter)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _due(value: str, reply_due: ReplyDue | None) -> tuple[str, list]:
    if reply_due is None:  # only checking the text (a saved view, a rule): the value must mean something
        from amends.core import targets

        targets.check_due_value(value)
        return "0", []
    return reply_due(value)


def _waiting(value: str, now: str) -> tuple[str, list]:
    match = re.fullmatch(r"([<>])?([0-9]{1,6})(m|min|h|d|w)", value.lower())
    if not match:
        raise ValueError("waiting: is a time with m, h, d or w, more than (>4h) or less than (<30m)")
    seconds = int(match.group(2)) * _UNITS[match.group(3)]
    since = clock.to_iso(clock.parse_iso(now) - timedelta(seconds=seconds))
    if match.group(1) == "<":  # few (a short wait): read from the waiting index
        return "t.waiting_since IS NOT NULL AND t.waiting_since > ?", [since]
    # Most open tickets wait longer than a few hours: walk the view's order and check each
    # ("+": reading them all from the waiting index to sort them took 18 ms instead of 3 on 50,000).
    return "+coalesce(t.waiting_since, '~') <= ?", [since]  # not waiting: never matches, so -waiting: keeps it


def _condition(name: str, value: str, actor: str, tags: dict[str, int] | None, now: str,
               customers: Callable[[str], int] | None, mailboxes: Sequence[str] | None = None,
               reply_due: ReplyDue | None = None) -> tuple[str, list]:
    lowered = value.lower()
    if name == "waiting":
        return _waiting(value, now)
    if name == "due":
        return _due(value, reply_due)
    if name == "status":
        if lowered == "active":
            return "t.status <> 'resolved'", []
        if lowered in ("all", "any"):
            return "1", []
        if lowered not in STATUSES:
            raise ValueError(f"status is one of {', '.join(STATUSES)}, active or all")
        return "t.status = ?", [lowered]
    if name == "category":
        typed = lowered.replace("-", "_")
        by_name = {n.lower().replace(" ", "_"): k for k, n in CATEGORIES.items()}
        key = typed if typed in CATEGORIES else by_name.get(typed)
        if key is None:
            raise ValueError(f"unknown category (one of {', '.join(CATEGORIES)})")
        return "t.category = ?", [key]
    if name == "assignee":
        if lowered == "none":
            return "t.assignee IS NULL", []
        return "t.assignee = ?", [actor if lowered == "me" else value]
    if name == "from":
        if len(value.strip()) >= 3:  # any part of the email or name, from the customers' trigram index
            phrase = '"' + value.replace('"', '""') + '"'
            many = customers is not None and customers(phrase) > MANY_CUSTOMERS
            # Many customers (a common first name): walk the view's order and check each
            # ticket ("+" keeps SQLite from fetching all their tickets to sort them).
            return (f"{'+' if many else ''}t.customer_id IN (SELECT rowid FROM customer_search "
                    "WHERE customer_search MATCH ?)", [phrase])
        pattern = _like(value)
        return ("t.customer_id IN (SELECT id FROM customers WHERE email LIKE ? ESCAPE '\\' "
                "OR name LIKE ? ESCAPE '\\')", [pattern, pattern])
    if name == "cycle":
        # ASCII digits only ("²" is a digit to \d), and numbers SQLite can bind
        match = re.fullmatch(r"([0-9]{1,6})(?:-([0-9]{1,6}))?|([<>])([0-9]{1,6})", value)
        if not match:
            raise ValueError(f"a cycle is a number up to {MAX_CYCLE:,} (1), a range (2-3) or >3 / <3")
        if match.group(3):
            return f"t.billing_cycle {match.group(3)} ?", [int(match.group(4))]
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        return "t.billing_cycle BETWEEN ? AND ?", [low, high]
    if name == "policy":
        latest = "(SELECT r.policy_version_id FROM resolutions r WHERE r.ticket_id = t.id ORDER BY r.id DESC LIMIT 1)"
        if lowered == "none":
            return (f"((t.status = 'resolved' AND EXISTS (SELECT 1 FROM resolutions r WHERE r.ticket_id = t.id) "
                    f"AND {latest} IS NULL) OR (t.status <> 'resolved' AND NOT EXISTS (SELECT 1 FROM policies p "
                    "JOIN policy_versions v ON v.policy_id = p.id WHERE p.category = t.category)))", [])
        return (f"{latest} IN (SELECT v.id FROM policy_versions v JOIN policies p ON p.id = v.policy_id "
                "WHERE p.name LIKE ? ESCAPE '\\' OR p.ref = ?)", [_like(value), value])
    if name in ("before", "after"):
        try:
            day = _day(value)
        except ValueError:
            raise ValueError("a date is YYYY-MM-DD") from None
        if name == "before":
            return "t.created_at < ?", [f"{day.isoformat()}T00:00:00Z"]
        # after the last second of that day: no date arithmetic, so 9999-12-31 works too
        return "t.created_at > ?", [f"{day.isoformat()}T23:59:59Z"]
    if name == "tag":
        usage = {t.lower(): n for t, n in (tags or {}).items()}
        if tags is not None and lowered not in usage:
            known = ", ".join(sorted(tags, key=str.lower)[:12]) if tags else "none yet"
            raise ValueError(f"no tag is called that (tags: {known})")
        if usage.get(lowered, 0) > MANY_TAGGED:
            # A common tag: walk the view's order and check each ticket (a few
            # hundred probes fill a page); listing 30,000 tickets to sort them cost 150 ms.
            return ("EXISTS (SELECT 1 FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id "
                    "WHERE tt.ticket_id = t.id AND g.name = ?)", [value])
        return ("t.id IN (SELECT tt.ticket_id FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id "
                "WHERE g.name = ?)", [value])
    if name == "is":
        if lowered == "snoozed":
            return "t.snoozed_until > ?", [now]
        if lowered == "merged":  # few: listed from their partial index, not found by walking every ticket
            return "t.id IN (SELECT id FROM tickets WHERE merged_into IS NOT NULL)", []
        if lowered in ("overdue", "due-soon"):
            return _due("overdue" if lowered == "overdue" else "soon", reply_due)
        raise ValueError(f"is: is one of {', '.join(IS_VALUES)}")
    if name == "mailbox":
        if mailboxes is not None and lowered not in {m.lower() for m in mailboxes} and "@" not in value:
            known = ", ".join(mailboxes) if mailboxes else "none set up yet"
            raise ValueError(f"no mailbox is called that (mailboxes: {known})")
        # IS NOT NULL first: -mailbox:billing keeps the tickets that came in no mailbox
        return ("t.mailbox_id IS NOT NULL AND t.mailbox_id IN (SELECT id FROM mail_accounts WHERE label = ? COLLATE NOCASE "
                "OR from_address = ? COLLATE NOCASE)", [value, value])
    raise ValueError(f"unknown field (one of {', '.join(f + ':' for f in FIELDS)})")


def parse(text: str, actor: str, *, tags: dict[str, int] | None = None, now: str = "",
          customers: Callable[[str], int] | None = None, probe: tuple[int, int] | None = None,
          strict: bool = False, mailboxes: Sequence[str] | None = None,
          reply_due: ReplyDue | None = None) -> ParsedQuery:
    """Parse the search text (terms joined by ``OR`` match when any of them
    does; OR binds tighter than the space between terms). An ``OR`` with no
    term on one side is the word "or" while typing, and a problem when
    ``strict`` (a saved rule); ``tags`` (when given) are the known tag names
    with how many tickets carry each: a mistyped tag is explained rather than
    finding nothing, and a common tag is searched the way that is fast for it.
    ``customers`` counts the customers a ``from:`` phrase matches, for the same
    reason. ``mailboxes`` (when given): the mailbox names, to explain a
    mistyped ``mailbox:``. ``reply_due`` turns ``due:`` / ``is:overdue`` into
    SQL from the file's targets and business hours (without it they are only checked)."""
    parsed = ParsedQuery()
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text or "")
    groups: list[list[_Term]] = []  # each group: terms joined by OR (most groups hold one)
    joining: str | None = None  # the OR token waiting for the term after it
    for match in _TOKEN.finditer(text):
        negated, name, phrase, bare = match.group(1) == "-", match.group(2), match.group(3), match.group(4)
        token = match.group(0)
        value = phrase if phrase is not None else bare
        if token == "OR" and (strict or (joining is None and groups)):
            if joining is not None or not groups:
                parsed.problems.append(Problem(token, "OR needs a term on each side (a OR b)"))
            joining = token
            continue
        term: _Term | None = None
        if name is not None:
            if not value:
                parsed.problems.append(Problem(token, f"{name}: needs a value"))
                continue
            try:
                sql, params = _condition(name.lower(), value, actor, tags, now or clock.now_iso(), customers,
                                         mailboxes, reply_due)
            except ValueError as error:
                parsed.problems.append(Problem(token, str(error)))
                continue
            term = _Term(negated, condition=(f"NOT ({sql})" if negated else sql, params), name=name.lower())
            if name.lower() == "is" and not negated:
                term.marks.add(f"is:{value.lower()}")  # is:merged brings back merged tickets; is:snoozed its order
        elif bare and re.fullmatch(r"[A-Za-z_]+:", bare):
            parsed.problems.append(Problem(token, f"{bare} needs a value"))
            continue
        elif not value or not any(ch.isalnum() for ch in value):
            continue
        else:
            term = _Term(negated, word=(value, phrase is not None))
        if joining is not None and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        joining = None
    if joining is not None and strict and not any(p.token == "OR" for p in parsed.problems):
        parsed.problems.append(Problem(joining, "OR needs a term on each side (a OR b)"))
    elif joining is not None:  # "crushed OR" while typing: the word, as before OR meant anything
        groups.append([_Term(False, word=(joining, False))])
    for group in groups:
        for term in group:
            if term.name:
                parsed.fields.add(term.name)
            parsed.fields.update(term.marks)
        if len(group) > 1:
            parsed.conditions.append(_any_of(group, probe))
        elif group[0].word is not None:
            (parsed.excluded if group[0].negated else parsed.words).append(group[0].word)
        elif group[0].condition is not None:
            parsed.conditions.append(group[0].condition)
    return parsed


@dataclass
class _Term:
    """One term of the search: a word or phrase, or a field's SQL condition."""

    negated: bool
    word: tuple[str, bool] | None = None
    condition: tuple[str, list] | None = None
    name: str | None = None  # the field named
    marks: set[str] = field(default_factory=set)


def _any_of(group: list[_Term], probe: tuple[int, int] | None) -> tuple[str, list]:
    """Terms joined by OR as one SQL condition. A word becomes a search of
    the full-text index with the word quoted (never FTS syntax). ``probe``
    (lowest, highest ticket id): the query checks a few known tickets (rules
    on new mail), so each word is looked up in that rowid range only instead
    of listing every ticket that has it (2.7 ms instead of 16 ms for a batch
    of 50 on 100,000 tickets; a correlated lookup per ticket took 110 ms)."""
    parts: list[str] = []
    params: list = []
    for term in group:
        if term.word is not None:
            lookup = "t.id IN (SELECT rowid FROM ticket_search WHERE ticket_search MATCH ?" + (
                " AND rowid BETWEEN ? AND ?)" if probe else ")")
            parts.append(f"NOT {lookup}" if term.negated else lookup)
            params.append(fts_expression([term.word], prefix_last=False))
            params.extend(probe or ())
        elif term.condition is not None:
            parts.append(f"({term.condition[0]})")
            params.extend(term.condition[1])
    return "(" + " OR ".join(parts) + ")", params


def fts_expression(terms: list[tuple[str, bool]], *, prefix_last: bool) -> str | None:
    """The FTS5 MATCH text for words and phrases, every term quoted."""
    if not terms:
        return None
    parts = ['"' + t.replace('"', '""') + '"' for t, _ in terms]
    # The word being typed matches as a prefix from its third letter on: a
    # one- or two-letter prefix matches nearly every ticket and costs ~80 ms
    # on a million of them (benchmarks/bench_triage.py), for nothing useful.
    # From PREFIX_FROM to 12 letters the prefix is one term of the search
    # index's prefix indexes (schema V6SEARCH), read newest first.
    if prefix_last and not terms[-1][1] and len(terms[-1][0]) >= PREFIX_FROM:
        parts[-1] += "*"
    return " ".join(parts)


def suggestions(tags: Sequence[str] = (), assignees: Sequence[str] = (), mailboxes: Sequence[str] = ()) -> list[str]:
    """What the search box offers as you type: every field and its values."""
    values = ["status:open", "status:pending", "status:resolved", "status:active", "status:all", "assignee:me",
              "assignee:none", "cycle:1", "cycle:2", "policy:none", "is:snoozed", "is:merged", "is:overdue",
              "is:due-soon", "due:today", "due:tomorrow", "waiting:>4h", "waiting:>1d", "waiting:", "due:",
              "before:", "after:",
              "from:", "tag:", "category:", "assignee:", "cycle:", "policy:", "is:", "status:", "mailbox:"]
    values += [f"category:{key}" for key in CATEGORIES]
    values += [f"tag:{name}" if " " not in name else f'tag:"{name}"' for name in tags]
    values += [f"assignee:{name}" if " " not in name else f'assignee:"{name}"' for name in assignees]
    values += [f"mailbox:{name}" for name in mailboxes]  # mailbox names have no spaces
    return values
