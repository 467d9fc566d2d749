//! A small HTTP/1.1 client codec for the upstream side (ADR 026): the request head written
//! straight into the connection's output buffer, the response head parsed with `httparse` into
//! a header map whose values share the read buffer, and the response body's framing (length,
//! chunked, until close) decoded in the task that reads it.
//!
//! It is deliberately narrow: one request at a time on a connection, no upgrades (the gateway
//! strips `Upgrade`), informational responses skipped, trailers dropped. Everything it does not
//! understand is an error that discards the connection, never a guess.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Response, StatusCode, Version};

use super::Forwarding;

/// Largest response head accepted (status line and headers).
pub(crate) const MAX_HEAD: usize = 64 * 1024;
/// Most response headers accepted.
const MAX_HEADERS: usize = 100;
/// Longest chunk-size line (size and extensions) accepted.
const MAX_CHUNK_LINE: usize = 4096;
/// Most trailer bytes accepted (trailers are read and dropped).
const MAX_TRAILERS: usize = 16 * 1024;

/// A response the codec cannot accept.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("response head larger than {MAX_HEAD} bytes")]
    HeadTooLarge,
    #[error("malformed response head: {0}")]
    Head(httparse::Error),
    #[error("invalid header in the response head")]
    Header,
    #[error("conflicting or invalid content-length in the response")]
    ContentLength,
    #[error("malformed chunked body: {0}")]
    Chunk(&'static str),
    #[error("the upstream switched protocols, which the gateway never asks for")]
    Upgrade,
}

/// How a request body goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestFraming {
    /// No body bytes; `content-length: 0` when the method or the client's head implies a body.
    Empty,
    /// Exactly this many bytes (`content-length`).
    Length(u64),
    /// Length unknown in advance (`transfer-encoding: chunked`).
    Chunked,
}

/// Methods whose requests carry no body unless they say so.
fn bodyless_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::DELETE | Method::OPTIONS | Method::TRACE
    )
}

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn put_field(out: &mut BytesMut, name: &[u8], value: &[u8]) {
    out.put_slice(name);
    out.put_slice(b": ");
    out.put_slice(value);
    out.put_slice(b"\r\n");
}

/// Write a list field: the client's values (empty ones dropped) and then the gateway's.
fn put_list(out: &mut BytesMut, name: &HeaderName, headers: &HeaderMap, ours: &HeaderValue) {
    out.put_slice(name.as_str().as_bytes());
    out.put_slice(b": ");
    for theirs in headers.get_all(name) {
        if !theirs.is_empty() {
            out.put_slice(theirs.as_bytes());
            out.put_slice(b", ");
        }
    }
    out.put_slice(ours.as_bytes());
    out.put_slice(b"\r\n");
}

