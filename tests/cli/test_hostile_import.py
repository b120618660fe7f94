"""A corpus of hostile import files, for every importer we own (the Amends
exchange format, tickets and customers CSV, Zendesk, Help Scout, Freshdesk),
fed to the real ``amends import`` process.

Every file must end as an import or as problems that name the record, the
field and the reason — never "internal error" — and a refused file must
leave the database exactly as it was. That last part is checked by
importing only the accepted files again into a fresh database (a second
process) and comparing every table: a refused file that wrote anything
would show up as a difference.

The corpus: each field of a valid record replaced by each hostile value
(wrong JSON types, years 1 and 9999 with offsets, lone surrogates, huge
integers, "²", NaN and Infinity, 200 KB text), plus whole-file kinds (deep
JSON, odd-length UTF-16, a 5,000-digit number, duplicate refs, two policies
with the same scope). By default a deterministic sample of about 60 files per
importer; ``--trials N`` takes N per importer.
"""

from __future__ import annotations

import copy
import json
import random
import sqlite3
from pathlib import Path

import pytest
from amends.core.workspace import open_database

from tests.cli.test_cli import amends
from tests.conftest import ACTOR

T = "2026-01-02T10:00:00Z"
EARLY = "0001-01-01T00:30:00+01:00"
LATE = "9999-12-31T23:30:00-01:00"
NAN, INF = float("nan"), float("inf")
HOSTILE = [None, True, 0, -1, 10**30, 1.5, NAN, INF, -INF, "", "²", "\ud800", "x" * 200_000, [], {},
           [[[[[[]]]]]], EARLY, LATE, "0001-01-01", "9999-12-31"]

AMENDS = {
    "format": "amends", "version": 1,
    "customers": [{"ref": "c1", "email": "ada@example.com", "name": "Ada",
                   "subscription": {"plan": "Monthly", "started_at": "2026-01-01T00:00:00Z", "cycle_days": 30,
                                    "status": "active"}}],
    "policies": [{"ref": "p1", "name": "Damage, first cycle", "category": "damaged_shipment",
                  "segment": "first_cycle", "versions": [{
                      "version": 1, "published_at": "2026-01-01T00:00:00Z", "note": "n",
                      "steps": [{"type": "check_in", "days": 7},
                                {"type": "save_offer", "offer_kind": "percent_next_cycle", "min": 0, "max": 15}]}]}],
    "tickets": [{"ref": "t1", "subject": "Box crushed", "category": "damaged_shipment", "status": "resolved",
                 "priority": 1, "assignee": "Sam", "created_at": T, "updated_at": T, "customer": "c1",
                 "snoozed_until": None, "tags": ["fragile"],
                 "messages": [{"direction": "in", "author": "Ada", "at": T, "body": "It arrived crushed"}],
                 "resolution": {"at": "2026-01-03T00:00:00Z", "actor": "Sam", "policy": "p1", "policy_version": 1,
                                "steps": [{"index": 0, "type": "check_in", "outcome": "done"},
                                          {"index": 1, "type": "save_offer", "outcome": "done"}],
                                "offer": {"kind": "percent_next_cycle", "value": 10}}}],
    "tags": [{"name": "fragile", "colour": "#aabbcc"}],
    "saved_replies": [{"name": "Sorry", "body": "We are sorry."}],
}
ZENDESK = {
    "tickets": [{"id": 1, "subject": "Box crushed", "status": "open", "priority": "normal", "created_at": T,
                 "updated_at": T, "requester_id": 10, "assignee_id": 11, "tags": ["damaged_shipment"],
                 "type": "problem", "description": "It arrived crushed"}],
    "users": [{"id": 10, "email": "ada@example.com", "name": "Ada", "role": "end-user"},
              {"id": 11, "name": "Sam", "role": "agent"}],
    "comments": [{"id": 5, "ticket_id": 1, "author_id": 10, "created_at": T, "public": True, "plain_body": "hi"}],
    "audits": [{"ticket_id": 1, "created_at": T, "author_id": 11,
                "events": [{"type": "Comment", "id": 6, "body": "On its way", "public": True}]}],
}
HELPSCOUT = {"_embedded": {"conversations": [{
    "id": 1, "subject": "Box crushed", "status": "active", "createdAt": T, "userUpdatedAt": T,
    "primaryCustomer": {"email": "ada@example.com", "first": "Ada", "last": "Okafor"},
    "assignee": {"first": "Sam", "last": "Lee"}, "tags": [{"tag": "billing"}],
    "_embedded": {"threads": [{"id": 3, "type": "customer", "createdAt": T, "body": "<p>hi</p>",
                               "createdBy": {"type": "customer", "first": "Ada", "email": "ada@example.com"}}]}}]}}
