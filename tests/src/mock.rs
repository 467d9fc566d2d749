//! A mock Llama 3 server (the only mocked part: it stands outside the gateway).
//!
//! Behaviour is chosen per request with headers, so one mock serves every test:
//! - `x-mock-status: N` answers status N with an upstream-style error body;
//! - `x-mock-delay-ms: N` waits before sending response headers;
//! - `x-mock-gated: 1` sends the first stream frame at once and each later one only after the
//!   test calls [`MockUpstream::release`] (proves incremental forwarding without timing);
//! - `x-mock-pace-ms: N` sleeps N ms between stream frames;
//! - `x-mock-frames: N` number of content frames in a stream (default 3);
//! - `x-mock-answer: TEXT` (percent-encoded) answers TEXT instead of the default words,
//!   streamed in pieces of `x-mock-piece: N` bytes (default 8).
//!
//! Routes: `POST /v1/chat/completions`, `POST /v1/completions` (SSE when `"stream": true`),
//! `POST /api/chat`, `POST /api/generate` (NDJSON unless `"stream": false`), `GET /v1/models`,
//! `GET /api/tags`, and anything else echoes the request back as JSON.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};

type Body = BoxBody<Bytes, Infallible>;

/// A request as the mock received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Debug)]
struct State {
    /// Off for load tests, where recording every request would grow without bound.
    record: bool,
    requests: Mutex<Vec<Recorded>>,
    gate: Semaphore,
    streams_cancelled: AtomicUsize,
    streams_completed: AtomicUsize,
    /// When each cancelled stream saw its client (the gateway) go away.
    cancelled_at: Mutex<Vec<std::time::Instant>>,
    /// Stream frames handed to the connection so far, all streams together.
    frames_sent: AtomicUsize,
}

/// A running mock upstream.
#[derive(Debug, Clone)]
pub struct MockUpstream {
    addr: SocketAddr,
    state: Arc<State>,
}

impl MockUpstream {
    /// Start on 127.0.0.1:0, recording requests.
    pub async fn start() -> MockUpstream {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        MockUpstream::start_on(addr, true)
            .await
            .expect("bind loopback port 0")
    }

    /// Start on `addr`; `record` keeps every request for [`MockUpstream::requests`].
    pub async fn start_on(addr: SocketAddr, record: bool) -> std::io::Result<MockUpstream> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(State {
            record,
            requests: Mutex::default(),
            gate: Semaphore::new(0),
            streams_cancelled: AtomicUsize::new(0),
            streams_completed: AtomicUsize::new(0),
            cancelled_at: Mutex::default(),
            frames_sent: AtomicUsize::new(0),
        });
        let st = state.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let st = st.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(handle(st, req).await) }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(MockUpstream { addr, state })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Let one more gated frame out.
    pub fn release(&self, frames: usize) {
        self.state.gate.add_permits(frames);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.state
            .requests
            .lock()
            .expect("mock state not poisoned")
            .clone()
    }

    /// Streams whose client (the gateway) went away before the last frame.
    pub fn streams_cancelled(&self) -> usize {
        self.state.streams_cancelled.load(Ordering::SeqCst)
    }

    pub fn streams_completed(&self) -> usize {
        self.state.streams_completed.load(Ordering::SeqCst)
    }

    /// When each cancelled stream noticed that the gateway dropped it (the mock watches for
    /// that while it waits for its next frame, so this is the moment the connection closed).
    pub fn cancelled_at(&self) -> Vec<std::time::Instant> {
        self.state
            .cancelled_at
            .lock()
            .expect("mock state not poisoned")
            .clone()
    }

    /// Stream frames sent so far, all streams together.
    pub fn frames_sent(&self) -> usize {
        self.state.frames_sent.load(Ordering::SeqCst)
    }
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.parse().ok()
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed())
        .expect("valid mock response")
}

