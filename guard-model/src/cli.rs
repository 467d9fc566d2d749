//! `warden classify`: judge conversations from stdin with an in-process model or a remote guard.
//!
//! Input (stdin), detected in this order:
//! 1. one JSON conversation: `[{"role": "user", "content": "..."}, ...]` (or
//!    `{"messages": [...]}`);
//! 2. JSON Lines: one such conversation per non-empty line, one result per line, one loaded
//!    model for all;
//! 3. anything else: plain text, one user message.
//!
//! Roles are `user`, `assistant`, `system` (also `developer`) and `tool`; `content` is a string
//! or a list of `{"type": "text", "text": ...}` parts (other part types are skipped).
//!
//! Output: `--format text` prints `safe (score 0.0012)` / `unsafe S1,S8 (score 0.9731)` per
//! conversation; `--format json` prints one JSON object per conversation per line with
//! `verdict`, `categories`, `unsafe_score`, `logprob_safe`, `logprob_unsafe`, `latency_ms`,
//! `truncated` (and `truncation`, `score_source`), plus `prompt`, `input_ids`, `top5` and
//! `generated` with `--tokens`.
//!
//! Every conversation gets its own result: one that fails (an answer that is not a verdict,
//! a conversation that cannot be encoded, a backend error) prints
//! `{"line": N, "error": {"kind": ..., "message": ...}}` with whatever was computed for it
//! (`unsafe_score`, `generated`, and with `--tokens` `prompt`, `input_ids` and `top5`), and
//! the others go on. `--tokens` prints what was computed also when the verdict failed.
//!
//! Times, in-process model: `latency_ms` is the conversation's own compute share (tokenizing,
//! its share by tokens of every forward pass it ran in, its share of the decode steps), so
//! the lines of a JSON Lines batch add up to the batch's work instead of each repeating it;
//! `wall_ms` is submission to result (queueing plus the whole batch it ran in), `queued_ms`
//! the wait for a model thread and `batch_size` the prompts of its largest pass. Remote
//! guard: `latency_ms` is its own request's time (requests run concurrently, each on its own).
//!
//! Exit status: 0 when every conversation is safe, 1 when any is unsafe, 2 when any
//! conversation failed (its line carries `error`); failures before any conversation could
//! be judged (arguments, stdin, loading the model) are a [`CliError`].

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use serde_json::{Value, json};

use crate::candle_backend::{CandleClassifier, CandleOptions, ItemTiming};
use crate::classifier::{ClassifyRequest, GuardError, ScoreSource, Turn, TurnRole, Verdict};
use crate::hub::{self, HubError, HubOptions};
use crate::remote::{RemoteClassifier, RemoteOptions};
use crate::taxonomy::{Taxonomy, TaxonomyError, Template};
use crate::tokenize::{GuardTokenizer, TokenizeError};

