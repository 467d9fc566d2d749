//! Recall and precision over the labelled corpus (`corpus/labels.tsv`), per language and
//! overall. A vulnerable snippet counts as detected when a finding carries one of its expected
//! CWEs; a safe look-alike counts as a false alarm when anything at all fires on it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use warden_code_scan::{Scanner, options_for_input};

#[derive(Default, Debug)]
struct Tally {
    tp: usize,
    fn_: usize,
    fp: usize,
    tn: usize,
}

impl Tally {
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

#[test]
fn corpus_recall_and_precision() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let labels = std::fs::read_to_string(root.join("labels.tsv")).expect("labels.tsv");
    let scanner = Scanner::builtin().expect("built-in rules load");
    let mut per_language: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut misses = Vec::new();
    let mut snippets = 0;
    for line in labels
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let fields: Vec<&str> = line.split('\t').collect();
        let (path, label, expected) = (fields[0], fields[1], fields.get(2).copied().unwrap_or(""));
        let file = root.join(path);
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{path}: {e}"));
        let (options, language) = options_for_input(Some(Path::new(&file)), None);
        let report = scanner.scan_text(&text, &options).expect("scan");
        assert!(report.is_complete(), "{path}: {:?}", report.failures);
        snippets += 1;
        let tally = per_language.entry(language).or_default();
        let fired: Vec<String> = report
            .findings
            .iter()
            .map(|f| format!("{}({})", f.rule_id, f.cwe.join("/")))
            .collect();
        match label {
            "vulnerable" => {
                let want: Vec<&str> = expected.split(',').map(str::trim).collect();
                let hit = report
                    .findings
                    .iter()
                    .any(|f| f.cwe.iter().any(|c| want.contains(&c.as_str())));
                if hit {
                    tally.tp += 1;
                    total.tp += 1;
                } else {
                    tally.fn_ += 1;
                    total.fn_ += 1;
                    misses.push(format!("missed   {path} (want {expected}; got {fired:?})"));
                }
            }
            "safe" => {
                if report.findings.is_empty() {
                    tally.tn += 1;
                    total.tn += 1;
                } else {
                    tally.fp += 1;
                    total.fp += 1;
                    misses.push(format!("false+   {path}: {fired:?}"));
                }
            }
            other => panic!("{path}: unknown label {other}"),
        }
    }
    println!(
        "{:<12} {:>4} {:>4} {:>4} {:>4} {:>8} {:>9}",
        "language", "tp", "fn", "fp", "tn", "recall", "precision"
    );
    for (language, t) in &per_language {
        println!(
            "{language:<12} {:>4} {:>4} {:>4} {:>4} {:>8.3} {:>9.3}",
            t.tp,
            t.fn_,
            t.fp,
            t.tn,
            t.recall(),
            t.precision()
        );
    }
    println!(
        "{:<12} {:>4} {:>4} {:>4} {:>4} {:>8.3} {:>9.3}   ({snippets} snippets)",
        "overall",
        total.tp,
        total.fn_,
        total.fp,
        total.tn,
        total.recall(),
        total.precision()
    );
    for m in &misses {
        println!("{m}");
    }
    assert!(
        snippets >= 150,
        "the corpus needs at least 150 snippets, has {snippets}"
    );
    assert!(total.recall() >= 0.9, "recall {:.3} < 0.9", total.recall());
    assert!(
        total.precision() >= 0.9,
        "precision {:.3} < 0.9",
        total.precision()
    );
}
