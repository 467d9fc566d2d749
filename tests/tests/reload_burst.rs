//! Live reload under a running server, seen as an operator sees it (`/metrics`,
//! `GET /admin/policy`): after a burst of 100 edits the server runs the last valid content, and
//! an invalid final state is counted as rejected.

use http::Method;
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::client::{PATIENCE, TestClient, http1, request, send};
use warden_e2e::guarded::{one_policy, test_config};

fn policy(mode: &str) -> String {
    one_policy(&format!("    mode: {mode}\n"))
}

/// Writes `text` the way editors do, in turn: truncate-then-write, write to a temp file and
/// rename it over the policy file, plain overwrite.
fn edit(dir: &std::path::Path, i: usize, text: &str) {
    let file = dir.join("policies.yaml");
    match i % 3 {
        0 => {
            use std::io::Write;
            let mut f = std::fs::File::create(&file).expect("truncate");
            f.flush().expect("flush");
            f.write_all(text.as_bytes()).expect("write");
        }
        1 => {
            let tmp = dir.join(".policies.yaml.tmp");
            std::fs::write(&tmp, text).expect("temp file");
            std::fs::rename(&tmp, &file).expect("rename over");
        }
        _ => std::fs::write(&file, text).expect("overwrite"),
    }
}

async fn admin_get(client: &TestClient, warden: &RunningServer, path: &str) -> String {
    let url = format!("http://{}{path}", warden.admin_addr());
    let answer = send(client, request(Method::GET, &url, "", &[])).await;
    String::from_utf8(answer.body.to_vec()).expect("utf-8")
}

/// Reload counters and result as the store publishes them.
struct Seen<'a> {
    rejected: u64,
    last_error: Option<&'a str>,
}

/// Waits on the store's status channel (no sleeps) until `done` holds.
async fn settled(warden: &RunningServer, done: impl Fn(&Seen) -> bool) {
    let store = warden.gateway().policies();
    let mut rx = store.subscribe();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let status = store.status();
        let seen = Seen {
            rejected: status.rejected_total,
            last_error: status.last_error.as_deref(),
        };
        if done(&seen) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not settled: {status:?}"
        );
        let _ = tokio::time::timeout_at(deadline, rx.changed()).await;
    }
}

/// Scrapes `/metrics` until `done` holds: metrics follow the store's status on their own task.
async fn scraped_until(
    client: &TestClient,
    warden: &RunningServer,
    what: &str,
    done: impl Fn(&str) -> bool,
) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let metrics = admin_get(client, warden, "/metrics").await;
        if done(&metrics) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {metrics}");
        tokio::task::yield_now().await;
    }
}

/// The value of `warden_policy_reloads_total{result=...}` in a scrape.
fn reloads(metrics: &str, result: &str) -> u64 {
    let prefix = format!("warden_policy_reloads_total{{result=\"{result}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_burst_of_100_edits_is_reloaded_to_its_final_state() {
    let mock = MockUpstream::start().await;
    let dir = warden_e2e::policy_dir(&policy("enforce"));
    let warden = RunningServer::start(test_config(&mock.url(), dir.path()))
        .await
        .expect("warden starts");
    let client = http1();
    let modes = |i: usize| match i % 3 {
        0 => format!("invalid{i}"),
        1 => "monitor".to_owned(),
        _ => "enforce".to_owned(),
    };

    // Ending invalid: rejected, counted, and reported with the final error.
    for i in 0..100 {
        edit(dir.path(), i, &policy(&modes(i)));
    }
    edit(dir.path(), 100, &policy("invalid_final"));
    settled(&warden, |s| {
        s.rejected >= 1 && s.last_error.is_some_and(|e| e.contains("invalid_final"))
    })
    .await;
    scraped_until(&client, &warden, "a rejected reload counted", |m| {
        reloads(m, "rejected") >= 1
    })
    .await;
    let admin = admin_get(&client, &warden, "/admin/policy").await;
    assert!(admin.contains("invalid_final"), "{admin}");

    // Ending valid (a description no earlier edit had): the final content is active and the
    // error is cleared.
    for i in 0..100 {
        edit(dir.path(), i, &policy(&modes(i)));
    }
    edit(
        dir.path(),
        100,
        &one_policy("    mode: monitor\n    description: final\n"),
    );
    let store = warden.gateway().policies();
    settled(&warden, |s| {
        s.last_error.is_none()
            && store.load().default_policy.description.as_deref() == Some("final")
    })
    .await;
    let version = store.load().version.clone();
    scraped_until(
        &client,
        &warden,
        "the new version in warden_policy_info",
        |m| m.contains(&format!("warden_policy_info{{version=\"{version}\"}} 1")),
    )
    .await;
}
