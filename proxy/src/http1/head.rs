//! The server side's heads: a client's request head parsed with `httparse` into an
//! `http::Request` whose header values share the read buffer, and a response head written
//! straight into the connection's output buffer.

use std::cell::RefCell;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{BufMut, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, StatusCode, Uri, Version};

use crate::upstream::h1::parse_decimal;

/// Largest request head accepted (request line and headers); larger is answered 431.
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Most request headers accepted; more is answered 431.
const MAX_HEADERS: usize = 100;

/// A request head the server refuses, with the status it is answered with.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum HeadError {
    #[error("request head larger than {MAX_HEAD} bytes")]
    TooLarge,
    #[error("more than {MAX_HEADERS} request headers")]
    TooManyHeaders,
    #[error("malformed request head: {0}")]
    Malformed(httparse::Error),
    #[error("invalid request target")]
    Target,
    #[error("invalid header in the request head")]
    Header,
    #[error("conflicting or invalid content-length")]
    ContentLength,
    #[error("transfer-encoding whose final coding is not chunked")]
    TransferEncoding,
    #[error("unsupported HTTP version")]
    Version,
}

impl HeadError {
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            HeadError::TooLarge | HeadError::TooManyHeaders => {
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
            }
            HeadError::TransferEncoding => StatusCode::NOT_IMPLEMENTED,
            HeadError::Version => StatusCode::HTTP_VERSION_NOT_SUPPORTED,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// How a request body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// No body.
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
}

/// A parsed request head.
#[derive(Debug)]
pub(crate) struct RequestHead {
    pub request: Request<()>,
    pub framing: BodyFraming,
    /// The client lets the connection carry another request after this one.
    pub keep_alive: bool,
    /// `Expect: 100-continue`: the client waits for a `100 Continue` before it sends the body.
    pub expect_continue: bool,
}

