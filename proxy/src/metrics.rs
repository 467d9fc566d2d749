//! Prometheus metrics. Every label value comes from a closed set (route labels, status
//! codes, decisions, policy ids), never from raw request text.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use crate::route::Route;

/// Buckets for request-scale durations, 1 ms to 5 minutes.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0,
];

/// The gateway's metrics, registered once in their own registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Registry,
    pub requests_total: IntCounterVec,
    pub request_duration_seconds: HistogramVec,
    pub upstream_duration_seconds: HistogramVec,
    pub in_flight_requests: IntGauge,
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let requests_total = IntCounterVec::new(
            Opts::new(
                "warden_requests_total",
                "Requests answered, by route and response status.",
            ),
            &["route", "status"],
        )
        .expect("static metric definition");
        let request_duration_seconds = HistogramVec::new(
            HistogramOpts::new(
                "warden_request_duration_seconds",
                "Time from receiving a request to the end of its response body.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("static metric definition");
        let upstream_duration_seconds = HistogramVec::new(
            HistogramOpts::new(
                "warden_upstream_duration_seconds",
                "Time from sending a request upstream to receiving its response headers.",
            )
            .buckets(DURATION_BUCKETS.to_vec()),
            &["route"],
        )
        .expect("static metric definition");
        let in_flight_requests = IntGauge::new(
            "warden_in_flight_requests",
            "Requests received whose response has not finished.",
        )
        .expect("static metric definition");

        for collector in [
            Box::new(requests_total.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_duration_seconds.clone()),
            Box::new(upstream_duration_seconds.clone()),
            Box::new(in_flight_requests.clone()),
        ] {
            registry
                .register(collector)
                .expect("each metric is registered once");
        }
        // Pre-create the per-route series so dashboards see zeros rather than gaps.
        for route in Route::ALL {
            request_duration_seconds.with_label_values(&[route.as_label()]);
            upstream_duration_seconds.with_label_values(&[route.as_label()]);
        }

        Metrics {
            registry,
            requests_total,
            request_duration_seconds,
            upstream_duration_seconds,
            in_flight_requests,
        }
    }

    /// Register another collector (guard, policy and code-scan metrics live with their stage).
    pub fn register(&self, collector: Box<dyn prometheus::core::Collector>) {
        if let Err(err) = self.registry.register(collector) {
            tracing::error!(%err, "metric registered twice");
        }
    }

    /// The text exposition format for `GET /metrics`.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let encoder = TextEncoder::new();
        if let Err(err) = encoder.encode(&self.registry.gather(), &mut out) {
            tracing::error!(%err, "metrics encoding failed");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}
