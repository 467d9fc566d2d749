//! The upstream connection pool: HTTP/1.1 connections to the one upstream, each driven by the
//! task that serves the client.
//!
//! The non-obvious choices (ADR 008, ADR 026): a connection is not a task of its own, and it
//! speaks HTTP/1.1 through the gateway's own small codec ([`super::h1`]), not hyper's client.
//! hyper's pooled client runs every connection in a spawned task and hands each decoded body
//! chunk to the response body through a channel, so every streamed frame costs a cross-task
//! wake-up and usually its own `write` to the client; its low-level connection still runs a
//! dispatcher, a request channel and a body channel per exchange. Here the request's future
//! writes the request and reads the response head on the socket itself, and the response body
//! decodes its frames straight from the connection's read buffer, so reading the upstream and
//! writing the client happen in the same task: the frames that one read brings in are all
//! handed to the server before it flushes, and go out in one write, as nginx does.
//! A connection that finished its exchange is parked in the pool (LIFO) and polled again by the
//! next request that takes it; a reaper drops connections idle too long or closed by the
//! upstream meanwhile. Each connection worker ([`crate::workers`]) has its own shard of the
//! pool, so a connection is only ever polled by the thread whose event loop it is registered
//! with (other threads, such as tests calling the gateway directly, share one more shard).
//! Dropping a response body mid-stream closes its connection, which is how a client that
//! leaves cancels generation upstream.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::{Request, Response, Uri};
use http_body::{Body, Frame, SizeHint};
use hyper_rustls::{HttpsConnector, MaybeHttpsStream};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_util::io::poll_read_buf;
use tower_service::Service;

use super::Forwarding;
use super::h1::{self, BodyFraming, Chunked, Decoded, ProtocolError, RequestFraming};
use crate::body::{BoxBody, BoxError};

/// The socket (TLS or not) with tokio's I/O traits.
type Io = TokioIo<MaybeHttpsStream<TokioIo<TcpStream>>>;

/// Bytes of request (head and body) gathered before they are written.
const WRITE_HIGH_WATER: usize = 64 * 1024;
/// Room made in a connection's read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;

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
    #[error("upstream connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("upstream protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("reading the request body: {0}")]
    Body(BoxError),
    #[error("the upstream closed the connection before answering")]
    Closed,
    #[error("the upstream closed the connection before the end of the response body")]
    Truncated,
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
    io: Io,
    /// Bytes read from the upstream and not yet decoded.
    read: BytesMut,
    /// The shard (worker) it was opened on and returns to.
    shard: usize,
}

impl Conn {
    /// Whether a parked connection is still usable: open, and nothing arrived while it was
    /// idle (a close, or stray bytes that no request asked for).
    fn probe(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.read.is_empty() {
            return false;
        }
        let mut byte = [0u8; 1];
        let mut buf = ReadBuf::new(&mut byte);
        Pin::new(&mut self.io).poll_read(cx, &mut buf).is_pending()
    }

