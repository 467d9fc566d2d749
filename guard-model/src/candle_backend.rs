//! The in-process Llama Guard classifier on candle.
//!
//! Requests are tokenized by the caller and go through a bounded queue (full ->
//! [`GuardError::Overloaded`]) to dedicated OS threads, so a forward pass never blocks a tokio
//! worker. A model thread takes everything that is queued, up to `max_batch` prompts and
//! `max_batch_tokens` padded tokens, and runs it as **one** forward pass, whatever each
//! prompt's prefix: every row starts from its own cached keys and values (the template prefix
//! for its role and categories, or a longer run a kept stream context covers), right-padded to
//! the longest, with the padding masked out. So prompt checks (`User`) and answer checks
//! (`Agent`) share a pass, and under load the batch grows with the queue while a lone request
//! never waits for company (no fill wait by default: what arrives during a pass is the next
//! pass). The greedy decode of the categories runs batched too, one step for every row that
//! still decodes.
//!
//! The prefix (template, role and categories; everything before the conversation) is computed
//! once per distinct token sequence and reused by cloning. Requests marked
//! [`ClassifyRequest::keep_context`] (a stream's window checks) also leave their whole prompt's
//! keys and values behind, within a byte budget: a later prompt reuses the longest token run
//! it shares with one of them (for window checks: the template prefix and the whole history),
//! so each check computes only its new window and the closing instruction. Reuse is by token
//! ids, so it is exact: a prompt that tokenizes differently from some point on recomputes from
//! that point. A check that keeps its context replaces the one it grew from, and the stream's
//! last check (no `keep_context`) drops it, so a stream holds one context at a time.
//!
//! Scoring follows spec §4: one forward pass, the unsafe score from the verdict tokens at the
//! first generated position (LG3: after its leading `\n\n`), and a greedy decode of at most
//! [`MAX_NEW_TOKENS`] tokens for the categories when the score reaches the threshold or the
//! request asks for it. Until a decode is needed only the four verdict rows of the output
//! projection are computed, unless full-vocabulary log-probabilities are requested.
//!
//! Every prompt of a batch gets its own result: a prompt that cannot run (too long for the
//! model) or whose answer does not parse fails alone, with what was computed for it
//! ([`Classification`]).

mod batch;
mod queue;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use candle_core::{DType, Device};
use serde::Serialize;

use crate::classifier::{BoxFuture, Classifier, ClassifyRequest, GuardError, Truncation, Verdict};
use crate::load::{LoadOptions, ModelFiles, load_model};
use crate::model::{Head, KvCache, Llama, ModelError, Padding};
use crate::tokenize::{EncodedPrompt, GuardTokenizer, VerdictTokens};

use queue::{Job, Load, Queue};

/// Most tokens generated for the categories (`unsafe\nS1,S2,...` + stop).
pub const MAX_NEW_TOKENS: usize = 12;

/// Conversations longer than this (bytes of text) are tokenized on tokio's blocking pool
/// instead of the calling async worker.
const INLINE_ENCODE_BYTES: usize = 16 * 1024;

