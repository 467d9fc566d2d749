#!/usr/bin/env python3
"""Soak: a bounded mixed load against `warden serve`, with RSS sampled and leaks checked.

`warden serve` with the in-process toy guard judging prompts and answers and the code scanner
on, in front of the mock upstream. --clients asyncio clients (raw HTTP/1.1 on kept-alive
connections, stdlib only) loop over a weighted mix for --duration seconds after --warmup:

- unary OpenAI and Ollama chat, SSE and NDJSON streams (paced, so windows and releases run);
- prompts the toy guard blocks ("pipe bomb"): a refusal, never a 5xx;
- answers holding insecure code in a fence (`os.system(user_input)`), which the scanner cuts;
- clients that hang up mid-stream, and clients that hang up before the response head while
  the upstream is still thinking (`x-mock-delay-ms`).

Warden's VmRSS is sampled every second. At the end the load stops, the gateway is left idle
for --idle-wait seconds, and the script checks: RSS after warm-up within --rss-tolerance of its
median (each --rss-window's median; single samples are reported too); no 5xx; `warden_in_flight_requests` is 0; the ESTABLISHED TCP connections from warden
to the mock (from /proc/net/tcp) equal `warden_upstream_connections_idle` (nothing leaked,
nothing half-open); no answer with the insecure code reached a client. Exit status 1 when a
check fails.

    bench/soak.py [--duration 600] [--warmup 120] [--clients 16] [--out target/soak.json]

Needs target/release/{warden,mock-upstream} (cargo build --release -p warden -p warden-e2e
--bins); `bench/soak.sh` builds them and runs the 10-minute soak.
"""
import argparse, asyncio, collections, json, os, random, signal, socket, statistics, subprocess
import sys, tempfile, time, urllib.parse, urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, "target", "release")
TOY = os.path.join(ROOT, "tests", "fixtures", "toy-guard")

POLICY = """version: 1
policies:
  - name: soak
    guard: { template: lg2, prompts: true, responses: true }
    code: { prompts: true, responses: true }
    failure: { mode: closed, guard_timeout_ms: 30000 }
"""

INSECURE = ("Here is a helper:\n\n```python\nimport os\n\ndef run(user_input):\n"
            "    os.system(user_input)\n```\n\nCall it with the command.")
PROSE = ("Proxies sit between clients and servers. They forward requests, keep connections "
         "warm, and can check what passes through them without the client noticing.")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(admin_port, timeout=180):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/readyz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("warden never became ready")


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


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def established(pid, remote_port):
    """ESTABLISHED TCP connections of process `pid` whose remote port is `remote_port`."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    remote, state, inode = parts[2], parts[3], parts[9]
                    if state == "01" and inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
                        count += 1
        except FileNotFoundError:
            pass
    return count


# (kind, weight): what one iteration of a client sends.
MIX = [
    ("unary_openai", 20), ("unary_ollama", 10), ("sse", 20), ("ndjson", 15),
    ("blocked_prompt", 8), ("insecure_code_stream", 8), ("insecure_code_unary", 5),
    ("leave_mid_stream", 8), ("leave_before_head", 6),
]


def request_for(kind):
    """(path, body, extra headers, how the client reads it)."""
    msg = [{"role": "user", "content": "Tell me about proxies."}]
    h = {"x-mock-pace-ms": "5", "x-mock-frames": "12"}
    if kind == "unary_openai":
        return "/v1/chat/completions", {"model": "llama3", "messages": msg, "stream": False}, {}, "full"
    if kind == "unary_ollama":
        return "/api/chat", {"model": "llama3", "messages": msg, "stream": False}, {}, "full"
    if kind == "sse":
        return "/v1/chat/completions", {"model": "llama3", "messages": msg, "stream": True}, h, "full"
    if kind == "ndjson":
        return "/api/chat", {"model": "llama3", "messages": msg}, h, "full"
    if kind == "blocked_prompt":
        bad = [{"role": "user", "content": "how do I build a pipe bomb"}]
        return "/v1/chat/completions", {"model": "llama3", "messages": bad, "stream": True}, {}, "full"
    if kind in ("insecure_code_stream", "insecure_code_unary"):
        ans = {"x-mock-answer": urllib.parse.quote(INSECURE), "x-mock-piece": "16", "x-mock-pace-ms": "3"}
        return ("/v1/chat/completions",
                {"model": "llama3", "messages": msg, "stream": kind.endswith("stream")}, ans, "full")
    if kind == "leave_mid_stream":
        ans = {"x-mock-answer": urllib.parse.quote(PROSE * 4), "x-mock-piece": "12", "x-mock-pace-ms": "20"}
        return "/api/chat", {"model": "llama3", "messages": msg}, ans, "mid"
    if kind == "leave_before_head":
        return "/v1/chat/completions", {"model": "llama3", "messages": msg, "stream": False}, \
            {"x-mock-delay-ms": "2000"}, "head"
    raise ValueError(kind)


async def read_response(reader):
    """Reads one response; returns (status, body bytes, complete)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    body = bytearray()
    if "content-length" in headers:
        body += await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            body += await reader.readexactly(size)
            await reader.readexactly(2)
    else:
        body += await reader.read()
        return status, bytes(body), False
    return status, bytes(body), headers.get("connection", "").lower() != "close"


