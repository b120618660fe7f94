"""The wheel and the sdist are complete: built the way a release is built
(`python -m build`: the sdist first, the wheel from the unpacked sdist), the
wheel installed ALONE into a fresh venv (not editable, nothing from this
checkout on sys.path), and the installed app launched offscreen until its
first painted inbox has its icons (amends/ui/shell/smoke.py).

The source is a copy of the files git knows (tracked, or new and not
ignored), never the working folder itself: setuptools reads a stale
``*.egg-info/SOURCES.txt`` left by an editable install and would put into the
sdist files the configuration no longer names.

Cost, measured on the shared 2-core machine: the build 11–54 s in fresh
build environments, 13 s without (so without: see the fixture); installing
PySide6 and the other dependencies into a fresh venv 22–44 s, which with the
rest went past the 90 s budget. So the dependencies — read from the built
wheel's own ``Requires-Dist``, so a dependency the wheel forgets to declare
is missing there too — are installed once per machine into a cached folder
(keyed by those requirements and the Python version) that the fresh venv
sees through a ``.pth`` file; pip then resolves the wheel against them and
installs the wheel alone (6–18 s). First run on a machine ~60 s, later
~30 s (~55 s at load average 8).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _need_git(what: str) -> None:
    """Skip, saying which of the two is missing, where git cannot list the files."""
    if shutil.which("git") is None:
        pytest.skip(f"git is not installed: cannot tell {what}")
    if not (ROOT / ".git").exists():  # a directory in a clone, a file in a worktree
        pytest.skip(f"{ROOT} is not a git checkout (an unpacked sdist?): cannot tell {what}")


def _tracked(*folders: str) -> set[str]:
    """The files git tracks under ``folders`` (relative to the root)."""
    _need_git("which files the sdist must hold")
    out = subprocess.run(["git", "ls-files", "-z", "--", *folders], cwd=ROOT, capture_output=True, check=True)
    return {name for name in out.stdout.decode("utf-8").split("\0") if name}


def _source_copy(target: Path) -> Path:
    """The files a fresh clone (plus new, not ignored files) would have."""
    _need_git("which files a fresh clone has")
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                         capture_output=True, check=True)
    for name in out.stdout.decode("utf-8").split("\0"):
        if name and (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    return target


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    source = _source_copy(tmp_path_factory.mktemp("source"))
    started = time.perf_counter()
    # --no-isolation: the test venv's setuptools (test extras: the same bound as
    # build-system.requires) instead of two fresh build environments, 13 s
    # against 53 s here; `pip install -e .` in .ci/run still builds isolated.
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    print(f"build: {time.perf_counter() - started:.1f} s")
    return out


def _only(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, f"expected one {pattern} in {folder}: {found}"
    return found[0]


def test_sdist_holds_the_resources_docs_tests_and_licence(dist: Path) -> None:
    sdist = _only(dist, "amends-*.tar.gz")
    with tarfile.open(sdist) as archive:
        top = archive.getnames()[0].split("/")[0]
        names = {name.removeprefix(top + "/") for name in archive.getnames()}
    wanted = _tracked("desktop", "docs", "tests", "packaging", "scripts", "benchmarks") | {
        "LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"}
    missing = sorted(wanted - names)
    assert not missing, f"{sdist.name} lacks {len(missing)} tracked files, e.g. {missing[:10]}"


def test_wheel_holds_every_resource(dist: Path) -> None:
    wheel = _only(dist, "amends-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    resources = {name.removeprefix("desktop/") for name in _tracked("desktop/amends/resources")}
    assert resources, "no resources tracked under desktop/amends/resources"
    missing = sorted(resources - names)
    assert not missing, f"{wheel.name} lacks {missing}"
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), "the wheel carries no LICENSE"


def _requirements(wheel: Path) -> list[str]:
    """The wheel's run-time requirements (Requires-Dist without extras)."""
    with zipfile.ZipFile(wheel) as archive:
        meta = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        lines = archive.read(meta).decode("utf-8").splitlines()
    return sorted(line.split(":", 1)[1].strip() for line in lines
                  if line.startswith("Requires-Dist:") and "extra ==" not in line)


def _dependency_layer(requirements: list[str]) -> Path:
    """A folder with the wheel's dependencies installed, built once per
    machine and requirement set (see the module docstring for why)."""
    key = hashlib.sha256("\n".join([*requirements, sys.version, platform.platform()]).encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "amends-tests"
    layer = cache / f"wheel-deps-{key}"
    if (layer / ".complete").exists():
        return layer
    cache.mkdir(parents=True, exist_ok=True)
    building = cache / f"wheel-deps-{key}.{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--target", str(building), *requirements],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    (building / ".complete").write_text("\n".join(requirements), encoding="utf-8")
    try:
        building.rename(layer)
    except OSError:  # another run finished first: use its layer
        shutil.rmtree(building, ignore_errors=True)
    return layer


def test_the_wheel_alone_installs_and_the_app_paints_its_inbox_with_icons(dist: Path, tmp_path: Path) -> None:
    wheel = _only(dist, "amends-*.whl")
    started = time.perf_counter()
    layer = _dependency_layer(_requirements(wheel))
    print(f"dependencies: {time.perf_counter() - started:.1f} s")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "amends-test-dependencies.pth").write_text(f"{layer}\n", encoding="utf-8")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Successfully installed amends-" in done.stdout, done.stdout[-3000:]
    print(f"install: {time.perf_counter() - started:.1f} s")

    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "AMENDS_", "VIRTUAL_ENV"))}
    home = tmp_path / "home"
    env.update(QT_QPA_PLATFORM="offscreen", AMENDS_HOME=str(home), AMENDS_SMOKE_TEST="1",
               XDG_CONFIG_HOME=str(home / "xdg-config"), XDG_DATA_HOME=str(home / "xdg-data"))
    where = subprocess.run([str(python), "-c", "import amends, sys; print(amends.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(env_dir), f"amends imported from {where}, not from the fresh venv"

    amends = env_dir / ("Scripts/amends.exe" if os.name == "nt" else "bin/amends")
    version = subprocess.run([str(amends), "--version"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("amends "), version.stderr

    started = time.perf_counter()
    app = subprocess.run([str(amends)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    print(f"launch: {time.perf_counter() - started:.1f} s")
    assert "crash dialog" not in app.stderr, app.stderr[-3000:]
    assert app.returncode == 0, f"status {app.returncode}\n{app.stdout}\n{app.stderr[-3000:]}"
    assert "smoke: ok " in app.stdout, app.stdout
    assert "icons=6/6 app_icon=yes" in app.stdout and "svg_resources=0 " not in app.stdout, app.stdout
    assert "desktop_id=io.amends.Amends " in app.stdout, app.stdout  # the window finds its .desktop entry
    assert " panes=4" in app.stdout, app.stdout  # every pane opened, with what it imports
    log = (home / "log" / "amends.log").read_text(encoding="utf-8")
    for text in (app.stderr, log):
        for sign in ("missing resource", "No such file", "Cannot open", "Traceback", " ERROR "):
            assert sign not in text, f"{sign!r} in the app's output or log:\n{text[-3000:]}"
