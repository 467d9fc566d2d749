//! The pool and its codec against a scripted upstream on a raw socket: framings, reuse, early
//! answers, truncation and closed idle connections.

use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full, StreamBody};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// Read one request head (and a `content-length` or chunked body) from `socket`; returns the
/// head text and the body bytes as they were on the wire.
async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<(String, Vec<u8>)> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).to_string();
            let lower = head.to_ascii_lowercase();
            let rest_start = end + 4;
            let body_len = if let Some(i) = lower.find("content-length: ") {
                let tail = &lower[i + 16..];
                tail[..tail.find('\r')?].parse::<usize>().ok()?
            } else if lower.contains("transfer-encoding: chunked") {
                // Wait for the last chunk.
                loop {
                    if let Some(p) = buf[rest_start..].windows(5).position(|w| w == b"0\r\n\r\n") {
                        break p + 5;
                    }
                    let mut more = [0u8; 4096];
                    let n = socket.read(&mut more).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    buf.extend_from_slice(&more[..n]);
                }
            } else {
                0
            };
            while buf.len() < rest_start + body_len {
                let mut more = [0u8; 4096];
                let n = socket.read(&mut more).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&more[..n]);
            }
            let body = buf[rest_start..rest_start + body_len].to_vec();
            buf.drain(..rest_start + body_len);
            return Some((head, body));
        }
        let mut more = [0u8; 4096];
        let n = socket.read(&mut more).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&more[..n]);
    }
}

/// An upstream that answers every request on a connection with the next of `answers` (each
/// written in the given pieces, with a pause between them), then closes the connection when
/// `close_after` answers were written. Requests seen are sent on the channel.
async fn upstream(
    answers: Vec<Vec<&'static [u8]>>,
    close_after: usize,
) -> (Uri, tokio::sync::mpsc::UnboundedReceiver<(String, Vec<u8>)>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut next = 0;
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut served = 0;
            while next < answers.len() {
                let Some(request) = read_request(&mut socket, &mut buf).await else {
                    break;
                };
                let _ = tx.send(request);
                for piece in &answers[next] {
                    if socket.write_all(piece).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                next += 1;
                served += 1;
                if served >= close_after {
                    break;
                }
            }
        }
    });
    (format!("http://{addr}").parse().expect("uri"), rx)
}

fn get(path: &str) -> Request<BoxBody> {
    Request::get(path)
        .header("host", "upstream")
        .body(Full::new(Bytes::new()).map_err(|e| match e {}).boxed())
        .expect("request")
}

fn post(path: &str, body: &'static str) -> Request<BoxBody> {
    Request::post(path)
        .header("host", "upstream")
        .body(
            Full::new(Bytes::from_static(body.as_bytes()))
                .map_err(|e| match e {})
                .boxed(),
        )
        .expect("request")
}

async fn body_of(response: Response<UpstreamBody>) -> Result<Vec<u8>, UpstreamError> {
    let mut body = response.into_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            out.extend_from_slice(&data);
        }
    }
    Ok(out)
}

fn pool(uri: &Uri) -> UpstreamPool {
    UpstreamPool::new(uri, PoolOptions::default())
}

