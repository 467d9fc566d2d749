//! Prompt Guard: a small DeBERTa classifier for jailbreaks and prompt injection, run in-process.
//!
//! Llama Guard judges content categories; it does not see "ignore your previous instructions" in
//! a prompt, nor instructions hidden in a tool result or a retrieved document. Meta's Prompt
//! Guard does (Prompt Guard 1, 86M: BENIGN / INJECTION / JAILBREAK; Prompt Guard 2, 86M and
//! 22M: benign / malicious), and it is small enough to run on the CPU on every request.
//!
//! The non-obvious choice: long text is scored in overlapping *token* windows and the score is the
//! maximum over windows (Meta's utilities cut 512-character or 512-token chunks without overlap,
//! so a phrase on a chunk boundary is seen by neither chunk). Every window holds `[CLS]`, up to
//! `window_tokens - 2` content tokens and `[SEP]`; windows start every `stride_tokens` content
//! tokens and the last one ends at the text's end. The first window is exactly what the model
//! card's `tokenizer(text, truncation=True, max_length=512)` feeds the model.
//!
//! Scores ([`InjectionScores`]): per label, the max over windows of `softmax(logits / T)`; plus
//! the two scores the model cards define, computed per window before the max:
//! `injection` = 1 - P(benign) (Prompt Guard 1: P(INJECTION) + P(JAILBREAK), the card's score
//! for third-party data; Prompt Guard 2: P(malicious)) and `jailbreak` = P(JAILBREAK) (Prompt
//! Guard 2: P(malicious)), the card's score for user dialogue. See docs/adr/009-prompt-guard.md.

pub mod cli;
pub mod deberta;
mod kernels;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use tokenizers::Tokenizer;

use crate::hub::{self, HubError, HubOptions};
use deberta::{DebertaClassifier, DebertaConfig, RawDebertaConfig, Weights};

/// How to load and run a Prompt Guard model.
#[derive(Debug, Clone)]
pub struct PromptGuardOptions {
    /// Where the model runs (default CPU; the same type the Llama Guard backend takes).
    pub device: Device,
    /// Tokens per window, `[CLS]` and `[SEP]` included (default 512, the models' training length).
    pub window_tokens: usize,
    /// Content tokens between the starts of consecutive windows (default 446: windows of 510
    /// content tokens overlap by 64). At most `window_tokens - 2`.
    pub stride_tokens: usize,
    /// Softmax temperature (default 1.0, as in Meta's inference utilities).
    pub temperature: f32,
    /// Windows run in one forward pass (default 4); a long text runs in several passes.
    pub max_batch: usize,
    /// Scores computed at once (default 2: each forward already uses every core).
    pub concurrency: usize,
    /// Calls to [`PromptGuard::score`] that may wait before `Overloaded` (default 64).
    pub queue_depth: usize,
    /// `tokenizer.json` to use instead of the one beside the weights.
    pub tokenizer: Option<PathBuf>,
    /// Hugging Face hub settings for `hf:` ids (default: from the environment).
    pub hub: Option<HubOptions>,
}

impl Default for PromptGuardOptions {
    fn default() -> Self {
        Self {
            device: Device::Cpu,
            window_tokens: 512,
            stride_tokens: 446,
            temperature: 1.0,
            max_batch: 4,
            concurrency: 2,
            queue_depth: 64,
            tokenizer: None,
            hub: None,
        }
    }
}

/// Why a Prompt Guard model could not be loaded or could not score.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PromptGuardError {
    #[error("{path}: missing: expected {what}; {fix}")]
    MissingFile {
        path: PathBuf,
        what: &'static str,
        fix: &'static str,
    },
    #[error("{path}: {what}")]
    Invalid { path: PathBuf, what: String },
    #[error("reading {path}: {message}")]
    Io { path: PathBuf, message: String },
    #[error("{0}")]
    Hub(String),
    #[error("invalid options: {0}")]
    Options(String),
    #[error("prompt guard overloaded: {queued} checks waiting (limit {limit})")]
    Overloaded { queued: usize, limit: usize },
    #[error("prompt guard failed: {0}")]
    Backend(String),
}

