#!/usr/bin/env bash
# The dashboard in a real browser: seeds a node, serves it on loopback, and runs
# dashboard.spec.mjs (playwright-core driving Debian's /usr/bin/chromium) against it.
#
#   PACIFIC_BIN=target/debug/pacific scripts/ui/run.sh
#
# Seeding: `pacific init`, a reader, assets.toml (two critical-infrastructure ranges),
# seed-bundle.json ingested, a peer (never reachable: what the policy holds back from it is
# logged), and generated JSON-lines events over the last 14 days matched with
# `pacific match --record` (sightings, daily statistics, incidents); once the node serves, a
# jurisdiction claim made with `pacific registry claim`. Screenshots go to
# target/ui-artefacts/. The last line is "ui: N passed, N failed".
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PACIFIC_BIN="${PACIFIC_BIN:-$ROOT/target/debug/pacific}"
ARTEFACTS="${UI_ARTEFACTS:-$ROOT/target/ui-artefacts}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/pacific-ui-XXXXXX")"
DATA="$WORK/alpha"
NODE_PID=""

cleanup() {
    if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
        kill "$NODE_PID" 2>/dev/null || true
        wait "$NODE_PID" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$ARTEFACTS"
"$PACIFIC_BIN" init --data "$DATA" --name "Alpha CERT" --type state --jurisdiction XA >/dev/null
TOKEN="$("$PACIFIC_BIN" user add --data "$DATA" rita --role reader 2>/dev/null | tail -n 1)"
ADMIN="$("$PACIFIC_BIN" user add --data "$DATA" ada --role admin 2>/dev/null | tail -n 1)"
ANALYST="$("$PACIFIC_BIN" user add --data "$DATA" ana --role analyst 2>/dev/null | tail -n 1)"
cat >"$DATA/assets.toml" <<'TOML'
[[assets]]
name = "North grid"
cidr = "10.20.0.0/16"
sector = "energy"

[[assets]]
name = "City water"
cidr = "10.40.0.0/16"
sector = "water"
TOML
"$PACIFIC_BIN" ingest --data "$DATA" --collection default "$HERE/seed-bundle.json" >/dev/null
# RFC 8032's first test key: a well-formed key of a peer that never answers.
"$PACIFIC_BIN" peer add --data "$DATA" --name "Bravo CERT" --url http://127.0.0.1:9 \
    --key d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a >/dev/null

# Events: on day d ago, (d % 5) + 1 hits on the C2 address from the grid, one phishing
# lookup from the water utility every other day, and a scan every third day.
EVENTS="$WORK/events.jsonl"
: >"$EVENTS"
for d in $(seq 0 13); do
    ts="$(date -u -d "$d days ago" +%Y-%m-%dT12:00:00Z)"
    for _ in $(seq 1 $(((d % 5) + 1))); do
        printf '{"ts": "%s", "src_ip": "10.20.1.5", "dst_ip": "203.0.113.7"}\n' "$ts" >>"$EVENTS"
    done
    if [ $((d % 2)) -eq 0 ]; then
        printf '{"ts": "%s", "src_ip": "10.40.0.9", "query": "evil.example"}\n' "$ts" >>"$EVENTS"
    fi
    if [ $((d % 3)) -eq 0 ]; then
        printf '{"ts": "%s", "src_ip": "192.0.2.1", "dst_ip": "198.51.100.23"}\n' "$ts" >>"$EVENTS"
    fi
done
"$PACIFIC_BIN" match --data "$DATA" --record "$EVENTS" >"$WORK/match.out" 2>&1 \
    || { cat "$WORK/match.out"; exit 1; }
grep -E '^recorded:' "$WORK/match.out" || true

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
"$PACIFIC_BIN" node --data "$DATA" --listen "127.0.0.1:$PORT" >"$ARTEFACTS/node.log" 2>&1 &
NODE_PID=$!
for _ in $(seq 1 100); do
    python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$BASE/healthz" 2>/dev/null && break
    kill -0 "$NODE_PID" 2>/dev/null || { echo "pacific node exited:"; cat "$ARTEFACTS/node.log"; exit 1; }
    sleep 0.1
done

# A jurisdiction claim for the registry page, its contact name hostile (shown as text or the
# spec fails on the alert).
"$PACIFIC_BIN" registry claim --url "$BASE" --token "$ADMIN" --role jurisdiction \
    --resource 45.10.0.0/16 --resource AS64000 --resource xa \
    --contact-name "<img src=x onerror=alert(2)> duty desk" --contact-email duty@cert.example.org \
    --evidence "ripencc|XA|ipv4|45.10.0.0|65536|20100101|allocated" >/dev/null

cd "$HERE"
PACIFIC_URL="$BASE" PACIFIC_TOKEN="$TOKEN" PACIFIC_ANALYST_TOKEN="$ANALYST" UI_ARTEFACTS="$ARTEFACTS" node dashboard.spec.mjs
