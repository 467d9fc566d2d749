//! The in-process Llama Guard classifier on candle.
//!
//! Requests go through a bounded queue (full -> [`GuardError::Overloaded`]) to dedicated OS
//! threads, so a forward pass never blocks a tokio worker. A model thread takes what is queued
//! (up to `max_batch`, waiting at most `batch_wait` for more), groups prompts that share a
//! prompt prefix, and runs each group as one right-padded batch on top of that prefix's cached
//! keys and values. The prefix (template, role and categories; everything before the
//! conversation) is computed once per distinct token sequence and reused by cloning.
//!
//! Requests marked [`ClassifyRequest::keep_context`] (a stream's window checks) also leave
//! their whole prompt's keys and values behind, within a byte budget: a later prompt reuses
//! the longest token run it shares with one of them (for window checks: the template prefix
//! and the whole history), so each check computes only its new window and the closing
//! instruction. Reuse is by token ids, so it is exact: a prompt that tokenizes differently
//! from some point on recomputes from that point. A check that keeps its context replaces
//! the one it grew from, and the stream's last check (no `keep_context`) drops it, so a
//! stream holds one context at a time.
//!
//! Scoring follows spec §4: one forward pass, the unsafe score from the verdict tokens at the
//! first generated position (LG3: after its leading `\n\n`), and a greedy decode of at most
//! [`MAX_NEW_TOKENS`] tokens for the categories when the score reaches the threshold or the
//! request asks for it. Until a decode is needed only the four verdict rows of the output
//! projection are computed, unless full-vocabulary log-probabilities are requested.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use serde::Serialize;

use crate::classifier::{BoxFuture, Classifier, ClassifyRequest, GuardError, ScoreSource, Verdict};
use crate::load::{LoadOptions, ModelFiles, load_model};
use crate::model::{Head, KvCache, Llama, ModelError, Padding};
use crate::output::{VerdictLogprobs, parse_output};
use crate::tokenize::{EncodedPrompt, GuardTokenizer, VerdictTokens};

/// Most tokens generated for the categories (`unsafe\nS1,S2,...` + stop).
pub const MAX_NEW_TOKENS: usize = 12;

/// How the candle classifier runs.
#[derive(Debug, Clone)]
pub struct CandleOptions {
    /// Model threads, each running whole batches (default 1: candle's matmuls already use
    /// every core through rayon).
    pub threads: usize,
    /// Classifications that may wait for a model thread before `Overloaded` (default 64).
    pub queue_depth: usize,
    /// Most prompts run in one batch (default 8; 1 turns batching off).
    pub max_batch: usize,
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
            max_batch: 8,
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

/// What `warden classify --tokens` shows.
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

/// Counters for tests, benchmarks and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    pub batches: usize,
    pub largest_batch: usize,
    pub prefix_hits: usize,
    pub prefix_misses: usize,
    /// Prompts that started from a kept context (a previous `keep_context` prompt).
    pub context_hits: usize,
    /// Tokens those prompts did not recompute.
    pub context_tokens_reused: usize,
    /// Contexts kept now.
    pub contexts_kept: usize,
}

struct Job {
    request: ClassifyRequest,
    details: bool,
    start: Instant,
    reply: tokio::sync::oneshot::Sender<Result<Outcome, GuardError>>,
}

struct Outcome {
    verdict: Verdict,
    details: Option<TokenDetails>,
}

/// The in-process classifier. Dropping it stops its threads after the queued work.
#[derive(Debug)]
pub struct CandleClassifier {
    engine: Arc<Engine>,
    sender: Option<SyncSender<Job>>,
    workers: Vec<JoinHandle<()>>,
    queued: Arc<AtomicUsize>,
    limit: usize,
    description: String,
}

