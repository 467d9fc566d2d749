#!/usr/bin/env python3
"""transformers baseline on the GPU: a random Llama at the Llama Guard 2 8B shape in bf16, one
forward pass (full recompute, as peers run it) over a prompt of the same length as Warden's
128-token-message classification, median of N; and a batch of 8 such prompts.

    python3 bench/guard/gpu_transformers.py --tokens 310 --iters 20
"""
import argparse, json, time

import torch
from transformers import LlamaConfig, LlamaForCausalLM

ap = argparse.ArgumentParser()
ap.add_argument("--tokens", type=int, default=310)
ap.add_argument("--iters", type=int, default=20)
ap.add_argument("--out")
args = ap.parse_args()

cfg = LlamaConfig(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                  num_attention_heads=32, num_key_value_heads=8, vocab_size=128256,
                  max_position_embeddings=8192, rope_theta=500000.0, tie_word_embeddings=False)
torch.manual_seed(0)
with torch.device("cuda"):
    model = LlamaForCausalLM(cfg).to(torch.bfloat16).eval()


def timed(batch):
    ids = torch.randint(0, 128000, (batch, args.tokens), device="cuda")
    with torch.no_grad():
        for _ in range(3):
            model(ids, logits_to_keep=1)
        torch.cuda.synchronize()
        times = []
        for _ in range(args.iters):
            t = time.perf_counter()
            model(ids, logits_to_keep=1)
            torch.cuda.synchronize()
            times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return times[len(times) // 2]


res = {"transformers_prefill_ms": timed(1), "transformers_batch8_ms": timed(8),
       "tokens": args.tokens, "torch": torch.__version__, "device": torch.cuda.get_device_name()}
print(json.dumps(res))
if args.out:
    open(args.out, "w").write(json.dumps(res))
