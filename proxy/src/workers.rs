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

use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

use crate::gateway::Gateway;

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
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // Copy a response's frames into one flat buffer and write it in one call, as nginx
        // does, instead of queueing each chunk's header, data and trailer as iovecs: hyper's
        // queue holds 16 buffers, so a streamed answer whose upstream read brought in 50
        // small frames went out in a dozen `writev`s; the copy costs far less.
        builder.http1().writev(false);
        let graceful = GracefulShutdown::new();
        // Keeps a timer due within a second on this event loop. Without one, every request's
        // first timer (the upstream and idle timeouts) is the earliest on an idle loop, and
        // tokio then wakes the loop through its eventfd: one extra write and wake-up per request.
        let mut housekeeping = tokio::time::interval(Duration::from_secs(1));
        housekeeping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = housekeeping.tick() => {}
                next = self.connections.recv() => match next {
                    Some(accepted) => self.serve(&builder, &graceful, accepted),
                    None => break,
                },
                _ = self.shutdown.changed() => {
                    // Connections accepted just before the shutdown are still served.
                    while let Ok(accepted) = self.connections.try_recv() {
                        self.serve(&builder, &graceful, accepted);
                    }
                    break;
                }
            }
        }
        if tokio::time::timeout(self.grace, graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!(
                worker = self.index,
                grace = ?self.grace,
                "grace period over: closing the connections still open"
            );
        }
    }

    fn serve(
        &self,
        builder: &auto::Builder<TokioExecutor>,
        graceful: &GracefulShutdown,
        (stream, peer): Accepted,
    ) {
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
        let service = service_fn(move |request| {
            let gateway = Arc::clone(&gateway);
            async move { Ok::<_, Infallible>(gateway.handle(request, Some(peer)).await) }
        });
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%peer, err = %err, "connection ended with an error");
            }
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}
