#!/usr/bin/env bash
# Proxy overhead benchmark: direct-to-mock vs through Warden vs through nginx, on loopback,
# in one run. Installs wrk and nginx from Debian if missing, builds release binaries, runs
# bench/proxy.py, and stops everything it started.
#   bench/proxy.sh [--duration SECS] [--concurrency 1,16,64]
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
cargo build --release -q -p warden -p warden-e2e --bins
exec python3 bench/proxy.py "$@"
