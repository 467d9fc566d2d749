//! End-to-end: the gateway under guard load. A guard that expects to need longer than the
//! policy's timeout is shed at once (429 + Retry-After when failing closed, forwarded and
//! marked when failing open); concurrent checks against the toy guard are batched and the
//! metrics show it; a remote guard that stalls trips the circuit breaker, after which
//! requests get the policy's fail outcome without touching the guard server.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::client::{Answer, http1, post_json, request, send};
use warden_e2e::guarded::{SilentServer, one_policy, start_guarded, test_config};
use warden_guard_model::{
    BoxFuture, Classifier, ClassifyRequest, GuardError, JudgedRole, ScoreSource, Verdict,
};

fn policy(failure: &str) -> String {
    one_policy(&format!(
        "    mode: enforce
    guard: {{ template: lg2 }}
    code: {{ prompts: false, responses: false }}
    streaming: {{ mode: buffer }}
    failure: {failure}
"
    ))
}

fn chat(text: &str) -> Value {
    json!({"model":"llama3","stream":false,"messages":[{"role":"user","content":text}]})
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.trim().parse().ok()))
        .unwrap_or(0.0)
}

async fn metrics(warden: &RunningServer) -> String {
    let url = format!("http://{}/metrics", warden.admin_addr());
    send(&http1(), request(Method::GET, &url, "", &[]))
        .await
        .text()
}

/// A guard that says it is ten seconds behind, and counts the calls that reach it anyway.
#[derive(Debug, Default)]
struct Backlogged {
    calls: AtomicUsize,
}

impl Classifier for Backlogged {
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let judged = request
            .turns
            .last()
            .map_or(JudgedRole::User, |t| match t.role {
                warden_guard_model::TurnRole::Assistant => JudgedRole::Agent,
                _ => JudgedRole::User,
            });
        Box::pin(async move {
            Ok(Verdict {
                judged,
                unsafe_score: 0.0,
                is_unsafe: false,
                categories: Vec::new(),
                logprob_safe: None,
                logprob_unsafe: None,
                score_source: ScoreSource::Logprobs,
                truncation: None,
                latency: Duration::ZERO,
            })
        })
    }

    fn describe(&self) -> String {
        "backlogged test guard".into()
    }

    fn queue_depth(&self) -> usize {
        100
    }

    fn expected_wait(&self) -> Option<Duration> {
        Some(Duration::from_secs(10))
    }
}

#[tokio::test]
async fn a_guard_behind_by_more_than_the_timeout_is_shed_at_once() {
    for (mode, status, decision) in [
        ("closed", StatusCode::TOO_MANY_REQUESTS, "block"),
        ("open", StatusCode::OK, "guard-unavailable"),
    ] {
        let mock = MockUpstream::start().await;
        let dir = warden_e2e::policy_dir(&policy(&format!(
            "{{ mode: {mode}, guard_timeout_ms: 2000 }}"
        )));
        let guard = Arc::new(Backlogged::default());
        let warden = RunningServer::start_with(
            test_config(&mock.url(), dir.path()),
            Some(guard.clone() as Arc<dyn Classifier>),
        )
        .await
        .expect("warden starts");
        let url = format!("http://{}/v1/chat/completions", warden.addr());
        let answer = post_json(&http1(), &url, &chat("hello"), &[]).await;
        assert_eq!(answer.status, status, "{mode}: {}", answer.text());
        assert_eq!(header(&answer, "x-warden-decision"), decision, "{mode}");
        if mode == "closed" {
            assert_eq!(header(&answer, "retry-after"), "1");
            assert_eq!(answer.json()["error"]["code"], "guard_unavailable");
        }
        assert_eq!(guard.calls.load(Ordering::SeqCst), 0, "never queued");
        let m = metrics(&warden).await;
        assert!(
            metric(&m, r#"warden_guard_shed_total{reason="expected_wait"}"#) >= 1.0,
            "{m}"
        );
        assert_eq!(
            metric(&m, r#"warden_guard_errors_total{kind="overloaded"}"#),
            metric(&m, r#"warden_guard_shed_total{reason="expected_wait"}"#),
            "{m}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checks_are_batched_and_the_metrics_show_it() {
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy("{ mode: closed, guard_timeout_ms: 60000 }"));
    let warden = start_guarded(test_config(&mock.url(), dir.path())).await;
    let url = format!("http://{}/v1/chat/completions", warden.addr());
    let n = 24;
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                post_json(
                    &http1(),
                    &url,
                    &chat(&format!("Tell me about boats, {i}.")),
                    &[],
                )
                .await
            })
        })
        .collect();
    for t in tasks {
        let answer = t.await.expect("join");
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
        assert_eq!(header(&answer, "x-warden-decision"), "allow");
    }
    let m = metrics(&warden).await;
    // Every check (a prompt and an answer per request) ran in some pass.
    let rows = metric(&m, "warden_guard_batch_size_sum");
    let passes = metric(&m, "warden_guard_batch_size_count");
    assert_eq!(rows, (2 * n) as f64, "{m}");
    assert!(passes >= 1.0 && passes <= rows, "{m}");
    assert_eq!(passes, metric(&m, "warden_guard_batches_total"), "{m}");
    assert_eq!(
        metric(&m, r#"warden_guard_batch_size_bucket{le="+Inf"}"#),
        passes,
        "{m}"
    );
    assert!(m.contains("warden_guard_queue_depth "), "{m}");
    assert_eq!(
        metric(&m, r#"warden_guard_shed_total{reason="queue_full"}"#),
        0.0
    );
}

#[tokio::test]
async fn a_stalled_remote_guard_trips_the_breaker_and_stops_costing_a_timeout() {
    let silent = SilentServer::start().await;
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy("{ mode: closed, guard_timeout_ms: 200 }"));
    let mut config = test_config(&mock.url(), dir.path());
    config.guard = warden::config::GuardSource::Remote {
        url: silent.url(),
        model: "llama-guard".into(),
    };
    let warden = RunningServer::start(config).await.expect("warden starts");
    let url = format!("http://{}/v1/chat/completions", warden.addr());
    // The breaker opens after 5 consecutive failures (the gateway's timeouts count).
    for _ in 0..5 {
        let answer = post_json(&http1(), &url, &chat("hello"), &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    }
    let m = metrics(&warden).await;
    assert_eq!(
        metric(&m, r#"warden_guard_errors_total{kind="timeout"}"#),
        5.0,
        "{m}"
    );
    let before = silent.accepted();
    for _ in 0..3 {
        let answer = post_json(&http1(), &url, &chat("hello"), &[]).await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(header(&answer, "retry-after"), "1");
        assert_eq!(answer.json()["error"]["code"], "guard_unavailable");
    }
    let m = metrics(&warden).await;
    assert_eq!(
        metric(&m, r#"warden_guard_errors_total{kind="timeout"}"#),
        5.0,
        "{m}"
    );
    assert_eq!(
        metric(&m, r#"warden_guard_errors_total{kind="backend"}"#),
        3.0,
        "{m}"
    );
    assert_eq!(silent.accepted(), before, "no new connection while open");
    assert_eq!(mock.requests().len(), 0, "nothing was forwarded");
}
