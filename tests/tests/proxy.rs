//! End-to-end: the real Warden server on 127.0.0.1:0 in front of the mock upstream.

use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::json;
use warden::{Config, RunningServer};
use warden_e2e::MockUpstream;
use warden_e2e::client::{
    self, Answer, eventually, h2c, http1, next_data, open, post_json, request, send,
};

/// What the gateway checks in a conformance run. Every streaming check runs under both: a
/// gateway with its built-in `default` preset (code scanning of answers on) must stream like
/// a plain proxy for answers that hold no code.
#[derive(Debug, Clone, Copy)]
enum Setup {
    /// A policy that checks nothing: the gateway is a plain streaming reverse proxy.
    PassThrough,
    /// No `--policies`: the built-in `default` preset, as `warden serve --upstream URL` runs.
    DefaultPreset,
}

const SETUPS: [Setup; 2] = [Setup::PassThrough, Setup::DefaultPreset];

/// The foundation's behaviour: a policy that checks nothing.
async fn start(upstream: &str, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    start_as(Setup::PassThrough, upstream, tweak).await
}

async fn start_as(setup: Setup, upstream: &str, tweak: impl FnOnce(&mut Config)) -> RunningServer {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    let policies = match setup {
        Setup::PassThrough => Some(
            DIR.get_or_init(|| warden_e2e::policy_dir(warden_e2e::PASSTHROUGH_POLICY))
                .path()
                .to_path_buf(),
        ),
        Setup::DefaultPreset => None,
    };
    let mut config = Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: upstream.parse().expect("upstream url"),
        policies,
        ..Config::default()
    };
    tweak(&mut config);
    RunningServer::start(config).await.expect("warden starts")
}

fn url(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.addr())
}

fn admin(server: &RunningServer, path: &str) -> String {
    format!("http://{}{path}", server.admin_addr())
}

fn chat_body(stream: bool) -> serde_json::Value {
    json!({"model":"llama3","messages":[{"role":"user","content":"Hi"}],"stream":stream})
}

#[tokio::test]
async fn unary_chat_passes_through_unchanged() {
    for setup in SETUPS {
        unary_chat_unchanged(setup).await;
    }
}

async fn unary_chat_unchanged(setup: Setup) {
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |_| {}).await;
    let client = http1();
    let direct = post_json(
        &client,
        &format!("{}/v1/chat/completions", mock.url()),
        &chat_body(false),
        &[],
    )
    .await;
    let via = post_json(
        &client,
        &url(&warden, "/v1/chat/completions"),
        &chat_body(false),
        &[],
    )
    .await;
    assert_eq!(via.status, StatusCode::OK, "{setup:?}");
    assert_eq!(via.body, direct.body, "{setup:?}");
    assert_eq!(via.headers["content-type"], "application/json");
    assert!(via.headers.contains_key("x-request-id"));
    assert_eq!(via.headers["via"], "1.1 warden");
    // The request body reached the upstream byte for byte.
    let seen = mock.requests();
    assert_eq!(
        seen.last().expect("recorded").body,
        chat_body(false).to_string()
    );
}