FRESHDESK = {
    "tickets": [{"id": 1, "subject": "Box crushed", "status": 2, "priority": 2, "created_at": T, "updated_at": T,
                 "requester": {"email": "ada@example.com", "name": "Ada"}, "description_text": "crushed",
                 "tags": ["billing"], "type": "Question",
                 "conversations": [{"id": 9, "body_text": "sorry", "created_at": T, "incoming": False,
                                    "private": False, "from_email": "sam@shop.example"}]}],
    "conversations": [{"id": 10, "ticket_id": 1, "body_text": "thanks", "created_at": T, "incoming": True}],
}
JSON_BASES = {"amends": AMENDS, "zendesk": ZENDESK, "helpscout": HELPSCOUT, "freshdesk": FRESHDESK}

CSV_HOSTILE = ["", "²", "NaN", "inf", "-Infinity", "1e400", "9" * 30, "-1", EARLY, LATE, "0001-01-01", "9999-12-31",
               "x" * 200_000, '"unclosed', "\x00", "=cmd()", "\u202egnp.exe", "a\nb"]
CSV_BASES = {
    "csv": (["ref", "subject", "body", "category", "status", "priority", "assignee", "created_at", "updated_at",
             "customer_email", "customer_name", "customer_ref"],
            ["T-1", "Box crushed", "It arrived crushed", "damaged_shipment", "open", "high", "Sam", T, T,
             "ada@example.com", "Ada", "c1"]),
    "customers": (["ref", "email", "name", "plan", "started_at", "cycle_days", "status", "cancelled_at"],
                  ["c1", "ada@example.com", "Ada", "Monthly", "2026-01-01", "30", "cancelled", "2026-03-01"]),
}