struct Engine {
    model: Llama,
    tokenizer: GuardTokenizer,
    verdict: VerdictTokens,
    verdict_head: Head,
    prefixes: Mutex<PrefixCache>,
    stats: Mutex<EngineStats>,
    max_context: Option<usize>,
    max_batch: usize,
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
            max_context: options.max_context,
            max_batch: options.max_batch.max(1),
            prefix_cache: options.prefix_cache,
            full_vocab: options.full_vocab_logprobs,
        });
        let limit = options.queue_depth.max(1);
        let (sender, receiver) = std::sync::mpsc::sync_channel::<Job>(limit);
        let receiver = Arc::new(Mutex::new(receiver));
        let queued = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for i in 0..options.threads.max(1) {
            let engine = engine.clone();
            let receiver = receiver.clone();
            let queued = queued.clone();
            let wait = options.batch_wait;
            let handle = std::thread::Builder::new()
                .name(format!("warden-guard-{i}"))
                .spawn(move || worker(&engine, &receiver, &queued, wait))
                .map_err(|e| GuardError::Backend(format!("cannot start a model thread: {e}")))?;
            workers.push(handle);
        }
        Ok(CandleClassifier {
            engine,
            sender: Some(sender),
            workers,
            queued,
            limit,
            description,
        })
    }

    fn submit(
        &self,
        request: ClassifyRequest,
        details: bool,
    ) -> Result<tokio::sync::oneshot::Receiver<Result<Outcome, GuardError>>, GuardError> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let sender = self
            .sender
            .as_ref()
            .ok_or_else(|| GuardError::Backend("classifier is shutting down".into()))?;
        self.queued.fetch_add(1, Ordering::SeqCst);
        let job = Job {
            request,
            details,
            start: Instant::now(),
            reply,
        };
        match sender.try_send(job) {
            Ok(()) => Ok(rx),
            Err(TrySendError::Full(_)) => {
                let queued = self.queued.fetch_sub(1, Ordering::SeqCst).saturating_sub(1);
                Err(GuardError::Overloaded {
                    queued,
                    limit: self.limit,
                })
            }
            Err(TrySendError::Disconnected(_)) => {
                self.queued.fetch_sub(1, Ordering::SeqCst);
                Err(GuardError::Backend("model threads have stopped".into()))
            }
        }
    }

    async fn run(&self, request: ClassifyRequest, details: bool) -> Result<Outcome, GuardError> {
        let rx = self.submit(request, details)?;
        rx.await
            .map_err(|_| GuardError::Backend("model thread stopped before answering".into()))?
    }

    /// The verdict plus what `--tokens` shows (prompt, ids, top 5, generated text).
    pub async fn inspect(&self, request: ClassifyRequest) -> Result<TokenDetails, GuardError> {
        let outcome = self.run(request, true).await?;
        outcome
            .details
            .ok_or_else(|| GuardError::Backend("no token details produced".into()))
    }

    /// [`Classifier::classify`] for callers outside an async runtime (CLI, benchmarks).
    /// Must not be called from inside a tokio runtime.
    pub fn classify_blocking(&self, request: ClassifyRequest) -> Result<Verdict, GuardError> {
        let rx = self.submit(request, false)?;
        rx.blocking_recv()
            .map_err(|_| GuardError::Backend("model thread stopped before answering".into()))?
            .map(|o| o.verdict)
    }

    /// [`CandleClassifier::inspect`] for callers outside an async runtime.
    pub fn inspect_blocking(&self, request: ClassifyRequest) -> Result<TokenDetails, GuardError> {
        let rx = self.submit(request, true)?;
        rx.blocking_recv()
            .map_err(|_| GuardError::Backend("model thread stopped before answering".into()))??
            .details
            .ok_or_else(|| GuardError::Backend("no token details produced".into()))
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
        let prompt = e.encode(request)?.0.into_iter().next().ok_or_else(|| {
            GuardError::InvalidConversation("conversation encodes to no prompt".into())
        })?;
        let ids = e.scoring_ids(&prompt, request);
        let (mut cache, start) = if use_prefix_cache {
            let (cache, start, _) = e.prefix(&ids[..prompt.prefix_len], prompt.prefix_len)?;
            (cache, start)
        } else {
            (e.model.new_cache(1), 0)
        };
        let h = e
            .model
            .forward_hidden(&[&ids[start..]], Padding::Right, &mut cache)
            .map_err(backend)?;
        row_vec(&e.model.project(&h, &Head::Full).map_err(backend)?, 0)
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
}

