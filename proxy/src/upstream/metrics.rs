//! The pool's counters as Prometheus metrics, copied from [`PoolStats`] on every scrape.

use std::sync::atomic::Ordering;

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge};

use super::pool::{PoolStats, UpstreamPool};

type StatField = fn(&PoolStats) -> u64;

/// Exports `warden_upstream_connections_*` for one pool.
#[derive(Debug)]
pub struct PoolCollector {
    pool: UpstreamPool,
    counters: Vec<(IntCounter, StatField)>,
    idle: IntGauge,
    descs: Vec<Desc>,
}

impl PoolCollector {
    pub fn new(pool: UpstreamPool) -> PoolCollector {
        let counter = |name: &str, help: &str, field: StatField| {
            (
                IntCounter::new(name, help).expect("static metric definition"),
                field,
            )
        };
        let counters = vec![
            counter(
                "warden_upstream_connections_opened_total",
                "Connections opened to the upstream.",
                |s| s.opened.load(Ordering::Relaxed),
            ),
            counter(
                "warden_upstream_connections_reused_total",
                "Requests sent on a pooled (kept-alive) upstream connection.",
                |s| s.reused.load(Ordering::Relaxed),
            ),
            counter(
                "warden_upstream_retries_total",
                "Requests re-sent on another connection because a pooled one had closed before \
                 the request was written.",
                |s| s.retried.load(Ordering::Relaxed),
            ),
            counter(
                "warden_upstream_connections_discarded_total",
                "Upstream connections closed instead of pooled (upstream close, a response or the \
                 wait for its head dropped early such as by a client that left, errors).",
                |s| s.discarded.load(Ordering::Relaxed),
            ),
        ];
        let idle = IntGauge::new(
            "warden_upstream_connections_idle",
            "Upstream connections parked in the pool.",
        )
        .expect("static metric definition");
        let descs = counters
            .iter()
            .flat_map(|(c, _)| c.desc().into_iter().cloned())
            .chain(idle.desc().into_iter().cloned())
            .collect();
        PoolCollector {
            pool,
            counters,
            idle,
            descs,
        }
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let stats = self.pool.stats();
        let mut out = Vec::with_capacity(self.counters.len() + 1);
        for (counter, field) in &self.counters {
            counter.reset();
            counter.inc_by(field(stats));
            out.extend(counter.collect());
        }
        self.idle
            .set(i64::try_from(self.pool.idle()).unwrap_or(i64::MAX));
        out.extend(self.idle.collect());
        out
    }
}
