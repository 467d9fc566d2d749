"""Derives line labels for batch 2 of the independent corpus from the annotations its files carry.

usage: python3 make_labels.py > labels.tsv

Same source and same reading as batch 1 (`../make_labels.py`, whose comment parser and label
words are imported here, not copied): a comment naming `$ Alert`, `$ MISSING: Alert`, `BAD` or
`NOT OK` marks a vulnerable line; `$ SPURIOUS: Alert`, `GOOD`, `OK` or `safe` a safe one; a
comment alone on its line labels the next code line unless that line has its own label.

What batch 2's files needed beyond batch 1 (each listed in the README):
- more inline-expectation names: `$ hasTaintFlow`, `$ hasCleartextStorageSharedPrefs`,
  `$unsafeDeserialization` (vulnerable), and the lower-case / capitalised `good` and `Safe`;
- INLINE_ONLY files: files written in CodeQL's inline-expectation style (`$ Alert` on the
  sink line), whose own-line comments (`# BAD`, `// safe`, `// GOOD: ...`) describe a whole
  function or block rather than the next line; only same-line annotations are read there;
- AMBIGUOUS: a comment that says a line is both OK and NOT OK depending on the platform
  leaves the line unlabelled;
- OUT_OF_SCOPE: a comment that says the query deliberately does not report a thing (weak
  *hashes* in a weak-*cipher* test) is no statement that the line is safe, so the line is
  left unlabelled (as batch 1 leaves `md5` of non-secrets unlabelled);
- SINKS: a file whose own-line BAD/GOOD comments head a block label the block's first line
  that calls the sink the comment is about, not the block's first line;
- OVERRIDES: block-level comments whose statement is named by the comment itself are mapped
  to that statement (as batch 1 does for `c_ExecTainted.c`).

Nothing here looks at Warden's rules or findings.
"""

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE / "files"

_spec = importlib.util.spec_from_file_location("batch1_labels", HERE.parent / "make_labels.py")
batch1 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch1)
comment_of = batch1.comment_of

# CWE classes of each file, from the CodeQL test directory (and query) it came from.
CWES = {
    "cpp_BrokenCryptoAlgorithm.cpp": "CWE-327",
    "cpp_SqlTainted.cpp": "CWE-89",
    "cpp_UseOfHttp.cpp": "CWE-319",
    "cs_InsufficientKeySize.cs": "CWE-326",
    "cs_SqlInjectionSqlite.cs": "CWE-89",
    "go_DisabledCertificateCheck.go": "CWE-295",
    "go_InsecureRandomness.go": "CWE-338,CWE-330",
    "go_RequestForgery.go": "CWE-918",
    "go_TaintedPath.go": "CWE-22,CWE-23,CWE-36",
    "java_HardcodedJschCredentials.java": "CWE-798",
    "java_SAXReaderTests.java": "CWE-611,CWE-776,CWE-827",
    "java_UnsafeDeserialization.java": "CWE-502",
    "js_CodeInjection-express.js": "CWE-94,CWE-95",
    "kt_CleartextStorageSharedPrefs.kt": "CWE-312",
    "py_ldap_bad.py": "CWE-90",
    "py_path_injection.py": "CWE-22,CWE-23,CWE-36",
    "py_test_cryptography.py": "CWE-327",
    "py_unsafe_deserialization.py": "CWE-502",
    "rb_PgInjection.rb": "CWE-89",
    "rb_UnsafeDeserialization.rb": "CWE-502",
    "rb_broken_crypto.rb": "CWE-327",
    "rs_DisabledCertificateCheck.rs": "CWE-295",
    "rs_UseOfHttp.rs": "CWE-319",
    "swift_InsecureTLS.swift": "CWE-757,CWE-327",
    "ts_TaintedPath.ts": "CWE-22,CWE-23,CWE-36",
    "ts_typedClient.ts": "CWE-89,CWE-943",
}

INLINE_ONLY = {
    "go_RequestForgery.go",
    "java_SAXReaderTests.java",
    "java_UnsafeDeserialization.java",
    "kt_CleartextStorageSharedPrefs.kt",
    "py_ldap_bad.py",
    "py_path_injection.py",
    "rb_UnsafeDeserialization.rb",
    "rs_DisabledCertificateCheck.rs",
    "rs_UseOfHttp.rs",
    "ts_TaintedPath.ts",
    "ts_typedClient.ts",
}

# py_path_injection.py: "OK if only running on UNIX systems, NOT OK if could be running on windows".
AMBIGUOUS = re.compile(r"\bOK if\b.*\bNOT OK if\b")
# rb_broken_crypto.rb: "OK: don't report hash algorithm even if it is weak".
OUT_OF_SCOPE = re.compile(r"don't report hash algorithm")

# Block-level comments mapped to the statements they name. cs_SqlInjectionSqlite.cs: each
# "BAD: untrusted data is not sanitized." sits above the block whose statement passes
# `untrustedData.Text` to SQLite (two of them above a `using` line). java_HardcodedJsch
# Credentials.java: one "BAD: Hardcoded credentials used for the session username and/or
# password." above the `try` block whose four statements pass literal credentials.
OVERRIDES = {
    "cs_SqlInjectionSqlite.cs": {"untrustedData.Text": "vulnerable"},
    "java_HardcodedJschCredentials.java": {
        'getSession("Username"': "vulnerable",
        'setPassword("password"': "vulnerable",
    },
}

# go_TaintedPath.go: each "// BAD: ..." / "// GOOD: ..." heads a block (a sanitiser, a guard,
# then the read); the label belongs to the block's `ioutil.ReadFile` call.
SINKS = {"go_TaintedPath.go": "ioutil.ReadFile("}

VULN_EXTRA = re.compile(r"\$\s*has[A-Z]\w*|\$\s*unsafeDeserialization")
SAFE_EXTRA = re.compile(r"^\s*(good|Safe)\b")


def label_of(comment):
    if comment is None or AMBIGUOUS.search(comment) or OUT_OF_SCOPE.search(comment):
        return None
    extra = ((VULN_EXTRA, "vulnerable"), (SAFE_EXTRA, "safe"))
    return batch1.label_of(comment) or next((l for p, l in extra if p.search(comment)), None)


def labels_for(name, text):
    marker = "#" if name.endswith((".py", ".rb")) else "//"
    lines = text.split("\n")
    if name in OVERRIDES:
        return {
            number: label
            for number, line in enumerate(lines, start=1)
            for needle, label in OVERRIDES[name].items()
            if needle in line
        }
    inline_only = name in INLINE_ONLY
    out = {}
    pending = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        comment = comment_of(line, marker)
        if comment is not None and stripped.startswith(marker):
            label = label_of(comment)
            if label is not None and not inline_only:
                pending = label
            continue
        if not stripped:
            continue
        label = label_of(comment)
        sink = SINKS.get(name)
        if sink is not None and label is None and sink not in line:
            continue
        if label is None and pending is not None and not AMBIGUOUS.search(comment or ""):
            label = pending
        pending = None
        if label is not None:
            out[number] = label
    return out


def main():
    # Batch 1's printer, pointed at this batch's files, CWE map and labeller.
    batch1.ROOT, batch1.CWES, batch1.labels_for = ROOT, CWES, labels_for
    return batch1.main()


if __name__ == "__main__":
    sys.exit(main())
