#!/bin/bash
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sort input.txt > "$tmp"
