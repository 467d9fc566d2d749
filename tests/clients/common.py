"""Shared helpers for the real-client scripts run by tests/tests/real_clients.rs.

Each script runs one scenario (argv[1]) with one prompt (argv[2]) and prints exactly one JSON
line describing what the real client library returned or raised. Extra request headers (the
mock upstream's `x-mock-*` controls) come as a JSON object in WARDEN_TEST_HEADERS. Anything
unexpected is left to raise: a traceback and a non-zero exit fail the Rust test with stderr.
"""

import json
import os
import sys


def scenario_and_prompt():
    if len(sys.argv) != 3:
        sys.exit(f"usage: {sys.argv[0]} SCENARIO PROMPT")
    return sys.argv[1], sys.argv[2]


def extra_headers():
    return json.loads(os.environ.get("WARDEN_TEST_HEADERS") or "{}")


def report(result):
    print(json.dumps(result, sort_keys=True), flush=True)
