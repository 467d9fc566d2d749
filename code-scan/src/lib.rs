//! Insecure-code scanning for Warden: extracts code blocks from LLM text (whole or streamed),
//! parses each with its tree-sitter grammar and runs CWE-tagged rules kept as data files.

pub mod finding;

pub use finding::{Finding, Severity, Treatment};