/// Output format of `warden classify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// Arguments of `warden classify`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClassifyArgs {
    /// Detector: llama-guard (content categories) or prompt-guard (jailbreak and prompt-injection
    /// scores from a Prompt Guard 1 or 2 model given by --model; see `prompt_guard::cli`).
    #[arg(long, value_enum, default_value_t = crate::prompt_guard::cli::Detector::LlamaGuard)]
    pub detector: crate::prompt_guard::cli::Detector,
    /// Model to run in-process: a Hugging Face model directory, a .gguf file, or `hf:ORG/NAME`
    /// (from the local Hugging Face cache, downloaded into it when missing).
    #[arg(
        long,
        value_name = "PATH|hf:ID",
        required_unless_present = "remote",
        conflicts_with = "remote"
    )]
    pub model: Option<String>,
    /// Base URL of an OpenAI-compatible completions server serving Llama Guard
    /// (vLLM, llama.cpp, Ollama), e.g. `http://127.0.0.1:8000`.
    #[arg(long, value_name = "URL", requires = "remote_model")]
    pub remote: Option<String>,
    /// The `model` name the remote server knows the guard by.
    #[arg(long, value_name = "NAME")]
    pub remote_model: Option<String>,
    /// API key for the remote server (sent as a bearer token).
    #[arg(long, env = "WARDEN_REMOTE_API_KEY", hide_env_values = true)]
    pub remote_api_key: Option<String>,
    /// Send `<|begin_of_text|>` at the start of the prompt text, for a server that adds no BOS
    /// itself (vLLM with Llama Guard 2's tokenizer).
    #[arg(long, requires = "remote")]
    pub remote_bos: bool,
    /// Seconds one remote attempt may take.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub remote_timeout: f64,
    /// tokenizer.json to use: with `--model`, instead of the one beside the weights; with
    /// `--remote`, to fit long conversations and print token ids.
    #[arg(long, value_name = "FILE")]
    pub tokenizer: Option<PathBuf>,
    /// Hugging Face hub URL for `hf:` ids (default `https://huggingface.co`).
    #[arg(long, env = "HF_ENDPOINT", hide = true)]
    pub hf_endpoint: Option<String>,
    /// Hugging Face hub cache directory (default `$HF_HOME/hub`).
    #[arg(long, env = "HF_HUB_CACHE", hide = true)]
    pub hf_cache: Option<PathBuf>,
    /// Prompt template: lg2 (default), lg3-8b, lg3-1b or lg1.
    #[arg(long, default_value = "lg2", value_parser = parse_template)]
    pub template: Template,
    /// Custom categories: a JSON or YAML list of {name, description?}.
    #[arg(long, value_name = "FILE")]
    pub categories: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also print the prompt, its token ids, the top-5 first tokens and the generated text.
    #[arg(long)]
    pub tokens: bool,
    /// Unsafe score at or above which a conversation is unsafe.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f32,
}

fn parse_template(s: &str) -> Result<Template, String> {
    s.parse().map_err(|e: TaxonomyError| e.to_string())
}

/// Why `warden classify` could not run.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("reading stdin failed: {0}")]
    Stdin(#[source] std::io::Error),
    #[error("writing the result failed: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("invalid input: {0}")]
    Input(String),
    #[error(transparent)]
    Taxonomy(#[from] TaxonomyError),
    #[error(transparent)]
    Tokenizer(#[from] TokenizeError),
    #[error(transparent)]
    Guard(#[from] GuardError),
    #[error("{0}")]
    Model(String),
    #[error(transparent)]
    Hub(#[from] HubError),
    #[error("invalid arguments: {0}")]
    Usage(String),
}

/// One `{role, content}` entry as people write it.
fn parse_turn(value: &Value, index: usize) -> Result<Turn, String> {
    let obj = value
        .as_object()
        .ok_or_else(|| format!("message {index} is not an object with role and content"))?;
    let role = obj
        .get("role")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("message {index} has no string \"role\""))?;
    let role = match role {
        "user" => TurnRole::User,
        "assistant" => TurnRole::Assistant,
        "system" | "developer" => TurnRole::System,
        "tool" | "function" | "ipython" => TurnRole::Tool,
        other => {
            return Err(format!(
                "message {index} has role {other:?}; use user, assistant, system or tool"
            ));
        }
    };
    let content = match obj.get("content") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(_) => {
            return Err(format!(
                "message {index}: \"content\" must be a string or a list of text parts"
            ));
        }
    };
    Ok(Turn { role, content })
}

fn parse_conversation(value: &Value) -> Result<Vec<Turn>, String> {
    let messages = match value {
        Value::Array(items) => items,
        Value::Object(obj) => obj
            .get("messages")
            .and_then(Value::as_array)
            .ok_or("expected a list of messages or an object with \"messages\"")?,
        _ => return Err("expected a list of messages".to_string()),
    };
    messages
        .iter()
        .enumerate()
        .map(|(i, m)| parse_turn(m, i + 1))
        .collect()
}

/// Conversations read from stdin; `Err` entries are JSON Lines lines that did not parse.
#[derive(Debug)]
enum Input {
    Single(Vec<Turn>),
    Lines(Vec<Result<Vec<Turn>, String>>),
}

fn parse_input(text: &str) -> Result<Input, CliError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CliError::Input(
            "stdin is empty: pipe a JSON conversation, JSON Lines or a plain-text message".into(),
        ));
    }
    let looks_json = trimmed.starts_with('[') || trimmed.starts_with('{');
    if !looks_json {
        return Ok(Input::Single(vec![Turn {
            role: TurnRole::User,
            content: text.to_string(),
        }]));
    }
    if let Ok(value) = serde_json::from_str::<Value>(trimmed) {
        return parse_conversation(&value)
            .map(Input::Single)
            .map_err(CliError::Input);
    }
    let lines: Vec<Result<Vec<Turn>, String>> = trimmed
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .map_err(|e| format!("not JSON: {e}"))
                .and_then(|v| parse_conversation(&v))
        })
        .collect();
    if lines.iter().all(Result::is_err) {
        return Err(CliError::Input(
            "stdin starts like JSON but is neither one JSON conversation nor JSON Lines".into(),
        ));
    }
    Ok(Input::Lines(lines))
}

