//! The check stage: the guard model and the code scanner judged under one policy, with the
//! gateway's bound on concurrent guard work and the policy's timeout and fail mode.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use warden_code_scan::{Finding, Scanner};
use warden_guard_model::{
    Classifier, ClassifyRequest, GuardError, JudgedRole, Truncation, Turn, TurnRole, Verdict,
};
use warden_policies::{Action, Decision, Policy};

use crate::metrics::Metrics;

/// Which side of the exchange is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Prompt,
    Response,
}

impl Stage {
    pub fn as_label(self) -> &'static str {
        match self {
            Stage::Prompt => "prompt",
            Stage::Response => "response",
        }
    }
}

/// Everything one check produced, for the decision, headers, metrics and the audit log.
#[derive(Debug, Clone)]
pub struct CheckReport {
    pub decision: Decision,
    pub verdicts: Vec<Verdict>,
    pub findings: Vec<Finding>,
    /// Why the guard gave no verdict, when it did not.
    pub guard_error: Option<GuardError>,
    pub truncations: Vec<Truncation>,
    pub guard_time: Duration,
    pub scan_time: Duration,
}

impl CheckReport {
    /// A report of no checks: the policy's decision over nothing.
    pub fn empty(policy: &Policy) -> CheckReport {
        CheckReport {
            decision: policy.combine(&[]),
            verdicts: Vec::new(),
            findings: Vec::new(),
            guard_error: None,
            truncations: Vec::new(),
            guard_time: Duration::ZERO,
            scan_time: Duration::ZERO,
        }
    }
}

/// The value of the `x-warden-decision` header for a decision.
pub fn decision_label(decision: &Decision) -> &'static str {
    if decision.blocks() {
        "block"
    } else if decision.unchecked {
        "guard-unavailable"
    } else if decision.intended == Action::Block {
        "monitor-block"
    } else if decision.action == Action::Warn {
        "warn"
    } else {
        "allow"
    }
}

/// Why a guard check was refused before it ran (`warden_guard_shed_total{reason}`).
#[derive(Debug, Clone, Copy)]
enum ShedReason {
    /// `guard_concurrency` checks were already running.
    Concurrency,
    /// The guard expected to need longer than the policy's guard timeout.
    ExpectedWait,
    /// The guard's own queue (in-process model) or in-flight bound (remote) was full.
    QueueFull,
}

impl ShedReason {
    fn as_label(self) -> &'static str {
        match self {
            ShedReason::Concurrency => "concurrency",
            ShedReason::ExpectedWait => "expected_wait",
            ShedReason::QueueFull => "queue_full",
        }
    }
}

/// Inputs up to this size are scanned on the async worker (well under a millisecond);
/// larger ones on the blocking pool.
const INLINE_SCAN_BYTES: usize = 16 * 1024;

/// The guard model and scanner, shared by all requests.
#[derive(Debug, Clone)]
pub struct Checker {
    classifier: Option<Arc<dyn Classifier>>,
    scanner: Arc<Scanner>,
    /// Guard classifications in progress or waiting; past the bound, requests are shed.
    permits: Arc<Semaphore>,
    max_concurrent: usize,
    metrics: Metrics,
}

impl Checker {
    pub fn new(
        classifier: Option<Arc<dyn Classifier>>,
        scanner: Arc<Scanner>,
        max_concurrent: usize,
        metrics: Metrics,
    ) -> Checker {
        let max_concurrent = max_concurrent.max(1);
        Checker {
            classifier,
            scanner,
            permits: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            metrics,
        }
    }

    pub fn has_guard(&self) -> bool {
        self.classifier.is_some()
    }

    pub fn describe_guard(&self) -> String {
        self.classifier
            .as_ref()
            .map_or_else(|| "none".to_string(), |c| c.describe())
    }

    pub fn scanner(&self) -> &Arc<Scanner> {
        &self.scanner
    }

