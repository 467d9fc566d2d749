//! The server connection against a raw-socket client: what goes on the wire, byte for byte.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body::{Body, Frame};
use http_body_util::{BodyExt, Full};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::{Ended, RequestBody, serve};
use crate::body::{BoxBody, BoxError};

/// Generous bound on any wait, so a broken server fails the test instead of hanging it.
const WAIT: Duration = Duration::from_secs(10);

struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<Ended>,
}

async fn start<S, F>(service: S) -> Server
where
    S: FnMut(Request<RequestBody>) -> F + Send + 'static,
    F: Future<Output = Response<BoxBody>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (shutdown, rx) = watch::channel(false);
    let task = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.expect("accept");
        serve(stream, service, rx).await
    });
    Server {
        addr,
        shutdown,
        task,
    }
}

fn full(status: StatusCode, body: impl Into<Bytes>) -> Response<BoxBody> {
    let mut response = Response::new(
        Full::new(body.into())
            .map_err(|never| match never {})
            .boxed(),
    );
    *response.status_mut() = status;
    response
}

/// Echoes the request body back, with the method in a header.
async fn echo(request: Request<RequestBody>) -> Response<BoxBody> {
    let method = request.method().to_string();
    let body = request.into_body().collect().await;
    let mut response = match body {
        Ok(collected) => full(StatusCode::OK, collected.to_bytes()),
        Err(err) => full(StatusCode::BAD_REQUEST, err.to_string()),
    };
    response
        .headers_mut()
        .insert("x-method", method.parse().expect("value"));
    response
}

/// A response body fed from a channel.
struct ChannelBody(mpsc::Receiver<Result<Bytes, BoxError>>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0
            .poll_recv(cx)
            .map(|next| next.map(|item| item.map(Frame::data)))
    }
}

async fn connect(server: &Server) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connect")
}

/// Read until `needle` has arrived; returns everything read.
async fn read_until(stream: &mut TcpStream, seen: &mut Vec<u8>, needle: &[u8]) {
    let found = tokio::time::timeout(WAIT, async {
        while !seen.windows(needle.len()).any(|w| w == needle) {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).await.expect("read");
            assert!(
                n > 0,
                "closed before {:?}: {:?}",
                String::from_utf8_lossy(needle),
                String::from_utf8_lossy(seen)
            );
            seen.extend_from_slice(&buf[..n]);
        }
    })
    .await;
    assert!(
        found.is_ok(),
        "waited for {:?}",
        String::from_utf8_lossy(needle)
    );
}

/// Read to the end of the connection.
async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut all))
        .await
        .expect("closed in time")
        .expect("read");
    all
}

/// Send `bytes` on the client's connection.
async fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("write");
}

/// Connect and send a plain `GET /`.
async fn get(server: &Server) -> TcpStream {
    let mut client = connect(server).await;
    send(&mut client, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").await;
    client
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn keep_alive_and_pipelined_requests_are_answered_in_order() {
    let server = start(echo).await;
    let mut client = connect(&server).await;
    client
        .write_all(
            b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        )
        .await
        .expect("write");
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"hello").await;
    let text = text(&seen);
    let first = text.find("x-method: GET").expect("first answer");
    let second = text.find("x-method: POST").expect("second answer");
    assert!(first < second, "{text}");
    assert!(text.contains("content-length: 0\r\n"), "{text}");
    assert!(text.ends_with("content-length: 5\r\n\r\nhello"), "{text}");
    // Still open: a third request on the same connection.
    send(
        &mut client,
        b"PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok",
    )
    .await;
    let mut more = Vec::new();
    read_until(&mut client, &mut more, b"\r\n\r\nok").await;
    assert!(self::text(&more).contains("x-method: PUT"));
}

#[tokio::test]
async fn bodies_arriving_later_and_chunked_bodies_are_read() {
    let server = start(echo).await;
    let mut client = connect(&server).await;
    send(
        &mut client,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    send(&mut client, b"defghij").await;
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"abcdefghij").await;
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
        )
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(20)).await;
    send(&mut client, b"6\r\n world\r\n0\r\nx-trailer: 1\r\n\r\n").await;
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"hello world").await;
    assert!(text(&seen).contains("content-length: 11\r\n"));
}

#[tokio::test]
async fn a_malformed_chunked_body_fails_the_request_body() {
    let server = start(echo).await;
    let mut client = connect(&server).await;
    send(
        &mut client,
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    )
    .await;
    let answer = text(&read_to_close(&mut client).await);
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
    assert!(answer.contains("malformed chunked body"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
}

#[tokio::test]
async fn expect_100_continue_is_answered_when_the_body_is_read() {
    let server = start(echo).await;
    let mut client = connect(&server).await;
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        )
        .await
        .expect("write");
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"HTTP/1.1 100 Continue\r\n\r\n").await;
    assert_eq!(seen, b"HTTP/1.1 100 Continue\r\n\r\n");
    send(&mut client, b"data").await;
    read_until(&mut client, &mut seen, b"\r\n\r\ndata").await;
    assert!(text(&seen).contains("HTTP/1.1 200 OK"));
}

