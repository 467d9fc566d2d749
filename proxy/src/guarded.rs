//! The phases of a guarded request (OpenAI chat/completions, Ollama chat/generate):
//!
//! 1. **Read** the body (capped) and parse the conversation; malformed JSON is a 400 in the
//!    API's shape, since a body the gateway cannot read cannot be judged.
//! 2. **Select** one policy snapshot (route, model, API key, headers) kept for the whole
//!    request, streaming included: a reload never changes a request in flight.
//! 3. **Prompt check**: the guard judges the conversation as `User`, code in the prompt is
//!    scanned where the policy asks. A block is answered here; the upstream never sees it.
//! 4. **Forward** the same bytes upstream.
//! 5. **Response check**: error statuses pass through; a complete answer is judged (as
//!    `Agent`, per choice) and its code scanned before it is sent, a blocked choice replaced by
//!    the policy's message with `finish_reason: "content_filter"`; a streamed answer goes
//!    through the hold-back engine with the policy's streaming mode.
//! 6. **Record**: `x-warden-*` headers, decision metrics and one audit line.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::Value;
use warden_guard_model::{JudgedRole, Turn, TurnRole};
use warden_policies::{Decision, Mode, Policy, RouteInfo, api_key_sha256};

use crate::audit::{AuditRecord, InjectionAudit, StageRecord, now_rfc3339};
use crate::body::{BoxBody, BoxError};
use crate::conversation;
use crate::error::{GatewayError, json_response};
use crate::gateway::{Gateway, RequestContext};
use crate::guard::{CheckReport, Stage, decision_label};
use crate::injection::{InjectionError, InjectionReport};
use crate::route::{ApiFamily, Route};
use crate::stream::{
    CheckInput, CheckOutcome, HoldbackMode, StreamChecker, StreamKind, StreamSummary, moderate,
};

static DECISION: HeaderName = HeaderName::from_static("x-warden-decision");
static CATEGORIES: HeaderName = HeaderName::from_static("x-warden-categories");
static POLICY: HeaderName = HeaderName::from_static("x-warden-policy");
static CODE_FINDINGS: HeaderName = HeaderName::from_static("x-warden-code-findings");
static INJECTION: HeaderName = HeaderName::from_static("x-warden-injection");

/// Largest complete answer buffered for a response check.
const MAX_ANSWER_BYTES: usize = 64 * 1024 * 1024;

/// The API key a client sent, from `Authorization: Bearer` or `x-api-key`.
fn api_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let key = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        return Some(key.trim()).filter(|k| !k.is_empty());
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
}

/// The shared record of one guarded request, completed by whichever phase ends it.
#[derive(Debug)]
struct Audit {
    record: Mutex<AuditRecord>,
    include_content: bool,
}

fn stage_record(report: &CheckReport, content: Option<String>) -> StageRecord {
    StageRecord {
        decision: decision_label(&report.decision),
        action: report.decision.action.as_str(),
        categories: report
            .decision
            .categories
            .iter()
            .map(|c| c.id.clone())
            .collect(),
        scores: report.verdicts.iter().map(|v| v.unsafe_score).collect(),
        findings: report
            .findings
            .iter()
            .map(|f| format!("{}:{}", f.rule_id, f.line))
            .collect(),
        guard_error: report.guard_error.as_ref().map(ToString::to_string),
        truncated: !report.truncations.is_empty(),
        guard_ms: report.guard_time.as_secs_f64() * 1000.0,
        scan_ms: report.scan_time.as_secs_f64() * 1000.0,
        content,
        injection: None,
    }
}

fn injection_audit(report: &InjectionReport) -> InjectionAudit {
    InjectionAudit {
        parts: report.parts,
        scores: report.top_scores(),
        hits: report.decision.injection.clone(),
        error: report.error.as_ref().map(ToString::to_string),
        ms: report.elapsed.as_secs_f64() * 1000.0,
    }
}

/// `x-warden-injection: label:part=score,...`, the highest score per part kind and label, when
/// the detector judged the request.
fn injection_header(headers: &mut HeaderMap, value: Option<&HeaderValue>) {
    if let Some(v) = value {
        headers.insert(INJECTION.clone(), v.clone());
    }
}

