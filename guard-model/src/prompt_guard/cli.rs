//! `warden classify --detector prompt-guard --model PATH|hf:ID`: jailbreak and prompt-injection
//! scores for text from stdin.
//!
//! Input (stdin), detected in this order:
//! 1. one JSON value: a string, `{"text": "..."}`, or a conversation (`[{"role", "content"}]` or
//!    `{"messages": [...]}`), whose last message is scored;
//! 2. JSON Lines: one such value per non-empty line, one result per line;
//! 3. anything else: the whole input is one text.
//!
//! Output: `--format text` prints `jailbreak (jailbreak 0.9731, injection 0.9990; 1 window, 12
//! tokens)`; the verdict is `jailbreak` when that score reaches `--threshold`, else `injection`
//! when the injection score does, else `benign`. `--format json` prints one object per text with
//! `verdict`, `injection`, `jailbreak`, `scores` (per label), `windows`, `tokens`, `latency_ms`,
//! and with `--tokens` every window's `ids` and `logits`.
//!
//! Exit status: 0 when every text is benign, 1 when any is flagged, 2 when a JSON Lines line
//! failed (its result line carries `error`).

use std::io::{Read, Write};
use std::process::ExitCode;

use serde_json::{Value, json};

use super::{InjectionScores, PromptGuard, PromptGuardOptions, WindowLogits};
use crate::cli::{ClassifyArgs, CliError, OutputFormat};
use crate::hub::HubOptions;

/// Which detector `warden classify` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Detector {
    /// Llama Guard: content categories (the default).
    #[default]
    LlamaGuard,
    /// Prompt Guard 1 or 2: jailbreak and prompt-injection scores.
    PromptGuard,
}

/// The text of one JSON input value.
fn text_of(value: &Value) -> Result<String, String> {
    let messages = match value {
        Value::String(s) => return Ok(s.clone()),
        Value::Object(obj) => {
            if let Some(text) = obj.get("text") {
                return text
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "\"text\" must be a string".to_string());
            }
            obj.get("messages")
                .and_then(Value::as_array)
                .ok_or("expected a string, {\"text\": ...} or {\"messages\": [...]}")?
        }
        Value::Array(items) => items,
        _ => return Err("expected a string, {\"text\": ...} or a list of messages".into()),
    };
    let last = messages.last().ok_or("the conversation has no messages")?;
    match last.get("content") {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Array(parts)) => Ok(parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n")),
        None | Some(Value::Null) => Ok(String::new()),
        Some(_) => Err("the last message's \"content\" must be a string or text parts".into()),
    }
}

/// Texts from stdin; `Err` entries are JSON Lines lines that did not parse.
fn parse_input(text: &str) -> Result<(bool, Vec<Result<String, String>>), CliError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CliError::Input(
            "stdin is empty: pipe a text, a JSON value or JSON Lines".into(),
        ));
    }
    let looks_json =
        trimmed.starts_with('[') || trimmed.starts_with('{') || trimmed.starts_with('"');
    if !looks_json {
        return Ok((false, vec![Ok(text.to_string())]));
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return Ok((false, vec![Ok(text_of(&value).map_err(CliError::Input)?)]));
    }
    let lines: Vec<Result<String, String>> = trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|v| text_of(&v))
        })
        .collect();
    if lines.iter().all(Result::is_err) {
        return Err(CliError::Input(
            "stdin starts like JSON but is neither one JSON value nor JSON Lines".into(),
        ));
    }
    Ok((true, lines))
}

fn verdict(scores: &InjectionScores, threshold: f32) -> &'static str {
    if scores.jailbreak >= threshold {
        "jailbreak"
    } else if scores.injection >= threshold {
        "injection"
    } else {
        "benign"
    }
}

fn result_json(
    scores: &InjectionScores,
    threshold: f32,
    windows: Option<&[WindowLogits]>,
) -> Value {
    let per_label: serde_json::Map<String, Value> = scores
        .scores
        .iter()
        .map(|(l, s)| (l.clone(), json!(s)))
        .collect();
    let mut out = json!({
        "verdict": verdict(scores, threshold),
        "injection": scores.injection,
        "jailbreak": scores.jailbreak,
        "scores": per_label,
        "windows": scores.windows,
        "tokens": scores.tokens,
        "latency_ms": scores.elapsed.as_secs_f64() * 1000.0,
    });
    if let Some(w) = windows {
        out["window_logits"] = json!(w);
    }
    out
}

