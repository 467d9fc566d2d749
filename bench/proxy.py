#!/usr/bin/env python3
"""Drive the proxy benchmark (see proxy.sh). Prints a markdown table.

For each target (direct to the mock upstream, through Warden, through nginx, optionally
haproxy and an older Warden binary), mode (unary chat completion; streamed chat completions as
SSE and Ollama NDJSON of 20 and 200 frames) and concurrency, wrk runs for a fixed time;
requests/s and p50/p99 latency come from wrk, CPU time per request from the proxy processes'
utime+stime in /proc before and after.
"""
import argparse, os, re, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REL = os.path.join(ROOT, "target", "release")
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except FileNotFoundError:
            pass
    return total


def children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def ms(value, unit):
    value = float(value)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def run_wrk(url, script, conns, duration):
    threads = min(conns, 2)
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{duration}s", "--latency", "-s", script, url],
        capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", out, re.M))
    def parse(s):
        m = re.match(r"([\d.]+)(\w+)", s)
        return ms(m.group(1), m.group(2))
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    if errors or sock:
        print(f"warning: {url} c={conns}: {errors.group(0) if errors else ''} {sock.group(0) if sock else ''}", file=sys.stderr)
    return reqs, reqs / duration, parse(lat["50"]), parse(lat["99"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--duration", type=int, default=5)
    ap.add_argument("--concurrency", default="1,16,64")
    ap.add_argument("--guarded", action="store_true",
                    help="also run Warden with code scanning only, and with the toy guard + scanner")
    ap.add_argument("--before", metavar="BIN",
                    help="also run this (older) warden binary as a pass-through proxy (and, with --guarded, "
                         "with code scanning only), to compare a change in the same run")
    ap.add_argument("--default", action="store_true",
                    help="also run Warden as a new user does: `warden serve --upstream URL` with no policy "
                         "file (the built-in default preset; with --before, the older binary too)")
    ap.add_argument("--haproxy", action="store_true", help="also run haproxy as a plain reverse proxy")
    ap.add_argument("--repeats", type=int, default=1,
                    help="measure each cell this many times, the targets' order rotating, and report "
                         "medians (the machines are shared and noisy); adds a table of ratios to nginx")
    ap.add_argument("--modes", default="unary,sse20,sse200,ndjson20,ndjson200",
                    help="comma-separated: unary, sse20, sse200, ndjson20, ndjson200, sse16 (the old stream cell)")
    args = ap.parse_args()
    concs = [int(c) for c in args.concurrency.split(",")]
    procs = []
    tmp = tempfile.mkdtemp(prefix="warden-bench-")
    try:
        mock = subprocess.Popen([os.path.join(REL, "mock-upstream"), "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
        procs.append(mock)
        mock_addr = mock.stdout.readline().split()[-1]
        mock_port = int(mock_addr.rsplit(":", 1)[1])

        def policy_dir(name, yaml):
            d = os.path.join(tmp, name)
            os.makedirs(d)
            with open(os.path.join(d, "policies.yaml"), "w") as f:
                f.write(yaml)
            return d

        passthrough = policy_dir("passthrough", "version: 1\npolicies:\n  - name: passthrough\n"
                                 "    guard: { prompts: false, responses: false }\n"
                                 "    code: { prompts: false, responses: false }\n")

        def start_warden(policies, extra=(), binary=os.path.join(REL, "warden")):
            wport, aport = free_port(), free_port()
            p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{wport}",
                                  "--admin-listen", f"127.0.0.1:{aport}", "--upstream", f"http://{mock_addr}",
                                  *(["--policies", policies] if policies else []), *extra],
                                 stderr=subprocess.DEVNULL, env={**os.environ, "WARDEN_LOG": "warn"})
            procs.append(p)
            wait_port(wport, timeout=60)
            return p, wport

        warden, wport = start_warden(passthrough)
        extra_targets = []
        if args.before:
            wb0, wb0port = start_warden(passthrough, binary=args.before)
            extra_targets.append(("warden (before)", wb0port, [wb0.pid]))
        if args.guarded:
            scan_only = policy_dir("scan", "version: 1\npolicies:\n  - name: scan\n"
                                   "    guard: { prompts: false, responses: false }\n"
                                   "    code: { prompts: true, responses: true }\n"
                                   "    streaming: { mode: window, window_chars: 1000, overlap_chars: 200 }\n")
            guarded = policy_dir("guard", "version: 1\npolicies:\n  - name: guard\n"
                                 "    guard: { template: lg2, prompts: true, responses: true }\n"
                                 "    code: { prompts: true, responses: true }\n"
                                 "    streaming: { mode: window, window_chars: 1000, overlap_chars: 200 }\n")
            ws, wsport = start_warden(scan_only)
            wg, wgport = start_warden(guarded, ["--guard-model", os.path.join(ROOT, "tests/fixtures/toy-guard")])
            extra_targets += [("warden+scan", wsport, [ws.pid]), ("warden+guard+scan", wgport, [wg.pid])]
            if args.before:
                wb, wbport = start_warden(scan_only, binary=args.before)
                extra_targets.append(("warden+scan (before)", wbport, [wb.pid]))

        if args.default:
            wd, wdport = start_warden(None)
            extra_targets.append(("warden (default preset)", wdport, [wd.pid]))
            if args.before:
                wdb, wdbport = start_warden(None, binary=args.before)
                extra_targets.append(("warden (default preset, before)", wdbport, [wdb.pid]))

        nport = free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""
worker_processes auto;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
daemon off;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  upstream mock {{ server {mock_addr}; keepalive 256; }}
  client_body_temp_path {tmp}/body; proxy_temp_path {tmp}/proxy;
  fastcgi_temp_path {tmp}/fcgi; uwsgi_temp_path {tmp}/uwsgi; scgi_temp_path {tmp}/scgi;
  server {{
    listen 127.0.0.1:{nport};
    location / {{
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
      tcp_nodelay on;
    }}
  }}
}}
""")
        nginx_bin = "nginx" if subprocess.run(["which", "nginx"], capture_output=True).returncode == 0 else "/usr/sbin/nginx"
        nginx = subprocess.Popen([nginx_bin, "-c", conf, "-p", tmp])
        procs.append(nginx)
        wait_port(nport)
        time.sleep(0.3)
        nginx_pids = [nginx.pid] + children(nginx.pid)

        if args.haproxy:
            hport = free_port()
            hconf = os.path.join(tmp, "haproxy.cfg")
            with open(hconf, "w") as f:
                f.write(f"""
