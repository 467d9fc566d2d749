//! The hold-back engine's public face: modes, the checker boundary, and [`moderate`].
//!
//! One spawned task per stream ([`super::engine`]) reads the upstream body, parses frames,
//! reassembles the text of each choice, runs checks through a [`StreamChecker`], and sends
//! frames to the client body through a bounded channel once the text they carry has passed.
//! The client body owns the task: dropping it aborts the task, which drops the upstream body
//! and so cancels the upstream request.
//!
//! The release rule, per mode:
//! - [`HoldbackMode::Window`]: checks follow the [`WindowSchedule`] (a first window, growth
//!   from the answer's start up to the full window, then sliding windows), and also run when
//!   a code block closes and when the choice finishes. A frame is released once every choice
//!   it carries text for has been checked up to the end of that text, and text from the line
//!   that opens a code fence on is held until the block has closed and the check that carries
//!   it (in [`CheckInput::code_blocks`]) has passed. A finishing frame waits for the final
//!   check of its choice.
//! - [`HoldbackMode::Buffer`]: one final check per choice; frames wait for it.
//! - [`HoldbackMode::Async`]: text is forwarded at once and judged on the same schedule in
//!   the background; only finishing frames wait for the final check, so a violation can still
//!   end the stream with `content_filter` instead of the upstream's own finish.
//! - [`HoldbackMode::CodeOnly`]: nothing judges prose (only the code scanner runs), so text is
//!   forwarded as it arrives up to the first open (or possible) fence or closed block whose
//!   scan has not passed; a closed block starts a scan, and the finishing frame waits for the
//!   final check (which scans a block left open).
//!
//! Frames always leave in their original order. Reading the upstream continues while checks
//! run, up to [`HoldbackLimits::max_held_bytes`] of held frames; past it the engine waits for
//! a check, and fails the stream when nothing it holds can be checked any more (an unclosed
//! code fence or a buffer larger than the limit), so memory stays bounded and nothing
//! unchecked is ever released.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use warden_code_scan::CodeBlock;
use warden_policies::StreamingMode;

use super::engine::{Engine, run};
use super::frames::StreamKind;
pub use super::schedule::WindowSchedule;
use crate::body::{BoxBody, BoxError};

/// How a streamed response is held back while it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldbackMode {
    /// Hold frames until their text has passed a check on the window schedule.
    Window(WindowSchedule),
    /// Hold everything until the end; one final check per choice.
    Buffer,
    /// Forward text at once; check on the window schedule in the background and cut on a
    /// violation.
    Async(WindowSchedule),
    /// Only code is judged: forward prose at once, hold code fences until they closed and
    /// their scan passed, and hold the finishing frame for the final check.
    CodeOnly,
}

impl HoldbackMode {
    /// Fixed windows of `size` characters overlapping by `overlap` (the schedule before
    /// `first_window_chars`).
    pub fn window(size: usize, overlap: usize) -> HoldbackMode {
        HoldbackMode::Window(WindowSchedule::fixed(size, overlap))
    }

    /// The mode for a policy's streaming settings. `guard_judges` says whether the guard
    /// judges answer text at all; without it only code blocks can fail, so holding prose in
    /// `window` or `buffer` mode would serve no check (`async` already streams).
    pub fn for_policy(mode: &StreamingMode, guard_judges: bool) -> HoldbackMode {
        match HoldbackMode::from(mode) {
            HoldbackMode::Window(_) | HoldbackMode::Buffer if !guard_judges => {
                HoldbackMode::CodeOnly
            }
            other => other,
        }
    }

    /// The window schedule, for the modes that have one.
    pub fn schedule(&self) -> Option<WindowSchedule> {
        match *self {
            HoldbackMode::Window(schedule) | HoldbackMode::Async(schedule) => Some(schedule),
            HoldbackMode::Buffer | HoldbackMode::CodeOnly => None,
        }
    }
}

impl From<&StreamingMode> for HoldbackMode {
    fn from(mode: &StreamingMode) -> HoldbackMode {
        match *mode {
            StreamingMode::Window {
                first,
                size,
                overlap,
            } => HoldbackMode::Window(WindowSchedule::progressive(first, size, overlap)),
            StreamingMode::Buffer => HoldbackMode::Buffer,
            StreamingMode::Async {
                first,
                size,
                overlap,
            } => HoldbackMode::Async(WindowSchedule::progressive(first, size, overlap)),
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
    /// Byte offset (on a char boundary) where the judged text starts: 0 while the schedule
    /// grows (each check judges the answer from its start, so a guard that kept the previous
    /// check's context computes only the new text), then the start of the unchecked text moved
    /// back by the window overlap. A checker that judges `text[new_from..]` sees every
    /// character at least once and each sliding window with `overlap` characters of context.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_follow_the_policy() {
        let window = StreamingMode::Window {
            first: 4,
            size: 10,
            overlap: 2,
        };
        let expected = WindowSchedule {
            first: 4,
            size: 10,
            overlap: 2,
        };
        assert_eq!(HoldbackMode::from(&window), HoldbackMode::Window(expected));
        assert_eq!(
            HoldbackMode::from(&StreamingMode::Buffer),
            HoldbackMode::Buffer
        );
        let asynchronous = StreamingMode::Async {
            first: 7,
            size: 7,
            overlap: 1,
        };
        assert_eq!(
            HoldbackMode::from(&asynchronous),
            HoldbackMode::Async(WindowSchedule::fixed(7, 1))
        );
        assert_eq!(
            HoldbackMode::window(7, 1),
            HoldbackMode::Window(WindowSchedule::fixed(7, 1))
        );
    }

    #[test]
    fn without_a_guard_check_prose_is_not_held() {
        let window = StreamingMode::Window {
            first: 4,
            size: 10,
            overlap: 2,
        };
        assert_eq!(
            HoldbackMode::for_policy(&window, false),
            HoldbackMode::CodeOnly
        );
        assert_eq!(
            HoldbackMode::for_policy(&StreamingMode::Buffer, false),
            HoldbackMode::CodeOnly
        );
        assert_eq!(
            HoldbackMode::for_policy(&window, true),
            HoldbackMode::from(&window)
        );
        assert_eq!(
            HoldbackMode::for_policy(&StreamingMode::Buffer, true),
            HoldbackMode::Buffer
        );
        let asynchronous = StreamingMode::Async {
            first: 4,
            size: 10,
            overlap: 2,
        };
        // Async already streams prose; its background windows still run.
        assert_eq!(
            HoldbackMode::for_policy(&asynchronous, false),
            HoldbackMode::from(&asynchronous)
        );
        assert_eq!(HoldbackMode::CodeOnly.schedule(), None);
    }
}
