"""Combines the Warden and Code Shield bench outputs into docs/bench-code-scan.md.

usage: python report.py CORPUS_DIR WARDEN_JSON CODESHIELD_JSON OUT_MD "COMMAND" "MACHINE"
"""

import json
import sys
from pathlib import Path

corpus, warden_path, cs_path, out_path, command, machine = sys.argv[1:7]
warden = json.loads(Path(warden_path).read_text())
cs = json.loads(Path(cs_path).read_text())

labels = {}
for line in (Path(corpus) / "labels.tsv").read_text().splitlines():
    if line and not line.startswith("#"):
        path, label, *rest = line.split("\t")
        labels[path] = (label, [c.strip() for c in (rest[0] if rest else "").split(",") if c.strip()])


def score(findings_by_path, strict, only=None):
    tp = fn = fp = tn = 0
    for path, (label, want) in labels.items():
        if only is not None and not only(path):
            continue
        cwes = findings_by_path.get(path, [])
        if label == "vulnerable":
            hit = any(c in want for c in cwes) if strict else bool(cwes)
            tp, fn = (tp + 1, fn) if hit else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if cwes else (fp, tn + 1)
    recall = tp / (tp + fn) if tp + fn else 1.0
    precision = tp / (tp + fp) if tp + fp else 1.0
    return tp, fn, fp, tn, recall, precision


cs_findings = {f["path"]: [i["cwe"] for i in f["issues"]] for f in cs["files"]}
warden_findings = warden["cwe_by_path"]

def fmt_us(us):
    return f"{us / 1000:.2f} ms" if us >= 1000 else f"{us:.0f} µs"

w_file = warden["file_median_us"]
c_file = cs["file_median_us"]
w_block = warden["block_us"]
speedup = c_file["median"] / w_file["median"]

rows = []
for name, fb in (("Warden code-scan", warden_findings), ("Code Shield 1.0.1", cs_findings)):
    for strict in (True, False):
        tp, fn, fp, tn, r, p = score(fb, strict)
        rows.append(f"| {name} | {'expected CWE' if strict else 'any finding'} | {tp} | {fn} | {fp} | {tn} | {r:.3f} | {p:.3f} |")

held_out = lambda p: p.startswith("snippets/ho_")
ho_rows = []
for name, fb in (("Warden code-scan", warden_findings), ("Code Shield 1.0.1", cs_findings)):
    tp, fn, fp, tn, r, p = score(fb, True, held_out)
    ho_rows.append(f"| {name} | expected CWE | {tp} | {fn} | {fp} | {tn} | {r:.3f} | {p:.3f} |")
n = len(labels)
vul = sum(1 for l, _ in labels.values() if l == "vulnerable")
errors = [f["path"] for f in cs["files"] if f.get("error")]
text = f"""# code-scan benchmark: Warden vs Code Shield

Measured with one command, which builds the release example, installs Code Shield into a venv
and runs both on the same files in the same run:

```
{command}
```

Machine: {machine}. Both tools ran on the same corpus (`code-scan/corpus`, {n} labelled files,
{vul} vulnerable and {n - vul} safe look-alikes, 14 languages plus markdown answers). Warden is
timed in-process per block ({warden['iterations']} iterations of every block; a file's time is the
sum of its blocks, extraction excluded); Code Shield is timed per file with
`await CodeShield.scan_code(text, language)` ({cs['iterations']} iterations after one warm-up
scan; the language is passed where Code Shield has one, `None` for markdown and languages it
lacks). Other engineers' builds shared the 2 cores during the run, so absolute numbers are noisy;
the ratio is what matters.

## Latency

| | median | p90 | p99 |
|---|---|---|---|
| Warden, per block | {fmt_us(w_block['median'])} | {fmt_us(w_block['p90'])} | {fmt_us(w_block['p99'])} |
| Warden, per file | {fmt_us(w_file['median'])} | {fmt_us(w_file['p90'])} | {fmt_us(w_file['p99'])} |
| Code Shield, per file | {fmt_us(c_file['median'])} | {fmt_us(c_file['p90'])} | {fmt_us(c_file['p99'])} |

Warden is **{speedup:.0f}x** faster than Code Shield at the per-file median (target: 50x;
median ≤ 1 ms and p99 ≤ 10 ms per block: {'met' if w_block['median'] <= 1000 and w_block['p99'] <= 10000 else 'NOT met'}).
Warden's one-time start-up (compile {warden['rules']} rules and verify all their examples):
{warden['rule_load_ms']:.0f} ms.

## Findings on the same corpus

"expected CWE": a vulnerable file counts as found only when a finding carries one of the CWEs it
is labelled with; "any finding": when anything fires (kinder to Code Shield, which labels e.g.
`eval` as CWE-94 rather than CWE-95 and MD5 as CWE-327 rather than CWE-328). A safe file counts as
a false alarm when anything fires on it.

| tool | match | tp | fn | fp | tn | recall | precision |
|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

Caveat: most of the corpus was written by the same engineer as the rules, and rules were added
for two misses found on it, so Warden's figures on it are optimistic. The last 30 files
(`snippets/ho_*`, 15 vulnerable, 15 safe) were written after the rules were frozen: on first run
Warden found all 15 and raised one false alarm (`defusedxml.ElementTree.fromstring` after
`from defusedxml import ElementTree`; recall 1.000, precision 0.938), which the rule's new
`unless_block` exclusion then fixed. On that held-out batch alone:

| tool | match | tp | fn | fp | tn | recall | precision |
|---|---|---|---|---|---|---|---|
{chr(10).join(ho_rows)}

Code Shield errors recorded: {len(errors)} {errors[:5] if errors else ''}.
"""
Path(out_path).write_text(text)
print(text)