/// Set the `x-warden-*` headers for a decision.
fn decision_headers(
    headers: &mut HeaderMap,
    decision: &Decision,
    findings: &[warden_code_scan::Finding],
) {
    headers.insert(
        DECISION.clone(),
        HeaderValue::from_static(decision_label(decision)),
    );
    let categories: Vec<&str> = decision.categories.iter().map(|c| c.id.as_str()).collect();
    if let Ok(v) = HeaderValue::from_str(&categories.join(",")) {
        headers.insert(CATEGORIES.clone(), v);
    }
    if let Ok(v) = HeaderValue::from_str(&decision.policy) {
        headers.insert(POLICY.clone(), v);
    }
    if !findings.is_empty() {
        let list: Vec<String> = findings
            .iter()
            .map(|f| format!("{}@{}:{}", f.rule_id, f.line, f.column))
            .collect();
        if let Ok(v) = HeaderValue::from_str(&list.join(",")) {
            headers.insert(CODE_FINDINGS.clone(), v);
        }
    }
}

pub(crate) async fn handle(
    gateway: &Arc<Gateway>,
    request: Request<BoxBody>,
    client: Option<SocketAddr>,
    ctx: &RequestContext,
) -> Result<Response<BoxBody>, GatewayError> {
    // 1. Read.
    let limit = gateway.request_limit();
    if crate::body::declared_over(request.headers(), limit) {
        return Err(GatewayError::BodyTooLarge { limit });
    }
    let (parts, body) = request.into_parts();
    let bytes = match read_capped(body, usize::try_from(limit).unwrap_or(usize::MAX)).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => return Err(GatewayError::BodyTooLarge { limit }),
        Err(err) => return Err(GatewayError::BadRequestBody(err.to_string())),
    };
    // The policy is selected by the model alone, read without building the body (ADR 023).
    let model = conversation::request_model(&bytes);

    // 2. Select.
    let set = gateway.policies.load();
    let key_hash = api_key(&parts.headers).map(api_key_sha256);
    let policy = set.select(&RouteInfo {
        path: parts.uri.path(),
        model: model.as_deref(),
        api_key_sha256: key_hash.as_deref(),
        headers: &parts.headers,
    });
    // A body the gateway cannot read cannot be judged: refuse it when the policy checks
    // prompts; otherwise the upstream answers it as it would without Warden.
    let injection = gateway
        .injection
        .as_ref()
        .filter(|checker| checker.applies_to(&policy));
    let checks_prompt = (gateway.checker.has_guard() && policy.guard.prompts)
        || policy.code.prompts
        || injection.is_some();
    // The guard judges the answer only with a model served and an active category for it
    // (`Policy::guard_judges`, the same test the checker applies through `guard_request`).
    let guard_judges_response =
        gateway.checker.has_guard() && policy.guard_judges(JudgedRole::Agent);
    // The conversation is built only for what reads it: a prompt check, the guard's view of
    // an answer (it judges the answer after the prompt) and the audit record. A policy that
    // scans only answers' code forwards the body without it, as it forwards one it cannot read.
    let needs_conversation = checks_prompt || guard_judges_response || gateway.audit.enabled();
    // Strict parse: a repeated key would be read one way here and another upstream.
    let json = needs_conversation.then(|| conversation::parse_body(&bytes));
    let parsed = json.as_ref().map(|json| match json {
        Ok(json) => conversation::parse_request(ctx.route, json),
        Err(err) => Err(err.clone()),
    });
    let conversation = match parsed {
        Some(Ok(conversation)) => conversation,
        Some(Err(err)) if checks_prompt => return Err(GatewayError::BadRequestBody(err.0)),
        // A body the gateway cannot read (or did not need to) is forwarded unjudged, as the
        // upstream would answer it without Warden.
        _ => conversation::Conversation {
            model,
            ..Default::default()
        },
    };
    let include_content = policy.audit_content;
    let audit = Arc::new(Audit {
        record: Mutex::new(AuditRecord {
            // Formatting the time is a tenth of a code-scanned request's CPU: only for a log.
            time: if gateway.audit.enabled() {
                now_rfc3339()
            } else {
                String::new()
            },
            request_id: ctx.id.clone(),
            route: ctx.route.as_label(),
            model: conversation.model.clone(),
            api_key: key_hash.as_ref().map(|h| h[..12].to_string()),
            policy: policy.id.to_string(),
            mode: match policy.mode {
                Mode::Enforce => "enforce",
                Mode::Monitor => "monitor",
            },
            prompt: None,
            response: None,
            status: 0,
            skipped_parts: conversation.skipped_parts,
            duration_ms: 0.0,
        }),
        include_content,
    });

    // 3. Prompt check. The last user turns are only gathered when code in prompts is scanned
    // or the audit log records content.
    let prompt_text = (policy.code.prompts || include_content).then(|| {
        conversation
            .prompts
            .iter()
            .filter_map(|turns| turns.iter().rev().find(|t| t.role == TurnRole::User))
            .map(|t| t.content.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    });
    // The injection detector judges its parts beside the guard, not after it.
    let injection_check = async {
        let checker = injection?;
        let parts = crate::injection::parts(
            &policy,
            &conversation,
            json.as_ref().and_then(|j| j.as_ref().ok()),
        );
        if parts.is_empty() {
            return None;
        }
        Some(checker.check(&policy, parts).await)
    };
    let (mut prompt_report, injection_report) = tokio::join!(
        gateway.checker.check(
            &policy,
            Stage::Prompt,
            conversation.prompts.clone(),
            prompt_text.clone().filter(|_| policy.code.prompts),
        ),
        injection_check
    );
    if let Some(inj) = &injection_report {
        prompt_report.decision =
            policy.combine(&[prompt_report.decision.clone(), inj.decision.clone()]);
        if prompt_report.guard_error.is_none() {
            // The block response tells overload (429) from unavailability (503) by this.
            prompt_report.guard_error = inj.error.as_ref().map(|e| match e {
                InjectionError::Overloaded { limit } => {
                    warden_guard_model::GuardError::Overloaded {
                        queued: *limit,
                        limit: *limit,
                    }
                }
                InjectionError::Timeout(t) => warden_guard_model::GuardError::Timeout(*t),
                InjectionError::Backend(m) => warden_guard_model::GuardError::Backend(m.clone()),
            });
        }
    }
    let injection_value = injection_report
        .as_ref()
        .and_then(|r| HeaderValue::from_str(&r.header_value()).ok());
    record_decision(gateway, ctx, Stage::Prompt, &prompt_report.decision);
    if let Ok(mut record) = audit.record.lock() {
        let mut stage = stage_record(&prompt_report, prompt_text.filter(|_| include_content));
        stage.injection = injection_report.as_ref().map(injection_audit);
        record.prompt = Some(stage);
    }
    if prompt_report.decision.blocks() {
        let mut response = block_response(&policy, ctx.family, &prompt_report);
        injection_header(response.headers_mut(), injection_value.as_ref());
        finish_audit(gateway, &audit, ctx, response.status());
        return Ok(response);
    }

    // 4. Forward the bytes the client sent.
    let upstream_request = Request::from_parts(
        parts,
        Full::new(bytes).map_err(|never| match never {}).boxed(),
    );
    let upstream_response = gateway.send_upstream(upstream_request, client, ctx).await?;

    // 5. Response check.
    let status = upstream_response.status();
    let is_stream = upstream_response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("text/event-stream") || ct.starts_with("application/x-ndjson")
        });
    let checks_response = guard_judges_response || policy.code.responses;
    let mut response = gateway.stream_back(upstream_response);
    if !status.is_success() || !checks_response {
        decision_headers(
            response.headers_mut(),
            &prompt_report.decision,
            &warn_findings(&prompt_report),
        );
        injection_header(response.headers_mut(), injection_value.as_ref());
        finish_audit(gateway, &audit, ctx, status);
        return Ok(response);
    }
    let history = conversation.prompts.first().cloned().unwrap_or_default();
    if is_stream {
        let Some(kind) = StreamKind::from_route(ctx.route) else {
            return Ok(response);
        };
        let checker = Arc::new(ResponseChecker {
            gateway: Arc::clone(gateway),
            policy: Arc::clone(&policy),
            history,
            audit: Arc::clone(&audit),
            route: ctx.route,
            request_id: ctx.id.clone(),
            started: ctx.started,
            status,
            worst: Arc::new(Mutex::new(None)),
            window: match policy.streaming {
                warden_policies::StreamingMode::Window { size, overlap, .. }
                | warden_policies::StreamingMode::Async { size, overlap, .. } => {
                    Some((size, overlap))
                }
                _ => None,
            },
        });
        let (mut parts, body) = response.into_parts();
        decision_headers(
            &mut parts.headers,
            &prompt_report.decision,
            &warn_findings(&prompt_report),
        );
        injection_header(&mut parts.headers, injection_value.as_ref());
        parts.headers.remove(header::CONTENT_LENGTH);
        // Only the code scanner checks this answer: prose is released as it arrives and only
        // code waits for its scan (ADR 006).
        let mode = HoldbackMode::for_policy(&policy.streaming, guard_judges_response);
        let body = moderate(body, kind, mode, checker);
        return Ok(Response::from_parts(parts, body));
    }
    let (mut parts, body) = response.into_parts();
    let body = match read_capped(body, MAX_ANSWER_BYTES).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(GatewayError::UpstreamUnreachable {
                detail: format!("the answer exceeds {MAX_ANSWER_BYTES} bytes"),
            });
        }
        Err(err) => {
            return Err(GatewayError::UpstreamUnreachable {
                detail: format!("reading the answer: {err}"),
            });
        }
    };
    let Some(texts) = conversation::answer_texts_of(ctx.route, &body) else {
        // Not JSON: nothing to judge; say so rather than claim it was checked.
        tracing::warn!(request_id = %ctx.id, "guarded route answered with a non-JSON body; passed unjudged");
        decision_headers(&mut parts.headers, &prompt_report.decision, &[]);
        injection_header(&mut parts.headers, injection_value.as_ref());
        finish_audit(gateway, &audit, ctx, status);
        return Ok(Response::from_parts(
            parts,
            Full::new(body).map_err(|never| match never {}).boxed(),
        ));
    };
    let checks = texts.iter().map(|(_, text)| {
        let mut turns = history.clone();
        turns.push(Turn {
            role: TurnRole::Assistant,
            content: text.clone(),
        });
        gateway
            .checker
            .check(&policy, Stage::Response, vec![turns], Some(text.clone()))
    });
    let reports = futures_util::future::join_all(checks).await;
    let blocked: Vec<u32> = texts
        .iter()
        .zip(&reports)
        .filter(|(_, r)| r.decision.blocks())
        .map(|((i, _), _)| *i)
        .collect();
    let decisions: Vec<Decision> = reports.iter().map(|r| r.decision.clone()).collect();
    let response_decision = policy.combine(&decisions);
    record_decision(gateway, ctx, Stage::Response, &response_decision);
    let mut merged = reports
        .first()
        .cloned()
        .unwrap_or_else(|| prompt_report.clone());
    merged.decision = response_decision.clone();
    merged.findings = reports.iter().flat_map(|r| r.findings.clone()).collect();
    merged.verdicts = reports.iter().flat_map(|r| r.verdicts.clone()).collect();
    if let Ok(mut record) = audit.record.lock() {
        let content = include_content.then(|| {
            texts
                .iter()
                .map(|(_, t)| t.as_str())
                .collect::<Vec<_>>()
                .join("\n\n")
        });
        record.response = Some(stage_record(&merged, content));
    }
    let body = if blocked.is_empty() {
        body
    } else {
        // Only a blocked answer is parsed whole, to be rewritten; it was read as JSON above.
        let mut answer = serde_json::from_slice::<Value>(&body).map_err(|err| {
            GatewayError::UpstreamUnreachable {
                detail: format!("reading the answer: {err}"),
            }
        })?;
        conversation::block_answer(
            ctx.route,
            &mut answer,
            &blocked,
            &policy.block_response.message,
        );
        Bytes::from(answer.to_string())
    };
    let overall = policy.combine(&[prompt_report.decision.clone(), response_decision]);
    let mut findings = warn_findings(&prompt_report);
    findings.extend(warn_findings(&merged));
    decision_headers(&mut parts.headers, &overall, &findings);
    injection_header(&mut parts.headers, injection_value.as_ref());
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::TRANSFER_ENCODING);
    finish_audit(gateway, &audit, ctx, status);
    Ok(Response::from_parts(
        parts,
        Full::new(body).map_err(|never| match never {}).boxed(),
    ))
}

