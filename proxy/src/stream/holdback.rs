//! The hold-back engine: moderates a streamed response frame by frame.
//!
//! One spawned task per stream reads the upstream body, parses frames, reassembles the text of
//! each choice, runs checks through a [`StreamChecker`], and sends frames to the client body
//! through a bounded channel once the text they carry has passed. The client body owns the
//! task: dropping it aborts the task, which drops the upstream body and so cancels the
//! upstream request.
//!
//! The release rule, per mode:
//! - [`HoldbackMode::Window`]: a check starts whenever a choice has `size` unchecked
//!   characters, when a code block closes, and when the choice finishes. A frame is released
//!   once every choice it carries text for has been checked up to the end of that text, and
//!   text from the line that opens a code fence on is held until the block has closed and the
//!   check that carries it (in [`CheckInput::code_blocks`]) has passed. A finishing frame
//!   waits for the final check of its choice.
//! - [`HoldbackMode::Buffer`]: one final check per choice; frames wait for it.
//! - [`HoldbackMode::Async`]: text is forwarded at once and judged in windows in the
//!   background; only finishing frames wait for the final check, so a violation can still
//!   end the stream with `content_filter` instead of the upstream's own finish.
//!
//! Frames always leave in their original order. Reading the upstream continues while checks
//! run, up to [`HoldbackLimits::max_held_bytes`] of held frames; past it the engine waits for
//! a check, and fails the stream when nothing it holds can be checked any more (an unclosed
//! code fence or a buffer larger than the limit), so memory stays bounded and nothing
//! unchecked is ever released.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use warden_code_scan::{CodeBlock, StreamExtractor};
use warden_policies::StreamingMode;

use super::frames::{
    FrameParser, ParsedFrame, Payload, SSE_DONE, StreamKind, StreamMeta, choice_index,
    content_filter_frame, encode_frame,
};
use crate::body::{BoxBody, BoxError};

/// Window size for modes that do not name one (the policy default).
pub const DEFAULT_WINDOW_CHARS: usize = 1000;
/// Overlap for modes that do not name one (the policy default).
pub const DEFAULT_OVERLAP_CHARS: usize = 200;

/// How a streamed response is held back while it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldbackMode {
    /// Hold frames until their text has passed a check over windows of `size` characters,
    /// each window reaching `overlap` characters back into the previous one.
    Window { size: usize, overlap: usize },
    /// Hold everything until the end; one final check per choice.
    Buffer,
    /// Forward text at once; check in windows in the background and cut on a violation.
    Async { size: usize, overlap: usize },
}

impl From<&StreamingMode> for HoldbackMode {
    fn from(mode: &StreamingMode) -> HoldbackMode {
        match *mode {
            StreamingMode::Window { size, overlap, .. } => HoldbackMode::Window { size, overlap },
            StreamingMode::Buffer => HoldbackMode::Buffer,
            StreamingMode::Async { size, overlap, .. } => HoldbackMode::Async { size, overlap },
        }
    }
}

/// What one check judges.
#[derive(Debug, Clone)]
pub struct CheckInput {
    /// The choice (`choices[].index`; 0 for Ollama).
    pub choice: u32,
    /// The whole text of this choice so far.
    pub text: Arc<str>,
    /// Byte offset (on a char boundary) where the text not yet checked starts, moved back by
    /// the window overlap. A checker that judges `text[new_from..]` sees every character at
    /// least once and each window with `overlap` characters of context.
    pub new_from: usize,
    /// Code blocks that closed since the previous check of this choice (at the final check,
    /// also a block left open by the end of the text, with `closed: false`).
    pub code_blocks: Vec<CodeBlock>,
    /// The choice finished (or the stream ended): this is its last check.
    pub is_final: bool,
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckOutcome {
    Pass,
    /// Stop this choice: its unreleased text is dropped and it ends with `content_filter`.
    Violation {
        message: String,
    },
}

/// How a moderated stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The upstream finished and everything that passed was sent.
    Completed,
    /// Every choice was blocked or done after a violation: the upstream was dropped and the
    /// stream ended with the API's terminal frames.
    Cut,
    /// The upstream body failed; the client got a broken stream.
    UpstreamFailed,
    /// More than the hold-back limit could not be checked; the client got a broken stream.
    HeldTooMuch,
    /// The client went away first.
    ClientGone,
}

/// Reported once per stream to [`StreamChecker::finished`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamSummary {
    pub end: StreamEnd,
    /// Choices ended with `content_filter`, in the order they were blocked.
    pub blocked_choices: Vec<u32>,
    /// The message of the first violation.
    pub violation: Option<String>,
    /// Distinct choices seen.
    pub choices: u32,
    /// Checks started.
    pub checks: u32,
    /// Characters of choice text received from the upstream.
    pub chars: usize,
}

impl StreamSummary {
    pub fn blocked(&self) -> bool {
        !self.blocked_choices.is_empty()
    }
}

/// The boundary between the engine and what judges text (the guard model and the code
/// scanner, implemented by the gateway). Checks of one choice never overlap; checks of
/// different choices may.
pub trait StreamChecker: Send + Sync + 'static {
    /// Judge one window (or the whole text, for the final check).
    fn check(&self, input: CheckInput) -> Pin<Box<dyn Future<Output = CheckOutcome> + Send>>;

    /// A frame was released after being held `seconds` (for the hold-back histogram).
    fn held(&self, seconds: f64) {
        let _ = seconds;
    }

    /// Called exactly once per stream, however it ends (client drop included).
    fn finished(&self, summary: StreamSummary) {
        let _ = summary;
    }
}

/// Memory bounds of one moderated stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldbackLimits {
    /// Bytes of upstream frames held for checks (and, separately, released but not yet taken
    /// by the client) before the engine stops reading the upstream.
    pub max_held_bytes: usize,
}

impl Default for HoldbackLimits {
    fn default() -> Self {
        HoldbackLimits {
            max_held_bytes: 16 << 20,
        }
    }
}

/// Why the engine failed a stream.
#[derive(Debug, thiserror::Error)]
pub enum HoldbackError {
    #[error(
        "the streamed response held back for moderation exceeds {limit} bytes without a point \
         where it can be checked (an unclosed code fence, or buffer mode on a long answer); \
         use window mode or raise the hold-back limit"
    )]
    HeldTooMuch { limit: usize },
    #[error("stream moderation stopped unexpectedly")]
    EngineStopped,
}

/// Frames queued for the client body.
const OUTPUT_CAPACITY: usize = 16;

/// Moderates `upstream` (a streamed response of `kind`) with the default limits. Must be
/// called inside a tokio runtime.
pub fn moderate(
    upstream: BoxBody,
    kind: StreamKind,
    mode: HoldbackMode,
    checker: Arc<dyn StreamChecker>,
) -> BoxBody {
    moderate_with_limits(upstream, kind, mode, checker, HoldbackLimits::default())
}

/// [`moderate`] with explicit limits.
pub fn moderate_with_limits(
    upstream: BoxBody,
    kind: StreamKind,
    mode: HoldbackMode,
    checker: Arc<dyn StreamChecker>,
    limits: HoldbackLimits,
) -> BoxBody {
    let (tx, rx) = mpsc::channel(OUTPUT_CAPACITY);
    let clean_end = Arc::new(AtomicBool::new(false));
    let engine = Engine::new(kind, mode, checker, limits);
    let task = tokio::spawn(run(engine, upstream, tx, clean_end.clone()));
    BoxBody::new(ModeratedBody {
        rx,
        task,
        clean_end,
    })
}

