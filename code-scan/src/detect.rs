//! Content detection for untagged code: each language has a few weighted line signals; the best
//! score wins when it is clearly ahead. Signals are anchored to syntax an LLM would not write in
//! prose (`def f(`, `#include <`, `fn main(`), so an answer's prose never becomes "code".

use std::sync::OnceLock;

use regex::{Regex, RegexSet};

use crate::language::Language;

struct Signal {
    language: Language,
    weight: u32,
    pattern: Regex,
}

/// The signals, and the same patterns as one set: one pass over the text finds every signal
/// that matches, instead of one search per signal (a short prose answer cost ~60 searches).
struct Signals {
    each: Vec<Signal>,
    set: Option<RegexSet>,
}

/// Compiles the signals now (the scanner does at start-up), so the first answer scanned does
/// not pay for it.
pub(crate) fn prepare() {
    signals();
}

fn signals() -> &'static Signals {
    static SIGNALS: OnceLock<Signals> = OnceLock::new();
    SIGNALS.get_or_init(|| {
        use Language::*;
        let table: &[(Language, u32, &str)] = &[
            (Python, 3, r"(?m)^\s*def \w+\(.*\)\s*(->\s*[\w\[\], .]+)?:\s*$"),
            (Python, 3, r"(?m)^\s*(from [\w.]+ )?import [\w., ]+$"),
            (Python, 2, r"(?m)^\s*(if|elif|while|for|with|try|except|class)\b.*:\s*$"),
            (Python, 2, r"(?m)^\s*print\("),
            (Python, 2, r#"(?m)^if __name__ == ['"]__main__['"]:"#),
            (Python, 1, r"\bself\.\w+"),
            (JavaScript, 3, r"(?m)^\s*(const|let|var) \w+ = require\("),
            (JavaScript, 3, r"(?m)^\s*(import .* from ['\x22]|export (default |const |function ))"),
            (JavaScript, 2, r"(?m)^\s*(const|let|var) [\w{}\[\], ]+ =[^=]"),
            (JavaScript, 2, r"\bfunction\s*\w*\s*\([^)]*\)\s*\{"),
            (JavaScript, 2, r"=>\s*[{(]?"),
            (JavaScript, 2, r"\b(console\.log|document\.|window\.|module\.exports|app\.(get|post|use)\()"),
            (TypeScript, 4, r"(?m)^\s*(interface|type) \w+(<[^>]*>)?\s*(=|\{)"),
            (TypeScript, 3, r"\b(const|let|var|function)\b[^\n]*:\s*(string|number|boolean|any|void|unknown)\b"),
            (TypeScript, 2, r"\):\s*(Promise<|string|number|void|boolean)"),
            (C, 4, r"(?m)^#include\s*<(stdio|stdlib|string|unistd|sys/\w+|stdint|stdbool|fcntl|errno)\.h>"),
            (C, 2, r"(?m)^\s*(int|void|char|unsigned|size_t|static|struct \w+)\s+\*?\w+\s*\([^)]*\)\s*\{?\s*$"),
            (C, 2, r"\b(printf|scanf|malloc|free|strcpy|memcpy|fgets)\s*\("),
            (Cpp, 5, r"(?m)^#include\s*<(iostream|string|vector|map|memory|algorithm|cstring|cstdlib|cstdio|fstream|sstream)>"),
            (Cpp, 4, r"\bstd::\w+"),
            (Cpp, 3, r"(?m)^\s*(using namespace \w+;|template\s*<|class \w+\s*(:\s*public \w+)?\s*\{)"),
            (Cpp, 2, r"\b(cout|cin|cerr)\s*<<|>>"),
            (CSharp, 5, r"(?m)^\s*using System(\.\w+)*;"),
            (CSharp, 3, r"(?m)^\s*(public|private|internal|protected)\s+(static\s+)?(async\s+)?(void|string|int|bool|Task(<[^>]+>)?)\s+[A-Z]\w*\s*\("),
            (CSharp, 3, r"\b(Console\.WriteLine|namespace \w+|\[HttpGet|\[HttpPost|var \w+ = new )"),
            (Java, 5, r"(?m)^\s*import java(x)?\.[\w.*]+;"),
            (Java, 4, r"\bpublic static void main\(String\[\] \w+\)"),
            (Java, 3, r"\bSystem\.out\.print(ln)?\("),
            (Java, 2, r"(?m)^\s*(public |private |protected )?(final )?class \w+( extends \w+)?( implements [\w, ]+)?\s*\{"),
            (Php, 6, r"<\?php"),
            (Php, 3, r"\$\w+\s*=\s*\$_(GET|POST|REQUEST|COOKIE|SERVER)\["),
            (Php, 2, r"(?m)^\s*\$\w+(->\w+)*\s*=[^=]"),
            (Php, 2, r"\b(echo|mysqli_\w+|function \w+\(\$)"),
            (Rust, 5, r"(?m)^\s*(pub )?fn \w+(<[^>]*>)?\([^)]*\)(\s*->\s*[^{]+)?\s*\{"),
            (Rust, 4, r"(?m)^\s*use (std|crate|super|tokio|serde)::"),
            (Rust, 3, r"\blet mut \w+|\bimpl\b[^{]*\{|\bunsafe \{|\w+!\("),
            (Go, 6, r"(?m)^package \w+\s*$"),
            (Go, 4, r"(?m)^\s*func (\([^)]*\) )?\w+\([^)]*\)"),
            (Go, 3, r":= |\bfmt\.\w+\(|\bif err != nil\b"),
            (Ruby, 3, r"(?m)^\s*(require|require_relative) ['\x22]"),
            (Ruby, 3, r"(?m)^\s*def \w+[?!]?(\(.*\))?\s*$"),
            (Ruby, 2, r"(?m)^\s*end\s*$"),
            (Ruby, 2, r"\b(puts|attr_accessor|do \|\w+\|)"),
            (Kotlin, 5, r"(?m)^\s*fun \w+\([^)]*\)(\s*:\s*\w+)?\s*[{=]"),
            (Kotlin, 3, r"(?m)^\s*(val|var) \w+(\s*:\s*\w+)?\s*="),
            (Kotlin, 2, r"\b(println\(|data class|import kotlin|import android)"),
            (Swift, 5, r"(?m)^\s*import (Foundation|UIKit|SwiftUI|Security|CryptoKit)\s*$"),
            (Swift, 4, r"(?m)^\s*func \w+\([^)]*\)(\s*(throws|async))*(\s*->\s*\S+)?\s*\{"),
            (Swift, 2, r"(?m)^\s*(let|var) \w+(\s*:\s*\w+[?!]?)?\s*=|\bguard let\b"),
            (Bash, 6, r"(?m)\A#!\s*/(usr/)?bin/(env )?(ba|z|k)?sh"),
            (Bash, 3, r"(?m)^\s*(sudo |apt(-get)? |chmod |chown |curl |wget |export \w+=|echo \$)"),
            (Bash, 2, r"(?m)^\s*(if \[\[? |fi$|done$|then$|for \w+ in )"),
            (Bash, 2, r"(?m)^\s*\$ \w+"),
        ];
        let each = table
            .iter()
            .map(|(language, weight, pattern)| Signal {
                language: *language,
                weight: *weight,
                pattern: Regex::new(pattern).expect("detection signals are constant, valid regexes"),
            })
            .collect();
        // Should the set ever pass the regex size limit, each signal is searched on its own.
        let set = RegexSet::new(table.iter().map(|(_, _, pattern)| pattern)).ok();
        Signals { each, set }
    })
}