/// A local path, or `hf:ORG/NAME[@REVISION]` resolved through [`crate::hub`] (the local
/// Hugging Face cache first, then a download).
pub async fn resolve_model(spec: &str, hub: &HubOptions) -> Result<PathBuf, CliError> {
    if let Some(id) = spec.strip_prefix("hf:") {
        return Ok(hub::resolve(id, hub).await?);
    }
    let path = PathBuf::from(spec);
    if !path.exists() {
        return Err(CliError::Model(format!(
            "model path {} does not exist (expected a Hugging Face model directory, a .gguf \
             file or hf:ORG/NAME)",
            path.display()
        )));
    }
    Ok(path)
}

/// One top-k entry for `--tokens`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopToken {
    /// Token id (absent for a remote guard without `--tokenizer`).
    pub id: Option<u32>,
    /// Token text, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub logprob: f32,
}

/// What `--tokens` prints.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenDetails {
    /// The rendered prompt (of the first window when the judged turn was split).
    pub prompt: String,
    /// Its token ids with the BOS (absent for a remote guard without `--tokenizer`).
    pub input_ids: Option<Vec<u32>>,
    /// The five most likely first tokens.
    pub top5: Vec<TopToken>,
    /// The greedy completion.
    pub generated: String,
}

/// The guard the CLI runs.
#[derive(Debug)]
enum Backend {
    Local(CandleClassifier),
    Remote {
        client: Box<RemoteClassifier>,
        tokenizer: Option<Arc<GuardTokenizer>>,
    },
}

/// One conversation's result: the verdict or why there is none, and what was computed for
/// it either way.
#[derive(Debug)]
struct Judged {
    verdict: Result<Verdict, GuardError>,
    /// The highest unsafe score, also when the answer did not parse.
    unsafe_score: Option<f32>,
    /// The greedy completion, when one was generated.
    generated: Option<String>,
    details: Option<TokenDetails>,
    /// Where the time went (in-process model only).
    timing: Option<ItemTiming>,
}

impl Judged {
    fn failed(error: GuardError) -> Judged {
        Judged {
            verdict: Err(error),
            unsafe_score: None,
            generated: None,
            details: None,
            timing: None,
        }
    }
}

