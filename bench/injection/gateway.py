#!/usr/bin/env python3
"""What Prompt Guard adds to a guarded request's latency in the gateway.

`warden serve` in front of the mock upstream, one client on one kept-alive connection sending
unary chat completions whose user message is TEXT (default: a ~64-token paragraph). Each
configuration is started fresh and measured with --requests requests after --warmup, cells
interleaved --repeats times (medians of the per-run p50/p99):

- `no detector`: the policy judges nothing (the gateway's own cost);
- `prompt guard`: `--prompt-guard MODEL`, the policy's default injection section;
- with --guard: the toy Llama Guard judging the prompt, without and with Prompt Guard (the two
  run side by side, so the second should add about max(0, pg - guard), not pg).

    bench/injection/gateway.py MODEL_DIR [--guard] [--requests 200] [--repeats 3]

Needs target/release/{warden,mock-upstream} (cargo build --release -p warden -p warden-e2e
--bins). Prints a markdown table; JSON of every run in target/bench-injection/.
"""
import argparse, http.client, json, os, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REL = os.path.join(ROOT, "target", "release")
TOY_GUARD = os.path.join(ROOT, "tests", "fixtures", "toy-guard")
TEXT = (
    "I am planning a weekend trip to the coast with two friends and we would like to rent a "
    "small house near the beach. Could you suggest what we should look for in the listing, "
    "how far in advance we should book, and a few things to pack for cool evenings?"
)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(admin_port, proc, timeout=300):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"warden exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("warden never became ready")


def policy(guard):
    g = "guard: { prompts: true, responses: false }" if guard else \
        "guard: { prompts: false, responses: false }"
    return f"version: 1\npolicies:\n  - name: p\n    {g}\n    code: {{ prompts: false, responses: false }}\n"


def measure(port, text, requests, warmup):
    body = json.dumps({"model": "llama3", "stream": False,
                       "messages": [{"role": "user", "content": text}]})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    statuses = {}
    for i in range(warmup + requests):
        t = time.perf_counter()
        conn.request("POST", "/v1/chat/completions", body, {"content-type": "application/json"})
        r = conn.getresponse()
        r.read()
        dt = (time.perf_counter() - t) * 1000.0
        statuses[r.status] = statuses.get(r.status, 0) + 1
        if i >= warmup:
            times.append(dt)
    conn.close()
    times.sort()
    return {"p50_ms": times[len(times) // 2], "p99_ms": times[int(len(times) * 0.99) - 1],
            "statuses": statuses}


def run_cell(mock_url, model, guard, pg, text, requests, warmup):
    port, admin = free_port(), free_port()
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "p.yaml"), "w") as f:
            f.write(policy(guard))
        args = [os.path.join(REL, "warden"), "serve", "--upstream", mock_url,
                "--listen", f"127.0.0.1:{port}", "--admin-listen", f"127.0.0.1:{admin}",
                "--policies", d, "--workers", "1"]
        if guard:
            args += ["--guard-model", TOY_GUARD]
        if pg:
            args += ["--prompt-guard", model]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env={**os.environ, "WARDEN_LOG": "warn"})
        try:
            wait_ready(admin, proc)
            return measure(port, text, requests, warmup)
        finally:
            proc.terminate()
            proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--guard", action="store_true")
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--text", default=TEXT)
    a = ap.parse_args()
    mock = subprocess.Popen([os.path.join(REL, "mock-upstream")], stdout=subprocess.PIPE, text=True)
    try:
        line = mock.stdout.readline()
        mock_url = "http://" + line.strip().rsplit(" ", 1)[-1]
        cells = [("no detector", False, False), ("prompt guard", False, True)]
        if a.guard:
            cells += [("toy llama guard", True, False), ("toy llama guard + prompt guard", True, True)]
        runs = {name: [] for name, _, _ in cells}
        for _ in range(a.repeats):
            for name, guard, pg in cells:
                runs[name].append(run_cell(mock_url, a.model, guard, pg, a.text, a.requests, a.warmup))
    finally:
        mock.terminate()
    os.makedirs(os.path.join(ROOT, "target", "bench-injection"), exist_ok=True)
    with open(os.path.join(ROOT, "target", "bench-injection", "gateway.json"), "w") as f:
        json.dump({"model": a.model, "runs": runs}, f, indent=1)
    med = {n: (statistics.median(r["p50_ms"] for r in rs), statistics.median(r["p99_ms"] for r in rs))
           for n, rs in runs.items()}
    print(f"model {a.model}, {a.requests} requests x {a.repeats} runs, c=1, text {len(a.text)} chars")
    print("| configuration | p50 ms | p99 ms | added p50 ms | statuses |")
    print("|---|---|---|---|---|")
    for name, _, _ in cells:
        base = "no detector" if "llama" not in name else "toy llama guard"
        added = "-" if name == base else f"+{med[name][0] - med[base][0]:.2f}"
        statuses = runs[name][-1]["statuses"]
        print(f"| {name} | {med[name][0]:.2f} | {med[name][1]:.2f} | {added} | {statuses} |")


if __name__ == "__main__":
    sys.exit(main())