/// The client side: frames from the engine task. Dropping it aborts the task.
struct ModeratedBody {
    rx: mpsc::Receiver<Result<Bytes, BoxError>>,
    task: JoinHandle<()>,
    clean_end: Arc<AtomicBool>,
}

impl Drop for ModeratedBody {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Body for ModeratedBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.get_mut();
        match ready!(this.rx.poll_recv(cx)) {
            Some(Ok(data)) => Poll::Ready(Some(Ok(Frame::data(data)))),
            Some(Err(err)) => Poll::Ready(Some(Err(err))),
            // A task that panicked drops its sender too: that must not read as a clean end.
            None if this.clean_end.load(Ordering::Acquire) => Poll::Ready(None),
            None => {
                this.clean_end.store(true, Ordering::Release);
                Poll::Ready(Some(Err(Box::new(HoldbackError::EngineStopped))))
            }
        }
    }
}

type CheckFuture = Pin<Box<dyn Future<Output = (u32, CheckOutcome)> + Send>>;

async fn run(
    mut engine: Engine,
    upstream: BoxBody,
    tx: mpsc::Sender<Result<Bytes, BoxError>>,
    clean_end: Arc<AtomicBool>,
) {
    let mut upstream = Some(upstream);
    let mut checks: FuturesUnordered<CheckFuture> = FuturesUnordered::new();
    loop {
        engine.step(&mut checks, upstream.is_none());
        if engine.stopped {
            // Cut, failed or over the limit: dropping the body cancels the upstream request.
            upstream = None;
            checks.clear();
        }
        if engine.ready.is_empty() && engine.is_done(upstream.is_none(), checks.is_empty()) {
            break;
        }
        let reading = upstream.is_some() && engine.wants_input();
        tokio::select! {
            biased;
            permit = tx.reserve(), if !engine.ready.is_empty() => match permit {
                Ok(permit) => {
                    if let Some(item) = engine.pop_ready() {
                        permit.send(item);
                    }
                }
                Err(_) => return,
            },
            Some((choice, outcome)) = checks.next(), if !checks.is_empty() => {
                engine.on_check(choice, outcome);
            }
            frame = next_frame(&mut upstream), if reading => match frame {
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        engine.on_chunk(&data);
                    }
                }
                Some(Err(err)) => {
                    upstream = None;
                    engine.fail(err, StreamEnd::UpstreamFailed);
                }
                None => {
                    upstream = None;
                    engine.on_upstream_end();
                }
            },
            () = tx.closed(), if engine.ready.is_empty() => return,
        }
    }
    if engine.summary.end == StreamEnd::ClientGone {
        engine.summary.end = StreamEnd::Completed;
    }
    clean_end.store(true, Ordering::Release);
}

async fn next_frame(upstream: &mut Option<BoxBody>) -> Option<Result<Frame<Bytes>, BoxError>> {
    match upstream {
        Some(body) => body.frame().await,
        None => std::future::pending().await,
    }
}

/// Reports the summary exactly once, when the engine is dropped (even by an abort).
struct SummaryReport {
    checker: Arc<dyn StreamChecker>,
    summary: StreamSummary,
}

impl Drop for SummaryReport {
    fn drop(&mut self) {
        let summary = std::mem::replace(
            &mut self.summary,
            StreamSummary {
                end: StreamEnd::ClientGone,
                blocked_choices: Vec::new(),
                violation: None,
                choices: 0,
                checks: 0,
                chars: 0,
            },
        );
        self.checker.finished(summary);
    }
}

impl std::ops::Deref for SummaryReport {
    type Target = StreamSummary;
    fn deref(&self) -> &StreamSummary {
        &self.summary
    }
}

impl std::ops::DerefMut for SummaryReport {
    fn deref_mut(&mut self) -> &mut StreamSummary {
        &mut self.summary
    }
}

#[derive(Debug, Default)]
struct Choice {
    text: String,
    /// Characters received since the last check started.
    unchecked_chars: usize,
    /// Byte offset up to which a check has been started.
    check_started_to: usize,
    /// Byte offset up to which text may be released.
    released_to: usize,
    /// The check in flight: where it lets text be released, and whether it is the final one.
    in_flight: Option<(usize, bool)>,
    extractor: StreamExtractor,
    pending_blocks: Vec<CodeBlock>,
    /// Where the line that (may) open the current code fence starts.
    fence_from: Option<usize>,
    finished: bool,
    final_started: bool,
    final_passed: bool,
    blocked: bool,
}

impl Choice {
    fn push_text(&mut self, delta: &str) {
        let was_in_fence = self.extractor.in_fence();
        let delta_start = self.text.len();
        self.text.push_str(delta);
        self.unchecked_chars += delta.chars().count();
        let closed = self.extractor.push(delta);
        let closed_any = !closed.is_empty();
        self.pending_blocks.extend(closed);
        if self.extractor.in_fence() {
            // The fence line starts no earlier than the line this delta starts in: before it,
            // the extractor saw no (possible) fence.
            let line_start = self.text[..delta_start].rfind('\n').map_or(0, |i| i + 1);
            self.fence_from = match self.fence_from {
                Some(from) if was_in_fence && closed_any => Some(from.max(line_start)),
                Some(from) if was_in_fence => Some(from),
                _ => Some(line_start),
            };
        } else {
            self.fence_from = None;
        }
    }

    /// Still needs checks (not blocked, final check not yet passed).
    fn running(&self) -> bool {
        !self.blocked && !self.final_passed
    }
}

/// What a held frame needs before release.
#[derive(Debug, Clone, Copy)]
struct Need {
    choice: u32,
    /// The choice's text length once this frame's text is included.
    text_end: usize,
    /// The frame finishes the choice: it waits for the final check.
    finish: bool,
}

#[derive(Debug)]
struct Held {
    raw: Bytes,
    needs: Vec<Need>,
    /// The payload, kept when the frame carries several choices (to drop a blocked one).
    value: Option<Value>,
    /// When it arrived from the upstream; `None` for frames the engine wrote.
    arrived: Option<Instant>,
    /// The upstream's `[DONE]`, replaced by the engine's own when it cuts the stream.
    done_sentinel: bool,
}

struct Engine {
    kind: StreamKind,
    mode: HoldbackMode,
    limits: HoldbackLimits,
    checker: Arc<dyn StreamChecker>,
    parser: FrameParser,
    parsed: Vec<ParsedFrame>,
    meta: StreamMeta,
    choices: BTreeMap<u32, Choice>,
    held: VecDeque<Held>,
    held_bytes: usize,
    ready: VecDeque<Result<Bytes, BoxError>>,
    ready_bytes: usize,
    upstream_ended: bool,
    /// No more input is taken and no more checks run (cut or failed).
    stopped: bool,
    summary: SummaryReport,
}

impl Engine {
    fn new(
        kind: StreamKind,
        mode: HoldbackMode,
        checker: Arc<dyn StreamChecker>,
        limits: HoldbackLimits,
    ) -> Engine {
        Engine {
            kind,
            mode,
            limits,
            parser: FrameParser::new(kind),
            parsed: Vec::new(),
            meta: StreamMeta::default(),
            choices: BTreeMap::new(),
            held: VecDeque::new(),
            held_bytes: 0,
            ready: VecDeque::new(),
            ready_bytes: 0,
            upstream_ended: false,
            stopped: false,
            summary: SummaryReport {
                checker: checker.clone(),
                summary: StreamSummary {
                    end: StreamEnd::ClientGone,
                    blocked_choices: Vec::new(),
                    violation: None,
                    choices: 0,
                    checks: 0,
                    chars: 0,
                },
            },
            checker,
        }
    }