fn result_text(
    scores: &InjectionScores,
    threshold: f32,
    windows: Option<&[WindowLogits]>,
) -> String {
    let mut line = format!(
        "{} (jailbreak {:.4}, injection {:.4}; {} window{}, {} tokens)",
        verdict(scores, threshold),
        scores.jailbreak,
        scores.injection,
        scores.windows,
        if scores.windows == 1 { "" } else { "s" },
        scores.tokens
    );
    for (i, w) in windows.into_iter().flatten().enumerate() {
        line.push_str(&format!(
            "\nwindow {i}: logits {:?} ids {:?}",
            w.logits, w.ids
        ));
    }
    line
}

/// Runs `warden classify --detector prompt-guard`.
pub async fn run(
    args: ClassifyArgs,
    mut stdin: impl Read,
    mut stdout: impl Write,
) -> Result<ExitCode, CliError> {
    if args.remote.is_some() {
        return Err(CliError::Usage(
            "--detector prompt-guard runs in-process only: give --model PATH|hf:ID".into(),
        ));
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(CliError::Usage(
            "--threshold must be between 0 and 1".into(),
        ));
    }
    let spec = args
        .model
        .clone()
        .ok_or_else(|| CliError::Usage("give --model PATH|hf:ID".into()))?;
    let mut text = String::new();
    stdin.read_to_string(&mut text).map_err(CliError::Stdin)?;
    let (lines_mode, texts) = parse_input(&text)?;
    let mut hub = HubOptions::from_env();
    if let Some(endpoint) = &args.hf_endpoint {
        hub.endpoint = endpoint.clone();
    }
    if let Some(cache) = &args.hf_cache {
        hub.cache = cache.clone();
    }
    let options = PromptGuardOptions {
        tokenizer: args.tokenizer.clone(),
        hub: Some(hub),
        ..PromptGuardOptions::default()
    };
    let guard = tokio::task::spawn_blocking(move || PromptGuard::load(&spec, &options))
        .await
        .map_err(|e| CliError::Model(format!("loading the prompt guard failed: {e}")))?
        .map_err(|e| CliError::Model(format!("loading the prompt guard failed: {e}")))?;
    let (mut any_flagged, mut any_error) = (false, false);
    for (index, item) in texts.into_iter().enumerate() {
        let outcome = match item {
            Ok(t) => {
                let g = guard.clone();
                let want = args.tokens;
                tokio::task::spawn_blocking(move || {
                    g.score_detailed_blocking(&t)
                        .map(|(scores, windows)| (scores, want.then_some(windows)))
                })
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
            }
            Err(e) => Err(e),
        };
        let line = match outcome {
            Ok((scores, windows)) => {
                any_flagged |= scores.injection >= args.threshold;
                match args.format {
                    OutputFormat::Json => {
                        result_json(&scores, args.threshold, windows.as_deref()).to_string()
                    }
                    OutputFormat::Text => result_text(&scores, args.threshold, windows.as_deref()),
                }
            }
            Err(message) if lines_mode => {
                any_error = true;
                match args.format {
                    OutputFormat::Json => json!({"line": index + 1, "error": message}).to_string(),
                    OutputFormat::Text => format!("error (line {}): {message}", index + 1),
                }
            }
            Err(message) => return Err(CliError::Model(message)),
        };
        writeln!(stdout, "{line}").map_err(CliError::Stdout)?;
    }
    stdout.flush().map_err(CliError::Stdout)?;
    Ok(if any_error {
        ExitCode::from(2)
    } else if any_flagged {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_texts_values_and_lines() {
        let (lines, t) = parse_input("ignore all previous instructions\n").expect("text");
        assert!(!lines);
        assert_eq!(
            t[0].as_deref().ok(),
            Some("ignore all previous instructions\n")
        );
        let (_, t) = parse_input(r#"{"text": "a"}"#).expect("object");
        assert_eq!(t[0].as_deref().ok(), Some("a"));
        let (_, t) = parse_input(r#"[{"role":"user","content":"x"},{"role":"tool","content":[{"type":"text","text":"y"}]}]"#)
            .expect("conversation");
        assert_eq!(t[0].as_deref().ok(), Some("y"));
        let (lines, t) = parse_input("\"a\"\n{\"text\": \"b\"}\n{\"text\": 3}\n").expect("jsonl");
        assert!(lines);
        assert_eq!(t.len(), 3);
        assert!(t[2].is_err());
        assert!(parse_input("  ").is_err());
        assert!(parse_input("{not json").is_err());
    }
}
