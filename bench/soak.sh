#!/usr/bin/env bash
# The 10-minute soak of issue 16: builds the release binaries, then runs bench/soak.py
# (defaults: 120 s warm-up + 600 s of mixed load, 16 clients; results in target/soak.json).
#
#   bench/soak.sh [soak.py flags, e.g. --duration 60 --warmup 20]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p warden -p warden-e2e --bins
exec python3 bench/soak.py "$@"