    fn on_chunk(&mut self, chunk: &[u8]) {
        let mut parsed = std::mem::take(&mut self.parsed);
        self.parser.push(chunk, &mut parsed);
        for frame in parsed.drain(..) {
            self.on_frame(frame);
        }
        self.parsed = parsed;
    }

    fn on_upstream_end(&mut self) {
        self.upstream_ended = true;
        if let Some(frame) = self.parser.finish() {
            self.on_frame(frame);
        }
        // An upstream that ends without finishing its choices still gets their final checks.
        for choice in self.choices.values_mut() {
            choice.finished = true;
        }
    }

    fn on_frame(&mut self, frame: ParsedFrame) {
        let mut needs = Vec::new();
        let mut value = None;
        let mut done_sentinel = false;
        match frame.payload {
            Payload::Opaque => {}
            Payload::Done => done_sentinel = true,
            Payload::Json(json) => {
                self.meta.observe(&json.value);
                for delta in &json.deltas {
                    let choice = self.choices.entry(delta.choice).or_default();
                    if !choice.blocked {
                        // Text after a finish (a misbehaving upstream) needs a new final check.
                        choice.final_started = false;
                        choice.push_text(&delta.text);
                        self.summary.chars += delta.text.chars().count();
                    }
                    needs.push(Need {
                        choice: delta.choice,
                        text_end: choice.text.len(),
                        finish: false,
                    });
                }
                for &index in &json.finished {
                    let choice = self.choices.entry(index).or_default();
                    choice.finished = true;
                    needs.push(Need {
                        choice: index,
                        text_end: choice.text.len(),
                        finish: true,
                    });
                }
                let first = needs.first().map(|n| n.choice);
                if needs.iter().any(|n| Some(n.choice) != first) {
                    value = Some(json.value);
                }
                self.summary.choices = u32::try_from(self.choices.len()).unwrap_or(u32::MAX);
            }
        }
        self.held_bytes += frame.raw.len();
        self.held.push_back(Held {
            raw: frame.raw,
            needs,
            value,
            arrived: Some(Instant::now()),
            done_sentinel,
        });
    }

    /// Starts due checks, releases what passed, and enforces the memory bound.
    fn step(&mut self, checks: &mut FuturesUnordered<CheckFuture>, upstream_gone: bool) {
        if self.stopped {
            return;
        }
        self.schedule(checks, false);
        self.release();
        if upstream_gone && self.upstream_ended && checks.is_empty() && !self.held.is_empty() {
            // Every final check is done, so everything held must be releasable or dropped.
            // Anything left is a bug in the rule: fail closed rather than hang or leak.
            self.fail(
                Box::new(HoldbackError::EngineStopped),
                StreamEnd::UpstreamFailed,
            );
            return;
        }
        let over = self.held_bytes + self.parser.buffered() >= self.limits.max_held_bytes;
        if over && !upstream_gone && checks.is_empty() {
            // Nothing is in flight that could free memory: check what is there now.
            self.schedule(checks, true);
            if checks.is_empty() {
                let limit = self.limits.max_held_bytes;
                self.fail(
                    Box::new(HoldbackError::HeldTooMuch { limit }),
                    StreamEnd::HeldTooMuch,
                );
            }
        }
    }

    fn schedule(&mut self, checks: &mut FuturesUnordered<CheckFuture>, force: bool) {
        let (window, overlap) = match self.mode {
            HoldbackMode::Window { size, overlap } | HoldbackMode::Async { size, overlap } => {
                (Some(size.max(1)), overlap)
            }
            HoldbackMode::Buffer => (None, 0),
        };
        for (&index, choice) in &mut self.choices {
            if choice.blocked || choice.in_flight.is_some() || choice.final_started {
                continue;
            }
            let is_final = choice.finished;
            let due = is_final
                || window.is_some_and(|size| {
                    choice.unchecked_chars >= size
                        || !choice.pending_blocks.is_empty()
                        || (force && choice.unchecked_chars > 0)
                });
            if !due {
                continue;
            }
            let start = choice.check_started_to;
            let new_from = choice.text[..start]
                .char_indices()
                .rev()
                .take(overlap)
                .last()
                .map_or(start, |(i, _)| i);
            let mut code_blocks = std::mem::take(&mut choice.pending_blocks);
            let end = choice.text.len();
            let release_to = if is_final {
                code_blocks.extend(choice.extractor.finish());
                choice.final_started = true;
                choice.fence_from = None;
                end
            } else {
                choice.fence_from.map_or(end, |from| from.min(end))
            };
            choice.check_started_to = end;
            choice.unchecked_chars = 0;
            choice.in_flight = Some((release_to, is_final));
            self.summary.checks += 1;
            let input = CheckInput {
                choice: index,
                text: Arc::from(choice.text.as_str()),
                new_from,
                code_blocks,
                is_final,
            };
            let check = self.checker.check(input);
            checks.push(Box::pin(async move { (index, check.await) }));
        }
    }

    fn on_check(&mut self, index: u32, outcome: CheckOutcome) {
        if self.stopped {
            return;
        }
        let Some(choice) = self.choices.get_mut(&index) else {
            return;
        };
        let Some((release_to, is_final)) = choice.in_flight.take() else {
            return;
        };
        match outcome {
            CheckOutcome::Pass => {
                choice.released_to = choice.released_to.max(release_to);
                choice.final_passed |= is_final;
            }
            CheckOutcome::Violation { message } => {
                choice.blocked = true;
                self.summary.blocked_choices.push(index);
                self.summary.violation.get_or_insert(message);
                let frame = content_filter_frame(self.kind, &self.meta, index);
                self.held_bytes += frame.len();
                self.held.push_back(Held {
                    raw: frame,
                    needs: Vec::new(),
                    value: None,
                    arrived: None,
                    done_sentinel: false,
                });
                if !self.choices.values().any(Choice::running) {
                    self.cut();
                }
            }
        }
    }

    /// Every choice is blocked or done: release what passed, drop the rest, end the stream
    /// with the API's terminal frames.
    fn cut(&mut self) {
        self.drain_held(true);
        if self.kind.is_openai() {
            self.push_ready(Bytes::from_static(SSE_DONE));
        }
        self.stopped = true;
        self.summary.end = StreamEnd::Cut;
    }

    fn fail(&mut self, err: BoxError, end: StreamEnd) {
        // Held frames were not (fully) checked: they never reach the client.
        self.held.clear();
        self.held_bytes = 0;
        self.ready.push_back(Err(err));
        self.stopped = true;
        self.summary.end = end;
    }

    fn release(&mut self) {
        self.drain_held(false);
    }

    /// Moves releasable frames from the front of the queue to the client queue. With
    /// `cutting`, frames that cannot be released are dropped instead of waited for.
    fn drain_held(&mut self, cutting: bool) {
        while let Some(front) = self.held.front() {
            let verdict = self.release_verdict(front);
            if verdict == Release::Wait && !cutting {
                break;
            }
            let Some(held) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= held.raw.len();
            if cutting && held.done_sentinel {
                continue;
            }
            let bytes = match verdict {
                Release::Wait => continue,
                Release::Whole => held.raw,
                Release::WithoutBlocked => match self.without_blocked(held.value) {
                    Some(bytes) => bytes,
                    None => continue,
                },
            };
            if let Some(arrived) = held.arrived {
                self.checker.held(arrived.elapsed().as_secs_f64());
            }
            self.push_ready(bytes);
        }
    }