/// Scores every language and returns the winner when it reaches a minimum score and no
/// unrelated language ties it. Dialect pairs resolve upwards: C signals count for C++, and
/// JavaScript signals for TypeScript, so a C++ file with `printf` stays C++.
pub(crate) fn detect(code: &str) -> Option<Language> {
    let mut scores = [0u32; Language::ALL.len()];
    let signals = signals();
    match &signals.set {
        Some(set) => {
            for i in set.matches(code).iter() {
                let signal = &signals.each[i];
                scores[index(signal.language)] += signal.weight;
            }
        }
        None => {
            for signal in &signals.each {
                if signal.pattern.is_match(code) {
                    scores[index(signal.language)] += signal.weight;
                }
            }
        }
    }
    let mut adjusted = scores;
    if scores[index(Language::Cpp)] > 0 {
        adjusted[index(Language::Cpp)] += scores[index(Language::C)];
    }
    if scores[index(Language::TypeScript)] > 0 {
        adjusted[index(Language::TypeScript)] += scores[index(Language::JavaScript)];
    }
    let (best, best_score) = adjusted
        .iter()
        .enumerate()
        .max_by_key(|(i, s)| (**s, std::cmp::Reverse(*i)))
        .map(|(i, s)| (Language::ALL[i], *s))?;
    if best_score < 3 {
        return None;
    }
    let runner_up = adjusted
        .iter()
        .enumerate()
        .filter(|(i, _)| Language::ALL[*i] != best)
        .filter(|(i, _)| !is_dialect_pair(best, Language::ALL[*i]))
        .map(|(_, s)| *s)
        .max()
        .unwrap_or(0);
    (best_score > runner_up).then_some(best)
}

