//! The gateway's own HTTP/1.1 server connection (ADR 027), in place of hyper's: one task per
//! connection reads a request head with `httparse`, serves it, writes the response head
//! straight into its output buffer and streams the body, coalescing the frames that are ready
//! into one write.
//!
//! What it does, as an HTTP/1.1 origin server must (RFC 9112):
//! - keep-alive by version and `Connection`, pipelined requests answered in order;
//! - request bodies by `content-length` or chunked (a smuggling-shaped head, with both, closes
//!   the connection after its answer), `Expect: 100-continue` answered when the body is read;
//! - response bodies by length when known, chunked for HTTP/1.1 clients otherwise, or until
//!   close for HTTP/1.0 ones; none for `HEAD`, 1xx, 204 and 304;
//! - a body that fails or falls short is never finished: no last chunk, and the connection
//!   closes, so the client sees a broken message, not a complete one;
//! - a malformed head is answered with a JSON error (400, 431, 501, 505) and the connection
//!   closes;
//! - the client's side is watched while its request is served: a client that closes its
//!   connection drops the request's future, which cancels the upstream request.
//!
//! A connection that opens with the HTTP/2 preface is handed back to the caller, which serves
//! it with hyper's HTTP/2 server.

mod body;
mod head;
#[cfg(test)]
mod tests;

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http::{Request, Response};
use http_body::Body;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::watch;

use crate::body::BoxBody;
use crate::upstream::h1::Chunked;
pub use body::RequestBody;
use body::{Continue, Progress, ReadSide, lock};
use head::{BodyFraming, HeadError, ResponseFraming};

/// The HTTP/2 connection preface (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
/// Body data of at least this size is written from its own buffer instead of being copied.
const LARGE_FRAME: usize = 16 * 1024;
/// Response bytes gathered before a write, at most.
const WRITE_BATCH: usize = 64 * 1024;

/// How a connection ended, for the caller.
#[derive(Debug)]
pub(crate) enum Ended {
    /// Closed (by either side, after an answer, on shutdown or on an error).
    Closed,
    /// The client opened with the HTTP/2 preface: the caller serves `stream`, whose first
    /// bytes (already read) are `prefix`.
    Http2 { stream: TcpStream, prefix: Bytes },
}

/// What waiting for a request head gave. Not boxed: it is made once per request, and a box
/// would cost an allocation where the size costs one move.
#[allow(clippy::large_enum_variant)]
enum Next {
    Head(head::RequestHead),
    Refused(HeadError),
    Http2,
    /// The client closed (or its connection failed), or the gateway is shutting down, while
    /// the connection was idle.
    Idle,
}

/// How gathering response body frames for one write ended.
enum Gathered {
    /// More to come; write what is gathered.
    More,
    /// Write what is gathered, then this large frame's data.
    Large(Bytes),
    /// The body ended.
    End,
    /// The body failed: write what is gathered and close.
    Failed,
    /// The client left.
    ClientGone,
}

/// Serve HTTP/1.1 on `stream` until either side closes it or `shutdown` turns true (an
/// exchange in progress is finished first). Every request goes to `service`.
pub(crate) async fn serve<S, F>(
    stream: TcpStream,
    mut service: S,
    mut shutdown: watch::Receiver<bool>,
) -> Ended
where
    S: FnMut(Request<RequestBody>) -> F,
    F: Future<Output = Response<BoxBody>>,
{
    let (read, mut write) = stream.into_split();
    let side = Arc::new(Mutex::new(ReadSide::new(read)));
    let mut out = BytesMut::with_capacity(8 * 1024);
    let mut first = true;
    loop {
        let next = if *shutdown.borrow() {
            Next::Idle
        } else {
            tokio::select! {
                biased;
                next = poll_fn(|cx| poll_head(&side, first, cx)) => next,
                _ = shutdown.changed() => Next::Idle,
            }
        };
        let head = match next {
            Next::Head(head) => head,
            Next::Refused(err) => {
                tracing::debug!(error = %err, "malformed request head");
                head::error_response(err.status(), &err.to_string(), &mut out);
                let _ = write.write_all(&out).await;
                return Ended::Closed;
            }
            Next::Http2 => return http2(side, write),
            Next::Idle => return Ended::Closed,
        };
        first = false;
        let head::RequestHead {
            request,
            framing,
            mut keep_alive,
            expect_continue,
        } = head;
        let method = request.method().clone();
        let version = request.version();
        let body = start_body(&side, framing, expect_continue);
        let mut call = pin!(service(request.map(|()| body)));
        let Some(response) = poll_fn(|cx| poll_service(call.as_mut(), &side, cx)).await else {
            // The client left while its request was served; dropping the call cancels it.
            return Ended::Closed;
        };
        {
            // An answer given without reading a body the client holds back for its `100
            // Continue`: the client may send that body anyway or not, so the connection
            // carries nothing after this answer (`finish_buffered` below finds it unread).
            let mut s = lock(&side);
            s.expect = Continue::No;
            s.conn_waker = None;
        }
        let (parts, mut body) = response.into_parts();
        let framing = head::response_framing(
            &method,
            parts.status,
            version,
            body.size_hint().exact(),
            &parts.headers,
        );
        if framing == ResponseFraming::UntilClose
            || *shutdown.borrow()
            || !lock(&side).finish_buffered()
        {
            // The request body was not read to its end and is not all here: what follows on
            // the connection cannot be found, so nothing may follow.
            keep_alive = false;
        }
        let reason = parts
            .extensions
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| r.as_bytes());
        head::encode_response_head(
            parts.status,
            reason,
            &parts.headers,
            framing,
            keep_alive,
            version,
            &mut out,
        );
        drop(parts);
        let mut sent = 0u64;
        let complete = loop {
            let gathered =
                poll_fn(|cx| poll_gather(&mut body, framing, &mut sent, &mut out, &side, cx)).await;
            match gathered {
                Gathered::ClientGone => return Ended::Closed,
                Gathered::More => {}
                Gathered::Large(data) => {
                    if write.write_all(&out).await.is_err() {
                        return Ended::Closed;
                    }
                    out.clear();
                    if write.write_all(&data).await.is_err() {
                        return Ended::Closed;
                    }
                    if framing == ResponseFraming::Chunked {
                        out.extend_from_slice(b"\r\n");
                    }
                    continue;
                }
                Gathered::End => {
                    if framing == ResponseFraming::Chunked {
                        out.extend_from_slice(crate::upstream::h1::LAST_CHUNK);
                    }
                    break match framing {
                        ResponseFraming::Length(n) => sent == n,
                        _ => true,
                    };
                }
                Gathered::Failed => break false,
            }
            if write.write_all(&out).await.is_err() {
                return Ended::Closed;
            }
            out.clear();
        };
        if !out.is_empty() && write.write_all(&out).await.is_err() {
            return Ended::Closed;
        }
        out.clear();
        if !complete || !keep_alive {
            let _ = write.shutdown().await;
            return Ended::Closed;
        }
    }
}