    /// Read what the upstream has sent into `read`: `Ok(0)` when it closed the connection.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.read.capacity() - self.read.len() < 1024 {
            self.read.reserve(READ_CHUNK);
        }
        poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read)
    }
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

    /// Send `request` (origin-form URI) with `forwarding`'s fields and wait for
    /// the response head. The response body reads the connection; the connection returns to
    /// the pool when the body ends.
    pub async fn send(
        &self,
        request: Request<BoxBody>,
        forwarding: &Forwarding,
    ) -> Result<Response<UpstreamBody>, UpstreamError> {
        let (parts, body) = request.into_parts();
        let framing = match body.size_hint().exact() {
            Some(0) => RequestFraming::Empty,
            Some(n) => RequestFraming::Length(n),
            None => RequestFraming::Chunked,
        };
        let mut out = BytesMut::with_capacity(1024);
        let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
        h1::encode_head(
            &parts.method,
            target,
            &parts.headers,
            forwarding,
            framing,
            &mut out,
        );
        let mut writer = RequestWriter {
            out,
            body: (framing != RequestFraming::Empty).then_some(body),
            framing,
            sent: 0,
            wrote_any: false,
        };
        loop {
            let (conn, reused) = match self.checkout().await {
                Some(conn) => (conn, true),
                // Boxed: a connect's future is large and rare; the pooled path stays small.
                None => (Box::pin(self.connect()).await?, false),
            };
            if reused {
                self.inner.stats.reused.fetch_add(1, Ordering::Relaxed);
            }
            match exchange(conn, &mut writer, &parts.method, &self.inner.stats).await {
                Ok((head, conn)) => {
                    let pool = Arc::downgrade(&self.inner);
                    let (parts, ()) = head.response.into_parts();
                    let body = UpstreamBody::new(conn, head.framing, head.keep_alive, pool);
                    return Ok(Response::from_parts(parts, body));
                }
                // A pooled connection the upstream closed while it was idle, found out before
                // any byte of the request was written: send it on another one.
                Err(UpstreamError::Io(_) | UpstreamError::Closed)
                    if reused && !writer.wrote_any =>
                {
                    self.inner.stats.retried.fetch_add(1, Ordering::Relaxed);
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// The most recently parked connection that is still open and clean.
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
            if poll_fn(|cx| Poll::Ready(conn.probe(cx))).await {
                return Some(conn);
            }
        }
    }

    /// A new connection, boxed so that the exchange, the response body and the pool move a
    /// pointer rather than the connection's state.
    async fn connect(&self) -> Result<Box<Conn>, UpstreamError> {
        let mut connector = self.inner.connector.clone();
        poll_fn(|cx| connector.poll_ready(cx))
            .await
            .map_err(UpstreamError::Connect)?;
        let io = connector
            .call(self.inner.target.clone())
            .await
            .map_err(UpstreamError::Connect)?;
        self.inner.stats.opened.fetch_add(1, Ordering::Relaxed);
        Ok(Box::new(Conn {
            io: TokioIo::new(io),
            read: BytesMut::new(),
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
                        entry.since.elapsed() <= timeout && entry.conn.probe(&mut cx)
                    });
                }
            }
        }
    });
}

/// How the request's write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteEnd {
    /// All of it was written.
    Done,
    /// The upstream started answering before the request was all written (an early error
    /// such as 413): stop writing, read the answer, and do not reuse the connection.
    Early,
}

/// The request on its way out: the encoded bytes not yet written and the body not yet read.
/// It survives a failed connection, so a request that no byte of was written can be retried.
struct RequestWriter {
    out: BytesMut,
    body: Option<BoxBody>,
    framing: RequestFraming,
    /// Body bytes taken from `body`.
    sent: u64,
    /// Some bytes reached a connection: the request can no longer be retried.
    wrote_any: bool,
}

