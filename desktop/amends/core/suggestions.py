"""A category suggested for a ticket no rule sorted, learnt from the
founder's own categorised tickets. Shown in the ticket view with one click
to accept; never applied by itself (a wrong category would pick the wrong
recovery checklist without anyone noticing).

The method is multinomial naive Bayes over the words each ticket uses
(counted once per ticket: "binarized" NB, which suits short texts), with
add-one smoothing. Why this one: it trains in one pass over the tickets,
needs no library (a few dozen lines of counting), predicts in well under a
millisecond per ticket, explains itself (the words that weighed most), and
is a strong baseline for short-text topic classification (Wang & Manning,
"Baselines and Bigrams", 2012). Measured on held-out demo tickets in
docs/SUGGESTIONS.md; the per-ticket cost in benchmarks/bench_suggestions.py.

The model is built from the newest :data:`TRAIN_LIMIT` categorised tickets
and cached per database file; it is rebuilt when tickets were added or
categorised since, at most every :data:`REFRESH_SECONDS` (a few
categorisations more or less do not change a suggestion).
"""

from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from amends.core import audit, tickets
from amends.core.store import Database

TRAIN_LIMIT = 20_000
REFRESH_SECONDS = 300.0
MIN_CONFIDENCE = 0.6   # the posterior a suggestion needs (below: no suggestion)
MIN_KNOWN_WORDS = 2    # words the model has seen, in the ticket
MIN_EXAMPLES = 5       # categorised tickets needed before anything is suggested
TELLING = math.log(3)  # a word that is 3x likelier in the category than elsewhere speaks for it
MIN_TELLING_WORDS = 2  # such words a suggestion needs (docs/SUGGESTIONS.md: 1 or 2, measured)
_WORD = re.compile(r"[^\W\d_][\w']+", re.UNICODE)
_STOP = frozenset(["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have", "hi", "hello", "i", "i'm", "in", "is", "it", "it's", "its", "me", "my", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "this", "to", "too", "was", "we", "were", "what", "when", "with", "you", "your", "yours", "thanks", "thank", "best", "regards", "cheers", "please"])


def words(text: str) -> set[str]:
    """The words a text uses (lower case, two letters or more, common words
    and quoted reply lines left out)."""
    kept = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    return {w for w in (m.group(0).lower().strip("'") for m in _WORD.finditer(kept)) if len(w) > 1} - _STOP


@dataclass(frozen=True)
class Suggestion:
    ticket_id: int
    category: str
    confidence: float           # the model's probability for it (0-1)
    because: tuple[str, ...]    # the words that weighed most for it


@dataclass
class Model:
    """Log priors and per-word log likelihoods for each category."""

    categories: tuple[str, ...]
    log_prior: list[float]
    log_word: dict[str, list[float]]
    log_unseen: list[float]
    examples: int
    built_at: float = field(default_factory=time.monotonic)
    fingerprint: tuple = ()

    def predict(self, found: Iterable[str]) -> tuple[str, float, tuple[str, ...]] | None:
        """(category, probability, reasons) for a ticket's words, or None when
        the model has too little to go on."""
        if self.examples < MIN_EXAMPLES or not self.categories:
            return None
        known = [w for w in found if w in self.log_word]
        if len(known) < MIN_KNOWN_WORDS:
            return None
        scores = list(self.log_prior)
        for w in known:
            row = self.log_word[w]
            for i in range(len(scores)):
                scores[i] += row[i]
        top = max(range(len(scores)), key=scores.__getitem__)
        peak = scores[top]
        probability = 1.0 / sum(math.exp(s - peak) for s in scores)
        if probability < MIN_CONFIDENCE:
            return None
        others = [i for i in range(len(scores)) if i != top]

        def weight(w: str) -> float:
            """How much likelier the word is in the top category than in the others on average."""
            row = self.log_word[w]
            if not others:
                return math.inf
            peak_other = max(row[i] for i in others)
            return row[top] - (peak_other + math.log(sum(math.exp(row[i] - peak_other) for i in others) / len(others)))

        # A guess resting only on words every category uses (names, "order") is no guess.
        telling = sorted((w for w in known if weight(w) >= TELLING), key=lambda w: (-weight(w), w))
        if len(telling) < MIN_TELLING_WORDS:
            return None
        because = tuple(telling[:3])
        return self.categories[top], probability, because