impl From<HubError> for PromptGuardError {
    fn from(e: HubError) -> Self {
        PromptGuardError::Hub(e.to_string())
    }
}

/// What one check found.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InjectionScores {
    /// Per label, max over windows of softmax(logits / T).
    pub scores: Vec<(String, f32)>,
    /// Max over windows of 1 - P(benign): Prompt Guard 1's indirect-injection score
    /// (P(injection) + P(jailbreak)), for third-party data; Prompt Guard 2's P(malicious).
    pub injection: f32,
    /// Max over windows of P(jailbreak), for user dialogue; P(malicious) when the model has no
    /// jailbreak label (Prompt Guard 2).
    pub jailbreak: f32,
    /// Windows scored (1 unless the text is longer than one window).
    pub windows: usize,
    /// Content tokens of the text (without `[CLS]`/`[SEP]`).
    pub tokens: usize,
    /// Time of the check: tokenization and forward passes, and the wait for a slot for
    /// [`PromptGuard::score`].
    pub elapsed: Duration,
}

impl InjectionScores {
    /// `"injection"` and `"jailbreak"` give the model cards' scores ([`Self::injection`],
    /// [`Self::jailbreak`]); any other label its per-label score.
    pub fn get(&self, label: &str) -> Option<f32> {
        match label {
            "injection" => Some(self.injection),
            "jailbreak" => Some(self.jailbreak),
            _ => self
                .scores
                .iter()
                .find(|(name, _)| name == label)
                .map(|(_, s)| *s),
        }
    }
}

/// One window's token ids and raw logits (for tests and `--tokens`).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WindowLogits {
    pub ids: Vec<u32>,
    pub logits: Vec<f32>,
}

#[derive(Debug)]
struct Inner {
    model: DebertaClassifier,
    tokenizer: Tokenizer,
    /// Ids the post-processor puts before and after the content (`[CLS]`, `[SEP]`).
    prefix: Vec<u32>,
    suffix: Vec<u32>,
    labels: Vec<String>,
    benign: Option<usize>,
    jailbreak: Option<usize>,
    options: PromptGuardOptions,
    describe: String,
    running: tokio::sync::Semaphore,
    waiting: AtomicUsize,
}

/// A loaded Prompt Guard model: cheap to clone, `Send + Sync`, weights shared and immutable.
#[derive(Debug, Clone)]
pub struct PromptGuard {
    inner: Arc<Inner>,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> PromptGuardError + '_ {
    move |e| PromptGuardError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

fn require(path: &Path, what: &'static str, fix: &'static str) -> Result<(), PromptGuardError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(PromptGuardError::MissingFile {
            path: path.to_path_buf(),
            what,
            fix,
        })
    }
}

/// A local directory, or `hf:ORG/NAME[@REVISION]` through [`crate::hub`] (cache first, then a
/// download into it).
fn resolve_spec(spec: &str, hub: Option<&HubOptions>) -> Result<PathBuf, PromptGuardError> {
    if let Some(id) = spec.strip_prefix("hf:") {
        let options = hub.cloned().unwrap_or_else(HubOptions::from_env);
        let id = id.to_string();
        // `load` is synchronous and may be called from inside a runtime: resolve on a thread
        // of its own with its own small runtime.
        let handle = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| PromptGuardError::Hub(format!("starting the hub client: {e}")))?;
            rt.block_on(hub::resolve(&id, &options))
                .map_err(PromptGuardError::from)
        });
        return handle
            .join()
            .map_err(|_| PromptGuardError::Hub("the hub download thread panicked".into()))?;
    }
    let path = PathBuf::from(spec);
    if !path.is_dir() {
        return Err(PromptGuardError::MissingFile {
            path,
            what: "a Hugging Face model directory (config.json, tokenizer.json, model.safetensors)",
            fix: "pass a directory such as one made by `huggingface-cli download \
                  meta-llama/Llama-Prompt-Guard-2-86M`, or an hf:ORG/NAME id",
        });
    }
    Ok(path)
}

