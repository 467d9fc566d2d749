//! Connection workers: the gateway listener's connections are served by a fixed set of
//! threads, each running its own single-threaded tokio runtime, as nginx runs worker
//! processes.
//!
//! The non-obvious choice (ADR 008): not tokio's work-stealing runtime. With it, every request
//! woke a parked worker thread (about 2.5 futex calls per request at one request in flight, the
//! largest share of the proxy's system time) and tasks of one exchange hopped between threads.
//! Here a connection, its requests, its upstream connections (the pool keeps one shard per
//! worker) and a streamed answer's hold-back task all live on one thread; the only cross-thread
//! steps are handing an accepted connection to a worker and guard verdicts coming back from
//! the model threads. The acceptor gives each new connection to the worker with the fewest
//! open connections.
//!
//! Each connection is served by the gateway's own HTTP/1.1 server ([`crate::http1`], ADR 027);
//! one that opens with the HTTP/2 preface is handed to hyper's HTTP/2 server.

use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, oneshot, watch};

use crate::gateway::Gateway;
use crate::http1::{self, Ended};

thread_local! {
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// The index of the worker running on this thread, if it is one.
pub fn current() -> Option<usize> {
    WORKER.with(Cell::get)
}

type Accepted = (std::net::TcpStream, SocketAddr);

struct Worker {
    connections: mpsc::UnboundedSender<Accepted>,
    open: Arc<AtomicUsize>,
}

/// Running workers: where the acceptor sends connections, and how to wait for them to stop.
pub(crate) struct Workers {
    workers: Vec<Worker>,
    stopped: Vec<oneshot::Receiver<()>>,
}

impl std::fmt::Debug for Workers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workers")
            .field("count", &self.workers.len())
            .finish_non_exhaustive()
    }
}

impl Workers {
    /// Start `count` worker threads serving `gateway`. Each stops when `shutdown` turns true
    /// (after letting its connections finish within `grace`) or when the acceptor is gone.
    pub(crate) fn start(
        count: usize,
        gateway: &Arc<Gateway>,
        shutdown: &watch::Receiver<bool>,
        grace: Duration,
    ) -> std::io::Result<Workers> {
        let mut workers = Vec::new();
        let mut stopped = Vec::new();
        for index in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (tx, rx) = mpsc::unbounded_channel();
            let (done_tx, done_rx) = oneshot::channel();
            let open = Arc::new(AtomicUsize::new(0));
            let context = WorkerContext {
                index,
                gateway: Arc::clone(gateway),
                connections: rx,
                open: Arc::clone(&open),
                shutdown: shutdown.clone(),
                grace,
            };
            std::thread::Builder::new()
                .name(format!("warden-worker-{index}"))
                .spawn(move || {
                    WORKER.with(|w| w.set(Some(index)));
                    runtime.block_on(context.run());
                    let _ = done_tx.send(());
                })?;
            workers.push(Worker {
                connections: tx,
                open,
            });
            stopped.push(done_rx);
        }
        Ok(Workers { workers, stopped })
    }

    /// Accept on `listener` until shutdown, handing each connection to the least busy worker.
    /// Returns a future that resolves once every worker has stopped.
    pub(crate) async fn accept(self, listener: TcpListener, mut shutdown: watch::Receiver<bool>) {
        let Workers { workers, stopped } = self;
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
                    let stream = match stream.into_std() {
                        Ok(stream) => stream,
                        Err(err) => {
                            tracing::debug!(%peer, %err, "accepted connection lost before hand-off");
                            continue;
                        }
                    };
                    let Some(worker) = workers.iter().min_by_key(|w| w.open.load(Ordering::Relaxed)) else {
                        return;
                    };
                    worker.open.fetch_add(1, Ordering::Relaxed);
                    if worker.connections.send((stream, peer)).is_err() {
                        worker.open.fetch_sub(1, Ordering::Relaxed);
                        tracing::error!("a connection worker stopped unexpectedly");
                    }
                }
                _ = shutdown.changed() => break,
            }
        }
        drop(listener);
        drop(workers);
        for done in stopped {
            let _ = done.await;
        }
    }
}

