//! Warden policy files: raw serde types compiled into an immutable `PolicySet`, validated with
//! file:line:column errors, swapped atomically by the `PolicyStore` on reload.
//!
//! The one non-obvious choice: `extends` is resolved field by field at compile time (a value is
//! the first one set along the chain), and each policy's own values are checked in its own
//! file, so every problem is reported exactly once, where it was written, and the compiled
//! `Policy` the proxy sees has no inheritance left in it.
//!
//! How the proxy uses it, per request:
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use warden_policies::{PolicyStore, RouteInfo, ScanCatalog, api_key_sha256};
//! # use warden_guard_model::{JudgedRole, Turn, TurnRole};
//! # fn demo(headers: &http::HeaderMap) -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(PolicyStore::open("policies", ScanCatalog::builtin())?);
//! let _watch = store.watch()?; // reload on file change; SIGHUP / admin call `store.reload()`
//!
//! let set = store.load(); // one snapshot for the whole request, streaming included
//! let key = api_key_sha256("sk-from-the-authorization-header");
//! let policy = set.select(&RouteInfo {
//!     path: "/v1/chat/completions",
//!     model: Some("llama3"),
//!     api_key_sha256: Some(&key),
//!     headers,
//! });
//! if let Some(params) = policy.guard_request(JudgedRole::User) {
//!     let request = params.request(vec![Turn { role: TurnRole::User, content: "hi".into() }]);
//!     // classify under `params.timeout`; then `policy.decide_guard(&verdict)`, or
//!     // `policy.on_guard_error(&err)` on error/timeout/overload (fail mode).
//!     # let _ = request;
//! }
//! # Ok(()) }
//! ```

pub mod cli;
pub mod compile;
mod diag;
pub mod error;
pub mod policy;
pub mod presets;
pub mod raw;
pub mod set;
pub mod store;

pub use cli::{PolicyCommand, TestSummary, explain, run_policy_command, run_tests};
pub use compile::{PolicySource, ScanCatalog, compile, read_dir_sources};
pub use diag::{Diagnostic, Diagnostics};
pub use error::{PolicyError, PolicyLoadError};
pub use policy::{
    Action, BlockResponse, CategoryHit, CategoryRule, CodePolicy, Decision, FailMode, GuardParams,
    GuardPolicy, INJECTION_LABELS, InjectionHit, InjectionPart, InjectionPolicy, InjectionScore,
    LabelRule, Mode, Policy, RuleAction, StreamingMode,
};
pub use set::{PolicySet, PolicyTest, Route, RouteInfo, Selection, TestSample, api_key_sha256};
pub use store::{PolicyStore, PolicyWatcher, ReloadOutcome, ReloadStatus, load_dir};

/// The JSON Schema of policy files, pretty-printed (what `warden policy schema` prints and
/// `policies/schema.json` holds).
pub fn schema_json() -> String {
    let schema = schemars::schema_for!(raw::RawPolicyFile);
    serde_json::to_string_pretty(&schema).unwrap_or_else(|e| {
        // Serialising a schema (plain JSON values) cannot fail; keep the reason if it ever does.
        format!("{{\"error\": {:?}}}", e.to_string())
    })
}
