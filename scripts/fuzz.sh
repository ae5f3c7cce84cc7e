#!/usr/bin/env bash
# Fuzzes every parser of outside input with cargo-fuzz (libFuzzer): builds the targets of
# fuzz/ (nightly toolchain), writes seed corpora from the repository's samples and golden
# files (fuzz/seeds.py; ../shared/data/ too when present), then runs each target for a fixed
# number of executions, one target at a time in one process, and prints per target the
# executions done, exec/s, new coverage units and whether it found anything.
# Not part of scripts/test.sh: it takes tens of minutes.
#
#   scripts/fuzz.sh                 every target
#   scripts/fuzz.sh envelope ...    only these
#
# Environment:
#   FUZZ_RUNS        executions per target (default 920000: over 10 million for the 11 targets)
#   FUZZ_MAX_LEN     largest input in bytes (default 8192)
#   FUZZ_TIMEOUT     seconds one input may take before it counts as a hang (default 10)
#   FUZZ_RSS_MB      memory limit in MB before it counts as out-of-memory (default 2048)
#   FUZZ_SANITIZER   none (default: the code has no `unsafe`) or address
#
# What a target finds (crash, panic, hang, out-of-memory) is written to
# fuzz/artifacts/<target>/ and named in the output; reproduce it with
#   cargo +nightly fuzz run -s none <target> fuzz/artifacts/<target>/<file>
# Each fixed finding is kept as a regression test of its crate
# (crates/<crate>/tests/fuzz-regressions/<target>/, read by tests/fuzz_regressions.rs).
# Exits 1 if any target found something, 2 if the tools are missing or the build fails.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

RUNS="${FUZZ_RUNS:-920000}"
MAX_LEN="${FUZZ_MAX_LEN:-8192}"
TIMEOUT="${FUZZ_TIMEOUT:-10}"
RSS_MB="${FUZZ_RSS_MB:-2048}"
SANITIZER="${FUZZ_SANITIZER:-none}"
FUZZ="$ROOT/fuzz"
LOGS="$FUZZ/target/logs"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "error: needs the nightly toolchain and cargo-fuzz (rustup toolchain install nightly;" \
        "cargo install cargo-fuzz)" >&2
    exit 2
fi

cd "$FUZZ"
if [ "$#" -gt 0 ]; then
    TARGETS=("$@")
else
    mapfile -t TARGETS < <(cargo +nightly fuzz list)
fi

echo "==== building ${#TARGETS[@]} targets (sanitizer: $SANITIZER)"
# Debug assertions and overflow checks are on in Pacific's crates (fuzz/Cargo.toml's profile):
# an overflow on outside input is a finding.
if ! cargo +nightly fuzz build -s "$SANITIZER"; then
    echo "error: the fuzz targets do not build" >&2
    exit 2
fi
TRIPLE="$(rustc +nightly -vV | sed -n 's/^host: //p')"
BIN="$FUZZ/target/$TRIPLE/release"

echo "==== seed corpora (fuzz/seeds.py)"
python3 "$FUZZ/seeds.py" "$ROOT" "$FUZZ/corpus"
mkdir -p "$LOGS"

printf '\n==== %s executions per target, inputs up to %s bytes, %s s per input, %s MB\n' \
    "$RUNS" "$MAX_LEN" "$TIMEOUT" "$RSS_MB"
printf '%-14s %12s %9s %8s %7s  %s\n' target executions exec/s units secs result
TOTAL=0
FOUND=()
START=$SECONDS
for t in "${TARGETS[@]}"; do
    mkdir -p "$FUZZ/corpus/$t" "$FUZZ/artifacts/$t"
    log="$LOGS/$t.log"
    began=$SECONDS
    t0=$(date +%s%N)
    "$BIN/$t" "$FUZZ/corpus/$t" \
        -runs="$RUNS" -max_len="$MAX_LEN" -timeout="$TIMEOUT" -rss_limit_mb="$RSS_MB" \
        -artifact_prefix="$FUZZ/artifacts/$t/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    secs=$((SECONDS - began))
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    units="$(sed -n 's/^stat::new_units_added: *//p' "$log" | tail -1)"
    artifact="$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)"
    if [ "$rc" -eq 0 ]; then
        result="nothing found"
    else
        # A crash's stats are not printed: count what the log's last status line says.
        [ -n "$execs" ] || execs="$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')"
        what="$(grep -m1 -o 'ERROR: libFuzzer: [a-z-]*\|panicked at [^:]*:[0-9]*' "$log" || true)"
        result="FOUND (exit $rc${what:+: $what}) ${artifact:-see $log}"
        FOUND+=("$t")
    fi
    execs="${execs:-0}"
    rate=$(( execs * 1000 / (ms > 0 ? ms : 1) ))
    TOTAL=$((TOTAL + execs))
    printf '%-14s %12s %9s %8s %7s  %s\n' "$t" "$execs" "$rate" "${units:--}" "$secs" "$result"
done
printf '%-14s %12s %28s\n' total "$TOTAL" "$((SECONDS - START)) s"
if [ "${#FOUND[@]}" -gt 0 ]; then
    echo "scripts/fuzz.sh: found something in: ${FOUND[*]} (logs in fuzz/target/logs/)"
    exit 1
fi
echo "scripts/fuzz.sh: nothing found in $TOTAL executions"
