"""Derives line labels for batch 5 of the independent corpus from the annotations its files carry.

usage: python3 make_labels.py > labels.tsv

Same source and same reading as batches 1 to 4: batch 4's `make_labels.py` (which imports batch
3's, batch 2's and, through them, batch 1's comment parser and label words) is imported here,
not copied, and batch 2's `labels_for` is run with this batch's file lists and batch 4's label
words, widened. A comment naming `$ Alert`, `$ MISSING: Alert`, `$ has...`, `BAD` or `NOT OK`
marks a vulnerable line; `$ SPURIOUS: Alert`, `GOOD`, `OK`, `safe`/`Safe`/`good` a safe one; a
comment alone on its line labels the next code line unless that line has its own label (except
in INLINE_ONLY files).

What batch 5's files needed beyond batch 4 (each listed in the README):
- vulnerable: `$ sqlInjection` (java_SqlInjection-Hibernate.java), `$result=BAD`
  (py_UnsafeShellCommandConstruction.py; already read by batch 1's `BAD`), lower-case `bad`
  (py_MissingHostKeyValidation.py, whose safe lines say `good`) and `unsafe`
  (java_XxeXmlInputFactory.java, whose safe lines say `safe`);
- OUT_OF_SCOPE: the header `Each query is expected to find exactly the lines marked BAD ...`
  (c_OverrunWrite-tests.c) describes the file, not the next line: unlabelled;
- INLINE_ONLY, SINKS as in batches 2 to 4, for the files named below.

Nothing here looks at Warden's rules or findings.
"""

import importlib.util
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE / "files"

_spec = importlib.util.spec_from_file_location("batch4_labels", HERE.parent / "batch4" / "make_labels.py")
batch4 = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(batch4)
batch2 = batch4.batch2

# CWE classes of each file, from the CodeQL test directory (and query) it came from.
CWES = {
    "c_OpenCallMissingModeArgument.c": "CWE-732",
    "c_OverrunWrite-tests.c": "CWE-120,CWE-787,CWE-805",
    "c_StrncpyFlippedArgs.c": "CWE-119,CWE-131",
    "c_SuspiciousCallToStrncat.c": "CWE-119,CWE-131,CWE-676",
    "cpp_CleartextStorage.cpp": "CWE-311,CWE-312,CWE-313",
    "cpp_OverflowDestination.cpp": "CWE-119,CWE-131",
    "cpp_OverrunWrite-wcscpy.cpp": "CWE-120,CWE-787,CWE-805",
    "cs_ExceptionInformationExposure.cs": "CWE-209,CWE-497",
    "cs_HttpOnlyCookie-AspNetCore.cs": "CWE-1004",
    "cs_SqlInjectionDapper.cs": "CWE-89",
    "go_CookieWithoutHttpOnly.go": "CWE-1004",
    "go_WeakCryptoAlgorithm-encryption.go": "CWE-327,CWE-328",
    "java_SqlInjection-Hibernate.java": "CWE-89",
    "java_XxeXmlInputFactory.java": "CWE-611,CWE-776,CWE-827",
    "js_SqlInjection-mysql.js": "CWE-89,CWE-943",
    "js_SqlInjection-pg-promise.js": "CWE-89,CWE-943",
    "js_UnsafeDeserialization.js": "CWE-502",
    "py_InsecureProtocol.py": "CWE-327",
    "py_MissingHostKeyValidation.py": "CWE-295",
    "py_NonHttpOnlyCookie.py": "CWE-1004",
    "py_UnsafeShellCommandConstruction.py": "CWE-78,CWE-88",
    "rb_RequestWithoutValidation-Faraday.rb": "CWE-295",
    "rb_TaintedPath.rb": "CWE-22,CWE-23,CWE-36",
    "rb_UrlRedirect.rb": "CWE-601",
    "rb_WeakSensitiveDataHashing.rb": "CWE-327,CWE-328,CWE-916",
    "rs_CleartextTransmission.rs": "CWE-311,CWE-319",
    "rs_LogInjection.rs": "CWE-117",
    "rs_RequestForgery.rs": "CWE-918",
    "swift_HardcodedPassword.swift": "CWE-259,CWE-798",
    "swift_UncontrolledFormatString.swift": "CWE-134",
    "ts_DomBasedXss-angular2-client.ts": "CWE-79,CWE-116",
    "ts_DomBasedXss-clipboard.ts": "CWE-79,CWE-116",
    "ts_ReflectedXss-vercel.ts": "CWE-79,CWE-116",
    "ts_SqlInjection-vercel.ts": "CWE-89,CWE-943",
    "ts_UnsafeHtmlConstruction-typed.ts": "CWE-79,CWE-116",
}

# Files in CodeQL's inline-expectation style (`$ Alert` on the line): only annotations on the line
# itself count. Their own-line comments, where they carry label words at all, head whole groups:
# a function (`// BAD, des is a weak crypto algorithm`), a two-line block (`# BAD` above a
# Faraday connection and its request, `// GOOD: encrypt first`, `// GOOD: log the stack trace,
# and send back a non-revealing response`) or a source and its sink (`// BAD: Formatted strings
# with user input`).
INLINE_ONLY = {
    "c_OpenCallMissingModeArgument.c",
    "cpp_CleartextStorage.cpp",
    "cpp_OverflowDestination.cpp",
    "cs_ExceptionInformationExposure.cs",
    "cs_HttpOnlyCookie-AspNetCore.cs",
    "cs_SqlInjectionDapper.cs",
    "go_CookieWithoutHttpOnly.go",
    "go_WeakCryptoAlgorithm-encryption.go",
    "py_InsecureProtocol.py",
    "py_NonHttpOnlyCookie.py",
    "rb_RequestWithoutValidation-Faraday.rb",
    "rb_WeakSensitiveDataHashing.rb",
    "rs_CleartextTransmission.rs",
    "rs_LogInjection.rs",
    "rs_RequestForgery.rs",
    "swift_UncontrolledFormatString.swift",
    "ts_DomBasedXss-angular2-client.ts",
    "ts_ReflectedXss-vercel.ts",
    "ts_SqlInjection-vercel.ts",
}

# Own-line BAD/GOOD comments that head a method label the method's first line that calls the sink
# the comment is about: the `File.read` of each route (rb_TaintedPath.rb; the two routes whose
# sinks are `send_file` and `Dir.glob` get no label) and the `redirect_to` / `redirect_back` /
# `redirect_back_or_to` of each route (rb_UrlRedirect.rb).
SINKS = {
    "rb_TaintedPath.rb": "File.read ",
    "rb_UrlRedirect.rb": "redirect_",
}

# Batch 4's label words, widened (batch 2's `label_of` reads these module globals when it runs).
AMBIGUOUS = batch4.AMBIGUOUS
OUT_OF_SCOPE = re.compile(
    batch4.OUT_OF_SCOPE.pattern
    + r"|expected to find exactly the lines marked BAD"
    + r"|\bOK: input is not sensitive"
)
SAFE_EXTRA = batch4.SAFE_EXTRA
VULN_EXTRA = re.compile(batch4.VULN_EXTRA.pattern + r"|\$\s*sqlInjection\b|^\s*(?:bad|unsafe)\b")


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
