//! Listeners and connection handling: HTTP/1.1 with keep-alive and HTTP/2 (h2c) on the
//! gateway address, served by the connection workers ([`crate::workers`]); HTTP/1.1 on the
//! admin address; graceful shutdown on request.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use warden_code_scan::Scanner;
use warden_guard_model::Classifier;
use warden_policies::{PolicyStore, PolicyWatcher, ScanCatalog};

use crate::admin;
use crate::audit::AuditLog;
use crate::config::{Config, GuardSource};
use crate::gateway::{Gateway, Services};
use crate::guard::Checker;
use crate::metrics::Metrics;
use crate::workers::Workers;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot listen on {addr}: {source}. Fix: choose a free address with --listen / --admin-listen"
    )]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the connection workers: {0}")]
    Workers(std::io::Error),
    #[error("policies: {0}")]
    Policies(String),
    #[error("code-scan rules: {0}")]
    Rules(String),
    #[error("guard model: {0}")]
    Guard(String),
    #[error("prompt guard: {0}")]
    PromptGuard(String),
    #[error(
        "audit log: cannot open {path}: {source}. Fix: point --audit-log at a writable file, or use stdout"
    )]
    Audit {
        path: String,
        source: std::io::Error,
    },
}

/// A started gateway: its bound addresses and a handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    gateway: Arc<Gateway>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _watcher: Option<PolicyWatcher>,
}

impl RunningServer {
    /// Bind both listeners (port 0 picks a free port), load policies, rules and the guard
    /// the configuration names, and start serving.
    pub async fn start(config: Config) -> Result<RunningServer, StartError> {
        RunningServer::start_with(config, None).await
    }