/// Read the first frame, then let the mock produce the next one only after the client has
/// it: a gateway that buffered would never deliver the first frame and the test would fail.
async fn assert_incremental(
    setup: Setup,
    path: &str,
    body: serde_json::Value,
    content_type: &str,
    frames: usize,
) {
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |_| {}).await;
    let client = http1();
    let req = request(
        Method::POST,
        &url(&warden, path),
        body.to_string(),
        &[
            ("content-type", "application/json"),
            ("x-mock-gated", "1"),
            ("x-mock-frames", &frames.to_string()),
        ],
    );
    let response = open(&client, req).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], content_type);
    let mut body = response.into_body();
    let mut received = Vec::new();
    // frames content frames + the terminal frame(s)
    let total = if content_type == "text/event-stream" {
        frames + 2
    } else {
        frames + 1
    };
    for i in 0..total {
        // A gateway that held this frame back would wait for the next one, which the mock
        // only sends after the client has this one: the test would time out here.
        let data = next_data(&mut body)
            .await
            .expect("more frames")
            .expect("frame ok");
        received.push(String::from_utf8(data.to_vec()).expect("utf8"));
        assert_eq!(received.len(), i + 1);
        mock.release(1);
    }
    assert!(
        next_data(&mut body).await.is_none(),
        "stream ends after the last frame"
    );
    let joined = received.concat();
    if content_type == "text/event-stream" {
        assert!(
            joined.starts_with("data: {") && joined.contains(r#":"Hello""#),
            "{joined}"
        );
        assert!(joined.ends_with("data: [DONE]\n\n"));
    } else {
        assert_eq!(joined.lines().count(), frames + 1);
        assert!(
            joined
                .lines()
                .last()
                .expect("last line")
                .contains(r#""done":true"#)
        );
    }
    eventually("mock saw the stream complete", || {
        mock.streams_completed() == 1
    })
    .await;
}

#[tokio::test]
async fn sse_streams_incrementally() {
    for setup in SETUPS {
        assert_incremental(
            setup,
            "/v1/chat/completions",
            chat_body(true),
            "text/event-stream",
            4,
        )
        .await;
        assert_incremental(
            setup,
            "/v1/completions",
            json!({"model":"llama3","prompt":"Hi","stream":true}),
            "text/event-stream",
            3,
        )
        .await;
    }
}

#[tokio::test]
async fn ndjson_streams_incrementally() {
    for setup in SETUPS {
        assert_incremental(
            setup,
            "/api/chat",
            json!({"model":"llama3","messages":[{"role":"user","content":"Hi"}]}),
            "application/x-ndjson",
            4,
        )
        .await;
        assert_incremental(
            setup,
            "/api/generate",
            json!({"model":"llama3","prompt":"Hi"}),
            "application/x-ndjson",
            3,
        )
        .await;
    }
}

#[tokio::test]
async fn other_routes_pass_through_with_query_headers_and_body() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |_| {}).await;
    let client = http1();

    let models = send(
        &client,
        request(Method::GET, &url(&warden, "/v1/models"), "", &[]),
    )
    .await;
    assert_eq!(models.status, StatusCode::OK);
    assert_eq!(models.json()["data"][0]["id"], "llama3");
    let tags = send(
        &client,
        request(Method::GET, &url(&warden, "/api/tags"), "", &[]),
    )
    .await;
    assert_eq!(tags.json()["models"][0]["name"], "llama3:latest");

    let echo = send(
        &client,
        request(
            Method::PUT,
            &url(&warden, "/v1/embeddings?dims=8&x=%2F"),
            "raw \u{1F600} bytes",
            &[
                ("authorization", "Bearer sk-test"),
                ("x-custom", "kept"),
                ("connection", "keep-alive, x-hop"),
                ("x-hop", "dropped"),
                ("x-forwarded-for", "203.0.113.7"),
            ],
        ),
    )
    .await;
    let seen = echo.json();
    assert_eq!(seen["method"], "PUT");
    assert_eq!(seen["uri"], "/v1/embeddings?dims=8&x=%2F");
    assert_eq!(seen["body"], "raw \u{1F600} bytes");
    let h = &seen["headers"];
    assert_eq!(h["authorization"], "Bearer sk-test");
    assert_eq!(h["x-custom"], "kept");
    assert!(
        h.get("x-hop").is_none(),
        "header named by Connection is dropped"
    );
    assert_eq!(h["host"], mock.url().trim_start_matches("http://"));
    assert_eq!(h["x-forwarded-for"], "203.0.113.7, 127.0.0.1");
    assert_eq!(h["x-forwarded-proto"], "http");
    assert_eq!(h["via"], "1.1 warden");
}

#[tokio::test]
async fn upstream_errors_pass_through_unchanged() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |_| {}).await;
    let client = http1();
    for (path, status) in [
        ("/v1/chat/completions", "429"),
        ("/api/chat", "404"),
        ("/v1/models", "500"),
    ] {
        let direct = send(
            &client,
            request(
                Method::POST,
                &format!("{}{path}", mock.url()),
                "{}",
                &[("x-mock-status", status)],
            ),
        )
        .await;
        let via = send(
            &client,
            request(
                Method::POST,
                &url(&warden, path),
                "{}",
                &[("x-mock-status", status)],
            ),
        )
        .await;
        assert_eq!(via.status.as_str(), status);
        assert_eq!(via.body, direct.body, "{path}");
    }
}

