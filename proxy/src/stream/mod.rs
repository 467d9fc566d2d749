//! Streaming moderation: frames of a streamed answer are parsed, the text of each choice is
//! reassembled and checked, and frames are held back until the text they carry has passed.
//!
//! The non-obvious choice: the engine never edits the text of a frame. It releases upstream
//! frames byte for byte, or holds them, or drops them; the only bytes it writes itself are the
//! API's own terminal frames (`finish_reason: "content_filter"`, Ollama
//! `done_reason: "content_filter"`) and, for a frame that carries several choices of which one
//! is blocked, a re-encoding of that frame without the blocked choice. So whatever a client
//! receives in `window` or `buffer` mode is exactly what the upstream sent and a check passed.
//! See `docs/adr/003-stream-holdback.md` and `docs/adr/006-stream-release-schedule.md`.
//!
//! - [`frames`]: frame codecs per API (SSE / NDJSON framing, text extraction, terminal frames).
//! - [`holdback`]: modes, the checker boundary ([`StreamChecker`]) and [`moderate`].
//! - `engine`: the task that drives one stream.
//! - `schedule`: when a window check is due and what it judges.
//! - `fence`: where code must be held until scanned.
//! - `release`: the in-order release rule over held frames.

mod engine;
mod fence;
pub mod frames;
pub mod holdback;
mod release;
mod schedule;

pub use frames::{StreamKind, StreamMeta};
pub use holdback::{
    CheckInput, CheckOutcome, HoldbackError, HoldbackLimits, HoldbackMode, StreamChecker,
    StreamEnd, StreamSummary, WindowSchedule, moderate, moderate_with_limits,
};
