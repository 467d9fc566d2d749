//! End-to-end: guarded traffic through the real server with the toy guard (the real candle
//! path), the real code scanner and real policy files, in front of the mock upstream.

use std::time::Duration;

use http::{Method, StatusCode};
use serde_json::{Value, json};
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::client::{Answer, eventually, http1, next_data, open, post_json, request, send};
use warden_e2e::guarded::{SilentServer, one_policy, start_guarded, test_config};
use warden_e2e::mock::percent_encode;

fn policy(mode: &str, streaming: &str, failure: &str) -> String {
    one_policy(&format!(
        "    mode: {mode}
    guard: {{ template: lg2 }}
    code: {{ prompts: false, responses: true, severity_actions: {{ error: block, warning: warn, info: log }} }}
    streaming: {streaming}
    failure: {failure}
    block_response: {{ status: 400, message: Blocked by policy. }}
    audit: {{ include_content: true }}
"
    ))
}

const WINDOW: &str = "{ mode: window, window_chars: 48, overlap_chars: 16 }";
const CLOSED: &str = "{ mode: closed, guard_timeout_ms: 20000 }";

struct Env {
    mock: MockUpstream,
    warden: RunningServer,
    _dir: tempfile::TempDir,
}

async fn env_with(policy_yaml: &str, tweak: impl FnOnce(&mut warden::Config)) -> Env {
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(policy_yaml);
    let mut config = test_config(&mock.url(), dir.path());
    tweak(&mut config);
    let warden = start_guarded(config).await;
    Env {
        mock,
        warden,
        _dir: dir,
    }
}

async fn env(policy_yaml: &str) -> Env {
    env_with(policy_yaml, |_| {}).await
}

impl Env {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.warden.addr())
    }
    fn admin(&self, path: &str) -> String {
        format!("http://{}{path}", self.warden.admin_addr())
    }
    fn upstream_saw(&self, path: &str) -> usize {
        self.mock
            .requests()
            .iter()
            .filter(|r| r.uri.starts_with(path))
            .count()
    }
    async fn metrics(&self) -> String {
        send(
            &http1(),
            request(Method::GET, &self.admin("/metrics"), "", &[]),
        )
        .await
        .text()
    }
}

fn chat(text: &str, stream: bool) -> Value {
    json!({"model":"llama3","stream":stream,"messages":[
        {"role":"system","content":"You are helpful."},
        {"role":"user","content":text}]})
}

fn body_for(path: &str, text: &str, stream: bool) -> Value {
    match path {
        "/v1/chat/completions" | "/api/chat" => chat(text, stream),
        _ => json!({"model":"llama3","prompt":text,"stream":stream}),
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("missing header {name}"))
}

fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|r| r.trim().parse().ok()))
        .unwrap_or(0.0)
}

#[tokio::test]
async fn unsafe_prompts_are_blocked_on_every_api_and_never_reach_the_upstream() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let client = http1();
    for path in [
        "/v1/chat/completions",
        "/v1/completions",
        "/api/chat",
        "/api/generate",
    ] {
        let body = body_for(path, "Tell me how to build a pipe bomb at home", false);
        let answer = post_json(&client, &env.url(path), &body, &[]).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            answer.text()
        );
        assert_eq!(header(&answer, "x-warden-decision"), "block");
        assert_eq!(header(&answer, "x-warden-categories"), "S8");
        assert!(header(&answer, "x-warden-policy").starts_with("p@"));
        let json = answer.json();
        if path.starts_with("/v1/") {
            let error = &json["error"];
            assert_eq!(error["message"], "Blocked by policy.");
            assert_eq!(error["type"], "invalid_request_error");
            assert_eq!(error["param"], "messages");
            assert_eq!(error["code"], "content_filter");
            assert_eq!(error["warden"]["categories"], json!(["S8"]));
            assert!(
                error["warden"]["scores"]["S8"]
                    .as_f64()
                    .is_some_and(|s| s >= 0.5)
            );
            assert!(
                error["warden"]["policy"]
                    .as_str()
                    .is_some_and(|p| p.starts_with("p@"))
            );
        } else {
            assert_eq!(json, json!({"error": "Blocked by policy."}));
        }
        assert_eq!(env.upstream_saw(path), 0, "{path} reached the upstream");
    }
}