#[tokio::test]
async fn an_answer_that_skips_a_held_back_body_closes_the_connection() {
    let server = start(|_request: Request<RequestBody>| async {
        full(StatusCode::PAYLOAD_TOO_LARGE, "too big")
    })
    .await;
    let mut client = connect(&server).await;
    client
        .write_all(
            b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 999999\r\n\r\n",
        )
        .await
        .expect("write");
    let answer = text(&read_to_close(&mut client).await);
    assert!(
        answer.starts_with("HTTP/1.1 413 Payload Too Large\r\n"),
        "{answer}"
    );
    assert!(!answer.contains("100 Continue"), "{answer}");
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert!(answer.ends_with("too big"), "{answer}");
}

/// A server whose one response streams from the returned sender, with `headers` added.
async fn streaming(
    headers: &'static [(&'static str, &'static str)],
) -> (
    Server,
    oneshot::Receiver<mpsc::Sender<Result<Bytes, BoxError>>>,
) {
    let (tx_tx, tx_rx) = oneshot::channel();
    let mut tx_tx = Some(tx_tx);
    let server = start(move |_request: Request<RequestBody>| {
        let (tx, rx) = mpsc::channel(8);
        if let Some(give) = tx_tx.take() {
            let _ = give.send(tx);
        }
        async move {
            let mut response = Response::new(ChannelBody(rx).boxed());
            for (name, value) in headers {
                response
                    .headers_mut()
                    .insert(*name, value.parse().expect("value"));
            }
            response
        }
    })
    .await;
    (server, tx_rx)
}

#[tokio::test]
async fn streamed_answers_are_chunked_and_leave_frame_by_frame() {
    let (server, sender) = streaming(&[]).await;
    let mut client = get(&server).await;
    let tx = sender.await.expect("sender");
    tx.send(Ok(Bytes::from_static(b"first")))
        .await
        .expect("send");
    let mut seen = Vec::new();
    // The first frame arrives before the second is even produced.
    read_until(&mut client, &mut seen, b"5\r\nfirst\r\n").await;
    assert!(text(&seen).contains("transfer-encoding: chunked\r\n"));
    tx.send(Ok(Bytes::from(vec![b'x'; 20_000])))
        .await
        .expect("send");
    drop(tx);
    read_until(&mut client, &mut seen, b"\r\n0\r\n\r\n").await;
    let whole = text(&seen);
    assert!(whole.contains(&format!("4e20\r\n{}\r\n0\r\n\r\n", "x".repeat(20_000))));
}

#[tokio::test]
async fn a_failed_body_is_never_finished() {
    let (server, sender) = streaming(&[]).await;
    let mut client = get(&server).await;
    let tx = sender.await.expect("sender");
    tx.send(Ok(Bytes::from_static(b"part")))
        .await
        .expect("send");
    tx.send(Err("upstream reset".into())).await.expect("send");
    let answer = text(&read_to_close(&mut client).await);
    assert!(answer.ends_with("4\r\npart\r\n"), "{answer}");
    assert!(!answer.contains("0\r\n\r\n"), "{answer}");
}

#[tokio::test]
async fn a_body_short_of_its_declared_length_closes_the_connection() {
    let (server, sender) = streaming(&[("content-length", "10")]).await;
    let mut client = get(&server).await;
    let tx = sender.await.expect("sender");
    tx.send(Ok(Bytes::from_static(b"abc"))).await.expect("send");
    drop(tx);
    let answer = text(&read_to_close(&mut client).await);
    assert!(answer.contains("content-length: 10\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nabc"), "{answer}");
}