fn assert_openai_error(answer: &Answer, status: StatusCode, code: &str) {
    assert_eq!(answer.status, status, "{}", answer.text());
    assert_eq!(answer.headers["content-type"], "application/json");
    let body = answer.json();
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert!(body["error"]["type"].is_string());
}

fn assert_ollama_error(answer: &Answer, status: StatusCode) {
    assert_eq!(answer.status, status, "{}", answer.text());
    let body = answer.json();
    assert!(
        body["error"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn body_over_the_cap_is_413_declared_or_streamed() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |c| c.max_body = 1024).await;
    let client = http1();
    let big = "x".repeat(2048);
    let answer = send(
        &client,
        request(
            Method::POST,
            &url(&warden, "/v1/chat/completions"),
            big.clone(),
            &[],
        ),
    )
    .await;
    assert_openai_error(&answer, StatusCode::PAYLOAD_TOO_LARGE, "request_too_large");
    let answer = send(
        &client,
        request(
            Method::POST,
            &url(&warden, "/api/generate"),
            big.clone(),
            &[],
        ),
    )
    .await;
    assert_ollama_error(&answer, StatusCode::PAYLOAD_TOO_LARGE);

    // Chunked (no content-length): the cap trips while streaming.
    let (sender, body) = futures_channel_body();
    let req = http::Request::builder()
        .method(Method::POST)
        .uri(url(&warden, "/v1/embeddings"))
        .body(body)
        .expect("request");
    let raw = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<ChannelBody>();
    let pending = tokio::spawn(async move { raw.request(req).await });
    for _ in 0..4 {
        if sender
            .send(bytes::Bytes::from(vec![b'y'; 512]))
            .await
            .is_err()
        {
            break;
        }
    }
    drop(sender);
    let response = pending.await.expect("join").expect("response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Within the cap still works.
    let ok = send(
        &client,
        request(Method::POST, &url(&warden, "/v1/embeddings"), "small", &[]),
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK);
}

type ChannelBody = http_body_util::StreamBody<
    futures_util::stream::BoxStream<
        'static,
        Result<hyper::body::Frame<bytes::Bytes>, std::convert::Infallible>,
    >,
>;

/// A streaming request body fed through a channel (no content-length).
fn futures_channel_body() -> (tokio::sync::mpsc::Sender<bytes::Bytes>, ChannelBody) {
    use futures_util::StreamExt;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<bytes::Bytes>(1);
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(|b| Ok(hyper::body::Frame::data(b)))
        .boxed();
    (tx, http_body_util::StreamBody::new(stream))
}

#[tokio::test]
async fn unreachable_upstream_is_502_in_the_api_shape() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let warden = start(&format!("http://127.0.0.1:{port}"), |_| {}).await;
    let client = http1();
    let a = post_json(
        &client,
        &url(&warden, "/v1/chat/completions"),
        &chat_body(false),
        &[],
    )
    .await;
    assert_openai_error(&a, StatusCode::BAD_GATEWAY, "upstream_unreachable");
    let a = post_json(&client, &url(&warden, "/api/chat"), &chat_body(false), &[]).await;
    assert_ollama_error(&a, StatusCode::BAD_GATEWAY);
    assert_eq!(
        a.json()["error"],
        "the upstream server could not be reached"
    );
    let a = send(
        &client,
        request(Method::GET, &url(&warden, "/v1/models"), "", &[]),
    )
    .await;
    assert_openai_error(&a, StatusCode::BAD_GATEWAY, "upstream_unreachable");
}

#[tokio::test]
async fn slow_upstream_headers_are_504() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |c| c.upstream_timeout = Duration::from_secs(1)).await;
    let client = http1();
    let a = post_json(
        &client,
        &url(&warden, "/v1/chat/completions"),
        &chat_body(false),
        &[("x-mock-delay-ms", "3000")],
    )
    .await;
    assert_openai_error(&a, StatusCode::GATEWAY_TIMEOUT, "upstream_timeout");
    let a = post_json(
        &client,
        &url(&warden, "/api/generate"),
        &json!({"prompt":"x"}),
        &[("x-mock-delay-ms", "3000")],
    )
    .await;
    assert_ollama_error(&a, StatusCode::GATEWAY_TIMEOUT);
}