    /// Judge `conversations` (each ending with the judged turn) and scan `code_text`, under
    /// `policy`, concurrently.
    pub async fn check(
        &self,
        policy: &Policy,
        stage: Stage,
        conversations: Vec<Vec<Turn>>,
        code_text: Option<String>,
    ) -> CheckReport {
        self.check_with(policy, stage, conversations, code_text, false)
            .await
    }

    /// [`Checker::check`] for one of a stream's window checks: more checks of the same
    /// history follow, so the guard may keep this prompt's keys and values for them.
    pub async fn check_stream_window(
        &self,
        policy: &Policy,
        conversations: Vec<Vec<Turn>>,
        code_text: Option<String>,
    ) -> CheckReport {
        self.check_with(policy, Stage::Response, conversations, code_text, true)
            .await
    }

    async fn check_with(
        &self,
        policy: &Policy,
        stage: Stage,
        conversations: Vec<Vec<Turn>>,
        code_text: Option<String>,
        keep_context: bool,
    ) -> CheckReport {
        let role = match stage {
            Stage::Prompt => JudgedRole::User,
            Stage::Response => JudgedRole::Agent,
        };
        let guard = async {
            let (Some(classifier), Some(params)) = (&self.classifier, policy.guard_request(role))
            else {
                return (Vec::new(), None, Duration::ZERO);
            };
            let started = Instant::now();
            // A request's conversations (several prompts, several choices) are judged
            // concurrently, so the in-process guard batches them into one pass.
            let checks = conversations
                .into_iter()
                .filter(|turns| judgeable(turns))
                .map(|turns| {
                    let request = ClassifyRequest {
                        turns,
                        taxonomy: Arc::clone(&params.taxonomy),
                        threshold: params.threshold,
                        always_decode: params.always_decode,
                        keep_context,
                    };
                    self.classify(classifier.as_ref(), request, params.timeout)
                });
            let mut verdicts = Vec::new();
            let mut error = None;
            for result in futures_util::future::join_all(checks).await {
                match result {
                    Ok(verdict) => verdicts.push(verdict),
                    Err(err) => {
                        error.get_or_insert(err);
                    }
                }
            }
            let elapsed = started.elapsed();
            self.metrics
                .guard_duration_seconds
                .with_label_values(&[stage.as_label()])
                .observe(elapsed.as_secs_f64());
            (verdicts, error, elapsed)
        };
        let scan = async {
            let scans = match stage {
                Stage::Prompt => policy.code.prompts,
                Stage::Response => policy.code.responses,
            };
            match code_text {
                Some(text) if scans && !text.is_empty() => self.scan(policy, text).await,
                _ => (Vec::new(), Duration::ZERO),
            }
        };
        let ((verdicts, guard_error, guard_time), (findings, scan_time)) =
            tokio::join!(guard, scan);

        let mut decisions: Vec<Decision> =
            verdicts.iter().map(|v| policy.decide_guard(v)).collect();
        if let Some(err) = &guard_error {
            decisions.push(policy.on_guard_error(err));
        }
        if !findings.is_empty() {
            decisions.push(policy.code_action(&findings));
        }
        let mut report = CheckReport::empty(policy);
        report.decision = policy.combine(&decisions);
        report.truncations = verdicts
            .iter()
            .filter_map(|v| v.truncation.clone())
            .collect();
        report.verdicts = verdicts;
        report.findings = findings;
        report.guard_error = guard_error;
        report.guard_time = guard_time;
        report.scan_time = scan_time;
        self.record(stage, &report);
        report
    }

