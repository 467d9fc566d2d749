//! Prometheus metrics. Every label value comes from a closed set (route labels, status
//! codes, decisions, policy ids), never from raw request text.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

use std::sync::Arc;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use warden_guard_model::{BATCH_SIZE_BUCKETS, Classifier, EngineStats};

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
    pub decisions_total: IntCounterVec,
    pub guard_categories_total: IntCounterVec,
    pub guard_duration_seconds: HistogramVec,
    pub guard_errors_total: IntCounterVec,
    pub guard_queue_depth: IntGauge,
    pub guard_shed_total: IntCounterVec,
    pub guard_truncations_total: IntCounter,
    pub code_findings_total: IntCounterVec,
    pub code_scan_duration_seconds: Histogram,
    pub stream_holdback_seconds: Histogram,
    pub policy_reloads_total: IntCounterVec,
    pub policy_info: IntGaugeVec,
}

/// Buckets for in-process work measured in microseconds to seconds.
const FAST_BUCKETS: &[f64] = &[
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
    2.5, 5.0, 10.0,
];

fn counter_vec(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(Opts::new(name, help), labels).expect("static metric definition")
}

fn histogram_vec(name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    HistogramVec::new(
        HistogramOpts::new(name, help).buckets(buckets.to_vec()),
        labels,
    )
    .expect("static metric definition")
}