/// Read a whole body; `Ok(None)` when it passes `limit` bytes.
async fn read_capped(mut body: BoxBody, limit: usize) -> Result<Option<Bytes>, BoxError> {
    let mut buf = bytes::BytesMut::new();
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if buf.len() + data.len() > limit {
                return Ok(None);
            }
            buf.extend_from_slice(&data);
        }
    }
    Ok(Some(buf.freeze()))
}

/// Code findings worth a header: those the policy did not turn into a block.
fn warn_findings(report: &CheckReport) -> Vec<warden_code_scan::Finding> {
    if report.decision.blocks() {
        return Vec::new();
    }
    report.findings.clone()
}

fn record_decision(gateway: &Gateway, ctx: &RequestContext, stage: Stage, decision: &Decision) {
    gateway
        .metrics()
        .decisions_total
        .with_label_values(&[
            ctx.route.as_label(),
            stage.as_label(),
            decision_label(decision),
        ])
        .inc();
}

fn finish_audit(gateway: &Gateway, audit: &Audit, ctx: &RequestContext, status: StatusCode) {
    let Ok(mut record) = audit.record.lock() else {
        return;
    };
    record.status = status.as_u16();
    record.duration_ms = ctx.started.elapsed().as_secs_f64() * 1000.0;
    gateway.audit.write(&record);
}