/// Parse a request head from the front of `buf`. Returns `None` while it is incomplete; on
/// success its bytes are taken off `buf`, which then starts with the body. Empty lines before
/// the request line are skipped, as RFC 9112 §2.2 allows.
pub(crate) fn parse_request(buf: &mut BytesMut) -> Result<Option<RequestHead>, HeadError> {
    let leading = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    if leading > 0 {
        let _ = buf.split_to(leading);
    }
    if buf.is_empty() {
        return Ok(None);
    }
    // (name start, name end, value start, value end) of each header, as offsets into `buf`.
    let mut spans: Vec<(usize, usize, usize, usize)>;
    let (len, method, target, version) = {
        // Uninitialised: zeroing a hundred headers costs more than parsing them.
        let mut headers =
            [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
        let mut request = httparse::Request::new(&mut []);
        let parsed = httparse::ParserConfig::default().parse_request_with_uninit_headers(
            &mut request,
            buf,
            &mut headers,
        );
        let len = match parsed {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(HeadError::TooLarge);
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => return Err(HeadError::TooManyHeaders),
            Err(httparse::Error::Version) => return Err(HeadError::Version),
            Err(err) => return Err(HeadError::Malformed(err)),
        };
        if len > MAX_HEAD {
            return Err(HeadError::TooLarge);
        }
        let base = buf.as_ptr() as usize;
        let offset = |s: &[u8]| s.as_ptr() as usize - base;
        spans = Vec::with_capacity(request.headers.len());
        for h in request.headers.iter() {
            let name = offset(h.name.as_bytes());
            let value = offset(h.value);
            spans.push((name, name + h.name.len(), value, value + h.value.len()));
        }
        let method = Method::from_bytes(request.method.unwrap_or("").as_bytes())
            .map_err(|_| HeadError::Malformed(httparse::Error::Token))?;
        let path = request.path.unwrap_or("");
        let target = (offset(path.as_bytes()), path.len());
        (len, method, target, request.version)
    };
    let head = buf.split_to(len).freeze();
    let version = match version {
        Some(1) => Version::HTTP_11,
        Some(0) => Version::HTTP_10,
        _ => return Err(HeadError::Version),
    };
    let uri = Uri::from_maybe_shared(head.slice(target.0..target.0 + target.1))
        .map_err(|_| HeadError::Target)?;
    let mut headers = HeaderMap::with_capacity(spans.len());
    let mut fields = Fields::default();
    for &(ns, ne, vs, ve) in &spans {
        let (name, value) = (&head[ns..ne], &head[vs..ve]);
        fields.read(name, value)?;
        let name = HeaderName::from_bytes(name).map_err(|_| HeadError::Header)?;
        let value =
            HeaderValue::from_maybe_shared(head.slice(vs..ve)).map_err(|_| HeadError::Header)?;
        headers.append(name, value);
    }
    let mut keep_alive = !fields.close && (version == Version::HTTP_11 || fields.keep_alive);
    let framing = match (fields.transfer, fields.length) {
        (Some(true), length) => {
            // Transfer-Encoding wins over Content-Length; a message with both is how requests
            // are smuggled past a proxy, so its connection carries nothing after it.
            if length.is_some() || version == Version::HTTP_10 {
                keep_alive = false;
            }
            BodyFraming::Chunked
        }
        (Some(false), _) => return Err(HeadError::TransferEncoding),
        (None, Some(0) | None) => BodyFraming::Empty,
        (None, Some(n)) => BodyFraming::Length(n),
    };
    let mut request = Request::new(());
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.version_mut() = version;
    *request.headers_mut() = headers;
    Ok(Some(RequestHead {
        request,
        framing,
        keep_alive,
        expect_continue: fields.expect_continue && version == Version::HTTP_11,
    }))
}

/// What a request head says about its framing and its connection.
#[derive(Debug, Default)]
struct Fields {
    length: Option<u64>,
    /// A `transfer-encoding` was present, and whether its final coding is `chunked`.
    transfer: Option<bool>,
    close: bool,
    keep_alive: bool,
    expect_continue: bool,
}

impl Fields {
    fn read(&mut self, name: &[u8], value: &[u8]) -> Result<(), HeadError> {
        match name.len() {
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                for part in value.split(|&b| b == b',') {
                    let n = parse_decimal(part.trim_ascii()).ok_or(HeadError::ContentLength)?;
                    if self.length.is_some_and(|seen| seen != n) {
                        return Err(HeadError::ContentLength);
                    }
                    self.length = Some(n);
                }
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                let last = value
                    .rsplit(|&b| b == b',')
                    .map(<[u8]>::trim_ascii)
                    .find(|c| !c.is_empty());
                // Several fields are one list: the last field's last coding is the final one.
                self.transfer = Some(last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")));
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                    if token.eq_ignore_ascii_case(b"close") {
                        self.close = true;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") {
                        self.keep_alive = true;
                    }
                }
            }
            6 if name.eq_ignore_ascii_case(b"expect") => {
                self.expect_continue = value.trim_ascii().eq_ignore_ascii_case(b"100-continue");
            }
            _ => {}
        }
        Ok(())
    }
}

/// How a response body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseFraming {
    /// No body bytes are written (`HEAD`, 1xx, 204, 304); the head's own fields stay.
    None,
    /// `content-length`.
    Length(u64),
    /// `transfer-encoding: chunked` (HTTP/1.1 clients).
    Chunked,
    /// Until the connection closes (HTTP/1.0 clients, length unknown).
    UntilClose,
}

/// How `status`'s body is framed for a `method` request from a `version` client, given the
/// body's exact length if known and the length its head declares.
pub(crate) fn response_framing(
    method: &Method,
    status: StatusCode,
    version: Version,
    exact: Option<u64>,
    headers: &HeaderMap,
) -> ResponseFraming {
    if *method == Method::HEAD
        || status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
    {
        return ResponseFraming::None;
    }
    if let Some(n) = exact {
        return ResponseFraming::Length(n);
    }
    if let Some(n) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| parse_decimal(v.as_bytes()))
    {
        return ResponseFraming::Length(n);
    }
    if version == Version::HTTP_11 {
        ResponseFraming::Chunked
    } else {
        ResponseFraming::UntilClose
    }
}

