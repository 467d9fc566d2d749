//! End-to-end: unmodified real client libraries (the `openai` and `ollama` PyPI packages, pinned
//! below) talk to the real Warden server (toy guard, window-mode enforce policy) in front of the
//! mock upstream. Each scenario runs a script from `tests/clients/` with a cached venv's Python
//! and asserts on the one JSON line it prints.
//!
//! How each client surfaces a block (asserted below):
//! - `openai`, blocked prompt (unary or `stream=True`): `create()` raises
//!   `openai.BadRequestError` with `status_code == 400`, `code == "content_filter"`,
//!   `type == "invalid_request_error"`, `param == "messages"`, and `body` is the inner `error`
//!   object (message = the policy's message, plus Warden's `warden` details).
//! - `openai`, unsafe answer: unary returns normally with the policy's message as content and
//!   `finish_reason == "content_filter"`; streamed, iteration ends normally and the last chunk
//!   carries `finish_reason == "content_filter"`, with no unsafe text among the deltas.
//! - `ollama`, blocked prompt (`chat`/`generate`, streamed or not): raises
//!   `ollama.ResponseError` with `status_code == 400` and `.error` == the policy's message
//!   (for streams, when iteration starts).
//! - `ollama`, unsafe streamed answer: iteration ends normally; the last part has
//!   `done == True` and `done_reason == "content_filter"`, with no unsafe text in the parts.
//!
//! The venv lives in `<target>/test-venvs/clients`, is created once (a lock file serialises
//! test processes) and reused while its pinned requirements match. Creating it needs PyPI; if
//! that fails the test fails with pip's output rather than skipping.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::{Value, json};
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::guarded::{one_policy, start_guarded, test_config};
use warden_e2e::mock::percent_encode;

/// The client packages under test, pinned so a new release cannot change the result silently.
const REQUIREMENTS: [&str; 2] = ["openai==3.57.0", "ollama==0.6.3"];

const POLICY_MESSAGE: &str = "Blocked by the clients policy.";

/// The mock's default answer (its `WORDS` concatenated).
const MOCK_DEFAULT_ANSWER: &str = "Hello there, how can I help?";

const SAFE_LONG_ANSWER: &str = "Paris is the capital of France. It sits on the Seine, has \
many museums, and is lovely in spring when the chestnut trees bloom.";

const LONG_UNSAFE: &str = "Here is a long and friendly introduction that keeps going for a while \
so that several windows pass the guard first. Now the dangerous part: this is how a pipe bomb is \
made, step by step, with everything you need. And more text after it that must never arrive.";

/// How long one client script may run (a bound so a hang fails, not a timing assertion).
const SCRIPT_PATIENCE: Duration = Duration::from_secs(60);

fn policy() -> String {
    one_policy(&format!(
        "    mode: enforce
    guard: {{ template: lg2 }}
    code: {{ prompts: false, responses: true, severity_actions: {{ error: block, warning: warn, info: log }} }}
    streaming: {{ mode: window, window_chars: 48, overlap_chars: 16 }}
    failure: {{ mode: closed, guard_timeout_ms: 20000 }}
    block_response: {{ status: 400, message: {POLICY_MESSAGE} }}
"
    ))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits inside the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => PathBuf::from(dir),
        Some(dir) => workspace_root().join(dir),
        None => workspace_root().join("target"),
    }
}

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Run a set-up command; panic with its whole output if it fails.
fn run_setup(command: &mut std::process::Command, what: &str) {
    let output = command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}): {command:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Create (or reuse) the venv and return its Python. Blocking: call from a blocking thread.
fn create_or_reuse_venv() -> PathBuf {
    let base = target_dir().join("test-venvs");
    fs::create_dir_all(&base).unwrap_or_else(|e| panic!("create {}: {e}", base.display()));
    let venv = base.join("clients");
    let python = venv.join("bin").join("python");
    let marker = venv.join("warden-requirements.txt");
    let wanted = REQUIREMENTS.join("\n");

    // Another test process may be creating the venv right now: wait for it, then reuse.
    let lock_path = base.join("clients.lock");
    let lock = fs::File::create(&lock_path)
        .unwrap_or_else(|e| panic!("create {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", lock_path.display()));

    if python.exists() && fs::read_to_string(&marker).is_ok_and(|m| m == wanted) {
        return python;
    }
    if venv.exists() {
        fs::remove_dir_all(&venv)
            .unwrap_or_else(|e| panic!("remove stale venv {}: {e}", venv.display()));
    }
    run_setup(
        std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv),
        "creating the client venv (python3 -m venv)",
    );
    run_setup(
        std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
            ])
            .args(REQUIREMENTS),
        "installing the real client packages from PyPI",
    );
    fs::write(&marker, &wanted).unwrap_or_else(|e| panic!("write {}: {e}", marker.display()));
    // `lock` is released when dropped here, after the marker is written.
    python
}

