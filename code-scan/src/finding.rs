//! What a scan reports.

use serde::{Deserialize, Serialize};

/// How serious a finding is; ordered `Info < Warning < Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// What a scan recommends doing with the scanned text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Treatment {
    Ignore,
    Warn,
    Block,
}

/// One weakness found in one code block. Lines and columns are 1-based and refer to the
/// original text the block was extracted from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub rule_id: String,
    /// CWE ids such as `CWE-78`.
    pub cwe: Vec<String>,
    pub severity: Severity,
    pub message: String,
    pub language: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}
