//! `warden scan [PATH...|-] [--lang L] [--format text|json|sarif]`.
//!
//! Files are scanned as code in the language of their extension (or `--lang`); `.md`,
//! `.markdown`, `.txt` and files of unknown extension are scanned as LLM answers (fenced blocks,
//! or the whole text when it is code); `-` or no path reads stdin as an LLM answer. Exit status:
//! 0 when nothing reaches the block threshold, 1 when something does, 2 on any error (an
//! unreadable file, a block that did not parse): an error is never reported as clean.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use crate::error::ScanError;
use crate::finding::{Finding, Severity, Treatment};
use crate::language::Language;
use crate::scanner::{ScanOptions, ScanReport, Scanner, TextMode, Thresholds};

/// Output formats of `warden scan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// One line per finding, then a summary per file.
    #[default]
    Text,
    /// `{"files":[{"path","language","treatment","scan_us","findings":[...]}]}`.
    Json,
    /// SARIF 2.1.0 with rule metadata, help and CWE tags.
    Sarif,
}

/// Arguments of `warden scan`.
#[derive(Debug, Clone, clap::Args)]
pub struct ScanArgs {
    /// Files to scan; `-` (or nothing) reads stdin as an LLM answer.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Scan everything as this language (python, js, ts, c, cpp, cs, java, php, rs, go, rb, kt,
    /// swift, sh...) instead of using extensions, fence tags and detection.
    #[arg(long, value_name = "L", value_parser = parse_language)]
    pub lang: Option<Language>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

fn parse_language(s: &str) -> Result<Language, String> {
    s.parse::<Language>().map_err(|e| e.to_string())
}

/// The scan of one input.
#[derive(Debug, Clone)]
pub(crate) struct FileScan {
    pub path: String,
    /// The language scanned as, or `markdown` for an LLM answer.
    pub language: String,
    pub treatment: Treatment,
    pub scan_us: u64,
    pub findings: Vec<Finding>,
    /// Why the input was not (completely) scanned.
    pub errors: Vec<String>,
}

#[derive(Serialize)]
struct JsonOutput<'a> {
    files: Vec<JsonFile<'a>>,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    language: &'a str,
    treatment: Treatment,
    scan_us: u64,
    findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: &'a Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule_id: &'a str,
    cwe: &'a [String],
    severity: Severity,
    message: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn is_answer_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_none_or(|e| matches!(e.to_ascii_lowercase().as_str(), "md" | "markdown" | "txt"))
}

/// The options `warden scan` uses for an input: the language of the file's extension (or
/// `--lang`) as whole-text code; markdown, text, unknown extensions and stdin as an LLM answer.
/// Returns the options and the language label shown in reports (`markdown` for answers).
pub fn options_for_input(file: Option<&Path>, lang: Option<Language>) -> (ScanOptions, String) {
    let answer_file = file.is_none_or(is_answer_extension);
    let code_language = lang.or_else(|| {
        file.filter(|p| !is_answer_extension(p))
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .and_then(Language::from_extension)
    });
    match code_language {
        None => (ScanOptions::default(), "markdown".to_string()),
        Some(language) => (
            ScanOptions {
                // `--lang` on an answer still extracts its fences, but scans them all as `lang`.
                mode: if answer_file {
                    TextMode::Auto
                } else {
                    TextMode::Code
                },
                language: Some(language),
                force_language: true,
                ..ScanOptions::default()
            },
            language.name().to_string(),
        ),
    }
}

fn scan_input(
    scanner: &Scanner,
    path: &str,
    text: &str,
    file: Option<&Path>,
    lang: Option<Language>,
) -> FileScan {
    let (options, language) = options_for_input(file, lang);
    let started = Instant::now();
    let result = scanner.scan_text(text, &options);
    let scan_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    match result {
        Ok(ScanReport {
            findings, failures, ..
        }) => FileScan {
            path: path.to_string(),
            language,
            treatment: Thresholds::default().treatment(findings.iter().map(|f| f.severity).max()),
            scan_us,
            findings,
            errors: failures.into_iter().map(|f| f.reason).collect(),
        },
        Err(err) => FileScan {
            path: path.to_string(),
            language,
            treatment: Treatment::Ignore,
            scan_us,
            findings: Vec::new(),
            errors: vec![err.to_string()],
        },
    }
}