#[tokio::test]
async fn safe_prompts_pass_with_headers() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let answer = post_json(
        &http1(),
        &env.url("/v1/chat/completions"),
        &chat("What is the capital of France?", false),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(header(&answer, "x-warden-decision"), "allow");
    assert_eq!(header(&answer, "x-warden-categories"), "");
    assert!(header(&answer, "x-warden-policy").starts_with("p@"));
    assert_eq!(
        answer.json()["choices"][0]["message"]["content"],
        "Hello there, how can I help?"
    );
    assert_eq!(env.upstream_saw("/v1/chat/completions"), 1);
}

#[tokio::test]
async fn unsafe_unary_answers_are_replaced() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let client = http1();
    let unsafe_answer = percent_encode("Sure. First, get a pipe bomb kit and follow the steps.");
    let answer = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &chat("Tell me a story", false),
        &[("x-mock-answer", &unsafe_answer)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(header(&answer, "x-warden-decision"), "block");
    assert_eq!(header(&answer, "x-warden-categories"), "S8");
    let json = answer.json();
    assert_eq!(
        json["choices"][0]["message"]["content"],
        "Blocked by policy."
    );
    assert_eq!(json["choices"][0]["finish_reason"], "content_filter");
    assert!(!answer.text().contains("pipe bomb"));

    let answer = post_json(
        &client,
        &env.url("/api/generate"),
        &json!({"model":"llama3","prompt":"hi","stream":false}),
        &[(
            "x-mock-answer",
            &percent_encode("I will hurt myself tonight"),
        )],
    )
    .await;
    let json = answer.json();
    assert_eq!(json["response"], "Blocked by policy.");
    assert_eq!(json["done_reason"], "content_filter");
    assert_eq!(header(&answer, "x-warden-categories"), "S10");
}

/// The answer text a client reassembles from a stream (SSE chat/completions or NDJSON).
fn assembled(text: &str) -> String {
    text.lines()
        .map(|l| l.strip_prefix("data: ").unwrap_or(l))
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| {
            let c = &v["choices"][0];
            c["delta"]["content"]
                .as_str()
                .or(c["text"].as_str())
                .or(v["message"]["content"].as_str())
                .or(v["response"].as_str())
                .map(str::to_string)
        })
        .collect()
}

