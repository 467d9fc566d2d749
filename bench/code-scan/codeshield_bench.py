"""Times Meta's Code Shield (codeshield 1.0.1, semgrep 1.69.0) on the Warden code-scan corpus.

For each labelled file: one untimed warm-up scan (the first scan pays ~0.8 s of start-up), then
ITER timed scans of the whole file with `CodeShield.scan_code(text, language)`. Code Shield does
not extract code from markdown or detect languages, so markdown answers and languages it lacks
run with language=None (all of its languages, as its docs describe). Prints JSON.

usage: python codeshield_bench.py CORPUS_DIR [ITER]
"""

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from codeshield.cs import CodeShield
from codeshield.insecure_code_detector.languages import Language

EXT = {
    ".py": Language.PYTHON, ".js": Language.JAVASCRIPT, ".ts": Language.JAVASCRIPT,
    ".tsx": Language.JAVASCRIPT, ".c": Language.C, ".cpp": Language.CPP, ".cs": Language.CSHARP,
    ".java": Language.JAVA, ".php": Language.PHP, ".rs": Language.RUST, ".kt": Language.KOTLIN,
    ".rb": Language.RUBY, ".swift": Language.SWIFT, ".go": None,
}


async def main() -> None:
    root = Path(sys.argv[1])
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    files = []
    warm = False
    seen = set()
    for line in (root / "labels.tsv").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        rel = line.split("\t")[0]
        if rel in seen:  # the independent corpus has one row per labelled line
            continue
        seen.add(rel)
        path = root / rel
        text = path.read_text()
        language = EXT.get(path.suffix)
        if not warm:
            await CodeShield.scan_code(text, language)
            warm = True
        samples = []
        result = None
        error = None
        for _ in range(iterations):
            t = time.perf_counter()
            try:
                result = await CodeShield.scan_code(text, language)
            except Exception as e:  # noqa: BLE001 - recorded, not hidden
                error = repr(e)
            samples.append((time.perf_counter() - t) * 1e6)
        issues = []
        if result is not None and result.issues_found:
            for issue in result.issues_found:
                issues.append({
                    "cwe": issue.cwe_id, "severity": str(issue.severity),
                    "pattern": issue.pattern_id, "line": issue.line,
                })
        files.append({
            "path": rel,
            "language": language.value if language else None,
            "median_us": statistics.median(samples),
            "is_insecure": bool(result and result.is_insecure),
            "treatment": str(result.recommended_treatment.value) if result else None,
            "issues": issues,
            "error": error,
        })
    meds = sorted(f["median_us"] for f in files)

    def pct(p: float) -> float:
        return meds[min(len(meds) - 1, round(p / 100 * (len(meds) - 1)))]

    print(json.dumps({
        "iterations": iterations,
        "file_median_us": {"median": pct(50), "p90": pct(90), "p99": pct(99)},
        "files": files,
    }, indent=1))


asyncio.run(main())
