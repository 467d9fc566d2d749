//! `warden eval` on the fixtures of tests/fixtures/eval with the toy guard (the real candle
//! path): confusion counts, the sweep, `--compare`, the HTML and SVG reports, CSV and audit
//! input, and the errors and exit status of a malformed file (through the real binary).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::{Arc, OnceLock};

use warden::eval::data::Format;
use warden::eval::metrics::Confusion;
use warden::eval::{Column, EvalArgs, Run, evaluate, run_with_guard};
use warden_guard_model::{CandleClassifier, CandleOptions, Classifier};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/eval").join(name)
}

fn toy_guard_dir() -> PathBuf {
    root().join("tests/fixtures/toy-guard")
}

fn toy_guard() -> Arc<dyn Classifier> {
    static GUARD: OnceLock<Arc<dyn Classifier>> = OnceLock::new();
    GUARD
        .get_or_init(|| {
            let options = CandleOptions {
                progress: false,
                ..CandleOptions::default()
            };
            Arc::new(
                CandleClassifier::load(&toy_guard_dir(), options).expect("the toy guard loads"),
            )
        })
        .clone()
}

fn args(data: &str) -> EvalArgs {
    EvalArgs {
        policies: fixture("policies-a"),
        guard_model: toy_guard_dir().display().to_string(),
        data: fixture(data),
        format: Format::Auto,
        policy: None,
        compare: None,
        report: None,
        json: false,
        device: "cpu".into(),
        concurrency: 4,
    }
}

fn counts(tp: usize, fp: usize, fn_: usize, tn: usize) -> Confusion {
    Confusion { tp, fp, fn_, tn }
}

fn category<'a>(run: &'a Run, name: &str) -> &'a Column {
    run.categories
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no column {name}"))
}

fn sweep_at(column: &Column, t: f32) -> Confusion {
    column
        .sweep
        .iter()
        .find(|r| (r.threshold - t).abs() < 1e-4)
        .unwrap_or_else(|| panic!("no sweep row at {t}"))
        .confusion
}

#[tokio::test]
async fn jsonl_confusion_sweep_and_compare() {
    let mut a = args("items.jsonl");
    a.compare = Some(fixture("policies-b"));
    let e = evaluate(&a, toy_guard()).await.expect("evaluates");
    assert_eq!(e.items, 14);
    assert!(e.failed_lines.is_empty(), "{:?}", e.failed_lines);
    assert_eq!(e.uncategorised, 1, "line 12 names no category");
    let [base, warn] = e.runs.as_slice() else {
        panic!("two runs");
    };
    let names: Vec<&str> = base.categories.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, vec!["S1", "S8", "S10"]);

    // Policies A: every category blocks at 0.5.
    assert_eq!(base.overall.confusion, counts(5, 2, 3, 4));
    assert_eq!(category(base, "S1").confusion, counts(1, 0, 0, 12));
    assert_eq!(category(base, "S8").confusion, counts(2, 1, 1, 9));
    assert_eq!(category(base, "S10").confusion, counts(2, 1, 1, 9));
    let s8 = category(base, "S8").rates;
    assert_eq!(s8.precision.map(|p| (p * 1000.0).round()), Some(667.0));
    assert_eq!(base.guard_errors, 0);

    // The sweep: the look-alike scored ~0.86 leaves between 0.80 and 0.90, the trigger
    // scored ~0.45 joins between 0.50 and 0.40; 0.50 is the policy's own threshold.
    let s10 = category(base, "S10");
    assert_eq!(s10.policy_thresholds, vec![0.5]);
    assert_eq!(sweep_at(s10, 0.5), s10.confusion);
    assert!(
        s10.sweep
            .iter()
            .any(|r| r.policy && (r.threshold - 0.5).abs() < 1e-4)
    );
    assert_eq!(sweep_at(s10, 0.9), counts(2, 0, 1, 10));
    assert_eq!(sweep_at(s10, 0.8), counts(2, 1, 1, 9));
    assert_eq!(sweep_at(s10, 0.4), counts(3, 1, 0, 9));
    assert_eq!(sweep_at(&base.overall, 0.5), base.overall.confusion);
    assert_eq!(s10.curve.positives, 3);
    assert!(!s10.curve.points.is_empty());

    // Policies B: Self-Harm only warns, so it never blocks; per category nothing changes.
    assert_eq!(warn.overall.confusion, counts(3, 1, 5, 5));
    assert_eq!(category(warn, "S10").confusion, counts(2, 1, 1, 9));
    let lines: Vec<&str> = e.differences.iter().map(|d| d.at.as_str()).collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (d, line) in e.differences.iter().zip([4, 10, 13]) {
        assert!(d.at.ends_with(&format!("items.jsonl:{line}")), "{}", d.at);
        assert_eq!((d.a.as_str(), d.b.as_str()), ("block [S10]", "warn [S10]"));
    }

    // The printed comparison.
    let mut out = Vec::new();
    warden::eval::report::write_text(&e, &mut out).expect("text");
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("items decided differently: 3"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("overall") && l.contains("0.625  0.375  -0.250")),
        "overall recall 5/8 -> 3/8:\n{text}"
    );
}