fn read_weights(dir: &Path, device: &Device) -> Result<HashMap<String, Tensor>, PromptGuardError> {
    let single = dir.join("model.safetensors");
    let mut files = if single.is_file() {
        vec![single]
    } else {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io_err(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
            .collect();
        found.sort();
        found
    };
    if files.is_empty() {
        return Err(PromptGuardError::MissingFile {
            path: dir.join("model.safetensors"),
            what: "the model weights (model.safetensors)",
            fix: "download the repository's safetensors file; a pytorch_model.bin can be \
                  converted with transformers' save_pretrained(safe_serialization=True)",
        });
    }
    let mut tensors = HashMap::new();
    for file in files.drain(..) {
        let loaded = candle_core::safetensors::load(&file, device).map_err(|e| {
            PromptGuardError::Invalid {
                path: file.clone(),
                what: format!("not a readable safetensors file: {e}"),
            }
        })?;
        for (name, t) in loaded {
            let t = t
                .to_dtype(DType::F32)
                .map_err(|e| PromptGuardError::Invalid {
                    path: file.clone(),
                    what: format!("tensor {name}: {e}"),
                })?;
            tensors.insert(name, t);
        }
    }
    Ok(tensors)
}

/// Label names as the API reports them: lower case; a two-label model with generic names
/// (`LABEL_0`, `LABEL_1`) reads as benign / malicious, Prompt Guard 2's meaning.
fn label_names(raw: &[String]) -> Vec<String> {
    let lower: Vec<String> = raw.iter().map(|l| l.trim().to_lowercase()).collect();
    if lower == ["label_0", "label_1"] {
        return vec!["benign".to_string(), "malicious".to_string()];
    }
    lower
}

impl PromptGuard {
    /// Path to an HF directory or an `hf:` id (same resolution as the guard's loader); CPU
    /// unless `device` says otherwise. Errors name the missing/invalid file and the fix.
    pub fn load(spec: &str, opts: &PromptGuardOptions) -> Result<Self, PromptGuardError> {
        if opts.window_tokens < 3 {
            return Err(PromptGuardError::Options(format!(
                "window_tokens is {}; it must hold [CLS], [SEP] and at least one token",
                opts.window_tokens
            )));
        }
        if opts.stride_tokens == 0 || opts.stride_tokens > opts.window_tokens - 2 {
            return Err(PromptGuardError::Options(format!(
                "stride_tokens is {}; it must be between 1 and window_tokens - 2 ({}), or text \
                 between windows would go unchecked",
                opts.stride_tokens,
                opts.window_tokens - 2
            )));
        }
        if !(opts.temperature.is_finite() && opts.temperature > 0.0) {
            return Err(PromptGuardError::Options(format!(
                "temperature is {}; it must be a positive number",
                opts.temperature
            )));
        }
        let dir = resolve_spec(spec, opts.hub.as_ref())?;
        let config_path = dir.join("config.json");
        require(
            &config_path,
            "a Hugging Face config.json (DebertaV2ForSequenceClassification)",
            "download the model's config.json next to its weights",
        )?;
        let tokenizer_path = match &opts.tokenizer {
            Some(t) => t.clone(),
            None => dir.join("tokenizer.json"),
        };
        require(
            &tokenizer_path,
            "the model's tokenizer.json",
            "download tokenizer.json from the model's repository (Prompt Guard ships one), or \
             convert the SentencePiece model with transformers' \
             AutoTokenizer.from_pretrained(...).save_pretrained(DIR)",
        )?;
        let text = std::fs::read_to_string(&config_path).map_err(io_err(&config_path))?;
        let raw: RawDebertaConfig =
            serde_json::from_str(&text).map_err(|e| PromptGuardError::Invalid {
                path: config_path.clone(),
                what: format!("not a DeBERTa-v2 config: {e}"),
            })?;
        let config = DebertaConfig::from_raw(&raw).map_err(|what| PromptGuardError::Invalid {
            path: config_path.clone(),
            what,
        })?;
        let weights = Weights::new(read_weights(&dir, &opts.device)?);
        let model = DebertaClassifier::new(config, weights, &opts.device).map_err(|what| {
            PromptGuardError::Invalid {
                path: dir.join("model.safetensors"),
                what,
            }
        })?;
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| PromptGuardError::Invalid {
                path: tokenizer_path.clone(),
                what: format!("not a tokenizers tokenizer.json: {e}"),
            })?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| PromptGuardError::Invalid {
                path: tokenizer_path.clone(),
                what: format!("cannot turn truncation off: {e}"),
            })?;
        tokenizer.with_padding(None);
        let (prefix, suffix) =
            special_tokens(&tokenizer).map_err(|what| PromptGuardError::Invalid {
                path: tokenizer_path.clone(),
                what,
            })?;
        if prefix.len() + suffix.len() + 1 > opts.window_tokens {
            return Err(PromptGuardError::Options(format!(
                "window_tokens {} leaves no room for text beside {} special tokens",
                opts.window_tokens,
                prefix.len() + suffix.len()
            )));
        }
        let labels = label_names(&model.config.labels);
        let benign = labels.iter().position(|l| l == "benign" || l == "safe");
        let jailbreak = labels.iter().position(|l| l == "jailbreak");
        let describe = format!(
            "prompt guard {} ({} labels: {})",
            dir.display(),
            labels.len(),
            labels.join(", ")
        );
        Ok(Self {
            inner: Arc::new(Inner {
                model,
                tokenizer,
                prefix,
                suffix,
                labels,
                benign,
                jailbreak,
                running: tokio::sync::Semaphore::new(opts.concurrency.max(1)),
                waiting: AtomicUsize::new(0),
                options: opts.clone(),
                describe,
            }),
        })
    }

    /// Lower-case label names from config.json id2label, in id order
    /// (PG1: ["benign","injection","jailbreak"]; PG2: ["benign","malicious"]).
    pub fn labels(&self) -> &[String] {
        &self.inner.labels
    }

    /// A short description for logs and `/readyz`.
    pub fn describe(&self) -> &str {
        &self.inner.describe
    }

    /// The options it was loaded with.
    pub fn options(&self) -> &PromptGuardOptions {
        &self.inner.options
    }

    /// Runs off the async executor (spawn_blocking or an engine thread); safe to call from many
    /// tasks at once.
    pub async fn score(&self, text: &str) -> Result<InjectionScores, PromptGuardError> {
        let start = Instant::now();
        let inner = &self.inner;
        let limit = inner.options.queue_depth;
        let queued = inner.waiting.fetch_add(1, Ordering::AcqRel);
        if queued >= limit {
            inner.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(PromptGuardError::Overloaded { queued, limit });
        }
        let permit = inner.running.acquire().await;
        inner.waiting.fetch_sub(1, Ordering::AcqRel);
        let _permit =
            permit.map_err(|_| PromptGuardError::Backend("the prompt guard is closed".into()))?;
        let this = self.clone();
        let text = text.to_string();
        let mut scores = tokio::task::spawn_blocking(move || this.score_blocking(&text))
            .await
            .map_err(|e| PromptGuardError::Backend(format!("the scoring task failed: {e}")))??;
        scores.elapsed = start.elapsed();
        Ok(scores)
    }

    /// [`Self::score`] on the calling thread.
    pub fn score_blocking(&self, text: &str) -> Result<InjectionScores, PromptGuardError> {
        self.score_detailed_blocking(text).map(|(scores, _)| scores)
    }

    /// The scores and every window's ids and logits.
    pub fn score_detailed_blocking(
        &self,
        text: &str,
    ) -> Result<(InjectionScores, Vec<WindowLogits>), PromptGuardError> {
        let start = Instant::now();
        let (tokens, windows) = self.inspect_blocking(text)?;
        let mut scores = self.combine(&windows);
        scores.tokens = tokens;
        scores.elapsed = start.elapsed();
        Ok((scores, windows))
    }

    /// The content token ids of `text` (no special tokens), as the windows are cut from them.
    pub fn content_ids(&self, text: &str) -> Result<Vec<u32>, PromptGuardError> {
        let enc = self
            .inner
            .tokenizer
            .encode(text, false)
            .map_err(|e| PromptGuardError::Backend(format!("tokenizing failed: {e}")))?;
        Ok(enc.get_ids().to_vec())
    }

    /// The windows of `text` with their raw logits, and the content token count.
    pub fn inspect_blocking(
        &self,
        text: &str,
    ) -> Result<(usize, Vec<WindowLogits>), PromptGuardError> {
        let content = self.content_ids(text)?;
        let windows = self.windows(&content);
        let mut out = Vec::with_capacity(windows.len());
        let backend = |e: candle_core::Error| PromptGuardError::Backend(e.to_string());
        // Windows of one length run together; only a text of one window has a shorter one.
        for batch in windows.chunks(self.inner.options.max_batch.max(1)) {
            let logits = self
                .inner
                .model
                .forward(batch)
                .and_then(|t| t.to_vec2::<f32>())
                .map_err(backend)?;
            out.extend(batch.iter().zip(logits).map(|(ids, logits)| WindowLogits {
                ids: ids.clone(),
                logits,
            }));
        }
        Ok((content.len(), out))
    }

    /// `[CLS] + content slice + [SEP]` windows (see the module docs).
    fn windows(&self, content: &[u32]) -> Vec<Vec<u32>> {
        let inner = &self.inner;
        let size = inner.options.window_tokens - inner.prefix.len() - inner.suffix.len();
        let wrap = |slice: &[u32]| {
            let mut w = Vec::with_capacity(slice.len() + inner.prefix.len() + inner.suffix.len());
            w.extend_from_slice(&inner.prefix);
            w.extend_from_slice(slice);
            w.extend_from_slice(&inner.suffix);
            w
        };
        if content.len() <= size {
            return vec![wrap(content)];
        }
        let last = content.len() - size;
        let stride = inner.options.stride_tokens.min(size).max(1);
        let mut starts: Vec<usize> = (0..last).step_by(stride).collect();
        starts.push(last);
        starts
            .into_iter()
            .map(|s| wrap(&content[s..s + size]))
            .collect()
    }

    /// Softmax with temperature per window, then the max over windows.
    fn combine(&self, windows: &[WindowLogits]) -> InjectionScores {
        let inner = &self.inner;
        let t = inner.options.temperature;
        let n = inner.labels.len();
        let mut best = vec![0f32; n];
        let (mut injection, mut jailbreak) = (0f32, 0f32);
        for w in windows {
            let max = w.logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let exp: Vec<f32> = w.logits.iter().map(|l| ((l - max) / t).exp()).collect();
            let sum: f32 = exp.iter().sum();
            let p: Vec<f32> = exp.iter().map(|e| e / sum).collect();
            for (b, v) in best.iter_mut().zip(&p) {
                *b = b.max(*v);
            }
            let inj: f32 = p
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != inner.benign)
                .map(|(_, v)| v)
                .sum();
            let jb = inner.jailbreak.map_or(inj, |j| p[j]);
            injection = injection.max(inj);
            jailbreak = jailbreak.max(jb);
        }
        InjectionScores {
            scores: inner.labels.iter().cloned().zip(best).collect(),
            injection,
            jailbreak,
            windows: windows.len(),
            tokens: 0,
            elapsed: Duration::ZERO,
        }
    }
}

/// The ids the tokenizer's post-processor adds before and after a text, found by encoding a
/// probe with and without them.
fn special_tokens(tokenizer: &Tokenizer) -> Result<(Vec<u32>, Vec<u32>), String> {
    let probe = "a";
    let with = tokenizer
        .encode(probe, true)
        .map_err(|e| format!("tokenizing a probe failed: {e}"))?;
    let without = tokenizer
        .encode(probe, false)
        .map_err(|e| format!("tokenizing a probe failed: {e}"))?;
    let (with, without) = (with.get_ids(), without.get_ids());
    let at = (0..=with.len().saturating_sub(without.len()))
        .find(|&i| with[i..].starts_with(without))
        .ok_or("its post-processor changes the text's own ids; expected [CLS] text [SEP]")?;
    Ok((with[..at].to_vec(), with[at + without.len()..].to_vec()))
}
