"""Derives line labels for batch 4 of the independent corpus from the annotations its files carry.

usage: python3 make_labels.py > labels.tsv

Same source and same reading as batches 1 to 3: batch 3's `make_labels.py` (which imports batch
2's labeller and, through it, batch 1's comment parser and label words) is imported here, not
copied, and batch 2's `labels_for` is run with this batch's file lists and batch 3's label
words, widened. A comment naming `$ Alert`, `$ MISSING: Alert`, `$ has...`, `BAD` or `NOT OK`
marks a vulnerable line; `$ SPURIOUS: Alert`, `GOOD`, `OK`, `safe`/`Safe`/`good` a safe one; a
comment alone on its line labels the next code line unless that line has its own label (except
in INLINE_ONLY files).

What batch 4's files needed beyond batch 3 (each listed in the README):
- vulnerable: `$ sql-sink Alert[...]` / `$ path-injection-sink Alert[...]` (an `Alert` after
  other tags of the same `$` annotation: rs_SqlInjection-mysql.rs, rs_PathInjection.rs), and
  `// ZipSlip` (java_ZipSlip.java, whose three writes the ZipSlip query reports);
- safe: `This is okay, since content type is set to application/json` (ts_ReflectedXss-route.ts)
  and `$ good` (one line of rs_InsecureCookie.rs, whose other safe lines say `good`);
- AMBIGUOUS: `NOK OK` (js_InsecureRandomness.js), a typo that reads as either word: unlabelled;
- OUT_OF_SCOPE: `OK (we flagged secret1 above)` (js_InsecureRandomness.js: the alert is on
  another line) and go_UnsafeTLS.go's `OK (guarded by ...)`, `OK (var name suggests ...)`,
  `OK (switch-case name suggests ...)` and `OK (flows together with a modern version, ...)`
  (the query stays silent where the code signals a deliberate or configurable choice), which
  are no statement that the line is safe: unlabelled;
- INLINE_ONLY, SINKS as in batches 2 and 3, for the files named below.

Nothing here looks at Warden's rules or findings.
"""

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE / "files"

_spec = importlib.util.spec_from_file_location("batch3_labels", HERE.parent / "batch3" / "make_labels.py")
batch3 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch3)
batch2 = batch3.batch2

# CWE classes of each file, from the CodeQL test directory (and query) it came from.
CWES = {
    "c_UncontrolledFormatString-ifs.c": "CWE-134",
    "c_UnsafeUseOfStrcat.c": "CWE-120,CWE-676,CWE-251",
    "cpp_MemoryUnsafeFunctionScan.cpp": "CWE-120",
    "cpp_NonConstantFormat.cpp": "CWE-134",
    "cs_LogForging.cs": "CWE-117",
    "cs_UncontrolledFormatString.cs": "CWE-134",
    "go_InsecureHostKeyCallback.go": "CWE-322",
    "go_UnsafeTLS.go": "CWE-327",
    "java_StaticInitializationVector.java": "CWE-329,CWE-1204",
    "java_ZipSlip.java": "CWE-22",
    "js_InsecureRandomness.js": "CWE-338",
    "js_Xxe-libxml-noent.js": "CWE-611,CWE-776,CWE-827",
    "kt_UnsafeActivity.kt": "CWE-749,CWE-79",
    "py_LogInjection.py": "CWE-117",
    "py_RegexInjection.py": "CWE-730,CWE-400",
    "py_weak_crypto.py": "CWE-326",
    "rb_FilePermissions.rb": "CWE-732",
    "rb_tainted_format_string.rb": "CWE-134",
    "rs_InsecureCookie.rs": "CWE-614",
    "rs_PathInjection.rs": "CWE-22,CWE-23,CWE-36",
    "rs_SqlInjection-mysql.rs": "CWE-89",
    "swift_ConstantSalt.swift": "CWE-760",
    "swift_ECBEncryption.swift": "CWE-327",
    "swift_HardcodedEncryptionKey.swift": "CWE-321",
    "ts_CommandInjection-vercel.ts": "CWE-78",
    "ts_ReflectedXss-route.ts": "CWE-79",
}

# Files in CodeQL's inline-expectation style: only annotations on the line itself count (their
# own-line comments, such as "# Strong and OK keys." or "// secure set to true", head whole
# groups of lines).
INLINE_ONLY = {
    "go_InsecureHostKeyCallback.go",
    "kt_UnsafeActivity.kt",
    "py_LogInjection.py",
    "py_RegexInjection.py",
    "py_weak_crypto.py",
    "rs_InsecureCookie.rs",
    "rs_SqlInjection-mysql.rs",
    "swift_ConstantSalt.swift",
    "ts_CommandInjection-vercel.ts",
    "ts_ReflectedXss-route.ts",
}

# Own-line BAD/GOOD comments that head a block label the block's first line that calls the sink
# the comment is about: the `cipher.init` of each method (java_StaticInitializationVector.java),
# the `fs::read_to_string` of each handler (rs_PathInjection.rs), the `printf` that prints the
# format (c_UncontrolledFormatString-ifs.c; cpp_NonConstantFormat.cpp, where " printf(" leaves
# out the `sprintf` that fills a buffer first) and the `scanf`/`sscanf`/`fscanf` call
# (cpp_MemoryUnsafeFunctionScan.cpp).
SINKS = {
    "c_UncontrolledFormatString-ifs.c": "printf(",
    "cpp_MemoryUnsafeFunctionScan.cpp": "scanf(",
    "cpp_NonConstantFormat.cpp": " printf(",
    "java_StaticInitializationVector.java": "cipher.init(",
    "rs_PathInjection.rs": "fs::read_to_string(",
}

# Batch 3's label words, widened (batch 2's `label_of` reads these module globals when it runs).
AMBIGUOUS = re.compile(batch3.AMBIGUOUS.pattern + r"|\bNOK OK\b")
OUT_OF_SCOPE = re.compile(
    batch3.OUT_OF_SCOPE.pattern
    + r"|\bOK \(we flagged "
    + r"|\bOK \((?:guarded by|var name suggests|switch-case name suggests|flows together with) "
)
SAFE_EXTRA = re.compile(batch3.SAFE_EXTRA.pattern + r"|^\s*This is okay\b|^\s*\$\s*good\b")
VULN_EXTRA = re.compile(batch2.VULN_EXTRA.pattern + r"|\$\s*[\w-]+(?:\s+[\w-]+)*\s+Alert\[|^\s*ZipSlip\s*$")


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