async fn handle(state: Arc<State>, request: Request<Incoming>) -> Response<Body> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if state.record {
        state
            .requests
            .lock()
            .expect("mock state not poisoned")
            .push(Recorded {
                method: parts.method.to_string(),
                uri: parts.uri.to_string(),
                headers: parts.headers.clone(),
                body: body.clone(),
            });
    }
    let headers = &parts.headers;
    if let Some(ms) = header_u64(headers, "x-mock-delay-ms") {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if let Some(status) = header_u64(headers, "x-mock-status") {
        let status = StatusCode::from_u16(status as u16).unwrap_or(StatusCode::IM_A_TEAPOT);
        let body = if parts.uri.path().starts_with("/api/") {
            r#"{"error":"model \"llama3\" not found, try pulling it first"}"#
        } else {
            r#"{"error":{"message":"Rate limit reached for llama3","type":"rate_limit_error","code":"rate_limited"}}"#
        };
        return full(status, "application/json", body);
    }
    let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    let stream_flag = json.get("stream").and_then(serde_json::Value::as_bool);
    let frames = header_u64(headers, "x-mock-frames").unwrap_or(3) as usize;
    let pace = header_u64(headers, "x-mock-pace-ms").map(Duration::from_millis);
    let gated = headers.contains_key("x-mock-gated");
    let answer = headers
        .get("x-mock-answer")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode);
    let piece = header_u64(headers, "x-mock-piece").unwrap_or(8).max(1) as usize;
    let pieces: Vec<String> = match &answer {
        Some(text) => split_pieces(text, piece),
        None => (0..frames).map(|i| word(i).to_string()).collect(),
    };
    let full_text: String = answer.clone().unwrap_or_else(|| WORDS.concat());
    let path = parts.uri.path();
    match (parts.method.as_str(), path) {
        ("POST", "/v1/chat/completions") | ("POST", "/v1/completions") => {
            let chat = path == "/v1/chat/completions";
            if stream_flag == Some(true) {
                let lines = openai_stream(chat, &pieces);
                stream(state, "text/event-stream", lines, pace, gated)
            } else {
                full(
                    StatusCode::OK,
                    "application/json",
                    openai_unary(chat, &full_text).to_string(),
                )
            }
        }
        ("POST", "/api/chat") | ("POST", "/api/generate") => {
            let chat = path == "/api/chat";
            if stream_flag == Some(false) {
                full(
                    StatusCode::OK,
                    "application/json",
                    ollama_unary(chat, &full_text).to_string(),
                )
            } else {
                stream(
                    state,
                    "application/x-ndjson",
                    ollama_stream(chat, &pieces),
                    pace,
                    gated,
                )
            }
        }
        ("GET", "/v1/models") => full(
            StatusCode::OK,
            "application/json",
            r#"{"object":"list","data":[{"id":"llama3","object":"model","owned_by":"mock"}]}"#,
        ),
        ("GET", "/api/tags") => full(
            StatusCode::OK,
            "application/json",
            r#"{"models":[{"name":"llama3:latest","model":"llama3:latest"}]}"#,
        ),
        _ => {
            let echoed: serde_json::Map<String, serde_json::Value> = parts
                .headers
                .iter()
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        serde_json::Value::String(v.to_str().unwrap_or("").to_string()),
                    )
                })
                .collect();
            let echo = serde_json::json!({
                "method": parts.method.as_str(),
                "uri": parts.uri.to_string(),
                "headers": echoed,
                "body": String::from_utf8_lossy(&body),
            });
            full(StatusCode::OK, "application/json", echo.to_string())
        }
    }
}

/// The words the mock model answers with, one per frame.
pub const WORDS: [&str; 6] = ["Hello", " there", ", how", " can", " I", " help?"];

fn word(i: usize) -> &'static str {
    WORDS[i % WORDS.len()]
}