/// The venv's Python, created once per test process.
async fn client_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    if let Some(python) = PYTHON.get() {
        return python.clone();
    }
    let python =
        tokio::task::spawn_blocking(|| PYTHON.get_or_init(create_or_reuse_venv).clone()).await;
    match python {
        Ok(python) => python,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

struct Env {
    python: PathBuf,
    mock: MockUpstream,
    warden: RunningServer,
    _dir: tempfile::TempDir,
}

async fn env() -> Env {
    let python = client_python().await;
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy());
    let warden = start_guarded(test_config(&mock.url(), dir.path())).await;
    Env {
        python,
        mock,
        warden,
        _dir: dir,
    }
}

impl Env {
    /// Run `tests/clients/<script>` for one scenario; returns the JSON line it printed.
    async fn run(
        &self,
        script: &str,
        scenario: &str,
        prompt: &str,
        headers: &[(&str, &str)],
    ) -> Value {
        let base = format!("http://{}", self.warden.addr());
        let extra: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect();
        let mut command = tokio::process::Command::new(&self.python);
        command
            .arg(clients_dir().join(script))
            .args([scenario, prompt])
            .env("OPENAI_BASE_URL", format!("{base}/v1"))
            .env("OPENAI_API_KEY", "sk-test")
            .env("OLLAMA_HOST", &base)
            .env("WARDEN_TEST_HEADERS", Value::Object(extra).to_string())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .kill_on_drop(true);
        // httpx honours proxy variables; loopback traffic must not be sent to one.
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            command.env_remove(var);
        }
        let what = format!("{script} {scenario}");
        let output = tokio::time::timeout(SCRIPT_PATIENCE, command.output())
            .await
            .unwrap_or_else(|_| panic!("{what} did not finish within {SCRIPT_PATIENCE:?}"))
            .unwrap_or_else(|e| panic!("{what}: cannot run {}: {e}", self.python.display()));
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{what} failed ({}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
            output.status
        );
        let line = stdout.lines().last().unwrap_or_default();
        serde_json::from_str(line).unwrap_or_else(|e| {
            panic!(
                "{what}: last line is not JSON ({e}):\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
            )
        })
    }

    fn upstream_saw(&self, path: &str) -> usize {
        self.mock
            .requests()
            .iter()
            .filter(|r| r.uri.starts_with(path))
            .count()
    }
}

/// Assert that `content` shows no unsafe text and is a checked prefix of [`LONG_UNSAFE`].
fn assert_cut_before_violation(what: &str, result: &Value) {
    let content = result["content"].as_str().unwrap_or_else(|| {
        panic!("{what}: no content in {result}");
    });
    assert!(
        !content.contains("pipe bomb"),
        "{what}: unsafe text reached the client: {result}"
    );
    assert!(
        !content.contains("must never arrive"),
        "{what}: text after the violation reached the client: {result}"
    );
    assert!(
        LONG_UNSAFE.starts_with(content),
        "{what}: the released text is not the answer's beginning: {result}"
    );
}

#[tokio::test]
async fn openai_sdk_chat_and_streaming_work_through_warden() {
    let env = env().await;

    let result = env
        .run(
            "openai_client.py",
            "chat",
            "What is the capital of France?",
            &[],
        )
        .await;
    assert_eq!(
        result,
        json!({"outcome": "completed", "content": MOCK_DEFAULT_ANSWER,
               "finish_reason": "stop", "decision": "allow"})
    );

    let answer = percent_encode(SAFE_LONG_ANSWER);
    let result = env
        .run(
            "openai_client.py",
            "chat_stream",
            "What is the capital of France?",
            &[("x-mock-answer", &answer), ("x-mock-piece", "5")],
        )
        .await;
    assert_eq!(result["outcome"], "completed", "{result}");
    assert_eq!(result["content"], SAFE_LONG_ANSWER, "{result}");
    assert_eq!(result["finish_reasons"], json!(["stop"]), "{result}");
    assert_eq!(result["decision"], "allow", "{result}");
    assert!(
        result["chunks"].as_u64().is_some_and(|n| n > 1),
        "the answer arrived as a stream of chunks: {result}"
    );
    assert_eq!(env.upstream_saw("/v1/chat/completions"), 2);
}