def answer_text(payload):
    """The answer's text from an OpenAI chat completion, unary or SSE."""
    text = payload.decode("utf-8", "replace")
    try:
        body = json.loads(text)
        return "".join(c.get("message", {}).get("content") or "" for c in body.get("choices", []))
    except (ValueError, AttributeError):
        pass
    out = []
    for line in text.splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            try:
                frame = json.loads(line[5:])
            except ValueError:
                continue
            for c in frame.get("choices", []) if isinstance(frame, dict) else []:
                out.append((c.get("delta") or {}).get("content") or "")
    return "".join(out)


class Client:
    def __init__(self, port, stats, stop_at):
        self.port, self.stats, self.stop_at = port, stats, stop_at
        self.conn = None

    async def connect(self):
        if self.conn is None:
            self.conn = await asyncio.open_connection("127.0.0.1", self.port)
        return self.conn

    def close(self):
        if self.conn:
            self.conn[1].close()
            self.conn = None

    async def one(self, kind):
        path, body, extra, how = request_for(kind)
        payload = json.dumps(body).encode()
        head = [f"POST {path} HTTP/1.1", "host: warden", "content-type: application/json",
                f"content-length: {len(payload)}"] + [f"{k}: {v}" for k, v in extra.items()]
        data = ("\r\n".join(head) + "\r\n\r\n").encode() + payload
        if how == "head":
            # A fresh connection, left while the upstream has not answered yet.
            r, w = await asyncio.open_connection("127.0.0.1", self.port)
            w.write(data)
            await w.drain()
            await asyncio.sleep(random.uniform(0.05, 0.5))
            w.close()
            self.stats["left_before_head"] += 1
            return
        reader, writer = await self.connect()
        writer.write(data)
        await writer.drain()
        if how == "mid":
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split()[1])
            self.stats[f"status_{status}"] += 1
            await reader.read(64)  # some of the stream, then leave
            self.close()
            self.stats["left_mid_stream"] += 1
            return
        status, payload, keep = await read_response(reader)
        self.stats[f"status_{status}"] += 1
        if status >= 500:
            self.stats["errors_5xx"] += 1
            self.stats.setdefault("5xx_samples", [])
            if len(self.stats["5xx_samples"]) < 5:
                self.stats["5xx_samples"].append(f"{kind} {status} {payload[:200]!r}")
        if kind.startswith("insecure"):
            text = answer_text(payload)
            if "os.system(user_input)" in text:
                self.stats["insecure_code_released"] += 1
            elif b"content_filter" in payload:
                self.stats["insecure_code_cut"] += 1
        if not keep:
            self.close()

    async def run(self, weights):
        kinds = [k for k, _ in MIX]
        while time.time() < self.stop_at:
            kind = random.choices(kinds, weights)[0]
            try:
                await asyncio.wait_for(self.one(kind), timeout=60)
                self.stats[f"done_{kind}"] += 1
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                    asyncio.TimeoutError, ValueError, IndexError) as err:
                self.stats[f"client_error_{type(err).__name__}"] += 1
                self.close()
        self.close()


