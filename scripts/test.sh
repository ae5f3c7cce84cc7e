#!/usr/bin/env bash
# Pacific's test command: the whole suite, from a fresh clone or an existing target/.
#
#   1. a Python venv at target/interop-venv with the OASIS taxii2-client and stix2-validator
#      (pinned in scripts/interop/requirements.txt; reused while it matches that file)
#   2. real delegation data for the registry's tests: the npm package @ip-location-db/asn-country
#      (pinned in scripts/registry-data/package-lock.json; reused while it matches that file),
#      named by PACIFIC_ASN_COUNTRY_DIR, with PACIFIC_REQUIRE_DATA=1 so that a test missing it
#      fails instead of skipping
#   3. the Rust tests: cargo nextest run --workspace (cargo test --workspace without nextest),
#      then the doctests
#   4. lints: cargo clippy --workspace --all-targets -D warnings (a warning fails the run)
#   5. the interop tests: pytest scripts/interop against a live `pacific node`, the debug
#      target/debug/pacific (the CLI's own tests build it; a release build would be a second
#      build of every dependency, in time and on disk)
#   6. the dashboard in a browser: scripts/ui/run.sh seeds and serves a node, and
#      scripts/ui/dashboard.spec.mjs drives Debian's chromium with playwright-core (installs
#      chromium, nodejs and npm with apt-get when missing; screenshots in target/ui-artefacts)
#
# Exits non-zero if anything fails. The last line is a plain "summary: N passed, N failed".
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

VENV="$ROOT/target/interop-venv"
REQUIREMENTS="$ROOT/scripts/interop/requirements.txt"
LOGS="$ROOT/target/test-logs"
PACIFIC_BIN="$ROOT/target/debug/pacific"
# A CI machine's disk may be small: no incremental caches (they were most of target/debug).
export CARGO_INCREMENTAL=0
START=$SECONDS

PASSED=0
FAILED=0
SKIPPED=0
FAILED_STAGES=()
CURRENT="setup"

section() {
    CURRENT="$1"
    printf '\n==== %s ====\n' "$1"
}

on_exit() {
    local rc=$?
    if [ "$rc" -ne 0 ] && [ "${FINISHED:-0}" -ne 1 ]; then
        printf '\nscripts/test.sh: aborted in "%s" (exit %s) after %ss\n' "$CURRENT" "$rc" "$((SECONDS - START))"
        printf 'summary: %s passed, %s failed\n' "$PASSED" "$((FAILED + 1))"
    fi
}
trap on_exit EXIT

mkdir -p "$LOGS"

# ---------------------------------------------------------------------------------------------
section "Python venv for the interop tests (target/interop-venv)"
PYTHON="$(command -v python3.11 || command -v python3 || true)"
if [ -z "$PYTHON" ]; then
    echo "error: python3 not found; install Python 3.11 with pip and venv" >&2
    exit 1
fi
want="$(sha256sum "$REQUIREMENTS" | cut -d' ' -f1)"
stamp="$VENV/.requirements.sha256"
if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ] \
    && "$VENV/bin/python" -c 'import taxii2client.v21, stix2validator, pytest' 2>/dev/null; then
    echo "reusing $VENV ($("$VENV/bin/python" --version))"
else
    echo "creating $VENV with $PYTHON ($("$PYTHON" --version))"
    rm -rf "$VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        echo "error: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$REQUIREMENTS"
    echo "$want" >"$stamp"
fi
"$VENV/bin/python" -m pip list --disable-pip-version-check 2>/dev/null \
    | grep -Ei '^(taxii2-client|stix2-validator|pytest) ' || true

# ---------------------------------------------------------------------------------------------
# Debian packages by apt-get (as root, or with sudo -n); nothing to do without arguments.
apt_install() {
    local sudo=""
    [ "$#" -gt 0 ] || return 0
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "error: need $*: not root, no sudo" >&2; return 1; }
        sudo="sudo -n"
    fi
    echo "installing $* (apt-get)"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "$@" >/dev/null || return 1
}

