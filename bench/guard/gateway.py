#!/usr/bin/env python3
"""The gateway under guard load: `warden serve` with the in-process toy guard, driven by wrk.

Every request is a unary chat completion judged twice (the prompt as `User`, the mock
upstream's answer as `Agent`). For each warden binary (the current one and, with --before, an
older one, interleaved cell by cell so drift hits both alike) and each concurrency, wrk runs
for --duration seconds after a 1 s warm-up, --repeats times; the table shows medians of
requests/s and wrk's p50/p99, and from /metrics scraped around each run: classifications per
forward pass (checks / warden_guard_batches_total), 429s and requests the guard shed.

    bench/guard/gateway.py [--before BIN] [--concurrency 1,4,16,64] [--duration 5]
                           [--repeats 3] [--timeout-ms 5000] [--fail closed|open]
                           [--guard-model DIR]   # default the toy guard; e.g. the 154M shape
                                                 # that `guard write-model` writes

Needs target/release/{warden,mock-upstream} (cargo build --release -p warden -p warden-e2e
--bins) and wrk. Results (markdown on stdout, JSON with every run) in target/bench-guard/.
"""
import argparse, json, os, re, signal, socket, statistics, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REL = os.path.join(ROOT, "target", "release")
TOY = os.path.join(ROOT, "tests", "fixtures", "toy-guard")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(admin_port, timeout=120):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"warden on admin port {admin_port} never became ready")


def scrape(admin_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=5) as r:
        text = r.read().decode()
    values = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, _, value = line.rpartition(" ")
        try:
            values[name] = float(value)
        except ValueError:
            pass
    return values


def total(metrics, prefix):
    return sum(v for k, v in metrics.items() if k == prefix or k.startswith(prefix + "{"))


