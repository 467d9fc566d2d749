//! Line-level recall and precision on the independent corpus (`corpus-independent/`, CodeQL
//! query tests with their own annotations; see its README). The corpus is measured, not
//! tuned for: this test prints the table and checks only that the labels still match the
//! files, so a rule change cannot quietly drop a file from the measurement.
//!
//! `cargo test -p warden-code-scan --test independent -- --nocapture`

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use warden_code_scan::{Finding, Scanner, options_for_input};

#[derive(Default, Debug)]
struct Tally {
    found: usize,
    found_cwe: usize,
    missed: usize,
    false_alarms: usize,
    quiet_safe: usize,
    unlabelled_findings: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

fn covers(f: &Finding, line: usize) -> bool {
    f.line <= line && line <= f.end_line.max(f.line)
}

#[test]
fn independent_corpus_line_level() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus-independent");
    let labels = std::fs::read_to_string(root.join("labels.tsv")).expect("labels.tsv");
    let scanner = Scanner::builtin().expect("built-in rules load");
    // path -> (line -> (label, expected CWEs))
    let mut by_file: BTreeMap<String, BTreeMap<usize, (String, Vec<String>)>> = BTreeMap::new();
    for row in labels
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = row.split('\t').collect();
        assert_eq!(fields.len(), 4, "labels.tsv row {row:?}");
        let line: usize = fields[1].parse().expect("line number");
        let cwes = fields[3].split(',').map(|c| c.trim().to_string()).collect();
        by_file
            .entry(fields[0].to_string())
            .or_default()
            .insert(line, (fields[2].to_string(), cwes));
    }
    let mut per_language: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut notes = Vec::new();
    for (path, lines) in &by_file {
        let file = root.join(path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
        let line_count = text.lines().count();
        let (options, language) = options_for_input(Some(Path::new(&file)), None);
        let report = scanner.scan_text(&text, &options).expect("scan");
        assert!(report.is_complete(), "{path}: {:?}", report.failures);
        let tally = per_language.entry(language).or_default();
        let mut labelled_hits: BTreeSet<usize> = BTreeSet::new();
        for (&line, (label, cwes)) in lines {
            assert!(
                line <= line_count,
                "{path}:{line} is past the end of the file"
            );
            let hits: Vec<&Finding> = report.findings.iter().filter(|f| covers(f, line)).collect();
            for (i, f) in report.findings.iter().enumerate() {
                if covers(f, line) {
                    labelled_hits.insert(i);
                }
            }
            match label.as_str() {
                "vulnerable" if hits.is_empty() => {
                    tally.missed += 1;
                    total.missed += 1;
                    notes.push(format!("missed   {path}:{line}"));
                }
                "vulnerable" => {
                    tally.found += 1;
                    total.found += 1;
                    if hits.iter().any(|f| f.cwe.iter().any(|c| cwes.contains(c))) {
                        tally.found_cwe += 1;
                        total.found_cwe += 1;
                    }
                }
                "safe" if hits.is_empty() => {
                    tally.quiet_safe += 1;
                    total.quiet_safe += 1;
                }
                "safe" => {
                    tally.false_alarms += 1;
                    total.false_alarms += 1;
                    let ids: Vec<&str> = hits.iter().map(|f| f.rule_id.as_str()).collect();
                    notes.push(format!("false+   {path}:{line} {ids:?}"));
                }
                other => panic!("{path}:{line}: unknown label {other}"),
            }
        }
        let unlabelled = report.findings.len() - labelled_hits.len();
        tally.unlabelled_findings += unlabelled;
        total.unlabelled_findings += unlabelled;
    }
    println!(
        "{:<11} {:>5} {:>5} {:>6} {:>5} {:>4} {:>7} {:>9} {:>10} {:>10}",
        "language",
        "found",
        "(cwe)",
        "missed",
        "fp",
        "tn",
        "recall",
        "precision",
        "recall-cwe",
        "unlabelled"
    );
    let row = |name: &str, t: &Tally| {
        println!(
            "{name:<11} {:>5} {:>5} {:>6} {:>5} {:>4} {:>7.3} {:>9.3} {:>10.3} {:>10}",
            t.found,
            t.found_cwe,
            t.missed,
            t.false_alarms,
            t.quiet_safe,
            ratio(t.found, t.found + t.missed),
            ratio(t.found, t.found + t.false_alarms),
            ratio(t.found_cwe, t.found + t.missed),
            t.unlabelled_findings
        );
    };
    for (language, t) in &per_language {
        row(language, t);
    }
    row("overall", &total);
    for n in &notes {
        println!("{n}");
    }
    assert_eq!(
        total.found + total.missed,
        151,
        "vulnerable lines in labels.tsv"
    );
    assert_eq!(
        total.false_alarms + total.quiet_safe,
        34,
        "safe lines in labels.tsv"
    );
}