impl Backend {
    async fn classify(&self, request: ClassifyRequest, want_details: bool) -> Judged {
        match self {
            Backend::Local(model) => {
                let c = model.classify_detailed(request, want_details).await;
                let details = c
                    .tokens
                    .as_ref()
                    .filter(|_| want_details)
                    .map(|t| TokenDetails {
                        prompt: t.prompt.clone(),
                        input_ids: Some(t.input_ids.clone()),
                        top5: t
                            .top5
                            .iter()
                            .map(|t| TopToken {
                                id: Some(t.id),
                                token: model.tokenizer().decode(&[t.id]).ok(),
                                logprob: t.logprob,
                            })
                            .collect(),
                        generated: c.generated.clone().unwrap_or_default(),
                    });
                Judged {
                    verdict: c.verdict,
                    unsafe_score: c.unsafe_score,
                    generated: c.generated,
                    details,
                    timing: Some(c.timing),
                }
            }
            Backend::Remote { client, tokenizer } => {
                let outcome = match client.classify_detailed(&request).await {
                    Ok(outcome) => outcome,
                    Err(e) => return Judged::failed(e),
                };
                let details = match (want_details, outcome.completions.first()) {
                    (true, Some(first)) => {
                        let (prompt, input_ids) = match tokenizer {
                            Some(t) => match t.encode_conversation(
                                &request.taxonomy,
                                &request.turns,
                                request.taxonomy.template.context_length(),
                            ) {
                                Ok(encoded) => match encoded.prompts.into_iter().next() {
                                    Some(p) => (p.text, Some(p.ids)),
                                    None => (first.prompt.clone(), None),
                                },
                                Err(e) => return Judged::failed(e),
                            },
                            None => (first.prompt.clone(), None),
                        };
                        let top5 = first
                            .top
                            .iter()
                            .take(5)
                            .map(|(token, logprob)| TopToken {
                                id: tokenizer.as_ref().and_then(|t| {
                                    t.encode_text(token)
                                        .ok()
                                        .filter(|ids| ids.len() == 1)
                                        .map(|ids| ids[0])
                                }),
                                token: Some(token.clone()),
                                logprob: *logprob,
                            })
                            .collect();
                        Some(TokenDetails {
                            prompt,
                            input_ids,
                            top5,
                            generated: first.generated.clone(),
                        })
                    }
                    _ => None,
                };
                Judged {
                    unsafe_score: Some(outcome.verdict.unsafe_score),
                    generated: outcome.completions.first().map(|c| c.generated.clone()),
                    verdict: Ok(outcome.verdict),
                    details,
                    timing: None,
                }
            }
        }
    }
}

async fn build_backend(args: &ClassifyArgs) -> Result<Backend, CliError> {
    if let Some(url) = &args.remote {
        let model = args.remote_model.clone().ok_or_else(|| {
            CliError::Usage("--remote needs --remote-model NAME (the served model's name)".into())
        })?;
        if !(args.remote_timeout.is_finite() && args.remote_timeout > 0.0) {
            return Err(CliError::Usage(
                "--remote-timeout must be a positive number of seconds".into(),
            ));
        }
        let tokenizer = match &args.tokenizer {
            Some(path) => Some(Arc::new(GuardTokenizer::from_file(path)?)),
            None => None,
        };
        let mut options = RemoteOptions::new(url.clone(), model);
        options.api_key = args.remote_api_key.clone();
        options.timeout = Duration::from_secs_f64(args.remote_timeout);
        options.tokenizer = tokenizer.clone();
        options.prepend_bos_text = args.remote_bos;
        let client = Box::new(RemoteClassifier::new(options)?);
        return Ok(Backend::Remote { client, tokenizer });
    }
    let spec = args
        .model
        .as_deref()
        .ok_or_else(|| CliError::Usage("give --model PATH|hf:ID or --remote URL".into()))?;
    let mut hub = HubOptions::from_env();
    if let Some(endpoint) = &args.hf_endpoint {
        hub.endpoint = endpoint.clone();
    }
    if let Some(cache) = &args.hf_cache {
        hub.cache = cache.clone();
    }
    let path = resolve_model(spec, &hub).await?;
    load_local(&path, args)
}

