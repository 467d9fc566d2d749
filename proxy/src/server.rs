//! Listeners and connection handling: HTTP/1.1 with keep-alive and HTTP/2 (h2c) on the
//! gateway address, HTTP/1.1 on the admin address, graceful shutdown on request.

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

use crate::admin;
use crate::config::Config;
use crate::gateway::Gateway;
use crate::metrics::Metrics;

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
}

/// A started gateway: its bound addresses and a handle to stop it.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    admin_addr: SocketAddr,
    gateway: Arc<Gateway>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// Bind both listeners (port 0 picks a free port) and start serving.
    pub async fn start(config: Config) -> Result<RunningServer, StartError> {
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
        let gateway = Arc::new(Gateway::new(config.clone(), Metrics::new()));
        let (shutdown, rx) = watch::channel(false);
        let grace = config.shutdown_grace;

        let gw = gateway.clone();
        let main_task = tokio::spawn(serve(listener, rx.clone(), grace, move |peer| {
            let gw = gw.clone();
            service_fn(move |request| {
                let gw = gw.clone();
                async move { Ok::<_, Infallible>(gw.handle(request, Some(peer)).await) }
            })
        }));
        let gw = gateway.clone();
        let admin_task = tokio::spawn(serve(admin_listener, rx, grace, move |_peer| {
            let gw = gw.clone();
            service_fn(move |request| {
                let gw = gw.clone();
                async move { Ok::<_, Infallible>(admin::handle(gw, request).await) }
            })
        }));
        gateway.set_ready(true);
        tracing::info!(%addr, %admin_addr, upstream = %config.upstream, "warden listening");
        Ok(RunningServer {
            addr,
            admin_addr,
            gateway,
            shutdown,
            tasks: vec![main_task, admin_task],
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
