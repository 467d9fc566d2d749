import re
from flask import request

NAMES = ["alice", "bob", "carol"]


def search():
    expr = re.escape(request.args.get("q", ""))
    rx = re.compile(expr, re.IGNORECASE)
    return [n for n in NAMES if rx.search(n)]