/// How the candle classifier runs.
#[derive(Debug, Clone)]
pub struct CandleOptions {
    /// Model threads, each running whole batches (default 1: candle's matmuls already use
    /// every core through rayon).
    pub threads: usize,
    /// Classifications that may wait for a model thread before `Overloaded` (default 64).
    pub queue_depth: usize,
    /// Most prompts run in one forward pass (default 32; 1 turns batching off).
    pub max_batch: usize,
    /// Most padded tokens in one forward pass: prompts x the longest prompt's new tokens
    /// (default 8192). Bounds the activations of a batch; a longer prompt runs alone.
    pub max_batch_tokens: usize,
    /// How long a model thread waits for more requests to fill a batch (default 0: it takes
    /// what is already queued and never delays a lone request).
    pub batch_wait: Duration,
    /// Feed one BOS token at position 0 (default on, spec §2.2).
    pub bos: bool,
    pub device: Device,
    /// Compute dtype for safetensors weights (default f32 on CPU).
    pub dtype: Option<DType>,
    /// `tokenizer.json` to use instead of the one beside the weights.
    pub tokenizer: Option<PathBuf>,
    /// Reuse the keys and values of the prompt prefix (default on).
    pub prefix_cache: bool,
    /// Distinct prefixes kept (default 32; least recently used evicted).
    pub prefix_cache_entries: usize,
    /// Bytes of keys and values kept from `keep_context` prompts for reuse by the next check
    /// of the same stream (default 256 MiB; least recently used evicted; 0 turns it off).
    /// A token costs `layers x 2 x kv_heads x head_dim x dtype size`: 8 KiB for the 150M
    /// benchmark shape in f32, 128 KiB for an 8B Llama Guard in bf16.
    pub context_cache_bytes: usize,
    /// Compute the whole vocabulary at the first position so `logprob_safe` and
    /// `logprob_unsafe` are reported (default on). Off, only the four verdict rows are
    /// computed: the same `unsafe_score`, less work, and the two log-probs are `None`.
    pub full_vocab_logprobs: bool,
    /// Context limit in tokens; default the smaller of the model's and the template's.
    pub max_context: Option<usize>,
    /// Progress bar while loading (only drawn on a terminal).
    pub progress: bool,
}

impl Default for CandleOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            queue_depth: 64,
            max_batch: 32,
            max_batch_tokens: 8192,
            batch_wait: Duration::ZERO,
            bos: true,
            device: Device::Cpu,
            dtype: None,
            tokenizer: None,
            prefix_cache: true,
            prefix_cache_entries: 32,
            context_cache_bytes: 256 << 20,
            full_vocab_logprobs: true,
            max_context: None,
            progress: true,
        }
    }
}

/// One token and its log-probability.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TokenLogprob {
    pub id: u32,
    pub logprob: f32,
}

/// What `warden classify --tokens` shows, with the verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenDetails {
    /// The rendered prompt text.
    pub prompt: String,
    /// Token ids fed to the model, BOS included (for LG3 the `\n\n` appended for scoring is
    /// not included).
    pub input_ids: Vec<u32>,
    /// The five most likely tokens at the scoring position.
    pub top5: Vec<TokenLogprob>,
    /// The greedy continuation, decoded.
    pub generated: String,
    pub verdict: Verdict,
}

/// The token-level view of a scored prompt (of the first window when the judged turn was
/// split), computed whether or not its answer parses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromptTokens {
    /// The rendered prompt text.
    pub prompt: String,
    /// Token ids fed to the model, BOS included (for LG3 the `\n\n` appended for scoring is
    /// not included).
    pub input_ids: Vec<u32>,
    /// The five most likely tokens at the scoring position.
    pub top5: Vec<TokenLogprob>,
}

/// Where one classification's time went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ItemTiming {
    /// From submission until a model thread took it.
    pub queued: Duration,
    /// Its own share of the work: tokenizing it, its prompts' share of each forward pass they
    /// ran in (by real tokens) and of each decode step (equal among the rows decoding).
    pub compute: Duration,
    /// From submission to the result: queueing plus the whole batch it ran in.
    pub wall: Duration,
    /// Prompts in the largest forward pass it ran in.
    pub batch_rows: usize,
}

/// One classification as the engine ran it: the verdict or why there is none, and what was
/// computed either way.
#[derive(Debug, Clone)]
pub struct Classification {
    pub verdict: Result<Verdict, GuardError>,
    /// The highest unsafe score over the prompt's windows, when any was scored (also when the
    /// answer did not parse).
    pub unsafe_score: Option<f32>,
    /// The greedy continuation of the window with the highest score, when it was decoded.
    pub generated: Option<String>,
    /// Prompt, ids and top 5 when asked for (`details`) and the prompt was scored.
    pub tokens: Option<PromptTokens>,
    pub timing: ItemTiming,
}

impl Classification {
    fn failed(error: GuardError, timing: ItemTiming) -> Self {
        Classification {
            verdict: Err(error),
            unsafe_score: None,
            generated: None,
            tokens: None,
            timing,
        }
    }
}

