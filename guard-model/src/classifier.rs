//! The `Classifier` boundary: what the gateway asks of a guard and what it gets back.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::taxonomy::Taxonomy;

/// A boxed future, so `Classifier` stays dyn-compatible (`Arc<dyn Classifier>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The role of one turn as the gateway sees it (before folding into Llama Guard's
/// strict user/assistant alternation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TurnRole {
    System,
    User,
    Assistant,
    Tool,
}

/// One turn of a conversation, text only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    pub role: TurnRole,
    pub content: String,
}

/// Which side of the conversation is judged: the last user prompt or the last answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JudgedRole {
    User,
    Agent,
}

/// One classification request.
#[derive(Debug, Clone)]
pub struct ClassifyRequest {
    /// The conversation; the judged role follows from its last turn (user -> `User`,
    /// assistant -> `Agent`).
    pub turns: Vec<Turn>,
    /// Template and categories rendered into the prompt.
    pub taxonomy: Arc<Taxonomy>,
    /// Score at or above which the verdict is unsafe and categories are decoded.
    pub threshold: f32,
    /// Decode categories even when the score stays below the threshold.
    pub always_decode: bool,
    /// More conversations that start like this one will follow (a stream's window checks
    /// repeat the same history): a backend may keep this prompt's keys and values so the
    /// next check reuses their common start. A hint; verdicts are the same either way.
    pub keep_context: bool,
}

/// How the unsafe score was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreSource {
    /// Probabilities of the verdict tokens at the first generated position.
    Logprobs,
    /// The backend gave no probabilities; the score is 1.0 or 0.0 from the generated text.
    VerdictText,
}

/// What was cut to fit the model's context, reported so nothing is cut silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    /// Older turns dropped before the judged turn.
    pub dropped_turns: usize,
    /// Number of overlapping windows the judged turn was split into (1 = not split).
    pub windows: usize,
}

/// The guard's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    pub judged: JudgedRole,
    /// Probability of the unsafe verdict at the first generated token, 0..=1.
    pub unsafe_score: f32,
    /// `unsafe_score >= threshold`.
    pub is_unsafe: bool,
    /// Category codes (such as `S8`) parsed from the decoded output; empty when not decoded.
    pub categories: Vec<String>,
    pub logprob_safe: Option<f32>,
    pub logprob_unsafe: Option<f32>,
    pub score_source: ScoreSource,
    pub truncation: Option<Truncation>,
    /// Time spent on this classification, queueing included.
    pub latency: Duration,
}

/// Why a classification produced no verdict.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GuardError {
    #[error("guard overloaded: {queued} classifications queued (limit {limit})")]
    Overloaded { queued: usize, limit: usize },
    #[error("guard timed out after {0:?}")]
    Timeout(Duration),
    #[error("invalid conversation: {0}")]
    InvalidConversation(String),
    #[error("guard output could not be parsed: {0:?}")]
    UnparsableOutput(String),
    #[error("guard backend failed: {0}")]
    Backend(String),
}

impl GuardError {
    /// A stable name for the kind of failure (metric labels, JSON error objects).
    pub fn kind(&self) -> &'static str {
        match self {
            GuardError::Overloaded { .. } => "overloaded",
            GuardError::Timeout(_) => "timeout",
            GuardError::InvalidConversation(_) => "invalid_conversation",
            GuardError::UnparsableOutput(_) => "unparsable_output",
            GuardError::Backend(_) => "backend",
        }
    }
}

/// A Llama Guard classifier: in-process candle model, remote server, or a test fake.
pub trait Classifier: Send + Sync + std::fmt::Debug {
    /// Judge the last turn of `request.turns`.
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>>;
    /// A short description for logs and `/readyz` (model path or remote URL).
    fn describe(&self) -> String;
    /// Classifications waiting for a model thread (for `warden_guard_queue_depth`).
    fn queue_depth(&self) -> usize {
        0
    }
    /// How long a classification submitted now would take, from the backend's queue and
    /// recent pass times (`None`: the backend cannot tell). The gateway sheds a request
    /// whose expected wait exceeds its policy's guard timeout instead of letting it time out.
    fn expected_wait(&self) -> Option<Duration> {
        None
    }
    /// Batching and cache counters of an in-process engine (`None` for remote backends).
    fn engine_stats(&self) -> Option<crate::candle_backend::EngineStats> {
        None
    }
}