/// Write the request line and headers: the client's fields without the hop-by-hop ones (and
/// those its `Connection` names), the gateway's [`Forwarding`] fields, and the body's framing
/// (any `content-length` or `transfer-encoding` of the client's is replaced by `framing`'s).
pub(crate) fn encode_head(
    method: &Method,
    target: &str,
    headers: &HeaderMap,
    forwarding: &Forwarding,
    framing: RequestFraming,
    out: &mut BytesMut,
) {
    out.reserve(256 + target.len() + headers.len() * 32);
    out.put_slice(method.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(if target.is_empty() { "/" } else { target }.as_bytes());
    out.put_slice(b" HTTP/1.1\r\n");
    if let Some(host) = &forwarding.host {
        put_field(out, b"host", host.as_bytes());
    }
    let named = super::connection_named(headers);
    let mut declared_length = false;
    let mut has_forwarded_for = false;
    let mut has_via = false;
    for (name, value) in headers {
        if name == header::CONTENT_LENGTH {
            declared_length = true;
            continue;
        }
        if super::is_hop_by_hop(name)
            || (!named.is_empty() && named.contains(name))
            || (name == X_FORWARDED_PROTO && forwarding.proto.is_some())
            || (name == header::HOST && forwarding.host.is_some())
            || (name == X_REQUEST_ID && forwarding.request_id.is_some())
        {
            continue;
        }
        if name == X_FORWARDED_FOR && forwarding.forwarded_for.is_some() {
            has_forwarded_for = true;
            continue;
        }
        if name == header::VIA && forwarding.via.is_some() {
            has_via = true;
            continue;
        }
        put_field(out, name.as_str().as_bytes(), value.as_bytes());
    }
    if let Some(ip) = &forwarding.forwarded_for {
        if has_forwarded_for {
            put_list(out, &X_FORWARDED_FOR, headers, ip);
        } else {
            put_field(out, X_FORWARDED_FOR.as_str().as_bytes(), ip.as_bytes());
        }
    }
    if let Some(proto) = &forwarding.proto {
        put_field(out, X_FORWARDED_PROTO.as_str().as_bytes(), proto.as_bytes());
    }
    if let Some(via) = &forwarding.via {
        if has_via {
            put_list(out, &header::VIA, headers, via);
        } else {
            put_field(out, b"via", via.as_bytes());
        }
    }
    if let Some(id) = &forwarding.request_id {
        put_field(out, X_REQUEST_ID.as_str().as_bytes(), id.as_bytes());
    }
    match framing {
        RequestFraming::Empty if declared_length || !bodyless_method(method) => {
            out.put_slice(b"content-length: 0\r\n");
        }
        RequestFraming::Empty => {}
        RequestFraming::Length(n) => {
            let _ = std::fmt::Write::write_fmt(
                &mut FmtBuf(out),
                format_args!("content-length: {n}\r\n"),
            );
        }
        RequestFraming::Chunked => out.put_slice(b"transfer-encoding: chunked\r\n"),
    }
    out.put_slice(b"\r\n");
}

/// Append one chunk of a chunked request body.
pub(crate) fn encode_chunk(data: &[u8], out: &mut BytesMut) {
    out.reserve(data.len() + 20);
    let _ = std::fmt::Write::write_fmt(&mut FmtBuf(out), format_args!("{:x}\r\n", data.len()));
    out.put_slice(data);
    out.put_slice(b"\r\n");
}

/// The last chunk of a chunked request body (no trailers).
pub(crate) const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

struct FmtBuf<'a>(&'a mut BytesMut);

impl std::fmt::Write for FmtBuf<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.put_slice(s.as_bytes());
        Ok(())
    }
}

/// How a response body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    /// No body (a `HEAD` request, 204, 304, `content-length: 0`).
    Empty,
    /// This many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the upstream closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug)]
pub(crate) struct Head {
    pub response: Response<()>,
    pub framing: BodyFraming,
    /// The connection may carry another request after this response's body.
    pub keep_alive: bool,
}