/// Forward passes by prompts per pass: passes of at most 1, 2, 4, ..., 128 prompts (the
/// last bucket also holds larger ones).
pub const BATCH_SIZE_BUCKETS: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// Counters for tests, benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Forward passes over prompts (decode steps not counted).
    pub batches: usize,
    /// Prompts run in those passes.
    pub rows: usize,
    pub largest_batch: usize,
    /// `batch_size_counts[i]`: passes of more than `BATCH_SIZE_BUCKETS[i - 1]` and at most
    /// `BATCH_SIZE_BUCKETS[i]` prompts (the last also counts larger passes).
    pub batch_size_counts: [u64; 8],
    /// Batched greedy decode steps (one token for every row still decoding).
    pub decode_steps: usize,
    /// Prompts whose template prefix came from the prefix cache.
    pub prefix_hits: usize,
    /// Template prefixes computed because they were not cached.
    pub prefix_misses: usize,
    /// Prompts that started from a kept context (a previous `keep_context` prompt).
    pub context_hits: usize,
    /// Tokens those prompts did not recompute.
    pub context_tokens_reused: usize,
    /// Contexts kept now.
    pub contexts_kept: usize,
    /// Classifications refused because the queue was full.
    pub rejected: usize,
    /// Queued classifications dropped unrun because their caller had gone (timed out).
    pub abandoned: usize,
}

impl EngineStats {
    fn count_batch(&mut self, rows: usize) {
        self.batches += 1;
        self.rows += rows;
        self.largest_batch = self.largest_batch.max(rows);
        let bucket = BATCH_SIZE_BUCKETS
            .iter()
            .position(|&b| rows <= b)
            .unwrap_or(BATCH_SIZE_BUCKETS.len() - 1);
        self.batch_size_counts[bucket] += 1;
    }
}

/// The in-process classifier. Dropping it stops its threads after the queued work.
#[derive(Debug)]
pub struct CandleClassifier {
    engine: Arc<Engine>,
    queue: Arc<Queue>,
    workers: Vec<JoinHandle<()>>,
    threads: usize,
    description: String,
}

struct Engine {
    model: Llama,
    tokenizer: GuardTokenizer,
    verdict: VerdictTokens,
    verdict_head: Head,
    prefixes: Mutex<PrefixCache>,
    stats: Mutex<EngineStats>,
    load: Mutex<Load>,
    max_context: Option<usize>,
    max_batch: usize,
    max_batch_tokens: usize,
    prefix_cache: bool,
    full_vocab: bool,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", self.model.config())
            .field("max_batch", &self.max_batch)
            .finish_non_exhaustive()
    }
}

struct PrefixCache {
    entries: HashMap<Vec<u32>, (Arc<KvCache>, u64)>,
    tick: u64,
    capacity: usize,
    /// Whole prompts kept for `keep_context` requests.
    contexts: Vec<Context>,
    context_bytes: usize,
    context_budget: usize,
}

/// A prompt's token ids and the keys and values of all of them (one row, no padding).
struct Context {
    ids: Vec<u32>,
    cache: Arc<KvCache>,
    used: u64,
    bytes: usize,
}

fn common_prefix(a: &[u32], b: &[u32]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}

impl PrefixCache {
    /// How many leading tokens of `ids` a kept context covers (at most all but the last:
    /// the scored position always runs).
    fn reusable(&self, ids: &[u32]) -> usize {
        self.contexts
            .iter()
            .map(|c| common_prefix(&c.ids, ids))
            .max()
            .unwrap_or(0)
            .min(ids.len().saturating_sub(1))
    }

    /// A kept context that starts with `key`, marked as used.
    fn context_for(&mut self, key: &[u32]) -> Option<Arc<KvCache>> {
        self.tick += 1;
        let tick = self.tick;
        let c = self
            .contexts
            .iter_mut()
            .find(|c| c.ids.len() >= key.len() && c.ids[..key.len()] == *key)?;
        c.used = tick;
        Some(Arc::clone(&c.cache))
    }

    /// Forget `context` (its stream ended).
    fn drop_context(&mut self, context: &Arc<KvCache>) {
        self.contexts.retain(|c| !Arc::ptr_eq(&c.cache, context));
        self.context_bytes = self.contexts.iter().map(|c| c.bytes).sum();
    }

