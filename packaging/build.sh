#!/usr/bin/env bash
# Builds the one-folder app with cx_Freeze (packaging/freeze.py says why not
# PyInstaller) into dist/amends/ (macOS: also dist/Amends.app) and smoke-tests
# the result. Never a one-file build. From the repository root:
#     bash packaging/build.sh
# Needs Python 3.11+; everything else goes into build/bundle/venv. Windows
# (Git Bash) and macOS run the same script and the same spec.
#
# The smoke test: `amends --version` says the package's version; the app,
# launched offscreen on a fresh temporary database, shows its main window,
# paints its inbox with icons, finds Qt's German translation ("Abbrechen")
# and exits cleanly (AMENDS_SMOKE_TEST, desktop/amends/ui/shell/smoke.py);
# every pane opens (so no module it needs was left out); the icons and the
# resources are in the folder. Then it prints the size
# (folder and .tar.gz) and the start time to the first painted inbox beside
# the same app installed from source into the build venv.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
work="${AMENDS_BUILD_DIR:-$root/build/bundle}"
dist="${AMENDS_DIST_DIR:-$root/dist}"
python="${PYTHON:-python3}"
case "$(uname -s)" in
    MINGW*|MSYS*|CYGWIN*) bin=Scripts; exe=.exe ;;
    *) bin=bin; exe= ;;
esac

echo "== build venv ($work/venv): the app (not editable) and cx_Freeze"
"$python" -m venv "$work/venv"
venv_python="$work/venv/$bin/python$exe"
"$venv_python" -m pip install -q "$root" "cx-freeze>=8,<9"

echo "== icons from desktop/amends/resources/icons/amends.svg"
export AMENDS_ICONS="$work/icons"
QT_QPA_PLATFORM=offscreen "$venv_python" packaging/icons.py "$AMENDS_ICONS" > /dev/null

echo "== cx_Freeze (one folder)"
app="$dist/amends"
rm -rf "$app"
mkdir -p "$work/freeze"
# From an empty folder: setuptools under cx_Freeze must not read our pyproject.toml.
(cd "$work/freeze" && "$venv_python" "$root/packaging/freeze.py" build_exe --build-exe="$app" > "$work/freeze.log" 2>&1) ||
    { tail -40 "$work/freeze.log" >&2; exit 1; }
tail -1 "$work/freeze.log"
if [ "$(uname -s)" = Darwin ]; then
    (cd "$work/freeze" && "$venv_python" "$root/packaging/freeze.py" bdist_mac >> "$work/freeze.log" 2>&1)
    rm -rf "$dist/Amends.app" && mv "$work/freeze/build/Amends.app" "$dist/"
fi
program="$app/amends$exe"

echo "== smoke test"
fail() { echo "build.sh: SMOKE TEST FAILED: $*" >&2; exit 1; }
want="amends $("$venv_python" -c 'import amends; print(amends.__version__)')"
got="$("$program" --version)"
[ "$got" = "$want" ] || fail "--version said '$got', the package is '$want'"
ls "$app"/lib/amends/resources/icons/ui/*.svg > /dev/null 2>&1 || fail "no icons under lib/amends/resources"
qm="$(find "$app" -name 'qtbase_de.qm' | head -1)"
[ -n "$qm" ] || fail "Qt's German translation (qtbase_de.qm) is not in the folder"
home="$(mktemp -d)"
trap 'rm -rf "$home"' EXIT
smoke="$(env -u PYTHONPATH -u PYTHONHOME QT_QPA_PLATFORM=offscreen AMENDS_SMOKE_TEST=1 AMENDS_HOME="$home" \
    AMENDS_DB="$home/fresh.db" "$program" 2> "$home/stderr")" || { cat "$home/stderr" >&2; fail "the app exited with $?"; }
echo "$smoke"
case "$smoke" in
    *"smoke: ok "*"window=shown"*"icons=6/6 app_icon=yes"*"qt_de_cancel=Abbrechen"*"panes=4"*) ;;
    *) cat "$home/stderr" >&2; fail "the app did not report a shown window with icons and German Qt texts" ;;
esac
[ -f "$home/fresh.db" ] || fail "the app did not create the fresh database"
if grep -E "missing resource|No such file|Cannot open|Traceback" "$home/stderr" "$home/log/amends.log"; then
    fail "warnings in the app's output or log"
fi

echo "== desktop files: $app/xdg (its contents go to ~/.local/share or /usr/share)"
mkdir -p "$app/xdg/applications" "$app/xdg/metainfo" "$app/xdg/icons"
cp packaging/io.amends.Amends.desktop "$app/xdg/applications/"
cp packaging/io.amends.Amends.metainfo.xml "$app/xdg/metainfo/"
cp -r "$AMENDS_ICONS/hicolor" "$app/xdg/icons/"

echo "== figures"
size="$(du -sm "$app" | cut -f1)"
tar -C "$dist" -czf "$work/amends-bundle.tar.gz" amends
packed="$(du -sm "$work/amends-bundle.tar.gz" | cut -f1)"
"$venv_python" -m amends demo --db "$home/demo.db" --tickets 5000 > /dev/null
wall_ms() {  # wall time of one start to the first painted inbox (the app quits there), from the process start
    local started
    started=$(date +%s%N)
    env QT_QPA_PLATFORM=offscreen AMENDS_STARTUP_PROBE=1 AMENDS_HOME="$home" "$@" --db "$home/demo.db" > /dev/null 2>&1
    echo $(( ($(date +%s%N) - started) / 1000000 ))
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
# Alternated, so both see the same load on a shared machine; the first start of each is a warm-up.
wall_ms "$program" > /dev/null; wall_ms "$work/venv/$bin/amends$exe" > /dev/null
: > "$work/bundle.ms"; : > "$work/source.ms"
for _ in 1 2 3 4 5 6 7; do
    wall_ms "$program" >> "$work/bundle.ms"
    wall_ms "$work/venv/$bin/amends$exe" >> "$work/source.ms"
done
echo "bundle: $app  ${size} MB  (${packed} MB as .tar.gz)"
echo "start to first painted inbox, 5,000 tickets (median of 7, wall time): bundle $(median < "$work/bundle.ms") ms," \
     "source install $(median < "$work/source.ms") ms (load average: $(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo ?))"