/// Write the status line and headers. The head's own framing and connection fields are
/// replaced by `framing`'s and `keep_alive`'s (kept only where no body is framed: a `HEAD`
/// answer's `content-length` describes the body a `GET` would get). A `date` is added when the
/// head has none.
pub(crate) fn encode_response_head(
    status: StatusCode,
    reason: Option<&[u8]>,
    headers: &HeaderMap,
    framing: ResponseFraming,
    keep_alive: bool,
    client: Version,
    out: &mut BytesMut,
) {
    out.reserve(128 + headers.len() * 48);
    out.put_slice(b"HTTP/1.1 ");
    out.put_slice(status.as_str().as_bytes());
    out.put_u8(b' ');
    if let Some(reason) = reason.or(status.canonical_reason().map(str::as_bytes)) {
        out.put_slice(reason);
    }
    out.put_slice(b"\r\n");
    let mut has_date = false;
    for (name, value) in headers {
        if name == header::CONTENT_LENGTH {
            if framing != ResponseFraming::None || status == StatusCode::NO_CONTENT {
                continue;
            }
        } else if name == header::TRANSFER_ENCODING
            || name == header::CONNECTION
            || name.as_str() == "keep-alive"
        {
            continue;
        } else if name == header::DATE {
            has_date = true;
        }
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if !has_date {
        DATE.with_borrow_mut(|date| put_field(out, b"date", date.now()));
    }
    match framing {
        ResponseFraming::Length(n) => {
            out.put_slice(b"content-length: ");
            put_decimal(out, n);
            out.put_slice(b"\r\n");
        }
        ResponseFraming::Chunked => out.put_slice(b"transfer-encoding: chunked\r\n"),
        ResponseFraming::None | ResponseFraming::UntilClose => {}
    }
    if !keep_alive {
        out.put_slice(b"connection: close\r\n");
    } else if client == Version::HTTP_10 {
        out.put_slice(b"connection: keep-alive\r\n");
    }
    out.put_slice(b"\r\n");
}

fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

fn put_decimal(out: &mut BytesMut, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[at..]);
}

