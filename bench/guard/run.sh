#!/usr/bin/env bash
# Warden guard benchmark on CPU: Warden (candle) and transformers on the same synthetic
# ~154M Llama (hidden 512, 8 layers, 8 heads, 2 KV heads, intermediate 1408, vocab 128256)
# and the same prompt ids, in one run; then throughput and peak memory.
#
#   bench/guard/run.sh            # results in target/bench-guard/
#
# Needs: the Python venv at .venv (torch, transformers) and the Llama 3 tokenizer.json
# (fetched by guard-model's tests into target/test-cache/, or set TOKENIZER=path).
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${WORK:-target/bench-guard}
TOKENIZER=${TOKENIZER:-target/test-cache/llama3-tokenizer.json}
ITERS=${ITERS:-10}
PY=${PY:-.venv/bin/python}
mkdir -p "$WORK"

cargo bench -p warden-guard-model --bench guard --no-run
BIN=$(find target/release/deps -maxdepth 1 -type f -executable -name 'guard-*' -printf '%T@ %p\n' | sort -rn | head -1 | cut -d' ' -f2)
echo "bench binary: $BIN"
nproc; lscpu | grep -E 'Model name|^CPU\(s\)' || true

[ -f "$WORK/model/model.safetensors" ] || "$BIN" write-model "$WORK/model" "$TOKENIZER"
ls -l "$WORK/model"

echo "== latency (Warden variants + candle-transformers llama), median of $ITERS"
"$BIN" latency "$WORK/model" --lengths 16,128,1024 --iters "$ITERS" --out "$WORK/latency.json"
echo "== transformers on the same ids, median of $ITERS"
"$PY" bench/guard/transformers_bench.py "$WORK/model" "$WORK/latency.inputs.json" --iters "$ITERS" --out "$WORK/transformers.json"
echo "== prefix cache vs no cache per template (16-token message), 1 thread"
RAYON_NUM_THREADS=1 "$BIN" templates "$WORK/model" --length 16 --iters "$ITERS" --out "$WORK/templates.json"
echo "== stream window checks, with and without context reuse, 1 thread"
for H in 128 1024; do
  RAYON_NUM_THREADS=1 "$BIN" stream "$WORK/model" --history "$H" --window 32 --windows 8 --iters 3 --out "$WORK/stream-$H.json"
done
echo "== throughput (128-token messages)"
"$BIN" throughput "$WORK/model" --concurrency 1,4,16 --requests 64 --length 128 --out "$WORK/throughput.json"
echo "== peak RSS: load + one classification"
/usr/bin/time -v "$BIN" load "$WORK/model" 2> "$WORK/time-load.txt"
grep -E 'Maximum resident|Elapsed' "$WORK/time-load.txt"
du -b "$WORK/model/model.safetensors"
