//! Line-level recall and precision on the independent corpus (`corpus-independent/`, CodeQL
//! query tests with their own annotations; see its README and `batch2/README.md` to
//! `batch6/README.md`). The corpus is measured, not tuned for: this test prints one table per
//! batch and one for all of them, and checks only that each batch's labels still match its
//! files, so a rule change cannot quietly drop a file from the measurement.
//!
//! Development batches (1 to 5, whose misses rules have been written from; ADR 025) also
//! print their missed and falsely flagged lines. Batch 6 is held out: its per-line notes are
//! printed only when `WARDEN_INDEPENDENT_NOTES=1` is set, so that tuning on it is not the
//! default (and reading them makes a batch a development batch).
//!
//! `cargo test -p warden-code-scan --test independent -- --nocapture`

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use warden_code_scan::{Finding, Scanner, options_for_input};

#[derive(Default, Debug, Clone, Copy)]
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

impl Tally {
    fn add(&mut self, other: &Tally) {
        self.found += other.found;
        self.found_cwe += other.found_cwe;
        self.missed += other.missed;
        self.false_alarms += other.false_alarms;
        self.quiet_safe += other.quiet_safe;
        self.unlabelled_findings += other.unlabelled_findings;
    }
}

/// One batch scored: tallies per language and in all, and one note per missed or falsely
/// flagged line.
#[derive(Default)]
struct Score {
    per_language: BTreeMap<String, Tally>,
    total: Tally,
    notes: Vec<String>,
}

impl Score {
    fn add(&mut self, other: &Score) {
        for (language, t) in &other.per_language {
            self.per_language
                .entry(language.clone())
                .or_default()
                .add(t);
        }
        self.total.add(&other.total);
    }
}

/// Scores the files under `root` against `root/labels.tsv` (paths relative to `root`).
fn score(scanner: &Scanner, root: &Path) -> Score {
    let labels = std::fs::read_to_string(root.join("labels.tsv")).expect("labels.tsv");
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
    let mut score = Score::default();
    for (path, lines) in &by_file {
        let file = root.join(path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
        let line_count = text.lines().count();
        let (options, language) = options_for_input(Some(Path::new(&file)), None);
        let report = scanner.scan_text(&text, &options).expect("scan");
        assert!(report.is_complete(), "{path}: {:?}", report.failures);
        let mut tally = Tally::default();
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
                    score.notes.push(format!("missed   {path}:{line}"));
                }
                "vulnerable" => {
                    tally.found += 1;
                    if hits.iter().any(|f| f.cwe.iter().any(|c| cwes.contains(c))) {
                        tally.found_cwe += 1;
                    }
                }
                "safe" if hits.is_empty() => tally.quiet_safe += 1,
                "safe" => {
                    tally.false_alarms += 1;
                    let ids: Vec<&str> = hits.iter().map(|f| f.rule_id.as_str()).collect();
                    score.notes.push(format!("false+   {path}:{line} {ids:?}"));
                }
                other => panic!("{path}:{line}: unknown label {other}"),
            }
        }
        tally.unlabelled_findings = report.findings.len() - labelled_hits.len();
        score.per_language.entry(language).or_default().add(&tally);
        score.total.add(&tally);
    }
    score
}

fn print_table(title: &str, score: &Score) {
    println!("== {title}");
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
    for (language, t) in &score.per_language {
        row(language, t);
    }
    row("overall", &score.total);
}

fn assert_counts(name: &str, score: &Score, vulnerable: usize, safe: usize) {
    let t = &score.total;
    assert_eq!(
        t.found + t.missed,
        vulnerable,
        "vulnerable lines in {name}'s labels.tsv"
    );
    assert_eq!(
        t.false_alarms + t.quiet_safe,
        safe,
        "safe lines in {name}'s labels.tsv"
    );
}

#[test]
fn independent_corpus_line_level() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus-independent");
    let scanner = Scanner::builtin().expect("built-in rules load");
    let batch1 = score(&scanner, &root);
    let batch2 = score(&scanner, &root.join("batch2"));
    let batch3 = score(&scanner, &root.join("batch3"));
    let batch4 = score(&scanner, &root.join("batch4"));
    let batch5 = score(&scanner, &root.join("batch5"));
    let batch6 = score(&scanner, &root.join("batch6"));
    let mut all = Score::default();
    all.add(&batch1);
    all.add(&batch2);
    all.add(&batch3);
    all.add(&batch4);
    all.add(&batch5);
    all.add(&batch6);
    let held_out_notes = std::env::var("WARDEN_INDEPENDENT_NOTES").as_deref() == Ok("1");
    for (title, batch, development) in [
        ("batch 1", &batch1, true),
        ("batch 2", &batch2, true),
        ("batch 3", &batch3, true),
        ("batch 4", &batch4, true),
        ("batch 5", &batch5, true),
        ("batch 6", &batch6, false),
    ] {
        print_table(title, batch);
        if development || held_out_notes {
            for n in &batch.notes {
                println!("{n}");
            }
        }
    }
    print_table("all", &all);
    assert_counts("batch 1", &batch1, 151, 34);
    assert_counts("batch 2", &batch2, 191, 96);
    assert_counts("batch 3", &batch3, 154, 49);
    assert_counts("batch 4", &batch4, 258, 108);
    assert_counts("batch 5", &batch5, 307, 138);
    assert_counts("batch 6", &batch6, 151, 66);
}
