"""Derives line labels for batch 3 of the independent corpus from the annotations its files carry.

usage: python3 make_labels.py > labels.tsv

Same source and same reading as batches 1 and 2: batch 2's `make_labels.py` (which itself
imports batch 1's comment parser and label words) is imported here, not copied, and its
`labels_for` is run with this batch's file lists. A comment naming `$ Alert`,
`$ MISSING: Alert`, `$ has...`, `BAD` or `NOT OK` marks a vulnerable line; `$ SPURIOUS: Alert`,
`GOOD`, `OK`, `safe`/`Safe` a safe one; a comment alone on its line labels the next code line
unless that line has its own label (except in INLINE_ONLY files).

What batch 3's files needed beyond batch 2 (each listed in the README):
- one more safe phrase: `NO XXE: ...` (swift_XMLParserXXE.swift); `$ hasXXE=NN` and
  `$hasXPathInjection` are already read as vulnerable by batch 2's `$ has...` pattern;
- AMBIGUOUS: `OK (but probably unsafe after all)` (js_DisablingCertificateValidation.js) and
  `BAD [FALSE POSITIVE]` (c_SqlTainted.c) say both things of one line, so it is unlabelled;
- OUT_OF_SCOPE: `OK (flagged by js/insufficient-password-hash)` (js_BrokenCryptoAlgorithm.js)
  says another query reports the line, which is no statement that it is safe: unlabelled;
- INLINE_ONLY, SINKS and OVERRIDES as in batch 2, for the files named below.

Nothing here looks at Warden's rules or findings.
"""

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE / "files"

_spec = importlib.util.spec_from_file_location("batch2_labels", HERE.parent / "batch2" / "make_labels.py")
batch2 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch2)

# CWE classes of each file, from the CodeQL test directory (and query) it came from.
CWES = {
    "c_SqlTainted.c": "CWE-89",
    "c_TaintedPath.c": "CWE-22,CWE-23,CWE-36",
    "cpp_XXE-libxml2.cpp": "CWE-611,CWE-776,CWE-827",
    "cs_InsecureXML.cs": "CWE-611,CWE-776,CWE-827",
    "cs_LDAPInjection.cs": "CWE-90",
    "go_InsufficientKeySize.go": "CWE-326",
    "go_ReflectedXss.go": "CWE-79",
    "java_XPathInjectionTest.java": "CWE-643",
    "js_BrokenCryptoAlgorithm.js": "CWE-327,CWE-328",
    "js_DisablingCertificateValidation.js": "CWE-295,CWE-297",
    "py_reflected_xss.py": "CWE-79",
    "py_xpathFlow.py": "CWE-643",
    "rb_Nokogiri.rb": "CWE-611,CWE-776,CWE-827",
    "rb_ServerSideRequestForgery.rb": "CWE-918",
    "rs_BrokenCryptoAlgorithm.rs": "CWE-327",
    "rs_HardcodedCryptoValue.rs": "CWE-798,CWE-259,CWE-321,CWE-1204",
    "swift_InsufficientHashIterations.swift": "CWE-916",
    "swift_XMLParserXXE.swift": "CWE-611,CWE-776,CWE-827",
    "ts_RequestForgery-vercel.ts": "CWE-918",
    "ts_ServerSideUrlRedirect-next.ts": "CWE-601",
}

# Files in CodeQL's inline-expectation style: only annotations on the line itself count (their
# own-line comments, such as "// rc4 (broken)" or "// PBKDF1 test cases", head whole groups).
INLINE_ONLY = {
    "cpp_XXE-libxml2.cpp",
    "go_InsufficientKeySize.go",
    "java_XPathInjectionTest.java",
    "py_xpathFlow.py",
    "rb_Nokogiri.rb",
    "rs_BrokenCryptoAlgorithm.rs",
    "rs_HardcodedCryptoValue.rs",
    "swift_InsufficientHashIterations.swift",
    "swift_XMLParserXXE.swift",
    "ts_RequestForgery-vercel.ts",
    "ts_ServerSideUrlRedirect-next.ts",
}

# Block-level comments mapped to the statements they name. cs_LDAPInjection.cs: the own-line
# "// BAD: ..." comments head blocks whose sink lines carry `$ Alert=rN` (the first statement
# after some is a bare constructor), and "// GOOD: Filter includes user input with encoding"
# heads the one `LDAPEncode(userName)` statement. rb_ServerSideRequestForgery.rb: each
# "# BAD - ..." heads a block whose request line carries `$ Alert` (the next line is sometimes
# the `$ Source`), and "# GOOD - user can only control the suffix of the URL" heads the block
# whose request is the `Excon.post("users-service/...")` call.
OVERRIDES = {
    "cs_LDAPInjection.cs": {"$ Alert": "vulnerable", "LDAPEncode(userName)": "safe"},
    "rb_ServerSideRequestForgery.rb": {
        "# $ Alert": "vulnerable",
        'Excon.post("users-service/': "safe",
    },
}

# c_TaintedPath.c: "// GOOD: use a fixed file" heads a block whose `fopen` opens the fixed name.
SINKS = {"c_TaintedPath.c": "fopen("}

# Batch 2's label words, widened (its `label_of` reads these module globals when it runs).
AMBIGUOUS = re.compile(
    batch2.AMBIGUOUS.pattern + r"|\bOK \(but probably unsafe after all\)|\bBAD \[FALSE POSITIVE\]"
)
OUT_OF_SCOPE = re.compile(batch2.OUT_OF_SCOPE.pattern + r"|\bOK \(flagged by ")
SAFE_EXTRA = re.compile(batch2.SAFE_EXTRA.pattern + r"|^\s*NO XXE:")


def main():
    # Batch 2's labeller with this batch's file lists and label words, through batch 1's printer.
    batch2.INLINE_ONLY, batch2.OVERRIDES, batch2.SINKS = INLINE_ONLY, OVERRIDES, SINKS
    batch2.AMBIGUOUS, batch2.OUT_OF_SCOPE, batch2.SAFE_EXTRA = AMBIGUOUS, OUT_OF_SCOPE, SAFE_EXTRA
    batch1 = batch2.batch1
    batch1.ROOT, batch1.CWES, batch1.labels_for = ROOT, CWES, batch2.labels_for
    return batch1.main()


if __name__ == "__main__":
    sys.exit(main())