impl Drop for CandleClassifier {
    fn drop(&mut self) {
        self.sender.take();
        for w in self.workers.drain(..) {
            // A worker that panicked has nothing left to clean up.
            let _ = w.join();
        }
    }
}

impl Classifier for CandleClassifier {
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>> {
        Box::pin(async move { self.run(request, false).await.map(|o| o.verdict) })
    }

    fn describe(&self) -> String {
        self.description.clone()
    }

    fn queue_depth(&self) -> usize {
        self.queued.load(Ordering::SeqCst)
    }

    fn engine_stats(&self) -> Option<EngineStats> {
        Some(self.stats())
    }
}

fn worker(engine: &Engine, receiver: &Mutex<Receiver<Job>>, queued: &AtomicUsize, wait: Duration) {
    loop {
        let batch = {
            let rx = lock(receiver);
            let Ok(first) = rx.recv() else {
                return;
            };
            let mut batch = vec![first];
            let deadline = Instant::now() + wait;
            while batch.len() < engine.max_batch {
                let next = if wait.is_zero() {
                    rx.try_recv()
                        .map_err(|e| matches!(e, TryRecvError::Disconnected))
                } else {
                    let left = deadline.saturating_duration_since(Instant::now());
                    rx.recv_timeout(left)
                        .map_err(|e| matches!(e, RecvTimeoutError::Disconnected))
                };
                match next {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            batch
        };
        queued.fetch_sub(batch.len(), Ordering::SeqCst);
        engine.run(batch);
    }
}

/// One prompt (a conversation, or one window of it) on its way through a batch.
struct Item {
    job: usize,
    ids: Vec<u32>,
    prefix_len: usize,
    text: String,
    judged: crate::JudgedRole,
}

/// What one prompt produced.
struct Scored {
    logprobs: VerdictLogprobs,
    full_logits: Option<Vec<f32>>,
    generated: Option<(Vec<u32>, String)>,
}

impl Engine {
    fn context(&self, request: &ClassifyRequest) -> usize {
        let model_ctx = self.model.config().max_position_embeddings;
        let limit = model_ctx.min(request.taxonomy.template.context_length());
        self.max_context.map_or(limit, |c| c.min(limit))
    }

    fn encode(
        &self,
        request: &ClassifyRequest,
    ) -> Result<(Vec<EncodedPrompt>, Option<crate::Truncation>), GuardError> {
        let enc = self.tokenizer.encode_conversation(
            &request.taxonomy,
            &request.turns,
            self.context(request),
        )?;
        Ok((enc.prompts, enc.truncation))
    }

    /// Prompt ids plus, for LG3, the `\n\n` the model emits before its verdict.
    fn scoring_ids(&self, prompt: &EncodedPrompt, request: &ClassifyRequest) -> Vec<u32> {
        let mut ids = prompt.ids.clone();
        if request.taxonomy.template.uses_header_tokens() {
            ids.push(self.verdict.double_newline);
        }
        ids
    }

    /// A one-row cache holding the start of `key`, how many tokens it covers, and the kept
    /// context it came from. `key` is either a template prefix (`template_len ==
    /// key.len()`), computed once and kept, or a longer run shared with a kept context; if
    /// that context was evicted meanwhile, the template prefix `key[..template_len]` is used.
    fn prefix(
        &self,
        key: &[u32],
        template_len: usize,
    ) -> Result<(KvCache, usize, Option<Arc<KvCache>>), GuardError> {
        if key.len() > template_len {
            let found = lock(&self.prefixes).context_for(key);
            if let Some(context) = found {
                let cache = context.truncate(key.len()).map_err(backend)?;
                let mut s = lock(&self.stats);
                s.context_hits += 1;
                s.context_tokens_reused += key.len();
                return Ok((cache, key.len(), Some(context)));
            }
        }
        let prefix = &key[..template_len.min(key.len())];
        if prefix.is_empty() {
            return Ok((self.model.new_cache(1), 0, None));
        }
        {
            let mut p = lock(&self.prefixes);
            p.tick += 1;
            let tick = p.tick;
            if let Some((cache, used)) = p.entries.get_mut(prefix) {
                *used = tick;
                let cache = (**cache).clone();
                drop(p);
                lock(&self.stats).prefix_hits += 1;
                return Ok((cache, prefix.len(), None));
            }
        }
        let mut cache = self.model.new_cache(1);
        self.model
            .forward_hidden(&[prefix], Padding::Right, &mut cache)
            .map_err(backend)?;
        lock(&self.stats).prefix_misses += 1;
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
        Ok((cache, prefix.len(), None))
    }

    fn run(&self, jobs: Vec<Job>) {
        let mut items = Vec::new();
        let mut encoded: Vec<Option<Option<crate::Truncation>>> = Vec::with_capacity(jobs.len());
        let mut failed: Vec<Option<GuardError>> = Vec::with_capacity(jobs.len());
        for (j, job) in jobs.iter().enumerate() {
            match self.encode(&job.request) {
                Ok((prompts, truncation)) if !prompts.is_empty() => {
                    for p in prompts {
                        let ids = self.scoring_ids(&p, &job.request);
                        let prefix_len = if self.prefix_cache { p.prefix_len } else { 0 };
                        items.push(Item {
                            job: j,
                            ids,
                            prefix_len,
                            text: p.text,
                            judged: p.judged,
                        });
                    }
                    encoded.push(Some(truncation));
                    failed.push(None);
                }
                Ok(_) => {
                    encoded.push(None);
                    failed.push(Some(GuardError::InvalidConversation(
                        "conversation encodes to no prompt".into(),
                    )));
                }
                Err(e) => {
                    encoded.push(None);
                    failed.push(Some(e));
                }
            }
        }
        // Group by prefix so each group shares one cached prefix: the template prefix, or
        // the longer run a kept context covers.
        let reuse: Vec<usize> = {
            let p = lock(&self.prefixes);
            items
                .iter()
                .map(|item| {
                    if p.contexts.is_empty() {
                        item.prefix_len
                    } else {
                        p.reusable(&item.ids).max(item.prefix_len)
                    }
                })
                .collect()
        };
        let mut groups: Vec<(Vec<u32>, Vec<usize>)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let key = &item.ids[..reuse[i]];
            match groups.iter_mut().find(|(k, _)| k.as_slice() == key) {
                Some((_, members)) => members.push(i),
                None => groups.push((key.to_vec(), vec![i])),
            }
        }
        let mut results: Vec<Option<Result<Scored, GuardError>>> =
            (0..items.len()).map(|_| None).collect();
        for (prefix, members) in &groups {
            for chunk in members.chunks(self.max_batch) {
                let out = self.run_chunk(prefix, chunk, &items, &jobs);
                match out {
                    Ok(scored) => {
                        for (&i, s) in chunk.iter().zip(scored) {
                            results[i] = Some(s);
                        }
                    }
                    Err(e) => {
                        for &i in chunk {
                            results[i] = Some(Err(e.clone()));
                        }
                    }
                }
            }
        }
        // Assemble one verdict per job (windows: unsafe if any window is).
        let mut per_job: Vec<Vec<(usize, Result<Scored, GuardError>)>> =
            (0..jobs.len()).map(|_| Vec::new()).collect();
        for (i, r) in results.into_iter().enumerate() {
            if let Some(r) = r {
                per_job[items[i].job].push((i, r));
            }
        }
        for (j, (job, scored)) in jobs.into_iter().zip(per_job).enumerate() {
            let outcome = match failed[j].take() {
                Some(e) => Err(e),
                None => self.assemble(&job, scored, &items, encoded[j].take().flatten()),
            };
            // The caller may have gone away (timeout); nothing to do then.
            let _ = job.reply.send(outcome);
        }
    }

    fn run_chunk(
        &self,
        prefix: &[u32],
        chunk: &[usize],
        items: &[Item],
        jobs: &[Job],
    ) -> Result<Vec<Result<Scored, GuardError>>, GuardError> {
        let n = chunk.len();
        {
            let mut s = lock(&self.stats);
            s.batches += 1;
            s.largest_batch = s.largest_batch.max(n);
        }
        let template_len = items[chunk[0]].prefix_len;
        let (base, start, from_context) = self.prefix(prefix, template_len)?;
        let mut cache = if n == 1 {
            base
        } else {
            base.expand(n).map_err(backend)?
        };
        let rows: Vec<&[u32]> = chunk.iter().map(|&i| &items[i].ids[start..]).collect();
        let hidden = self
            .model
            .forward_hidden(&rows, Padding::Right, &mut cache)
            .map_err(backend)?;
        let verdict_logits = self
            .model
            .project(&hidden, &self.verdict_head)
            .map_err(backend)?;
        let verdict_logits: Vec<Vec<f32>> = verdict_logits.to_vec2().map_err(candle_err)?;
        let budget = lock(&self.prefixes).context_budget;
        for (r, &i) in chunk.iter().enumerate() {
            if budget == 0 {
                break;
            }
            if !jobs[items[i].job].request.keep_context {
                // The stream's last check: the context it grew from is done with.
                if let Some(done) = &from_context {
                    lock(&self.prefixes).drop_context(done);
                }
                continue;
            }
            let row = if n == 1 {
                cache.clone()
            } else {
                cache.row(r).map_err(backend)?
            };
            lock(&self.prefixes).keep(items[i].ids.clone(), row, from_context.as_ref());
        }
        let mut out = Vec::with_capacity(n);
        for (r, &i) in chunk.iter().enumerate() {
            let job = &jobs[items[i].job];
            out.push(self.score_row(job, &hidden, r, n, &cache, &verdict_logits[r]));
        }
        Ok(out)
    }

    fn score_row(
        &self,
        job: &Job,
        hidden: &Tensor,
        r: usize,
        n: usize,
        cache: &KvCache,
        four: &[f32],
    ) -> Result<Scored, GuardError> {
        let full = |e: &Engine| -> Result<Vec<f32>, GuardError> {
            let h = hidden.narrow(0, r, 1).map_err(candle_err)?;
            row_vec(&e.model.project(&h, &Head::Full).map_err(backend)?, 0)
        };
        let mut full_logits = None;
        let logprobs = if self.full_vocab || job.details {
            let logits = full(self)?;
            let lp = self.verdict.logprobs_from_logits(&logits);
            full_logits = Some(logits);
            lp
        } else {
            // The score only depends on the four verdict logits; their log-probabilities
            // over the whole vocabulary are unknown here.
            let max = four.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let lse = max + four.iter().map(|x| (x - max).exp()).sum::<f32>().ln();
            VerdictLogprobs {
                safe: Some(four[0] - lse),
                unsafe_: Some(four[1] - lse),
                space_safe: Some(four[2] - lse),
                space_unsafe: Some(four[3] - lse),
            }
        };
        let score = logprobs.score().ok_or_else(|| {
            GuardError::Backend("the model gives no probability to any verdict token".into())
        })?;
        let must_decode = score.unsafe_score >= job.request.threshold || job.request.always_decode;
        let generated = if must_decode || job.details {
            let first = match &full_logits {
                Some(l) => argmax(l),
                None => {
                    let l = full(self)?;
                    let a = argmax(&l);
                    full_logits = Some(l);
                    a
                }
            };
            let mut row_cache = if n == 1 {
                cache.clone()
            } else {
                cache.row(r).map_err(backend)?
            };
            let ids = self.greedy(first, &mut row_cache)?;
            let text = self.tokenizer.decode(&ids)?;
            Some((ids, text))
        } else {
            None
        };
        Ok(Scored {
            logprobs,
            full_logits: if job.details { full_logits } else { None },
            generated,
        })
    }

    fn greedy(&self, first: u32, cache: &mut KvCache) -> Result<Vec<u32>, GuardError> {
        let mut out = Vec::new();
        let mut next = first;
        let limit = self.model.config().max_position_embeddings;
        while !self.verdict.stop.contains(&next) && out.len() < MAX_NEW_TOKENS {
            out.push(next);
            if out.len() == MAX_NEW_TOKENS || cache.tokens_in_row(0) + 1 > limit {
                break;
            }
            let logits = self
                .model
                .forward(&[next], cache, &Head::Full)
                .map_err(backend)?;
            next = argmax(&row_vec(&logits, 0)?);
        }
        Ok(out)
    }

    fn assemble(
        &self,
        job: &Job,
        scored: Vec<(usize, Result<Scored, GuardError>)>,
        items: &[Item],
        truncation: Option<crate::Truncation>,
    ) -> Result<Outcome, GuardError> {
        let req = &job.request;
        let mut best: Option<(f32, VerdictLogprobs)> = None;
        let mut categories: Vec<String> = Vec::new();
        let mut any_unsafe = false;
        let mut details = None;
        let mut judged = crate::JudgedRole::User;
        for (i, s) in scored {
            let s = s?;
            judged = items[i].judged;
            let score = s
                .logprobs
                .score()
                .ok_or_else(|| GuardError::Backend("no verdict probability".into()))?;
            let is_unsafe = score.unsafe_score >= req.threshold;
            any_unsafe |= is_unsafe;
            if best.as_ref().is_none_or(|(b, _)| score.unsafe_score > *b) {
                best = Some((score.unsafe_score, s.logprobs));
            }
            if let Some((_, text)) = &s.generated {
                let needed = is_unsafe || req.always_decode;
                match parse_output(text, &req.taxonomy) {
                    Ok(parsed) if needed => {
                        for c in parsed.categories {
                            if !categories.contains(&c) {
                                categories.push(c);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(e) if needed => return Err(e),
                    Err(_) => {}
                }
            }
            if job.details && details.is_none() {
                let logits = s.full_logits.unwrap_or_default();
                let item = &items[i];
                let mut input_ids = item.ids.clone();
                if req.taxonomy.template.uses_header_tokens() {
                    input_ids.pop();
                }
                details = Some((
                    item.text.clone(),
                    input_ids,
                    top5(&logits),
                    s.generated.map(|(_, t)| t).unwrap_or_default(),
                ));
            }
        }
        let (unsafe_score, logprobs) =
            best.ok_or_else(|| GuardError::Backend("no prompt was scored".into()))?;
        let verdict = Verdict {
            judged,
            unsafe_score,
            is_unsafe: any_unsafe,
            categories,
            logprob_safe: if self.full_vocab || job.details {
                logprobs.safe
            } else {
                None
            },
            logprob_unsafe: if self.full_vocab || job.details {
                logprobs.unsafe_
            } else {
                None
            },
            score_source: ScoreSource::Logprobs,
            truncation,
            latency: job.start.elapsed(),
        };
        let details = details.map(|(prompt, input_ids, top5, generated)| TokenDetails {
            prompt,
            input_ids,
            top5,
            generated,
            verdict: verdict.clone(),
        });
        Ok(Outcome { verdict, details })
    }
}

fn candle_err(e: candle_core::Error) -> GuardError {
    GuardError::Backend(e.to_string())
}

fn row_vec(t: &Tensor, row: usize) -> Result<Vec<f32>, GuardError> {
    t.get(row)
        .and_then(|r| r.to_vec1::<f32>())
        .map_err(candle_err)
}

fn argmax(v: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best as u32
}

fn top5(logits: &[f32]) -> Vec<TokenLogprob> {
    if logits.is_empty() {
        return Vec::new();
    }
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = f64::from(max)
        + logits
            .iter()
            .map(|&x| f64::from(x - max).exp())
            .sum::<f64>()
            .ln();
    let mut idx: Vec<usize> = (0..logits.len()).collect();
    idx.select_nth_unstable_by(4.min(logits.len() - 1), |&a, &b| {
        logits[b].total_cmp(&logits[a])
    });
    idx.truncate(5);
    idx.sort_by(|&a, &b| logits[b].total_cmp(&logits[a]));
    idx.into_iter()
        .map(|i| TokenLogprob {
            id: i as u32,
            logprob: (f64::from(logits[i]) - lse) as f32,
        })
        .collect()
}