def _paths(node, prefix=()):
    """Every place in a JSON document: (path, value)."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


def _replaced(doc, path, value):
    if not path:
        return copy.deepcopy(value)
    doc = copy.deepcopy(doc)
    node = doc
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = copy.deepcopy(value)
    return doc


def _json_bytes(doc) -> bytes:
    # ensure_ascii: a lone surrogate is written as \ud800, as other tools write it
    return json.dumps(doc, ensure_ascii=True).encode()


def _csv_line(cells: list[str]) -> str:
    return ",".join('"' + c.replace('"', '""') + '"' if c and not c.startswith('"') else c for c in cells)


def corpus(fmt: str, size: int) -> list[tuple[str, bytes]]:
    """(name, content) of hostile files for one importer."""
    rng = random.Random(fmt)
    files: list[tuple[str, bytes]] = []
    if fmt in JSON_BASES:
        base = JSON_BASES[fmt]
        combos = [(p, i) for p, _ in _paths(base) for i in range(len(HOSTILE))]
        for path, index in rng.sample(combos, min(size, len(combos))):
            files.append((f"{'.'.join(map(str, path)) or 'root'}={index}",
                          _json_bytes(_replaced(base, path, HOSTILE[index]))))
        whole = _json_bytes(base)
        files += [("deep", b'{"tickets": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
                  ("deep-object", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
                  ("huge-number", whole.replace(b'"id": 1,', b'"id": ' + b"7" * 5000 + b",", 1)
                   .replace(b'"priority": 1,', b'"priority": ' + b"7" * 5000 + b",", 1)),
                  ("utf16-odd", whole.decode().encode("utf-16")[:-1]),
                  ("utf16", whole.decode().encode("utf-16")),
                  ("nan-literal", whole.replace(b"10", b"NaN")), ("inf-literal", whole.replace(b"10", b"Infinity")),
                  ("empty", b""), ("bom-only", b"\xef\xbb\xbf"), ("list", b"[1, 2]"), ("string", b'"x"')]
        twice = copy.deepcopy(base)
        if fmt == "amends":
            twice["tickets"].append(copy.deepcopy(twice["tickets"][0]))
            scope = copy.deepcopy(base)
            scope["policies"].append(dict(copy.deepcopy(base["policies"][0]), ref="p2"))
            files.append(("same-scope", _json_bytes(scope)))
        elif fmt == "helpscout":
            twice["_embedded"]["conversations"].append(copy.deepcopy(twice["_embedded"]["conversations"][0]))
        else:
            twice["tickets"].append(copy.deepcopy(twice["tickets"][0]))
        files.append(("duplicate-ref", _json_bytes(twice)))
        return files
    header, row = CSV_BASES[fmt]
    combos = [(c, i) for c in range(len(header)) for i in range(len(CSV_HOSTILE))]
    for column, index in rng.sample(combos, min(size, len(combos))):
        cells = list(row)
        cells[column] = CSV_HOSTILE[index]
        files.append((f"{header[column]}={index}", (_csv_line(header) + "\n" + _csv_line(cells) + "\n").encode()))
    good = _csv_line(header) + "\n" + _csv_line(row) + "\n"
    files += [("utf16-odd", good.encode("utf-16")[:-1]), ("utf16", good.encode("utf-16")),
              ("duplicate-ref", (good + _csv_line(row) + "\n").encode()), ("header-only", header[0].encode()),
              ("empty", b""), ("bom-only", b"\xef\xbb\xbf"), ("cp1252", good.replace("Ada", "Zoë").encode("cp1252")),
              ("surrogate-bytes", good.replace("Ada", "\ud800").encode("utf-8", "surrogatepass")),
              ("nul", good.replace("Ada", "A\x00da").encode())]
    return files


TABLES = ("tickets", "messages", "customers", "subscriptions", "policies", "policy_versions", "policy_steps",
          "policy_draft_steps", "resolutions", "resolution_steps", "tags", "ticket_tags", "saved_replies",
          "ticket_search", "followups")


def _tables(path: Path) -> dict:
    raw = sqlite3.connect(path)
    try:
        return {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        raw.close()


def _strict(text: str) -> object:
    def refuse(constant: str):
        raise AssertionError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def _import(db: Path, fmt: str, files: list[Path]) -> tuple[list[dict], str]:
    result = amends("--db", str(db), "import", "--format", fmt, "--json", *map(str, files), timeout=600)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.returncode in (0, 1), result.stderr[-2000:]
    return _strict(result.stdout)["files"], result.stderr


@pytest.mark.parametrize("fmt", ["amends", "csv", "customers", "zendesk", "helpscout", "freshdesk"])
def test_hostile_files_are_imported_or_explained_and_refusals_write_nothing(tmp_path, trials, fmt):
    folder = tmp_path / "corpus"
    folder.mkdir()
    suffix = ".csv" if fmt in CSV_BASES else ".json"
    files = []
    for number, (name, content) in enumerate(corpus(fmt, trials or 60)):
        path = folder / f"{number:04d}-{''.join(c if c.isalnum() else '_' for c in name)[:60]}{suffix}"
        path.write_bytes(content)
        files.append(path)
    reports, _ = _import(tmp_path / "all.db", fmt, files)
    assert [Path(r["path"]).name for r in reports] == [f.name for f in files]
    accepted = []
    for report, path in zip(reports, files):
        if report["written"]:
            assert not report["errors"], path.name
            accepted.append(path)
            continue
        assert report["errors"], f"{path.name}: neither imported nor explained"
        for error in report["errors"]:
            assert isinstance(error["record"], int) and error["record"] >= 0, (path.name, error)
            assert isinstance(error["field"], str) and error["reason"].strip(), (path.name, error)
    names = {p.name.split("-", 1)[1].rsplit(".", 1)[0] for p in files if p not in accepted}
    assert {"utf16_odd", "duplicate_ref"} <= names, "these kinds are always refused"
    if fmt == "amends":
        assert {"same_scope", "nan_literal", "inf_literal", "deep", "huge_number"} <= names
    if fmt in CSV_BASES:
        assert "utf16" not in names, "a whole UTF-16 file with a BOM imports"
    replay = tmp_path / "replay.db"
    open_database(replay, ACTOR).close()  # what a new file holds before any import
    if accepted:
        again, _ = _import(replay, fmt, accepted)
        assert all(r["written"] for r in again)
    assert _tables(tmp_path / "all.db") == _tables(replay), "a refused file changed the database"
