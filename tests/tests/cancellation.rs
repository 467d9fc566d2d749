//! End-to-end: a client that goes away mid-stream cancels the upstream request, in every
//! streaming mode and on both streaming APIs.
//!
//! The mock upstream stalls after its first frame (its gate never opens), so nothing but the
//! client's disconnect can end the upstream request: a gateway that noticed the disconnect
//! only on its next write, or only when the answer ended, would leave the upstream stream
//! open until the test's patience ran out. The client is a raw TCP connection, so it can go
//! away before it has seen a single byte of the answer (a held-back or buffered answer sends
//! nothing until it has been checked). The time from the disconnect to the moment the mock
//! saw its connection close is printed per case; docs/benchmarks.md records the figures.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::client::eventually;
use warden_e2e::guarded::{one_policy, start_guarded, test_config};

/// How the gateway is configured for a case.
#[derive(Debug, Clone, Copy)]
enum Mode {
    /// A policy that checks nothing: a plain streaming proxy.
    PassThrough,
    /// No `--policies`: the built-in `default` preset (code scanning of answers, no guard).
    DefaultPreset,
    /// The toy guard judges the answer in windows while it streams.
    Window,
    /// The toy guard judges the whole answer before any of it is sent.
    Buffer,
    /// The answer streams at once; the toy guard judges it alongside.
    Async,
}

