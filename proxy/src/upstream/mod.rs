//! The upstream side: the connection pool ([`pool`], http and https via rustls) and the
//! rewrite of a client request into the upstream request (hop-by-hop headers dropped, `Host`
//! set, `x-forwarded-*` and `via` added).

pub(crate) mod h1;
mod metrics;
pub mod pool;

pub use metrics::PoolCollector;

pub use pool::{PoolOptions, PoolStats, UpstreamBody, UpstreamError, UpstreamPool};

use std::net::{IpAddr, SocketAddr};

use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::uri::{PathAndQuery, Uri};
use http::{Request, Version};

use crate::body::BoxBody;

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1). A `static`: a
/// `const` array of `HeaderName`s is built and dropped again at every use, once per header
/// of every request.
static HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

fn is_hop_by_hop(name: &HeaderName) -> bool {
    // A match on the text: comparing against each of the list's names cost several times more,
    // and this runs for every header of every request and response.
    matches!(
        name.as_str(),
        "connection"
            | "keep-alive"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
            | "proxy-connection"
    )
}

/// The fields a head's `Connection` names: hop-by-hop too (RFC 9110 §7.6.1).
fn connection_named(headers: &HeaderMap) -> Vec<HeaderName> {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .flat_map(|v| v.as_bytes().split(|&b| b == b','))
        .filter_map(|name| HeaderName::from_bytes(name.trim_ascii()).ok())
        .collect()
}

/// Remove hop-by-hop headers, including any the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    // One pass of cheap name comparisons; most heads carry none, and removing by name hashes.
    if !headers.keys().any(is_hop_by_hop) {
        return;
    }
    let named = connection_named(headers);
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
    headers.remove("proxy-connection");
}

/// The upstream URI for a client request: the upstream's scheme and authority, its base path
/// joined with the request's path, and the request's query.
pub fn upstream_uri(base: &Uri, path_and_query: Option<&PathAndQuery>) -> Result<Uri, http::Error> {
    let base_path = base.path().trim_end_matches('/');
    let request = path_and_query.map_or("/", PathAndQuery::as_str);
    let joined = format!("{base_path}{request}");
    let mut parts = http::uri::Parts::default();
    parts.scheme = base.scheme().cloned();
    parts.authority = base.authority().cloned();
    parts.path_and_query = Some(PathAndQuery::try_from(joined)?);
    Ok(Uri::from_parts(parts)?)
}

/// `via` entries for each protocol version (`1.1 warden`).
fn via_entry(version: Version) -> HeaderValue {
    HeaderValue::from_static(match version {
        Version::HTTP_09 => "0.9 warden",
        Version::HTTP_10 => "1.0 warden",
        Version::HTTP_2 => "2 warden",
        Version::HTTP_3 => "3 warden",
        _ => "1.1 warden",
    })
}

/// Append `value` to a comma-separated header, creating it if absent.
fn append_list(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    match headers.entry(name) {
        header::Entry::Vacant(entry) => {
            entry.insert(value);
        }
        header::Entry::Occupied(mut entry) => {
            let existing = entry.get().as_bytes();
            if existing.is_empty() {
                entry.insert(value);
                return;
            }
            let mut combined = Vec::with_capacity(existing.len() + 2 + value.len());
            combined.extend_from_slice(existing);
            combined.extend_from_slice(b", ");
            combined.extend_from_slice(value.as_bytes());
            if let Ok(v) = HeaderValue::from_bytes(&combined) {
                entry.insert(v);
            }
        }
    }
}

thread_local! {
    /// The last client address seen on this thread and its header value: a connection's
    /// requests all come from one address, and formatting it showed in the profile.
    static LAST_CLIENT: std::cell::RefCell<Option<(IpAddr, HeaderValue)>> =
        const { std::cell::RefCell::new(None) };
}

/// The `x-forwarded-for` entry for a client address.
fn forwarded_for(ip: IpAddr) -> Option<HeaderValue> {
    LAST_CLIENT.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((seen, value)) = last.as_ref()
            && *seen == ip
        {
            return Some(value.clone());
        }
        let value = HeaderValue::from_maybe_shared(bytes::Bytes::from(ip.to_string())).ok()?;
        *last = Some((ip, value.clone()));
        Some(value)
    })
}

