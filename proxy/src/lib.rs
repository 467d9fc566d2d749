//! Warden: a safety gateway in front of Llama 3 inference servers (Ollama's API and
//! OpenAI-compatible servers). This crate is the process: CLI, configuration, the HTTP server
//! and router, the upstream client, the request pipeline, metrics and admin endpoints.
//!
//! The one non-obvious choice: the pipeline ([`gateway::Gateway::handle`]) is a plain async
//! function over `http` types, independent of sockets, so every phase can be tested directly
//! and the server module stays a thin accept loop.

pub mod admin;
pub mod audit;
pub mod body;
pub mod config;
pub mod conversation;
pub mod error;
pub mod eval;
pub mod gateway;
pub mod guard;
pub mod guard_loader;
mod guarded;
mod http1;
pub mod injection;
#[cfg(test)]
mod json_text;
mod json_view;
pub mod metrics;
pub mod route;
pub mod server;
pub mod stream;
pub mod upstream;
pub mod workers;

pub use config::{Config, ServeArgs};
pub use server::RunningServer;
