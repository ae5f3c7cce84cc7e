#!/usr/bin/env bash
# TAXII round trip with the OASIS taxii2-client: Pacific beside OASIS medallion 3.0.0 in one run
# (scripts/bench/taxii_vs_medallion.py). Makes target/bench-venv (medallion, taxii2-client from
# PyPI) and the release build if missing. Arguments go to the script, e.g. --copies 14
# --skip-medallion for the ATT&CK-Enterprise-size run on Pacific alone.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=target/bench-venv
if ! "$VENV/bin/python" -c 'import taxii2client.v21, medallion' 2>/dev/null; then
    echo "Making $VENV (medallion, taxii2-client)…" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet medallion==3.0.0 taxii2-client==2.3.0
fi
echo "Building the release binary…" >&2
cargo build --release --quiet -p pacific-cli
BAR_VENV="$VENV" exec "$VENV/bin/python" scripts/bench/taxii_vs_medallion.py --pacific target/release/pacific "$@"
