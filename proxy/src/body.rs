//! Body adapters for streaming in both directions: a size cap on request bodies, an idle
//! timeout between response frames, and a hook that runs when a response body ends or is
//! dropped (metrics, in-flight accounting).

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;
use tokio::time::{Instant, Sleep};

/// Errors carried through boxed bodies.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
/// The body type of every response the gateway sends and every request it forwards.
pub type BoxBody = http_body_util::combinators::BoxBody<Bytes, BoxError>;

/// The request body grew past the gateway's cap while streaming.
#[derive(Debug, thiserror::Error)]
#[error("request body exceeds {limit} bytes")]
pub struct BodyLimitExceeded {
    pub limit: u64,
}

/// A stream stalled longer than the idle timeout between two frames.
#[derive(Debug, thiserror::Error)]
#[error("no data from the upstream for {0:?}")]
pub struct StreamIdle(pub Duration);

/// Whether the request declares (`Content-Length`) more than `limit` bytes: refused before
/// a byte of the body is read. An absent or unparsable length is checked while streaming.
pub fn declared_over(headers: &HeaderMap, limit: u64) -> bool {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|len| len > limit)
}

pin_project! {
    /// Streams a request body through, failing once more than `limit` bytes have passed.
    /// `tripped` is set so the caller can answer 413 instead of 502 when the upstream
    /// request fails because of it.
    pub struct CappedBody<B> {
        #[pin]
        inner: B,
        seen: u64,
        limit: u64,
        tripped: Arc<AtomicBool>,
    }
}

impl<B> CappedBody<B> {
    pub fn new(inner: B, limit: u64) -> (Self, Arc<AtomicBool>) {
        let tripped = Arc::new(AtomicBool::new(false));
        let body = CappedBody {
            inner,
            seen: 0,
            limit,
            tripped: tripped.clone(),
        };
        (body, tripped)
    }
}

impl<B> Body for CappedBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match ready!(this.inner.poll_frame(cx)) {
            Some(Ok(frame)) => {
                if let Some(data) = frame.data_ref() {
                    *this.seen += data.len() as u64;
                    if *this.seen > *this.limit {
                        this.tripped.store(true, Ordering::Release);
                        return Poll::Ready(Some(Err(Box::new(BodyLimitExceeded {
                            limit: *this.limit,
                        }))));
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Some(Err(err)) => Poll::Ready(Some(Err(err.into()))),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

pin_project! {
    /// Fails the stream when no frame arrives within `idle` of the previous one. A failed
    /// body makes hyper abort the response (an unterminated chunked body or an HTTP/2
    /// reset), so the client never mistakes a stalled stream for a complete one.
    ///
    /// The timer is re-armed lazily: a frame only records when it arrived, and the timer is
    /// pushed back when it fires early. Resetting a tokio timer on every frame costs a lock
    /// on the timer wheel per frame, which showed up in the streaming benchmark.
    ///
    /// The timer itself is only made the first time the body has to wait: a unary answer
    /// that is already in the buffer never needs one.
    pub struct IdleTimeoutBody<B> {
        #[pin]
        inner: B,
        sleep: Option<Pin<Box<Sleep>>>,
        idle: Duration,
        last_frame: Instant,
    }
}

impl<B> IdleTimeoutBody<B> {
    pub fn new(inner: B, idle: Duration) -> Self {
        IdleTimeoutBody {
            inner,
            sleep: None,
            idle,
            last_frame: Instant::now(),
        }
    }
}

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        let this = self.project();
        match this.inner.poll_frame(cx) {
            Poll::Ready(frame) => {
                *this.last_frame = Instant::now();
                Poll::Ready(frame.map(|f| f.map_err(Into::into)))
            }
            Poll::Pending => loop {
                let deadline = *this.last_frame + *this.idle;
                let sleep = this
                    .sleep
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
                ready!(sleep.as_mut().poll(cx));
                if Instant::now() >= deadline {
                    return Poll::Ready(Some(Err(Box::new(StreamIdle(*this.idle)))));
                }
                // A frame came since the timer was armed: wait out the rest of the window.
                sleep.as_mut().reset(deadline);
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// How a response body finished, reported once to an [`OnBodyEnd`] hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyEnd {
    /// Every frame was sent.
    Complete,
    /// The body failed (upstream error, idle timeout).
    Failed,
    /// The client went away before the end.
    Dropped,
}

pin_project! {
    /// Calls `hook` exactly once: when the body ends, fails, or is dropped unfinished.
    pub struct OnBodyEnd<B, F: FnOnce(BodyEnd)> {
        #[pin]
        inner: B,
        hook: Option<F>,
    }

    impl<B, F: FnOnce(BodyEnd)> PinnedDrop for OnBodyEnd<B, F> {
        fn drop(this: Pin<&mut Self>) {
            if let Some(hook) = this.project().hook.take() {
                hook(BodyEnd::Dropped);
            }
        }
    }
}

impl<B, F: FnOnce(BodyEnd)> OnBodyEnd<B, F> {
    pub fn new(inner: B, hook: F) -> Self {
        OnBodyEnd {
            inner,
            hook: Some(hook),
        }
    }
}

impl<B, F> Body for OnBodyEnd<B, F>
where
    B: Body<Data = Bytes>,
    F: FnOnce(BodyEnd),
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        let mut this = self.project();
        let polled = ready!(this.inner.as_mut().poll_frame(cx));
        let end = match &polled {
            None => Some(BodyEnd::Complete),
            Some(Err(_)) => Some(BodyEnd::Failed),
            // hyper stops polling a body that says it has ended (a full body with a known
            // length), so the last frame is the end.
            Some(Ok(_)) if this.inner.is_end_stream() => Some(BodyEnd::Complete),
            Some(Ok(_)) => None,
        };
        if let Some(end) = end
            && let Some(hook) = this.hook.take()
        {
            hook(end);
        }
        Poll::Ready(polled)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Full, StreamBody};

    #[tokio::test]
    async fn capped_body_trips_past_the_limit() {
        let (body, tripped) = CappedBody::new(Full::new(Bytes::from(vec![0u8; 11])), 10);
        let err = body.collect().await.expect_err("must fail");
        assert!(err.to_string().contains("exceeds 10 bytes"));
        assert!(tripped.load(Ordering::Acquire));
    }

    #[tokio::test]
    async fn capped_body_passes_at_the_limit() {
        let (body, tripped) = CappedBody::new(Full::new(Bytes::from(vec![0u8; 10])), 10);
        let bytes = body.collect().await.expect("within limit").to_bytes();
        assert_eq!(bytes.len(), 10);
        assert!(!tripped.load(Ordering::Acquire));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_timeout_fails_a_stalled_stream() {
        let stream = futures_util::stream::pending::<Result<Frame<Bytes>, BoxError>>();
        let body = IdleTimeoutBody::new(StreamBody::new(stream), Duration::from_secs(3));
        let err = body.collect().await.expect_err("must time out");
        assert!(err.to_string().contains("no data from the upstream"));
    }

    #[tokio::test]
    async fn on_end_reports_once() {
        let (tx, rx) = std::sync::mpsc::channel();
        let body = OnBodyEnd::new(Full::new(Bytes::from_static(b"x")), move |end| {
            tx.send(end).expect("receiver alive");
        });
        body.collect().await.expect("body");
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![BodyEnd::Complete]);

        let (tx, rx) = std::sync::mpsc::channel();
        let body = OnBodyEnd::new(Full::new(Bytes::from_static(b"x")), move |end| {
            tx.send(end).expect("receiver alive");
        });
        drop(body);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), vec![BodyEnd::Dropped]);
    }
}
