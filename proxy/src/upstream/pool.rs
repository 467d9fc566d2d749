//! The upstream connection pool: HTTP/1.1 connections to the one upstream, each driven by the
//! task that serves the client.
//!
//! The non-obvious choice (ADR 008): a connection is not a task of its own. hyper's pooled
//! client runs every connection in a spawned task and hands each decoded body chunk to the
//! response body through a channel, so every streamed frame costs a cross-task wake-up and
//! usually its own `write` to the client. Here the request's future and then its response body
//! poll the connection themselves (hyper's low-level `client::conn::http1`), so reading the
//! upstream and writing the client happen in the same task: the frames that one read brings
//! in are all handed to the server before it flushes, and go out in one write, as nginx does.
//! A connection that finished its exchange is parked in the pool (LIFO) and polled again by the
//! next request that takes it; a reaper drops connections idle too long or closed by the
//! upstream meanwhile. Each connection worker ([`crate::workers`]) has its own shard of the
//! pool, so a connection is only ever polled by the thread whose event loop it is registered
//! with (other threads, such as tests calling the gateway directly, share one more shard).
//! Dropping a response body mid-stream closes its connection, which is how a client that
//! leaves cancels generation upstream.

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::body::{BoxBody, BoxError};

type Io = MaybeHttpsStream<TokioIo<TcpStream>>;

/// How the pool connects and how long it keeps idle connections.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Limit on establishing a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Idle connections older than this are closed.
    pub idle_timeout: Duration,
    /// Most idle connections kept per shard; past it the oldest is closed.
    pub max_idle: usize,
    /// Connection workers (one shard each; one more for every other thread).
    pub workers: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(90),
            max_idle: 256,
            workers: 1,
        }
    }
}

/// Why an upstream exchange failed before a response head arrived.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("connecting to the upstream: {0}")]
    Connect(BoxError),
    #[error("HTTP handshake with the upstream: {0}")]
    Handshake(hyper::Error),
    #[error("upstream request failed: {0}")]
    Request(hyper::Error),
    #[error("the upstream closed the connection before answering")]
    Closed,
}

/// Connection counters, read at scrape time.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// Connections established.
    pub opened: AtomicU64,
    /// Requests sent on a pooled connection.
    pub reused: AtomicU64,
    /// Requests re-sent on another connection because a pooled one had closed before the
    /// request was written.
    pub retried: AtomicU64,
    /// Connections closed instead of being pooled: upstream `Connection: close`, a response
    /// (or, before it, the wait for its head) dropped before its end, errors, a pooled
    /// connection found closed when reused.
    pub discarded: AtomicU64,
}

/// A pool of HTTP/1.1 connections to one upstream (`http://` or `https://`).
#[derive(Debug, Clone)]
pub struct UpstreamPool {
    inner: Arc<Inner>,
}