/// What every upstream request head takes from the configured upstream, worked out once.
#[derive(Debug, Clone)]
pub struct UpstreamTarget {
    host: Option<HeaderValue>,
    /// The upstream URL's path without its trailing `/` (empty for most upstreams).
    base_path: String,
    base: Uri,
}

impl UpstreamTarget {
    pub fn new(upstream: &Uri) -> UpstreamTarget {
        UpstreamTarget {
            host: upstream
                .authority()
                .and_then(|a| HeaderValue::from_str(a.as_str()).ok()),
            base_path: upstream.path().trim_end_matches('/').to_string(),
            base: upstream.clone(),
        }
    }

    /// The origin-form request target: the base path joined with the request's.
    fn origin_form(&self, path_and_query: Option<&PathAndQuery>) -> Result<Uri, http::Error> {
        if self.base_path.is_empty() {
            let pq = path_and_query
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/"));
            return Ok(Uri::from(pq));
        }
        let uri = upstream_uri(&self.base, path_and_query)?;
        Ok(Uri::from(
            uri.path_and_query()
                .cloned()
                .unwrap_or_else(|| PathAndQuery::from_static("/")),
        ))
    }
}

/// What the gateway adds to an upstream request head. The pool's encoder writes these next to
/// the client's own fields (ADR 026) instead of inserting them into the client's header map:
/// `host`, `x-forwarded-proto` and `x-request-id` replace the client's, `x-forwarded-for` and
/// `via` extend the client's lists.
#[derive(Debug, Clone, Default)]
pub struct Forwarding {
    pub(crate) host: Option<HeaderValue>,
    pub(crate) forwarded_for: Option<HeaderValue>,
    pub(crate) proto: Option<HeaderValue>,
    pub(crate) via: Option<HeaderValue>,
    pub(crate) request_id: Option<HeaderValue>,
}

/// Rewrite the client's request for the upstream: origin-form URI under the upstream's base
/// path (the pool connects to its scheme and authority), HTTP/1.1; returns the fields the head
/// gains on the way out. Hop-by-hop fields are left out when the head is written. The body is
/// passed through as is.
pub fn prepare_request(
    request: &mut Request<BoxBody>,
    target: &UpstreamTarget,
    client: Option<SocketAddr>,
    request_id: &str,
) -> Result<Forwarding, http::Error> {
    let inbound_version = request.version();
    let uri = target.origin_form(request.uri().path_and_query())?;
    *request.uri_mut() = uri;
    // Upstream connections are HTTP/1.1 whatever the client spoke.
    *request.version_mut() = Version::HTTP_11;
    Ok(Forwarding {
        host: target.host.clone(),
        forwarded_for: client.and_then(|addr| forwarded_for(addr.ip())),
        proto: Some(HeaderValue::from_static("http")),
        via: Some(via_entry(inbound_version)),
        request_id: HeaderValue::from_str(request_id).ok(),
    })
}