/// Parse a response head from the front of `buf`, skipping informational (1xx) responses.
/// Returns `None` while the head is incomplete; on success the head's bytes are taken off `buf`,
/// which then starts with the body.
pub(crate) fn parse_head(
    buf: &mut BytesMut,
    method: &Method,
) -> Result<Option<Head>, ProtocolError> {
    loop {
        if buf.is_empty() {
            return Ok(None);
        }
        // (name start, name end, value start, value end) of each header, as offsets into `buf`.
        let mut spans: Vec<(usize, usize, usize, usize)>;
        let (len, code, version, reason) = {
            // Uninitialised: zeroing a hundred headers cost more than parsing them.
            let mut headers =
                [const { std::mem::MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut []);
            let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
                &mut response,
                buf,
                &mut headers,
            );
            let len = match parsed {
                Ok(httparse::Status::Complete(len)) => len,
                Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                    return Err(ProtocolError::HeadTooLarge);
                }
                Ok(httparse::Status::Partial) => return Ok(None),
                Err(err) => return Err(ProtocolError::Head(err)),
            };
            if len > MAX_HEAD {
                return Err(ProtocolError::HeadTooLarge);
            }
            let base = buf.as_ptr() as usize;
            let offset = |s: &[u8]| s.as_ptr() as usize - base;
            spans = Vec::with_capacity(response.headers.len());
            for h in response.headers.iter() {
                let name = offset(h.name.as_bytes());
                let value = offset(h.value);
                spans.push((name, name + h.name.len(), value, value + h.value.len()));
            }
            let reason = response
                .reason
                .filter(|r| !r.is_empty())
                .map(|r| (offset(r.as_bytes()), r.len()));
            (len, response.code.unwrap_or(0), response.version, reason)
        };
        let status =
            StatusCode::from_u16(code).map_err(|_| ProtocolError::Head(httparse::Error::Status))?;
        if status == StatusCode::SWITCHING_PROTOCOLS {
            return Err(ProtocolError::Upgrade);
        }
        if status.is_informational() {
            // 100 Continue, 102, 103 Early Hints: the final response follows.
            buf.advance(len);
            continue;
        }
        let head = buf.split_to(len).freeze();
        // Room for the fields the gateway adds on the way to the client (`via`, `x-request-id`).
        let mut headers = HeaderMap::with_capacity(spans.len() + 2);
        let mut fields = FramingFields::default();
        for &(ns, ne, vs, ve) in &spans {
            let (name, value) = (&head[ns..ne], &head[vs..ve]);
            // The fields that frame the message are read here rather than looked up in the
            // map; the hop-by-hop ones among them never reach it (the client's connection has
            // its own framing).
            if fields.read(name, value)? {
                continue;
            }
            let name = HeaderName::from_bytes(name).map_err(|_| ProtocolError::Header)?;
            let value = HeaderValue::from_maybe_shared(head.slice(vs..ve))
                .map_err(|_| ProtocolError::Header)?;
            headers.append(name, value);
        }
        let version = if version == Some(0) {
            Version::HTTP_10
        } else {
            Version::HTTP_11
        };
        let (framing, keep_alive) = fields.framing(method, status, version);
        let mut response = Response::new(());
        *response.status_mut() = status;
        *response.version_mut() = version;
        *response.headers_mut() = headers;
        if let Some((start, len)) = reason {
            let phrase = &head[start..start + len];
            if status.canonical_reason().map(str::as_bytes) != Some(phrase)
                && let Ok(phrase) =
                    hyper::ext::ReasonPhrase::try_from(head.slice(start..start + len))
            {
                response.extensions_mut().insert(phrase);
            }
        }
        return Ok(Some(Head {
            response,
            framing,
            keep_alive,
        }));
    }
}

/// What a response head says about its framing and its connection (RFC 9112 §6.3, §9.3).
#[derive(Debug, Default)]
struct FramingFields {
    /// The agreed `content-length`, if any.
    length: Option<u64>,
    /// A `transfer-encoding` was present, and whether its final coding is `chunked`.
    transfer: Option<bool>,
    close: bool,
    keep_alive: bool,
}

impl FramingFields {
    /// Take in one header; `true` when it is hop-by-hop framing that stays out of the map.
    fn read(&mut self, name: &[u8], value: &[u8]) -> Result<bool, ProtocolError> {
        if name.eq_ignore_ascii_case(b"content-length") {
            for part in value.split(|&b| b == b',') {
                let n = parse_decimal(part.trim_ascii()).ok_or(ProtocolError::ContentLength)?;
                if self.length.is_some_and(|seen| seen != n) {
                    return Err(ProtocolError::ContentLength);
                }
                self.length = Some(n);
            }
            return Ok(false);
        }
        if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value.rsplit(|&b| b == b',').next().map(<[u8]>::trim_ascii);
            self.transfer = Some(last.is_some_and(|c| c.eq_ignore_ascii_case(b"chunked")));
            return Ok(true);
        }
        if name.eq_ignore_ascii_case(b"keep-alive") {
            return Ok(true);
        }
        if name.eq_ignore_ascii_case(b"connection") {
            let mut names_others = false;
            for token in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    self.close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    self.keep_alive = true;
                } else if !token.is_empty() {
                    names_others = true;
                }
            }
            // One that names other headers stays, so that the response's hop-by-hop cleaning
            // removes those too.
            return Ok(!names_others);
        }
        Ok(false)
    }

    /// The body's framing and whether the connection may be reused after it.
    fn framing(
        &self,
        method: &Method,
        status: StatusCode,
        version: Version,
    ) -> (BodyFraming, bool) {
        let mut keep_alive = !self.close && (version == Version::HTTP_11 || self.keep_alive);
        if *method == Method::HEAD
            || status == StatusCode::NO_CONTENT
            || status == StatusCode::NOT_MODIFIED
        {
            return (BodyFraming::Empty, keep_alive);
        }
        if let Some(chunked) = self.transfer {
            // Transfer-Encoding wins over Content-Length; a message with both is suspect
            // (request smuggling), so its connection is not reused.
            if self.length.is_some() {
                keep_alive = false;
            }
            if chunked {
                return (BodyFraming::Chunked, keep_alive);
            }
            return (BodyFraming::UntilClose, false);
        }
        match self.length {
            Some(0) => (BodyFraming::Empty, keep_alive),
            Some(n) => (BodyFraming::Length(n), keep_alive),
            None => (BodyFraming::UntilClose, false),
        }
    }
}

