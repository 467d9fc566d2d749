//! Llama Guard for Warden: taxonomies, character-exact prompt templates, safe tokenization,
//! and classifiers (in-process candle models and remote inference servers) behind the
//! dyn-compatible [`Classifier`] boundary.

pub mod classifier;
pub mod load;
pub mod model;
pub mod taxonomy;

pub use classifier::{
    BoxFuture, ClassifyRequest, Classifier, GuardError, JudgedRole, ScoreSource, Truncation, Turn,
    TurnRole, Verdict,
};
pub use taxonomy::{Category, Taxonomy, Template};