#[tokio::test]
async fn stalled_stream_is_cut_not_presented_as_complete() {
    for setup in SETUPS {
        stalled_stream_is_cut_not_presented_as_complete_under(setup).await;
    }
}

async fn stalled_stream_is_cut_not_presented_as_complete_under(setup: Setup) {
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |c| {
        c.stream_idle_timeout = Duration::from_secs(1)
    })
    .await;
    let client = http1();
    let req = request(
        Method::POST,
        &url(&warden, "/v1/chat/completions"),
        chat_body(true).to_string(),
        &[("x-mock-gated", "1")],
    );
    let mut body = open(&client, req).await.into_body();
    next_data(&mut body)
        .await
        .expect("first frame")
        .expect("ok");
    // The gate never opens: the gateway must fail the body, not end it cleanly.
    match next_data(&mut body).await {
        Some(Err(_)) => {}
        other => panic!("expected a broken stream, got {other:?}"),
    }
}

#[tokio::test]
async fn client_disconnect_cancels_the_upstream_stream() {
    for setup in SETUPS {
        client_disconnect_cancels_the_upstream_stream_under(setup).await;
    }
}

async fn client_disconnect_cancels_the_upstream_stream_under(setup: Setup) {
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |_| {}).await;
    {
        let client = http1();
        let req = request(
            Method::POST,
            &url(&warden, "/api/chat"),
            chat_body(true).to_string(),
            &[("x-mock-gated", "1"), ("x-mock-frames", "50")],
        );
        let mut body = open(&client, req).await.into_body();
        next_data(&mut body)
            .await
            .expect("first frame")
            .expect("ok");
        // client and body dropped here: the connection closes mid-stream
    }
    // The mock stays stalled: only the gateway noticing the client's close can end the
    // upstream stream (releasing frames now would race the close against a write that the
    // kernel still accepts).
    eventually("the upstream stream is cancelled", || {
        mock.streams_cancelled() == 1
    })
    .await;
    eventually("in-flight gauge back to zero", || {
        warden.gateway().metrics().in_flight_requests.get() == 0
    })
    .await;
    // The gateway is still healthy.
    let a = post_json(
        &http1(),
        &url(&warden, "/v1/chat/completions"),
        &chat_body(false),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_streams() {
    for setup in SETUPS {
        graceful_shutdown_finishes_in_flight_streams_under(setup).await;
    }
}

async fn graceful_shutdown_finishes_in_flight_streams_under(setup: Setup) {
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |_| {}).await;
    let addr = warden.addr();
    let client = http1();
    let req = request(
        Method::POST,
        &url(&warden, "/v1/chat/completions"),
        chat_body(true).to_string(),
        &[("x-mock-gated", "1"), ("x-mock-frames", "2")],
    );
    let mut body = open(&client, req).await.into_body();
    next_data(&mut body)
        .await
        .expect("first frame")
        .expect("ok");

    let stopping = tokio::spawn(warden.shutdown());
    // New connections are refused once the listener is closed.
    eventually("listener closed", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
    // The in-flight stream still completes.
    mock.release(10);
    let mut rest = Vec::new();
    while let Some(frame) = next_data(&mut body).await {
        rest.push(frame.expect("frame ok"));
    }
    let text: String = rest
        .iter()
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    tokio::time::timeout(client::PATIENCE, stopping)
        .await
        .expect("shutdown completes once requests finish")
        .expect("join");
}

#[tokio::test]
async fn http2_prior_knowledge_works() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |_| {}).await;
    let client = h2c();
    let a = post_json(
        &client,
        &url(&warden, "/v1/chat/completions"),
        &chat_body(false),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.json()["choices"][0]["message"]["content"],
        "Hello there, how can I help?"
    );
    // The response's Via records the upstream hop's protocol (HTTP/1.1 to the mock).
    assert_eq!(a.headers["via"], "1.1 warden");
    let seen = mock.requests();
    assert_eq!(seen.last().expect("recorded").headers["via"], "2 warden");
}

fn metric_value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| {
            line.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("series {series} not found in:\n{text}"))
}

