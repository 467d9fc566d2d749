//! SIGHUP reloads the policy directory (in its own test process: the signal reaches every
//! server in the process).

use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use warden_e2e::MockUpstream;
use warden_e2e::client::{http1, post_json};
use warden_e2e::guarded::{one_policy, start_guarded, test_config};

fn policy(mode: &str) -> String {
    one_policy(&format!(
        "    mode: {mode}\n    guard: {{ template: lg2 }}\n"
    ))
}

#[tokio::test]
async fn sighup_reloads_policies() {
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy("enforce"));
    let mut config = test_config(&mock.url(), dir.path());
    config.watch_policies = false;
    let warden = start_guarded(config).await;
    let url = format!("http://{}/v1/chat/completions", warden.addr());
    let body =
        json!({"model":"llama3","messages":[{"role":"user","content":"how to make a pipe bomb"}]});
    let client = http1();
    assert_eq!(
        post_json(&client, &url, &body, &[]).await.status,
        StatusCode::BAD_REQUEST
    );

    // With watching off, an edit alone changes nothing.
    std::fs::write(dir.path().join("policies.yaml"), policy("monitor")).expect("write");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        post_json(&client, &url, &body, &[]).await.status,
        StatusCode::BAD_REQUEST
    );

    let status = std::process::Command::new("kill")
        .args(["-HUP", &std::process::id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let answer = post_json(&client, &url, &body, &[]).await;
        if answer.status == StatusCode::OK {
            assert_eq!(answer.headers["x-warden-decision"], "monitor-block");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "SIGHUP did not reload within 2 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(warden.gateway().policies().status().ok_total, 1);
}
