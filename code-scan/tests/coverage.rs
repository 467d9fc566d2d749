//! The coverage table of docs/code-scan-coverage.md: every vulnerability class that Meta's
//! Insecure Code Detector (PurpleLlama CybersecurityBenchmarks, regex + semgrep + weggli rule
//! sets) has rules for, against the languages Warden supports. A cell is covered when a
//! built-in rule that runs on that language carries one of the class's CWEs.
//!
//! `cargo test -p warden-code-scan --test coverage`; after a rule change:
//! `cargo insta review` (or `INSTA_UPDATE=always`) and copy the table into the doc.

use std::collections::BTreeSet;

use warden_code_scan::{Language, Scanner};

use Language::{
    Bash, C, CSharp, Cpp, Go, Java, JavaScript, Kotlin, Php, Python, Ruby, Rust, Swift, TypeScript,
};

const ALL: &[Language] = &Language::ALL;
const WEB: &[Language] = &[
    Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Go, Kotlin,
];
const NOT_BASH: &[Language] = &[
    Python, JavaScript, TypeScript, C, Cpp, CSharp, Java, Php, Rust, Go, Ruby, Kotlin, Swift,
];

/// (class, the ICD languages that have rules for it, its CWEs, languages where it applies).
const CLASSES: &[(&str, &str, &[u32], &[Language])] = &[
    (
        "OS command injection",
        "c, cpp, csharp, java, js, php, python, rust",
        &[78],
        ALL,
    ),
    (
        "SQL injection",
        "csharp, php, python, rust",
        &[89, 943],
        NOT_BASH,
    ),
    (
        "code injection (eval, script engines)",
        "js, php, python",
        &[94, 95],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Kotlin, Bash,
        ],
    ),
    ("cross-site scripting", "csharp, java, js, php", &[79], WEB),
    (
        "path traversal, file inclusion",
        "csharp, js, php",
        &[22, 98],
        NOT_BASH,
    ),
    (
        "insecure deserialization",
        "csharp, java, php, python, swift",
        &[502],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Kotlin, Swift,
        ],
    ),
    (
        "weak hash (MD5, SHA-1, MD4, MD2)",
        "c, cpp, csharp, java, php, python, rust, swift",
        &[327, 328],
        NOT_BASH,
    ),
    (
        "weak cipher, ECB, static IV or nonce, RSA without padding",
        "c, cpp, csharp, java, python, swift",
        &[323, 327, 329, 780, 1204, 1240],
        NOT_BASH,
    ),
    (
        "insecure randomness, fixed seed",
        "c, cpp, csharp, java, js, php, python",
        &[330, 338],
        ALL,
    ),
    (
        "TLS/certificate verification disabled, weak protocol",
        "csharp, java, rust, swift",
        &[295, 326, 297],
        ALL,
    ),
    (
        "XML external entities",
        "cpp, csharp, java, php",
        &[611],
        &[
            Python, JavaScript, TypeScript, C, Cpp, CSharp, Java, Php, Ruby, Kotlin, Swift,
        ],
    ),
    (
        "LDAP injection",
        "csharp, java",
        &[90],
        &[
            Python, JavaScript, TypeScript, CSharp, Java, Php, Go, Kotlin,
        ],
    ),
    (
        "XPath injection",
        "csharp, java",
        &[643],
        &[Python, JavaScript, TypeScript, CSharp, Java, Php, Kotlin],
    ),
    ("open redirect", "csharp, php", &[601], WEB),
    (
        "CSRF protection disabled",
        "csharp, java",
        &[352],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Kotlin,
        ],
    ),
    (
        "cookie without Secure/HttpOnly",
        "csharp, php",
        &[311, 614, 1004],
        WEB,
    ),
    (
        "server-side request forgery",
        "java, php",
        &[918],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Go, Kotlin, Rust,
        ],
    ),
    (
        "memory safety: buffer overflow, dangerous functions, unsafe code",
        "c, cpp, js, rust, swift",
        &[119, 120, 121, 242, 590, 665, 676, 680, 908],
        &[C, Cpp, Rust, Go, Swift, JavaScript, TypeScript, CSharp],
    ),
    (
        "hard-coded secrets and keys",
        "all (8 token formats), python",
        &[798, 312, 321, 259],
        ALL,
    ),
    (
        "regular expression denial of service",
        "js",
        &[185, 1333],
        &[Python, JavaScript, TypeScript, Java, CSharp, Ruby, Php],
    ),
    (
        "postMessage without origin check",
        "js",
        &[345, 940],
        &[JavaScript, TypeScript],
    ),
    (
        "resource exhaustion (unbounded allocation)",
        "js",
        &[770, 789],
        &[JavaScript, TypeScript, C, Cpp],
    ),
    (
        "cleartext transport (http://, FTP, telnet)",
        "js",
        &[319],
        NOT_BASH,
    ),
    ("insecure temporary files", "rust", &[377], ALL),
    (
        "world-writable or readable files",
        "java, php",
        &[276, 732],
        ALL,
    ),
    (
        "information exposure (debug mode, error display)",
        "java, php",
        &[200, 209, 489],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Go, Kotlin,
        ],
    ),
    ("weak password requirements", "csharp", &[521], &[CSharp]),
    ("request validation disabled", "csharp", &[554], &[CSharp]),
    ("CORS misconfiguration", "java", &[942], WEB),
    ("obsolete functions", "c, cpp, java", &[477], &[C, Cpp]),
    (
        "insecure mobile storage (Keychain, file protection)",
        "swift",
        &[922],
        &[Swift, Kotlin],
    ),
    (
        "timing attack on secret comparison",
        "js",
        &[208],
        &[
            Python, JavaScript, TypeScript, Php, Ruby, Java, CSharp, Go, Kotlin,
        ],
    ),
    (
        "weak password hashing (fast hash, no salt)",
        "php",
        &[759, 916],
        NOT_BASH,
    ),
    ("file upload of dangerous type", "php", &[434], &[Php]),
    (
        "download of code without integrity check",
        "php",
        &[494],
        &[Php],
    ),
    (
        "untrusted program path or arguments (args, current_exe)",
        "rust",
        &[807],
        &[Rust],
    ),
    (
        "missing authentication or authorisation",
        "php",
        &[306, 862, 290],
        &[Php],
    ),
];

