#!/usr/bin/env bash
# Benchmarks Warden's code scanner against Meta's Code Shield on the same corpus, in one run,
# and writes docs/bench-code-scan.md.
#
#   bench/code-scan/run.sh [WARDEN_ITER=50] [CODESHIELD_ITER=3]
#
# Needs: cargo, python3 (3.10+) with venv, network access to PyPI for the first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
WARDEN_ITER="${1:-50}"
CS_ITER="${2:-3}"
VENV="${CODESHIELD_VENV:-target/codeshield-venv}"
OUT="target/bench-code-scan"
mkdir -p "$OUT"

echo "== building the release bench example" >&2
cargo build --release -p warden-code-scan --example bench

echo "== installing Code Shield into $VENV" >&2
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
# semgrep is pinned: with today's semgrep, Code Shield's semgrep layer silently scans nothing.
"$VENV/bin/pip" install -q "codeshield==1.0.1" "semgrep==1.69.0"

echo "== timing Warden ($WARDEN_ITER iterations per block)" >&2
./target/release/examples/bench code-scan/corpus "$WARDEN_ITER" > "$OUT/warden.json"

echo "== timing Code Shield ($CS_ITER iterations per file)" >&2
"$VENV/bin/python" bench/code-scan/codeshield_bench.py code-scan/corpus "$CS_ITER" > "$OUT/codeshield.json" 2> "$OUT/codeshield.log"

MACHINE="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr)"
python3 bench/code-scan/report.py code-scan/corpus "$OUT/warden.json" "$OUT/codeshield.json" \
  docs/bench-code-scan.md "bench/code-scan/run.sh $WARDEN_ITER $CS_ITER" "$MACHINE"

echo "== independent corpus: timing both, scoring both at line level" >&2
IND="code-scan/corpus-independent"
./target/release/examples/bench "$IND" "$WARDEN_ITER" > "$OUT/warden-independent.json"
"$VENV/bin/python" bench/code-scan/codeshield_bench.py "$IND" "$CS_ITER" > "$OUT/codeshield-independent.json" 2> "$OUT/codeshield-independent.log"
cargo test -q -p warden-code-scan --test independent -- --nocapture > "$OUT/warden-independent.txt" 2>&1
python3 bench/code-scan/independent_codeshield.py "$IND" "$OUT/codeshield-independent.json" > "$OUT/codeshield-independent.md"
# Batch 2 (frozen 2026-12-07): Code Shield scored on it too; Warden's tables (batch 1, 2, 3, all) come from the test above.
"$VENV/bin/python" bench/code-scan/codeshield_bench.py "$IND/batch2" "$CS_ITER" > "$OUT/codeshield-independent-batch2.json" 2> "$OUT/codeshield-independent-batch2.log"
python3 bench/code-scan/independent_codeshield.py "$IND/batch2" "$OUT/codeshield-independent-batch2.json" > "$OUT/codeshield-independent-batch2.md"
# Batch 3 (frozen 2026-12-07): likewise.
"$VENV/bin/python" bench/code-scan/codeshield_bench.py "$IND/batch3" "$CS_ITER" > "$OUT/codeshield-independent-batch3.json" 2> "$OUT/codeshield-independent-batch3.log"
python3 bench/code-scan/independent_codeshield.py "$IND/batch3" "$OUT/codeshield-independent-batch3.json" > "$OUT/codeshield-independent-batch3.md"
python3 bench/code-scan/report_independent.py docs/bench-code-scan.md "$OUT/warden-independent.json" \
  "$OUT/codeshield-independent.json" "$OUT/warden-independent.txt" "$OUT/codeshield-independent.md" \
  bench/code-scan/results/independent-baseline.txt \
  "$OUT/codeshield-independent-batch2.md" bench/code-scan/results/independent-batch2-baseline.txt \
  "$OUT/codeshield-independent-batch3.md" bench/code-scan/results/independent-batch3-baseline.txt
