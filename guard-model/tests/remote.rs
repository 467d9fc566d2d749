//! The remote backend against a local mock `/v1/completions` server (127.0.0.1:0).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use warden_guard_model::remote::{RemoteClassifier, RemoteOptions};
use warden_guard_model::{
    Classifier, ClassifyRequest, GuardError, JudgedRole, ScoreSource, Template, Turn, TurnRole,
};

/// One scripted answer: status, JSON body, delay before answering.
#[derive(Clone)]
struct Reply {
    status: StatusCode,
    body: Value,
    delay: Duration,
    retry_after: Option<u64>,
    /// Answer only a request whose prompt contains this (for concurrent requests).
    when: Option<&'static str>,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: StatusCode::OK,
        body,
        delay: Duration::ZERO,
        retry_after: None,
        when: None,
    }
}

#[derive(Default)]
struct MockState {
    replies: VecDeque<Reply>,
    requests: Vec<(String, Value)>,
}

/// Starts the mock; returns its base URL and the shared state.
async fn mock(replies: Vec<Reply>) -> (String, Arc<Mutex<MockState>>) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("local addr");
    let state = Arc::new(Mutex::new(MockState {
        replies: replies.into(),
        requests: Vec::new(),
    }));
    let shared = state.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let state = shared.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<Incoming>| {
                    let state = state.clone();
                    async move {
                        let path = req.uri().path().to_string();
                        let body = req.into_body().collect().await.expect("body").to_bytes();
                        let body: Value = serde_json::from_slice(&body).expect("JSON request");
                        let reply = {
                            let mut s = state.lock().expect("mock state");
                            let prompt = body["prompt"].as_str().unwrap_or_default().to_string();
                            s.requests.push((path, body));
                            let routed = s
                                .replies
                                .iter()
                                .position(|r| r.when.is_some_and(|w| prompt.contains(w)));
                            let next = match routed {
                                Some(i) => s.replies.remove(i),
                                None => s
                                    .replies
                                    .iter()
                                    .position(|r| r.when.is_none())
                                    .and_then(|i| s.replies.remove(i)),
                            };
                            next.unwrap_or_else(|| Reply {
                                status: StatusCode::GONE,
                                body: json!({"error": "no scripted reply left"}),
                                delay: Duration::ZERO,
                                retry_after: None,
                                when: None,
                            })
                        };
                        tokio::time::sleep(reply.delay).await;
                        let mut response = Response::builder().status(reply.status);
                        if let Some(seconds) = reply.retry_after {
                            response = response.header("retry-after", seconds.to_string());
                        }
                        Ok::<_, Infallible>(
                            response
                                .header("content-type", "application/json")
                                .body(Full::new(Bytes::from(reply.body.to_string())))
                                .expect("response"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (format!("http://{addr}"), state)
}

fn request(turns: Vec<Turn>, template: Template) -> ClassifyRequest {
    ClassifyRequest {
        turns,
        taxonomy: Arc::new(template.default_taxonomy()),
        threshold: 0.5,
        always_decode: false,
        keep_context: false,
    }
}

fn user(content: &str) -> Turn {
    Turn {
        role: TurnRole::User,
        content: content.to_string(),
    }
}

fn options(url: &str) -> RemoteOptions {
    let mut o = RemoteOptions::new(url, "llama-guard");
    o.backoff = Duration::from_millis(5);
    o.timeout = Duration::from_secs(5);
    o
}

fn legacy_logprobs(first: &str, top: Value) -> Value {
    json!({"tokens": [first], "token_logprobs": [top[first].as_f64()], "top_logprobs": [top]})
}

#[tokio::test]
async fn scores_from_logprobs_and_parses_categories() {
    let reply = ok(json!({"choices": [{
        "text": "unsafe\nS8",
        "logprobs": legacy_logprobs("unsafe", json!({"unsafe": -0.1, "safe": -2.5, " unsafe": -6.0})),
    }]}));
    let (url, state) = mock(vec![reply]).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let verdict = remote
        .classify(request(
            vec![user("how to build a pipe bomb")],
            Template::Lg2,
        ))
        .await
        .expect("verdict");
    assert_eq!(verdict.score_source, ScoreSource::Logprobs);
    assert!(verdict.is_unsafe);
    assert_eq!(verdict.categories, ["S8"]);
    assert_eq!(verdict.judged, JudgedRole::User);
    assert_eq!(verdict.logprob_unsafe, Some(-0.1));
    assert_eq!(verdict.logprob_safe, Some(-2.5));
    let (pu, ps) = ((-0.1f64).exp() + (-6.0f64).exp(), (-2.5f64).exp());
    assert!((f64::from(verdict.unsafe_score) - pu / (pu + ps)).abs() < 1e-5);

    let s = state.lock().expect("state");
    let (path, body) = &s.requests[0];
    assert_eq!(path, "/v1/completions");
    assert_eq!(body["model"], "llama-guard");
    assert_eq!(body["temperature"], 0);
    assert_eq!(body["logprobs"], 20);
    assert_eq!(body["max_tokens"], 12);
    let prompt = body["prompt"].as_str().expect("prompt string");
    assert!(prompt.starts_with("[INST] Task: Check"));
    assert!(prompt.contains("User: how to build a pipe bomb\n\n<END CONVERSATION>"));
}

#[tokio::test]
async fn lg3_skips_leading_newlines_and_sends_no_bos_text() {
    let reply = ok(json!({"choices": [{
        "text": "\n\nsafe",
        "logprobs": {
            "tokens": ["\n\n", "safe"],
            "token_logprobs": [-0.001, -0.02],
            "top_logprobs": [{"\n\n": -0.001}, {"safe": -0.02, "unsafe": -4.0}]
        }
    }]}));
    let (url, state) = mock(vec![reply]).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let turns = vec![
        user("hi"),
        Turn {
            role: TurnRole::Assistant,
            content: "hello".into(),
        },
    ];
    let verdict = remote
        .classify(request(turns, Template::Lg3_8b))
        .await
        .expect("verdict");
    assert!(!verdict.is_unsafe);
    assert!(verdict.unsafe_score < 0.05);
    assert_eq!(verdict.judged, JudgedRole::Agent);
    assert!(verdict.categories.is_empty());
    let s = state.lock().expect("state");
    let prompt = s.requests[0].1["prompt"].as_str().expect("prompt");
    assert!(prompt.starts_with("<|start_header_id|>user<|end_header_id|>\n\nTask"));
}

#[tokio::test]
async fn bos_text_is_sent_once_when_asked() {
    let replies = vec![
        ok(json!({"choices": [{"text": "safe"}]})),
        ok(json!({"choices": [{"text": "safe"}]})),
    ];
    let (url, state) = mock(replies).await;
    let mut o = options(&url);
    o.prepend_bos_text = true;
    let remote = RemoteClassifier::new(o).expect("client");
    for template in [Template::Lg2, Template::Lg3_8b] {
        remote
            .classify(request(vec![user("hi")], template))
            .await
            .expect("verdict");
    }
    let s = state.lock().expect("state");
    let lg2 = s.requests[0].1["prompt"].as_str().expect("prompt");
    assert!(lg2.starts_with("<|begin_of_text|>[INST] Task"), "{lg2}");
    let lg3 = s.requests[1].1["prompt"].as_str().expect("prompt");
    assert!(
        lg3.starts_with("<|begin_of_text|><|start_header_id|>user"),
        "{lg3}"
    );
    assert_eq!(lg3.matches("<|begin_of_text|>").count(), 1);
}

#[tokio::test]
async fn falls_back_to_verdict_text_without_logprobs() {
    let replies = vec![
        ok(json!({"choices": [{"text": "unsafe\nS1,S10", "logprobs": null}]})),
        ok(json!({"choices": [{"text": "safe"}]})),
        ok(json!({"choices": [{"text": "I am not sure"}]})),
    ];
    let (url, _) = mock(replies).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let v = remote
        .classify(request(vec![user("kill my neighbor")], Template::Lg2))
        .await
        .expect("verdict");
    assert_eq!(v.score_source, ScoreSource::VerdictText);
    assert_eq!(v.unsafe_score, 1.0);
    assert_eq!(v.categories, ["S1", "S10"]);
    assert_eq!(v.logprob_unsafe, None);
    let v = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect("verdict");
    assert_eq!(v.score_source, ScoreSource::VerdictText);
    assert!(!v.is_unsafe);
    let err = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("unparsable");
    assert!(matches!(err, GuardError::UnparsableOutput(_)), "{err}");
}

#[tokio::test]
async fn retries_5xx_and_429_then_succeeds() {
    let fail = |status| Reply {
        status,
        body: json!({"error": "busy"}),
        delay: Duration::ZERO,
        retry_after: None,
        when: None,
    };
    let replies = vec![
        fail(StatusCode::SERVICE_UNAVAILABLE),
        fail(StatusCode::TOO_MANY_REQUESTS),
        ok(json!({"choices": [{"text": "safe"}]})),
    ];
    let (url, state) = mock(replies).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let v = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect("third attempt succeeds");
    assert!(!v.is_unsafe);
    assert_eq!(state.lock().expect("state").requests.len(), 3);

    // Retries exhausted: the error names the status.
    let replies = vec![
        fail(StatusCode::INTERNAL_SERVER_ERROR),
        fail(StatusCode::INTERNAL_SERVER_ERROR),
        fail(StatusCode::INTERNAL_SERVER_ERROR),
    ];
    let (url, state) = mock(replies).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let err = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("all attempts fail");
    assert!(err.to_string().contains("500"), "{err}");
    assert_eq!(state.lock().expect("state").requests.len(), 3);

    // 4xx is not retried.
    let (url, state) = mock(vec![fail(StatusCode::BAD_REQUEST)]).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let err = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("bad request");
    assert!(err.to_string().contains("400"), "{err}");
    assert_eq!(state.lock().expect("state").requests.len(), 1);
}

#[tokio::test]
async fn honours_retry_after_and_servers_without_logprobs() {
    let replies = vec![
        Reply {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({"error": "slow down"}),
            delay: Duration::ZERO,
            retry_after: Some(1),
            when: None,
        },
        Reply {
            status: StatusCode::BAD_REQUEST,
            body: json!({"error": {"message": "logprobs is not supported"}}),
            delay: Duration::ZERO,
            retry_after: None,
            when: None,
        },
        ok(json!({"choices": [{"text": "unsafe\nS2"}]})),
        ok(json!({"choices": [{"text": "safe"}]})),
    ];
    let (url, state) = mock(replies).await;
    let remote = RemoteClassifier::new(options(&url)).expect("client");
    let started = std::time::Instant::now();
    let v = remote
        .classify(request(vec![user("steal a car")], Template::Lg2))
        .await
        .expect("verdict");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After ignored"
    );
    assert_eq!(v.score_source, ScoreSource::VerdictText);
    assert_eq!(v.categories, ["S2"]);
    remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect("verdict");
    let s = state.lock().expect("state");
    assert_eq!(s.requests.len(), 4);
    assert!(s.requests[1].1.get("logprobs").is_some());
    assert!(s.requests[2].1.get("logprobs").is_none());
    assert!(
        s.requests[3].1.get("logprobs").is_none(),
        "asked again after a rejection"
    );
}

#[tokio::test]
async fn times_out() {
    let slow = Reply {
        status: StatusCode::OK,
        body: json!({"choices": [{"text": "safe"}]}),
        delay: Duration::from_secs(3),
        retry_after: None,
        when: None,
    };
    let (url, _) = mock(vec![slow]).await;
    let mut o = options(&url);
    o.timeout = Duration::from_millis(200);
    let remote = RemoteClassifier::new(o).expect("client");
    let started = std::time::Instant::now();
    let err = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("times out");
    assert!(matches!(err, GuardError::Timeout(_)), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn connect_errors_are_retried_then_reported() {
    // A port that was just bound and released: nothing listens there.
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        l.local_addr().expect("addr")
    };
    let remote = RemoteClassifier::new(options(&format!("http://{addr}"))).expect("client");
    let err = remote
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("nothing listens");
    let message = err.to_string();
    assert!(message.contains("cannot connect"), "{message}");
    assert!(message.contains("after 3 attempts"), "{message}");
}

fn reply(status: StatusCode, delay: Duration) -> Reply {
    Reply {
        status,
        body: if status.is_success() {
            json!({"choices": [{"text": "safe"}]})
        } else {
            json!({"error": "scripted"})
        },
        delay,
        retry_after: None,
        when: None,
    }
}

/// No retries, so every classification is one request; the breaker opens after 3 failures.
fn breaker_options(url: &str, cool_down: Duration) -> RemoteOptions {
    let mut o = options(url);
    o.retries = 0;
    o.breaker_failures = 3;
    o.breaker_cool_down = cool_down;
    o
}

fn requests_seen(state: &Arc<Mutex<MockState>>) -> usize {
    state.lock().expect("mock state").requests.len()
}

/// Moves tokio's clock (the breaker's) past a cool-down without waiting for it.
async fn skip(d: Duration) {
    tokio::time::pause();
    tokio::time::advance(d).await;
    tokio::time::resume();
}

#[tokio::test]
async fn breaker_opens_on_errors_fails_fast_probes_and_recovers() {
    use warden_guard_model::remote::BreakerState;
    let cool = Duration::from_secs(30);
    let mut replies: Vec<Reply> = (0..3)
        .map(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, Duration::ZERO))
        .collect();
    // The first probe fails, the second succeeds, then normal service.
    replies.push(reply(StatusCode::BAD_GATEWAY, Duration::ZERO));
    replies.push(reply(StatusCode::OK, Duration::ZERO));
    replies.push(reply(StatusCode::OK, Duration::ZERO));
    let (url, state) = mock(replies).await;
    let remote = RemoteClassifier::new(breaker_options(&url, cool)).expect("client");
    let check = || remote.classify(request(vec![user("hello")], Template::Lg2));
    for i in 0..3 {
        let err = check().await.expect_err("500");
        assert!(err.to_string().contains("500"), "{i}: {err}");
        let want = if i < 2 {
            BreakerState::Closed { failures: i + 1 }
        } else {
            BreakerState::Open
        };
        assert_eq!(remote.stats().breaker, want);
    }
    // Open: answered at once, the server sees nothing.
    for _ in 0..5 {
        let err = check().await.expect_err("open");
        assert!(
            matches!(&err, GuardError::Backend(m) if m.contains("circuit open")),
            "{err}"
        );
    }
    assert_eq!(requests_seen(&state), 3);
    assert_eq!(remote.stats().breaker_rejected, 5);
    // After the cool-down one probe goes through; it fails, so the circuit opens again.
    skip(cool).await;
    let err = check().await.expect_err("probe fails");
    assert!(err.to_string().contains("502"), "{err}");
    assert_eq!(requests_seen(&state), 4);
    assert_eq!(remote.stats().breaker, BreakerState::Open);
    assert!(check().await.is_err());
    assert_eq!(requests_seen(&state), 4, "open again: no request");
    // The next probe succeeds and closes it.
    skip(cool).await;
    check().await.expect("probe succeeds");
    assert_eq!(remote.stats().breaker, BreakerState::Closed { failures: 0 });
    check().await.expect("closed again");
    assert_eq!(requests_seen(&state), 6);
    assert_eq!(remote.stats().breaker_opened, 2);
}

#[tokio::test]
async fn a_stalling_server_opens_the_breaker_also_when_callers_give_up_first() {
    use warden_guard_model::remote::BreakerState;
    let stall = Duration::from_secs(3600);
    let replies: Vec<Reply> = (0..6).map(|_| reply(StatusCode::OK, stall)).collect();
    let (url, state) = mock(replies).await;
    // Our own attempt timeout ends the first two.
    let mut o = breaker_options(&url, Duration::from_secs(30));
    o.timeout = Duration::from_millis(100);
    let remote = RemoteClassifier::new(o).expect("client");
    for _ in 0..2 {
        let err = remote
            .classify(request(vec![user("hello")], Template::Lg2))
            .await
            .expect_err("stalls");
        assert!(matches!(err, GuardError::Timeout(_)), "{err}");
    }
    assert_eq!(remote.stats().breaker, BreakerState::Closed { failures: 2 });
    // The third caller gives up before our timeout (as the gateway does at the policy's
    // guard timeout): that counts too.
    let mut o = breaker_options(&url, Duration::from_secs(30));
    o.timeout = Duration::from_secs(3600);
    o.breaker_failures = 1;
    let patient = RemoteClassifier::new(o).expect("client");
    let gave_up = tokio::time::timeout(
        Duration::from_millis(100),
        patient.classify(request(vec![user("hello")], Template::Lg2)),
    )
    .await;
    assert!(gave_up.is_err(), "the caller timed out");
    assert_eq!(patient.stats().breaker, BreakerState::Open);
    let seen = requests_seen(&state);
    let err = patient
        .classify(request(vec![user("hello")], Template::Lg2))
        .await
        .expect_err("open");
    assert!(err.to_string().contains("circuit open"), "{err}");
    assert_eq!(requests_seen(&state), seen);
}

#[tokio::test]
async fn answers_from_a_live_server_do_not_open_the_breaker() {
    use warden_guard_model::remote::BreakerState;
    let mut replies: Vec<Reply> = (0..4)
        .map(|_| reply(StatusCode::BAD_REQUEST, Duration::ZERO))
        .collect();
    replies.push(ok(json!({"choices": [{"text": "no verdict here"}]})));
    let (url, state) = mock(replies).await;
    let remote =
        RemoteClassifier::new(breaker_options(&url, Duration::from_secs(30))).expect("client");
    for _ in 0..5 {
        assert!(
            remote
                .classify(request(vec![user("hello")], Template::Lg2))
                .await
                .is_err()
        );
    }
    assert_eq!(requests_seen(&state), 5);
    assert_eq!(remote.stats().breaker, BreakerState::Closed { failures: 0 });
}

#[tokio::test]
async fn in_flight_bound_refuses_at_once_instead_of_queueing() {
    let replies = vec![
        reply(StatusCode::OK, Duration::from_secs(3600)),
        reply(StatusCode::OK, Duration::ZERO),
    ];
    let (url, state) = mock(replies).await;
    let mut o = options(&url);
    o.max_in_flight = 1;
    let remote = Arc::new(RemoteClassifier::new(o).expect("client"));
    let first = {
        let remote = remote.clone();
        tokio::spawn(async move {
            remote
                .classify(request(vec![user("first")], Template::Lg2))
                .await
        })
    };
    while requests_seen(&state) == 0 {
        tokio::task::yield_now().await;
    }
    assert_eq!(remote.stats().in_flight, 1);
    let err = remote
        .classify(request(vec![user("second")], Template::Lg2))
        .await
        .expect_err("bound reached");
    assert!(
        matches!(err, GuardError::Overloaded { limit: 1, .. }),
        "{err}"
    );
    assert_eq!(remote.stats().overloaded, 1);
    first.abort();
    let _ = first.await;
    assert_eq!(
        remote.stats().in_flight,
        0,
        "the slot is given back on drop"
    );
    remote
        .classify(request(vec![user("third")], Template::Lg2))
        .await
        .expect("a free slot again");
}
#[tokio::test]
async fn long_judged_turn_is_judged_in_windows() {
    let mut replies: Vec<Reply> = (0..40)
        .map(|_| ok(json!({"choices": [{"text": "safe"}]})))
        .collect();
    replies[1] = ok(json!({"choices": [{"text": "unsafe\nS10"}]}));
    let (url, state) = mock(replies).await;
    let mut o = options(&url);
    o.tokenizer = Some(Arc::new(
        warden_guard_model::GuardTokenizer::from_file(common::llama3_tokenizer())
            .expect("tokenizer"),
    ));
    o.max_context = Some(400);
    let remote = RemoteClassifier::new(o).expect("client");
    let long: String = (0..600).map(|i| format!("w{i} ")).collect();
    let verdict = remote
        .classify(request(
            vec![
                user("earlier"),
                Turn {
                    role: TurnRole::Assistant,
                    content: "ok".into(),
                },
                user(&long),
            ],
            Template::Lg2,
        ))
        .await
        .expect("verdict");
    let truncation = verdict.truncation.clone().expect("reported");
    assert_eq!(truncation.dropped_turns, 2);
    assert!(truncation.windows >= 2);
    let sent = state.lock().expect("state").requests.len();
    assert_eq!(sent, truncation.windows);
    // Unsafe because the second window is, with its categories.
    assert!(verdict.is_unsafe);
    assert_eq!(verdict.categories, ["S10"]);
    assert_eq!(verdict.score_source, ScoreSource::VerdictText);
}

mod hub {
    use super::*;
    use warden_guard_model::hub::{HubOptions, resolve};

    const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

    /// A mock hub: the revision listing, `resolve` URLs that redirect to a CDN path, and the
    /// files. Returns its URL and a request log.
    async fn mock_hub(token_required: bool) -> (String, Arc<Mutex<Vec<(String, bool)>>>) {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: Request<Incoming>| {
                        let log = log.clone();
                        async move {
                            let path = req.uri().path().to_string();
                            let authed = req
                                .headers()
                                .get("authorization")
                                .is_some_and(|v| v.to_str().ok() == Some("Bearer secret"));
                            log.lock().expect("log").push((path.clone(), authed));
                            let (status, body, location) =
                                if token_required && !authed && !path.starts_with("/cdn/") {
                                    (StatusCode::UNAUTHORIZED, String::new(), None)
                                } else if path == "/api/models/org/guard/revision/main" {
                                    let listing = json!({"sha": COMMIT, "siblings": [
                                        {"rfilename": "config.json"},
                                        {"rfilename": "tokenizer.json"},
                                        {"rfilename": "model.safetensors"},
                                        {"rfilename": "README.md"},
                                        {"rfilename": "original/params.json"},
                                    {"rfilename": "guard.Q8_0.gguf"},
                                    ]});
                                    (StatusCode::OK, listing.to_string(), None)
                                } else if let Some(file) =
                                    path.strip_prefix(&format!("/org/guard/resolve/{COMMIT}/"))
                                {
                                    if file.ends_with(".safetensors") {
                                        let to = format!("/cdn/{file}");
                                        (StatusCode::FOUND, String::new(), Some(to))
                                    } else {
                                        (StatusCode::OK, format!("contents of {file}"), None)
                                    }
                                } else if let Some(file) = path.strip_prefix("/cdn/") {
                                    (StatusCode::OK, format!("weights {file}").repeat(1000), None)
                                } else {
                                    (StatusCode::NOT_FOUND, String::new(), None)
                                };
                            let mut response = Response::builder().status(status);
                            if let Some(location) = location {
                                response = response.header("location", location);
                            }
                            Ok::<_, Infallible>(
                                response
                                    .body(Full::new(Bytes::from(body)))
                                    .expect("response"),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        (format!("http://{addr}"), log)
    }

    fn hub_options(endpoint: &str, cache: &std::path::Path) -> HubOptions {
        HubOptions {
            endpoint: endpoint.to_string(),
            token: Some("secret".to_string()),
            cache: cache.to_path_buf(),
            offline: false,
            connect_timeout: Duration::from_secs(2),
            progress: false,
        }
    }

    #[tokio::test]
    async fn downloads_into_the_standard_cache_then_uses_it() {
        let (endpoint, log) = mock_hub(true).await;
        let cache = tempfile::tempdir().expect("tempdir");
        let options = hub_options(&endpoint, cache.path());
        let dir = resolve("org/guard", &options).await.expect("downloads");
        let expected = cache
            .path()
            .join("models--org--guard")
            .join("snapshots")
            .join(COMMIT);
        assert_eq!(dir, expected);
        assert_eq!(
            std::fs::read_to_string(dir.join("config.json")).expect("config"),
            "contents of config.json"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("model.safetensors")).expect("weights"),
            "weights model.safetensors".repeat(1000)
        );
        assert!(!dir.join("README.md").exists());
        assert_eq!(
            std::fs::read_to_string(cache.path().join("models--org--guard/refs/main"))
                .expect("ref"),
            COMMIT
        );
        {
            let log = log.lock().expect("log");
            // The token goes to the hub; the redirect target got it too only because it is the
            // same host here.
            assert!(log.iter().all(|(_, authed)| *authed));
            assert_eq!(log.len(), 5);
        }
        // Second time: straight from the cache, no request, even offline.
        let mut offline = options.clone();
        offline.offline = true;
        assert_eq!(
            resolve("org/guard", &offline).await.expect("cached"),
            expected
        );
        assert_eq!(log.lock().expect("log").len(), 5);
    }

    #[tokio::test]
    async fn one_gguf_file_with_its_tokenizer() {
        let (endpoint, log) = mock_hub(true).await;
        let cache = tempfile::tempdir().expect("tempdir");
        let options = hub_options(&endpoint, cache.path());
        let path = resolve("org/guard/guard.Q8_0.gguf", &options)
            .await
            .expect("downloads");
        let snapshot = cache
            .path()
            .join("models--org--guard/snapshots")
            .join(COMMIT);
        assert_eq!(path, snapshot.join("guard.Q8_0.gguf"));
        assert_eq!(
            std::fs::read_to_string(&path).expect("gguf"),
            "contents of guard.Q8_0.gguf"
        );
        assert!(snapshot.join("tokenizer.json").is_file());
        assert!(!snapshot.join("model.safetensors").exists());
        let requests = log.lock().expect("log").len();
        assert_eq!(requests, 3);
        let mut offline = options.clone();
        offline.offline = true;
        assert_eq!(
            resolve("org/guard/guard.Q8_0.gguf", &offline)
                .await
                .expect("cached"),
            path
        );
        let err = resolve("org/guard/guard.Q4_K_M.gguf", &options)
            .await
            .expect_err("no such file");
        assert!(err.to_string().contains("guard.Q8_0.gguf"), "{err}");
    }

    #[tokio::test]
    async fn gated_and_offline_errors_say_what_to_do() {
        let (endpoint, _) = mock_hub(true).await;
        let cache = tempfile::tempdir().expect("tempdir");
        let mut options = hub_options(&endpoint, cache.path());
        options.token = None;
        let err = resolve("org/guard", &options).await.expect_err("gated");
        assert!(err.to_string().contains("HF_TOKEN"), "{err}");

        let mut offline = hub_options(&endpoint, cache.path());
        offline.offline = true;
        let err = resolve("org/guard", &offline).await.expect_err("offline");
        let message = err.to_string();
        assert!(message.contains("HF_HUB_OFFLINE"), "{message}");
        assert!(message.contains("--remote URL"), "{message}");

        let err = resolve("org/missing", &hub_options(&endpoint, cache.path()))
            .await
            .expect_err("missing");
        assert!(err.to_string().contains("404"), "{err}");
    }
}

mod common;

mod cli {
    use super::*;
    use clap::Parser;
    use std::process::ExitCode;
    use warden_guard_model::cli::{ClassifyArgs, run_classify};

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        args: ClassifyArgs,
    }

    fn args(extra: &[&str]) -> ClassifyArgs {
        let mut argv = vec!["warden-classify"];
        argv.extend_from_slice(extra);
        Cli::try_parse_from(argv).expect("valid arguments").args
    }

    async fn run(args: ClassifyArgs, stdin: &str) -> (ExitCode, String) {
        let mut out = Vec::new();
        let code = run_classify(args, stdin.as_bytes(), &mut out)
            .await
            .expect("classify runs");
        (code, String::from_utf8(out).expect("utf-8 output"))
    }

    fn scored(text: &str, unsafe_lp: f64, safe_lp: f64) -> Reply {
        let first = text.split('\n').next().expect("a line");
        ok(json!({"choices": [{
            "text": text,
            "logprobs": legacy_logprobs(first, json!({"unsafe": unsafe_lp, "safe": safe_lp})),
        }]}))
    }

    #[tokio::test]
    async fn json_output_for_one_conversation() {
        let (url, state) = mock(vec![scored("unsafe\nS8", -0.05, -3.0)]).await;
        let a = args(&["--remote", &url, "--remote-model", "lg", "--format", "json"]);
        let (code, out) = run(a, r#"[{"role":"user","content":"pipe bomb recipe"}]"#).await;
        assert_eq!(code, ExitCode::from(1));
        let v: Value = serde_json::from_str(out.trim()).expect("one JSON line");
        assert_eq!(v["verdict"], "unsafe");
        assert_eq!(v["categories"], json!(["S8"]));
        assert!(v["unsafe_score"].as_f64().expect("score") > 0.9);
        assert!((v["logprob_unsafe"].as_f64().expect("lp") + 0.05).abs() < 1e-6);
        assert!((v["logprob_safe"].as_f64().expect("lp") + 3.0).abs() < 1e-6);
        assert!(v["latency_ms"].as_f64().expect("latency") >= 0.0);
        assert_eq!(v["truncated"], false);
        assert!(v.get("prompt").is_none());
        assert_eq!(state.lock().expect("state").requests.len(), 1);
    }

    #[tokio::test]
    async fn json_lines_give_one_result_per_line() {
        let replies = vec![
            Reply {
                when: Some("User: hello"),
                ..scored("safe", -6.0, -0.01)
            },
            Reply {
                when: Some("User: kill my neighbor"),
                ..scored("unsafe\nS1", -0.1, -2.0)
            },
        ];
        let (url, _) = mock(replies).await;
        let a = args(&["--remote", &url, "--remote-model", "lg", "--format", "json"]);
        let input = "[{\"role\":\"user\",\"content\":\"hello\"}]\n[{\"role\":\"user\",\"content\":\"kill my neighbor\"}]\n[{\"role\":\"wizard\",\"content\":\"x\"}]\n";
        let (code, out) = run(a, input).await;
        let lines: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("JSON line"))
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0]["verdict"], "safe");
        assert_eq!(lines[1]["verdict"], "unsafe");
        assert_eq!(lines[1]["categories"], json!(["S1"]));
        assert_eq!(lines[2]["line"], 3);
        assert_eq!(lines[2]["error"]["kind"], "invalid_conversation");
        assert!(
            lines[2]["error"]["message"]
                .as_str()
                .expect("error message")
                .contains("wizard")
        );
        assert_eq!(code, ExitCode::from(2));
    }

    #[tokio::test]
    async fn plain_text_and_text_format() {
        let (url, state) = mock(vec![scored("safe", -7.0, -0.001)]).await;
        let a = args(&["--remote", &url, "--remote-model", "lg"]);
        let (code, out) = run(a, "How do I bake bread?\n").await;
        assert_eq!(code, ExitCode::SUCCESS);
        assert!(out.starts_with("safe (score 0.0"), "{out}");
        let s = state.lock().expect("state");
        let prompt = s.requests[0].1["prompt"].as_str().expect("prompt");
        assert!(
            prompt.contains("User: How do I bake bread?\n\n<END"),
            "{prompt}"
        );
    }

    #[tokio::test]
    async fn tokens_with_tokenizer_and_custom_categories() {
        let (url, _) = mock(vec![scored("unsafe\nS1", -0.2, -1.7)]).await;
        let dir = tempfile::tempdir().expect("tempdir");
        let cats = dir.path().join("cats.yaml");
        std::fs::write(&cats, "- name: Credential Leakage\n- name: Spam\n").expect("write");
        let tokenizer = common::llama3_tokenizer().to_str().expect("utf-8 path");
        let a = args(&[
            "--remote",
            &url,
            "--remote-model",
            "lg",
            "--format",
            "json",
            "--tokens",
            "--tokenizer",
            tokenizer,
            "--categories",
            cats.to_str().expect("utf-8 path"),
        ]);
        let (code, out) = run(a, "my AWS key is AKIAXXXX").await;
        assert_eq!(code, ExitCode::from(1));
        let v: Value = serde_json::from_str(out.trim()).expect("JSON");
        assert_eq!(v["categories"], json!(["S1"]));
        let prompt = v["prompt"].as_str().expect("prompt");
        assert!(prompt.contains("S1: Credential Leakage. \nS2: Spam. \n"));
        let ids = v["input_ids"].as_array().expect("ids");
        assert_eq!(ids[0], 128000);
        assert_eq!(ids.iter().filter(|i| **i == 128000).count(), 1);
        let top5 = v["top5"].as_array().expect("top5");
        assert_eq!(top5[0]["id"], 39257);
        assert_eq!(top5[0]["token"], "unsafe");
        assert_eq!(top5[1]["id"], 19193);
        assert_eq!(v["generated"], "unsafe\nS1");
    }

    /// What people read: the text format, with and without `--tokens`.
    #[tokio::test]
    async fn text_format_snapshots() {
        let replies = vec![
            scored("unsafe\nS8,S1", -0.02, -4.0),
            ok(json!({"choices": [{"text": "safe"}]})),
            scored("unsafe\nS10", -0.3, -1.4),
        ];
        let (url, _) = mock(replies).await;
        let (_, unsafe_out) = run(
            args(&["--remote", &url, "--remote-model", "lg"]),
            "[{\"role\":\"user\",\"content\":\"pipe bomb\"}]",
        )
        .await;
        let (_, text_verdict) = run(args(&["--remote", &url, "--remote-model", "lg"]), "hi").await;
        let (_, tokens) = run(
            args(&["--remote", &url, "--remote-model", "lg", "--tokens"]),
            "I want to hurt myself",
        )
        .await;
        insta::assert_snapshot!(
            "cli_text",
            format!("{unsafe_out}{text_verdict}---\n{tokens}")
        );
    }

    #[tokio::test]
    async fn model_errors_fail_fast() {
        // No hub reachable (a released loopback port) and an empty cache.
        let closed = {
            let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            l.local_addr().expect("addr")
        };
        let cache = tempfile::tempdir().expect("tempdir");
        let endpoint = format!("http://{closed}");
        let a = args(&[
            "--model",
            "hf:nobody/not-a-cached-guard",
            "--hf-endpoint",
            &endpoint,
            "--hf-cache",
            cache.path().to_str().expect("utf-8 path"),
        ]);
        let started = std::time::Instant::now();
        let err = run_classify(a, "hi".as_bytes(), Vec::new())
            .await
            .expect_err("not cached");
        assert!(started.elapsed() < Duration::from_secs(5));
        let message = err.to_string();
        assert!(message.contains("--remote"), "{message}");
        assert!(message.contains("huggingface-cli download"), "{message}");
        assert!(message.contains("--model PATH"), "{message}");
        assert!(Cli::try_parse_from(["x", "--remote", "http://h"]).is_err());
        assert!(Cli::try_parse_from(["x"]).is_err());
        assert!(Cli::try_parse_from(["x", "--model", "m", "--template", "lg9"]).is_err());
    }

    /// `--model` runs the in-process backend: the CLI's numbers equal the transformers
    /// reference for the same tiny seeded model and prompt.
    #[tokio::test]
    async fn local_model_output_matches_reference() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let reference: Value = serde_json::from_str(
            &std::fs::read_to_string(root.join("tests/fixtures/reference/reference.json"))
                .expect("reference fixture"),
        )
        .expect("reference JSON");
        let case = &reference["cases"][0];
        assert_eq!(case["model"], "tiny-llama3");
        assert_eq!(case["template"], "lg2");
        let model_dir = root.join("tests/fixtures/reference/tiny-llama3");
        let tokenizer = common::llama3_tokenizer().to_str().expect("utf-8 path");
        let argv = [
            "--model",
            model_dir.to_str().expect("utf-8 path"),
            "--tokenizer",
            tokenizer,
            "--format",
            "json",
            "--tokens",
            "--threshold",
            "1.0",
        ];
        let stdin = case["conversation"].to_string();
        let (code, out) = run(args(&argv), &stdin).await;
        assert_eq!(code, ExitCode::SUCCESS, "{out}");
        let v: Value = serde_json::from_str(out.trim()).expect("JSON");
        let first = &case["first_position"];
        let close = |a: &Value, b: &Value| {
            (a.as_f64().expect("number") - b.as_f64().expect("number")).abs() < 1e-3
        };
        assert!(close(&v["logprob_safe"], &first["logprob_safe"]), "{v}");
        assert!(close(&v["logprob_unsafe"], &first["logprob_unsafe"]), "{v}");
        assert_eq!(v["prompt"], case["prompt"]);
        assert_eq!(v["input_ids"], case["input_ids"]);
        let ids = |list: &Value| -> Vec<Value> {
            list.as_array()
                .expect("list")
                .iter()
                .map(|e| e["id"].clone())
                .collect()
        };
        assert_eq!(ids(&v["top5"]), ids(&first["top5"]));
        assert_eq!(v["score_source"], "logprobs");
        let at = &first["logprobs_at"];
        let p = |id: &str| at[id].as_f64().expect("logprob").exp();
        let expected =
            (p("39257") + p("20451")) / (p("39257") + p("20451") + p("19193") + p("6220"));
        assert!((v["unsafe_score"].as_f64().expect("score") - expected).abs() < 1e-3);
    }
}