fn short(language: Language) -> &'static str {
    match language {
        Python => "py",
        JavaScript => "js",
        TypeScript => "ts",
        C => "c",
        Cpp => "cpp",
        CSharp => "cs",
        Java => "java",
        Php => "php",
        Rust => "rs",
        Go => "go",
        Ruby => "rb",
        Kotlin => "kt",
        Swift => "swift",
        Bash => "sh",
    }
}

fn table() -> (String, Vec<String>) {
    let scanner = Scanner::builtin().expect("built-in rules load");
    let mut out = String::from("| class (ICD languages) | CWEs |");
    for l in ALL {
        out.push_str(&format!(" {} |", short(*l)));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(ALL.len()));
    out.push('\n');
    let mut gaps = Vec::new();
    for (class, icd, cwes, applies) in CLASSES {
        let wanted: BTreeSet<String> = cwes.iter().map(|c| format!("CWE-{c}")).collect();
        let cwe_list: Vec<String> = cwes.iter().map(u32::to_string).collect();
        out.push_str(&format!("| {class} ({icd}) | {} |", cwe_list.join(", ")));
        for l in ALL {
            let covered = scanner.rules().iter().any(|r| {
                !r.languages.is_empty()
                    && r.applies_to(Some(*l))
                    && r.cwe.iter().any(|c| wanted.contains(c))
            }) || scanner
                .rules()
                .iter()
                .any(|r| r.languages.is_empty() && r.cwe.iter().any(|c| wanted.contains(c)));
            let cell = match (applies.contains(l), covered) {
                (_, true) => "✓",
                (true, false) => {
                    gaps.push(format!("{}: {class}", short(*l)));
                    "**gap**"
                }
                (false, false) => "n/a",
            };
            out.push_str(&format!(" {cell} |"));
        }
        out.push('\n');
    }
    (out, gaps)
}

#[test]
fn coverage_table_of_icd_classes() {
    let (table, gaps) = table();
    insta::assert_snapshot!("icd_coverage_table", table);
    println!("{} gaps: {gaps:?}", gaps.len());
}