    /// Like [`RunningServer::start`], with a guard supplied by the caller instead of the one
    /// the configuration names (tests share one loaded model across servers this way).
    pub async fn start_with(
        config: Config,
        guard: Option<Arc<dyn Classifier>>,
    ) -> Result<RunningServer, StartError> {
        let config = Arc::new(config);
        let listener = bind(config.listen).await?;
        let admin_listener = bind(config.admin_listen).await?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let admin_addr = admin_listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: config.admin_listen,
                source,
            })?;
        let metrics = Metrics::new();
        let scanner = Scanner::builtin().map_err(|e| StartError::Rules(e.to_string()))?;
        let catalog = ScanCatalog::builtin();
        let policies = match &config.policies {
            Some(dir) => PolicyStore::open(dir, catalog),
            None => PolicyStore::builtin(catalog),
        }
        .map_err(|e| StartError::Policies(e.to_string()))?;
        let policies = Arc::new(policies);
        metrics.set_policy_version(&policies.load().version);
        let audit = AuditLog::open(&config.audit).map_err(|source| StartError::Audit {
            path: match &config.audit {
                crate::audit::AuditTarget::File { path, .. } => path.display().to_string(),
                other => format!("{other:?}"),
            },
            source,
        })?;

        let (shutdown, rx) = watch::channel(false);
        let grace = config.shutdown_grace;
        let mut tasks = Vec::new();

        // The admin listener answers first, so /readyz says "starting" while the guard loads.
        let ready_probe = Arc::new(tokio::sync::OnceCell::<Arc<Gateway>>::new());
        let probe = ready_probe.clone();
        let admin_metrics = metrics.clone();
        tasks.push(tokio::spawn(serve(
            admin_listener,
            rx.clone(),
            grace,
            move |_peer| {
                let probe = probe.clone();
                let metrics = admin_metrics.clone();
                service_fn(move |request| {
                    let probe = probe.clone();
                    let metrics = metrics.clone();
                    async move {
                        Ok::<_, Infallible>(match probe.get() {
                            Some(gw) => admin::handle(gw.clone(), request).await,
                            None => admin::starting(&metrics, request),
                        })
                    }
                })
            },
        )));

        let classifier = match guard {
            Some(guard) => Some(guard),
            None => load_guard(&config).await?,
        };
        if let Some(classifier) = &classifier {
            metrics.watch_guard_engine(Arc::clone(classifier));
        }
        let checker = Checker::new(
            classifier,
            Arc::new(scanner),
            config.guard_concurrency,
            metrics.clone(),
        );
        let injection = load_prompt_guard(&config).await?.map(|detector| {
            crate::injection::InjectionChecker::new(detector, config.guard_concurrency, &metrics)
        });
        let services = Services {
            policies: policies.clone(),
            checker,
            injection,
            audit,
        };
        let gateway = Arc::new(Gateway::new(config.clone(), metrics.clone(), services));

        let workers =
            Workers::start(config.workers, &gateway, &rx, grace).map_err(StartError::Workers)?;
        tasks.push(tokio::spawn(workers.accept(listener, rx.clone())));
        tasks.push(tokio::spawn(follow_reloads(
            policies.clone(),
            metrics.clone(),
            rx.clone(),
        )));
        #[cfg(unix)]
        tasks.push(tokio::spawn(reload_on_sighup(policies.clone(), rx)));
        let watcher = match config.watch_policies.then(|| policies.watch()) {
            None => None,
            Some(Ok(w)) => Some(w),
            Some(Err(err)) => {
                tracing::warn!(%err, "policy directory not watched; reload with SIGHUP or POST /admin/policy/reload");
                None
            }
        };
        gateway.set_ready(true);
        let _ = ready_probe.set(gateway.clone());
        let set = policies.load();
        tracing::info!(
            %addr,
            %admin_addr,
            upstream = %config.upstream,
            guard = %gateway.checker().describe_guard(),
            injection = %gateway.injection.as_ref().map_or_else(|| "none".to_string(), |i| i.describe()),
            policies = %config.policies.as_ref().map_or_else(|| "built-in default".to_string(), |d| d.display().to_string()),
            policy_version = %set.version,
            default_policy = %set.default_policy.name,
            routes = set.routes.len(),
            "warden listening"
        );
        Ok(RunningServer {
            addr,
            admin_addr,
            gateway,
            shutdown,
            tasks,
            _watcher: watcher,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn admin_addr(&self) -> SocketAddr {
        self.admin_addr
    }

    pub fn gateway(&self) -> &Arc<Gateway> {
        &self.gateway
    }

    /// Stop accepting, let in-flight requests finish within the grace period, then return.
    pub async fn shutdown(self) {
        self.gateway.set_ready(false);
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Serve until `signal` completes, then shut down gracefully.
    pub async fn run_until(self, signal: impl Future<Output = ()>) {
        signal.await;
        tracing::info!("shutdown requested: no new connections; finishing in-flight requests");
        self.shutdown().await;
        tracing::info!("stopped");
    }
}

/// Load the guard the configuration names, off the async workers.
async fn load_guard(config: &Config) -> Result<Option<Arc<dyn Classifier>>, StartError> {
    match &config.guard {
        GuardSource::None => {
            tracing::warn!(
                "no guard model configured: guard checks are off; code scanning still runs"
            );
            Ok(None)
        }
        GuardSource::Model(spec) => {
            let spec = spec.clone();
            let threads = config.guard_threads;
            let context_cache = usize::try_from(config.guard_context_cache).unwrap_or(usize::MAX);
            let device = config.device.clone();
            let started = std::time::Instant::now();
            tracing::info!(model = %spec, "loading guard model");
            let loaded = tokio::task::spawn_blocking(move || {
                crate::guard_loader::load_model(&spec, threads, context_cache, &device)
            })
            .await
            .map_err(|e| StartError::Guard(e.to_string()))?
            .map_err(StartError::Guard)?;
            tracing::info!(seconds = started.elapsed().as_secs_f64(), guard = %loaded.describe(), "guard model loaded");
            Ok(Some(loaded))
        }
        GuardSource::Remote { url, model } => {
            let remote = crate::guard_loader::remote(url, model).map_err(StartError::Guard)?;
            Ok(Some(remote))
        }
    }
}

/// Load the Prompt Guard model the configuration names, off the async workers.
async fn load_prompt_guard(
    config: &Config,
) -> Result<Option<Arc<dyn crate::injection::InjectionDetector>>, StartError> {
    let Some(spec) = config.prompt_guard.clone() else {
        return Ok(None);
    };
    let device = config.device.clone();
    let started = std::time::Instant::now();
    tracing::info!(model = %spec, "loading prompt guard");
    let loaded =
        tokio::task::spawn_blocking(move || crate::guard_loader::load_prompt_guard(&spec, &device))
            .await
            .map_err(|e| StartError::PromptGuard(e.to_string()))?
            .map_err(StartError::PromptGuard)?;
    tracing::info!(seconds = started.elapsed().as_secs_f64(), detector = %loaded.describe(), "prompt guard loaded");
    Ok(Some(loaded))
}

/// SIGHUP reloads the policy directory, as `nginx -s reload` does.
#[cfg(unix)]
async fn reload_on_sighup(policies: Arc<PolicyStore>, mut shutdown: watch::Receiver<bool>) {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hup = match signal(SignalKind::hangup()) {
        Ok(hup) => hup,
        Err(err) => {
            tracing::warn!(%err, "SIGHUP reload unavailable");
            return;
        }
    };
    loop {
        tokio::select! {
            received = hup.recv() => {
                if received.is_none() {
                    return;
                }
                tracing::info!("SIGHUP: reloading policies");
                let store = policies.clone();
                // Errors are logged and counted by the store; the old set stays.
                let _ = tokio::task::spawn_blocking(move || store.reload()).await;
            }
            _ = shutdown.changed() => return,
        }
    }
}

/// Count reloads and track the active version in metrics, whatever triggered them.
async fn follow_reloads(
    policies: Arc<PolicyStore>,
    metrics: Metrics,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut status = policies.subscribe();
    let mut seen = status.borrow().clone();
    loop {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    return;
                }
                let now = status.borrow_and_update().clone();
                let ok = now.ok_total.saturating_sub(seen.ok_total);
                let rejected = now.rejected_total.saturating_sub(seen.rejected_total);
                metrics.policy_reloads_total.with_label_values(&["ok"]).inc_by(ok);
                metrics.policy_reloads_total.with_label_values(&["rejected"]).inc_by(rejected);
                metrics.set_policy_version(&now.version);
                seen = now;
            }
            _ = shutdown.changed() => return,
        }
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })
}

/// Accept connections until shutdown, then wait up to `grace` for open ones to finish.
async fn serve<M, S>(
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
    grace: Duration,
    make_service: M,
) where
    M: Fn(SocketAddr) -> S,
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<crate::body::BoxBody>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(err) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(%err, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Err(err) = stream.set_nodelay(true) {
                    tracing::debug!(%err, "TCP_NODELAY not set");
                }
                let connection = builder
                    .serve_connection(TokioIo::new(stream), make_service(peer))
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    if let Err(err) = connection.await {
                        tracing::debug!(%peer, err = %err, "connection ended with an error");
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            ?grace,
            "grace period over: closing the connections still open"
        );
    }
}
