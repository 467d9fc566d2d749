#!/bin/bash
set -euo pipefail
curl -fsSLO https://get.example.com/install.sh
echo "3f9a1c...  install.sh" | sha256sum -c -
bash install.sh
