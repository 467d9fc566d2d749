#!/bin/bash
set -e
curl -fsSL https://get.example.com/install.sh | sudo bash