    /// Keep `cache` (holding exactly `ids`), dropping `replaces` (the context it grew from:
    /// the new one covers the same history) and the least recently used beyond the budget.
    fn keep(&mut self, ids: Vec<u32>, cache: KvCache, replaces: Option<&Arc<KvCache>>) {
        let bytes = cache.bytes();
        self.contexts
            .retain(|c| c.ids != ids && !replaces.is_some_and(|r| Arc::ptr_eq(r, &c.cache)));
        self.context_bytes = self.contexts.iter().map(|c| c.bytes).sum();
        if bytes > self.context_budget {
            return;
        }
        while self.context_bytes + bytes > self.context_budget {
            let Some(oldest) = self
                .contexts
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.used)
                .map(|(i, _)| i)
            else {
                break;
            };
            self.context_bytes -= self.contexts.swap_remove(oldest).bytes;
        }
        self.tick += 1;
        self.contexts.push(Context {
            ids,
            cache: Arc::new(cache),
            used: self.tick,
            bytes,
        });
        self.context_bytes += bytes;
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic on a model thread leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn backend(e: ModelError) -> GuardError {
    GuardError::Backend(e.to_string())
}

fn stopped() -> GuardError {
    GuardError::Backend("model thread stopped before answering".into())
}

impl CandleClassifier {
    /// Load a Hugging Face directory or a `.gguf` file and start the model threads.
    pub fn load(path: &Path, options: CandleOptions) -> Result<CandleClassifier, GuardError> {
        let files = ModelFiles::resolve(path, options.tokenizer.as_deref()).map_err(backend)?;
        // The tokenizer first: what its parsing frees goes back to the OS before the weights
        // arrive, so it never adds to the peak (see `heap`).
        let tokenizer = GuardTokenizer::from_file(files.tokenizer())?.with_bos(options.bos);
        crate::heap::release_free_heap();
        let model = load_model(
            &files,
            &LoadOptions {
                dtype: options.dtype,
                device: options.device.clone(),
                progress: options.progress,
            },
        )
        .map_err(backend)?;
        crate::heap::release_free_heap();
        let description = format!(
            "candle:{} ({:?}, {} thread{})",
            path.display(),
            model.dtype(),
            options.threads.max(1),
            if options.threads > 1 { "s" } else { "" }
        );
        Self::from_parts(model, tokenizer, options, description)
    }

    /// Start the model threads over an already loaded model and tokenizer.
    pub fn from_parts(
        model: Llama,
        tokenizer: GuardTokenizer,
        options: CandleOptions,
        description: String,
    ) -> Result<CandleClassifier, GuardError> {
        let verdict = tokenizer.verdict_tokens()?;
        let ids = [
            verdict.safe,
            verdict.unsafe_,
            verdict.space_safe,
            verdict.space_unsafe,
        ];
        let verdict_head = Head::Rows(model.head_rows(&ids).map_err(backend)?);
        let engine = Arc::new(Engine {
            model,
            tokenizer,
            verdict,
            verdict_head,
            prefixes: Mutex::new(PrefixCache {
                entries: HashMap::new(),
                tick: 0,
                capacity: options.prefix_cache_entries.max(1),
                contexts: Vec::new(),
                context_bytes: 0,
                context_budget: if options.prefix_cache {
                    options.context_cache_bytes
                } else {
                    0
                },
            }),
            stats: Mutex::new(EngineStats::default()),
            load: Mutex::new(Load::default()),
            max_context: options.max_context,
            max_batch: options.max_batch.max(1),
            max_batch_tokens: options.max_batch_tokens.max(1),
            prefix_cache: options.prefix_cache,
            full_vocab: options.full_vocab_logprobs,
        });
        let queue = Arc::new(Queue::new(options.queue_depth.max(1)));
        let threads = options.threads.max(1);
        let mut workers = Vec::new();
        for i in 0..threads {
            let engine = engine.clone();
            let queue = queue.clone();
            let wait = options.batch_wait;
            let handle = std::thread::Builder::new()
                .name(format!("warden-guard-{i}"))
                .spawn(move || worker(&engine, &queue, wait))
                .map_err(|e| GuardError::Backend(format!("cannot start a model thread: {e}")))?;
            workers.push(handle);
        }
        Ok(CandleClassifier {
            engine,
            queue,
            workers,
            threads,
            description,
        })
    }

