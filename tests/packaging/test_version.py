"""One version: ``amends.__version__`` is what `amends --version` prints,
the newest dated section of CHANGELOG.md and the newest <release> of the
AppStream metainfo; the changelog is in Keep a Changelog form and its dated
sections are the metainfo's releases; the licence is MIT everywhere.
(The About dialog: tests/ui/shell/test_about.py.)"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

from amends import __version__

ROOT = Path(__file__).resolve().parents[2]
METAINFO = ROOT / "packaging" / "io.amends.Amends.metainfo.xml"
SECTION = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?\s*$")


def _changelog_sections() -> list[tuple[str, str | None]]:
    sections, problems = [], []
    for number, line in enumerate((ROOT / "CHANGELOG.md").read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("## "):
            match = SECTION.match(line)
            if match is None:
                problems.append(f"CHANGELOG.md line {number}: {line!r} is not '## [X.Y.Z] - YYYY-MM-DD'")
            else:
                sections.append((match["name"], match["date"]))
    assert not problems, "\n".join(problems)
    return sections


def test_changelog_is_keep_a_changelog_with_unreleased_on_top() -> None:
    sections = _changelog_sections()
    assert sections[0] == ("Unreleased", None), f"the first section is {sections[0]}, not [Unreleased]"
    for name, date in sections[1:]:
        assert re.fullmatch(r"\d+\.\d+\.\d+", name) and date, f"[{name}] needs a version and a date"
    dates = [date for _, date in sections[1:]]
    assert dates == sorted(dates, reverse=True), "releases are listed newest first"


def test_version_agrees_everywhere() -> None:
    released = [(name, date) for name, date in _changelog_sections() if name != "Unreleased"]
    releases = [(r.get("version"), r.get("date")) for r in ET.parse(METAINFO).getroot().findall("releases/release")]
    assert releases == released, f"metainfo <releases> {releases} are not CHANGELOG.md's {released}"
    assert released[0][0] == __version__, f"CHANGELOG.md's newest release is {released[0][0]}, __version__ {__version__}"
    done = subprocess.run([sys.executable, "-m", "amends", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"amends {__version__}", done.stdout + done.stderr


def test_the_licence_is_mit_in_spdx_form() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert ET.parse(METAINFO).getroot().findtext("project_license") == "MIT"