/// Append one chunk of a chunked response body.
pub(crate) fn put_chunk_header(out: &mut BytesMut, len: usize) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut n = len;
    loop {
        at -= 1;
        digits[at] = HEX[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    out.put_slice(&digits[at..]);
    out.put_slice(b"\r\n");
}

/// A complete error answer the connection gives before or instead of the gateway: JSON in the
/// OpenAI error shape (the route is not known yet), and the connection closes after it.
pub(crate) fn error_response(status: StatusCode, message: &str, out: &mut BytesMut) {
    let body = crate::error::openai_error_body(message, "invalid_request_error", "bad_request")
        .to_string();
    let mut headers = HeaderMap::with_capacity(1);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    encode_response_head(
        status,
        None,
        &headers,
        ResponseFraming::Length(body.len() as u64),
        false,
        Version::HTTP_11,
        out,
    );
    out.put_slice(body.as_bytes());
}

/// `100 Continue`, sent when a client that asked for it is about to have its body read.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

thread_local! {
    /// The `date` field's value, formatted once a second per connection worker.
    static DATE: RefCell<CachedDate> = const { RefCell::new(CachedDate { second: u64::MAX, text: [0; 29] }) };
}

struct CachedDate {
    second: u64,
    text: [u8; 29],
}

impl CachedDate {
    fn now(&mut self) -> &[u8] {
        let since_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO);
        let second = since_epoch.as_secs();
        if second != self.second {
            let text = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(second));
            if text.len() == self.text.len() {
                self.text.copy_from_slice(text.as_bytes());
                self.second = second;
            }
        }
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Option<RequestHead>, HeadError> {
        parse_request(&mut BytesMut::from(text))
    }

    fn head(text: &str) -> RequestHead {
        match parse(text) {
            Ok(Some(head)) => head,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn a_request_head_and_what_follows_it() {
        let mut buf = BytesMut::from(
            "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nX-A: b\r\nx-a: c\r\n\r\nhello",
        );
        let head = parse_request(&mut buf).expect("valid").expect("complete");
        assert_eq!(&buf[..], b"hello");
        let request = head.request;
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().path(), "/v1/chat/completions");
        assert_eq!(request.uri().query(), Some("x=1"));
        assert_eq!(request.version(), Version::HTTP_11);
        assert_eq!(request.headers()["host"], "gw");
        let xa: Vec<_> = request.headers().get_all("x-a").iter().collect();
        assert_eq!(xa, ["b", "c"]);
        assert_eq!(head.framing, BodyFraming::Length(5));
        assert!(head.keep_alive);
        assert!(!head.expect_continue);
    }

    #[test]
    fn incomplete_heads_wait_and_leading_empty_lines_are_skipped() {
        assert!(matches!(parse("GET / HTTP/1.1\r\nHost: a\r\n"), Ok(None)));
        assert!(matches!(parse(""), Ok(None)));
        let head = head("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
        assert_eq!(head.request.uri(), "/");
        assert_eq!(head.framing, BodyFraming::Empty);
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let chunked = head("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(chunked.framing, BodyFraming::Chunked);
        assert!(chunked.keep_alive);
        // Both: transfer-encoding wins, and the connection is not reused (smuggling).
        let both =
            head("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(both.framing, BodyFraming::Chunked);
        assert!(!both.keep_alive);
        assert_eq!(
            parse("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").err(),
            Some(HeadError::TransferEncoding)
        );
        assert_eq!(
            parse("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n").err(),
            Some(HeadError::ContentLength)
        );
        assert_eq!(
            parse("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").err(),
            Some(HeadError::ContentLength)
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n").framing,
            BodyFraming::Length(3)
        );
        assert_eq!(
            head("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").framing,
            BodyFraming::Empty
        );
    }

    #[test]
    fn connection_persistence_by_version_and_field() {
        assert!(!head("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
        assert!(!head("GET / HTTP/1.0\r\n\r\n").keep_alive);
        assert!(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive);
        let expect = head("POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n");
        assert!(expect.expect_continue);
        // HTTP/1.0 clients do not know 100 Continue.
        assert!(!head("POST / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n").expect_continue);
    }

    #[test]
    fn refused_heads_and_their_statuses() {
        let big = format!("GET / HTTP/1.1\r\nx: {}\r\n", "a".repeat(MAX_HEAD));
        assert_eq!(parse(&big).err(), Some(HeadError::TooLarge));
        let many: String = (0..=MAX_HEADERS).map(|i| format!("h{i}: v\r\n")).collect();
        let err = parse(&format!("GET / HTTP/1.1\r\n{many}\r\n")).err();
        assert_eq!(err, Some(HeadError::TooManyHeaders));
        assert_eq!(
            HeadError::TooManyHeaders.status(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
        assert!(matches!(
            parse("GET / HTTP/1.1\r\nbad header\r\n\r\n"),
            Err(HeadError::Malformed(_))
        ));
        assert!(parse("GET / HTTP/2.0\r\n\r\n").is_err());
        assert!(parse("GET /a b HTTP/1.1\r\n\r\n").is_err());
    }

    fn encoded(
        status: StatusCode,
        headers: &HeaderMap,
        framing: ResponseFraming,
        keep_alive: bool,
        client: Version,
    ) -> String {
        let mut out = BytesMut::new();
        encode_response_head(status, None, headers, framing, keep_alive, client, &mut out);
        String::from_utf8(out.to_vec()).expect("ascii")
    }

    #[test]
    fn response_heads_carry_our_framing_and_a_date() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        headers.insert("content-length", HeaderValue::from_static("99"));
        headers.insert("connection", HeaderValue::from_static("keep-alive"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        let text = encoded(
            StatusCode::OK,
            &headers,
            ResponseFraming::Length(12),
            true,
            Version::HTTP_11,
        );
        assert!(text.starts_with("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ndate: "));
        assert!(
            text.ends_with("GMT\r\ncontent-length: 12\r\n\r\n"),
            "{text}"
        );
        assert!(!text.contains("connection") && !text.contains("chunked"));

        let chunked = encoded(
            StatusCode::OK,
            &HeaderMap::new(),
            ResponseFraming::Chunked,
            false,
            Version::HTTP_11,
        );
        assert!(chunked.ends_with("transfer-encoding: chunked\r\nconnection: close\r\n\r\n"));

        let old_client = encoded(
            StatusCode::OK,
            &HeaderMap::new(),
            ResponseFraming::Length(1),
            true,
            Version::HTTP_10,
        );
        assert!(old_client.ends_with("connection: keep-alive\r\n\r\n"));
    }

    #[test]
    fn head_answers_keep_their_declared_length() {
        let mut headers = HeaderMap::new();
        headers.insert("content-length", HeaderValue::from_static("42"));
        let framing = response_framing(
            &Method::HEAD,
            StatusCode::OK,
            Version::HTTP_11,
            Some(0),
            &headers,
        );
        assert_eq!(framing, ResponseFraming::None);
        let text = encoded(StatusCode::OK, &headers, framing, true, Version::HTTP_11);
        assert!(text.contains("content-length: 42\r\n"), "{text}");
        let no_content = encoded(
            StatusCode::NO_CONTENT,
            &headers,
            ResponseFraming::None,
            true,
            Version::HTTP_11,
        );
        assert!(!no_content.contains("content-length"), "{no_content}");
    }

    #[test]
    fn framing_choice() {
        let none = HeaderMap::new();
        let get = Method::GET;
        let f = |status, version, exact| response_framing(&get, status, version, exact, &none);
        assert_eq!(
            f(StatusCode::OK, Version::HTTP_11, Some(7)),
            ResponseFraming::Length(7)
        );
        assert_eq!(
            f(StatusCode::OK, Version::HTTP_11, None),
            ResponseFraming::Chunked
        );
        assert_eq!(
            f(StatusCode::OK, Version::HTTP_10, None),
            ResponseFraming::UntilClose
        );
        assert_eq!(
            f(StatusCode::NOT_MODIFIED, Version::HTTP_11, None),
            ResponseFraming::None
        );
        let mut declared = HeaderMap::new();
        declared.insert("content-length", HeaderValue::from_static("5"));
        assert_eq!(
            response_framing(&get, StatusCode::OK, Version::HTTP_11, None, &declared),
            ResponseFraming::Length(5)
        );
    }

    #[test]
    fn reason_phrases_and_numbers() {
        let mut out = BytesMut::new();
        encode_response_head(
            StatusCode::from_u16(299).expect("status"),
            Some(b"Fine Enough"),
            &HeaderMap::new(),
            ResponseFraming::None,
            true,
            Version::HTTP_11,
            &mut out,
        );
        assert!(out.starts_with(b"HTTP/1.1 299 Fine Enough\r\n"));
        let mut out = BytesMut::new();
        put_decimal(&mut out, 0);
        put_decimal(&mut out, 1_234_567);
        assert_eq!(&out[..], b"01234567");
        let mut out = BytesMut::new();
        put_chunk_header(&mut out, 0x1a2b);
        put_chunk_header(&mut out, 0);
        assert_eq!(&out[..], b"1a2b\r\n0\r\n");
    }

    #[test]
    fn error_answers_are_json_and_close() {
        let mut out = BytesMut::new();
        error_response(StatusCode::BAD_REQUEST, "malformed request head", &mut out);
        let text = String::from_utf8(out.to_vec()).expect("ascii");
        assert!(text.starts_with("HTTP/1.1 400 Bad Request\r\n"));
        assert!(text.contains("connection: close\r\n"));
        let body = text.split("\r\n\r\n").nth(1).expect("body");
        let json: serde_json::Value = serde_json::from_str(body).expect("json");
        assert_eq!(json["error"]["message"], "malformed request head");
    }
}