/// The streamed routes: both OpenAI-compatible (SSE) and both Ollama (NDJSON) endpoints.
const ROUTES: [(&str, &str); 4] = [
    (
        "/v1/chat/completions",
        r#"{"model":"llama3","messages":[{"role":"user","content":"Hi"}],"stream":true}"#,
    ),
    (
        "/v1/completions",
        r#"{"model":"llama3","prompt":"Hi","stream":true}"#,
    ),
    (
        "/api/chat",
        r#"{"model":"llama3","messages":[{"role":"user","content":"Hi"}],"stream":true}"#,
    ),
    ("/api/generate", r#"{"model":"llama3","prompt":"Hi"}"#),
];

fn guarded_policy(streaming: &str) -> String {
    one_policy(&format!(
        "    guard: {{ template: lg2, prompts: false, responses: true }}
    code: {{ prompts: false, responses: true }}
    streaming: {{ mode: {streaming} }}
"
    ))
}

struct Env {
    mock: MockUpstream,
    warden: RunningServer,
    _dir: Option<tempfile::TempDir>,
}

async fn env(mode: Mode) -> Env {
    let mock = MockUpstream::start().await;
    let (dir, guarded) = match mode {
        Mode::PassThrough => (
            Some(warden_e2e::policy_dir(warden_e2e::PASSTHROUGH_POLICY)),
            false,
        ),
        Mode::DefaultPreset => (None, false),
        Mode::Window => (
            Some(warden_e2e::policy_dir(&guarded_policy("window"))),
            true,
        ),
        Mode::Buffer => (
            Some(warden_e2e::policy_dir(&guarded_policy("buffer"))),
            true,
        ),
        Mode::Async => (Some(warden_e2e::policy_dir(&guarded_policy("async"))), true),
    };
    let mut config = test_config(&mock.url(), Path::new(""));
    // No directory: the built-in default preset, as `warden serve --upstream URL` runs.
    config.policies = dir.as_ref().map(|d| d.path().to_path_buf());
    let warden = if guarded {
        start_guarded(config).await
    } else {
        RunningServer::start(config).await.expect("warden starts")
    };
    Env {
        mock,
        warden,
        _dir: dir,
    }
}

/// Send a JSON `POST` on a raw connection (so the test can leave at any point), with `extra`
/// header lines (each ending in `\r\n`) for the mock.
async fn post_raw(env: &Env, path: &str, body: &str, extra: &str) -> TcpStream {
    let mut conn = TcpStream::connect(env.warden.addr())
        .await
        .expect("connect to warden");
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: warden\r\ncontent-type: application/json\r\n\
         {extra}content-length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("send request");
    conn
}

/// Open a streamed request on a raw connection, wait until the upstream has started
/// answering, then close the connection. Returns the instant of the close.
async fn open_and_leave(env: &Env, path: &str, body: &str) -> Instant {
    // Counted before sending, so a first frame that comes back at once is not missed.
    let before = env.mock.frames_sent();
    let conn = post_raw(env, path, body, "x-mock-gated: 1\r\nx-mock-frames: 50\r\n").await;
    eventually("the upstream sends its first frame", || {
        env.mock.frames_sent() > before
    })
    .await;
    // Let the gateway take the frame in (and start any check it triggers) before leaving.
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(conn);
    Instant::now()
}

async fn check_mode(mode: Mode) {
    let env = env(mode).await;
    let mut report = Vec::new();
    for (i, (path, body)) in ROUTES.iter().enumerate() {
        let left_at = open_and_leave(&env, path, body).await;
        eventually(
            &format!("{mode:?} {path}: the upstream request is cancelled"),
            || env.mock.streams_cancelled() == i + 1,
        )
        .await;
        let cancelled_at = env.mock.cancelled_at();
        let at = cancelled_at.last().copied().expect("a cancellation time");
        let after = at.saturating_duration_since(left_at);
        report.push(format!("{path} {:.1} ms", after.as_secs_f64() * 1000.0));
        // The stalled stream never sent a second frame: it was the disconnect that ended it.
        assert_eq!(env.mock.streams_completed(), 0, "{mode:?} {path}");
    }
    eprintln!(
        "cancellation after client left, {mode:?}: {}",
        report.join(", ")
    );
    eventually("in-flight gauge back to zero", || {
        env.warden.gateway().metrics().in_flight_requests.get() == 0
    })
    .await;
    // The upstream connections the cancelled streams used are gone, not parked for reuse.
    let upstream = env.warden.gateway().upstream();
    assert_eq!(upstream.idle(), 0, "{mode:?}");
    let discarded = upstream
        .stats()
        .discarded
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(discarded, ROUTES.len() as u64, "{mode:?}");
}

#[tokio::test]
async fn pass_through_cancels_the_upstream_when_the_client_leaves() {
    check_mode(Mode::PassThrough).await;
}

#[tokio::test]
async fn default_preset_cancels_the_upstream_when_the_client_leaves() {
    check_mode(Mode::DefaultPreset).await;
}

#[tokio::test]
async fn window_mode_cancels_the_upstream_when_the_client_leaves() {
    check_mode(Mode::Window).await;
}

#[tokio::test]
async fn buffer_mode_cancels_the_upstream_when_the_client_leaves() {
    check_mode(Mode::Buffer).await;
}

#[tokio::test]
async fn async_mode_cancels_the_upstream_when_the_client_leaves() {
    check_mode(Mode::Async).await;
}

/// A client that leaves while the upstream has not yet sent its response head (a slow first
/// token, a queue in front of the model): the gateway drops the exchange, the upstream
/// connection closes, and it is counted as discarded rather than lost from the metrics.
#[tokio::test]
async fn a_client_that_leaves_before_the_response_head_discards_the_upstream_connection() {
    for mode in [Mode::PassThrough, Mode::DefaultPreset] {
        let env = env(mode).await;
        let (path, body) = ROUTES[0];
        let conn = post_raw(&env, path, body, "x-mock-delay-ms: 30000\r\n").await;
        eventually("the upstream has the request", || {
            env.mock.requests().len() == 1
        })
        .await;
        drop(conn);
        let upstream = env.warden.gateway().upstream();
        eventually(
            &format!("{mode:?}: the connection counted as discarded"),
            || {
                upstream
                    .stats()
                    .discarded
                    .load(std::sync::atomic::Ordering::Relaxed)
                    == 1
            },
        )
        .await;
        assert_eq!(upstream.idle(), 0, "{mode:?}");
        eventually("in-flight gauge back to zero", || {
            env.warden.gateway().metrics().in_flight_requests.get() == 0
        })
        .await;
    }
}
