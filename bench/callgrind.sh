#!/usr/bin/env bash
# User-space instructions per request through Warden, counted by callgrind: one worker, one
# connection, after a 2 s warm-up; the counters cover 10 s of `wrk -t1 -c1`.
#
#   bench/callgrind.sh MODE [WARDEN_ARGS...]
#   MODE: unary | sse20 | ndjson200    e.g. bench/callgrind.sh sse20
#                                           bench/callgrind.sh unary --policies DIR
#   PROXY=nginx bench/callgrind.sh MODE    the same count for nginx (one process, no master,
#                                           proxy_buffering off, upstream keepalive), the baseline
#   KEEP=FILE bench/callgrind.sh MODE      also keeps the counted dump (for callgrind_annotate FILE)
# Needs valgrind, wrk and curl, and `cargo build --release -p warden --bins`; prints the
# requests, the instructions and their ratio. Ports are picked free; nothing is left running.
set -euo pipefail
mode=${1:?mode: unary, sse20 or ndjson200}; shift
root=$(cd "$(dirname "$0")/.." && pwd)
rel=$root/target/release
bin=${WARDEN_BIN:-$rel/warden}  # another build to compare: WARDEN_BIN=path
tmp=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$tmp"' EXIT
case $mode in
  unary) path=/v1/chat/completions; stream=false; frames=3 ;;
  sse20) path=/v1/chat/completions; stream=true; frames=20 ;;
  ndjson200) path=/api/chat; stream=true; frames=200 ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
cat > "$tmp/body.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"model":"llama3","messages":[{"role":"user","content":"Write a haiku about proxies."}],"stream":$stream}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-mock-frames"] = "$frames"
LUA
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
"$rel/mock-upstream" 127.0.0.1:0 > "$tmp/mock.out" &
for _ in $(seq 50); do [ -s "$tmp/mock.out" ] && break; sleep 0.1; done
mock=$(head -1 "$tmp/mock.out" | awk '{print $NF}')
port=$(free_port); admin=$(free_port)
if [ "${PROXY:-warden}" = nginx ]; then
  mkdir -p "$tmp/ngx"
  cat > "$tmp/nginx.conf" <<NGX
worker_processes 1; master_process off; daemon off; pid $tmp/nginx.pid; error_log $tmp/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  upstream mock { server $mock; keepalive 64; }
  client_body_temp_path $tmp/ngx/b; proxy_temp_path $tmp/ngx/p; fastcgi_temp_path $tmp/ngx/f;
  uwsgi_temp_path $tmp/ngx/u; scgi_temp_path $tmp/ngx/s;
  server {
    listen 127.0.0.1:$port;
    location / { proxy_pass http://mock; proxy_http_version 1.1; proxy_set_header Connection "";
                 proxy_buffering off; proxy_request_buffering off; tcp_nodelay on; }
  }
}
NGX
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$tmp/cg.%p" \
    "$nginx_bin" -c "$tmp/nginx.conf" -p "$tmp" 2> "$tmp/vg.log" &
  vg=$!
  for _ in $(seq 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.5; done
else
  WARDEN_LOG=warn valgrind --tool=callgrind --dump-instr=no --callgrind-out-file="$tmp/cg.%p" \
    "$bin" serve --workers 1 --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin" \
    --upstream "http://$mock" "$@" 2> "$tmp/vg.log" &
  vg=$!
  for _ in $(seq 120); do curl -fs -o /dev/null "http://127.0.0.1:$admin/healthz" && break; sleep 0.5; done
fi
url=http://127.0.0.1:$port$path
wrk -t1 -c1 -d2s -s "$tmp/body.lua" "$url" > /dev/null
callgrind_control -z "$vg" > /dev/null 2>&1
reqs=$(wrk -t1 -c1 -d10s -s "$tmp/body.lua" "$url" | awk '/requests in/{print $1}')
callgrind_control -d "$vg" > /dev/null 2>&1
kill "$vg"; wait "$vg" 2>/dev/null || true
ir=$(grep -h '^summary:' "$tmp"/cg.*.1 | awk '{s+=$2} END {print s}')
if [ -n "${KEEP:-}" ]; then cat "$tmp"/cg.*.1 > "$KEEP"; fi
echo "proxy ${PROXY:-warden} mode $mode requests $reqs instructions $ir per_request $((ir / reqs))"
