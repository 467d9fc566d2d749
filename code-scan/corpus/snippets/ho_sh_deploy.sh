#!/usr/bin/env bash
set -euo pipefail
git pull --ff-only
cargo build --release
sudo systemctl restart app
