//! Shared set-up for guarded end-to-end tests: the toy guard (the real candle path), policy
//! directories, and a remote guard that never answers (for timeouts and overload).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use warden::{Config, RunningServer};
use warden_guard_model::{CandleClassifier, CandleOptions, Classifier};

/// The toy guard fixture directory.
pub fn toy_guard_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/toy-guard")
}

/// The toy guard, loaded once per test process and shared by every server in it.
pub fn toy_guard() -> Arc<dyn Classifier> {
    static GUARD: OnceLock<Arc<dyn Classifier>> = OnceLock::new();
    GUARD
        .get_or_init(|| {
            let options = CandleOptions {
                progress: false,
                ..CandleOptions::default()
            };
            Arc::new(
                CandleClassifier::load(&toy_guard_dir(), options)
                    .expect("the toy guard fixture loads"),
            )
        })
        .clone()
}

/// Config for a test server on port 0.
pub fn test_config(upstream: &str, policies: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        admin_listen: "127.0.0.1:0".parse().expect("addr"),
        upstream: upstream.parse().expect("upstream url"),
        policies: Some(policies.to_path_buf()),
        ..Config::default()
    }
}

/// Start Warden with the toy guard.
pub async fn start_guarded(config: Config) -> RunningServer {
    RunningServer::start_with(config, Some(toy_guard()))
        .await
        .expect("warden starts")
}

/// A TCP server that accepts connections and never answers: a guard server that hangs.
#[derive(Debug, Clone)]
pub struct SilentServer {
    pub addr: SocketAddr,
    accepted: Arc<AtomicUsize>,
}

impl SilentServer {
    pub async fn start() -> SilentServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback port 0");
        let addr = listener.local_addr().expect("addr");
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                held.push(stream);
            }
        });
        SilentServer { addr, accepted }
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// A policy file with the given body under `policies:` (one policy named `p`), indented
/// by the caller.
pub fn one_policy(settings: &str) -> String {
    format!("version: 1\npolicies:\n  - name: p\n{settings}")
}