struct Inner {
    /// Scheme and authority connected to.
    target: Uri,
    connector: HttpsConnector<HttpConnector>,
    builder: http1::Builder,
    /// Idle connections, one list per shard.
    idle: Vec<Mutex<Vec<Idle>>>,
    options: PoolOptions,
    stats: PoolStats,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamPool")
            .field("target", &self.target)
            .field("options", &self.options)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

struct Conn {
    send: http1::SendRequest<BoxBody>,
    io: http1::Connection<Io, BoxBody>,
    /// The shard (worker) it was opened on and returns to.
    shard: usize,
}

struct Idle {
    conn: Box<Conn>,
    since: Instant,
}

impl UpstreamPool {
    /// A pool for `upstream` (its scheme and authority; the path is the request's business).
    /// Starts the reaper task, so it must be called inside a tokio runtime.
    pub fn new(upstream: &Uri, options: PoolOptions) -> UpstreamPool {
        let mut http = HttpConnector::new();
        // Without TCP_NODELAY small streamed chunks wait for delayed ACKs (~40 ms on loopback).
        http.set_nodelay(true);
        http.enforce_http(false);
        http.set_connect_timeout(Some(options.connect_timeout));
        http.set_keepalive(Some(Duration::from_secs(60)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let mut target = http::uri::Parts::default();
        target.scheme = upstream.scheme().cloned();
        target.authority = upstream.authority().cloned();
        target.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
        let target = Uri::from_parts(target).unwrap_or_else(|_| upstream.clone());
        let inner = Arc::new(Inner {
            target,
            connector,
            builder: http1::Builder::new(),
            idle: (0..=options.workers).map(|_| Mutex::default()).collect(),
            options,
            stats: PoolStats::default(),
        });
        spawn_reaper(Arc::downgrade(&inner));
        UpstreamPool { inner }
    }

    pub fn stats(&self) -> &PoolStats {
        &self.inner.stats
    }

    /// Idle connections parked now.
    pub fn idle(&self) -> usize {
        self.inner
            .idle
            .iter()
            .map(|shard| shard.lock().map_or(0, |idle| idle.len()))
            .sum()
    }

    /// Send `request` (origin-form URI, `Host` set) and wait for the response head. The
    /// response body drives the connection; the connection returns to the pool when the body
    /// ends.
    pub async fn send(
        &self,
        mut request: Request<BoxBody>,
    ) -> Result<Response<UpstreamBody>, UpstreamError> {
        loop {
            let (conn, reused) = match self.checkout().await {
                Some(conn) => (conn, true),
                // Boxed: a connect's future is large and rare; the pooled path stays small.
                None => (Box::pin(self.connect()).await?, false),
            };
            if reused {
                self.inner.stats.reused.fetch_add(1, Ordering::Relaxed);
            }
            match exchange(conn, request, &self.inner.stats).await {
                Ok((response, conn)) => {
                    let pool = Arc::downgrade(&self.inner);
                    return Ok(response.map(|incoming| UpstreamBody::new(incoming, conn, pool)));
                }
                // A pooled connection the upstream closed while it was idle, found out before
                // the request was written: the request is untouched, send it on another one.
                Err(Failed {
                    request: Some(again),
                    ..
                }) if reused => {
                    self.inner.stats.retried.fetch_add(1, Ordering::Relaxed);
                    request = again;
                }
                Err(failed) => return Err(failed.error),
            }
        }
    }

    /// The most recently parked connection that is still open and ready.
    async fn checkout(&self) -> Option<Box<Conn>> {
        loop {
            let idle = {
                let mut idle = self.inner.idle.get(self.inner.shard())?.lock().ok()?;
                idle.pop()?
            };
            if idle.since.elapsed() > self.inner.options.idle_timeout {
                continue;
            }
            let mut conn = idle.conn;
            // Let the connection see a close (or stray bytes) that arrived while it was parked.
            let open =
                poll_fn(|cx| Poll::Ready(Pin::new(&mut conn.io).poll(cx).is_pending())).await;
            if open && conn.send.is_ready() {
                return Some(conn);
            }
        }
    }

    /// A new connection, boxed so that the exchange, the response body and the pool move a
    /// pointer rather than hyper's connection state (over a kilobyte).
    async fn connect(&self) -> Result<Box<Conn>, UpstreamError> {
        let mut connector = self.inner.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(UpstreamError::Connect)?;
        let io = connector
            .call(self.inner.target.clone())
            .await
            .map_err(UpstreamError::Connect)?;
        let (send, io) = self
            .inner
            .builder
            .handshake(io)
            .await
            .map_err(UpstreamError::Handshake)?;
        self.inner.stats.opened.fetch_add(1, Ordering::Relaxed);
        Ok(Box::new(Conn {
            send,
            io,
            shard: self.inner.shard(),
        }))
    }
}

impl Inner {
    /// This thread's shard: its worker's, or the last one for any other thread.
    fn shard(&self) -> usize {
        let shared = self.idle.len() - 1;
        crate::workers::current().map_or(shared, |worker| worker.min(shared))
    }

    fn park(&self, conn: Box<Conn>) {
        let Some(Ok(mut idle)) = self.idle.get(conn.shard).map(Mutex::lock) else {
            return;
        };
        if idle.len() >= self.options.max_idle.max(1) {
            idle.remove(0);
        }
        idle.push(Idle {
            conn,
            since: Instant::now(),
        });
    }
}

/// Closes idle connections past the idle timeout or closed by the upstream, so a quiet
/// gateway does not sit on half-closed sockets. Ends with the pool.
fn spawn_reaper(pool: Weak<Inner>) {
    let Some(period) = pool.upgrade().map(|p| {
        (p.options.idle_timeout / 4).clamp(Duration::from_millis(250), Duration::from_secs(15))
    }) else {
        return;
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Some(pool) = pool.upgrade() else {
                return;
            };
            let timeout = pool.options.idle_timeout;
            let mut cx = Context::from_waker(std::task::Waker::noop());
            for shard in &pool.idle {
                if let Ok(mut idle) = shard.lock() {
                    idle.retain_mut(|entry| {
                        entry.since.elapsed() <= timeout
                            && Pin::new(&mut entry.conn.io).poll(&mut cx).is_pending()
                    });
                }
            }
        }
    });
}

struct Failed {
    error: UpstreamError,
    /// The request, when the connection failed before writing it.
    request: Option<Request<BoxBody>>,
}

/// Write `request` on `conn` and read the response head, polling the connection in this task.
async fn exchange(
    mut conn: Box<Conn>,
    request: Request<BoxBody>,
    stats: &PoolStats,
) -> Result<(Response<Incoming>, Option<Box<Conn>>), Failed> {
    let response = conn.send.try_send_request(request);
    let mut response = std::pin::pin!(response);
    // From here on the connection is counted as discarded unless it is handed on with the
    // response: on an error, when the upstream closed it, and when this future is dropped
    // before the head arrives (the client left while the upstream was still thinking).
    let mut pending = Pending {
        conn: Some(conn),
        stats,
    };
    let mut io_done = false;
    let result = poll_fn(|cx| {
        if !io_done
            && let Some(conn) = pending.conn.as_mut()
            && Pin::new(&mut conn.io).poll(cx).is_ready()
        {
            io_done = true;
        }
        match response.as_mut().poll(cx) {
            Poll::Ready(result) => Poll::Ready(Some(result)),
            // The connection ended without completing the exchange (hyper answers the request
            // with an error when that happens; this is a guard against waiting forever).
            Poll::Pending if io_done => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await;
    match result {
        Some(Ok(response)) => Ok((response, if io_done { None } else { pending.keep() })),
        Some(Err(mut err)) => {
            let request = err.take_message();
            Err(Failed {
                error: UpstreamError::Request(err.into_error()),
                request,
            })
        }
        None => Err(Failed {
            error: UpstreamError::Closed,
            request: None,
        }),
    }
}

/// A connection in the middle of an exchange; dropped without [`Pending::keep`], it counts as
/// discarded.
struct Pending<'a> {
    conn: Option<Box<Conn>>,
    stats: &'a PoolStats,
}

impl Pending<'_> {
    fn keep(mut self) -> Option<Box<Conn>> {
        self.conn.take()
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if self.conn.take().is_some() {
            self.stats.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A response body from the pool: polling it drives its connection, and the connection goes
/// back to the pool once the body has ended. Dropping it early closes the connection.
pub struct UpstreamBody {
    incoming: Incoming,
    conn: Option<Box<Conn>>,
    pool: Weak<Inner>,
}

impl std::fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamBody")
            .field("pooled", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl UpstreamBody {
    fn new(incoming: Incoming, conn: Option<Box<Conn>>, pool: Weak<Inner>) -> UpstreamBody {
        let mut body = UpstreamBody {
            incoming,
            conn,
            pool,
        };
        if body.incoming.is_end_stream() {
            // No body to read (204, 304, HEAD, `Content-Length: 0`): the server may never poll
            // it, so hand the connection back now.
            let mut cx = Context::from_waker(std::task::Waker::noop());
            body.release(&mut cx);
        }
        body
    }

    /// Poll the connection, so bytes the upstream sent are read and decoded into `incoming`.
    fn drive(&mut self, cx: &mut Context<'_>) {
        if let Some(conn) = &mut self.conn
            && Pin::new(&mut conn.io).poll(cx).is_ready()
        {
            // Finished (the upstream closes after this response) or failed (`incoming` reports
            // the error): never polled again.
            self.discard();
        }
    }

    fn discard(&mut self) {
        if self.conn.take().is_some()
            && let Some(pool) = self.pool.upgrade()
        {
            pool.stats.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The body has ended: let the connection settle into its idle state and park it.
    fn release(&mut self, cx: &mut Context<'_>) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        let Some(pool) = self.pool.upgrade() else {
            return;
        };
        if Pin::new(&mut conn.io).poll(cx).is_ready() || conn.send.is_closed() {
            pool.stats.discarded.fetch_add(1, Ordering::Relaxed);
            return;
        }
        pool.park(conn);
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        // Dropped before its end (the client left, a check cut the stream): the connection
        // closes with it, which tells the upstream to stop generating.
        self.discard();
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = self.get_mut();
        this.drive(cx);
        let polled = Pin::new(&mut this.incoming).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(cx),
            Poll::Ready(Some(Ok(_))) if this.incoming.is_end_stream() => this.release(cx),
            Poll::Ready(Some(Err(_))) => this.discard(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