/// Wait for the next request head: read until one is complete, the client closes, or the
/// head is refused.
fn poll_head(side: &Mutex<ReadSide>, first: bool, cx: &mut Context<'_>) -> Poll<Next> {
    let mut guard = lock(side);
    let side = &mut *guard;
    loop {
        if first && side.buf.first() == Some(&H2_PREFACE[0]) {
            let n = side.buf.len().min(H2_PREFACE.len());
            if side.buf[..n] == H2_PREFACE[..n] {
                if n == H2_PREFACE.len() {
                    return Poll::Ready(Next::Http2);
                }
            } else if let Some(next) = parse(side) {
                return Poll::Ready(next);
            }
        } else if let Some(next) = parse(side) {
            return Poll::Ready(next);
        }
        match side.poll_fill(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(0)) => {
                if !side.buf.iter().all(|b| b.is_ascii_whitespace()) {
                    tracing::debug!("client closed in the middle of a request head");
                }
                return Poll::Ready(Next::Idle);
            }
            Poll::Ready(Ok(_)) => {}
            Poll::Ready(Err(err)) => {
                tracing::debug!(%err, "reading a request head");
                return Poll::Ready(Next::Idle);
            }
        }
    }
}

fn parse(side: &mut ReadSide) -> Option<Next> {
    match head::parse_request(&mut side.buf) {
        Ok(Some(head)) => Some(Next::Head(head)),
        Ok(None) => None,
        Err(err) => Some(Next::Refused(err)),
    }
}

/// The request's body: whole when it arrived with the head, else read as it comes.
fn start_body(side: &Arc<Mutex<ReadSide>>, framing: BodyFraming, expect: bool) -> RequestBody {
    let mut s = lock(side);
    match framing {
        BodyFraming::Empty => {
            s.body = Progress::Done;
            RequestBody::full(None)
        }
        BodyFraming::Length(n) if s.buf.len() as u64 >= n => {
            s.body = Progress::Done;
            RequestBody::full(Some(s.buf.split_to(n as usize).freeze()))
        }
        BodyFraming::Length(_) | BodyFraming::Chunked => {
            s.body = match framing {
                BodyFraming::Length(n) => Progress::Length(n),
                _ => Progress::Chunked(Chunked::Size),
            };
            // Nothing of the body has come yet: the client may be waiting to be asked.
            s.expect = if expect && s.buf.is_empty() {
                Continue::Awaiting
            } else {
                Continue::No
            };
            drop(s);
            RequestBody::streaming(Arc::clone(side))
        }
    }
}