    /// Tokenize `request` and queue it; the receiver answers when a model thread is done.
    fn submit(
        &self,
        request: ClassifyRequest,
        encoded: Result<Encoded, GuardError>,
        details: bool,
        submitted: Instant,
    ) -> Result<tokio::sync::oneshot::Receiver<Classification>, Box<Classification>> {
        let timing = |compute: Duration| ItemTiming {
            compute,
            wall: submitted.elapsed(),
            ..ItemTiming::default()
        };
        let encoded = match encoded {
            Ok(e) => e,
            Err(e) => {
                return Err(Box::new(Classification::failed(
                    e,
                    timing(submitted.elapsed()),
                )));
            }
        };
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job = Job {
            request,
            encoded,
            details,
            submitted,
            reply,
        };
        match self.queue.push(job) {
            Ok(()) => Ok(rx),
            Err(e) => {
                if matches!(e, GuardError::Overloaded { .. }) {
                    lock(&self.engine.stats).rejected += 1;
                }
                Err(Box::new(Classification::failed(e, timing(Duration::ZERO))))
            }
        }
    }

    /// Refuse at once when the queue is full, before spending time on tokenizing.
    fn full(&self) -> Option<GuardError> {
        let queued = self.queue.len();
        (queued >= self.queue.limit()).then(|| {
            lock(&self.engine.stats).rejected += 1;
            GuardError::Overloaded {
                queued,
                limit: self.queue.limit(),
            }
        })
    }

    /// Classify, returning what was computed even when there is no verdict (an answer that
    /// does not parse still has its score and generated text), and where the time went;
    /// `details` adds the prompt, its ids and the top 5 first tokens.
    pub async fn classify_detailed(
        &self,
        request: ClassifyRequest,
        details: bool,
    ) -> Classification {
        let submitted = Instant::now();
        if let Some(e) = self.full() {
            return Classification::failed(e, ItemTiming::default());
        }
        let large =
            request.turns.iter().map(|t| t.content.len()).sum::<usize>() > INLINE_ENCODE_BYTES;
        let (request, encoded) = if large && tokio::runtime::Handle::try_current().is_ok() {
            // Long conversations tokenize off the async workers.
            let engine = Arc::clone(&self.engine);
            let task = tokio::task::spawn_blocking(move || {
                let encoded = engine.encode(&request);
                (request, encoded)
            });
            match task.await {
                Ok(done) => done,
                Err(e) => {
                    return Classification::failed(
                        GuardError::Backend(format!("tokenizing failed: {e}")),
                        ItemTiming::default(),
                    );
                }
            }
        } else {
            let encoded = self.engine.encode(&request);
            (request, encoded)
        };
        match self.submit(request, encoded, details, submitted) {
            Ok(rx) => rx
                .await
                .unwrap_or_else(|_| Classification::failed(stopped(), ItemTiming::default())),
            Err(done) => *done,
        }
    }

    /// [`CandleClassifier::classify_detailed`] for callers outside an async runtime (CLI,
    /// benchmarks). Must not be called from inside a tokio runtime.
    pub fn classify_detailed_blocking(
        &self,
        request: ClassifyRequest,
        details: bool,
    ) -> Classification {
        let submitted = Instant::now();
        if let Some(e) = self.full() {
            return Classification::failed(e, ItemTiming::default());
        }
        let encoded = self.engine.encode(&request);
        match self.submit(request, encoded, details, submitted) {
            Ok(rx) => rx
                .blocking_recv()
                .unwrap_or_else(|_| Classification::failed(stopped(), ItemTiming::default())),
            Err(done) => *done,
        }
    }

    /// The verdict plus what `--tokens` shows (prompt, ids, top 5, generated text).
    pub async fn inspect(&self, request: ClassifyRequest) -> Result<TokenDetails, GuardError> {
        token_details(self.classify_detailed(request, true).await)
    }

