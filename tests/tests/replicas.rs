//! Two Warden replicas behind haproxy, sharing one policy directory and one remote guard (as in
//! docs/deployment.md): a policy edit reloaded on each replica is what both serve through the
//! load balancer.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::json;
use tokio::net::TcpListener;
use warden::RunningServer;
use warden::config::GuardSource;
use warden_e2e::MockUpstream;
use warden_e2e::client::{PATIENCE, TestClient, http1, post_json, request, send};
use warden_e2e::guarded::{one_policy, test_config};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// A guard server speaking vLLM's `/v1/completions`: every verdict is `safe`; counts calls.
struct GuardMock {
    addr: SocketAddr,
    calls: Arc<AtomicUsize>,
}

impl GuardMock {
    async fn start() -> GuardMock {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind guard");
        let addr = listener.local_addr().expect("guard addr");
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |_request| {
                        counter.fetch_add(1, Ordering::Relaxed);
                        let body = json!({
                            "object": "text_completion",
                            "choices": [{"index": 0, "text": "safe", "logprobs": null,
                                         "finish_reason": "stop"}]
                        });
                        async move {
                            Ok::<_, Infallible>(
                                Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(Bytes::from(body.to_string())))
                                    .expect("static response"),
                            )
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        GuardMock { addr, calls }
    }
}

/// haproxy in the foreground; killed when dropped.
struct Haproxy {
    child: Child,
    addr: SocketAddr,
    _config: tempfile::TempDir,
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Haproxy {
    /// Round-robin over `backends`; each answer names the replica that served it.
    async fn start(backends: &[SocketAddr]) -> Haproxy {
        // haproxy cannot report a port it chose, so take a free one from the kernel.
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port");
        let servers: String = backends
            .iter()
            .enumerate()
            .map(|(i, b)| format!("  server replica{i} {b}\n"))
            .collect();
        let config = tempfile::tempdir().expect("tempdir");
        let path = config.path().join("haproxy.cfg");
        std::fs::write(
            &path,
            format!(
                "global\n  maxconn 256\n\
                 defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n\
                 frontend gateway\n  bind {addr}\n  default_backend warden\n\
                 backend warden\n  balance roundrobin\n  http-response set-header x-served-by %[srv_name]\n{servers}"
            ),
        )
        .expect("write haproxy.cfg");
        let child = Command::new(HAPROXY)
            .args(["-db", "-f"])
            .arg(&path)
            .stdout(Stdio::null())
            .spawn()
            .expect("haproxy starts");
        let haproxy = Haproxy {
            child,
            addr,
            _config: config,
        };
        // Ready once it accepts connections.
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "haproxy did not listen on {addr}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        haproxy
    }
}

fn policy(description: &str) -> String {
    one_policy(&format!(
        "    description: {description}\n    guard: {{ template: lg2 }}\n"
    ))
}

async fn start_replica(upstream: &str, policies: &Path, guard: SocketAddr) -> RunningServer {
    let mut config = test_config(upstream, policies);
    config.guard = GuardSource::Remote {
        url: format!("http://{guard}"),
        model: "llama-guard".to_owned(),
    };
    RunningServer::start(config).await.expect("replica starts")
}

/// `x-warden-policy` of each answer through the load balancer, by the replica that served it.
async fn policies_served(client: &TestClient, lb: SocketAddr) -> BTreeMap<String, Vec<String>> {
    let url = format!("http://{lb}/v1/chat/completions");
    let body = json!({"model":"llama3","messages":[{"role":"user","content":"hello there"}]});
    let mut served: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for _ in 0..6 {
        let answer = post_json(client, &url, &body, &[]).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        let header = |name: &str| {
            answer.headers[name]
                .to_str()
                .expect("ascii header")
                .to_owned()
        };
        assert_eq!(header("x-warden-decision"), "allow");
        served
            .entry(header("x-served-by"))
            .or_default()
            .push(header("x-warden-policy"));
    }
    served
}

#[tokio::test]
async fn two_replicas_behind_haproxy_serve_the_reloaded_policy() {
    if !Path::new(HAPROXY).exists() {
        eprintln!("skipped: {HAPROXY} not installed (.ci/run installs haproxy)");
        return;
    }
    let mock = MockUpstream::start().await;
    let guard = GuardMock::start().await;
    let dir = warden_e2e::policy_dir(&policy("first"));
    let a = start_replica(&mock.url(), dir.path(), guard.addr).await;
    let b = start_replica(&mock.url(), dir.path(), guard.addr).await;
    let lb = Haproxy::start(&[a.addr(), b.addr()]).await;
    let client = http1();

    let v1 = format!("p@{}", a.gateway().policies().load().version);
    let before = policies_served(&client, lb.addr).await;
    assert_eq!(before.len(), 2, "both replicas serve: {before:?}");
    assert!(before.values().flatten().all(|p| *p == v1), "{before:?}");
    assert!(
        guard.calls.load(Ordering::Relaxed) >= 6,
        "the shared guard judged every prompt"
    );

    // One edit of the shared directory, reloaded on each replica's admin port.
    std::fs::write(dir.path().join("policies.yaml"), policy("second")).expect("edit");
    let mut versions = Vec::new();
    for replica in [&a, &b] {
        let url = format!("http://{}/admin/policy/reload", replica.admin_addr());
        let answer = send(&client, request(Method::POST, &url, "", &[])).await;
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
        versions.push(
            answer.json()["version"]
                .as_str()
                .expect("version")
                .to_owned(),
        );
    }
    assert_eq!(versions[0], versions[1], "one directory, one version");
    let v2 = format!("p@{}", versions[0]);
    assert_ne!(v1, v2);

    let after = policies_served(&client, lb.addr).await;
    assert_eq!(after.len(), 2, "both replicas serve: {after:?}");
    assert!(after.values().flatten().all(|p| *p == v2), "{after:?}");
}