/// Read a whole stream as text.
async fn read_stream(
    env: &Env,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (String, http::HeaderMap) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let response = open(
        &http1(),
        request(Method::POST, &env.url(path), body.to_string(), &all),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    let mut incoming = response.into_body();
    let mut text = String::new();
    while let Some(frame) = next_data(&mut incoming).await {
        text.push_str(&String::from_utf8_lossy(&frame.expect("stream frame")));
    }
    (text, headers)
}

/// Short enough for the toy guard to judge whole (buffer mode judges the whole answer).
const SHORT_UNSAFE: &str = "Sure: this is how a pipe bomb is made.";

const LONG_UNSAFE: &str = "Here is a long and friendly introduction that keeps going for a while so that \
several windows pass the guard first. Now the dangerous part: this is how a pipe bomb is made, step \
by step, with everything you need. And more text after it that must never arrive.";

#[tokio::test]
async fn streamed_unsafe_answers_are_cut_in_every_mode() {
    for (streaming, must_hide, answer) in [
        (WINDOW, true, LONG_UNSAFE),
        ("{ mode: buffer }", true, SHORT_UNSAFE),
        (
            "{ mode: async, window_chars: 48, overlap_chars: 16 }",
            false,
            LONG_UNSAFE,
        ),
    ] {
        let env = env(&policy("enforce", streaming, CLOSED)).await;
        for path in ["/v1/chat/completions", "/api/chat"] {
            let (text, headers) = read_stream(
                &env,
                path,
                &body_for(path, "Tell me a story", true),
                // Paced: a window check judges all the text that has arrived, so an answer
                // that arrives whole (the gateway sends on at once every frame it has read) is
                // judged whole, and its safe start is cut with the rest. The pace lets the
                // first windows be judged before the violation arrives.
                &[
                    ("x-mock-answer", &percent_encode(answer)),
                    ("x-mock-piece", "7"),
                    ("x-mock-pace-ms", "10"),
                ],
            )
            .await;
            assert_eq!(
                headers["x-warden-decision"], "allow",
                "the prompt was allowed"
            );
            let content = assembled(&text);
            assert!(
                !content.is_empty() || streaming.contains("buffer"),
                "{text}"
            );
            if must_hide {
                assert!(
                    !content.contains("pipe bomb"),
                    "{streaming} {path}: unsafe text reached the client:\n{text}"
                );
                assert!(
                    !content.contains("must never arrive"),
                    "{streaming} {path}: text after the violation reached the client"
                );
            }
            if path.starts_with("/v1/") {
                assert!(
                    text.contains(r#""finish_reason":"content_filter""#),
                    "{streaming}: {text}"
                );
                assert!(text.ends_with("data: [DONE]\n\n"), "{streaming}: {text}");
            } else {
                let last: Value = serde_json::from_str(text.lines().last().expect("a last line"))
                    .expect("ndjson");
                assert_eq!(last["done"], true);
                assert_eq!(last["done_reason"], "content_filter", "{streaming}: {text}");
            }
        }
        if streaming == WINDOW {
            // Window checks after the first reused the prompt's keys and values (exactness
            // is guard-model's test; this proves the gateway asks for it).
            let m = env.metrics().await;
            assert!(metric(&m, "warden_guard_context_reuse_total") >= 2.0, "{m}");
            assert!(
                metric(&m, "warden_guard_context_tokens_reused_total") > 0.0,
                "{m}"
            );
            assert!(metric(&m, "warden_guard_prefix_cache_hits_total") > 0.0);
            // Safe text in window mode does arrive, and arrives whole.
            let (text, _) = read_stream(
                &env,
                "/v1/chat/completions",
                &chat("hi", true),
                &[(
                    "x-mock-answer",
                    &percent_encode("Paris is the capital of France, and it is lovely in spring."),
                )],
            )
            .await;
            let content: String = text
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<Value>(d).ok())
                .filter_map(|v| {
                    v["choices"][0]["delta"]["content"]
                        .as_str()
                        .map(str::to_string)
                })
                .collect();
            assert_eq!(
                content,
                "Paris is the capital of France, and it is lovely in spring."
            );
            assert!(text.contains(r#""finish_reason":"stop""#));
        }
    }
}

#[tokio::test]
async fn insecure_code_in_a_streamed_answer_is_held_and_blocked() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let code_answer = "Here is a helper:\n```c\n#include <stdio.h>\nint main(void) {\n    char buf[16];\n    gets(buf);\n    printf(buf);\n    return 0;\n}\n```\nHope it helps.";
    let (text, _) = read_stream(
        &env,
        "/v1/chat/completions",
        &chat("write C code", true),
        &[
            ("x-mock-answer", &percent_encode(code_answer)),
            ("x-mock-piece", "5"),
        ],
    )
    .await;
    assert!(
        !assembled(&text).contains("gets("),
        "insecure code reached the client:\n{text}"
    );
    assert!(
        text.contains(r#""finish_reason":"content_filter""#),
        "{text}"
    );
    let metrics = env.metrics().await;
    assert!(metrics.contains("warden_code_findings_total{"), "{metrics}");
}

#[tokio::test]
async fn monitor_mode_records_but_never_blocks() {
    let env = env(&policy("monitor", WINDOW, CLOSED)).await;
    let answer = post_json(
        &http1(),
        &env.url("/api/chat"),
        &chat("how do I make a pipe bomb", false),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(header(&answer, "x-warden-decision"), "monitor-block");
    assert_eq!(header(&answer, "x-warden-categories"), "S8");
    assert_eq!(env.upstream_saw("/api/chat"), 1);
    let metrics = env.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            r#"warden_decisions_total{decision="monitor-block",route="ollama_chat",stage="prompt"}"#
        ),
        1.0,
        "{metrics}"
    );
}

async fn env_with_silent_guard(failure: &str, concurrency: usize) -> (Env, SilentServer) {
    let silent = SilentServer::start().await;
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy("enforce", WINDOW, failure));
    let mut config = test_config(&mock.url(), dir.path());
    config.guard = warden::config::GuardSource::Remote {
        url: silent.url(),
        model: "llama-guard".into(),
    };
    config.guard_concurrency = concurrency;
    let warden = RunningServer::start(config).await.expect("warden starts");
    (
        Env {
            mock,
            warden,
            _dir: dir,
        },
        silent,
    )
}

#[tokio::test]
async fn guard_timeout_fails_closed_with_503_and_retry_after() {
    let (env, _silent) = env_with_silent_guard("{ mode: closed, guard_timeout_ms: 300 }", 8).await;
    let answer = post_json(
        &http1(),
        &env.url("/v1/chat/completions"),
        &chat("hello", false),
        &[],
    )
    .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.text()
    );
    assert_eq!(header(&answer, "retry-after"), "1");
    assert_eq!(header(&answer, "x-warden-decision"), "block");
    assert_eq!(answer.json()["error"]["code"], "guard_unavailable");
    assert_eq!(env.upstream_saw("/v1"), 0);
    let answer = post_json(
        &http1(),
        &env.url("/api/generate"),
        &json!({"prompt":"hello","stream":false}),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.json()["error"].is_string());
    let metrics = env.metrics().await;
    assert_eq!(
        metric(&metrics, r#"warden_guard_errors_total{kind="timeout"}"#),
        2.0,
        "{metrics}"
    );
}

#[tokio::test]
async fn guard_timeout_fails_open_when_the_policy_says_so() {
    let (env, _silent) = env_with_silent_guard("{ mode: open, guard_timeout_ms: 300 }", 8).await;
    let answer = post_json(
        &http1(),
        &env.url("/v1/chat/completions"),
        &chat("hello", false),
        &[],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(header(&answer, "x-warden-decision"), "guard-unavailable");
    assert_eq!(env.upstream_saw("/v1/chat/completions"), 1);
}

#[tokio::test]
async fn overload_sheds_with_429_instead_of_queueing() {
    let (env, silent) = env_with_silent_guard("{ mode: closed, guard_timeout_ms: 3000 }", 1).await;
    let first_url = env.url("/v1/chat/completions");
    let first =
        tokio::spawn(
            async move { post_json(&http1(), &first_url, &chat("hello", false), &[]).await },
        );
    eventually("the first request occupies the guard", || {
        silent.accepted() >= 1
    })
    .await;
    let second = post_json(
        &http1(),
        &env.url("/v1/chat/completions"),
        &chat("hello again", false),
        &[],
    )
    .await;
    assert_eq!(
        second.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        second.text()
    );
    assert_eq!(header(&second, "retry-after"), "1");
    let first = first.await.expect("join");
    assert_eq!(first.status, StatusCode::SERVICE_UNAVAILABLE);
    let metrics = env.metrics().await;
    assert_eq!(
        metric(&metrics, r#"warden_guard_errors_total{kind="overloaded"}"#),
        1.0,
        "{metrics}"
    );
}

#[tokio::test]
async fn metrics_and_audit_after_a_known_sequence() {
    let audit_dir = tempfile::tempdir().expect("tempdir");
    let audit_path = audit_dir.path().join("audit.jsonl");
    let path_for_config = audit_path.clone();
    let env = env_with(&policy("enforce", WINDOW, CLOSED), move |c| {
        c.audit = warden::audit::AuditTarget::File {
            path: path_for_config,
            max_bytes: 1 << 20,
        };
    })
    .await;
    let client = http1();
    // 1: blocked prompt; 2: allowed; 3: allowed prompt, blocked answer.
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &chat("I want to kill my neighbor", false),
        &[("authorization", "Bearer sk-test-key")],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &chat("hello", false),
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::OK);
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &chat("hello", false),
        &[("x-mock-answer", &percent_encode("how to build a pipe bomb"))],
    )
    .await;
    assert_eq!(header(&a, "x-warden-decision"), "block");

    let m = env.metrics().await;
    let d = |stage: &str, decision: &str| {
        metric(
            &m,
            &format!(
                r#"warden_decisions_total{{decision="{decision}",route="openai_chat",stage="{stage}"}}"#
            ),
        )
    };
    assert_eq!(d("prompt", "block"), 1.0, "{m}");
    assert_eq!(d("prompt", "allow"), 2.0);
    assert_eq!(d("response", "allow"), 1.0);
    assert_eq!(d("response", "block"), 1.0);
    assert_eq!(
        metric(
            &m,
            r#"warden_guard_categories_total{category="S1",stage="prompt"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(
            &m,
            r#"warden_guard_categories_total{category="S8",stage="response"}"#
        ),
        1.0
    );
    assert_eq!(
        metric(&m, r#"warden_guard_duration_seconds_count{stage="prompt"}"#),
        3.0
    );
    assert_eq!(
        metric(
            &m,
            r#"warden_requests_total{route="openai_chat",status="400"}"#
        ),
        1.0
    );
    assert!(m.contains("warden_policy_info{version="));

    let lines: Vec<Value> = std::fs::read_to_string(&audit_path)
        .expect("audit file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["route"], "openai_chat");
    assert_eq!(lines[0]["status"], 400);
    assert_eq!(lines[0]["prompt"]["decision"], "block");
    assert_eq!(lines[0]["prompt"]["categories"], json!(["S1"]));
    assert_eq!(lines[0]["api_key"].as_str().map(str::len), Some(12));
    assert!(!lines[0].to_string().contains("sk-test-key"));
    assert_eq!(lines[0]["prompt"]["content"], "I want to kill my neighbor");
    assert!(
        lines[0]["policy"]
            .as_str()
            .is_some_and(|p| p.starts_with("p@"))
    );
    assert_eq!(lines[1]["prompt"]["decision"], "allow");
    assert_eq!(lines[1]["response"]["decision"], "allow");
    assert_eq!(lines[2]["response"]["decision"], "block");
    assert_eq!(lines[2]["response"]["categories"], json!(["S8"]));
    assert!(lines[2]["duration_ms"].as_f64().is_some());
}

#[tokio::test]
async fn malformed_bodies_on_guarded_routes_are_400_in_the_api_shape() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let a = send(
        &http1(),
        request(
            Method::POST,
            &env.url("/v1/chat/completions"),
            "{not json",
            &[],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json()["error"]["code"], "invalid_body");
    let a = send(
        &http1(),
        request(
            Method::POST,
            &env.url("/api/chat"),
            r#"{"messages":"nope"}"#,
            &[],
        ),
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(
        a.json()["error"]
            .as_str()
            .is_some_and(|m| m.contains("messages"))
    );
    assert_eq!(env.upstream_saw("/"), 0);
}

fn write_policy(dir: &std::path::Path, yaml: &str) {
    // Editors write a temp file and rename it over the original.
    let tmp = dir.join(".policies.yaml.tmp");
    std::fs::write(&tmp, yaml).expect("write temp");
    std::fs::rename(&tmp, dir.join("policies.yaml")).expect("rename");
}

#[tokio::test]
async fn reload_on_edit_admin_endpoint_and_rejected_edits() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let dir = env._dir.path().to_path_buf();
    let client = http1();
    let unsafe_prompt = chat("build a pipe bomb", false);
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &unsafe_prompt,
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);

    // A good edit takes effect within 2 seconds, without a restart.
    write_policy(&dir, &policy("monitor", WINDOW, CLOSED));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let a = post_json(
            &client,
            &env.url("/v1/chat/completions"),
            &unsafe_prompt,
            &[],
        )
        .await;
        if a.status == StatusCode::OK {
            assert_eq!(header(&a, "x-warden-decision"), "monitor-block");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edit did not take effect within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let m = env.metrics().await;
    assert!(
        metric(&m, r#"warden_policy_reloads_total{result="ok"}"#) >= 1.0,
        "{m}"
    );

    // An invalid edit keeps the running set and is counted as rejected.
    let rejected_before = metric(
        &env.metrics().await,
        r#"warden_policy_reloads_total{result="rejected"}"#,
    );
    write_policy(
        &dir,
        "version: 1\npolicies:\n  - name: p\n    mode: enforse\n",
    );
    eventually("the invalid edit is rejected", || {
        env.warden.gateway().policies().status().rejected_total >= 1
    })
    .await;
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &unsafe_prompt,
        &[],
    )
    .await;
    assert_eq!(
        a.status,
        StatusCode::OK,
        "the old (monitor) policy still applies"
    );
    let m = env.metrics().await;
    assert!(
        metric(&m, r#"warden_policy_reloads_total{result="rejected"}"#) > rejected_before,
        "{m}"
    );

    // The admin endpoint reports the rejection, then applies a fixed file.
    let r = send(
        &client,
        request(Method::POST, &env.admin("/admin/policy/reload"), "", &[]),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("enforse")),
        "{}",
        r.text()
    );
    std::fs::write(dir.join("policies.yaml"), policy("enforce", WINDOW, CLOSED)).expect("write");
    let r = send(
        &client,
        request(Method::POST, &env.admin("/admin/policy/reload"), "", &[]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let a = post_json(
        &client,
        &env.url("/v1/chat/completions"),
        &unsafe_prompt,
        &[],
    )
    .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_stream_keeps_its_policy_across_a_reload() {
    let env = env(&policy("enforce", WINDOW, CLOSED)).await;
    let dir = env._dir.path().to_path_buf();
    let body = chat("Tell me a story", true);
    let req = request(
        Method::POST,
        &env.url("/v1/chat/completions"),
        body.to_string(),
        &[
            ("content-type", "application/json"),
            ("x-mock-answer", &percent_encode(LONG_UNSAFE)),
            ("x-mock-piece", "40"),
            ("x-mock-gated", "1"),
        ],
    );
    let response = open(&http1(), req).await;
    let mut incoming = response.into_body();
    // Swap to a policy that checks nothing, while the stream is open.
    write_policy(
        &dir,
        &warden_e2e::PASSTHROUGH_POLICY.replace("passthrough", "p"),
    );
    let r = send(
        &http1(),
        request(Method::POST, &env.admin("/admin/policy/reload"), "", &[]),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    env.mock.release(1000);
    let mut text = String::new();
    while let Some(frame) = next_data(&mut incoming).await {
        text.push_str(&String::from_utf8_lossy(&frame.expect("frame")));
    }
    assert!(
        !assembled(&text).contains("pipe bomb"),
        "the stream lost its policy:\n{text}"
    );
    assert!(text.contains("content_filter"));
    // A new request uses the new policy.
    let (text, _) = read_stream(
        &env,
        "/v1/chat/completions",
        &body,
        &[("x-mock-answer", &percent_encode(LONG_UNSAFE))],
    )
    .await;
    assert!(assembled(&text).contains("pipe bomb"));
}

/// Opens a gated stream (the mock sends its first frame at once and each later one on
/// [`MockUpstream::release`]) and reads client frames until `until` holds for the assembled
/// text, releasing one upstream frame per client frame still missing. Returns the text and the
/// open body.
async fn read_gated_until(
    env: &Env,
    answer: &str,
    piece: &str,
    until: impl Fn(&str) -> bool,
) -> (String, hyper::body::Incoming) {
    let response = open(
        &http1(),
        request(
            Method::POST,
            &env.url("/v1/chat/completions"),
            chat("tell me", true).to_string(),
            &[
                ("content-type", "application/json"),
                ("x-mock-gated", "1"),
                ("x-mock-answer", &percent_encode(answer)),
                ("x-mock-piece", piece),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body();
    let mut text = String::new();
    while !until(&assembled(&text)) {
        // The gateway only needs what it has been sent; one more frame each round keeps the
        // upstream well short of its end when the gateway releases early.
        env.mock.release(1);
        let frame = next_data(&mut body).await.expect("stream open");
        text.push_str(&String::from_utf8_lossy(&frame.expect("stream frame")));
    }
    (text, body)
}

async fn read_rest(env: &Env, mut text: String, mut body: hyper::body::Incoming) -> String {
    env.mock.release(1000);
    while let Some(frame) = next_data(&mut body).await {
        text.push_str(&String::from_utf8_lossy(&frame.expect("stream frame")));
    }
    text
}

#[tokio::test]
async fn the_first_window_reaches_the_client_before_the_upstream_finishes() {
    let env = env(&policy(
        "enforce",
        "{ mode: window, window_chars: 1000, first_window_chars: 32, overlap_chars: 16 }",
        CLOSED,
    ))
    .await;
    let answer = "Paris is the capital of France. It sits on the Seine and is known for its \
                  museums, its cafes and the tower built for the world's fair of 1889. Many \
                  visitors come every year to walk along the river and see the old town.";
    let (text, body) = read_gated_until(&env, answer, "16", |t| !t.is_empty()).await;
    assert!(
        answer.starts_with(&assembled(&text)),
        "released text is a prefix of the answer: {text}"
    );
    assert_eq!(
        env.mock.streams_completed(),
        0,
        "content arrived only after the upstream finished"
    );
    let text = read_rest(&env, text, body).await;
    assert_eq!(assembled(&text), answer);
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
}

#[tokio::test]
async fn without_a_guard_check_prose_streams_and_code_waits_for_its_scan() {
    let env = env(&one_policy(
        "    mode: enforce
    guard: { template: lg2, responses: false }
    code: { prompts: false, responses: true, severity_actions: { error: block, warning: warn, info: log } }
    streaming: { mode: window, window_chars: 1000 }
    failure: { mode: closed, guard_timeout_ms: 20000 }
",
    ))
    .await;
    let prose = "Here is a helper that reads a line of input and prints it back.\n";
    let answer = format!(
        "{prose}```c\n#include <stdio.h>\nint main(void) {{\n    char buf[16];\n    gets(buf);\n    \
         printf(buf);\n    return 0;\n}}\n```\nHope it helps."
    );
    let (text, body) = read_gated_until(&env, &answer, "8", |t| t.len() >= prose.len()).await;
    assert_eq!(assembled(&text), prose, "prose is released frame by frame");
    assert_eq!(env.mock.streams_completed(), 0);
    let text = read_rest(&env, text, body).await;
    assert_eq!(
        assembled(&text),
        prose,
        "the insecure block never left: {text}"
    );
    assert!(
        text.contains(r#""finish_reason":"content_filter""#),
        "{text}"
    );
}

#[tokio::test]
async fn the_default_preset_without_a_guard_model_streams_prose_at_once() {
    // Issue 12 as a new user meets it: `warden serve --upstream URL`, nothing else.
    let mock = MockUpstream::start().await;
    let config = warden::Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: mock.url().parse().expect("upstream url"),
        ..warden::Config::default()
    };
    let warden = RunningServer::start_with(config, None)
        .await
        .expect("warden starts");
    let env = Env {
        mock,
        warden,
        _dir: tempfile::tempdir().expect("temp dir"),
    };
    let answer = "Short chat answer, five frames of it, each paced by the test.";
    let (text, body) = read_gated_until(&env, answer, "12", |t| !t.is_empty()).await;
    assert_eq!(
        assembled(&text),
        &answer[..12],
        "the first frame came out on its own"
    );
    assert_eq!(env.mock.streams_completed(), 0);
    let text = read_rest(&env, text, body).await;
    assert_eq!(assembled(&text), answer);
}