global
  nbthread 2
  maxconn 4096
defaults
  mode http
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  no option http-server-close
  http-reuse always
frontend fe
  bind 127.0.0.1:{hport}
  default_backend be
backend be
  server mock {mock_addr}
""")
            haproxy = subprocess.Popen(["haproxy", "-f", hconf, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(haproxy)
            wait_port(hport)
            extra_targets.append(("haproxy", hport, [haproxy.pid]))

        scripts = {}
        chat = '{"model":"llama3","messages":[{"role":"user","content":"Write a haiku about proxies."}],"stream":%s}'
        # (path, body, frames)
        mode_defs = {
            "unary": ("/v1/chat/completions", chat % "false", 3),
            "sse16": ("/v1/chat/completions", chat % "true", 16),
            "sse20": ("/v1/chat/completions", chat % "true", 20),
            "sse200": ("/v1/chat/completions", chat % "true", 200),
            "ndjson20": ("/api/chat", chat % "true", 20),
            "ndjson200": ("/api/chat", chat % "true", 200),
        }
        modes = args.modes.split(",")
        for mode in modes:
            if mode not in mode_defs:
                raise SystemExit(f"unknown mode {mode}; known: {', '.join(mode_defs)}")
            _, body, frames = mode_defs[mode]
            path = os.path.join(tmp, f"{mode}.lua")
            with open(path, "w") as f:
                f.write('wrk.method = "POST"\n')
                f.write(f"wrk.body = '{body}'\n")
                f.write('wrk.headers["Content-Type"] = "application/json"\n')
                f.write(f'wrk.headers["x-mock-frames"] = "{frames}"\n')
            scripts[mode] = path

        targets = [("direct", mock_port, [mock.pid]), ("warden", wport, [warden.pid]), ("nginx", nport, nginx_pids)] + extra_targets
        rows = []
        ratios = []
        for mode in modes:
            route = mode_defs[mode][0]
            for c in concs:
                # warm-up, so connection pools are filled
                for name, port, _ in targets:
                    run_wrk(f"http://127.0.0.1:{port}{route}", scripts[mode], c, 1)
                samples = {name: [] for name, _, _ in targets}
                for r in range(args.repeats):
                    shift = r % len(targets)
                    for name, port, pids in targets[shift:] + targets[:shift]:
                        before = cpu_ticks(pids)
                        reqs, rps, p50, p99 = run_wrk(f"http://127.0.0.1:{port}{route}", scripts[mode], c, args.duration)
                        cpu = (cpu_ticks(pids) - before) / TICK
                        samples[name].append((rps, p50, p99, cpu * 1e6 / max(reqs, 1)))
                results = {name: tuple(statistics.median(v[i] for v in vals) for i in range(4))
                           for name, vals in samples.items()}
                if "nginx" in samples:
                    # Ratios per repeat (each against nginx's run in the same round), then the median.
                    for name, vals in samples.items():
                        if name in ("direct", "nginx"):
                            continue
                        cpu_ratio = statistics.median(v[3] / max(n[3], 1e-9) for v, n in zip(vals, samples["nginx"]))
                        p99_diff = statistics.median(v[2] - n[2] for v, n in zip(vals, samples["nginx"]))
                        ratios.append((mode, c, name, cpu_ratio, p99_diff))
                base_p50 = results["direct"][1]
                for name, _, _ in targets:
                    rps, p50, p99, cpu_us = results[name]
                    added = "" if name == "direct" else f"{p50 - base_p50:+.3f}"
                    rows.append((mode, c, name, rps, p50, p99, added, cpu_us if name != "direct" else None))
                print(f"done {mode} c={c}", file=sys.stderr)

        print(f"| mode | conc | target | req/s | p50 ms | p99 ms | added p50 ms | proxy CPU us/req |")
        print("|---|---|---|---|---|---|---|---|")
        for mode, c, name, rps, p50, p99, added, cpu in rows:
            cpu_s = "-" if cpu is None else f"{cpu:.1f}"
            print(f"| {mode} | {c} | {name} | {rps:.0f} | {p50:.3f} | {p99:.3f} | {added or '-'} | {cpu_s} |")
        if args.repeats > 1 and ratios:
            print()
            print(f"Median over {args.repeats} rounds of the per-round ratio to nginx:")
            print()
            print("| mode | conc | target | CPU/req vs nginx | p99 minus nginx's (ms) |")
            print("|---|---|---|---|---|")
            for mode, c, name, cpu_ratio, p99_diff in ratios:
                print(f"| {mode} | {c} | {name} | {cpu_ratio:.2f}x | {p99_diff:+.3f} |")
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