#[tokio::test]
async fn http_1_0_clients_get_bodies_delimited_by_close() {
    let (server, sender) = streaming(&[]).await;
    let mut client = connect(&server).await;
    send(&mut client, b"GET / HTTP/1.0\r\n\r\n").await;
    let tx = sender.await.expect("sender");
    tx.send(Ok(Bytes::from_static(b"old"))).await.expect("send");
    drop(tx);
    let answer = text(&read_to_close(&mut client).await);
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(!answer.contains("chunked"), "{answer}");
    assert!(answer.contains("connection: close\r\n"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nold"), "{answer}");
}

#[tokio::test]
async fn head_answers_have_no_body_and_keep_the_connection() {
    let server = start(|request: Request<RequestBody>| async move {
        let mut response = full(
            StatusCode::OK,
            if request.method() == "HEAD" {
                ""
            } else {
                "12345"
            },
        );
        response
            .headers_mut()
            .insert("content-length", "5".parse().expect("value"));
        response
    })
    .await;
    let mut client = connect(&server).await;
    send(
        &mut client,
        b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"\r\n\r\n12345").await;
    let text = text(&seen);
    assert_eq!(text.matches("HTTP/1.1 200 OK").count(), 2, "{text}");
    assert_eq!(text.matches("content-length: 5\r\n").count(), 2, "{text}");
    assert!(text.ends_with("\r\n\r\n12345"), "{text}");
}

#[tokio::test]
async fn malformed_heads_get_a_json_error_and_a_close() {
    for (request, status) in [
        (&b"GET / HTTP/1.1\r\nbad header\r\n\r\n"[..], "400"),
        (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "501"),
        (b"GET / HTTP/3.0\r\n\r\n", "505"),
    ] {
        let server = start(echo).await;
        let mut client = connect(&server).await;
        send(&mut client, request).await;
        let answer = text(&read_to_close(&mut client).await);
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status} ")),
            "{answer}"
        );
        assert!(answer.contains("connection: close\r\n"), "{answer}");
        let body = answer.split("\r\n\r\n").nth(1).expect("body");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert!(json["error"]["message"].is_string(), "{json}");
    }
}

/// Resolves when dropped.
struct DropSignal(Option<oneshot::Sender<()>>);

impl Drop for DropSignal {
    fn drop(&mut self) {
        if let Some(tx) = self.0.take() {
            let _ = tx.send(());
        }
    }
}

#[tokio::test]
async fn a_client_that_leaves_drops_its_request() {
    let (dropped_tx, dropped) = oneshot::channel();
    let mut signal = Some(DropSignal(Some(dropped_tx)));
    let server = start(move |_request: Request<RequestBody>| {
        let guard = signal.take();
        async move {
            let _guard = guard;
            std::future::pending::<Response<BoxBody>>().await
        }
    })
    .await;
    let mut client = connect(&server).await;
    send(
        &mut client,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(client);
    tokio::time::timeout(WAIT, dropped)
        .await
        .expect("request dropped when the client left")
        .expect("signal");
    let ended = tokio::time::timeout(WAIT, server.task)
        .await
        .expect("ended")
        .expect("join");
    assert!(matches!(ended, Ended::Closed));
}

#[tokio::test]
async fn a_client_that_leaves_a_streamed_answer_drops_its_body() {
    let (dropped_tx, dropped) = oneshot::channel();
    let mut signal = Some(DropSignal(Some(dropped_tx)));
    let server = start(move |_request: Request<RequestBody>| {
        let guard = signal.take();
        async move {
            let body = http_body_util::StreamBody::new(futures_util::stream::poll_fn(move |_cx| {
                let _keep = &guard;
                Poll::<Option<Result<Frame<Bytes>, BoxError>>>::Pending
            }));
            Response::new(BoxBody::new(body))
        }
    })
    .await;
    let mut client = get(&server).await;
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"\r\n\r\n").await;
    drop(client);
    tokio::time::timeout(WAIT, dropped)
        .await
        .expect("body dropped when the client left")
        .expect("signal");
}

#[tokio::test]
async fn the_http2_preface_is_handed_back_with_its_bytes() {
    let server = start(echo).await;
    let mut client = connect(&server).await;
    client
        .write_all(&super::H2_PREFACE[..10])
        .await
        .expect("write");
    tokio::time::sleep(Duration::from_millis(20)).await;
    client
        .write_all(&super::H2_PREFACE[10..])
        .await
        .expect("write");
    let ended = tokio::time::timeout(WAIT, server.task)
        .await
        .expect("ended")
        .expect("join");
    match ended {
        Ended::Http2 { prefix, .. } => assert_eq!(&prefix[..], super::H2_PREFACE),
        Ended::Closed => panic!("not handed back"),
    }
}

#[tokio::test]
async fn shutdown_closes_an_idle_connection_and_ends_a_busy_one_after_its_answer() {
    let server = start(echo).await;
    let mut client = get(&server).await;
    let mut seen = Vec::new();
    read_until(&mut client, &mut seen, b"\r\n\r\n").await;
    server.shutdown.send(true).expect("shutdown");
    let rest = read_to_close(&mut client).await;
    assert!(rest.is_empty(), "{}", text(&rest));

    let (server, sender) = streaming(&[]).await;
    let mut client = get(&server).await;
    let tx = sender.await.expect("sender");
    server.shutdown.send(true).expect("shutdown");
    tx.send(Ok(Bytes::from_static(b"late")))
        .await
        .expect("send");
    drop(tx);
    let answer = text(&read_to_close(&mut client).await);
    assert!(answer.ends_with("4\r\nlate\r\n0\r\n\r\n"), "{answer}");
}
