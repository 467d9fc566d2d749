//! The engine task: the select loop over the upstream, running checks and the client, and
//! the per-stream state it drives (choices, held frames, the summary).
//!
//! Each piece of the rule lives in its own module: when a check is due and what it judges in
//! [`super::schedule`], where code must be held in [`super::fence`], and the in-order release
//! over held frames in [`super::release`]. The engine combines them per [`HoldbackMode`].

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use http_body::Frame;
use http_body_util::BodyExt;
use tokio::sync::mpsc;

use super::fence::{FenceTracker, min_some};
use super::frames::{
    FrameParser, ParsedFrame, Payload, SSE_DONE, StreamKind, content_filter_frame,
};
use super::holdback::{
    CheckInput, CheckOutcome, HoldbackError, HoldbackLimits, HoldbackMode, StreamChecker,
    StreamEnd, StreamSummary,
};
use super::release::{Gate, Held, Need, Release, verdict, without_blocked};
use super::schedule::judged_byte;
use crate::body::{BoxBody, BoxError};

type CheckFuture = Pin<Box<dyn Future<Output = (u32, CheckOutcome)> + Send>>;

pub(super) async fn run(
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
        let summary = std::mem::replace(&mut self.summary, empty_summary());
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

/// The check in flight for a choice.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    /// Where a pass lets text be released.
    release_to: usize,
    is_final: bool,
    /// Where the first code block this check scans starts (held until it passes).
    blocks_from: Option<usize>,
}

#[derive(Debug, Default)]
struct Choice {
    text: String,
    /// Characters of `text`.
    chars: usize,
    /// Byte offset, and characters, up to which a check has been started.
    check_started_to: usize,
    checked_chars: usize,
    /// Byte offset up to which checks let text be released.
    released_to: usize,
    in_flight: Option<InFlight>,
    fence: FenceTracker,
    finished: bool,
    final_started: bool,
    final_passed: bool,
    blocked: bool,
}

impl Choice {
    /// Appends a delta; returns its length in characters.
    fn push_text(&mut self, delta: &str) -> usize {
        let delta_start = self.text.len();
        self.text.push_str(delta);
        let chars = delta.chars().count();
        self.chars += chars;
        self.fence.push(&self.text, delta_start);
        chars
    }

    /// Still needs checks (not blocked, final check not yet passed).
    fn running(&self) -> bool {
        !self.blocked && !self.final_passed
    }

    /// How far this choice's text may leave under `mode`.
    fn gate(&self, mode: HoldbackMode) -> Gate {
        let clear_to = match mode {
            HoldbackMode::Async(_) => usize::MAX,
            HoldbackMode::Window(_) | HoldbackMode::Buffer => self.released_to,
            // Nothing judges prose: everything before the first code that has not passed a
            // scan (an open fence, or a closed block waiting for or in its check) is clear.
            HoldbackMode::CodeOnly => {
                let held_from = min_some(
                    self.fence.hold_from(),
                    self.in_flight.and_then(|f| f.blocks_from),
                );
                self.released_to.max(held_from.unwrap_or(self.text.len()))
            }
        };
        Gate {
            blocked: self.blocked,
            clear_to,
            final_passed: self.final_passed,
        }
    }

    /// Whether a check is due now (`force`: the memory bound wants whatever can be checked).
    fn check_due(&self, mode: HoldbackMode, force: bool) -> bool {
        if self.finished {
            return true;
        }
        match mode {
            HoldbackMode::Window(schedule) | HoldbackMode::Async(schedule) => {
                self.fence.has_pending()
                    || schedule.is_due(self.checked_chars, self.chars)
                    || (force && self.chars > self.checked_chars)
            }
            // Only the scan of a closed block can release anything before the end.
            HoldbackMode::CodeOnly => self.fence.has_pending(),
            HoldbackMode::Buffer => false,
        }
    }
}