    /// [`Classifier::classify`] for callers outside an async runtime (CLI, benchmarks).
    /// Must not be called from inside a tokio runtime.
    pub fn classify_blocking(&self, request: ClassifyRequest) -> Result<Verdict, GuardError> {
        self.classify_detailed_blocking(request, false).verdict
    }

    /// [`CandleClassifier::inspect`] for callers outside an async runtime.
    pub fn inspect_blocking(&self, request: ClassifyRequest) -> Result<TokenDetails, GuardError> {
        token_details(self.classify_detailed_blocking(request, true))
    }

    /// Full-vocabulary logits at the scoring position of the (first) prompt of `request`,
    /// computed on the calling thread, with or without the prefix cache. For tests and
    /// tools; the request path is [`Classifier::classify`].
    pub fn scoring_logits(
        &self,
        request: &ClassifyRequest,
        use_prefix_cache: bool,
    ) -> Result<Vec<f32>, GuardError> {
        let e = &self.engine;
        let prompt = e
            .encode(request)?
            .prompts
            .into_iter()
            .next()
            .ok_or_else(|| {
                GuardError::InvalidConversation("conversation encodes to no prompt".into())
            })?;
        let ids = e.scoring_ids(&prompt, request);
        let (mut cache, start) = if use_prefix_cache {
            let start = e.start_of(&ids[..prompt.prefix_len], prompt.prefix_len)?;
            (start.cache, start.len)
        } else {
            (e.model.new_cache(1), 0)
        };
        let h = e
            .model
            .forward_hidden(&[&ids[start..]], Padding::Right, &mut cache)
            .map_err(backend)?;
        batch::row_vec(&e.model.project(&h, &Head::Full).map_err(backend)?, 0)
    }

    /// The loaded model.
    pub fn model(&self) -> &Llama {
        &self.engine.model
    }

    /// The tokenizer in use.
    pub fn tokenizer(&self) -> &GuardTokenizer {
        &self.engine.tokenizer
    }

    /// Batching, prefix-cache and context-reuse counters.
    pub fn stats(&self) -> EngineStats {
        let mut stats = *lock(&self.engine.stats);
        stats.contexts_kept = lock(&self.engine.prefixes).contexts.len();
        stats
    }

    /// How long a classification submitted now would take to finish, from recent passes:
    /// what is left of the passes running, plus every queued prompt and this one at the recent
    /// cost per prompt (spread over the model threads).
    pub fn expected_wait(&self) -> Duration {
        let queued_rows = self.queue.rows();
        lock(&self.engine.load).expected_wait(queued_rows + 1, self.threads)
    }
}

fn token_details(c: Classification) -> Result<TokenDetails, GuardError> {
    let verdict = c.verdict?;
    let tokens = c
        .tokens
        .ok_or_else(|| GuardError::Backend("no token details produced".into()))?;
    Ok(TokenDetails {
        prompt: tokens.prompt,
        input_ids: tokens.input_ids,
        top5: tokens.top5,
        generated: c.generated.unwrap_or_default(),
        verdict,
    })
}

impl Drop for CandleClassifier {
    fn drop(&mut self) {
        self.queue.close();
        for w in self.workers.drain(..) {
            // A worker that panicked has nothing left to clean up.
            let _ = w.join();
        }
    }
}

impl Classifier for CandleClassifier {
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>> {
        Box::pin(async move { self.classify_detailed(request, false).await.verdict })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn queue_depth(&self) -> usize {
        self.queue.len()
    }

    fn expected_wait(&self) -> Option<Duration> {
        Some(CandleClassifier::expected_wait(self))
    }

    fn engine_stats(&self) -> Option<EngineStats> {
        Some(self.stats())
    }
}

fn worker(engine: &Engine, queue: &Queue, wait: Duration) {
    while let Some(taken) = queue.next_batch(engine.max_batch, engine.max_batch_tokens, wait) {
        if taken.abandoned > 0 {
            lock(&engine.stats).abandoned += taken.abandoned;
        }
        engine.run(taken.jobs);
    }
}

/// A conversation as token ids: its prompts (one, or one per window of a long judged turn)
/// and what was cut to fit.
pub(crate) struct Encoded {
    prompts: Vec<EncodedPrompt>,
    truncation: Option<Truncation>,
    /// Time spent tokenizing.
    took: Duration,
}

impl Encoded {
    /// Prompts (rows) this conversation adds to a batch.
    pub(crate) fn rows(&self) -> usize {
        self.prompts.len()
    }

