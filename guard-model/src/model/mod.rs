//! Warden's own Llama forward pass (see `llama.rs` for why it is not candle's).

pub mod cache;
pub mod config;
mod kernels;
pub mod llama;
pub mod synthetic;

use std::path::PathBuf;

pub use cache::KvCache;
pub use config::{Llama3RopeScaling, ModelConfig, RopeStyle};
pub use llama::{Embedding, Fused, Head, Layer, Linear, Llama, Padding, RmsNorm};

/// Why a model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {what}")]
    Format { path: PathBuf, what: String },
    #[error("model config: {0}")]
    Config(String),
    #[error("tensor shape mismatch: {0}")]
    Shape(String),
    #[error("prompt needs {tokens} positions but the model's context is {limit}")]
    ContextExceeded { tokens: usize, limit: usize },
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
}
