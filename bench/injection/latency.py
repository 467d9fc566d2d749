#!/usr/bin/env python3
"""Prompt Guard per-check latency on CPU: Warden (candle) vs transformers, same model, same ids.


For each model shape a seeded random `DebertaV2ForSequenceClassification` is written with
transformers (the Prompt Guard 1 / Prompt Guard 2 86M shape: mDeBERTa-v3-base, and the Prompt
Guard 2 22M shape: DeBERTa-v3-xsmall, with the real configs' relative-attention settings) next
to the toy Prompt Guard's tokenizer (the tokenizer does not change the compute; its ids fit any
vocabulary). Texts of about 64, 512 and 2048 tokens are scored:

- Warden: `warden classify --detector prompt-guard --format json` over JSON Lines, one line per
  check; `latency_ms` is the check's own time (tokenization, windows, forward passes, softmax);
  the first lines of each run are warm-up. The model is loaded once per run, not timed.
- transformers: the same windows (the ids Warden printed with `--tokens`: 512-token windows
  overlapping by 64, 4 windows per forward pass as Warden batches them) through the model under
  `torch.inference_mode()`, softmax included, tokenization excluded (which favours
  transformers).

Rounds alternate Warden and transformers so drift hits both; medians over all checks. The
logits of both are compared (max |diff|) as a check that both ran the same model.

    .venv/bin/python bench/injection/latency.py [--shapes pg86m,pg22m] [--iters 10] [--rounds 3]
                                                [--threads 2]

Needs target/release/warden (cargo build --release -p warden) and the venv of
scripts/requirements.txt. Markdown on stdout; JSON in target/bench-injection/latency.json.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOY = os.path.join(ROOT, "tests", "fixtures", "toy-prompt-guard")
OUT = os.path.join(ROOT, "target", "bench-injection")

BASE = dict(
    model_type="deberta-v2", relative_attention=True, max_relative_positions=-1,
    pos_att_type=["p2c", "c2p"], norm_rel_ebd="layer_norm", share_att_key=True,
    position_biased_input=False, max_position_embeddings=512, type_vocab_size=0,
    hidden_act="gelu", layer_norm_eps=1e-7, pad_token_id=0, pooler_dropout=0.0,
    pooler_hidden_act="gelu", attention_probs_dropout_prob=0.0, hidden_dropout_prob=0.0,
)
SHAPES = {
    # Prompt-Guard-86M / Llama-Prompt-Guard-2-86M: mDeBERTa-v3-base.
    "pg86m": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                  intermediate_size=3072, vocab_size=251000, position_buckets=256,
                  pooler_hidden_size=768,
                  id2label={0: "BENIGN", 1: "INJECTION", 2: "JAILBREAK"}),
    # Llama-Prompt-Guard-2-22M: DeBERTa-v3-xsmall.
    "pg22m": dict(hidden_size=384, num_hidden_layers=12, num_attention_heads=6,
                  intermediate_size=1536, vocab_size=128100, position_buckets=256,
                  pooler_hidden_size=384, id2label={0: "LABEL_0", 1: "LABEL_1"}),
}
LENGTHS = [64, 512, 2048]
WORDS = ("the report says light rain in the morning and sun later on the coast while the "
         "harbour stays calm and the ferries run on time for every visitor ").split()


def write_model(name, torch, transformers):
    path = os.path.join(OUT, name)
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return path
    os.makedirs(path, exist_ok=True)
    torch.manual_seed(20261205)
    spec = {**BASE, **SHAPES[name]}
    spec["label2id"] = {v: k for k, v in spec["id2label"].items()}
    config = transformers.DebertaV2Config(**spec)
    model = transformers.DebertaV2ForSequenceClassification(config).eval()
    model.save_pretrained(path, safe_serialization=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(TOY, f), os.path.join(path, f))
    return path


def texts(tokenizers):
    tok = tokenizers.Tokenizer.from_file(os.path.join(TOY, "tokenizer.json"))
    out = {}
    for n in LENGTHS:
        # n ids with [CLS] and [SEP]: 512 is exactly one full window, 2048 five windows.
        words = []
        i = 0
        while True:
            longer = words + [WORDS[i % len(WORDS)]]
            if len(tok.encode(" ".join(longer), add_special_tokens=False).ids) > n - 2:
                break
            words = longer
            i += 1
        out[n] = " ".join(words)
    return out


def run_warden(binary, model, lines, threads):
    env = {**os.environ, "RAYON_NUM_THREADS": str(threads), "WARDEN_LOG": "error"}
    p = subprocess.run([binary, "classify", "--detector", "prompt-guard", "--model", model,
                        "--format", "json", "--tokens"],
                       input="\n".join(json.dumps({"text": t}) for t in lines) + "\n",
                       capture_output=True, text=True, env=env)
    if p.returncode not in (0, 1):
        raise RuntimeError(f"warden classify failed ({p.returncode}): {p.stderr[-2000:]}")
    return [json.loads(l) for l in p.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "warden"))
    ap.add_argument("--shapes", default="pg86m,pg22m")
    ap.add_argument("--iters", type=int, default=10, help="timed checks per length per round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(OUT, "latency.json"))
    args = ap.parse_args()
    import torch, transformers, tokenizers
    torch.set_num_threads(args.threads)
    os.makedirs(OUT, exist_ok=True)
    by_len = texts(tokenizers)
    results = {}
    for shape in args.shapes.split(","):
        model_dir = write_model(shape, torch, transformers)
        hf = transformers.DebertaV2ForSequenceClassification.from_pretrained(model_dir).eval()
        warden = {n: [] for n in LENGTHS}
        hf_ms = {n: [] for n in LENGTHS}
        diffs = {n: 0.0 for n in LENGTHS}
        windows = {}
        tokens = {}
        for rnd in range(args.rounds):
            lines, order = [], []
            for n in LENGTHS:
                for i in range(args.warmup + args.iters):
                    lines.append(by_len[n])
                    order.append((n, i >= args.warmup))
            out = run_warden(args.binary, model_dir, lines, args.threads)
            for (n, timed), r in zip(order, out):
                if "error" in r:
                    raise RuntimeError(f"warden: {r}")
                if timed:
                    warden[n].append(r["latency_ms"])
                windows[n] = r["window_logits"]
                tokens[n] = r["tokens"]
            for n in LENGTHS:
                ids = [w["ids"] for w in windows[n]]
                batches = [ids[i:i + 4] for i in range(0, len(ids), 4)]
                logits = None
                for i in range(args.warmup + args.iters):
                    t0 = time.perf_counter()
                    with torch.inference_mode():
                        got = []
                        for b in batches:
                            width = max(len(x) for x in b)
                            input_ids = torch.tensor([x + [0] * (width - len(x)) for x in b])
                            mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x in b])
                            out_logits = hf(input_ids=input_ids, attention_mask=mask).logits
                            torch.softmax(out_logits, dim=-1)
                            got.append(out_logits)
                        logits = torch.cat(got)
                    dt = (time.perf_counter() - t0) * 1000
                    if i >= args.warmup:
                        hf_ms[n].append(dt)
                ref = torch.tensor([w["logits"] for w in windows[n]])
                diffs[n] = max(diffs[n], float((logits - ref).abs().max()))
            print(f"{shape} round {rnd + 1}: " + ", ".join(
                f"{n}: warden {statistics.median(warden[n]):.1f} ms / transformers "
                f"{statistics.median(hf_ms[n]):.1f} ms" for n in LENGTHS), file=sys.stderr)
        results[shape] = {
            str(n): {"tokens": tokens[n], "windows": len(windows[n]),
                     "warden_ms": statistics.median(warden[n]),
                     "transformers_ms": statistics.median(hf_ms[n]),
                     "ratio": statistics.median(warden[n]) / statistics.median(hf_ms[n]),
                     "max_logit_diff": diffs[n], "warden_samples": warden[n],
                     "transformers_samples": hf_ms[n]} for n in LENGTHS}
        del hf
    with open(args.out, "w") as f:
        json.dump({"threads": args.threads, "iters": args.iters, "rounds": args.rounds,
                   "torch": torch.__version__, "transformers": transformers.__version__,
                   "results": results}, f, indent=1)
    print(f"threads {args.threads}, {args.rounds} rounds x {args.iters} checks per length, medians")
    print()
    print("| shape | tokens | windows | Warden ms | transformers ms | Warden / transformers | max logit diff |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for shape, rows in results.items():
        for n in LENGTHS:
            r = rows[str(n)]
            print(f"| {shape} | {r['tokens']} | {r['windows']} | {r['warden_ms']:.1f} | "
                  f"{r['transformers_ms']:.1f} | {r['ratio']:.2f}x | {r['max_logit_diff']:.1e} |")


if __name__ == "__main__":
    main()