/// The answer to a blocked prompt, in the API's own shape.
fn block_response(policy: &Policy, family: ApiFamily, report: &CheckReport) -> Response<BoxBody> {
    let decision = &report.decision;
    let (status, message, retry) = if decision.unchecked {
        let overloaded = matches!(
            report.guard_error,
            Some(warden_guard_model::GuardError::Overloaded { .. })
        );
        let status = if overloaded {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        (
            status,
            "the safety check is unavailable right now and this gateway fails closed; retry shortly".to_string(),
            true,
        )
    } else {
        let status =
            StatusCode::from_u16(policy.block_response.status).unwrap_or(StatusCode::BAD_REQUEST);
        (status, policy.block_response.message.clone(), false)
    };
    let body = match family {
        ApiFamily::OpenAi => {
            let scores: serde_json::Map<String, Value> = decision
                .categories
                .iter()
                .map(|c| (c.id.clone(), serde_json::json!(decision.unsafe_score)))
                .collect();
            let (kind, code) = if decision.unchecked {
                ("server_error", "guard_unavailable")
            } else {
                ("invalid_request_error", "content_filter")
            };
            serde_json::json!({"error": {
                "message": message,
                "type": kind,
                "param": "messages",
                "code": code,
                "warden": {
                    "categories": decision.categories.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
                    "scores": scores,
                    "unsafe_score": decision.unsafe_score,
                    "rules": decision.rules,
                    "injection": decision.injection,
                    "policy": decision.policy.to_string(),
                }
            }})
        }
        ApiFamily::Ollama => serde_json::json!({ "error": message }),
    };
    let mut response = json_response(status, body);
    decision_headers(response.headers_mut(), decision, &[]);
    if retry {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Judges streamed text for the hold-back engine under the request's policy snapshot.
struct ResponseChecker {
    gateway: Arc<Gateway>,
    policy: Arc<Policy>,
    history: Vec<Turn>,
    audit: Arc<Audit>,
    route: Route,
    request_id: String,
    started: Instant,
    status: StatusCode,
    /// The strictest response check so far, for metrics and the audit line.
    worst: Arc<Mutex<Option<CheckReport>>>,
    /// `(size, overlap)` in characters for window mode.
    window: Option<(usize, usize)>,
}

impl std::fmt::Debug for ResponseChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseChecker")
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl StreamChecker for ResponseChecker {
    fn check(
        &self,
        input: CheckInput,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = CheckOutcome> + Send>> {
        let gateway = Arc::clone(&self.gateway);
        let policy = Arc::clone(&self.policy);
        // Each check judges from `new_from`: the answer's start while the schedule grows to a
        // full window (the kept context makes that cost only the new text), then a sliding
        // window (the new text plus the overlap), so the guard's cost stays linear in the
        // answer's length and a long harmless opening cannot dilute a harmful passage; buffer
        // mode's single check covers the whole answer.
        // A check that found more than one window of new text (the upstream outran the
        // guard) judges it as consecutive windows, each `size + overlap` characters.
        let window = input.text.get(input.new_from..).unwrap_or(&input.text);
        let conversations: Vec<Vec<Turn>> = split_windows(window, self.window)
            .into_iter()
            .map(|piece| {
                let mut turns = self.history.clone();
                turns.push(Turn {
                    role: TurnRole::Assistant,
                    content: piece.to_string(),
                });
                turns
            })
            .collect();
        let code: String = input
            .code_blocks
            .iter()
            .map(|b| {
                format!(
                    "```{}\n{}\n```\n",
                    b.language.map_or("", |l| l.name()),
                    b.code
                )
            })
            .collect();
        let this = self.worst_handle();
        // Window checks of one stream share the history: unless this is the last check, the
        // guard may keep the prompt's keys and values for the next window.
        let more_follow = self.window.is_some() && !input.is_final;
        Box::pin(async move {
            let code = (!code.is_empty()).then_some(code);
            let report = if more_follow {
                gateway
                    .checker
                    .check_stream_window(&policy, conversations, code)
                    .await
            } else {
                gateway
                    .checker
                    .check(&policy, Stage::Response, conversations, code)
                    .await
            };
            let blocks = report.decision.blocks();
            this.keep(report);
            if blocks {
                CheckOutcome::Violation {
                    message: policy.block_response.message.clone(),
                }
            } else {
                CheckOutcome::Pass
            }
        })
    }

    fn held(&self, seconds: f64) {
        self.gateway
            .metrics()
            .stream_holdback_seconds
            .observe(seconds);
    }

    fn finished(&self, summary: StreamSummary) {
        let worst = self.worst.lock().ok().and_then(|mut w| w.take());
        let report = worst.unwrap_or_else(|| CheckReport::empty(&self.policy));
        let ctx = RequestContext {
            id: self.request_id.clone(),
            route: self.route,
            family: self.route.family(""),
            started: self.started,
        };
        record_decision(&self.gateway, &ctx, Stage::Response, &report.decision);
        if let Ok(mut record) = self.audit.record.lock() {
            let content = self.audit.include_content.then(|| format!("{summary:?}"));
            record.response = Some(stage_record(&report, content));
        }
        finish_audit(&self.gateway, &self.audit, &ctx, self.status);
    }
}

/// Consecutive windows of `size + overlap` characters stepping by `size` (the whole text
/// when `window` is `None` or the text fits one window).
fn split_windows(text: &str, window: Option<(usize, usize)>) -> Vec<&str> {
    let Some((size, overlap)) = window.filter(|(size, _)| *size > 0) else {
        return vec![text];
    };
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(text.len()))
        .collect();
    let chars = bounds.len() - 1;
    if chars <= size + overlap {
        return vec![text];
    }
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < chars {
        let end = (start + size + overlap).min(chars);
        pieces.push(&text[bounds[start]..bounds[end]]);
        if end == chars {
            break;
        }
        start += size;
    }
    pieces
}

/// Shared slot for the strictest report, kept across concurrent checks of one stream.
#[derive(Clone)]
struct WorstHandle(Arc<Mutex<Option<CheckReport>>>);

impl WorstHandle {
    fn keep(&self, report: CheckReport) {
        if let Ok(mut slot) = self.0.lock() {
            let replace = slot
                .as_ref()
                .is_none_or(|w| report.decision.intended >= w.decision.intended);
            if replace {
                *slot = Some(report);
            }
        }
    }
}

impl ResponseChecker {
    fn worst_handle(&self) -> WorstHandle {
        WorstHandle(Arc::clone(&self.worst))
    }
}

#[cfg(test)]
mod tests {
    use super::split_windows;

    #[test]
    fn windows_cover_every_character_with_overlap() {
        assert_eq!(split_windows("abcdef", None), vec!["abcdef"]);
        assert_eq!(split_windows("abcdef", Some((4, 2))), vec!["abcdef"]);
        assert_eq!(
            split_windows("abcdefghijk", Some((4, 2))),
            vec!["abcdef", "efghij", "ijk"]
        );
        assert_eq!(split_windows("ééééé", Some((2, 1))), vec!["ééé", "ééé"]);
    }
}
