//! Test support for Warden's end-to-end tests: a mock Llama 3 inference server speaking the
//! OpenAI-compatible and Ollama APIs, and small client helpers. Everything binds 127.0.0.1:0.

pub mod client;
pub mod guarded;
pub mod mock;

pub use mock::{MockUpstream, Recorded};

/// A policy directory holding one `policies.yaml` with `yaml`; removed when dropped.
pub fn policy_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("policies.yaml"), yaml).expect("write policy");
    dir
}

/// A policy that checks nothing: the gateway is a plain streaming proxy.
pub const PASSTHROUGH_POLICY: &str = "version: 1
policies:
  - name: passthrough
    guard:
      prompts: false
      responses: false
    code:
      prompts: false
      responses: false
";
