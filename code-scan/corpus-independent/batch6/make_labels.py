"""Derives line labels for batch 6 of the independent corpus from the annotations its files carry.

usage: python3 make_labels.py > labels.tsv

Same source and same reading as batches 1 to 5: batch 5's `make_labels.py` (which imports batch
4's, and through it those of batches 3, 2 and 1) is imported here, not copied, and batch 2's
`labels_for` is run with this batch's file lists and batch 5's label words, widened. A comment
naming `$ Alert`, `$ MISSING: Alert`, `$ has...`, `BAD` or `NOT OK` marks a vulnerable line;
`$ SPURIOUS: Alert`, `GOOD`, `OK`, `safe`/`Safe`/`good` a safe one; a comment alone on its line
labels the next code line unless that line has its own label (except in INLINE_ONLY files).

What batch 6's files needed beyond batch 5 (each listed in the README):
- OUT_OF_SCOPE: `Rest OK because only the first result is caught`
  (go_InsecureRandomness-sample.go) says the query reports only the first of five identical
  lines, which is no statement that the line is safe: unlabelled;
- INLINE_ONLY, SINKS as in batches 2 to 5, for the files named below.

Nothing here looks at Warden's rules or findings.
"""

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE / "files"

_spec = importlib.util.spec_from_file_location("batch5_labels", HERE.parent / "batch5" / "make_labels.py")
batch5 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch5)
batch2 = batch5.batch2

# CWE classes of each file, from the CodeQL test directory (and query) it came from.
CWES = {
    "c_CgiXss.c": "CWE-79",
    "c_SqlTainted-libpq.c": "CWE-89",
    "c_UncontrolledFormatString-funcs.c": "CWE-134",
    "cpp_CleartextSqliteDatabase.cpp": "CWE-313,CWE-312",
    "cs_ConsoleUncontrolledFormatString.cs": "CWE-134",
    "cs_SqlInjectionNHibernate.cs": "CWE-89",
    "cs_StoredLDAPInjection.cs": "CWE-90",
    "cs_ZipSlip.cs": "CWE-22",
    "go_InsecureRandomness-sample.go": "CWE-338,CWE-330",
    "go_OpenUrlRedirect.go": "CWE-601",
    "go_OpenUrlRedirect-stdlib.go": "CWE-601",
    "go_StoredXss.go": "CWE-79,CWE-116",
    "go_TarSlip.go": "CWE-22",
    "go_XPathInjection.go": "CWE-643",
    "java_SpelInjection.java": "CWE-94,CWE-917",
    "java_TaintedEnvironment.java": "CWE-78,CWE-454",
    "js_CookieWithoutHttpOnly-responseCookie.js": "CWE-1004",
    "py_SqlInjection-asyncpg.py": "CWE-89",
    "py_TarSlip.py": "CWE-22",
    "rb_InsecureDownload.rb": "CWE-829,CWE-494",
    "rs_UnsafeDeserialization.rs": "CWE-502",
    "rs_Xss-axum.rs": "CWE-79",
    "rs_Xxe.rs": "CWE-611,CWE-776,CWE-827",
    "swift_StaticInitializationVector.swift": "CWE-1204,CWE-329",
}

# Files in CodeQL's inline-expectation style (`$ Alert` on the line), or whose own-line comments
# head whole functions or blocks: only annotations on the line itself count.
# - c_CgiXss.c: one `// BAD` follows its function's alert and would label the next `puts`;
# - cpp_CleartextSqliteDatabase.cpp, rs_UnsafeDeserialization.rs: own-line BAD/GOOD/Unsafe/Safe
#   head a function or a block of statements;
# - rs_Xxe.rs: section banners (`// --- BAD: ... ---`) head the next function, and `// GOOD: ...`
#   heads two or three calls;
# - go_TarSlip.go: `// GOOD: ...` heads a function;
# - py_TarSlip.py: own-line comments (`#Sanitized`, `# OK Sanitized using not`) head a block
#   whose first line opens the archive; the file's inline `# unsafe` / `# safe` are read.
INLINE_ONLY = {
    "c_CgiXss.c",
    "cpp_CleartextSqliteDatabase.cpp",
    "go_TarSlip.go",
    "py_TarSlip.py",
    "rs_UnsafeDeserialization.rs",
    "rs_Xxe.rs",
}

# Own-line BAD/GOOD comments that head a block label the block's first line that calls the sink:
# the `printf(` of each block (c_UncontrolledFormatString-funcs.c: `// BAD: i1 comes from the
# user` sits above the buffer's declaration, its read and its `printf`).
SINKS = {
    "c_UncontrolledFormatString-funcs.c": "printf(",
}

# Batch 5's label words, widened (batch 2's `label_of` reads these module globals when it runs).
AMBIGUOUS = batch5.AMBIGUOUS
OUT_OF_SCOPE = re.compile(batch5.OUT_OF_SCOPE.pattern + r"|\bRest OK because only the first result is caught")
SAFE_EXTRA = batch5.SAFE_EXTRA
VULN_EXTRA = batch5.VULN_EXTRA


def main():
    # Batch 2's labeller with this batch's file lists and label words, through batch 1's printer.
    batch2.INLINE_ONLY, batch2.OVERRIDES, batch2.SINKS = INLINE_ONLY, {}, SINKS
    batch2.AMBIGUOUS, batch2.OUT_OF_SCOPE = AMBIGUOUS, OUT_OF_SCOPE
    batch2.SAFE_EXTRA, batch2.VULN_EXTRA = SAFE_EXTRA, VULN_EXTRA
    batch1 = batch2.batch1
    batch1.ROOT, batch1.CWES, batch1.labels_for = ROOT, CWES, batch2.labels_for
    return batch1.main()


if __name__ == "__main__":
    sys.exit(main())