/// A decimal `content-length` value (no sign, no spaces, at most 19 digits).
pub(crate) fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + u64::from(d - b'0'))
    })
}

/// One step of a chunked body's decoding.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Decoded {
    /// Body bytes (never empty).
    Data(Bytes),
    /// The buffer holds no complete next piece: read more.
    NeedMore,
    /// The last chunk and the trailers have been read.
    End,
}

/// Decoder of the chunked transfer coding (RFC 9112 §7.1); trailers are read and dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
    /// At a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data, at its CRLF.
    DataEnd,
    /// After the last chunk, at the trailer section; bytes of it seen so far.
    Trailers(usize),
    Done,
}

impl Chunked {
    /// Decode the next piece from the front of `buf`, consuming what it decodes.
    pub(crate) fn decode(&mut self, buf: &mut BytesMut) -> Result<Decoded, ProtocolError> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some(nl) = memchr::memchr(b'\n', buf) else {
                        if buf.len() > MAX_CHUNK_LINE {
                            return Err(ProtocolError::Chunk("chunk-size line too long"));
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    let line = buf.get(..nl).and_then(|l| l.strip_suffix(b"\r"));
                    let line = line.ok_or(ProtocolError::Chunk("chunk-size line without CRLF"))?;
                    let size = parse_chunk_size(line)?;
                    buf.advance(nl + 1);
                    *self = if size == 0 {
                        Chunked::Trailers(0)
                    } else {
                        Chunked::Data(size)
                    };
                }
                Chunked::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Decoded::NeedMore);
                    }
                    let take = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
                    let data = buf.split_to(take).freeze();
                    let left = left - take as u64;
                    *self = if left == 0 {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left)
                    };
                    return Ok(Decoded::Data(data));
                }
                Chunked::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(Decoded::NeedMore);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(ProtocolError::Chunk("chunk data not followed by CRLF"));
                    }
                    buf.advance(2);
                    *self = Chunked::Size;
                }
                Chunked::Trailers(seen) => {
                    let Some(nl) = memchr::memchr(b'\n', buf) else {
                        if seen + buf.len() > MAX_TRAILERS {
                            return Err(ProtocolError::Chunk("trailers too long"));
                        }
                        return Ok(Decoded::NeedMore);
                    };
                    let empty_line = nl == 1 && buf[0] == b'\r';
                    buf.advance(nl + 1);
                    if empty_line {
                        *self = Chunked::Done;
                    } else if seen + nl + 1 > MAX_TRAILERS {
                        return Err(ProtocolError::Chunk("trailers too long"));
                    } else {
                        *self = Chunked::Trailers(seen + nl + 1);
                    }
                }
                Chunked::Done => return Ok(Decoded::End),
            }
        }
    }
}