struct WorkerContext {
    index: usize,
    gateway: Arc<Gateway>,
    connections: mpsc::UnboundedReceiver<Accepted>,
    open: Arc<AtomicUsize>,
    shutdown: watch::Receiver<bool>,
    grace: Duration,
}

impl WorkerContext {
    async fn run(mut self) {
        let finished = Arc::new(Notify::new());
        // Keeps a timer due within a second on this event loop. Without one, every request's
        // first timer (the upstream and idle timeouts) is the earliest on an idle loop, and
        // tokio then wakes the loop through its eventfd: one extra write and wake-up per request.
        let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = housekeeping.tick() => {}
                next = self.connections.recv() => match next {
                    Some(accepted) => self.serve(&finished, accepted),
                    None => break,
                },
                _ = self.shutdown.changed() => {
                    // Connections accepted just before the shutdown are still served.
                    while let Ok(accepted) = self.connections.try_recv() {
                        self.serve(&finished, accepted);
                    }
                    break;
                }
            }
        }
        // Idle connections close at once on shutdown; the others after their exchange.
        let open = Arc::clone(&self.open);
        let all_closed = async {
            loop {
                let next = finished.notified();
                if open.load(Ordering::Acquire) == 0 {
                    return;
                }
                next.await;
            }
        };
        if tokio::time::timeout(self.grace, all_closed).await.is_err() {
            tracing::warn!(
                worker = self.index,
                grace = ?self.grace,
                "grace period over: closing the connections still open"
            );
        }
    }

    fn serve(&self, finished: &Arc<Notify>, (stream, peer): Accepted) {
        let open = Arc::clone(&self.open);
        let stream = match TcpStream::from_std(stream) {
            Ok(stream) => stream,
            Err(err) => {
                open.fetch_sub(1, Ordering::Relaxed);
                tracing::debug!(%peer, %err, "connection lost before it was served");
                return;
            }
        };
        let gateway = Arc::clone(&self.gateway);
        let shutdown = self.shutdown.clone();
        let finished = Arc::clone(finished);
        tokio::spawn(async move {
            let service = |request| {
                let gateway = Arc::clone(&gateway);
                async move { gateway.handle(request, Some(peer)).await }
            };
            match http1::serve(stream, service, shutdown.clone()).await {
                Ended::Closed => {}
                Ended::Http2 { stream, prefix } => {
                    serve_http2(stream, prefix, &gateway, peer, shutdown).await;
                }
            }
            open.fetch_sub(1, Ordering::AcqRel);
            finished.notify_one();
        });
    }
}

/// An HTTP/2 (h2c, prior knowledge) connection, served by hyper; on shutdown it is told to
/// finish its open streams and take no new ones.
async fn serve_http2(
    stream: TcpStream,
    prefix: bytes::Bytes,
    gateway: &Arc<Gateway>,
    peer: SocketAddr,
    mut shutdown: watch::Receiver<bool>,
) {
    let gateway = Arc::clone(gateway);
    let service = service_fn(move |request| {
        let gateway = Arc::clone(&gateway);
        async move { Ok::<_, Infallible>(gateway.handle(request, Some(peer)).await) }
    });
    let io = TokioIo::new(http1::Prefixed::new(prefix, stream));
    let connection = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
        .serve_connection(io, service);
    let mut connection = std::pin::pin!(connection);
    let result = if *shutdown.borrow() {
        connection.as_mut().graceful_shutdown();
        connection.await
    } else {
        tokio::select! {
            result = connection.as_mut() => result,
            _ = shutdown.changed() => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        }
    };
    if let Err(err) = result {
        tracing::debug!(%peer, err = %err, "HTTP/2 connection ended with an error");
    }
}