pub(super) struct Engine {
    kind: StreamKind,
    mode: HoldbackMode,
    limits: HoldbackLimits,
    checker: Arc<dyn StreamChecker>,
    parser: FrameParser,
    parsed: Vec<ParsedFrame>,
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
    pub(super) fn new(
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
            choices: BTreeMap::new(),
            held: VecDeque::new(),
            held_bytes: 0,
            ready: VecDeque::new(),
            ready_bytes: 0,
            upstream_ended: false,
            stopped: false,
            summary: SummaryReport {
                checker: checker.clone(),
                summary: empty_summary(),
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
                for delta in &json.deltas {
                    let choice = self.choices.entry(delta.choice).or_default();
                    if !choice.blocked {
                        // Text after a finish (a misbehaving upstream) needs a new final check.
                        choice.final_started = false;
                        self.summary.chars += choice.push_text(&delta.text);
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
                // Kept by the parser exactly when the frame carries more than one choice.
                value = json.value;
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
        self.drain_held(false);
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
        let mode = self.mode;
        for (&index, choice) in &mut self.choices {
            if choice.blocked || choice.in_flight.is_some() || choice.final_started {
                continue;
            }
            if !choice.check_due(mode, force) {
                continue;
            }
            let is_final = choice.finished;
            let start = choice.check_started_to;
            let new_from = match mode.schedule() {
                Some(schedule) => judged_byte(
                    &choice.text,
                    start,
                    schedule.judged_from(choice.checked_chars),
                ),
                None => start,
            };
            let end = choice.text.len();
            let (blocks, release_to) = if is_final {
                choice.final_started = true;
                (choice.fence.finish(&choice.text), end)
            } else {
                let release_to = choice.fence.fence_from().map_or(end, |from| from.min(end));
                (choice.fence.take(), release_to)
            };
            choice.check_started_to = end;
            choice.checked_chars = choice.chars;
            choice.in_flight = Some(InFlight {
                release_to,
                is_final,
                blocks_from: blocks.from,
            });
            self.summary.checks += 1;
            let input = CheckInput {
                choice: index,
                text: Arc::from(choice.text.as_str()),
                new_from,
                code_blocks: blocks.blocks,
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
        let Some(done) = choice.in_flight.take() else {
            return;
        };
        match outcome {
            CheckOutcome::Pass => {
                choice.released_to = choice.released_to.max(done.release_to);
                choice.final_passed |= done.is_final;
            }
            CheckOutcome::Violation { message } => {
                choice.blocked = true;
                self.summary.blocked_choices.push(index);
                self.summary.violation.get_or_insert(message);
                let frame = content_filter_frame(self.kind, self.parser.meta(), index);
                self.held_bytes += frame.len();
                self.held.push_back(Held::written(frame));
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

    /// Moves releasable frames from the front of the queue to the client queue. With
    /// `cutting`, frames that cannot be released are dropped instead of waited for.
    fn drain_held(&mut self, cutting: bool) {
        while let Some(front) = self.held.front() {
            let release = verdict(&front.needs, |c| {
                self.choices.get(&c).map(|choice| choice.gate(self.mode))
            });
            if release == Release::Wait && !cutting {
                break;
            }
            let Some(held) = self.held.pop_front() else {
                break;
            };
            self.held_bytes -= held.raw.len();
            if cutting && held.done_sentinel {
                continue;
            }
            let bytes = match release {
                Release::Wait => continue,
                Release::Whole => held.raw,
                Release::WithoutBlocked => {
                    let blocked = |c: u32| self.choices.get(&c).is_some_and(|c| c.blocked);
                    match without_blocked(self.kind, held.value, blocked) {
                        Some(bytes) => bytes,
                        None => continue,
                    }
                }
            };
            if let Some(arrived) = held.arrived {
                self.checker.held(arrived.elapsed().as_secs_f64());
            }
            self.push_ready(bytes);
        }
    }

    fn push_ready(&mut self, bytes: Bytes) {
        self.ready_bytes += bytes.len();
        self.ready.push_back(Ok(bytes));
    }

    /// The next item for the client. Frames released together leave as one chunk, so the
    /// client connection writes them in one system call, as it does for pass-through, instead
    /// of one write per frame when the client task runs between two of them.
    fn pop_ready(&mut self) -> Option<Result<Bytes, BoxError>> {
        let run = self.ready.iter().take_while(|item| item.is_ok()).count();
        let bytes = match run {
            // An error (the stream's last item) goes as it is.
            0 => return self.ready.pop_front(),
            1 => self.ready.pop_front()?.ok()?,
            _ => {
                let mut joined = BytesMut::with_capacity(self.ready_bytes);
                for bytes in self.ready.drain(..run).flatten() {
                    joined.extend_from_slice(&bytes);
                }
                joined.freeze()
            }
        };
        self.ready_bytes -= bytes.len();
        Some(Ok(bytes))
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

fn empty_summary() -> StreamSummary {
    StreamSummary {
        end: StreamEnd::ClientGone,
        blocked_choices: Vec::new(),
        violation: None,
        choices: 0,
        checks: 0,
        chars: 0,
    }
}

#[cfg(test)]
mod tests;
