//! The request pipeline: one async function over `http` types, so tests can drive it without
//! a socket. Phases, in order:
//!
//! 1. **Accept**: assign a request id, count the request in flight, recognise the route.
//! 2. **Limit**: refuse a declared body over the cap (413) and cap a streamed one.
//! 3. **Forward**: rewrite the head for the upstream and send it through the pooled client
//!    under the upstream timeout (502 unreachable, 504 no headers in time).
//! 4. **Respond**: stream the upstream's response back frame by frame under the idle timeout;
//!    upstream error statuses and bodies pass through unchanged.
//! 5. **Record**: when the response body ends (or the client leaves), update metrics and log.
//!
//! Guarded routes (see [`crate::route::Route::is_guarded`]) add, between 2 and 3, reading the
//! body, taking one policy snapshot for the whole request, and the prompt check (a block is
//! answered here and never reaches the upstream); and in 4, the response check: a complete
//! answer is judged before it is sent, a streamed one goes through the hold-back engine
//! ([`crate::stream`]). The phases of a guarded request live in [`crate::guarded`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response};
use http_body_util::BodyExt;

use crate::audit::AuditLog;
use crate::body::{BodyEnd, BoxBody, BoxError, CappedBody, IdleTimeoutBody, OnBodyEnd};
use crate::config::Config;
use crate::error::GatewayError;
use crate::guard::Checker;
use crate::injection::InjectionChecker;
use crate::metrics::Metrics;
use crate::route::{ApiFamily, Route};
use crate::upstream::{self, PoolOptions, UpstreamBody, UpstreamPool, UpstreamTarget};
use warden_policies::PolicyStore;

static REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Shared state of a running gateway.
#[derive(Debug)]
pub struct Gateway {
    config: Arc<Config>,
    upstream: UpstreamPool,
    target: UpstreamTarget,
    route_metrics: Vec<RouteMetrics>,
    metrics: Metrics,
    ready: AtomicBool,
    next_id: AtomicU64,
    id_seed: u64,
    pub(crate) policies: Arc<PolicyStore>,
    pub(crate) checker: Checker,
    pub(crate) injection: Option<InjectionChecker>,
    pub(crate) audit: AuditLog,
}

/// `x` as 16 lower-case hex digits (`format!` costs several times more per request).
fn hex16(x: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(16);
    for i in (0..16).rev() {
        out.push(char::from(DIGITS[((x >> (i * 4)) & 0xf) as usize]));
    }
    out
}

/// An error and its sources on one line, for the log.
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// One route's metric handles, looked up once: `with_label_values` hashes the labels and
/// takes a lock on every call, which showed in the per-request profile.
#[derive(Debug)]
struct RouteMetrics {
    duration: prometheus::Histogram,
    upstream_duration: prometheus::Histogram,
    /// `requests_total{status="200"}`, the status nearly every request ends with.
    ok: prometheus::IntCounter,
}

impl RouteMetrics {
    /// In the order of [`Gateway::route_metrics`]'s index.
    const ROUTES: [Route; 5] = [
        Route::OpenAiChat,
        Route::OpenAiCompletions,
        Route::OllamaChat,
        Route::OllamaGenerate,
        Route::Passthrough,
    ];

    fn all(metrics: &Metrics) -> Vec<RouteMetrics> {
        Self::ROUTES
            .iter()
            .map(|route| {
                let label = route.as_label();
                RouteMetrics {
                    duration: metrics.request_duration_seconds.with_label_values(&[label]),
                    upstream_duration: metrics
                        .upstream_duration_seconds
                        .with_label_values(&[label]),
                    ok: metrics.requests_total.with_label_values(&[label, "200"]),
                }
            })
            .collect()
    }
}

/// Per-request context carried through the phases.
#[derive(Debug)]
pub(crate) struct RequestContext {
    pub id: String,
    pub route: Route,
    pub family: ApiFamily,
    pub started: Instant,
}

/// What a gateway checks with, built once at start.
#[derive(Debug, Clone)]
pub struct Services {
    pub policies: Arc<PolicyStore>,
    pub checker: Checker,
    /// The prompt-injection detector, when one is served.
    pub injection: Option<InjectionChecker>,
    pub audit: AuditLog,
}

impl Gateway {
    pub fn new(config: Arc<Config>, metrics: Metrics, services: Services) -> Gateway {
        let id_seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
            ^ (u64::from(std::process::id()) << 32);
        let upstream = UpstreamPool::new(
            &config.upstream,
            PoolOptions {
                connect_timeout: config.upstream_timeout,
                workers: config.workers,
                ..PoolOptions::default()
            },
        );
        metrics.register(Box::new(upstream::PoolCollector::new(upstream.clone())));
        Gateway {
            target: UpstreamTarget::new(&config.upstream),
            route_metrics: RouteMetrics::all(&metrics),
            upstream,
            config,
            metrics,
            ready: AtomicBool::new(false),
            next_id: AtomicU64::new(1),
            id_seed,
            policies: services.policies,
            checker: services.checker,
            injection: services.injection,
            audit: services.audit,
        }
    }