/// The hexadecimal size at the start of a chunk-size line (extensions after `;` ignored).
fn parse_chunk_size(line: &[u8]) -> Result<u64, ProtocolError> {
    let digits_end = line
        .iter()
        .position(|b| !b.is_ascii_hexdigit())
        .unwrap_or(line.len());
    let (digits, rest) = line.split_at(digits_end);
    if digits.is_empty() || digits.len() > 15 {
        return Err(ProtocolError::Chunk("invalid chunk size"));
    }
    let rest = rest.trim_ascii_start();
    if !rest.is_empty() && rest[0] != b';' {
        return Err(ProtocolError::Chunk("invalid chunk size"));
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let v = (d as char)
            .to_digit(16)
            .ok_or(ProtocolError::Chunk("invalid chunk size"))?;
        Ok(n * 16 + u64::from(v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str, method: &Method) -> Result<Option<Head>, ProtocolError> {
        let mut buf = BytesMut::from(text);
        parse_head(&mut buf, method)
    }

    #[test]
    fn encodes_request_heads_with_their_framing() {
        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static("127.0.0.1:8000"));
        headers.insert("content-length", HeaderValue::from_static("999"));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let mut out = BytesMut::new();
        encode_head(
            &Method::POST,
            "/v1/chat/completions",
            &headers,
            &Forwarding::default(),
            RequestFraming::Length(12),
            &mut out,
        );
        assert_eq!(
            &out[..],
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8000\r\n\
              content-type: application/json\r\ncontent-length: 12\r\n\r\n"
        );

        let mut out = BytesMut::new();
        encode_head(
            &Method::GET,
            "",
            &HeaderMap::new(),
            &Forwarding::default(),
            RequestFraming::Empty,
            &mut out,
        );
        assert_eq!(&out[..], b"GET / HTTP/1.1\r\n\r\n");
        let mut out = BytesMut::new();
        encode_head(
            &Method::POST,
            "/x",
            &HeaderMap::new(),
            &Forwarding::default(),
            RequestFraming::Empty,
            &mut out,
        );
        assert_eq!(&out[..], b"POST /x HTTP/1.1\r\ncontent-length: 0\r\n\r\n");
        let mut out = BytesMut::new();
        encode_head(
            &Method::PUT,
            "/b",
            &HeaderMap::new(),
            &Forwarding::default(),
            RequestFraming::Chunked,
            &mut out,
        );
        encode_chunk(b"hello world, this is long", &mut out);
        out.put_slice(LAST_CHUNK);
        assert_eq!(
            &out[..],
            b"PUT /b HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n19\r\nhello world, this is long\r\n0\r\n\r\n"
        );
    }

    #[test]
    fn parses_a_head_and_leaves_the_body() {
        let mut buf = BytesMut::from(
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-A: 1\r\nx-a: 2\r\n\
             Content-Length: 5\r\n\r\nhello",
        );
        let head = parse_head(&mut buf, &Method::POST)
            .expect("valid")
            .expect("complete");
        assert_eq!(&buf[..], b"hello");
        assert_eq!(head.response.status(), StatusCode::OK);
        assert_eq!(head.response.version(), Version::HTTP_11);
        assert_eq!(head.framing, BodyFraming::Length(5));
        assert!(head.keep_alive);
        let h = head.response.headers();
        assert_eq!(h["content-type"], "text/event-stream");
        let xa: Vec<_> = h.get_all("x-a").iter().collect();
        assert_eq!(xa, ["1", "2"]);
        assert!(
            head.response
                .extensions()
                .get::<hyper::ext::ReasonPhrase>()
                .is_none()
        );
    }

    #[test]
    fn a_partial_head_asks_for_more_and_an_oversized_one_fails() {
        assert!(
            head("HTTP/1.1 200 OK\r\nContent-Le", &Method::GET)
                .expect("ok")
                .is_none()
        );
        let big = format!("HTTP/1.1 200 OK\r\nx: {}", "a".repeat(MAX_HEAD + 1));
        assert_eq!(
            head(&big, &Method::GET).err(),
            Some(ProtocolError::HeadTooLarge)
        );
        assert!(matches!(
            head("HTTP/1.1 2x0 OK\r\n\r\n", &Method::GET),
            Err(ProtocolError::Head(_))
        ));
    }

    #[test]
    fn informational_responses_are_skipped_and_upgrades_refused() {
        let mut buf = BytesMut::from(
            "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n\
             HTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n",
        );
        let created = parse_head(&mut buf, &Method::POST)
            .expect("valid")
            .expect("complete");
        assert_eq!(created.response.status(), StatusCode::CREATED);
        assert_eq!(created.framing, BodyFraming::Empty);
        assert!(buf.is_empty());
        assert_eq!(
            head("HTTP/1.1 101 Switching Protocols\r\n\r\n", &Method::GET).err(),
            Some(ProtocolError::Upgrade)
        );
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let framing = |text: &str, method: &Method| {
            let h = head(text, method).expect("valid").expect("complete");
            (h.framing, h.keep_alive)
        };
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::Chunked, true)
        );
        // Both: chunked wins and the connection is not reused.
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 9\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::Chunked, false)
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::UntilClose, false)
        );
        assert_eq!(
            framing("HTTP/1.1 200 OK\r\n\r\n", &Method::GET),
            (BodyFraming::UntilClose, false)
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n",
                &Method::HEAD
            ),
            (BodyFraming::Empty, true)
        );
        assert_eq!(
            framing(
                "HTTP/1.1 304 Not Modified\r\ncontent-length: 7\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::Empty, true)
        );
        assert_eq!(
            framing(
                "HTTP/1.1 200 OK\r\ncontent-length: 7, 7\r\nconnection: close\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::Length(7), false)
        );
        assert_eq!(
            framing("HTTP/1.0 200 OK\r\ncontent-length: 7\r\n\r\n", &Method::GET),
            (BodyFraming::Length(7), false)
        );
        assert_eq!(
            framing(
                "HTTP/1.0 200 OK\r\ncontent-length: 7\r\nConnection: Keep-Alive\r\n\r\n",
                &Method::GET
            ),
            (BodyFraming::Length(7), true)
        );
        for bad in ["7, 8", "-1", "0x10", "", "99999999999999999999"] {
            let text = format!("HTTP/1.1 200 OK\r\ncontent-length: {bad}\r\n\r\n");
            assert_eq!(
                head(&text, &Method::GET).err(),
                Some(ProtocolError::ContentLength),
                "{bad}"
            );
        }
    }

    #[test]
    fn framing_fields_stay_out_of_the_header_map_unless_they_name_others() {
        let h = head(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: keep-alive\r\n\
             keep-alive: timeout=5\r\nx-kept: 1\r\n\r\n",
            &Method::GET,
        )
        .expect("valid")
        .expect("complete");
        let names: Vec<_> = h.response.headers().keys().map(|n| n.as_str()).collect();
        assert_eq!(names, ["x-kept"]);
        let h = head(
            "HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close, x-hop\r\nx-hop: 1\r\n\r\n",
            &Method::GET,
        )
        .expect("valid")
        .expect("complete");
        assert!(!h.keep_alive);
        assert!(h.response.headers().contains_key("connection"));
        assert_eq!(h.response.headers()["content-length"], "1");
    }

    #[test]
    fn custom_reason_phrases_are_kept() {
        let h = head(
            "HTTP/1.1 429 Slow Down\r\ncontent-length: 0\r\n\r\n",
            &Method::GET,
        )
        .expect("valid")
        .expect("complete");
        let phrase = h.response.extensions().get::<hyper::ext::ReasonPhrase>();
        assert_eq!(phrase.map(|p| p.as_bytes()), Some(&b"Slow Down"[..]));
    }

    fn decode_all(wire: &[u8], step: usize) -> Result<Vec<u8>, ProtocolError> {
        let mut decoder = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            match decoder.decode(&mut buf)? {
                Decoded::Data(data) => {
                    assert!(!data.is_empty());
                    out.extend_from_slice(&data);
                }
                Decoded::End => return Ok(out),
                Decoded::NeedMore if fed >= wire.len() => {
                    return Err(ProtocolError::Chunk("test: input ended"));
                }
                Decoded::NeedMore => {
                    let end = (fed + step).min(wire.len());
                    buf.extend_from_slice(&wire[fed..end]);
                    fed = end;
                }
            }
        }
    }

    #[test]
    fn chunked_bodies_decode_whatever_the_read_boundaries() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\nB\r\nworld, here\r\n0\r\nx-trailer: 1\r\n\r\n";
        for step in 1..=wire.len() {
            assert_eq!(
                decode_all(wire, step).expect("valid"),
                b"hello world, here",
                "step {step}"
            );
        }
    }

    #[test]
    fn malformed_chunked_bodies_fail() {
        for wire in [
            &b"5\r\nhelloX\r\n0\r\n\r\n"[..],
            b"zz\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"1000000000000000\r\n",
            b"5 x\r\nhello\r\n0\r\n\r\n",
        ] {
            assert!(
                matches!(decode_all(wire, wire.len()), Err(ProtocolError::Chunk(_))),
                "{:?}",
                String::from_utf8_lossy(wire)
            );
        }
        let long = vec![b'1'; MAX_CHUNK_LINE + 1];
        assert!(decode_all(&long, long.len()).is_err());
    }
}
