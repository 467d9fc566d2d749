//! Llama Guard for Warden: taxonomies, character-exact prompt templates, safe tokenization,
//! and classifiers (in-process candle models and remote inference servers) behind the
//! dyn-compatible [`Classifier`] boundary.

pub mod candle_backend;
pub mod classifier;
pub mod cli;
mod cpu;
pub mod heap;
pub mod hub;
pub mod load;
pub mod model;
pub mod output;
pub mod prompt;
pub mod prompt_guard;
pub mod remote;
pub mod strip;
pub mod taxonomy;
pub mod tokenize;

pub use candle_backend::{
    BATCH_SIZE_BUCKETS, CandleClassifier, CandleOptions, Classification, EngineStats, ItemTiming,
    PromptTokens, TokenDetails, TokenLogprob,
};
pub use classifier::{
    BoxFuture, Classifier, ClassifyRequest, GuardError, JudgedRole, ScoreSource, Truncation, Turn,
    TurnRole, Verdict,
};
pub use prompt::{RenderedPrompt, render, render_prefix};
pub use prompt_guard::{InjectionScores, PromptGuard, PromptGuardError, PromptGuardOptions};
pub use taxonomy::{Category, Taxonomy, TaxonomyError, Template};
pub use tokenize::{
    EncodedConversation, EncodedPrompt, GuardTokenizer, TokenizeError, VerdictTokens,
};