    /// One classification under the gateway's bounds: refused at once (`Overloaded`, the
    /// policy's fail mode decides) when no concurrency slot is free or when the guard
    /// expects to need longer than the policy's timeout (shedding early instead of timing
    /// out late), else given at most `timeout`.
    async fn classify(
        &self,
        classifier: &dyn Classifier,
        request: ClassifyRequest,
        timeout: Duration,
    ) -> Result<Verdict, GuardError> {
        let Ok(permit) = self.permits.clone().try_acquire_owned() else {
            self.shed(ShedReason::Concurrency);
            return Err(GuardError::Overloaded {
                queued: self.max_concurrent,
                limit: self.max_concurrent,
            });
        };
        if let Some(wait) = classifier.expected_wait()
            && wait > timeout
        {
            drop(permit);
            self.shed(ShedReason::ExpectedWait);
            tracing::debug!(
                ?wait,
                ?timeout,
                "guard check shed: expected wait over the timeout"
            );
            return Err(GuardError::Overloaded {
                queued: classifier.queue_depth(),
                limit: self.max_concurrent,
            });
        }
        let pending = classifier.classify(request);
        self.metrics
            .guard_queue_depth
            .set(classifier.queue_depth() as i64);
        let result = tokio::time::timeout(timeout, pending).await;
        drop(permit);
        self.metrics
            .guard_queue_depth
            .set(classifier.queue_depth() as i64);
        match result {
            Ok(Err(e @ GuardError::Overloaded { .. })) => {
                self.shed(ShedReason::QueueFull);
                Err(e)
            }
            Ok(result) => result,
            Err(_) => Err(GuardError::Timeout(timeout)),
        }
    }

    fn shed(&self, reason: ShedReason) {
        self.metrics
            .guard_shed_total
            .with_label_values(&[reason.as_label()])
            .inc();
    }

    async fn scan(&self, policy: &Policy, text: String) -> (Vec<Finding>, Duration) {
        let scanner = Arc::clone(&self.scanner);
        let options = policy.code.scan_options();
        let inline = text.len() <= INLINE_SCAN_BYTES;
        let run = move || {
            let started = Instant::now();
            let result = scanner.scan_text(&text, &options);
            (result, started.elapsed())
        };
        // Large inputs parse off the async workers; small ones cost less than a thread hop.
        let (result, elapsed) = if inline {
            run()
        } else {
            match tokio::task::spawn_blocking(run).await {
                Ok(done) => done,
                Err(err) => {
                    tracing::error!(%err, "code scan task failed");
                    return (Vec::new(), Duration::ZERO);
                }
            }
        };
        self.metrics
            .code_scan_duration_seconds
            .observe(elapsed.as_secs_f64());
        match result {
            Ok(report) => {
                if !report.failures.is_empty() {
                    tracing::warn!(
                        failures = report.failures.len(),
                        "some code blocks could not be scanned"
                    );
                }
                (report.findings, elapsed)
            }
            Err(err) => {
                tracing::warn!(%err, "code scan failed");
                (Vec::new(), elapsed)
            }
        }
    }

    fn record(&self, stage: Stage, report: &CheckReport) {
        let m = &self.metrics;
        for hit in &report.decision.categories {
            m.guard_categories_total
                .with_label_values(&[stage.as_label(), &hit.id])
                .inc();
        }
        if let Some(err) = &report.guard_error {
            m.guard_errors_total.with_label_values(&[err.kind()]).inc();
        }
        m.guard_truncations_total
            .inc_by(report.truncations.len() as u64);
        for f in &report.findings {
            let severity = match f.severity {
                warden_code_scan::Severity::Info => "info",
                warden_code_scan::Severity::Warning => "warning",
                warden_code_scan::Severity::Error => "error",
            };
            for cwe in &f.cwe {
                m.code_findings_total
                    .with_label_values(&[&f.language, cwe, severity])
                    .inc();
            }
        }
    }
}

/// A conversation the guard can judge: it has a non-empty user or assistant turn.
fn judgeable(turns: &[Turn]) -> bool {
    turns.iter().any(|t| {
        matches!(t.role, TurnRole::User | TurnRole::Assistant) && !t.content.trim().is_empty()
    })
}