    pub fn policies(&self) -> &Arc<PolicyStore> {
        &self.policies
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The upstream connection pool (its counters are exported as metrics).
    pub fn upstream(&self) -> &UpstreamPool {
        &self.upstream
    }

    fn route_metrics(&self, route: Route) -> &RouteMetrics {
        let index = match route {
            Route::OpenAiChat => 0,
            Route::OpenAiCompletions => 1,
            Route::OllamaChat => 2,
            Route::OllamaGenerate => 3,
            Route::Passthrough => 4,
        };
        &self.route_metrics[index]
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn request_id<B>(&self, request: &Request<B>) -> String {
        if let Some(id) = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty() && v.len() <= 128)
        {
            return id.to_string();
        }
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        // A cheap bijective mix so ids from different processes rarely collide.
        let mut x = n.wrapping_add(self.id_seed);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        hex16(x ^ (x >> 31))
    }

    /// Handle one client request end to end.
    pub async fn handle<B>(
        self: &Arc<Self>,
        request: Request<B>,
        client: Option<SocketAddr>,
    ) -> Response<BoxBody>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        let route = Route::recognise(request.method(), request.uri().path());
        let ctx = RequestContext {
            id: self.request_id(&request),
            route,
            family: route.family(request.uri().path()),
            started: Instant::now(),
        };
        // Counted until the response body ends, or until hyper drops this future because
        // the client left before the response head: the guard's drop is the one decrement.
        let in_flight = InFlight::enter(&self.metrics.in_flight_requests);
        let result = if route.is_guarded() && self.anything_to_check() {
            let request = request.map(|body| body.map_err(Into::into).boxed());
            // Boxed: the guarded path's future is many times the size of the pass-through
            // one, and every request would otherwise build and move it.
            Box::pin(crate::guarded::handle(self, request, client, &ctx)).await
        } else {
            self.forward(request, client, &ctx).await
        };
        let response = match result {
            Ok(response) => response,
            Err(err) => {
                tracing::warn!(request_id = %ctx.id, route = ctx.route.as_label(), error = %err, detail = ?err, "request failed at the gateway");
                err.into_response(ctx.family)
            }
        };
        self.finish(response, ctx, in_flight)
    }

    /// Whether any policy of the active set checks anything this gateway can check. When
    /// none does, guarded routes stream through like every other route (no body buffering).
    fn anything_to_check(&self) -> bool {
        let set = self.policies.load();
        let has_guard = self.checker.has_guard();
        std::iter::once(&set.default_policy)
            .chain(set.policies.values())
            .any(|p| {
                (has_guard && (p.guard.prompts || p.guard.responses))
                    || p.code.prompts
                    || p.code.responses
                    || self.injection.as_ref().is_some_and(|i| i.applies_to(p))
            })
    }

    pub(crate) fn request_limit(&self) -> u64 {
        self.config.max_body
    }

    async fn forward<B>(
        &self,
        request: Request<B>,
        client: Option<SocketAddr>,
        ctx: &RequestContext,
    ) -> Result<Response<BoxBody>, GatewayError>
    where
        B: http_body::Body<Data = Bytes> + Send + Sync + 'static,
        B::Error: Into<BoxError>,
    {
        let limit = self.config.max_body;
        if crate::body::declared_over(request.headers(), limit) {
            return Err(GatewayError::BodyTooLarge { limit });
        }

        let (parts, body) = request.into_parts();
        let (capped, tripped) = CappedBody::new(body, limit);
        let response = self
            .send_upstream(Request::from_parts(parts, capped.boxed()), client, ctx)
            .await
            .map_err(|err| match err {
                GatewayError::UpstreamUnreachable { .. } if tripped.load(Ordering::Acquire) => {
                    GatewayError::BodyTooLarge { limit }
                }
                other => other,
            })?;
        Ok(self.stream_back(response))
    }