impl RequestWriter {
    /// Gather the body and write it with the head, watching the upstream for an early answer
    /// while the socket or the client's body is not ready.
    fn poll_write(
        &mut self,
        conn: &mut Conn,
        cx: &mut Context<'_>,
    ) -> Poll<Result<WriteEnd, UpstreamError>> {
        loop {
            while self.out.len() < WRITE_HIGH_WATER {
                let Some(body) = self.body.as_mut() else {
                    break;
                };
                match Pin::new(body).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Ok(data) = frame.into_data() {
                            self.push(&data)?;
                        }
                    }
                    Poll::Ready(Some(Err(err))) => {
                        return Poll::Ready(Err(UpstreamError::Body(err)));
                    }
                    Poll::Ready(None) => {
                        self.body = None;
                        self.finish()?;
                    }
                    Poll::Pending => break,
                }
            }
            if self.out.is_empty() {
                if self.body.is_none() {
                    return Poll::Ready(Ok(WriteEnd::Done));
                }
                return poll_early_answer(conn, cx);
            }
            match Pin::new(&mut conn.io).poll_write(cx, &self.out) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(
                        std::io::Error::from(std::io::ErrorKind::WriteZero).into()
                    ));
                }
                Poll::Ready(Ok(n)) => {
                    self.out.advance(n);
                    self.wrote_any = true;
                }
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err.into())),
                Poll::Pending => return poll_early_answer(conn, cx),
            }
        }
    }

    fn push(&mut self, data: &[u8]) -> Result<(), UpstreamError> {
        if data.is_empty() {
            return Ok(());
        }
        self.sent += data.len() as u64;
        match self.framing {
            RequestFraming::Chunked => h1::encode_chunk(data, &mut self.out),
            RequestFraming::Length(n) if self.sent <= n => self.out.put_slice(data),
            _ => {
                return Err(UpstreamError::Body(
                    "the request body is longer than its declared length".into(),
                ));
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> Result<(), UpstreamError> {
        match self.framing {
            RequestFraming::Chunked => self.out.put_slice(h1::LAST_CHUNK),
            RequestFraming::Length(n) if self.sent != n => {
                return Err(UpstreamError::Body(
                    "the request body ended before its declared length".into(),
                ));
            }
            _ => {}
        }
        Ok(())
    }
}

/// While the request cannot be written, watch for the upstream answering (or closing) early.
fn poll_early_answer(
    conn: &mut Conn,
    cx: &mut Context<'_>,
) -> Poll<Result<WriteEnd, UpstreamError>> {
    match conn.poll_fill(cx) {
        Poll::Pending => Poll::Pending,
        Poll::Ready(Ok(0)) => Poll::Ready(Err(UpstreamError::Closed)),
        Poll::Ready(Ok(_)) => Poll::Ready(Ok(WriteEnd::Early)),
        Poll::Ready(Err(err)) => Poll::Ready(Err(err.into())),
    }
}

/// Write the request on `conn` and read the response head, in this task.
async fn exchange(
    mut conn: Box<Conn>,
    writer: &mut RequestWriter,
    method: &http::Method,
    stats: &PoolStats,
) -> Result<(h1::Head, Box<Conn>), UpstreamError> {
    // From here on the connection is counted as discarded unless it is handed on with the
    // response: on an error, when the upstream closed it, and when this future is dropped
    // before the head arrives (the client left while the upstream was still thinking).
    let pending = Pending { stats };
    let end = poll_fn(|cx| writer.poll_write(&mut conn, cx)).await?;
    if end == WriteEnd::Done {
        poll_fn(|cx| Pin::new(&mut conn.io).poll_flush(cx)).await?;
    }
    let mut head = poll_fn(|cx| {
        loop {
            match h1::parse_head(&mut conn.read, method) {
                Ok(Some(head)) => return Poll::Ready(Ok(head)),
                Ok(None) => {}
                Err(err) => return Poll::Ready(Err(UpstreamError::from(err))),
            }
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(UpstreamError::Closed)),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => return Poll::Ready(Err(err.into())),
            }
        }
    })
    .await?;
    head.keep_alive &= end == WriteEnd::Done;
    pending.keep();
    Ok((head, conn))
}

/// An exchange in progress; dropped without [`Pending::keep`] (an error, or the future
/// dropped), its connection counts as discarded.
struct Pending<'a> {
    stats: &'a PoolStats,
}

impl Pending<'_> {
    fn keep(self) {
        std::mem::forget(self);
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.stats.discarded.fetch_add(1, Ordering::Relaxed);
    }
}

/// Most body bytes gathered into one frame from the chunks already received.
const COALESCE_MAX: usize = 64 * 1024;

/// Decode every chunk already in `read` into one piece of data (copied together when there are
/// several), and whether the body's end was reached. The upstream's chunk boundaries carry no
/// meaning; forwarding what one read brought as one frame makes the per-frame work (the
/// client's chunk framing, the body wrappers, the idle timer) once per read, as nginx does.
/// Nothing waits for more input: only what has arrived is merged.
fn coalesce_chunks(
    decoder: &mut Chunked,
    read: &mut BytesMut,
) -> Result<(Option<Bytes>, bool), ProtocolError> {
    let mut first: Option<Bytes> = None;
    let mut merged: Option<BytesMut> = None;
    loop {
        match decoder.decode(read)? {
            Decoded::Data(data) => {
                if let Some(merged) = merged.as_mut() {
                    merged.extend_from_slice(&data);
                } else if let Some(head) = first.take() {
                    let mut joined = BytesMut::with_capacity(head.len() + data.len() + read.len());
                    joined.extend_from_slice(&head);
                    joined.extend_from_slice(&data);
                    merged = Some(joined);
                } else {
                    first = Some(data);
                }
                let gathered = merged.as_ref().map_or(0, BytesMut::len);
                if gathered >= COALESCE_MAX {
                    break;
                }
            }
            Decoded::NeedMore => break,
            Decoded::End => return Ok((merged.map(BytesMut::freeze).or(first), true)),
        }
    }
    Ok((merged.map(BytesMut::freeze).or(first), false))
}