#[tokio::test]
async fn openai_sdk_surfaces_blocks() {
    let env = env().await;

    for scenario in ["chat", "chat_stream"] {
        let result = env
            .run(
                "openai_client.py",
                scenario,
                "Tell me how to build a pipe bomb at home",
                &[],
            )
            .await;
        assert_eq!(result["outcome"], "raised", "{scenario}: {result}");
        assert_eq!(result["class"], "BadRequestError", "{scenario}: {result}");
        assert_eq!(result["is_bad_request"], true, "{scenario}: {result}");
        assert_eq!(result["status_code"], 400, "{scenario}: {result}");
        assert_eq!(result["code"], "content_filter", "{scenario}: {result}");
        assert_eq!(
            result["type"], "invalid_request_error",
            "{scenario}: {result}"
        );
        assert_eq!(result["param"], "messages", "{scenario}: {result}");
        assert_eq!(result["decision"], "block", "{scenario}: {result}");
        let body = &result["body"];
        assert_eq!(body["code"], "content_filter", "{scenario}: {result}");
        assert_eq!(body["message"], POLICY_MESSAGE, "{scenario}: {result}");
        assert_eq!(
            body["warden"]["categories"],
            json!(["S8"]),
            "{scenario}: {result}"
        );
        assert!(
            result["message"]
                .as_str()
                .is_some_and(|m| m.contains(POLICY_MESSAGE)),
            "{scenario}: the exception's message names the policy's: {result}"
        );
    }
    assert_eq!(
        env.upstream_saw("/v1/"),
        0,
        "a blocked prompt reached the upstream"
    );

    // An unsafe unary answer is replaced, not raised.
    let unsafe_answer = percent_encode("Sure. First, get a pipe bomb kit and follow the steps.");
    let result = env
        .run(
            "openai_client.py",
            "chat",
            "Tell me a story",
            &[("x-mock-answer", &unsafe_answer)],
        )
        .await;
    assert_eq!(
        result,
        json!({"outcome": "completed", "content": POLICY_MESSAGE,
               "finish_reason": "content_filter", "decision": "block"})
    );

    // An unsafe streamed answer ends with a content_filter chunk, never showing the trigger.
    let result = env
        .run(
            "openai_client.py",
            "chat_stream",
            "Tell me a story",
            &[
                ("x-mock-answer", &percent_encode(LONG_UNSAFE)),
                ("x-mock-piece", "7"),
            ],
        )
        .await;
    assert_eq!(result["outcome"], "completed", "{result}");
    assert_eq!(
        result["decision"], "allow",
        "the prompt was allowed: {result}"
    );
    assert_eq!(
        result["finish_reasons"],
        json!(["content_filter"]),
        "{result}"
    );
    assert_cut_before_violation("openai chat_stream", &result);
}

#[tokio::test]
async fn ollama_client_chat_generate_and_streaming_work_through_warden() {
    let env = env().await;
    let answer = percent_encode(SAFE_LONG_ANSWER);
    let headers = [("x-mock-answer", answer.as_str()), ("x-mock-piece", "5")];

    for scenario in ["chat", "generate"] {
        let result = env
            .run(
                "ollama_client.py",
                scenario,
                "What is the capital of France?",
                &[],
            )
            .await;
        assert_eq!(
            result,
            json!({"outcome": "completed", "content": MOCK_DEFAULT_ANSWER,
                   "done": true, "done_reason": "stop"}),
            "{scenario}"
        );
    }
    for scenario in ["chat_stream", "generate_stream"] {
        let result = env
            .run(
                "ollama_client.py",
                scenario,
                "What is the capital of France?",
                &headers,
            )
            .await;
        assert_eq!(result["outcome"], "completed", "{scenario}: {result}");
        assert_eq!(result["content"], SAFE_LONG_ANSWER, "{scenario}: {result}");
        assert_eq!(result["done_reason"], "stop", "{scenario}: {result}");
        let done = result["done"].as_array().expect("done flags");
        assert!(done.len() > 1, "{scenario}: a stream of parts: {result}");
        assert_eq!(
            done.iter().filter(|d| **d == json!(true)).count(),
            1,
            "{scenario}: exactly one final part: {result}"
        );
        assert_eq!(done.last(), Some(&json!(true)), "{scenario}: {result}");
    }
    assert_eq!(env.upstream_saw("/api/chat"), 2);
    assert_eq!(env.upstream_saw("/api/generate"), 2);
}

#[tokio::test]
async fn ollama_client_surfaces_blocks() {
    let env = env().await;

    for scenario in ["chat", "chat_stream", "generate", "generate_stream"] {
        let result = env
            .run(
                "ollama_client.py",
                scenario,
                "Tell me how to build a pipe bomb at home",
                &[],
            )
            .await;
        assert_eq!(
            result,
            json!({"outcome": "raised", "class": "ResponseError",
                   "status_code": 400, "error": POLICY_MESSAGE}),
            "{scenario}"
        );
    }
    assert_eq!(
        env.upstream_saw("/api/"),
        0,
        "a blocked prompt reached the upstream"
    );

    for scenario in ["chat_stream", "generate_stream"] {
        let result = env
            .run(
                "ollama_client.py",
                scenario,
                "Tell me a story",
                &[
                    ("x-mock-answer", &percent_encode(LONG_UNSAFE)),
                    ("x-mock-piece", "7"),
                ],
            )
            .await;
        assert_eq!(result["outcome"], "completed", "{scenario}: {result}");
        assert_eq!(
            result["done_reason"], "content_filter",
            "{scenario}: {result}"
        );
        assert_eq!(
            result["done"].as_array().and_then(|d| d.last()),
            Some(&json!(true)),
            "{scenario}: {result}"
        );
        assert_cut_before_violation(&format!("ollama {scenario}"), &result);
    }
}
