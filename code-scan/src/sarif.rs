//! SARIF 2.1.0 output: one run, every rule as a `reportingDescriptor` with help text and CWE
//! tags (`external/cwe/cwe-78`, as GitHub code scanning expects), one result per finding, and
//! scan errors as tool execution notifications with `executionSuccessful: false`.

use serde_json::{Value, json};

use crate::cli::FileScan;
use crate::finding::Severity;
use crate::scanner::Scanner;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Info => "note",
        Severity::Warning => "warning",
        Severity::Error => "error",
    }
}

/// GitHub's `security-severity` (0-10) for a severity.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Info => "3.0",
        Severity::Warning => "5.5",
        Severity::Error => "8.0",
    }
}

/// A relative URI reference for a path (percent-encodes what a URI cannot hold).
fn uri(path: &str) -> String {
    if path == "-" {
        return "stdin".to_string();
    }
    let mut out = String::with_capacity(path.len());
    for c in path.replace('\\', "/").chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' | '_' | '~' | '/' | ':' | '@' | '+' => {
                out.push(c)
            }
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

pub(crate) fn to_sarif(scanner: &Scanner, scans: &[FileScan]) -> Value {
    let rules: Vec<Value> = scanner
        .rules()
        .iter()
        .map(|rule| {
            let mut tags = vec!["security".to_string()];
            tags.extend(
                rule.cwe
                    .iter()
                    .map(|c| format!("external/cwe/{}", c.to_ascii_lowercase())),
            );
            let help = format!("{}\n\nInstead: {}", rule.why, rule.instead);
            let help_md = format!(
                "**{}**\n\n{}\n\n**Instead:** {}\n\n{}",
                rule.message,
                rule.why,
                rule.instead,
                rule.cwe
                    .iter()
                    .map(|c| {
                        let n = c.trim_start_matches("CWE-");
                        format!("[{c}](https://cwe.mitre.org/data/definitions/{n}.html)")
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            json!({
                "id": rule.id,
                "name": rule.id,
                "shortDescription": { "text": rule.message },
                "fullDescription": { "text": rule.why },
                "help": { "text": help, "markdown": help_md },
                "defaultConfiguration": { "level": level(rule.severity) },
                "properties": {
                    "tags": tags,
                    "precision": "high",
                    "security-severity": security_severity(rule.severity),
                    "cwe": rule.cwe,
                    "language": rule.languages.iter().map(|l| l.name()).collect::<Vec<_>>(),
                }
            })
        })
        .collect();
    let index_of = |id: &str| scanner.rules().iter().position(|r| r.id == id);
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for scan in scans {
        for f in &scan.findings {
            let mut result = json!({
                "ruleId": f.rule_id,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&scan.path) },
                        "region": {
                            "startLine": f.line,
                            "startColumn": f.column,
                            "endLine": f.end_line,
                            "endColumn": f.end_column,
                        }
                    }
                }],
                "properties": { "cwe": f.cwe, "language": f.language },
            });
            if let (Some(index), Some(obj)) = (index_of(&f.rule_id), result.as_object_mut()) {
                obj.insert("ruleIndex".to_string(), json!(index));
            }
            results.push(result);
        }
        for e in &scan.errors {
            notifications.push(json!({
                "level": "error",
                "message": { "text": e },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": uri(&scan.path) } }
                }],
            }));
        }
    }
    let successful = notifications.is_empty();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "warden-code-scan",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": "https://github.com/warden-gateway/warden",
                    "rules": rules,
                }
            },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": successful,
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }]
    })
}