#[tokio::test]
async fn html_and_svg_reports_hold_one_chart_per_category() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = args("items.jsonl");
    a.compare = Some(fixture("policies-b"));
    a.report = Some(dir.path().join("report.html"));
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_with_guard(&a, toy_guard(), &mut out, &mut err)
        .await
        .expect("runs");
    assert_eq!(code, ExitCode::SUCCESS);
    let html = std::fs::read_to_string(dir.path().join("report.html")).expect("report");
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    assert!(!html.contains("<script"), "no script");
    assert!(!html.contains("https://"), "no network references");
    assert_eq!(
        html.matches("http://").count(),
        html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
        "only the SVG namespace"
    );
    for name in ["overall", "S1", "S8", "S10"] {
        let tag = format!("data-category=\"{name}\"");
        assert_eq!(html.matches(&tag).count(), 1, "one chart for {name}");
    }
    assert_eq!(
        html.matches("<svg").count(),
        4,
        "overall and three categories"
    );
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert_eq!(
        html.matches("<table").count(),
        html.matches("</table>").count()
    );
    assert!(html.contains("Items decided differently (3)"));
    assert!(html.contains("What is kill my darlingss (HURT MY BACK! photosynthesis?"));

    a.report = Some(dir.path().join("report.svg"));
    let code = run_with_guard(&a, toy_guard(), &mut Vec::new(), &mut Vec::new())
        .await
        .expect("runs");
    assert_eq!(code, ExitCode::SUCCESS);
    let svg = std::fs::read_to_string(dir.path().join("report.svg")).expect("svg");
    assert!(svg.starts_with("<?xml"));
    assert_eq!(svg.matches("data-category=").count(), 4);
    assert_eq!(svg.matches("<svg").count(), svg.matches("</svg>").count());
}

#[tokio::test]
async fn csv_and_audit_log() {
    let e = evaluate(&args("items.csv"), toy_guard())
        .await
        .expect("csv");
    assert_eq!(e.items, 6);
    let run = &e.runs[0];
    assert_eq!(run.overall.confusion, counts(3, 0, 0, 3));
    assert_eq!(category(run, "S10").confusion, counts(1, 0, 0, 5));

    let e = evaluate(&args("audit.jsonl"), toy_guard())
        .await
        .expect("audit");
    // req-1 prompt, req-2 prompt and answer, req-3 prompt and answer; req-4 has no content.
    assert_eq!(e.items, 5);
    assert_eq!(e.skipped.len(), 1);
    assert!(e.skipped[0].reason.contains("req-4"));
    let run = &e.runs[0];
    // req-3 is labelled unsafe (S10) by a reviewer: its prompt is a false negative, and its
    // answer, which quotes the trigger, is caught.
    assert_eq!(run.overall.confusion, counts(2, 0, 1, 2));
    assert!(run.judged.iter().all(|j| j.policy.starts_with("default@")));
}

#[test]
fn a_malformed_file_names_each_line_and_exits_1() {
    let output = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("eval")
        .arg("--policies")
        .arg(fixture("policies-a"))
        .arg("--guard-model")
        .arg(toy_guard_dir())
        .arg("--data")
        .arg(fixture("bad.jsonl"))
        .output()
        .expect("warden runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stderr}\n{stdout}");
    let errors: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("bad.jsonl:"))
        .collect();
    assert_eq!(errors.len(), 3, "{stderr}");
    assert!(errors[0].contains("bad.jsonl:2: not a valid item") && errors[0].contains("Fix: "));
    assert!(errors[1].contains("bad.jsonl:3: unknown label \"maybe\""));
    assert!(
        errors[2].contains("bad.jsonl:4: unknown category \"S99\"") && errors[2].contains("S11")
    );
    assert!(!stderr.contains("panicked"));
    assert!(
        stdout.contains("2 items (3 failed lines, 0 skipped)"),
        "{stdout}"
    );

    let missing = Command::new(env!("CARGO_BIN_EXE_warden"))
        .arg("eval")
        .arg("--policies")
        .arg(fixture("policies-a"))
        .arg("--guard-model")
        .arg(toy_guard_dir())
        .arg("--data")
        .arg(fixture("no-such-file.jsonl"))
        .output()
        .expect("warden runs");
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("check the --data path"));
}