fn load_local(path: &Path, args: &ClassifyArgs) -> Result<Backend, CliError> {
    let options = CandleOptions {
        tokenizer: args.tokenizer.clone(),
        ..CandleOptions::default()
    };
    let model = CandleClassifier::load(path, options)
        .map_err(|e| CliError::Model(format!("loading {} failed: {e}", path.display())))?;
    Ok(Backend::Local(model))
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The JSON result line for one conversation (`line`: its JSON Lines line number).
fn result_json(judged: &Judged, line: Option<usize>) -> Value {
    let mut out = match &judged.verdict {
        Ok(verdict) => {
            let mut out = json!({
                "verdict": if verdict.is_unsafe { "unsafe" } else { "safe" },
                "categories": verdict.categories,
                "unsafe_score": verdict.unsafe_score,
                "logprob_safe": verdict.logprob_safe,
                "logprob_unsafe": verdict.logprob_unsafe,
                "latency_ms": ms(verdict.latency),
                "truncated": verdict.truncation.is_some(),
                "score_source": verdict.score_source,
                "judged": verdict.judged,
            });
            if let Some(t) = &verdict.truncation {
                out["truncation"] = json!({"dropped_turns": t.dropped_turns, "windows": t.windows});
            }
            out
        }
        Err(e) => {
            let mut out = json!({"error": {"kind": e.kind(), "message": e.to_string()}});
            if let Some(score) = judged.unsafe_score {
                out["unsafe_score"] = json!(score);
            }
            if let Some(text) = &judged.generated {
                out["generated"] = json!(text);
            }
            out
        }
    };
    if let Some(line) = line {
        out["line"] = json!(line);
    }
    if let Some(t) = &judged.timing {
        out["latency_ms"] = json!(ms(t.compute));
        out["wall_ms"] = json!(ms(t.wall));
        out["queued_ms"] = json!(ms(t.queued));
        out["batch_size"] = json!(t.batch_rows);
    }
    if let Some(d) = &judged.details {
        out["prompt"] = json!(d.prompt);
        out["input_ids"] = json!(d.input_ids);
        out["top5"] = json!(d.top5);
        out["generated"] = json!(d.generated);
    }
    out
}

/// The text result for one conversation (`line`: its JSON Lines line number).
fn result_text(judged: &Judged, line: Option<usize>) -> String {
    let mut out = match &judged.verdict {
        Ok(verdict) => {
            let mut out = if verdict.is_unsafe {
                if verdict.categories.is_empty() {
                    "unsafe".to_string()
                } else {
                    format!("unsafe {}", verdict.categories.join(","))
                }
            } else {
                "safe".to_string()
            };
            let source = match verdict.score_source {
                ScoreSource::Logprobs => "",
                ScoreSource::VerdictText => ", from the verdict text",
            };
            out.push_str(&format!(" (score {:.4}{source})", verdict.unsafe_score));
            if let Some(t) = &verdict.truncation {
                out.push_str(&format!(
                    " [truncated: {} older turns dropped, {} window(s)]",
                    t.dropped_turns, t.windows
                ));
            }
            out
        }
        Err(e) => {
            let mut out = match line {
                Some(n) => format!("error (line {n}): {e}"),
                None => format!("error: {e}"),
            };
            if let Some(score) = judged.unsafe_score {
                out.push_str(&format!(" (score {score:.4})"));
            }
            if judged.details.is_none()
                && let Some(text) = &judged.generated
            {
                out.push_str(&format!("\ngenerated: {text:?}"));
            }
            out
        }
    };
    if let Some(d) = &judged.details {
        out.push_str(&format!("\nprompt:\n{}\n", d.prompt));
        if let Some(ids) = &d.input_ids {
            out.push_str(&format!("input_ids: {ids:?}\n"));
        }
        let top: Vec<String> = d
            .top5
            .iter()
            .map(|t| match (&t.token, t.id) {
                (Some(tok), Some(id)) => format!("{id} {tok:?} {:.4}", t.logprob),
                (Some(tok), None) => format!("{tok:?} {:.4}", t.logprob),
                (None, Some(id)) => format!("{id} {:.4}", t.logprob),
                (None, None) => format!("{:.4}", t.logprob),
            })
            .collect();
        out.push_str(&format!("top5: {}\n", top.join(", ")));
        out.push_str(&format!("generated: {:?}", d.generated));
    }
    out
}

/// JSON Lines classifications in flight at once (the candle backend's default batch size).
const JSON_LINES_IN_FLIGHT: usize = 32;

/// Runs `warden classify` over `stdin`, writing results to `stdout`.
pub async fn run_classify(
    args: ClassifyArgs,
    mut stdin: impl Read,
    mut stdout: impl Write,
) -> Result<ExitCode, CliError> {
    if args.detector == crate::prompt_guard::cli::Detector::PromptGuard {
        return crate::prompt_guard::cli::run(args, stdin, stdout).await;
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(CliError::Usage(
            "--threshold must be between 0 and 1".into(),
        ));
    }
    let taxonomy = Arc::new(match &args.categories {
        Some(path) => Taxonomy::from_categories_file(args.template, path)?,
        None => args.template.default_taxonomy(),
    });
    let mut text = String::new();
    stdin.read_to_string(&mut text).map_err(CliError::Stdin)?;
    let input = parse_input(&text)?;
    let backend = build_backend(&args).await?;

    let request = |turns: Vec<Turn>| ClassifyRequest {
        turns,
        taxonomy: taxonomy.clone(),
        threshold: args.threshold,
        always_decode: false,
        keep_context: false,
    };
    let write = |out: &mut dyn Write, judged: &Judged, line: Option<usize>| {
        let text = match args.format {
            OutputFormat::Json => result_json(judged, line).to_string(),
            OutputFormat::Text => result_text(judged, line),
        };
        writeln!(out, "{text}").map_err(CliError::Stdout)
    };

    let mut any_unsafe = false;
    let mut any_error = false;
    let mut tally = |judged: &Judged| match &judged.verdict {
        Ok(v) => any_unsafe |= v.is_unsafe,
        Err(_) => any_error = true,
    };
    match input {
        Input::Single(turns) => {
            let judged = backend.classify(request(turns), args.tokens).await;
            tally(&judged);
            write(&mut stdout, &judged, None)?;
        }
        Input::Lines(lines) => {
            // Several lines in flight so the model threads can batch them (and a remote
            // server can work on them concurrently); results still come out in input order.
            let backend = &backend;
            let mut outcomes = futures_util::stream::iter(lines.into_iter().map(|line| {
                let request = line.map(&request);
                async move {
                    match request {
                        Ok(request) => backend.classify(request, args.tokens).await,
                        Err(e) => Judged::failed(GuardError::InvalidConversation(e)),
                    }
                }
            }))
            .buffered(JSON_LINES_IN_FLIGHT)
            .enumerate();
            while let Some((index, judged)) = outcomes.next().await {
                tally(&judged);
                write(&mut stdout, &judged, Some(index + 1))?;
            }
        }
    }
    if any_error {
        stdout.flush().map_err(CliError::Stdout)?;
        return Ok(ExitCode::from(2));
    }
    stdout.flush().map_err(CliError::Stdout)?;
    Ok(if any_unsafe {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_input_kinds() {
        match parse_input("hello there\n").expect("plain text") {
            Input::Single(turns) => assert_eq!(turns[0].content, "hello there\n"),
            other => panic!("{other:?}"),
        }
        let json = r#"[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url"}]}]"#;
        match parse_input(json).expect("json") {
            Input::Single(turns) => {
                assert_eq!(turns.len(), 2);
                assert_eq!(turns[1].content, "a");
            }
            other => panic!("{other:?}"),
        }
        let jsonl = "[{\"role\":\"user\",\"content\":\"a\"}]\n\n{\"messages\":[{\"role\":\"user\",\"content\":\"b\"}]}\n[{\"role\":\"robot\",\"content\":\"c\"}]\n";
        match parse_input(jsonl).expect("jsonl") {
            Input::Lines(lines) => {
                assert_eq!(lines.len(), 3);
                assert!(lines[0].is_ok() && lines[1].is_ok());
                assert!(lines[2].as_ref().expect_err("bad role").contains("robot"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_input("   ").is_err());
        assert!(parse_input("[not json").is_err());
    }
}