fn is_dialect_pair(a: Language, b: Language) -> bool {
    matches!(
        (a, b),
        (Language::Cpp, Language::C)
            | (Language::C, Language::Cpp)
            | (Language::TypeScript, Language::JavaScript)
            | (Language::JavaScript, Language::TypeScript)
    )
}

fn index(language: Language) -> usize {
    Language::ALL
        .iter()
        .position(|l| *l == language)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_snippets() {
        let cases = [
            (
                "import os\n\ndef main():\n    print(os.getcwd())\n",
                Language::Python,
            ),
            (
                "#include <stdio.h>\nint main(void) {\n  printf(\"hi\");\n}\n",
                Language::C,
            ),
            (
                "#include <iostream>\nint main() { std::cout << 1; }\n",
                Language::Cpp,
            ),
            (
                "package main\n\nimport \"fmt\"\nfunc main() { fmt.Println(1) }\n",
                Language::Go,
            ),
            (
                "fn main() {\n    let mut x = 1;\n    println!(\"{x}\");\n}\n",
                Language::Rust,
            ),
            ("<?php\necho $_GET['a'];\n", Language::Php),
            (
                "const fs = require('fs');\nfs.readFileSync(p);\n",
                Language::JavaScript,
            ),
            ("#!/bin/bash\nchmod 777 /tmp/x\n", Language::Bash),
            (
                "using System;\nclass A { static void Main() { Console.WriteLine(1); } }\n",
                Language::CSharp,
            ),
            (
                "import java.io.File;\npublic class A {\n}\n",
                Language::Java,
            ),
            (
                "interface User { name: string }\nconst u: User = { name: 'a' };\n",
                Language::TypeScript,
            ),
        ];
        for (code, want) in cases {
            assert_eq!(detect(code), Some(want), "{code}");
        }
    }

    #[test]
    fn prose_and_output_are_not_code() {
        assert_eq!(
            detect("Hello! Here is how you do it. First, open the file."),
            None
        );
        assert_eq!(detect("total 8\n-rw-r--r-- 1 root root 0 a.txt\n"), None);
    }

    #[test]
    fn the_signal_set_finds_what_each_signal_finds() {
        let signals = signals();
        let set = signals
            .set
            .as_ref()
            .expect("the signal set fits the regex size limit");
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/snippets");
        let mut texts: Vec<String> = std::fs::read_dir(&corpus)
            .expect("corpus")
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        texts.push("Hello! Here is how you do it. First, open the file.".into());
        assert!(texts.len() > 20);
        for text in &texts {
            let each: Vec<usize> = (0..signals.each.len())
                .filter(|&i| signals.each[i].pattern.is_match(text))
                .collect();
            let together: Vec<usize> = set.matches(text).iter().collect();
            assert_eq!(each, together, "{text}");
        }
    }
}
