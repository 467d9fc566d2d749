//! A client's request body, read in the task that serves the connection.
//!
//! A body that arrived whole with its head (the common case: a chat request is a few KB) is
//! handed over as one `Bytes`. Any other body reads the connection's read half, which it
//! shares with the connection through [`ReadSide`]: the connection reads only once the body is
//! done, and the body only while the request is being served.

use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::{Bytes, BytesMut};
use http_body::{Body, Frame, SizeHint};
use tokio::net::tcp::OwnedReadHalf;

use crate::upstream::h1::{Chunked, Decoded, ProtocolError};

/// Read-buffer room asked for before each read from the client.
const READ_RESERVE: usize = 8 * 1024;

/// The connection's read half and what has been read from it but not yet consumed.
#[derive(Debug)]
pub(crate) struct ReadSide {
    pub read: OwnedReadHalf,
    pub buf: BytesMut,
    /// Where the current request's body stands.
    pub body: Progress,
    pub expect: Continue,
    /// The connection's task, woken when the body asks for a `100 Continue`.
    pub conn_waker: Option<Waker>,
}

impl ReadSide {
    pub(crate) fn new(read: OwnedReadHalf) -> ReadSide {
        ReadSide {
            read,
            buf: BytesMut::with_capacity(READ_RESERVE),
            body: Progress::Done,
            expect: Continue::No,
            conn_waker: None,
        }
    }

    /// Read more into the buffer. `Ok(0)` is the client closing its side.
    pub(crate) fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<std::io::Result<usize>> {
        if self.buf.capacity() - self.buf.len() < READ_RESERVE / 2 {
            self.buf.reserve(READ_RESERVE);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.read), cx, &mut self.buf)
    }

    /// Consume what is left of the body if it is all buffered already; `true` when the body is
    /// then complete, so the connection can carry the next request.
    pub(crate) fn finish_buffered(&mut self) -> bool {
        loop {
            match &mut self.body {
                Progress::Done => return true,
                Progress::Failed => return false,
                Progress::Length(left) => {
                    if (self.buf.len() as u64) < *left {
                        return false;
                    }
                    let _ = self.buf.split_to(*left as usize);
                    self.body = Progress::Done;
                }
                Progress::Chunked(decoder) => match decoder.decode(&mut self.buf) {
                    Ok(Decoded::Data(_)) => {}
                    Ok(Decoded::End) => self.body = Progress::Done,
                    Ok(Decoded::NeedMore) => return false,
                    Err(_) => {
                        self.body = Progress::Failed;
                        return false;
                    }
                },
            }
        }
    }
}

/// Lock the read side. A panic while it was held cannot leave it inconsistent in a way that
/// matters more than the panic itself, so a poisoned lock is used as it is.
pub(crate) fn lock(side: &Mutex<ReadSide>) -> MutexGuard<'_, ReadSide> {
    side.lock().unwrap_or_else(PoisonError::into_inner)
}

/// How much of the current request body is left to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Read to its end (or there was none).
    Done,
    /// This many bytes left.
    Length(u64),
    Chunked(Chunked),
    /// Broken off: the client closed, or sent a malformed chunk.
    Failed,
}

/// `Expect: 100-continue` handling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continue {
    /// Not asked for, or already sent.
    No,
    /// The client waits for it; nobody has read the body yet.
    Awaiting,
    /// The body is being read: the connection sends it now.
    Wanted,
}

/// Why a request body ended early.
#[derive(Debug, thiserror::Error)]
pub enum RequestBodyError {
    #[error("the client closed the connection before the request body ended")]
    Closed,
    #[error("reading the request body: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Protocol(#[from] ProtocolError),
}

/// The body of a request received by the gateway's HTTP/1 server.
#[derive(Debug)]
pub struct RequestBody {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    /// Whole (or empty), taken out at the first poll.
    Full(Option<Bytes>),
    /// Read from the connection as it comes.
    Streaming(Arc<Mutex<ReadSide>>),
}

impl RequestBody {
    pub(crate) fn full(data: Option<Bytes>) -> RequestBody {
        RequestBody {
            kind: Kind::Full(data.filter(|d| !d.is_empty())),
        }
    }

    pub(crate) fn streaming(side: Arc<Mutex<ReadSide>>) -> RequestBody {
        RequestBody {
            kind: Kind::Streaming(side),
        }
    }
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = RequestBodyError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, RequestBodyError>>> {
        let side = match &mut self.get_mut().kind {
            Kind::Full(data) => return Poll::Ready(data.take().map(|d| Ok(Frame::data(d)))),
            Kind::Streaming(side) => side,
        };
        let mut guard = lock(side);
        let side = &mut *guard;
        loop {
            match &mut side.body {
                Progress::Done => return Poll::Ready(None),
                Progress::Failed => return Poll::Ready(Some(Err(RequestBodyError::Closed))),
                Progress::Length(left) => {
                    if !side.buf.is_empty() {
                        let take = usize::try_from(*left)
                            .map_or(side.buf.len(), |l| l.min(side.buf.len()));
                        let data = side.buf.split_to(take).freeze();
                        *left -= take as u64;
                        if *left == 0 {
                            side.body = Progress::Done;
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                Progress::Chunked(decoder) => match decoder.decode(&mut side.buf) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::End) => {
                        side.body = Progress::Done;
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::NeedMore) => {}
                    Err(err) => {
                        side.body = Progress::Failed;
                        return Poll::Ready(Some(Err(err.into())));
                    }
                },
            }
            if side.expect == Continue::Awaiting {
                // The client sends nothing until it has its `100 Continue`: the connection's
                // task writes it, and the client's bytes then wake this body.
                side.expect = Continue::Wanted;
                if let Some(waker) = side.conn_waker.take() {
                    waker.wake();
                }
            }
            match side.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    side.body = Progress::Failed;
                    return Poll::Ready(Some(Err(RequestBodyError::Closed)));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(err)) => {
                    side.body = Progress::Failed;
                    return Poll::Ready(Some(Err(err.into())));
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Full(data) => data.is_none(),
            Kind::Streaming(side) => lock(side).body == Progress::Done,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Full(data) => SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64)),
            Kind::Streaming(side) => match lock(side).body {
                Progress::Length(n) => SizeHint::with_exact(n),
                Progress::Done => SizeHint::with_exact(0),
                _ => SizeHint::default(),
            },
        }
    }
}