#[tokio::test]
async fn chunked_answers_decode_and_the_connection_is_reused() {
    let (uri, mut seen) = upstream(
        vec![
            vec![
                b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/event-stream\r\n\r\n5;x=1\r\nhel",
                b"lo\r\n",
                b"6\r\n world\r\n0\r\ntrailer: t\r\n\r\n",
            ],
            vec![b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc"],
        ],
        usize::MAX,
    )
    .await;
    let pool = pool(&uri);
    let response = pool
        .send(
            post("/v1/chat/completions", "{\"a\":1}"),
            &Forwarding::default(),
        )
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(body_of(response).await.expect("body"), b"hello world");
    let (head, body) = seen.recv().await.expect("request");
    assert!(
        head.starts_with("POST /v1/chat/completions HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("content-length: 7\r\n"), "{head}");
    assert_eq!(body, b"{\"a\":1}");

    let response = pool
        .send(get("/v1/models"), &Forwarding::default())
        .await
        .expect("second answer");
    assert_eq!(body_of(response).await.expect("body"), b"abc");
    let (head, _) = seen.recv().await.expect("request");
    assert!(head.starts_with("GET /v1/models HTTP/1.1\r\n"), "{head}");
    assert!(!head.contains("content-length"), "{head}");
    assert_eq!(pool.stats().opened.load(Ordering::Relaxed), 1);
    assert_eq!(pool.stats().reused.load(Ordering::Relaxed), 1);
    assert_eq!(pool.idle(), 1);
}

#[tokio::test]
async fn a_body_until_close_is_read_whole_and_its_connection_not_reused() {
    let (uri, _seen) = upstream(
        vec![
            vec![b"HTTP/1.1 200 OK\r\n\r\nall of ", b"this"],
            vec![b"HTTP/1.1 204 No Content\r\n\r\n"],
        ],
        1,
    )
    .await;
    let pool = pool(&uri);
    let response = pool
        .send(get("/x"), &Forwarding::default())
        .await
        .expect("answer");
    assert_eq!(body_of(response).await.expect("body"), b"all of this");
    let response = pool
        .send(get("/y"), &Forwarding::default())
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(pool.stats().opened.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn a_truncated_body_is_an_error_not_an_end() {
    let (uri, _seen) = upstream(
        vec![vec![
            b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this",
        ]],
        1,
    )
    .await;
    let pool = pool(&uri);
    let response = pool
        .send(get("/x"), &Forwarding::default())
        .await
        .expect("answer");
    let err = body_of(response).await.expect_err("truncated");
    assert!(matches!(err, UpstreamError::Truncated), "{err}");

    let (uri, _seen) = upstream(
        vec![vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel",
        ]],
        1,
    )
    .await;
    let response = super::UpstreamPool::new(&uri, PoolOptions::default())
        .send(get("/x"), &Forwarding::default())
        .await
        .expect("answer");
    assert!(matches!(
        body_of(response).await,
        Err(UpstreamError::Truncated)
    ));
}

#[tokio::test]
async fn an_idle_connection_the_upstream_closed_is_replaced() {
    let (uri, _seen) = upstream(
        vec![
            vec![b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na"],
            vec![b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb"],
        ],
        1,
    )
    .await;
    let pool = pool(&uri);
    let response = pool
        .send(get("/x"), &Forwarding::default())
        .await
        .expect("answer");
    assert_eq!(body_of(response).await.expect("body"), b"a");
    // The upstream closes after one answer although it said keep-alive; let the FIN arrive.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let response = pool
        .send(get("/y"), &Forwarding::default())
        .await
        .expect("second answer");
    assert_eq!(body_of(response).await.expect("body"), b"b");
    assert_eq!(pool.stats().opened.load(Ordering::Relaxed), 2);
}

#[tokio::test]
async fn informational_answers_are_skipped_and_reasons_kept() {
    let (uri, _seen) = upstream(
        vec![vec![
            b"HTTP/1.1 100 Continue\r\n\r\n",
            b"HTTP/1.1 429 Slow Down\r\ncontent-length: 2\r\nretry-after: 1\r\n\r\nno",
        ]],
        usize::MAX,
    )
    .await;
    let pool = pool(&uri);
    let response = pool
        .send(post("/x", "q"), &Forwarding::default())
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let reason = response.extensions().get::<hyper::ext::ReasonPhrase>();
    assert_eq!(reason.map(|r| r.as_bytes()), Some(&b"Slow Down"[..]));
    assert_eq!(body_of(response).await.expect("body"), b"no");
}

#[tokio::test]
async fn a_body_of_unknown_length_goes_chunked() {
    let (uri, mut seen) = upstream(
        vec![vec![b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"]],
        usize::MAX,
    )
    .await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
    let body = StreamBody::new(tokio_stream_from(rx)).boxed();
    let request = Request::put("/blob")
        .header("host", "upstream")
        .body(body)
        .expect("request");
    let pool = pool(&uri);
    let sending = tokio::spawn(async move {
        pool.send(request, &Forwarding::default())
            .await
            .map(|r| r.status())
    });
    tx.send(Ok(Frame::data(Bytes::from_static(b"part one, "))))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(20)).await;
    tx.send(Ok(Frame::data(Bytes::from_static(b"part two"))))
        .await
        .expect("send");
    drop(tx);
    assert_eq!(
        sending.await.expect("task").expect("answer"),
        StatusCode::OK
    );
    let (head, body) = seen.recv().await.expect("request");
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert_eq!(body, b"a\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n");
}

#[tokio::test]
async fn an_early_answer_stops_the_upload_and_the_connection() {
    // The upstream answers 413 after the head without reading the body the client keeps
    // sending; the answer reaches the caller and the connection is not pooled.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let uri: Uri = format!("http://{}", listener.local_addr().expect("addr"))
        .parse()
        .expect("uri");
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = socket.read(&mut buf).await;
        let _ = socket
            .write_all(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 3\r\nconnection: close\r\n\r\nbig")
            .await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, BoxError>>(4);
    let body = StreamBody::new(tokio_stream_from(rx)).boxed();
    let request = Request::post("/upload")
        .header("host", "upstream")
        .body(body)
        .expect("request");
    tx.send(Ok(Frame::data(Bytes::from_static(b"first"))))
        .await
        .expect("send");
    let pool = pool(&uri);
    let response = tokio::time::timeout(
        Duration::from_secs(5),
        pool.send(request, &Forwarding::default()),
    )
    .await
    .expect("not stuck on the upload")
    .expect("answer");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body_of(response).await.expect("body"), b"big");
    assert_eq!(pool.idle(), 0);
    drop(tx);
}

#[tokio::test]
async fn malformed_answers_are_errors() {
    for answer in [
        &b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab"[..],
        b"NOT HTTP\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n",
    ] {
        let (uri, _seen) = upstream(vec![vec![answer]], 1).await;
        let err = pool(&uri)
            .send(get("/x"), &Forwarding::default())
            .await
            .expect_err("malformed");
        assert!(matches!(err, UpstreamError::Protocol(_)), "{err}");
    }
    let (uri, _seen) = upstream(vec![vec![b"HTTP/1.1 200 OK\r\ncontent-le"]], 1).await;
    let err = pool(&uri)
        .send(get("/x"), &Forwarding::default())
        .await
        .expect_err("cut head");
    assert!(matches!(err, UpstreamError::Closed), "{err}");
}

/// A stream over a channel's receiver, without another dependency.
fn tokio_stream_from<T>(
    mut rx: tokio::sync::mpsc::Receiver<T>,
) -> impl futures_util::Stream<Item = T> + Send + Sync + 'static
where
    T: Send + Sync + 'static,
{
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn chunks_that_arrived_together_leave_as_one_frame_and_the_end_is_seen_with_them() {
    let (uri, _seen) = upstream(
        vec![vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n",
            b"6\r\ndata: \r\n2\r\n1\n\r\n",
            b"6\r\ndata: \r\n2\r\n2\n\r\n0\r\n\r\n",
        ]],
        usize::MAX,
    )
    .await;
    let pool = pool(&uri);
    let mut body = pool
        .send(get("/s"), &Forwarding::default())
        .await
        .expect("answer")
        .into_body();
    let mut frames = Vec::new();
    while let Some(frame) = body.frame().await {
        let data = frame.expect("frame").into_data().expect("data");
        frames.push(String::from_utf8_lossy(&data).to_string());
        if body.is_end_stream() {
            break;
        }
    }
    // The scripted upstream pauses between its writes, so each write is one read here.
    assert_eq!(frames, ["data: 1\n", "data: 2\n"]);
    assert!(
        body.is_end_stream(),
        "the last chunk came with the second frame"
    );
    assert_eq!(
        pool.idle(),
        1,
        "the connection went back with the last frame"
    );
}
