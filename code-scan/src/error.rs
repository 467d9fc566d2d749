//! The crate's error type. Each variant carries what a person needs to fix it: the rule file,
//! the rule id, the language, the reason.

use std::path::PathBuf;

/// Everything that can go wrong loading rules or scanning.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A rule file is not valid YAML or misses/misnames a field.
    #[error("rule file {path}: {reason}")]
    RuleFile { path: String, reason: String },

    /// A rule's fields are inconsistent (no matcher, unknown language, bad CWE id, ...).
    #[error("rule `{rule}` in {path}: {reason}")]
    InvalidRule {
        path: String,
        rule: String,
        reason: String,
    },

    /// Two rule files define the same id.
    #[error("rule id `{rule}` is defined twice: in {first} and in {second}; rename one")]
    DuplicateRule {
        rule: String,
        first: String,
        second: String,
    },

    /// A rule's tree-sitter query or regex does not compile for one of its languages.
    #[error("rule `{rule}` in {path}: the matcher does not compile for {language}: {reason}")]
    Matcher {
        path: String,
        rule: String,
        language: String,
        reason: String,
    },

    /// A rule's own examples disagree with it (a `flagged` example is missed, or a `passes`
    /// example fires); the rule is rejected.
    #[error("rule `{rule}` in {path}: example {kind}[{index}] ({language}): {reason}")]
    RuleExample {
        path: String,
        rule: String,
        language: String,
        kind: &'static str,
        index: usize,
        reason: String,
    },

    /// The parser could not make sense of a block: most of it is syntax errors for the
    /// language it was scanned as. Its findings are incomplete, so it is not "clean".
    #[error(
        "{language} code at line {line} did not parse ({error_percent}% of it is syntax errors); check the language tag"
    )]
    Unparsable {
        language: String,
        line: usize,
        error_percent: u32,
    },

    /// A block is larger than the configured limit and was not scanned.
    #[error("code block at line {line} is {bytes} bytes, over the {limit}-byte scan limit")]
    TooLarge {
        line: usize,
        bytes: usize,
        limit: usize,
    },

    /// The tree-sitter parser refused the grammar or returned no tree.
    #[error("{language} parser failed: {reason}")]
    Parser { language: String, reason: String },

    /// Reading an input file for `warden scan` failed.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Writing the scan output failed.
    #[error("cannot write scan output: {0}")]
    Write(#[from] std::io::Error),

    /// Encoding JSON or SARIF output failed.
    #[error("cannot encode scan output: {0}")]
    Encode(#[from] serde_json::Error),
}
