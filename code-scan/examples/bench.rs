//! Times per-block scans over the labelled corpus, the way the proxy scans an answer: extract
//! the blocks of each file (as `warden scan` would), then scan each block `ITER` times and keep
//! every sample. Prints one JSON object: per-file samples (microseconds) and summary figures.
//!
//! `cargo run --release -p warden-code-scan --example bench -- code-scan/corpus [ITER]`
//! (or `code-scan/corpus-independent`, whose labels have one row per line)

use std::path::{Path, PathBuf};
use std::time::Instant;

use warden_code_scan::{Scanner, options_for_input};

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p / 100.0 * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "code-scan/corpus".to_string()),
    );
    let iterations: usize = args
        .next()
        .map(|s| s.parse().expect("ITER is a number"))
        .unwrap_or(50);
    let started = Instant::now();
    let scanner = Scanner::builtin().expect("built-in rules load");
    let load_ms = started.elapsed().as_secs_f64() * 1000.0;
    let labels = std::fs::read_to_string(root.join("labels.tsv")).expect("labels.tsv");
    let mut block_samples = Vec::new();
    let mut file_medians = Vec::new();
    let mut files = Vec::new();
    let mut cwe_by_path = serde_json::Map::new();
    let mut seen = std::collections::HashSet::new();
    for line in labels
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let rel = line.split('\t').next().expect("path column");
        // The independent corpus labels lines: one row per line, several per file.
        if !seen.insert(rel.to_string()) {
            continue;
        }
        let path = root.join(rel);
        let text = std::fs::read_to_string(&path).expect("corpus file");
        let (options, language) = options_for_input(Some(Path::new(&path)), None);
        let blocks = scanner.blocks_of(&text, &options);
        let mut per_file = Vec::with_capacity(iterations);
        let mut findings = 0;
        let mut cwes: Vec<String> = Vec::new();
        for i in 0..iterations {
            let t_file = Instant::now();
            for block in &blocks {
                let t = Instant::now();
                let result = scanner.scan_block_with(block, &options);
                block_samples.push(t.elapsed().as_secs_f64() * 1e6);
                if i == 0 {
                    let found = result.unwrap_or_default();
                    findings += found.len();
                    cwes.extend(found.into_iter().flat_map(|f| f.cwe));
                }
            }
            per_file.push(t_file.elapsed().as_secs_f64() * 1e6);
        }
        per_file.sort_by(f64::total_cmp);
        let median = percentile(&per_file, 50.0);
        file_medians.push(median);
        cwe_by_path.insert(rel.to_string(), serde_json::json!(cwes));
        files.push(serde_json::json!({
            "path": rel, "language": language, "blocks": blocks.len(), "bytes": text.len(),
            "findings": findings, "median_us": median,
        }));
    }
    block_samples.sort_by(f64::total_cmp);
    file_medians.sort_by(f64::total_cmp);
    let out = serde_json::json!({
        "rules": scanner.rules().len(),
        "rule_load_ms": load_ms,
        "iterations": iterations,
        "block_scans": block_samples.len(),
        "block_us": {
            "median": percentile(&block_samples, 50.0),
            "p90": percentile(&block_samples, 90.0),
            "p99": percentile(&block_samples, 99.0),
            "max": block_samples.last().copied().unwrap_or(0.0),
        },
        "file_median_us": {
            "median": percentile(&file_medians, 50.0),
            "p90": percentile(&file_medians, 90.0),
            "p99": percentile(&file_medians, 99.0),
        },
        "files": files,
        "cwe_by_path": cwe_by_path,
    });
    println!("{}", serde_json::to_string_pretty(&out).expect("json"));
}
