//! Insecure-code scanning for Warden: extracts code blocks from LLM text (whole or streamed),
//! parses each with its tree-sitter grammar and runs CWE-tagged rules kept as data files.
//!
//! # API
//!
//! - [`Scanner::builtin`] compiles the built-in rules (`code-scan/rules/<language>/*.yaml`,
//!   embedded at build time) once per process, verifies every rule against its own examples,
//!   and returns a cheap `Arc` handle (`Send + Sync`).
//! - [`Scanner::scan_block`] scans one [`CodeBlock`]; [`Scanner::scan_text`] extracts the code
//!   of an LLM answer (fenced blocks, or the whole text when it is code) and returns a
//!   [`ScanReport`] whose [`ScanReport::treatment`] applies [`Thresholds`] (default: `error`
//!   blocks, `warning` warns). [`ScanOptions`] disables rule ids, restricts languages, and
//!   sets or forces the language.
//! - [`StreamExtractor`] takes streamed chunks and yields each block as its closing fence
//!   arrives; [`StreamExtractor::in_fence`] tells the proxy to hold text back.
//! - [`builtin_rule_ids`] lists rule ids for policy validation.
//! - [`run_scan`] with [`ScanArgs`] is `warden scan` (text, JSON, SARIF 2.1.0).
//!
//! # The one non-obvious choice
//!
//! Matchers are tree-sitter queries, not ast-grep patterns or line regexes (ADR 010): every
//! rule of a language is concatenated into one [`tree_sitter::Query`], so a block costs one
//! parse and one query walk however many rules there are, and a regex rule restricted to node
//! kinds is compiled into the same query as a `#match?` predicate. A scan never reports
//! "clean" because it broke: a block the grammar rejects, or one too large, is listed in
//! [`ScanReport::failures`], and `scan_block` returns an error for it.

pub mod cli;
mod detect;
pub mod error;
pub mod extract;
pub mod finding;
mod flow;
pub mod language;
pub mod rules;
pub mod sarif;
pub mod scanner;

pub use cli::{OutputFormat, ScanArgs, options_for_input, run_scan};
pub use error::ScanError;
pub use extract::{CodeBlock, StreamExtractor, extract_fenced, language_from_info};
pub use finding::{Finding, Severity, Treatment};
pub use language::{Language, UnknownLanguage};
pub use rules::Rule;
pub use scanner::{
    BlockSummary, ScanFailure, ScanOptions, ScanReport, Scanner, TextMode, Thresholds,
    builtin_rule_ids,
};