section "Registry data: @ip-location-db/asn-country (scripts/registry-data)"
# The registry's tests on real delegations read it; PACIFIC_REQUIRE_DATA=1 makes them fail,
# not skip, when it is missing. A failure here counts as one failed test and the run goes on.
REGISTRY_DATA="$ROOT/scripts/registry-data"
ASN_COUNTRY_DIR="$REGISTRY_DATA/node_modules/@ip-location-db/asn-country"
export PACIFIC_REQUIRE_DATA=1
registry_data() {
    { command -v node && command -v npm; } >/dev/null 2>&1 || apt_install nodejs npm || return 1
    local want stamp="$REGISTRY_DATA/node_modules/.package-lock.sha256"
    want="$(sha256sum "$REGISTRY_DATA/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] \
        || [ ! -s "$ASN_COUNTRY_DIR/asn-country-ipv4.csv" ] || [ ! -s "$ASN_COUNTRY_DIR/asn-country-ipv6.csv" ]; then
        (cd "$REGISTRY_DATA" && timeout 300 npm ci --no-audit --no-fund \
            --cache "$ROOT/target/npm-cache" --prefer-offline) || return 1
        echo "$want" >"$stamp"
    fi
    local f
    for f in asn-country-ipv4.csv asn-country-ipv6.csv; do
        [ -s "$ASN_COUNTRY_DIR/$f" ] || { echo "error: $ASN_COUNTRY_DIR/$f missing after npm ci" >&2; return 1; }
    done
    echo "$ASN_COUNTRY_DIR: $(wc -l <"$ASN_COUNTRY_DIR/asn-country-ipv4.csv") IPv4 and" \
        "$(wc -l <"$ASN_COUNTRY_DIR/asn-country-ipv6.csv") IPv6 ranges"
}
set +e
registry_data 2>&1 | tee "$LOGS/registry-data.log"
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -eq 0 ]; then
    export PACIFIC_ASN_COUNTRY_DIR="$ASN_COUNTRY_DIR"
else
    echo "error: could not install @ip-location-db/asn-country (npm ci in scripts/registry-data," \
        "exit $rc; see target/test-logs/registry-data.log): the registry's real-data tests will fail" >&2
    FAILED=$((FAILED + 1))
    FAILED_STAGES+=("registry data (exit $rc)")
fi

# ---------------------------------------------------------------------------------------------
strip_ansi() { sed -e 's/\x1b\[[0-9;]*[A-Za-z]//g' "$1"; }
# The sum of "N <word>" over libtest's "test result:" lines (0 if there are none).
libtest_count() {
    strip_ansi "$1" | awk -v word="$2" '/^test result:/ {
        for (i = 2; i <= NF; i++) { w = $i; sub(/[;,.]$/, "", w); if (w == word) n += $(i - 1) }
    } END { print n + 0 }'
}
# "N <word>" from nextest's summary line, e.g. "66 tests run: 65 passed, 1 failed, 2 skipped".
nextest_count() {
    strip_ansi "$1" | awk -v word="$2" '/[0-9]+ tests? run:/ { line = $0 } END {
        n = 0; k = split(line, f, /[ ,]+/)
        for (i = 2; i <= k; i++) if (f[i] == word) n = f[i - 1]
        print n + 0
    }'
}

if cargo nextest --version >/dev/null 2>&1; then
    section "Rust tests: cargo nextest run --workspace"
    set +e
    cargo nextest run --workspace --no-fail-fast 2>&1 | tee "$LOGS/rust.log"
    rc=${PIPESTATUS[0]}
    set -e
    # e.g. "Summary [  12.3s] 140 tests run: 139 passed (1 slow), 1 failed, 2 skipped"
    p="$(nextest_count "$LOGS/rust.log" passed)"
    f="$(nextest_count "$LOGS/rust.log" failed)"
    s="$(nextest_count "$LOGS/rust.log" skipped)"
else
    section "Rust tests: cargo test --workspace (cargo-nextest not installed)"
    set +e
    cargo test --workspace --no-fail-fast 2>&1 | tee "$LOGS/rust.log"
    rc=${PIPESTATUS[0]}
    set -e
    p="$(libtest_count "$LOGS/rust.log" passed)"
    f="$(libtest_count "$LOGS/rust.log" failed)"
    s="$(libtest_count "$LOGS/rust.log" ignored)"
fi
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # a build or harness failure counts too
PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
RUST_RESULT="$p passed, $f failed, $s skipped"
[ "$rc" -eq 0 ] || FAILED_STAGES+=("rust tests (exit $rc)")

if cargo nextest --version >/dev/null 2>&1; then
    section "Rust doctests: cargo test --workspace --doc"
    set +e
    cargo test --workspace --doc 2>&1 | tee "$LOGS/doctests.log"
    rc=${PIPESTATUS[0]}
    set -e
    p="$(libtest_count "$LOGS/doctests.log" passed)"
    f="$(libtest_count "$LOGS/doctests.log" failed)"
    s="$(libtest_count "$LOGS/doctests.log" ignored)"
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
    PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
    [ "$rc" -eq 0 ] || FAILED_STAGES+=("doctests (exit $rc)")
fi

# ---------------------------------------------------------------------------------------------
section "Lints: cargo clippy --workspace --all-targets -- -D warnings"
if cargo clippy --version >/dev/null 2>&1; then
    set +e
    cargo clippy --workspace --all-targets --quiet -- -D warnings 2>&1 | tee "$LOGS/clippy.log"
    rc=${PIPESTATUS[0]}
    set -e
else
    rc=skip
fi
if [ "$rc" = skip ]; then
    # A toolchain without the clippy component: nothing to run, and not a test failure.
    CLIPPY_RESULT="skipped (cargo clippy is not installed: rustup component add clippy)"
    echo "clippy: $CLIPPY_RESULT"
