//! The languages the scanner parses, their names, aliases, file extensions and grammars, and
//! content detection for untagged code.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A language with a tree-sitter grammar and rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    JavaScript,
    TypeScript,
    C,
    Cpp,
    CSharp,
    Java,
    Php,
    Rust,
    Go,
    Ruby,
    Kotlin,
    Swift,
    Bash,
}

impl Language {
    /// Every supported language, in a stable order.
    pub const ALL: [Language; 14] = [
        Language::Python,
        Language::JavaScript,
        Language::TypeScript,
        Language::C,
        Language::Cpp,
        Language::CSharp,
        Language::Java,
        Language::Php,
        Language::Rust,
        Language::Go,
        Language::Ruby,
        Language::Kotlin,
        Language::Swift,
        Language::Bash,
    ];

    /// The canonical name used in rule files, findings and `--lang`.
    pub fn name(self) -> &'static str {
        match self {
            Language::Python => "python",
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::C => "c",
            Language::Cpp => "cpp",
            Language::CSharp => "csharp",
            Language::Java => "java",
            Language::Php => "php",
            Language::Rust => "rust",
            Language::Go => "go",
            Language::Ruby => "ruby",
            Language::Kotlin => "kotlin",
            Language::Swift => "swift",
            Language::Bash => "bash",
        }
    }

    /// Resolves a fence tag, `--lang` value or rule-file name, accepting the usual aliases
    /// (`py`, `js`, `ts`, `c++`, `cs`, `rs`, `golang`, `kt`, `rb`, `sh`, ...). Case-insensitive.
    pub fn from_alias(tag: &str) -> Option<Language> {
        let tag = tag.trim().to_ascii_lowercase();
        let lang = match tag.as_str() {
            "python" | "py" | "python3" | "py3" | "python2" | "ipython" | "pycon" | "gyp" => {
                Language::Python
            }
            "javascript" | "js" | "jsx" | "node" | "nodejs" | "mjs" | "cjs" | "ecmascript" => {
                Language::JavaScript
            }
            "typescript" | "ts" | "tsx" | "mts" | "cts" => Language::TypeScript,
            "c" | "h" => Language::C,
            "cpp" | "c++" | "cxx" | "cc" | "hpp" | "hxx" | "hh" | "h++" => Language::Cpp,
            "csharp" | "c#" | "cs" | "dotnet" => Language::CSharp,
            "java" => Language::Java,
            "php" | "php3" | "php4" | "php5" | "php7" | "php8" | "phtml" => Language::Php,
            "rust" | "rs" => Language::Rust,
            "go" | "golang" => Language::Go,
            "ruby" | "rb" | "jruby" | "rake" | "gemspec" => Language::Ruby,
            "kotlin" | "kt" | "kts" => Language::Kotlin,
            "swift" => Language::Swift,
            "bash" | "sh" | "shell" | "zsh" | "ksh" | "shellscript" | "console"
            | "shell-session" | "dockerfile-run" => Language::Bash,
            _ => return None,
        };
        Some(lang)
    }

    /// The language of a file, from its extension (`None` for unknown extensions and for
    /// markdown, which is scanned as an LLM answer).
    pub fn from_extension(ext: &str) -> Option<Language> {
        let ext = ext.to_ascii_lowercase();
        let lang = match ext.as_str() {
            "py" | "pyw" | "pyi" => Language::Python,
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" | "tsx" => Language::TypeScript,
            "c" | "h" => Language::C,
            "cc" | "cpp" | "cxx" | "c++" | "hpp" | "hh" | "hxx" | "ipp" => Language::Cpp,
            "cs" => Language::CSharp,
            "java" => Language::Java,
            "php" | "phtml" => Language::Php,
            "rs" => Language::Rust,
            "go" => Language::Go,
            "rb" | "rake" | "gemspec" => Language::Ruby,
            "kt" | "kts" => Language::Kotlin,
            "swift" => Language::Swift,
            "sh" | "bash" | "zsh" | "ksh" => Language::Bash,
            _ => return None,
        };
        Some(lang)
    }

    /// The tree-sitter grammar. PHP has two: with `<?php` tags (a template) and without (bare
    /// statements, as LLMs often write); the scanner picks by content, see
    /// [`Language::grammar_for`].
    pub(crate) fn grammar(self) -> tree_sitter::Language {
        match self {
            Language::Python => tree_sitter_python::LANGUAGE.into(),
            Language::JavaScript => tree_sitter_javascript::LANGUAGE.into(),
            Language::TypeScript => tree_sitter_typescript::LANGUAGE_TSX.into(),
            Language::C => tree_sitter_c::LANGUAGE.into(),
            Language::Cpp => tree_sitter_cpp::LANGUAGE.into(),
            Language::CSharp => tree_sitter_c_sharp::LANGUAGE.into(),
            Language::Java => tree_sitter_java::LANGUAGE.into(),
            Language::Php => tree_sitter_php::LANGUAGE_PHP_ONLY.into(),
            Language::Rust => tree_sitter_rust::LANGUAGE.into(),
            Language::Go => tree_sitter_go::LANGUAGE.into(),
            Language::Ruby => tree_sitter_ruby::LANGUAGE.into(),
            Language::Kotlin => tree_sitter_kotlin_ng::LANGUAGE.into(),
            Language::Swift => tree_sitter_swift::LANGUAGE.into(),
            Language::Bash => tree_sitter_bash::LANGUAGE.into(),
        }
    }

    /// PHP with an opening `<?php` tag needs the template grammar; the node kinds inside are
    /// the same, so the same rules compile against both.
    pub(crate) fn php_template_grammar() -> tree_sitter::Language {
        tree_sitter_php::LANGUAGE_PHP.into()
    }

    /// Guesses the language of untagged code from its content. Returns `None` when nothing
    /// scores clearly (prose, console output, data), so such text only meets the
    /// language-agnostic rules.
    pub fn detect(code: &str) -> Option<Language> {
        crate::detect::detect(code)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for an unknown language name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown language `{0}`: use one of python, javascript, typescript, c, cpp, csharp, java, php, rust, go, ruby, kotlin, swift, bash (or an alias such as py, js, ts, c++, cs, rs, golang, kt, rb, sh)"
)]
pub struct UnknownLanguage(pub String);

impl FromStr for Language {
    type Err = UnknownLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Language::from_alias(s).ok_or_else(|| UnknownLanguage(s.to_string()))
    }
}

/// The syntax tree of `code` as an S-expression with field names (for writing rule queries).
pub fn debug_tree(language: Language, code: &str) -> String {
    let mut parser = tree_sitter::Parser::new();
    let grammar = if language == Language::Php && code.contains("<?php") {
        Language::php_template_grammar()
    } else {
        language.grammar()
    };
    if let Err(e) = parser.set_language(&grammar) {
        return format!("grammar error: {e}");
    }
    match parser.parse(code, None) {
        Some(tree) => pretty_sexp(&tree.root_node().to_sexp()),
        None => "no tree".to_string(),
    }
}

fn pretty_sexp(sexp: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in sexp.chars() {
        match c {
            '(' => {
                if !out.is_empty() {
                    out.push('\n');
                    out.push_str(&"  ".repeat(depth));
                }
                depth += 1;
                out.push(c);
            }
            ')' => {
                depth = depth.saturating_sub(1);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}