fn openai_unary(chat: bool, text: &str) -> serde_json::Value {
    if chat {
        serde_json::json!({"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"llama3",
            "choices":[{"index":0,"message":{"role":"assistant","content":text},"finish_reason":"stop"}],
            "usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}})
    } else {
        serde_json::json!({"id":"cmpl-1","object":"text_completion","created":1,"model":"llama3",
            "choices":[{"index":0,"text":text,"finish_reason":"stop"}]})
    }
}

fn openai_stream(chat: bool, pieces: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    for piece in pieces {
        let chunk = if chat {
            serde_json::json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3",
                "choices":[{"index":0,"delta":{"content":piece},"finish_reason":null}]})
        } else {
            serde_json::json!({"id":"cmpl-1","object":"text_completion","created":1,"model":"llama3",
                "choices":[{"index":0,"text":piece,"finish_reason":null}]})
        };
        lines.push(format!("data: {chunk}\n\n"));
    }
    let last = if chat {
        serde_json::json!({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"llama3",
            "choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})
    } else {
        serde_json::json!({"id":"cmpl-1","object":"text_completion","created":1,"model":"llama3",
            "choices":[{"index":0,"text":"","finish_reason":"stop"}]})
    };
    lines.push(format!("data: {last}\n\n"));
    lines.push("data: [DONE]\n\n".to_string());
    lines
}

fn ollama_unary(chat: bool, text: &str) -> serde_json::Value {
    if chat {
        serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
            "message":{"role":"assistant","content":text},"done":true,"done_reason":"stop"})
    } else {
        serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
            "response":text,"done":true,"done_reason":"stop"})
    }
}

fn ollama_stream(chat: bool, pieces: &[String]) -> Vec<String> {
    let frames = pieces.len();
    let mut lines = Vec::new();
    for piece in pieces {
        let v = if chat {
            serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                "message":{"role":"assistant","content":piece},"done":false})
        } else {
            serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                "response":piece,"done":false})
        };
        lines.push(format!("{v}\n"));
    }
    let last = if chat {
        serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
            "message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":frames})
    } else {
        serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
            "response":"","done":true,"done_reason":"stop","eval_count":frames})
    };
    lines.push(format!("{last}\n"));
    lines
}

fn stream(
    state: Arc<State>,
    content_type: &str,
    frames: Vec<String>,
    pace: Option<Duration>,
    gated: bool,
) -> Response<Body> {
    let (tx, rx) = mpsc::channel::<Result<Frame<Bytes>, Infallible>>(1);
    tokio::spawn(async move {
        let cancelled = |state: &State| {
            state
                .cancelled_at
                .lock()
                .expect("mock state not poisoned")
                .push(std::time::Instant::now());
            state.streams_cancelled.fetch_add(1, Ordering::SeqCst);
        };
        for (i, frame) in frames.into_iter().enumerate() {
            if i > 0 {
                // Waiting for the next frame, as a model generating it would: a gateway that
                // goes away meanwhile is noticed at once.
                let wait = async {
                    if gated {
                        match state.gate.acquire().await {
                            Ok(permit) => permit.forget(),
                            Err(_) => return false,
                        }
                    }
                    if let Some(pace) = pace {
                        tokio::time::sleep(pace).await;
                    }
                    true
                };
                tokio::select! {
                    go_on = wait => if !go_on { return },
                    () = tx.closed() => {
                        cancelled(&state);
                        return;
                    }
                }
            }
            if tx.send(Ok(Frame::data(Bytes::from(frame)))).await.is_err() {
                cancelled(&state);
                return;
            }
            state.frames_sent.fetch_add(1, Ordering::SeqCst);
        }
        state.streams_completed.fetch_add(1, Ordering::SeqCst);
    });
    let body = StreamBody::new(tokio_stream_from(rx));
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", content_type)
        .body(BodyExt::boxed(body))
        .expect("valid mock response")
}

fn tokio_stream_from<T: Send + 'static>(
    mut rx: mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + Sync {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Split on char boundaries into pieces of about `size` bytes.
fn split_pieces(text: &str, size: usize) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for ch in text.chars() {
        current.push(ch);
        if current.len() >= size {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

/// Decode `%XX` escapes (header values cannot carry newlines or non-ASCII text).
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Encode text for an `x-mock-answer` header.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b' '
            | b'-'
            | b'_'
            | b'.'
            | b','
            | b'!'
            | b'?' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
