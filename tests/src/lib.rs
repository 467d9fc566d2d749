//! Test support for Warden's end-to-end tests: a mock Llama 3 inference server speaking the
//! OpenAI-compatible and Ollama APIs, and small client helpers. Everything binds 127.0.0.1:0.

pub mod client;
pub mod mock;

pub use mock::{MockUpstream, Recorded};