    fn release_verdict(&self, held: &Held) -> Release {
        let mut touches_blocked = false;
        for need in &held.needs {
            let Some(choice) = self.choices.get(&need.choice) else {
                continue;
            };
            if choice.blocked {
                touches_blocked = true;
                continue;
            }
            let text_ok = matches!(self.mode, HoldbackMode::Async { .. })
                || choice.released_to >= need.text_end;
            if !text_ok || (need.finish && !choice.final_passed) {
                return Release::Wait;
            }
        }
        if touches_blocked {
            Release::WithoutBlocked
        } else {
            Release::Whole
        }
    }

    /// The frame re-encoded without the entries of blocked choices; `None` when nothing else
    /// is left in it (or it only ever carried a blocked choice).
    fn without_blocked(&self, value: Option<Value>) -> Option<Bytes> {
        let mut value = value?;
        let choices = value.get_mut("choices")?.as_array_mut()?;
        let mut position = 0;
        choices.retain(|entry| {
            let index = choice_index(entry, position);
            position += 1;
            !self.choices.get(&index).is_some_and(|c| c.blocked)
        });
        if choices.is_empty() {
            return None;
        }
        Some(encode_frame(self.kind, &value))
    }

    fn push_ready(&mut self, bytes: Bytes) {
        self.ready_bytes += bytes.len();
        self.ready.push_back(Ok(bytes));
    }

    fn pop_ready(&mut self) -> Option<Result<Bytes, BoxError>> {
        let item = self.ready.pop_front()?;
        if let Ok(bytes) = &item {
            self.ready_bytes -= bytes.len();
        }
        Some(item)
    }

    fn wants_input(&self) -> bool {
        !self.stopped
            && self.held_bytes + self.parser.buffered() < self.limits.max_held_bytes
            && self.ready_bytes < self.limits.max_held_bytes
    }

    fn is_done(&self, upstream_gone: bool, no_checks: bool) -> bool {
        self.stopped || (upstream_gone && self.upstream_ended && no_checks && self.held.is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Release {
    Wait,
    Whole,
    WithoutBlocked,
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use http_body_util::StreamBody;
    use tokio::sync::Notify;

    use super::*;
    use crate::stream::frames::FrameParser;

    type UpstreamItem = Result<Frame<Bytes>, BoxError>;

    /// An upstream body fed by a channel; the sender fails once the body is dropped.
    fn channel_upstream(capacity: usize) -> (mpsc::Sender<UpstreamItem>, BoxBody) {
        let (tx, rx) = mpsc::channel::<UpstreamItem>(capacity);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        (tx, BoxBody::new(StreamBody::new(stream)))
    }

    fn chunked_upstream(chunks: Vec<Bytes>) -> BoxBody {
        let stream = futures_util::stream::iter(
            chunks
                .into_iter()
                .map(|c| Ok::<_, BoxError>(Frame::data(c))),
        );
        BoxBody::new(StreamBody::new(stream))
    }

    /// Flags a window when `text[new_from..]` (or a code block) contains the trigger; records
    /// every input and the summary.
    struct ScriptedChecker {
        trigger: String,
        delay: Duration,
        gate: Option<Arc<Notify>>,
        inputs: Mutex<Vec<CheckInput>>,
        summaries: Mutex<Vec<StreamSummary>>,
        held: Mutex<usize>,
    }

    impl ScriptedChecker {
        fn new(trigger: &str) -> Arc<ScriptedChecker> {
            Self::build(trigger, Duration::ZERO, None)
        }

        fn build(trigger: &str, delay: Duration, gate: Option<Arc<Notify>>) -> Arc<Self> {
            Arc::new(ScriptedChecker {
                trigger: trigger.to_string(),
                delay,
                gate,
                inputs: Mutex::new(Vec::new()),
                summaries: Mutex::new(Vec::new()),
                held: Mutex::new(0),
            })
        }

        fn inputs(&self) -> Vec<CheckInput> {
            self.inputs.lock().expect("lock").clone()
        }

        fn summary(&self) -> StreamSummary {
            let summaries = self.summaries.lock().expect("lock");
            assert_eq!(summaries.len(), 1, "finished must be reported exactly once");
            summaries[0].clone()
        }
    }

    impl StreamChecker for ScriptedChecker {
        fn check(&self, input: CheckInput) -> Pin<Box<dyn Future<Output = CheckOutcome> + Send>> {
            let flagged = input.text[input.new_from..].contains(&self.trigger)
                || input
                    .code_blocks
                    .iter()
                    .any(|b| b.code.contains(&self.trigger));
            self.inputs.lock().expect("lock").push(input);
            let delay = self.delay;
            let gate = self.gate.clone();
            Box::pin(async move {
                if let Some(gate) = gate {
                    gate.notified().await;
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                if flagged {
                    CheckOutcome::Violation {
                        message: "trigger".into(),
                    }
                } else {
                    CheckOutcome::Pass
                }
            })
        }

        fn held(&self, _seconds: f64) {
            *self.held.lock().expect("lock") += 1;
        }

        fn finished(&self, summary: StreamSummary) {
            self.summaries.lock().expect("lock").push(summary);
        }
    }

    fn openai_chat(words: &[&str], n: u32) -> Vec<String> {
        let mut frames = vec![": ping\n\n".to_string()];
        for (i, word) in words.iter().enumerate() {
            let choice = u32::try_from(i).expect("small") % n;
            frames.push(format!(
                "data: {}\n\n",
                serde_json::json!({"id":"c9","object":"chat.completion.chunk","created":5,"model":"m",
                    "choices":[{"index":choice,"delta":{"content":word},"finish_reason":null}]})
            ));
        }
        for choice in 0..n {
            frames.push(format!(
                "data: {}\n\n",
                serde_json::json!({"id":"c9","object":"chat.completion.chunk","created":5,"model":"m",
                    "choices":[{"index":choice,"delta":{},"finish_reason":"stop"}]})
            ));
        }
        frames.push("data: [DONE]\n\n".to_string());
        frames
    }

    fn openai_completions(words: &[&str]) -> Vec<String> {
        let mut frames: Vec<String> = words
            .iter()
            .map(|w| {
                format!(
                    "data: {}\n\n",
                    serde_json::json!({"id":"x","object":"text_completion","created":5,"model":"m",
                        "choices":[{"index":0,"text":w,"finish_reason":null}]})
                )
            })
            .collect();
        frames.push(format!(
            "data: {}\n\n",
            serde_json::json!({"id":"x","object":"text_completion","created":5,"model":"m",
                "choices":[{"index":0,"text":"","finish_reason":"length"}]})
        ));
        frames.push("data: [DONE]\n\n".to_string());
        frames
    }

    fn ollama(chat: bool, words: &[&str]) -> Vec<String> {
        let line = |text: &str, done: bool| {
            let mut v = if chat {
                serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                    "message":{"role":"assistant","content":text},"done":done})
            } else {
                serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                    "response":text,"done":done})
            };
            if done {
                v["done_reason"] = "stop".into();
            }
            format!("{v}\n")
        };
        let mut frames: Vec<String> = words.iter().map(|w| line(w, false)).collect();
        frames.push(line("", true));
        frames
    }

    fn stream_for(kind: StreamKind, words: &[&str]) -> Vec<String> {
        match kind {
            StreamKind::OpenAiChat => openai_chat(words, 1),
            StreamKind::OpenAiCompletions => openai_completions(words),
            StreamKind::OllamaChat => ollama(true, words),
            StreamKind::OllamaGenerate => ollama(false, words),
        }
    }