#[tokio::test]
async fn metrics_after_a_known_sequence() {
    let mock = MockUpstream::start().await;
    let warden = start(&mock.url(), |c| c.max_body = 128).await;
    let client = http1();
    for _ in 0..2 {
        assert_eq!(
            post_json(
                &client,
                &url(&warden, "/v1/chat/completions"),
                &chat_body(false),
                &[]
            )
            .await
            .status,
            StatusCode::OK
        );
    }
    assert_eq!(
        send(
            &client,
            request(Method::GET, &url(&warden, "/api/tags"), "", &[])
        )
        .await
        .status,
        StatusCode::OK
    );
    let big = json!({"prompt": "z".repeat(300)});
    assert_eq!(
        post_json(&client, &url(&warden, "/api/generate"), &big, &[])
            .await
            .status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        send(
            &client,
            request(
                Method::POST,
                &url(&warden, "/api/chat"),
                "{}",
                &[("x-mock-status", "503")]
            )
        )
        .await
        .status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    let scrape = send(
        &client,
        request(Method::GET, &admin(&warden, "/metrics"), "", &[]),
    )
    .await;
    assert_eq!(scrape.status, StatusCode::OK);
    assert!(
        scrape.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("text/plain")
    );
    let text = scrape.text();
    assert_eq!(
        metric_value(
            &text,
            r#"warden_requests_total{route="openai_chat",status="200"}"#
        ),
        2.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"warden_requests_total{route="passthrough",status="200"}"#
        ),
        1.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"warden_requests_total{route="ollama_generate",status="413"}"#
        ),
        1.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"warden_requests_total{route="ollama_chat",status="503"}"#
        ),
        1.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"warden_request_duration_seconds_count{route="openai_chat"}"#
        ),
        2.0
    );
    assert_eq!(
        metric_value(
            &text,
            r#"warden_upstream_duration_seconds_count{route="openai_chat"}"#
        ),
        2.0
    );
    // The 413 never reached the upstream.
    assert_eq!(
        metric_value(
            &text,
            r#"warden_upstream_duration_seconds_count{route="ollama_generate"}"#
        ),
        0.0
    );
    assert_eq!(metric_value(&text, "warden_in_flight_requests"), 0.0);
    // Raw paths never become labels.
    assert!(!text.contains("/api/tags"));

    let health = send(
        &client,
        request(Method::GET, &admin(&warden, "/healthz"), "", &[]),
    )
    .await;
    assert_eq!(health.status, StatusCode::OK);
    let ready = send(
        &client,
        request(Method::GET, &admin(&warden, "/readyz"), "", &[]),
    )
    .await;
    assert_eq!(ready.json()["status"], "ready");
}

#[tokio::test]
async fn client_leaving_before_the_response_head_leaves_nothing_in_flight() {
    for setup in SETUPS {
        client_leaving_before_the_response_head_under(setup).await;
    }
}

/// A client that hangs up while the gateway still waits for the upstream's response head
/// (hyper drops the request's future): the in-flight gauge must come back to zero, or it
/// climbs forever under a load where clients time out (found by the soak).
async fn client_leaving_before_the_response_head_under(setup: Setup) {
    use tokio::io::AsyncWriteExt;
    let mock = MockUpstream::start().await;
    let warden = start_as(setup, &mock.url(), |_| {}).await;
    let routes = [
        ("/v1/chat/completions", chat_body(false)),
        ("/api/chat", chat_body(true)),
    ];
    for (i, (path, body)) in routes.iter().enumerate() {
        let body = body.to_string();
        let mut conn = tokio::net::TcpStream::connect(warden.addr())
            .await
            .expect("connect to warden");
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: warden\r\ncontent-type: application/json\r\n\
             x-mock-delay-ms: 30000\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        conn.write_all(head.as_bytes()).await.expect("send request");
        eventually("the upstream has the request", || {
            mock.requests().len() == i + 1
        })
        .await;
        assert_eq!(
            warden.gateway().metrics().in_flight_requests.get(),
            1,
            "{setup:?} {path}: counted while it waits"
        );
        drop(conn);
        eventually(
            &format!("{setup:?} {path}: in-flight gauge back to zero"),
            || warden.gateway().metrics().in_flight_requests.get() == 0,
        )
        .await;
    }
}