    /// Phase 3: send a request upstream under the upstream timeout.
    pub(crate) async fn send_upstream(
        &self,
        mut upstream_request: Request<BoxBody>,
        client: Option<SocketAddr>,
        ctx: &RequestContext,
    ) -> Result<Response<UpstreamBody>, GatewayError> {
        let forwarding =
            upstream::prepare_request(&mut upstream_request, &self.target, client, &ctx.id)
                .map_err(|err| GatewayError::Internal {
                    detail: format!("building the upstream request: {err}"),
                })?;

        let sent = Instant::now();
        let timeout = self.config.upstream_timeout;
        // Boxed: the exchange's future is the largest part of the pass-through request's
        // state, and unboxed it is copied again by every future that awaits it (the timeout,
        // `forward`, `handle`, the connection's task): one allocation costs less than those
        // moves.
        let exchange = Box::pin(self.upstream.send(upstream_request, &forwarding));
        let result = tokio::time::timeout(timeout, exchange).await;
        let elapsed = sent.elapsed().as_secs_f64();
        self.route_metrics(ctx.route)
            .upstream_duration
            .observe(elapsed);
        match result {
            Err(_) => Err(GatewayError::UpstreamTimeout {
                secs: timeout.as_secs(),
            }),
            Ok(Err(err)) => Err(GatewayError::UpstreamUnreachable {
                detail: error_chain(&err),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Phase 4: the upstream's response head cleaned, its body streamed under the idle timeout.
    pub(crate) fn stream_back(&self, response: Response<UpstreamBody>) -> Response<BoxBody> {
        let (mut parts, body) = response.into_parts();
        upstream::prepare_response(&mut parts.headers, parts.version);
        let body = IdleTimeoutBody::new(body, self.config.stream_idle_timeout).boxed();
        Response::from_parts(parts, body)
    }

    /// Attach the request id and the end-of-body bookkeeping to any response.
    fn finish(
        self: &Arc<Self>,
        response: Response<BoxBody>,
        ctx: RequestContext,
        in_flight: InFlight,
    ) -> Response<BoxBody> {
        let (mut parts, body) = response.into_parts();
        if let Ok(id) = HeaderValue::from_str(&ctx.id) {
            parts.headers.insert(REQUEST_ID_HEADER.clone(), id);
        }
        let status = parts.status;
        let gateway = Arc::clone(self);
        let body = OnBodyEnd::new(body, move |end| {
            let route = ctx.route.as_label();
            let elapsed = ctx.started.elapsed();
            let metrics = &gateway.metrics;
            drop(in_flight);
            let handles = gateway.route_metrics(ctx.route);
            if status == http::StatusCode::OK {
                handles.ok.inc();
            } else {
                metrics
                    .requests_total
                    .with_label_values(&[route, status.as_str()])
                    .inc();
            }
            handles.duration.observe(elapsed.as_secs_f64());
            let outcome = match end {
                BodyEnd::Complete => "complete",
                BodyEnd::Failed => "failed",
                BodyEnd::Dropped => "client_gone",
            };
            tracing::info!(
                request_id = %ctx.id,
                route,
                status = status.as_u16(),
                duration_ms = elapsed.as_secs_f64() * 1000.0,
                outcome,
                "request finished"
            );
        });
        Response::from_parts(parts, body.boxed())
    }
}

/// One request counted in `warden_in_flight_requests`: incremented on entry, decremented
/// exactly once when dropped, whether that is at the end of the response body or because
/// the request's future was dropped early (a client that hangs up while the gateway waits for
/// the guard or the upstream's response head).
pub(crate) struct InFlight(prometheus::IntGauge);

impl InFlight {
    fn enter(gauge: &prometheus::IntGauge) -> InFlight {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_flight_guard_decrements_exactly_once() {
        let gauge = prometheus::IntGauge::new("t_in_flight", "test").expect("gauge");
        let a = InFlight::enter(&gauge);
        let b = InFlight::enter(&gauge);
        assert_eq!(gauge.get(), 2);
        drop(a);
        assert_eq!(gauge.get(), 1);
        // A request future dropped before its response head: its guard goes with it.
        let early = async move {
            let _b = b;
            std::future::pending::<()>().await;
        };
        drop(early);
        assert_eq!(gauge.get(), 0);
    }

    #[test]
    fn request_ids_are_sixteen_hex_digits() {
        assert_eq!(hex16(0), "0000000000000000");
        assert_eq!(hex16(0xdead_beef_0123_4567), "deadbeef01234567");
        assert_eq!(hex16(u64::MAX), format!("{:016x}", u64::MAX));
    }

    #[test]
    fn route_metric_handles_are_indexed_in_route_order() {
        let metrics = Metrics::new();
        let handles = RouteMetrics::all(&metrics);
        for (i, route) in RouteMetrics::ROUTES.iter().enumerate() {
            handles[i].ok.inc_by(i as u64 + 1);
            let series = metrics
                .requests_total
                .with_label_values(&[route.as_label(), "200"])
                .get();
            assert_eq!(series, i as u64 + 1, "{route:?}");
        }
    }
}