fn histogram(name: &str, help: &str, buckets: &[f64]) -> Histogram {
    Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets.to_vec()))
        .expect("static metric definition")
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

        let decisions_total = counter_vec(
            "warden_decisions_total",
            "Decisions taken, by route, stage (prompt, response) and decision.",
            &["route", "stage", "decision"],
        );
        let guard_categories_total = counter_vec(
            "warden_guard_categories_total",
            "Guard categories that fired, by stage and category id.",
            &["stage", "category"],
        );
        let guard_duration_seconds = histogram_vec(
            "warden_guard_duration_seconds",
            "Time of one guard classification, queueing included.",
            &["stage"],
            FAST_BUCKETS,
        );
        let guard_errors_total = counter_vec(
            "warden_guard_errors_total",
            "Guard classifications without a verdict, by kind (timeout, overloaded, backend, ...).",
            &["kind"],
        );
        let guard_queue_depth = IntGauge::new(
            "warden_guard_queue_depth",
            "Classifications waiting for the guard model.",
        )
        .expect("static metric definition");
        let guard_shed_total = counter_vec(
            "warden_guard_shed_total",
            "Guard checks refused before running, by reason: concurrency (guard_concurrency \
             checks running), expected_wait (the guard expected to need longer than the \
             policy's guard timeout), queue_full (the guard's own queue or in-flight bound).",
            &["reason"],
        );
        for reason in ["concurrency", "expected_wait", "queue_full"] {
            guard_shed_total.with_label_values(&[reason]);
        }
        let guard_truncations_total = IntCounter::new(
            "warden_guard_truncations_total",
            "Classifications whose conversation was cut to fit the guard's context.",
        )
        .expect("static metric definition");
        let code_findings_total = counter_vec(
            "warden_code_findings_total",
            "Insecure-code findings, by language, CWE and severity.",
            &["language", "cwe", "severity"],
        );
        let code_scan_duration_seconds = histogram(
            "warden_code_scan_duration_seconds",
            "Time of one code scan (extraction, parse and rules).",
            FAST_BUCKETS,
        );
        let stream_holdback_seconds = histogram(
            "warden_stream_holdback_seconds",
            "How long streamed frames were held back before release.",
            FAST_BUCKETS,
        );
        let policy_reloads_total = counter_vec(
            "warden_policy_reloads_total",
            "Policy reloads, by result (ok, rejected).",
            &["result"],
        );
        let policy_info = IntGaugeVec::new(
            Opts::new(
                "warden_policy_info",
                "The active policy set; its version label is a content hash.",
            ),
            &["version"],
        )
        .expect("static metric definition");

        for collector in [
            Box::new(requests_total.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(request_duration_seconds.clone()),
            Box::new(upstream_duration_seconds.clone()),
            Box::new(in_flight_requests.clone()),
            Box::new(decisions_total.clone()),
            Box::new(guard_categories_total.clone()),
            Box::new(guard_duration_seconds.clone()),
            Box::new(guard_errors_total.clone()),
            Box::new(guard_queue_depth.clone()),
            Box::new(guard_shed_total.clone()),
            Box::new(guard_truncations_total.clone()),
            Box::new(code_findings_total.clone()),
            Box::new(code_scan_duration_seconds.clone()),
            Box::new(stream_holdback_seconds.clone()),
            Box::new(policy_reloads_total.clone()),
            Box::new(policy_info.clone()),
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
        for result in ["ok", "rejected"] {
            policy_reloads_total.with_label_values(&[result]);
        }

        Metrics {
            registry,
            requests_total,
            request_duration_seconds,
            upstream_duration_seconds,
            in_flight_requests,
            decisions_total,
            guard_categories_total,
            guard_duration_seconds,
            guard_errors_total,
            guard_queue_depth,
            guard_shed_total,
            guard_truncations_total,
            code_findings_total,
            code_scan_duration_seconds,
            stream_holdback_seconds,
            policy_reloads_total,
            policy_info,
        }
    }

    /// Mark `version` as the active policy set (one series at a time).
    pub fn set_policy_version(&self, version: &str) {
        self.policy_info.reset();
        self.policy_info.with_label_values(&[version]).set(1);
    }

    /// Export the in-process guard engine's batching and cache counters (read at scrape
    /// time). A remote guard has none; registering twice is a no-op.
    pub fn watch_guard_engine(&self, classifier: Arc<dyn Classifier>) {
        if classifier.engine_stats().is_none() {
            return;
        }
        if let Err(err) = self
            .registry
            .register(Box::new(GuardEngineCollector::new(classifier)))
        {
            tracing::debug!(%err, "guard engine metrics already registered");
        }
    }

    /// Export a component's own counters (read at scrape time) beside the gateway's.
    pub fn register(&self, collector: Box<dyn Collector>) {
        if let Err(err) = self.registry.register(collector) {
            tracing::debug!(%err, "metrics already registered");
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

type StatField = fn(&EngineStats) -> usize;

/// The guard engine's counters, copied from [`Classifier::engine_stats`] on every scrape.
#[derive(Debug)]
struct GuardEngineCollector {
    classifier: Arc<dyn Classifier>,
    counters: Vec<(IntCounter, StatField)>,
    kept: IntGauge,
    descs: Vec<Desc>,
}

const BATCH_SIZE_NAME: &str = "warden_guard_batch_size";
const BATCH_SIZE_HELP: &str =
    "Prompts per forward pass of the in-process guard (concurrent checks batched together).";

/// `warden_guard_batch_size` from the engine's per-bucket pass counts.
fn batch_size_family(stats: &EngineStats) -> MetricFamily {
    use prometheus::proto::{Bucket, Histogram as ProtoHistogram, Metric, MetricType};
    let mut cumulative = 0u64;
    let buckets = BATCH_SIZE_BUCKETS
        .iter()
        .zip(stats.batch_size_counts)
        .map(|(&bound, count)| {
            cumulative += count;
            let mut b = Bucket::default();
            b.set_upper_bound(bound as f64);
            b.set_cumulative_count(cumulative);
            b
        })
        .collect();
    let mut h = ProtoHistogram::default();
    // The last bucket also counts larger passes, so `+Inf` (the sample count) equals it.
    h.set_sample_count(stats.batches as u64);
    h.set_sample_sum(stats.rows as f64);
    h.set_bucket(buckets);
    let mut m = Metric::default();
    m.set_histogram(h);
    let mut family = MetricFamily::default();
    family.set_name(BATCH_SIZE_NAME.to_string());
    family.set_help(BATCH_SIZE_HELP.to_string());
    family.set_field_type(MetricType::HISTOGRAM);
    family.set_metric(vec![m]);
    family
}

impl GuardEngineCollector {
    fn new(classifier: Arc<dyn Classifier>) -> Self {
        let counter = |name: &str, help: &str, field: StatField| {
            (
                IntCounter::new(name, help).expect("static metric definition"),
                field,
            )
        };
        let counters = vec![
            counter(
                "warden_guard_batches_total",
                "Forward passes run by the in-process guard (one batch each).",
                |s| s.batches,
            ),
            counter(
                "warden_guard_prefix_cache_hits_total",
                "Prompts whose template prefix came from the prefix cache.",
                |s| s.prefix_hits,
            ),
            counter(
                "warden_guard_prefix_cache_misses_total",
                "Template prefixes computed because they were not cached.",
                |s| s.prefix_misses,
            ),
            counter(
                "warden_guard_context_reuse_total",
                "Checks that started from a kept context (a stream's earlier window check).",
                |s| s.context_hits,
            ),
            counter(
                "warden_guard_context_tokens_reused_total",
                "Prompt tokens not recomputed thanks to kept contexts.",
                |s| s.context_tokens_reused,
            ),
        ];
        let kept = IntGauge::new(
            "warden_guard_contexts_kept",
            "Stream contexts (keys and values) kept for the next window check.",
        )
        .expect("static metric definition");
        let batch_size = Desc::new(
            BATCH_SIZE_NAME.to_string(),
            BATCH_SIZE_HELP.to_string(),
            Vec::new(),
            std::collections::HashMap::new(),
        )
        .expect("static metric definition");
        let descs = counters
            .iter()
            .flat_map(|(c, _)| c.desc().into_iter().cloned())
            .chain(kept.desc().into_iter().cloned())
            .chain(std::iter::once(batch_size))
            .collect();
        GuardEngineCollector {
            classifier,
            counters,
            kept,
            descs,
        }
    }
}

impl Collector for GuardEngineCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let stats = self.classifier.engine_stats().unwrap_or_default();
        let mut out = Vec::with_capacity(self.counters.len() + 1);
        for (counter, field) in &self.counters {
            counter.reset();
            counter.inc_by(field(&stats) as u64);
            out.extend(counter.collect());
        }
        self.kept.set(stats.contexts_kept as i64);
        out.extend(self.kept.collect());
        out.push(batch_size_family(&stats));
        out
    }
}