/// Where a response body's decoding stands.
#[derive(Debug, Clone, Copy)]
enum BodyState {
    Length(u64),
    Chunked(Chunked),
    UntilClose,
    /// Ended (or failed): nothing more to read.
    Done,
}

/// A response body from the pool: polling it reads and decodes its connection, and the
/// connection goes back to the pool once the body has ended. Dropping it early closes the
/// connection.
pub struct UpstreamBody {
    conn: Option<Box<Conn>>,
    state: BodyState,
    /// The connection may carry another exchange after this body.
    keep_alive: bool,
    pool: Weak<Inner>,
}

impl std::fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamBody")
            .field("state", &self.state)
            .field("pooled", &self.conn.is_some())
            .finish_non_exhaustive()
    }
}

impl UpstreamBody {
    fn new(conn: Box<Conn>, framing: BodyFraming, keep_alive: bool, pool: Weak<Inner>) -> Self {
        let state = match framing {
            BodyFraming::Empty => BodyState::Done,
            BodyFraming::Length(n) => BodyState::Length(n),
            BodyFraming::Chunked => BodyState::Chunked(Chunked::Size),
            BodyFraming::UntilClose => BodyState::UntilClose,
        };
        let mut body = UpstreamBody {
            conn: Some(conn),
            state,
            keep_alive,
            pool,
        };
        if matches!(body.state, BodyState::Done) {
            // No body to read (204, 304, HEAD, `Content-Length: 0`): the server may never poll
            // it, so hand the connection back now.
            body.release();
        }
        body
    }

    fn discard(&mut self) {
        if self.conn.take().is_some()
            && let Some(pool) = self.pool.upgrade()
        {
            pool.stats.discarded.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The body has ended: park the connection if it can carry another exchange.
    fn release(&mut self) {
        self.state = BodyState::Done;
        let reusable = self.keep_alive && self.conn.as_ref().is_some_and(|c| c.read.is_empty());
        if !reusable {
            self.discard();
            return;
        }
        if let (Some(conn), Some(pool)) = (self.conn.take(), self.pool.upgrade()) {
            pool.park(conn);
        }
    }

    fn fail(&mut self, error: UpstreamError) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        self.state = BodyState::Done;
        self.discard();
        Poll::Ready(Some(Err(error)))
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
    type Error = UpstreamError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, UpstreamError>>> {
        let this = self.get_mut();
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match &mut this.state {
                BodyState::Done => return Poll::Ready(None),
                BodyState::Length(left) => {
                    if !conn.read.is_empty() {
                        let take = usize::try_from(*left)
                            .map_or(conn.read.len(), |l| l.min(conn.read.len()));
                        let data = conn.read.split_to(take).freeze();
                        *left -= take as u64;
                        if *left == 0 {
                            this.release();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                BodyState::Chunked(decoder) => {
                    let mut decoder = *decoder;
                    let decoded = coalesce_chunks(&mut decoder, &mut conn.read);
                    this.state = BodyState::Chunked(decoder);
                    let (data, ended) = match decoded {
                        Ok(decoded) => decoded,
                        Err(err) => return this.fail(err.into()),
                    };
                    if ended {
                        // The last chunk came with the data: hand the connection back now, so
                        // the body reports its end and the server can finish in one write.
                        this.release();
                        return Poll::Ready(data.map(|data| Ok(Frame::data(data))));
                    }
                    if let Some(data) = data {
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                BodyState::UntilClose => {
                    if !conn.read.is_empty() {
                        let data = conn.read.split().freeze();
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
            }
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) if matches!(this.state, BodyState::UntilClose) => {
                    this.release();
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => return this.fail(UpstreamError::Truncated),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => return this.fail(err.into()),
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self.state, BodyState::Done)
    }

    fn size_hint(&self) -> SizeHint {
        match self.state {
            BodyState::Length(n) => SizeHint::with_exact(n),
            BodyState::Done => SizeHint::with_exact(0),
            _ => SizeHint::default(),
        }
    }
}

#[cfg(test)]
mod tests;
