"""Scores Code Shield's findings on the independent corpus at line level, as
code-scan/tests/independent.rs scores Warden's: a vulnerable line is found when an issue is
reported on it, a safe line is a false alarm when one is. Code Shield reports one line per
issue. Prints a markdown table (per language, then overall).

usage: python independent_codeshield.py code-scan/corpus-independent codeshield.json
       python independent_codeshield.py code-scan/corpus-independent/batch2 codeshield-batch2.json
       python independent_codeshield.py code-scan/corpus-independent/batch3 codeshield-batch3.json
       python independent_codeshield.py code-scan/corpus-independent/batch5 codeshield-batch5.json
"""

import json
import sys
from collections import defaultdict
from pathlib import Path

LANG = {".c": "c", ".cpp": "cpp", ".cs": "csharp", ".go": "go", ".java": "java",
        ".js": "javascript", ".kt": "kotlin", ".php": "php", ".py": "python", ".rb": "ruby",
        ".rs": "rust", ".swift": "swift", ".ts": "typescript"}


def main() -> None:
    root = Path(sys.argv[1])
    report = json.loads(Path(sys.argv[2]).read_text())
    lines_by_path = {f["path"]: {i["line"] for i in f["issues"]} for f in report["files"]}
    tally = defaultdict(lambda: [0, 0, 0, 0])  # found, missed, false alarms, quiet safe
    for row in (root / "labels.tsv").read_text().splitlines():
        if not row or row.startswith("#"):
            continue
        path, line, label, _ = row.split("\t")
        hit = int(line) in lines_by_path.get(path, set())
        lang = LANG.get(Path(path).suffix, "other")
        index = {("vulnerable", True): 0, ("vulnerable", False): 1,
                 ("safe", True): 2, ("safe", False): 3}[(label, hit)]
        for key in (lang, "overall"):
            tally[key][index] += 1

    def ratio(a: int, b: int) -> float:
        return a / b if b else 1.0

    print("| language | found | missed | false alarms | quiet safe | recall | precision |")
    print("|---|---|---|---|---|---|---|")
    for key in sorted(k for k in tally if k != "overall") + ["overall"]:
        f, m, fp, tn = tally[key]
        print(f"| {key} | {f} | {m} | {fp} | {tn} | {ratio(f, f + m):.3f} | {ratio(f, f + fp):.3f} |")


if __name__ == "__main__":
    main()