/// Drive the request's future, sending `100 Continue` when its body asks for it and watching
/// the client. `None`: the client closed its connection.
fn poll_service<F>(
    call: Pin<&mut F>,
    side: &Mutex<ReadSide>,
    cx: &mut Context<'_>,
) -> Poll<Option<Response<BoxBody>>>
where
    F: Future<Output = Response<BoxBody>>,
{
    if let Poll::Ready(response) = call.poll(cx) {
        return Poll::Ready(Some(response));
    }
    let mut guard = lock(side);
    let s = &mut *guard;
    match s.expect {
        Continue::No => {}
        Continue::Awaiting => s.conn_waker = Some(cx.waker().clone()),
        Continue::Wanted => {
            // Written with the read side's lock held: the body polls under it too, so it cannot
            // read the client's body before the client has been told to send it.
            match s.read.as_ref().try_write(head::CONTINUE) {
                Ok(n) if n == head::CONTINUE.len() => s.expect = Continue::No,
                // 25 bytes into an idle socket's empty send buffer do not go short or block;
                // if they ever do, the client's connection is beyond saving.
                _ => return Poll::Ready(None),
            }
        }
    }
    watch_client(s, cx)
}

/// Pending while the client's connection is open. Reads whatever the client sends meanwhile
/// (a pipelined request) into the buffer, once the body is done with the read half.
fn watch_client<T>(side: &mut ReadSide, cx: &mut Context<'_>) -> Poll<Option<T>> {
    if side.body != Progress::Done || side.buf.len() >= head::MAX_HEAD {
        return Poll::Pending;
    }
    loop {
        match side.poll_fill(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => return Poll::Ready(None),
            Poll::Ready(Ok(_)) if side.buf.len() >= head::MAX_HEAD => return Poll::Pending,
            Poll::Ready(Ok(_)) => {}
        }
    }
}

/// Take the response body's ready frames into `out`, framed, until none is ready, `out`
/// holds a write's worth, or the body ends.
fn poll_gather(
    body: &mut BoxBody,
    framing: ResponseFraming,
    sent: &mut u64,
    out: &mut BytesMut,
    side: &Mutex<ReadSide>,
    cx: &mut Context<'_>,
) -> Poll<Gathered> {
    loop {
        if framing == ResponseFraming::None && body.is_end_stream() {
            return Poll::Ready(Gathered::End);
        }
        match Pin::new(&mut *body).poll_frame(cx) {
            Poll::Ready(None) => return Poll::Ready(Gathered::End),
            Poll::Ready(Some(Err(err))) => {
                tracing::debug!(error = %err, "response body failed: closing the connection");
                return Poll::Ready(Gathered::Failed);
            }
            Poll::Ready(Some(Ok(frame))) => {
                // Trailers are dropped: HTTP/1.1 clients get them only when they ask (TE:
                // trailers), and the gateway's answers carry none of their own.
                if let Ok(mut data) = frame.into_data()
                    && !data.is_empty()
                    && framing != ResponseFraming::None
                {
                    let mut overflow = false;
                    if let ResponseFraming::Length(n) = framing {
                        let room = n - *sent;
                        if data.len() as u64 > room {
                            // More than the head declared: never send past the length.
                            data.truncate(room as usize);
                            overflow = true;
                        }
                    }
                    *sent += data.len() as u64;
                    if framing == ResponseFraming::Chunked {
                        head::put_chunk_header(out, data.len());
                    }
                    if overflow {
                        out.extend_from_slice(&data);
                        return Poll::Ready(Gathered::Failed);
                    }
                    if data.len() >= LARGE_FRAME {
                        return Poll::Ready(Gathered::Large(data));
                    }
                    out.extend_from_slice(&data);
                    if framing == ResponseFraming::Chunked {
                        out.extend_from_slice(b"\r\n");
                    }
                }
                if body.is_end_stream() {
                    return Poll::Ready(Gathered::End);
                }
                if out.len() >= WRITE_BATCH {
                    return Poll::Ready(Gathered::More);
                }
            }
            Poll::Pending => {
                if !out.is_empty() {
                    return Poll::Ready(Gathered::More);
                }
                return match watch_client::<()>(&mut lock(side), cx) {
                    Poll::Ready(_) => Poll::Ready(Gathered::ClientGone),
                    Poll::Pending => Poll::Pending,
                };
            }
        }
    }
}

/// Put the connection back together for the HTTP/2 server, with the bytes already read.
fn http2(side: Arc<Mutex<ReadSide>>, write: OwnedWriteHalf) -> Ended {
    let Ok(side) = Arc::try_unwrap(side) else {
        return Ended::Closed;
    };
    let side = side
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    match side.read.reunite(write) {
        Ok(stream) => Ended::Http2 {
            stream,
            prefix: side.buf.freeze(),
        },
        Err(_) => Ended::Closed,
    }
}

/// A connection whose first bytes were already read: they are read again first.
#[derive(Debug)]
pub(crate) struct Prefixed {
    prefix: Bytes,
    io: TcpStream,
}

impl Prefixed {
    pub(crate) fn new(prefix: Bytes, io: TcpStream) -> Prefixed {
        Prefixed { prefix, io }
    }
}

impl tokio::io::AsyncRead for Prefixed {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = buf.remaining().min(this.prefix.len());
            buf.put_slice(&this.prefix.split_to(n));
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl tokio::io::AsyncWrite for Prefixed {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}