    const KINDS: [StreamKind; 4] = [
        StreamKind::OpenAiChat,
        StreamKind::OpenAiCompletions,
        StreamKind::OllamaChat,
        StreamKind::OllamaGenerate,
    ];

    /// Per-choice text of a byte stream, and its frames.
    fn client_view(kind: StreamKind, bytes: &[u8]) -> (BTreeMap<u32, String>, Vec<ParsedFrame>) {
        let mut parser = FrameParser::new(kind);
        let mut frames = Vec::new();
        parser.push(bytes, &mut frames);
        frames.extend(parser.finish());
        let mut texts = BTreeMap::<u32, String>::new();
        for frame in &frames {
            if let Payload::Json(json) = &frame.payload {
                for delta in &json.deltas {
                    texts.entry(delta.choice).or_default().push_str(&delta.text);
                }
            }
        }
        (texts, frames)
    }

    fn finish_reasons(frames: &[ParsedFrame]) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        for frame in frames {
            if let Payload::Json(json) = &frame.payload {
                for entry in json.value["choices"].as_array().into_iter().flatten() {
                    if let Some(reason) = entry["finish_reason"].as_str() {
                        out.push((choice_index(entry, 0), reason.to_string()));
                    }
                }
                if let Some(reason) = json.value["done_reason"].as_str() {
                    out.push((0, reason.to_string()));
                }
            }
        }
        out
    }

    /// Checks the client saw a content-filtered ending in the API's own shape.
    fn assert_cut(kind: StreamKind, bytes: &[u8]) {
        let (_, frames) = client_view(kind, bytes);
        let reasons = finish_reasons(&frames);
        assert_eq!(
            reasons.last().map(|(_, r)| r.as_str()),
            Some("content_filter"),
            "last finish must be content_filter: {}",
            String::from_utf8_lossy(bytes)
        );
        assert!(
            !reasons.iter().any(|(_, r)| r == "stop" || r == "length"),
            "the upstream's own finish must not pass"
        );
        if kind.is_openai() {
            assert!(bytes.ends_with(SSE_DONE), "OpenAI streams end with [DONE]");
            assert_eq!(frames.last().map(|f| &f.payload), Some(&Payload::Done));
        } else {
            let last: Value =
                serde_json::from_slice(&frames.last().expect("a frame").raw).expect("json line");
            assert_eq!(last["done"], true);
            assert_eq!(last["model"], "llama3");
            assert_eq!(last["created_at"], "2026-11-27T00:00:00Z");
        }
    }

    async fn collect(body: BoxBody) -> Result<Bytes, BoxError> {
        Ok(body.collect().await?.to_bytes())
    }

    /// A tiny deterministic generator for split positions and delays.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % u64::try_from(n.max(1)).expect("fits")).expect("fits")
        }
    }

    fn random_chunks(bytes: &[u8], rng: &mut XorShift) -> Vec<Bytes> {
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < bytes.len() {
            let len = 1 + rng.below(40);
            let end = (at + len).min(bytes.len());
            chunks.push(Bytes::copy_from_slice(&bytes[at..end]));
            at = end;
        }
        chunks
    }

    const UNSAFE_WORDS: [&str; 20] = [
        "Sure, ",
        "here ",
        "is ",
        "some ",
        "text ",
        "with ",
        "F",
        "O",
        "R",
        "B",
        "I",
        "D",
        "D",
        "E",
        "N ",
        "words ",
        "in ",
        "h\u{e9}r\u{e9} ",
        "FORBIDDEN",
        "ok.",
    ];
    const SAFE_WORDS: [&str; 8] = [
        "Sure, ",
        "here ",
        "is ",
        "some ",
        "h\u{e9}r\u{e9} ",
        "text ",
        "\u{1f600} ",
        "ok.",
    ];

    #[tokio::test]
    async fn window_and_buffer_never_release_unchecked_text_at_random_splits() {
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for kind in KINDS {
            let upstream: String = stream_for(kind, &UNSAFE_WORDS).concat();
            for round in 0..24 {
                let mode = match round % 3 {
                    0 => HoldbackMode::Buffer,
                    1 => HoldbackMode::Window {
                        size: 1 + rng.below(30),
                        overlap: "FORBIDDEN".len(),
                    },
                    _ => HoldbackMode::Window {
                        size: 1,
                        overlap: 8 + rng.below(5),
                    },
                };
                let delay =
                    Duration::from_micros(u64::try_from(rng.below(3)).expect("small") * 300);
                let checker = ScriptedChecker::build("FORBIDDEN", delay, None);
                let body = moderate(
                    chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
                    kind,
                    mode,
                    checker.clone(),
                );
                let bytes = collect(body)
                    .await
                    .expect("a cut stream still ends cleanly");
                let (texts, _) = client_view(kind, &bytes);
                let text = texts.get(&0).cloned().unwrap_or_default();
                assert!(
                    !text.contains("FORBIDDEN"),
                    "{kind:?} {mode:?}: unchecked text reached the client: {text:?}"
                );
                assert!(UNSAFE_WORDS.concat().starts_with(&text), "{text:?}");
                assert_cut(kind, &bytes);
                let summary = checker.summary();
                assert_eq!(summary.end, StreamEnd::Cut);
                assert_eq!(summary.blocked_choices, vec![0]);
            }
        }
    }

    #[tokio::test]
    async fn two_interleaved_choices_never_leak_at_random_splits() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        let words = [
            "a ",
            "b ",
            "FORB",
            "c ",
            "IDDEN",
            "d ",
            " e",
            "FORBIDDEN",
            "f",
            "g",
        ];
        let upstream = openai_chat(&words, 2).concat();
        for round in 0..30 {
            let mode = if round % 4 == 0 {
                HoldbackMode::Buffer
            } else {
                HoldbackMode::Window {
                    size: 1 + rng.below(12),
                    overlap: 9,
                }
            };
            let delay = Duration::from_micros(u64::try_from(rng.below(4)).expect("small") * 200);
            let checker = ScriptedChecker::build("FORBIDDEN", delay, None);
            let body = moderate(
                chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
                StreamKind::OpenAiChat,
                mode,
                checker.clone(),
            );
            let bytes = collect(body).await.expect("clean end");
            let (texts, frames) = client_view(StreamKind::OpenAiChat, &bytes);
            for (choice, text) in &texts {
                assert!(
                    !text.contains("FORBIDDEN"),
                    "{mode:?} choice {choice}: {text:?}"
                );
            }
            let reasons = finish_reasons(&frames);
            assert!(
                reasons.contains(&(0, "content_filter".to_string())),
                "{reasons:?}"
            );
            assert!(
                reasons.contains(&(1, "content_filter".to_string())),
                "{reasons:?}"
            );
            assert!(bytes.ends_with(SSE_DONE));
            assert_eq!(checker.summary().end, StreamEnd::Cut);
        }
    }

    /// A checker whose check panics: the engine task dies.
    struct PanickingChecker;

    impl StreamChecker for PanickingChecker {
        fn check(&self, _input: CheckInput) -> Pin<Box<dyn Future<Output = CheckOutcome> + Send>> {
            Box::pin(async { panic!("checker bug (expected by the test)") })
        }
    }

    #[tokio::test]
    async fn a_dead_engine_is_a_broken_stream_not_a_clean_end() {
        let upstream = ollama(false, &["text"]).concat();
        let body = moderate(
            chunked_upstream(vec![Bytes::from(upstream)]),
            StreamKind::OllamaGenerate,
            HoldbackMode::Buffer,
            Arc::new(PanickingChecker),
        );
        let err = collect(body).await.expect_err("must not end cleanly");
        assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
    }

    #[tokio::test]
    async fn safe_streams_pass_byte_for_byte_at_random_splits() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        for kind in KINDS {
            let upstream: String = stream_for(kind, &SAFE_WORDS).concat();
            for mode in [
                HoldbackMode::Buffer,
                HoldbackMode::Window {
                    size: 3,
                    overlap: 2,
                },
                HoldbackMode::Async {
                    size: 5,
                    overlap: 0,
                },
            ] {
                for _ in 0..8 {
                    let checker = ScriptedChecker::new("FORBIDDEN");
                    let body = moderate(
                        chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
                        kind,
                        mode,
                        checker.clone(),
                    );
                    let bytes = collect(body).await.expect("clean end");
                    assert_eq!(bytes, upstream.as_bytes(), "{kind:?} {mode:?}");
                    let summary = checker.summary();
                    assert_eq!(summary.end, StreamEnd::Completed);
                    assert!(!summary.blocked());
                    assert_eq!(summary.chars, SAFE_WORDS.concat().chars().count());
                }
            }
        }
    }

    #[tokio::test]
    async fn every_split_position_of_a_short_stream() {
        for kind in KINDS {
            let safe: String = stream_for(kind, &["ab", "c\u{e9}", "d\n"]).concat();
            let unsafe_: String = stream_for(kind, &["ab", "BAD", "d\n"]).concat();
            for mode in [
                HoldbackMode::Window {
                    size: 2,
                    overlap: 2,
                },
                HoldbackMode::Buffer,
            ] {
                for cut in 0..=safe.len() {
                    let chunks = vec![
                        Bytes::copy_from_slice(&safe.as_bytes()[..cut]),
                        Bytes::copy_from_slice(&safe.as_bytes()[cut..]),
                    ];
                    let checker = ScriptedChecker::new("BAD");
                    let body = moderate(chunked_upstream(chunks), kind, mode, checker.clone());
                    let bytes = collect(body).await.expect("clean end");
                    assert_eq!(bytes, safe.as_bytes(), "{kind:?} {mode:?} cut {cut}");
                    assert_eq!(checker.summary().end, StreamEnd::Completed);
                    assert!(checker.inputs().last().expect("checked").is_final);
                }
                for cut in 0..=unsafe_.len() {
                    let chunks = vec![
                        Bytes::copy_from_slice(&unsafe_.as_bytes()[..cut]),
                        Bytes::copy_from_slice(&unsafe_.as_bytes()[cut..]),
                    ];
                    let checker = ScriptedChecker::new("BAD");
                    let body = moderate(chunked_upstream(chunks), kind, mode, checker.clone());
                    let bytes = collect(body).await.expect("clean end");
                    let (texts, _) = client_view(kind, &bytes);
                    let text = texts.get(&0).cloned().unwrap_or_default();
                    assert!(!text.contains('B'), "{kind:?} {mode:?} cut {cut}: {text:?}");
                    assert_cut(kind, &bytes);
                }
            }
        }
    }

    // Paused time: a timeout only fires once every task is idle, so absence is exact.
    #[tokio::test(start_paused = true)]
    async fn async_mode_forwards_at_once_and_cuts_on_a_violation() {
        for kind in KINDS {
            let frames = stream_for(kind, &["one ", "two ", "BAD ", "three ", "four"]);
            let (tx, upstream) = channel_upstream(1);
            let checker = ScriptedChecker::new("BAD");
            let mut body = moderate(
                upstream,
                kind,
                HoldbackMode::Async {
                    size: 1000,
                    overlap: 0,
                },
                checker.clone(),
            );
            let skip = usize::from(kind == StreamKind::OpenAiChat);
            // The first frames arrive before the next is even sent: nothing is held.
            for frame in frames.iter().take(2 + skip) {
                tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
                    .await
                    .expect("engine reads");
                let got = tokio::time::timeout(Duration::from_secs(5), body.frame())
                    .await
                    .expect("forwarded at once")
                    .expect("a frame")
                    .expect("data");
                assert_eq!(got.into_data().expect("data"), frame.as_bytes());
            }
            for frame in frames.iter().skip(2 + skip) {
                if tx
                    .send(Ok(Frame::data(Bytes::from(frame.clone()))))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            drop(tx);
            let rest = collect(body).await.expect("clean end");
            assert_cut(kind, &rest);
            assert_eq!(checker.summary().blocked_choices, vec![0]);
            let last = checker.inputs().last().cloned().expect("checked");
            assert!(
                last.is_final,
                "the window was only reached by the final check"
            );
        }
    }

    // Paused time: a timeout only fires once every task is idle, so absence is exact.
    #[tokio::test(start_paused = true)]
    async fn buffer_mode_holds_everything_until_the_end() {
        let frames = openai_chat(&["a", "b", "c"], 1);
        let (tx, upstream) = channel_upstream(8);
        let checker = ScriptedChecker::new("BAD");
        let mut body = moderate(
            upstream,
            StreamKind::OpenAiChat,
            HoldbackMode::Buffer,
            checker.clone(),
        );
        for frame in &frames[..frames.len() - 2] {
            tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
                .await
                .expect("engine reads");
        }
        // Only the opaque keep-alive may pass before the end.
        let first = body.frame().await.expect("frame").expect("data");
        assert_eq!(first.into_data().expect("data"), ": ping\n\n");
        let waited = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
        assert!(waited.is_err(), "text was released before the final check");
        assert!(checker.inputs().is_empty());
        for frame in &frames[frames.len() - 2..] {
            tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
                .await
                .expect("engine reads");
        }
        drop(tx);
        let rest = collect(body).await.expect("clean end");
        assert_eq!(rest, frames[1..].concat().as_bytes());
        let inputs = checker.inputs();
        assert_eq!(inputs.len(), 1);
        assert!(inputs[0].is_final);
        assert_eq!(&*inputs[0].text, "abc");
        assert_eq!(inputs[0].new_from, 0);
    }

    #[tokio::test]
    async fn window_checks_overlap_and_cover_every_character() {
        let words = ["aaaa", "bbbb", "cccc", "dddd", "ee"];
        // One chunk per frame: the engine schedules checks between frames.
        let upstream = chunked_upstream(
            stream_for(StreamKind::OllamaGenerate, &words)
                .into_iter()
                .map(Bytes::from)
                .collect(),
        );
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            upstream,
            StreamKind::OllamaGenerate,
            HoldbackMode::Window {
                size: 8,
                overlap: 3,
            },
            checker.clone(),
        );
        collect(body).await.expect("clean end");
        let inputs = checker.inputs();
        let text = words.concat();
        let mut covered = 0;
        for input in &inputs {
            assert!(input.new_from <= covered, "a gap before {}", input.new_from);
            if covered > 0 {
                assert_eq!(covered - input.new_from, 3.min(covered), "overlap");
            }
            covered = input.text.len();
        }
        assert_eq!(covered, text.len());
        assert!(inputs.last().expect("checks").is_final);
        assert!(inputs.len() >= 2, "windows of 8 over 18 chars: {inputs:?}");
        let summary = checker.summary();
        assert_eq!(summary.chars, 18);
        assert_eq!(summary.checks as usize, inputs.len());
        assert!(*checker.held.lock().expect("lock") > 0);
    }

    #[tokio::test]
    async fn two_choices_are_checked_and_cut_separately() {
        // Choice 1 says BAD; choice 0 is fine and must come through whole.
        let words = ["zero ", "one ", "still ", "BAD ", "fine", "more"];
        let frames = openai_chat(&words, 2);
        let mut upstream_text = BTreeMap::<u32, String>::new();
        for (i, w) in words.iter().enumerate() {
            upstream_text
                .entry(u32::try_from(i % 2).expect("small"))
                .or_default()
                .push_str(w);
        }
        // Window, one chunk per frame: choice 1 is blocked while choice 0 still runs, so the
        // stream goes on and the upstream's own [DONE] ends it. Buffer (and one chunk for the
        // whole stream): the violation comes when no other choice runs, so the engine cuts.
        let per_frame: Vec<Bytes> = frames.iter().cloned().map(Bytes::from).collect();
        let whole = vec![Bytes::from(frames.concat())];
        let window = HoldbackMode::Window {
            size: 3,
            overlap: 3,
        };
        for (mode, chunks, end) in [
            (window, per_frame.clone(), StreamEnd::Completed),
            (window, whole.clone(), StreamEnd::Cut),
            (HoldbackMode::Buffer, per_frame, StreamEnd::Cut),
            (HoldbackMode::Buffer, whole, StreamEnd::Cut),
        ] {
            let checker = ScriptedChecker::new("BAD");
            let body = moderate(
                chunked_upstream(chunks),
                StreamKind::OpenAiChat,
                mode,
                checker.clone(),
            );
            let bytes = collect(body).await.expect("clean end");
            let (texts, client_frames) = client_view(StreamKind::OpenAiChat, &bytes);
            assert_eq!(texts.get(&0), upstream_text.get(&0), "{mode:?}");
            assert!(!texts.get(&1).is_some_and(|t| t.contains("BAD")));
            let reasons = finish_reasons(&client_frames);
            assert!(reasons.contains(&(1, "content_filter".to_string())));
            assert!(reasons.contains(&(0, "stop".to_string())));
            assert!(!reasons.contains(&(1, "stop".to_string())));
            assert!(bytes.ends_with(SSE_DONE));
            assert_eq!(
                client_frames
                    .iter()
                    .filter(|f| f.payload == Payload::Done)
                    .count(),
                1
            );
            let summary = checker.summary();
            assert_eq!(summary.end, end, "{mode:?}");
            assert_eq!(summary.blocked_choices, vec![1]);
            assert_eq!(summary.choices, 2);
        }
    }

    #[tokio::test]
    async fn a_frame_with_two_choices_loses_only_the_blocked_one() {
        let frame = |a: &str, b: &str| {
            format!(
                "data: {}\n\n",
                serde_json::json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[
                    {"index":0,"delta":{"content":a},"finish_reason":null},
                    {"index":1,"delta":{"content":b},"finish_reason":null}]})
            )
        };
        let upstream = [frame("safe ", "BAD "), frame("also safe", "more")].concat();
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(vec![Bytes::from(upstream)]),
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 1000,
                overlap: 0,
            },
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, _) = client_view(StreamKind::OpenAiChat, &bytes);
        assert_eq!(texts.get(&0).map(String::as_str), Some("safe also safe"));
        assert_eq!(texts.get(&1), None);
    }

    // Paused time: a timeout only fires once every task is idle, so absence is exact.
    #[tokio::test(start_paused = true)]
    async fn code_fences_are_held_until_closed_and_scanned() {
        let (tx, upstream) = channel_upstream(16);
        let checker = ScriptedChecker::new("BAD");
        let mut body = moderate(
            upstream,
            StreamKind::OllamaChat,
            HoldbackMode::Window {
                size: 4,
                overlap: 0,
            },
            checker.clone(),
        );
        let line = |text: &str| {
            Bytes::from(format!(
                "{}\n",
                serde_json::json!({"model":"llama3","created_at":"t","message":{"role":"assistant","content":text},"done":false})
            ))
        };
        let send = |b: Bytes| {
            let tx = tx.clone();
            async move { tx.send(Ok(Frame::data(b))).await.expect("engine reads") }
        };
        send(line("Intro text.\n")).await;
        let got = body.frame().await.expect("frame").expect("data");
        assert_eq!(got.into_data().expect("data"), line("Intro text.\n"));
        send(line("```python\n")).await;
        send(line("import os\n")).await;
        send(line("os.system(x)\n")).await;
        let waited = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
        assert!(waited.is_err(), "code inside an open fence was released");
        assert!(checker.inputs().len() >= 2, "windows keep being checked");
        send(line("```\nAfter.")).await;
        for expected in [
            "```python\n",
            "import os\n",
            "os.system(x)\n",
            "```\nAfter.",
        ] {
            let got = tokio::time::timeout(Duration::from_secs(5), body.frame())
                .await
                .expect("released after the block passed")
                .expect("frame")
                .expect("data");
            assert_eq!(got.into_data().expect("data"), line(expected));
        }
        let inputs = checker.inputs();
        let with_block: Vec<_> = inputs
            .iter()
            .filter(|i| !i.code_blocks.is_empty())
            .collect();
        assert_eq!(with_block.len(), 1);
        let block = &with_block[0].code_blocks[0];
        assert_eq!(block.code, "import os\nos.system(x)\n");
        assert!(block.closed);
        drop(tx);
        collect(body).await.expect("clean end");
    }

    #[tokio::test]
    async fn a_bad_code_block_is_never_released() {
        let frames = stream_for(
            StreamKind::OpenAiChat,
            &["Here:\n", "```sh\n", "rm -rf BAD", "\n", "```\n", "done"],
        );
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(frames.iter().map(|f| Bytes::from(f.clone())).collect()),
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 1,
                overlap: 0,
            },
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, _) = client_view(StreamKind::OpenAiChat, &bytes);
        assert_eq!(texts.get(&0).map(String::as_str), Some("Here:\n"));
        assert_cut(StreamKind::OpenAiChat, &bytes);
    }

    #[tokio::test]
    async fn non_json_frames_pass_through_in_order() {
        let upstream = concat!(
            ": comment\n\n",
            "event: ping\n\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n",
            "data: not json at all\n\n",
            "retry: 10\r\n\r\n",
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
            "data: [DONE]\n\n",
        );
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(vec![Bytes::from_static(upstream.as_bytes())]),
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 10,
                overlap: 0,
            },
            checker,
        );
        assert_eq!(collect(body).await.expect("clean end"), upstream.as_bytes());
    }

    #[tokio::test]
    async fn an_upstream_without_a_finish_still_gets_final_checks() {
        let upstream =
            "{\"response\":\"fine \",\"done\":false}\n{\"response\":\"BAD\",\"done\":false}";
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(vec![Bytes::from_static(upstream.as_bytes())]),
            StreamKind::OllamaGenerate,
            HoldbackMode::Buffer,
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, _) = client_view(StreamKind::OllamaGenerate, &bytes);
        assert_eq!(texts.get(&0), None);
        let last: Value = serde_json::from_slice(&bytes).expect("one json line");
        assert_eq!(last["done_reason"], "content_filter");
        assert_eq!(last["response"], "");
        assert!(checker.inputs()[0].is_final);

        let checker = ScriptedChecker::new("BAD");
        let safe = "{\"response\":\"fine\",\"done\":false}\n";
        let body = moderate(
            chunked_upstream(vec![Bytes::from_static(safe.as_bytes())]),
            StreamKind::OllamaGenerate,
            HoldbackMode::Window {
                size: 100,
                overlap: 0,
            },
            checker.clone(),
        );
        assert_eq!(collect(body).await.expect("clean end"), safe.as_bytes());
        assert!(checker.inputs()[0].is_final);
    }

    #[tokio::test]
    async fn text_after_a_finish_gets_another_final_check() {
        for (second, blocked) in [("BAD", true), ("fine", false)] {
            let upstream = format!(
                "{{\"response\":\"a\",\"done\":true}}\n{{\"response\":\"{second}\",\"done\":false}}\n"
            );
            let checker = ScriptedChecker::new("BAD");
            let body = moderate(
                chunked_upstream(
                    upstream
                        .split_inclusive('\n')
                        .map(|l| Bytes::from(l.to_string()))
                        .collect(),
                ),
                StreamKind::OllamaGenerate,
                HoldbackMode::Window {
                    size: 100,
                    overlap: 0,
                },
                checker.clone(),
            );
            let bytes = collect(body).await.expect("clean end");
            let (texts, _) = client_view(StreamKind::OllamaGenerate, &bytes);
            assert!(!texts.get(&0).is_some_and(|t| t.contains("BAD")));
            assert_eq!(checker.summary().blocked(), blocked);
            let finals = checker.inputs().iter().filter(|i| i.is_final).count();
            assert_eq!(finals, 2);
            if !blocked {
                assert_eq!(bytes, upstream.as_bytes());
            }
        }
    }

    #[tokio::test]
    async fn upstream_errors_reach_the_client_as_errors() {
        let (tx, upstream) = channel_upstream(4);
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            upstream,
            StreamKind::OllamaChat,
            HoldbackMode::Buffer,
            checker.clone(),
        );
        tx.send(Ok(Frame::data(Bytes::from_static(
            b"{\"message\":{\"content\":\"unchecked\"},\"done\":false}\n",
        ))))
        .await
        .expect("engine reads");
        tx.send(Err("upstream reset".into()))
            .await
            .expect("engine reads");
        let err = collect(body)
            .await
            .expect_err("a broken stream, not a clean end");
        assert!(err.to_string().contains("upstream reset"));
        assert_eq!(checker.summary().end, StreamEnd::UpstreamFailed);
    }

    // Paused time: a timeout only fires once every task is idle, so absence is exact.
    #[tokio::test(start_paused = true)]
    async fn dropping_the_client_body_cancels_the_upstream() {
        let (tx, upstream) = channel_upstream(1);
        let checker = ScriptedChecker::new("BAD");
        let mut body = moderate(
            upstream,
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 1,
                overlap: 0,
            },
            checker.clone(),
        );
        let frames = openai_chat(&["a", "b", "c"], 1);
        tx.send(Ok(Frame::data(Bytes::from(frames[0].clone()))))
            .await
            .expect("engine reads");
        body.frame().await.expect("frame").expect("data");
        drop(body);
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if tx
                    .send(Ok(Frame::data(Bytes::from(frames[1].clone()))))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the upstream body was not dropped");
        // The abort and the summary land together; give the runtime a turn to run the drop.
        tokio::task::yield_now().await;
        assert_eq!(checker.summary().end, StreamEnd::ClientGone);
    }

    // Paused time: a timeout only fires once every task is idle, so absence is exact.
    #[tokio::test(start_paused = true)]
    async fn slow_checks_do_not_stall_reading_within_the_bound() {
        let gate = Arc::new(Notify::new());
        let checker = ScriptedChecker::build("BAD", Duration::ZERO, Some(gate.clone()));
        let (tx, upstream) = channel_upstream(1);
        let frame = Bytes::from(format!(
            "data: {}\n\n",
            serde_json::json!({"choices":[{"index":0,"delta":{"content":"xxxx"},"finish_reason":null}]})
        ));
        let limit = frame.len() * 20;
        let mut body = moderate_with_limits(
            upstream,
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 4,
                overlap: 0,
            },
            checker.clone(),
            HoldbackLimits {
                max_held_bytes: limit,
            },
        );
        // The first check blocks on the gate; reading goes on up to the bound.
        let mut sent = 0;
        loop {
            let send = tx.send(Ok(Frame::data(frame.clone())));
            match tokio::time::timeout(Duration::from_millis(100), send).await {
                Ok(Ok(())) => sent += 1,
                Ok(Err(_)) => panic!("upstream dropped"),
                Err(_) => break,
            }
            assert!(sent <= 40, "reading never stopped: memory is unbounded");
        }
        assert!(
            sent >= 19,
            "reading stalled behind a slow check after {sent} frames"
        );
        assert_eq!(
            checker.inputs().len(),
            1,
            "checks of one choice never overlap"
        );
        // Releasing the checks lets everything through.
        let release = tokio::spawn(async move {
            loop {
                gate.notify_one();
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        let first = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("released once the check passed")
            .expect("frame")
            .expect("data");
        assert_eq!(first.into_data().expect("data"), frame);
        drop(tx);
        let rest = collect(body).await.expect("clean end");
        assert_eq!(rest.len() + frame.len(), frame.len() * sent);
        release.abort();
    }

    #[tokio::test]
    async fn an_unclosed_fence_past_the_limit_fails_the_stream() {
        let frames = stream_for(
            StreamKind::OllamaGenerate,
            &[
                "```\n",
                "aaaaaaaaaa",
                "aaaaaaaaaa",
                "aaaaaaaaaa",
                "aaaaaaaaaa",
                "aaaaaaaaaa",
            ],
        );
        let checker = ScriptedChecker::new("BAD");
        let body = moderate_with_limits(
            chunked_upstream(frames.iter().map(|f| Bytes::from(f.clone())).collect()),
            StreamKind::OllamaGenerate,
            HoldbackMode::Window {
                size: 1000,
                overlap: 0,
            },
            checker.clone(),
            HoldbackLimits {
                max_held_bytes: frames[0].len() * 3,
            },
        );
        let err = collect(body).await.expect_err("over the limit");
        assert!(err.to_string().contains("exceeds"), "{err}");
        assert_eq!(checker.summary().end, StreamEnd::HeldTooMuch);
    }

    /// Guards against per-frame work that grows with the stream (a quadratic engine takes
    /// minutes here; a linear one well under a second in a debug build).
    #[tokio::test]
    async fn long_streams_moderate_in_linear_time() {
        let words: Vec<String> = (0..20_000).map(|i| format!("w{i} ")).collect();
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let frames: Vec<Bytes> = openai_chat(&words, 1)
            .into_iter()
            .map(Bytes::from)
            .collect();
        let total: usize = frames.iter().map(Bytes::len).sum();
        let checker = ScriptedChecker::new("FORBIDDEN");
        let started = Instant::now();
        let body = moderate(
            chunked_upstream(frames),
            StreamKind::OpenAiChat,
            HoldbackMode::Window {
                size: 1000,
                overlap: 200,
            },
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let elapsed = started.elapsed();
        assert_eq!(bytes.len(), total);
        assert!(
            elapsed < Duration::from_secs(20),
            "20k frames took {elapsed:?}"
        );
        eprintln!(
            "moderated 20k frames ({total} bytes, {} checks) in {elapsed:?}",
            checker.summary().checks
        );
    }

    #[test]
    fn modes_follow_the_policy() {
        assert_eq!(
            HoldbackMode::from(&StreamingMode::Window {
                first: 10,
                size: 10,
                overlap: 2
            }),
            HoldbackMode::Window {
                size: 10,
                overlap: 2
            }
        );
        assert_eq!(
            HoldbackMode::from(&StreamingMode::Buffer),
            HoldbackMode::Buffer
        );
        assert_eq!(
            HoldbackMode::from(&StreamingMode::Async {
                first: 7,
                size: 7,
                overlap: 1
            }),
            HoldbackMode::Async {
                size: 7,
                overlap: 1
            }
        );
    }
}