elif [ "$rc" -eq 0 ]; then
    CLIPPY_RESULT="no warnings"
    echo "clippy: $CLIPPY_RESULT"
else
    CLIPPY_RESULT="failed (exit $rc; see target/test-logs/clippy.log)"
    FAILED=$((FAILED + 1))
    FAILED_STAGES+=("clippy (exit $rc)")
fi

# ---------------------------------------------------------------------------------------------
section "Interop tests: pytest scripts/interop (taxii2-client + stix2-validator vs. a live node)"
# Built by the Rust stage (the CLI's tests run it). `cargo build` here would resolve features
# without the dev-dependencies and rebuild part of the tree, so only a missing binary is built.
[ -x "$PACIFIC_BIN" ] || cargo build -p pacific-cli
set +e
PYTHONDONTWRITEBYTECODE=1 PACIFIC_BIN="$PACIFIC_BIN" "$VENV/bin/python" -m pytest "$ROOT/scripts/interop" \
    -v --durations=5 -o cache_dir="$ROOT/target/pytest-cache" \
    --junitxml="$LOGS/interop.xml" </dev/null
rc=$?
set -e
read -r p f s < <("$VENV/bin/python" - "$LOGS/interop.xml" <<'EOF' || echo "0 0 0"
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print(0, 0, 0); sys.exit()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
t = sum(int(x.get("tests", 0)) for x in suites)
f = sum(int(x.get("failures", 0)) + int(x.get("errors", 0)) for x in suites)
s = sum(int(x.get("skipped", 0)) for x in suites)
print(t - f - s, f, s)
EOF
)
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # includes pytest's exit 5: no tests ran
PASSED=$((PASSED + p)); FAILED=$((FAILED + f)); SKIPPED=$((SKIPPED + s))
INTEROP_RESULT="$p passed, $f failed, $s skipped"
[ "$rc" -eq 0 ] || FAILED_STAGES+=("interop tests (exit $rc)")

# ---------------------------------------------------------------------------------------------
section "Dashboard in a browser: scripts/ui (playwright-core + Debian chromium vs. a seeded node)"
# Set-up failures and test failures alike count as failed here; the run goes on.
ui_setup() {
    local missing=()
    [ -x /usr/bin/chromium ] || missing+=(chromium)
    { command -v node && command -v npm; } >/dev/null 2>&1 || missing+=(nodejs npm)
    apt_install "${missing[@]}" || return 1
    # playwright-core (pinned in scripts/ui/package-lock.json; no browser download), reused
    # while the lock file matches; npm's cache lives in target/.
    local want stamp="$ROOT/scripts/ui/node_modules/.package-lock.sha256"
    want="$(sha256sum "$ROOT/scripts/ui/package-lock.json" | cut -d' ' -f1)"
    if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]; then
        (cd "$ROOT/scripts/ui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund \
            --cache "$ROOT/target/npm-cache" --prefer-offline) || return 1
        echo "$want" >"$stamp"
    fi
    echo "node $(node --version), $(/usr/bin/chromium --version 2>/dev/null)"
}
set +e
ui_setup 2>&1 | tee "$LOGS/ui.log"
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 0 ]; then
    PACIFIC_BIN="$PACIFIC_BIN" UI_ARTEFACTS="$ROOT/target/ui-artefacts" \
        timeout 300 bash "$ROOT/scripts/ui/run.sh" </dev/null 2>&1 | tee -a "$LOGS/ui.log"
    rc=${PIPESTATUS[0]}
fi
set -e
# The script's last line: "ui: N passed, N failed".
read -r p f < <(strip_ansi "$LOGS/ui.log" | awk '/^ui: [0-9]+ passed, [0-9]+ failed/ { p = $2; f = $4 }
    END { print p + 0, f + 0 }')
if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi   # set-up, seeding or a timeout counts too
PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
UI_RESULT="$p passed, $f failed"
[ "$rc" -eq 0 ] || FAILED_STAGES+=("dashboard browser tests (exit $rc)")

# ---------------------------------------------------------------------------------------------
FINISHED=1
section "Summary"
echo "rust:    $RUST_RESULT"
echo "clippy:  $CLIPPY_RESULT"
echo "interop: $INTEROP_RESULT"
echo "ui:      $UI_RESULT"
echo "disk:    target/ holds $(du -sh "$ROOT/target" 2>/dev/null | cut -f1); $(df -h --output=avail "$ROOT/target" 2>/dev/null | tail -1 | tr -d ' ') free"
if [ "${#FAILED_STAGES[@]}" -eq 0 ]; then
    echo "scripts/test.sh: all green in $((SECONDS - START))s"
    status=0
else
    echo "scripts/test.sh: FAILED in $((SECONDS - START))s: ${FAILED_STAGES[*]}"
    status=1
fi
echo "summary: $PASSED passed, $FAILED failed, $SKIPPED skipped"
exit "$status"
