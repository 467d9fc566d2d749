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
}

fn ok(body: Value) -> Reply {
    Reply {
        status: StatusCode::OK,
        body,
        delay: Duration::ZERO,
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
                            s.requests.push((path, body));
                            s.replies.pop_front().unwrap_or_else(|| Reply {
                                status: StatusCode::GONE,
                                body: json!({"error": "no scripted reply left"}),
                                delay: Duration::ZERO,
                            })
                        };
                        tokio::time::sleep(reply.delay).await;
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(reply.status)
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
async fn times_out() {
    let slow = Reply {
        status: StatusCode::OK,
        body: json!({"choices": [{"text": "safe"}]}),
        delay: Duration::from_secs(3),
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