/// Clean an upstream response head before it goes to the client.
pub fn prepare_response(headers: &mut HeaderMap, version: Version) {
    strip_hop_by_hop(headers);
    append_list(headers, header::VIA, via_entry(version));
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::{BodyExt, Empty};

    #[test]
    fn the_hop_by_hop_match_and_list_agree() {
        for name in &HOP_BY_HOP {
            assert!(is_hop_by_hop(name), "{name}");
        }
        assert!(is_hop_by_hop(&HeaderName::from_static("proxy-connection")));
        for name in [
            "content-length",
            "host",
            "via",
            "x-request-id",
            "tes",
            "upgrade-insecure-requests",
        ] {
            assert!(!is_hop_by_hop(&HeaderName::from_static(name)), "{name}");
        }
    }

    #[test]
    fn joins_base_path_and_keeps_query() {
        let base: Uri = "http://10.0.0.5:8000/vllm".parse().expect("uri");
        let pq = PathAndQuery::from_static("/v1/models?x=1&y=%20");
        let uri = upstream_uri(&base, Some(&pq)).expect("uri");
        assert_eq!(
            uri.to_string(),
            "http://10.0.0.5:8000/vllm/v1/models?x=1&y=%20"
        );
        let root: Uri = "http://127.0.0.1:11434".parse().expect("uri");
        assert_eq!(
            upstream_uri(&root, Some(&pq)).expect("uri").to_string(),
            "http://127.0.0.1:11434/v1/models?x=1&y=%20"
        );
    }

    /// The head the pool writes for `request` once prepared: its target and its fields.
    fn written_head(
        mut request: Request<BoxBody>,
        upstream: &str,
        client: Option<SocketAddr>,
    ) -> (String, Vec<(String, String)>) {
        let upstream: Uri = upstream.parse().expect("uri");
        let forwarding =
            prepare_request(&mut request, &UpstreamTarget::new(&upstream), client, "abc")
                .expect("prepare");
        assert_eq!(request.version(), Version::HTTP_11);
        let mut out = bytes::BytesMut::new();
        let target = request.uri().path_and_query().map_or("/", |pq| pq.as_str());
        h1::encode_head(
            request.method(),
            target,
            request.headers(),
            &forwarding,
            h1::RequestFraming::Empty,
            &mut out,
        );
        let mut fields = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Request::new(&mut fields);
        assert!(parsed.parse(&out).expect("valid head").is_complete());
        let fields = parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_string(),
                    String::from_utf8_lossy(h.value).to_string(),
                )
            })
            .collect();
        (parsed.path.unwrap_or_default().to_string(), fields)
    }

    fn field<'a>(fields: &'a [(String, String)], name: &str) -> Vec<&'a str> {
        fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn rewrites_headers() {
        let request = Request::builder()
            .uri("/api/tags")
            .header("host", "gateway.example")
            .header("connection", "keep-alive, x-secret-hop")
            .header("x-secret-hop", "1")
            .header("keep-alive", "timeout=5")
            .header("x-forwarded-for", "203.0.113.9")
            .header("x-forwarded-proto", "https")
            .header("x-request-id", "client-id")
            .header("authorization", "Bearer k")
            .body(Empty::new().map_err(|never| match never {}).boxed())
            .expect("request");
        let client: SocketAddr = "192.0.2.1:5555".parse().expect("addr");
        let (target, h) = written_head(request, "http://127.0.0.1:11434", Some(client));
        assert_eq!(target, "/api/tags");
        assert_eq!(h[0], ("host".to_string(), "127.0.0.1:11434".to_string()));
        assert_eq!(field(&h, "host").len(), 1);
        for gone in ["connection", "x-secret-hop", "keep-alive"] {
            assert!(field(&h, gone).is_empty(), "{gone} in {h:?}");
        }
        assert_eq!(field(&h, "x-forwarded-for"), ["203.0.113.9, 192.0.2.1"]);
        assert_eq!(field(&h, "x-forwarded-proto"), ["http"]);
        assert_eq!(field(&h, "via"), ["1.1 warden"]);
        assert_eq!(field(&h, "authorization"), ["Bearer k"]);
        assert_eq!(field(&h, "x-request-id"), ["abc"]);

        // A base path is joined in front; the query stays; lists gain the gateway's entry.
        let request = Request::builder()
            .uri("/v1/models?x=1")
            .header("via", "1.0 edge")
            .header("via", "1.1 lb")
            .body(Empty::new().map_err(|never| match never {}).boxed())
            .expect("request");
        let (target, h) = written_head(request, "http://10.0.0.5:8000/vllm/", None);
        assert_eq!(target, "/vllm/v1/models?x=1");
        assert_eq!(field(&h, "host"), ["10.0.0.5:8000"]);
        assert_eq!(field(&h, "via"), ["1.0 edge, 1.1 lb, 1.1 warden"]);
        assert!(field(&h, "x-forwarded-for").is_empty());
    }

    #[test]
    fn heads_without_hop_by_hop_headers_are_left_alone() {
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        headers.insert("x-custom", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 2);
        headers.insert("proxy-connection", HeaderValue::from_static("keep-alive"));
        headers.insert("transfer-encoding", HeaderValue::from_static("chunked"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 2);
    }
}
