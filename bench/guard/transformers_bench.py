"""transformers side of Warden's guard benchmark (driven by bench/guard/run.sh).

Reads the exact prompt ids Warden classified (latency.inputs.json) and times one forward
pass per classification on the same weights, recomputing the whole prompt as peers do
(no prefix cache). Two variants: the default call, which computes logits for every
position, and `logits_to_keep=1`, which computes only the last position's.
"""

import argparse
import json
import statistics
import time

import torch
from transformers import AutoModelForCausalLM


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("model")
    p.add_argument("inputs")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32)
    model.eval()
    inputs = json.load(open(a.inputs))
    results = []
    for inp in inputs:
        ids = torch.tensor([inp["input_ids"]])
        for name, kwargs in [
            ("transformers f32, full recompute, all-position logits", {}),
            ("transformers f32, full recompute, logits_to_keep=1", {"logits_to_keep": 1}),
        ]:
            times = []
            with torch.inference_mode():
                out = model(ids, **kwargs)  # warm-up
                for _ in range(a.iters):
                    t = time.perf_counter()
                    out = model(ids, **kwargs)
                    _ = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
                    times.append(time.perf_counter() - t)
            ms = statistics.median(times) * 1000
            n = inp["message_tokens"]
            print(f"{name:55} {n:5} tokens: median {ms:8.2f} ms (torch threads {a.threads})")
            results.append({"impl": name, "message_tokens": n, "median_ms": ms, "iters": a.iters,
                            "prompt_tokens": len(inp["input_ids"]), "torch_threads": a.threads})
    json.dump(results, open(a.out, "w"), indent=2)


if __name__ == "__main__":
    main()
