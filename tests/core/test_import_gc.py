"""An import pauses Python's cycle collector while it works (issue 16: a
big file's millions of small objects made every full collection walk them
all again) and always resumes it: after a good import, after a refused one,
after one that raised."""

from __future__ import annotations

import gc

import pytest
from amends.core import importers
from amends.core.errors import ValidationError


def test_the_collector_runs_again_after_every_import(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,subject,body,category,created_at\n"
                    "c1,Box crushed,The box was crushed.,damaged_shipment,2026-11-01T09:00:00Z\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("id,subject,body,category,created_at\nc2,,,nope,yesterday\n")
    assert gc.isenabled()
    assert importers.import_file(db, good, "csv").written
    assert gc.isenabled()
    assert not importers.import_file(db, bad, "csv").written
    assert gc.isenabled()
    with pytest.raises(ValidationError):
        importers.import_file(db, tmp_path / "missing.csv", "csv")
    assert gc.isenabled()


def test_a_caller_that_paused_it_finds_it_paused(db, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("id,subject,body,category,created_at\n"
                    "c3,Late,Where is it?,late_delivery,2026-11-01T09:00:00Z\n")
    gc.disable()
    try:
        importers.import_file(db, good, "csv")
        assert not gc.isenabled()
    finally:
        gc.enable()