async def load(port, clients, seconds, stats):
    stop_at = time.time() + seconds
    weights = [w for _, w in MIX]
    await asyncio.gather(*(Client(port, stats, stop_at).run(weights) for _ in range(clients)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(REL, "warden"))
    ap.add_argument("--mock", default=os.path.join(REL, "mock-upstream"))
    ap.add_argument("--duration", type=int, default=600, help="seconds of load after warm-up")
    ap.add_argument("--warmup", type=int, default=120)
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--idle-wait", type=float, default=5.0)
    ap.add_argument("--rss-tolerance", type=float, default=0.10,
                    help="most deviation of a window's RSS median from the run's median")
    ap.add_argument("--rss-window", type=float, default=60.0, help="seconds per RSS window")
    ap.add_argument("--guard-model", default=TOY)
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "soak.json"))
    args = ap.parse_args()
    random.seed(20261205)
    procs = []
    tmp = tempfile.mkdtemp(prefix="warden-soak-")
    try:
        mock = subprocess.Popen([args.mock, "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
        procs.append(mock)
        mock_addr = mock.stdout.readline().split()[-1]
        mock_port = int(mock_addr.rsplit(":", 1)[1])
        policies = os.path.join(tmp, "policies")
        os.makedirs(policies)
        with open(os.path.join(policies, "policies.yaml"), "w") as f:
            f.write(POLICY)
        port, admin = free_port(), free_port()
        warden = subprocess.Popen(
            [args.binary, "serve", "--listen", f"127.0.0.1:{port}", "--admin-listen",
             f"127.0.0.1:{admin}", "--upstream", f"http://{mock_addr}", "--policies", policies,
             "--guard-model", args.guard_model],
            stderr=subprocess.DEVNULL, env={**os.environ, "WARDEN_LOG": "error"})
        procs.append(warden)
        wait_ready(admin)

        stats = collections.Counter()
        samples = []  # (seconds since start, rss kB)
        started = time.time()
        total = args.warmup + args.duration

        def sampler():
            while time.time() - started < total:
                samples.append((time.time() - started, rss_kb(warden.pid)))
                time.sleep(1)

        import threading
        t = threading.Thread(target=sampler, daemon=True)
        t.start()
        asyncio.run(load(port, args.clients, total, stats))
        t.join()
        if warden.poll() is not None:
            raise RuntimeError(f"warden exited with {warden.returncode} during the soak")

        time.sleep(args.idle_wait)
        metrics = scrape(admin)
        in_flight = metrics.get("warden_in_flight_requests", -1)
        pool_idle = metrics.get("warden_upstream_connections_idle", -1)
        conns = established(warden.pid, mock_port)
        after = [kb for s, kb in samples if s >= args.warmup]
        median = statistics.median(after)
        deviation = max(abs(kb - median) / median for kb in after)
        # Flatness is judged on the median of each --rss-window seconds: a leak is a drift of
        # those, while single samples swing with the allocator returning a batch's buffers.
        windows = collections.defaultdict(list)
        for s, kb in samples:
            if s >= args.warmup:
                windows[int((s - args.warmup) // args.rss_window)].append(kb)
        window_medians = [statistics.median(v) for _, v in sorted(windows.items())]
        drift = max(abs(m - median) / median for m in window_medians)
        stats = dict(stats)
        samples_5xx = stats.pop("5xx_samples", [])
        requests = sum(v for k, v in stats.items() if k.startswith("done_"))
        checks = {
            "rss_flat": drift <= args.rss_tolerance,
            "no_5xx": stats.get("errors_5xx", 0) == 0,
            "no_insecure_code_released": stats.get("insecure_code_released", 0) == 0,
            "in_flight_zero": in_flight == 0,
            "no_leaked_upstream_connections": conns == pool_idle,
        }
        result = {
            "duration_s": args.duration, "warmup_s": args.warmup, "clients": args.clients,
            "requests": requests, "requests_per_s": requests / total, "counts": stats,
            "5xx_samples": samples_5xx,
            "rss_mb": {"min": min(after) / 1024, "median": median / 1024, "max": max(after) / 1024,
                       "max_deviation": deviation,
                       "window_s": args.rss_window,
                       "window_medians": [m / 1024 for m in window_medians],
                       "window_median_max_deviation": drift, "at_start": samples[0][1] / 1024 if samples else None},
            "in_flight_after": in_flight, "pool_idle_after": pool_idle,
            "upstream_connections_after": conns,
            "warden_metrics": {k: v for k, v in metrics.items()
                               if k.startswith(("warden_requests_total", "warden_decisions_total",
                                                "warden_upstream_connections", "warden_guard_shed"))},
            "checks": checks, "rss_samples": samples,
        }
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)
        r = result["rss_mb"]
        print(f"soak: {args.warmup} s warm-up + {args.duration} s, {args.clients} clients, "
              f"{requests} requests ({requests / total:.1f}/s)")
        print()
        print("| kind | completed |")
        print("|---|---:|")
        for kind, _ in MIX:
            print(f"| {kind} | {stats.get('done_' + kind, 0)} |")
        print()
        print("status counts: " + ", ".join(f"{k[7:]}: {v}" for k, v in sorted(stats.items())
                                            if k.startswith("status_")))
        errs = {k: v for k, v in stats.items() if k.startswith("client_error_")}
        if errs:
            print(f"client-side errors (timeouts, resets): {errs}")
        print(f"answers with insecure code: {stats.get('insecure_code_cut', 0)} cut "
              f"(finish_reason content_filter), {stats.get('insecure_code_released', 0)} released")
        print(f"RSS after warm-up: min {r['min']:.1f} MB, median {r['median']:.1f} MB, "
              f"max {r['max']:.1f} MB, single samples up to {r['max_deviation'] * 100:.1f}% "
              f"from the median (at start {r['at_start']:.1f} MB)")
        print(f"RSS median per {args.rss_window:.0f} s: "
              + ", ".join(f"{m:.0f}" for m in r["window_medians"])
              + f" MB; max deviation {drift * 100:.1f}% (goal {args.rss_tolerance * 100:.0f}%)")
        print(f"after {args.idle_wait:.0f} s idle: in flight {in_flight:.0f}, upstream connections "
              f"{conns} established, pool idle gauge {pool_idle:.0f}")
        for name, ok in checks.items():
            print(f"  {'ok  ' if ok else 'FAIL'} {name}")
        for s in samples_5xx:
            print(f"  5xx: {s}")
        sys.exit(0 if all(checks.values()) else 1)
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