/// Runs `warden scan`: scans the inputs, writes the report, and returns the exit status (0
/// clean, 1 something reaches the block threshold, 2 an input could not be read or scanned).
/// `Err` only when the rules do not load or the output cannot be written.
pub fn run_scan(
    args: ScanArgs,
    mut stdin: impl Read,
    mut stdout: impl Write,
) -> Result<ExitCode, ScanError> {
    let scanner = Scanner::builtin()?;
    let mut scans = Vec::new();
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.paths.clone()
    };
    for path in &paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            let scan = match stdin.read_to_string(&mut text) {
                Ok(_) => scan_input(&scanner, "-", &text, None, args.lang),
                Err(source) => failed_read(
                    "-",
                    ScanError::Read {
                        path: path.clone(),
                        source,
                    },
                ),
            };
            scans.push(scan);
            continue;
        }
        let shown = path.display().to_string();
        let scan = match std::fs::read(path) {
            Ok(bytes) => {
                let text = String::from_utf8_lossy(&bytes);
                scan_input(&scanner, &shown, &text, Some(path), args.lang)
            }
            Err(source) => failed_read(
                &shown,
                ScanError::Read {
                    path: path.clone(),
                    source,
                },
            ),
        };
        scans.push(scan);
    }
    match args.format {
        OutputFormat::Text => write_text(&scans, &mut stdout)?,
        OutputFormat::Json => {
            let output = JsonOutput {
                files: scans
                    .iter()
                    .map(|s| JsonFile {
                        path: &s.path,
                        language: &s.language,
                        treatment: s.treatment,
                        scan_us: s.scan_us,
                        findings: s
                            .findings
                            .iter()
                            .map(|f| JsonFinding {
                                rule_id: &f.rule_id,
                                cwe: &f.cwe,
                                severity: f.severity,
                                message: &f.message,
                                line: f.line,
                                column: f.column,
                                end_line: f.end_line,
                                end_column: f.end_column,
                            })
                            .collect(),
                        errors: &s.errors,
                    })
                    .collect(),
            };
            serde_json::to_writer_pretty(&mut stdout, &output)?;
            writeln!(stdout)?;
        }
        OutputFormat::Sarif => {
            let log = crate::sarif::to_sarif(&scanner, &scans);
            serde_json::to_writer_pretty(&mut stdout, &log)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush()?;
    let code = if scans.iter().any(|s| !s.errors.is_empty()) {
        2
    } else if scans.iter().any(|s| s.treatment == Treatment::Block) {
        1
    } else {
        0
    };
    Ok(ExitCode::from(code))
}

fn failed_read(path: &str, err: ScanError) -> FileScan {
    FileScan {
        path: path.to_string(),
        language: "text".to_string(),
        treatment: Treatment::Ignore,
        scan_us: 0,
        findings: Vec::new(),
        errors: vec![err.to_string()],
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Info => "info",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

fn treatment_word(t: Treatment) -> &'static str {
    match t {
        Treatment::Ignore => "ignore",
        Treatment::Warn => "warn",
        Treatment::Block => "block",
    }
}

fn write_text(scans: &[FileScan], out: &mut impl Write) -> Result<(), ScanError> {
    for scan in scans {
        for f in &scan.findings {
            writeln!(
                out,
                "{}:{}:{}: {}[{}] {} ({})",
                scan.path,
                f.line,
                f.column,
                severity_word(f.severity),
                f.rule_id,
                f.message,
                f.cwe.join(", ")
            )?;
        }
        for e in &scan.errors {
            writeln!(out, "{}: error: {e}", scan.path)?;
        }
        writeln!(
            out,
            "{}: {} ({} finding{}, {} µs, {})",
            scan.path,
            treatment_word(scan.treatment),
            scan.findings.len(),
            if scan.findings.len() == 1 { "" } else { "s" },
            scan.scan_us,
            scan.language
        )?;
    }
    Ok(())
}