def train(examples: Iterable[tuple[str, set[str]]]) -> Model:
    """A model from (category, words) pairs."""
    per_category: dict[str, Counter[str]] = {}
    documents: Counter[str] = Counter()
    for category, found in examples:
        per_category.setdefault(category, Counter()).update(found)
        documents[category] += 1
    categories = tuple(sorted(per_category))
    vocabulary = set().union(*per_category.values()) if per_category else set()
    total = sum(documents.values())
    log_prior = [math.log(documents[c] / total) for c in categories]
    denominators = [math.log(sum(per_category[c].values()) + len(vocabulary) + 1) for c in categories]
    log_word = {w: [math.log(per_category[c][w] + 1) - denominators[i] for i, c in enumerate(categories)]
                for w in vocabulary}
    return Model(categories, log_prior, log_word, [-d for d in denominators], total)


def ticket_text(db: Database, ticket_ids: list[int]) -> dict[int, str]:
    """Subject and the customer's own messages (not our replies), per ticket."""
    if not ticket_ids:
        return {}
    marks = ",".join("?" * len(ticket_ids))
    text = {tid: subject for tid, subject in db.tuples(f"SELECT id, subject FROM tickets WHERE id IN ({marks})",
                                                         ticket_ids)}
    for tid, body in db.tuples(f"SELECT ticket_id, body FROM messages WHERE ticket_id IN ({marks}) AND "
                               "direction = 'in' AND flag IS NULL ORDER BY id", ticket_ids):
        text[tid] = f"{text.get(tid, '')}\n{body}"
    return text


def examples_from(db: Database, *, limit: int = TRAIN_LIMIT, before_id: int | None = None) -> list[tuple[str, set[str]]]:
    """The newest categorised tickets (not ``other``) as training examples;
    ``before_id`` keeps newer tickets out (a held-out evaluation)."""
    rows = db.tuples("SELECT id, category FROM tickets WHERE category <> 'other' AND merged_into IS NULL "
                     "AND id < ? ORDER BY id DESC LIMIT ?", (before_id or 1 << 62, limit))
    found: list[tuple[str, set[str]]] = []
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        text = ticket_text(db, [r[0] for r in chunk])
        found += [(category, words(text.get(tid, ""))) for tid, category in chunk]
    return found


_CACHE: dict[str, Model] = {}


def _fingerprint(db: Database) -> tuple:
    """Cheap signs that the categorised tickets changed: the newest ticket and
    the newest audit entry (every category change is audited)."""
    return (db.scalar("SELECT coalesce(max(id), 0) FROM tickets"),
            db.scalar("SELECT coalesce(max(id), 0) FROM audit_log"))


def cached(db: Database) -> tuple[Model | None, bool]:
    """The model already built for this file (None: none yet) and whether it
    should be rebuilt: the app shows suggestions from it at once and rebuilds
    off the UI thread (:func:`model_for`)."""
    model = _CACHE.get(str(db.path))
    if model is None:
        return None, True
    return model, time.monotonic() - model.built_at >= REFRESH_SECONDS and model.fingerprint != _fingerprint(db)


def model_for(db: Database, *, fresh: bool = False) -> Model:
    """The cached model of this database file, rebuilt when it is stale."""
    model, stale = cached(db)
    if model is not None and not fresh and not stale:
        return model
    model = train(examples_from(db))
    model.fingerprint = _fingerprint(db)
    _CACHE[str(db.path)] = model
    return model


def suggest(db: Database, ticket_id: int, model: Model | None = None) -> Suggestion | None:
    """A category for a ticket still in ``other``; None when it has another
    category already or the model is not sure enough."""
    row = db.one("SELECT category FROM tickets WHERE id = ?", (ticket_id,))
    if row is None or row["category"] != "other":
        return None
    text = ticket_text(db, [ticket_id]).get(ticket_id, "")
    found = (model or model_for(db)).predict(words(text))
    if found is None:
        return None
    category, confidence, because = found
    return Suggestion(ticket_id, category, round(confidence, 3), because)


def accept(db: Database, suggestion: Suggestion, expected_version: int) -> int:
    """The person clicked the suggestion: set the category (audited as an
    ordinary edit, with where it came from). Returns the new version."""
    with db.transaction():  # the edit and where it came from: one transaction
        version = tickets.update(db, suggestion.ticket_id, expected_version, category=suggestion.category)
        record_accepted(db, suggestion)
    return version


def record_accepted(db: Database, suggestion: Suggestion) -> None:
    """Note on the ticket that its category came from a suggestion (the app
    makes the edit itself, undoably, then calls this)."""
    with db.transaction() as conn:
        audit.record(conn, db.actor, "ticket", suggestion.ticket_id, "suggestion_accepted",
                     {"category": suggestion.category, "confidence": suggestion.confidence,
                      "because": list(suggestion.because)})
