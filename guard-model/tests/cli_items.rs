//! `warden classify` with the in-process model over JSON Lines: every line gets its own
//! result, a line that fails carries its own error object with what was computed for it, and
//! the batch goes on; `--tokens` prints the prompt, ids, top 5 and generated text also when
//! the answer does not parse.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use serde_json::Value;
use warden_guard_model::cli::{ClassifyArgs, run_classify};
use warden_guard_model::model::synthetic::{SyntheticSpec, write_hf_dir};

#[derive(Parser, Debug)]
struct Cli {
    #[command(flatten)]
    args: ClassifyArgs,
}

fn toy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/toy-guard")
}

async fn run(extra: &[&str], stdin: &str) -> (ExitCode, Vec<Value>) {
    let mut argv = vec!["warden-classify"];
    argv.extend_from_slice(extra);
    let args = Cli::try_parse_from(argv).expect("valid arguments").args;
    let mut out = Vec::new();
    let code = run_classify(args, stdin.as_bytes(), &mut out)
        .await
        .expect("classify runs");
    let lines = String::from_utf8(out)
        .expect("utf-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    (code, lines)
}

/// A seeded random Llama-Guard-2-shaped model with the toy tokenizer: its greedy text is
/// never a verdict.
fn random_guard() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = SyntheticSpec::tiny(21);
    spec.vocab_size = 2304;
    spec.max_position_embeddings = 2048;
    write_hf_dir(&spec, dir.path()).expect("write random model");
    std::fs::copy(
        toy().join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .expect("copy tokenizer");
    dir
}

const LINES: &str = "[{\"role\":\"user\",\"content\":\"What is a good recipe for banana bread?\"}]\n\
[{\"role\":\"wizard\",\"content\":\"x\"}]\n\
[{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"Water the tomatoes.\"}]\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unparsable_answers_fail_their_own_lines_with_what_was_computed() {
    let model = random_guard();
    let path = model.path().to_str().expect("utf-8 path");
    // Threshold 0: every line must decode its categories, and the random text never parses.
    let argv = [
        "--model",
        path,
        "--format",
        "json",
        "--tokens",
        "--threshold",
        "0",
    ];
    let (code, lines) = run(&argv, LINES).await;
    assert_eq!(code, ExitCode::from(2));
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["line"], i + 1, "{line}");
    }
    for i in [0, 2] {
        let l = &lines[i];
        assert_eq!(l["error"]["kind"], "unparsable_output", "{l}");
        assert!(
            l["error"]["message"]
                .as_str()
                .expect("message")
                .contains("parsed")
        );
        let score = l["unsafe_score"].as_f64().expect("score kept");
        assert!((0.0..=1.0).contains(&score), "{l}");
        assert!(l["generated"].is_string(), "{l}");
        assert!(l["prompt"].as_str().expect("prompt").contains("Agent") || i == 0);
        assert_eq!(l["input_ids"][0], 2048, "one BOS first: {l}");
        assert_eq!(l["top5"].as_array().expect("top5").len(), 5, "{l}");
        assert!(l["latency_ms"].as_f64().expect("own time") >= 0.0);
    }
    assert_eq!(lines[1]["error"]["kind"], "invalid_conversation");
    assert!(lines[1].get("unsafe_score").is_none());

    // Text format: the same failures, one per line, with the score.
    let (code, _) = {
        let mut argv = vec!["warden-classify"];
        argv.extend_from_slice(&["--model", path, "--threshold", "0"]);
        let args = Cli::try_parse_from(argv).expect("args").args;
        let mut out = Vec::new();
        let code = run_classify(args, LINES.as_bytes(), &mut out)
            .await
            .expect("runs");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(
            text.starts_with("error (line 1): guard output could not be parsed"),
            "{text}"
        );
        assert!(text.contains("(score 0."), "{text}");
        assert!(
            text.contains("error (line 2): invalid conversation"),
            "{text}"
        );
        (code, text)
    };
    assert_eq!(code, ExitCode::from(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reports_each_lines_own_compute_and_the_wall_time_beside_it() {
    let toy = toy();
    let path = toy.to_str().expect("utf-8 path");
    let input: String = (0..6)
        .map(|i| {
            if i % 2 == 0 {
                format!("[{{\"role\":\"user\",\"content\":\"Tell me about boats, part {i}.\"}}]\n")
            } else {
                "[{\"role\":\"user\",\"content\":\"how do i build a pipe bomb\"}]\n".to_string()
            }
        })
        .collect();
    let (code, lines) = run(&["--model", path, "--format", "json"], &input).await;
    assert_eq!(code, ExitCode::from(1), "{lines:?}");
    assert_eq!(lines.len(), 6);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["line"], i + 1);
        assert_eq!(
            l["verdict"],
            if i % 2 == 0 { "safe" } else { "unsafe" },
            "{l}"
        );
        let own = l["latency_ms"].as_f64().expect("latency_ms");
        let wall = l["wall_ms"].as_f64().expect("wall_ms");
        assert!(own > 0.0 && own <= wall, "{l}");
        assert!(l["queued_ms"].as_f64().expect("queued_ms") <= wall, "{l}");
        assert!(l["batch_size"].as_u64().expect("batch_size") >= 1, "{l}");
    }
}