def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)$", text)
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def run_wrk(port, script, conns, duration):
    out = subprocess.run(
        ["wrk", "-t", str(min(conns, 2)), "-c", str(conns), "-d", f"{duration}s", "--latency",
         "-s", script, f"http://127.0.0.1:{port}/v1/chat/completions"],
        capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests": reqs, "rps": reqs / duration, "p50_ms": ms(lat["50"]),
            "p99_ms": ms(lat["99"]), "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(REL, "warden"))
    ap.add_argument("--before", metavar="BIN", help="an older warden binary to run in the same run")
    ap.add_argument("--mock", default=os.path.join(REL, "mock-upstream"))
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--concurrency", default="1,4,16,64")
    ap.add_argument("--timeout-ms", type=int, default=5000, help="the policy's guard_timeout_ms")
    ap.add_argument("--fail", default="closed", choices=["closed", "open"])
    ap.add_argument("--guard-model", default=TOY, help="guard model directory (default: the toy guard)")
    ap.add_argument("--extra", default="", help="extra arguments for the current binary's serve")
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench-guard", "gateway.json"))
    args = ap.parse_args()
    concs = [int(c) for c in args.concurrency.split(",")]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    procs = []
    tmp = tempfile.mkdtemp(prefix="warden-guard-bench-")
    try:
        mock = subprocess.Popen([args.mock, "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
        procs.append(mock)
        mock_addr = mock.stdout.readline().split()[-1]
        policies = os.path.join(tmp, "policies")
        os.makedirs(policies)
        with open(os.path.join(policies, "policies.yaml"), "w") as f:
            f.write("version: 1\npolicies:\n  - name: guard\n"
                    "    guard: { template: lg2, prompts: true, responses: true }\n"
                    "    code: { prompts: false, responses: false }\n"
                    f"    failure: {{ mode: {args.fail}, guard_timeout_ms: {args.timeout_ms} }}\n")
        script = os.path.join(tmp, "chat.lua")
        with open(script, "w") as f:
            f.write('wrk.method = "POST"\n')
            f.write("wrk.body = '{\"model\":\"llama3\",\"messages\":[{\"role\":\"user\","
                    "\"content\":\"Write a haiku about proxies.\"}],\"stream\":false}'\n")
            f.write('wrk.headers["Content-Type"] = "application/json"\n')

        def start(binary, extra):
            port, admin = free_port(), free_port()
            p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}",
                                  "--admin-listen", f"127.0.0.1:{admin}",
                                  "--upstream", f"http://{mock_addr}", "--policies", policies,
                                  "--guard-model", args.guard_model, *extra],
                                 stderr=subprocess.DEVNULL, env={**os.environ, "WARDEN_LOG": "error"})
            procs.append(p)
            wait_ready(admin)
            return port, admin

        targets = []
        if args.before:
            targets.append(("before", *start(args.before, [])))
        targets.append(("after", *start(args.binary, args.extra.split())))
        runs = []
        for c in concs:
            for rep in range(args.repeats):
                for name, port, admin in targets:
                    run_wrk(port, script, c, 1)
                    m0 = scrape(admin)
                    r = run_wrk(port, script, c, args.duration)
                    m1 = scrape(admin)
                    checks = total(m1, "warden_decisions_total") - total(m0, "warden_decisions_total")
                    batches = total(m1, "warden_guard_batches_total") - total(m0, "warden_guard_batches_total")
                    shed = total(m1, "warden_guard_shed_total") - total(m0, "warden_guard_shed_total")
                    overloaded = (m1.get('warden_guard_errors_total{kind="overloaded"}', 0)
                                  - m0.get('warden_guard_errors_total{kind="overloaded"}', 0))
                    timeouts = (m1.get('warden_guard_errors_total{kind="timeout"}', 0)
                                - m0.get('warden_guard_errors_total{kind="timeout"}', 0))
                    r.update({"binary": name, "concurrency": c, "repeat": rep, "checks": checks,
                              "batches": batches,
                              "per_pass": checks / batches if batches else None,
                              "shed": shed, "overloaded": overloaded, "timeouts": timeouts})
                    runs.append(r)
                    print(f"{name} c={c} #{rep}: {r['rps']:.0f} req/s p50 {r['p50_ms']:.1f} "
                          f"p99 {r['p99_ms']:.1f} per pass {r['per_pass'] or 0:.1f} "
                          f"non-2xx {r['non_2xx']} shed {shed:.0f} timeouts {timeouts:.0f}",
                          file=sys.stderr)
        with open(args.out, "w") as f:
            json.dump({"duration": args.duration, "repeats": args.repeats,
                       "timeout_ms": args.timeout_ms, "fail": args.fail, "runs": runs}, f, indent=1)
        print(f"guard timeout {args.timeout_ms} ms, fail {args.fail}; median of {args.repeats} runs of "
              f"{args.duration} s each")
        print()
        print("| binary | conc | req/s | p50 ms | p99 ms | checks per forward pass | non-2xx per s | shed per s | timeouts |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for c in concs:
            for name, _, _ in targets:
                rs = [r for r in runs if r["binary"] == name and r["concurrency"] == c]
                med = lambda k: statistics.median(r[k] or 0 for r in rs)
                print(f"| {name} | {c} | {med('rps'):.0f} | {med('p50_ms'):.1f} | {med('p99_ms'):.1f} "
                      f"| {med('per_pass'):.1f} | {med('non_2xx') / args.duration:.0f} "
                      f"| {med('shed') / args.duration:.0f} | {med('timeouts'):.0f} |")
        base = {name: {c: statistics.median(r["rps"] for r in runs if r["binary"] == name and r["concurrency"] == c)
                       for c in concs} for name, _, _ in targets}
        for name in base:
            if 1 in base[name]:
                ratios = ", ".join(f"c={c}: {base[name][c] / base[name][1]:.2f}x" for c in concs if c != 1)
                print(f"\n{name}: throughput vs its own c=1: {ratios}")
    finally:
        for p in procs:
            try:
                p.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()


if __name__ == "__main__":
    main()