    /// New tokens of its longest prompt (after the cacheable template prefix).
    pub(crate) fn width(&self) -> usize {
        self.prompts
            .iter()
            .map(|p| p.ids.len() - p.prefix_len + 1)
            .max()
            .unwrap_or(1)
    }
}

/// Where one prompt starts: a one-row cache of its first `len` tokens, and the kept context
/// it came from.
struct Start {
    cache: KvCache,
    len: usize,
    context: Option<Arc<KvCache>>,
    /// Came from the template prefix cache (`Some(true)`: hit, `Some(false)`: computed now).
    prefix_hit: Option<bool>,
}

impl Engine {
    fn context(&self, request: &ClassifyRequest) -> usize {
        let model_ctx = self.model.config().max_position_embeddings;
        let limit = model_ctx.min(request.taxonomy.template.context_length());
        self.max_context.map_or(limit, |c| c.min(limit))
    }

    fn encode(&self, request: &ClassifyRequest) -> Result<Encoded, GuardError> {
        let started = Instant::now();
        let enc = self.tokenizer.encode_conversation(
            &request.taxonomy,
            &request.turns,
            self.context(request),
        )?;
        if enc.prompts.is_empty() {
            return Err(GuardError::InvalidConversation(
                "conversation encodes to no prompt".into(),
            ));
        }
        Ok(Encoded {
            prompts: enc.prompts,
            truncation: enc.truncation,
            took: started.elapsed(),
        })
    }

    /// Prompt ids plus, for LG3, the `\n\n` the model emits before its verdict.
    fn scoring_ids(&self, prompt: &EncodedPrompt, request: &ClassifyRequest) -> Vec<u32> {
        let mut ids = prompt.ids.clone();
        if request.taxonomy.template.uses_header_tokens() {
            ids.push(self.verdict.double_newline);
        }
        ids
    }

    /// A one-row cache holding the start of `key`. `key` is either a template prefix
    /// (`template_len == key.len()`), computed once and kept, or a longer run shared with a
    /// kept context; if that context was evicted meanwhile, the template prefix
    /// `key[..template_len]` is used.
    fn start_of(&self, key: &[u32], template_len: usize) -> Result<Start, GuardError> {
        if key.len() > template_len {
            let found = lock(&self.prefixes).context_for(key);
            if let Some(context) = found {
                let cache = context.truncate(key.len()).map_err(backend)?;
                let mut s = lock(&self.stats);
                s.context_hits += 1;
                s.context_tokens_reused += key.len();
                return Ok(Start {
                    cache,
                    len: key.len(),
                    context: Some(context),
                    prefix_hit: None,
                });
            }
        }
        let prefix = &key[..template_len.min(key.len())];
        if prefix.is_empty() {
            return Ok(Start {
                cache: self.model.new_cache(1),
                len: 0,
                context: None,
                prefix_hit: None,
            });
        }
        {
            let mut p = lock(&self.prefixes);
            p.tick += 1;
            let tick = p.tick;
            if let Some((cache, used)) = p.entries.get_mut(prefix) {
                *used = tick;
                let cache = (**cache).clone();
                return Ok(Start {
                    cache,
                    len: prefix.len(),
                    context: None,
                    prefix_hit: Some(true),
                });
            }
        }
        let mut cache = self.model.new_cache(1);
        self.model
            .forward_hidden(&[prefix], Padding::Right, &mut cache)
            .map_err(backend)?;
        let mut p = lock(&self.prefixes);
        if p.entries.len() >= p.capacity
            && let Some(oldest) = p
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
        {
            p.entries.remove(&oldest);
        }
        let tick = p.tick;
        p.entries
            .insert(prefix.to_vec(), (Arc::new(cache.clone()), tick));
        Ok(Start {
            cache,
            len: prefix.len(),
            context: None,
            prefix_hit: Some(false),
        })
    }
}
