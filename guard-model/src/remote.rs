//! A [`Classifier`] over an OpenAI-compatible `POST /v1/completions` server that serves a Llama
//! Guard model (vLLM, llama.cpp's server, Ollama's OpenAI endpoint).
//!
//! Each classification renders the prompt exactly as the in-process backend does and sends it
//! as the `prompt` string without the template's BOS text (servers add their own BOS; for one
//! that does not, [`RemoteOptions::prepend_bos_text`] sends `<|begin_of_text|>` once), with
//! `temperature: 0`, `max_tokens: 12` and `logprobs: 20`:
//!
//! * **Score**: from the top log-probs at the first generated position whose token is not pure
//!   whitespace (LG3 answers `"\n\n"` first), with the rule of [`crate::output`]. Both the
//!   OpenAI legacy shape (`logprobs.top_logprobs: [{token: logprob}]`, vLLM) and the
//!   `logprobs.content[].top_logprobs[]` shape (llama.cpp) are read.
//! * **Fallback**: a server that returns no log-probs (Ollama) gets its score from the verdict
//!   text (1.0 for `unsafe`, 0.0 for `safe`) and the verdict says so
//!   ([`ScoreSource::VerdictText`]). A server that rejects the `logprobs` parameter (400/422
//!   naming it) is asked again without it, and not asked for log-probs again.
//! * **Categories**: parsed strictly from the completion text.
//!
//! Transport: one pooled hyper client (HTTP/1.1 and HTTP/2, http and https with webpki roots,
//! TCP_NODELAY); each attempt has a timeout (exceeding it is [`GuardError::Timeout`]: the
//! guard's latency budget is spent, so it is not retried); connect errors, 5xx and 429 are
//! retried with exponential backoff (`backoff`, `2 * backoff`, ...; a longer `Retry-After` in
//! seconds is honoured, capped at the attempt timeout).
//!
//! Load: at most [`RemoteOptions::max_in_flight`] requests are in flight to the server at
//! once (the server batches concurrent requests itself, as vLLM does); one more is
//! [`GuardError::Overloaded`] at once instead of a queue in front of the server. A circuit
//! breaker turns a dead server into the policy's fail outcome quickly: after
//! [`RemoteOptions::breaker_failures`] consecutive failed classifications (timeouts, connect
//! errors, 5xx/429 after retries) it opens and answers every call with
//! [`GuardError::Backend`] at once, without a request, for [`RemoteOptions::breaker_cool_down`];
//! then one probe goes through (half-open): success closes it, failure opens it again. Answers
//! that show a live server (a 4xx, an unparsable completion) do not count as failures.
//!
//! Long conversations are fitted to `max_context` when a tokenizer is configured (see
//! [`crate::tokenize`]); without one the whole conversation is sent and a server that rejects
//! it answers with an error, never a silent cut.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::classifier::{
    BoxFuture, Classifier, ClassifyRequest, GuardError, ScoreSource, Truncation, Verdict,
};
use crate::output::{VerdictLogprobs, VerdictScore, parse_output};
use crate::prompt::render;
use crate::taxonomy::Taxonomy;
use crate::tokenize::GuardTokenizer;

/// Settings of a [`RemoteClassifier`].
#[derive(Debug, Clone)]
pub struct RemoteOptions {
    /// Server base URL (`http://host:8000`, `http://host:8000/v1` or the full
    /// `.../v1/completions`).
    pub url: String,
    /// The `model` field sent to the server.
    pub model: String,
    /// Sent as `Authorization: Bearer ...` when set.
    pub api_key: Option<String>,
    /// Limit for one attempt (connect + response).
    pub timeout: Duration,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Extra attempts after a connect error, a 5xx or a 429.
    pub retries: u32,
    /// Wait before the first retry; doubles for each further one.
    pub backoff: Duration,
    /// `max_tokens` of the completion (the verdict needs at most 12).
    pub max_tokens: u32,
    /// `logprobs` asked for (top-k at each position).
    pub logprobs: u32,
    /// Tokenizer used to fit long conversations into `max_context`.
    pub tokenizer: Option<Arc<GuardTokenizer>>,
    /// The served model's context in tokens; defaults to the template's.
    pub max_context: Option<usize>,
    /// Start the prompt with the `<|begin_of_text|>` text, for a server that adds no BOS of
    /// its own (vLLM serving LG2, whose tokenizer never adds one) but parses special-token
    /// text in the prompt. Off by default: most servers add exactly one BOS themselves.
    pub prepend_bos_text: bool,
    /// Most classifications in flight to the server at once; one more is `Overloaded` at
    /// once (default 64).
    pub max_in_flight: usize,
    /// Consecutive failed classifications that open the circuit breaker (default 5; 0 turns
    /// the breaker off).
    pub breaker_failures: u32,
    /// How long an open breaker fails calls at once before letting one probe through
    /// (default 5 s).
    pub breaker_cool_down: Duration,
}

impl RemoteOptions {
    /// Defaults: 10 s per attempt, 2 s to connect, 2 retries from 100 ms, 12 tokens, top-20,
    /// 64 in flight, breaker open after 5 consecutive failures for 5 s.
    pub fn new(url: impl Into<String>, model: impl Into<String>) -> Self {
        RemoteOptions {
            url: url.into(),
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(2),
            retries: 2,
            backoff: Duration::from_millis(100),
            max_tokens: 12,
            logprobs: 20,
            tokenizer: None,
            max_context: None,
            prepend_bos_text: false,
            max_in_flight: 64,
            breaker_failures: 5,
            breaker_cool_down: Duration::from_secs(5),
        }
    }
}

/// Where the circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls go to the server; `failures` consecutive ones have failed.
    Closed { failures: u32 },
    /// Calls fail at once until the cool-down ends.
    Open,
    /// One probe is on its way; other calls fail at once until it answers.
    HalfOpen,
}

#[derive(Debug)]
enum Circuit {
    Closed {
        failures: u32,
    },
    /// Since `opened` (tokio's clock, so tests can move it).
    Open {
        opened: tokio::time::Instant,
    },
    HalfOpen,
}

/// The breaker: closed -> open after `threshold` consecutive failures -> half-open (one
/// probe) after `cool_down` -> closed on its success, open again on its failure.
#[derive(Debug)]
struct Breaker {
    state: Mutex<Circuit>,
    threshold: u32,
    cool_down: Duration,
    /// Times it opened.
    opened: AtomicUsize,
    /// Calls answered at once because it was open.
    rejected: AtomicUsize,
}

/// Counters of the remote backend, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteStats {
    pub breaker: BreakerState,
    /// Times the breaker opened.
    pub breaker_opened: usize,
    /// Calls failed at once by an open breaker.
    pub breaker_rejected: usize,
    /// Classifications in flight to the server now.
    pub in_flight: usize,
    /// Classifications refused because `max_in_flight` were in flight.
    pub overloaded: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A call the breaker let through. Dropping it unreported (the caller gave up, usually at
/// the gateway's guard timeout, which is shorter than ours) counts as a failure: a server that
/// stalls must open the breaker too, and a half-open breaker never waits for an answer
/// nobody reads.
struct Pass<'a> {
    breaker: &'a Breaker,
    probe: bool,
    reported: bool,
}

impl Pass<'_> {
    fn report(mut self, ok: bool) {
        self.reported = true;
        self.breaker.record(ok, self.probe);
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        if !self.reported {
            self.breaker.record(false, self.probe);
        }
    }
}

impl Breaker {
    fn new(threshold: u32, cool_down: Duration) -> Breaker {
        Breaker {
            state: Mutex::new(Circuit::Closed { failures: 0 }),
            threshold,
            cool_down,
            opened: AtomicUsize::new(0),
            rejected: AtomicUsize::new(0),
        }
    }

    /// Let a call through, or say why not.
    fn admit(&self) -> Result<Pass<'_>, GuardError> {
        let pass = |probe| Pass {
            breaker: self,
            probe,
            reported: false,
        };
        if self.threshold == 0 {
            return Ok(pass(false));
        }
        let mut state = lock(&self.state);
        match *state {
            Circuit::Closed { .. } => Ok(pass(false)),
            Circuit::Open { opened } if opened.elapsed() >= self.cool_down => {
                *state = Circuit::HalfOpen;
                Ok(pass(true))
            }
            Circuit::Open { opened } => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                let left = self.cool_down.saturating_sub(opened.elapsed());
                Err(GuardError::Backend(format!(
                    "remote guard circuit open after {} consecutive failures; next probe in \
                     {:.1} s",
                    self.threshold,
                    left.as_secs_f64()
                )))
            }
            Circuit::HalfOpen => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                Err(GuardError::Backend(
                    "remote guard circuit half-open: a probe is on its way".into(),
                ))
            }
        }
    }

    fn record(&self, ok: bool, probe: bool) {
        if self.threshold == 0 {
            return;
        }
        let mut state = lock(&self.state);
        let open = |state: &mut Circuit| {
            *state = Circuit::Open {
                opened: tokio::time::Instant::now(),
            };
            self.opened.fetch_add(1, Ordering::Relaxed);
        };
        match (&mut *state, ok) {
            (Circuit::HalfOpen, true) if probe => *state = Circuit::Closed { failures: 0 },
            (Circuit::HalfOpen, false) if probe => {
                tracing::warn!("remote guard probe failed; circuit open again");
                open(&mut state);
            }
            (Circuit::Closed { failures }, true) => *failures = 0,
            (Circuit::Closed { failures }, false) => {
                *failures += 1;
                if *failures >= self.threshold {
                    tracing::warn!(
                        failures = *failures,
                        cool_down = ?self.cool_down,
                        "remote guard failing; circuit open"
                    );
                    open(&mut state);
                }
            }
            // A call let through before the breaker opened (or beside the probe) answers
            // late: the probe decides.
            _ => {}
        }
    }

    fn state(&self) -> BreakerState {
        match *lock(&self.state) {
            Circuit::Closed { failures } => BreakerState::Closed { failures },
            Circuit::Open { .. } => BreakerState::Open,
            Circuit::HalfOpen => BreakerState::HalfOpen,
        }
    }
}

/// What one completion call returned, for `warden classify --tokens`.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteCompletion {
    /// The prompt string sent.
    pub prompt: String,
    /// The completion text.
    pub generated: String,
    /// Top log-probs at the scored position, best first: (token string, logprob).
    pub top: Vec<(String, f32)>,
    /// The score from log-probs, when the server sent any.
    pub score: Option<VerdictScore>,
}

/// A verdict plus the completions it was made from (one per window).
#[derive(Debug, Clone)]
pub struct RemoteOutcome {
    pub verdict: Verdict,
    pub completions: Vec<RemoteCompletion>,
}

pub(crate) type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>;

/// A pooled HTTP/1.1 + HTTP/2 client for http and https (webpki roots), TCP_NODELAY on.
pub(crate) fn https_client(connect_timeout: Duration) -> HttpsClient {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    http.set_keepalive(Some(Duration::from_secs(60)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_webpki_roots()
        .https_or_http()
        .enable_http1()
        .enable_http2()
        .wrap_connector(http);
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(64)
        .build(https)
}

/// The remote guard.
pub struct RemoteClassifier {
    client: HttpsClient,
    endpoint: Uri,
    options: RemoteOptions,
    /// Set once the server answered that it does not support `logprobs`.
    logprobs_rejected: AtomicBool,
    breaker: Breaker,
    in_flight: AtomicUsize,
    overloaded: AtomicUsize,
}

impl std::fmt::Debug for RemoteClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteClassifier")
            .field("endpoint", &self.endpoint)
            .field("model", &self.options.model)
            .finish_non_exhaustive()
    }
}

/// `base` with `/v1/completions` appended unless it already ends with it (or with `/v1`).
fn completions_endpoint(base: &str) -> Result<Uri, GuardError> {
    let trimmed = base.trim().trim_end_matches('/');
    let full = if trimmed.ends_with("/completions") {
        trimmed.to_string()
    } else if trimmed.ends_with("/v1") {
        format!("{trimmed}/completions")
    } else {
        format!("{trimmed}/v1/completions")
    };
    let uri: Uri = full.parse().map_err(|e| {
        GuardError::Backend(format!(
            "invalid remote guard URL {base:?}: {e} (expected http(s)://host:port)"
        ))
    })?;
    match uri.scheme_str() {
        Some("http" | "https") if uri.authority().is_some() => Ok(uri),
        _ => Err(GuardError::Backend(format!(
            "invalid remote guard URL {base:?}: expected http(s)://host:port"
        ))),
    }
}

/// The prompt without the template's BOS text (LG3 starts with `" <|begin_of_text|>"`).
fn server_prompt(text: &str) -> &str {
    let t = text.strip_prefix(' ').unwrap_or(text);
    t.strip_prefix("<|begin_of_text|>").unwrap_or(text)
}

/// Reads `(token, top-k)` per generated position from either log-probs shape.
fn positions(logprobs: &Value) -> Vec<(String, Vec<(String, f32)>)> {
    let as_f32 = |v: &Value| v.as_f64().map(|x| x as f32);
    if let Some(content) = logprobs.get("content").and_then(Value::as_array) {
        return content
            .iter()
            .map(|pos| {
                let token = pos
                    .get("token")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                let mut top: Vec<(String, f32)> = pos
                    .get("top_logprobs")
                    .and_then(Value::as_array)
                    .map(|entries| {
                        entries
                            .iter()
                            .filter_map(|e| {
                                Some((
                                    e.get("token")?.as_str()?.to_string(),
                                    as_f32(e.get("logprob")?)?,
                                ))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                if let Some(lp) = pos.get("logprob").and_then(as_f32)
                    && !top.iter().any(|(t, _)| *t == token)
                {
                    top.push((token.clone(), lp));
                }
                (token, top)
            })
            .collect();
    }
    let tokens = logprobs.get("tokens").and_then(Value::as_array);
    let chosen_lp = logprobs.get("token_logprobs").and_then(Value::as_array);
    let tops = logprobs.get("top_logprobs").and_then(Value::as_array);
    let Some(tokens) = tokens else {
        return Vec::new();
    };
    tokens
        .iter()
        .enumerate()
        .map(|(i, token)| {
            let token = token.as_str().unwrap_or_default().to_string();
            let mut top: Vec<(String, f32)> = tops
                .and_then(|t| t.get(i))
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), as_f32(v)?)))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(lp) = chosen_lp.and_then(|c| c.get(i)).and_then(as_f32)
                && !top.iter().any(|(t, _)| *t == token)
            {
                top.push((token.clone(), lp));
            }
            (token, top)
        })
        .collect()
}

/// The verdict log-probs at the first non-whitespace position, and that position's top list.
fn verdict_logprobs(logprobs: &Value) -> Option<(VerdictLogprobs, Vec<(String, f32)>)> {
    let positions = positions(logprobs);
    let (_, mut top) = positions
        .into_iter()
        .find(|(token, _)| !token.trim().is_empty())?;
    top.sort_by(|a, b| b.1.total_cmp(&a.1));
    let find = |name: &str| top.iter().find(|(t, _)| t == name).map(|(_, lp)| *lp);
    let lp = VerdictLogprobs {
        safe: find("safe"),
        unsafe_: find("unsafe"),
        space_safe: find(" safe"),
        space_unsafe: find(" unsafe"),
    };
    Some((lp, top))
}

impl RemoteClassifier {
    /// Builds the client; fails on an invalid URL.
    pub fn new(options: RemoteOptions) -> Result<Self, GuardError> {
        let endpoint = completions_endpoint(&options.url)?;
        let client = https_client(options.connect_timeout);
        let breaker = Breaker::new(options.breaker_failures, options.breaker_cool_down);
        Ok(RemoteClassifier {
            client,
            endpoint,
            options,
            logprobs_rejected: AtomicBool::new(false),
            breaker,
            in_flight: AtomicUsize::new(0),
            overloaded: AtomicUsize::new(0),
        })
    }

    /// Breaker state and load counters.
    pub fn stats(&self) -> RemoteStats {
        RemoteStats {
            breaker: self.breaker.state(),
            breaker_opened: self.breaker.opened.load(Ordering::Relaxed),
            breaker_rejected: self.breaker.rejected.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            overloaded: self.overloaded.load(Ordering::Relaxed),
        }
    }

    /// The completions endpoint requests go to.
    pub fn endpoint(&self) -> &Uri {
        &self.endpoint
    }

    /// One HTTP attempt: the status and body, or the transport error.
    async fn attempt(&self, body: &Bytes) -> Result<Answer, AttemptError> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.endpoint.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        if let Some(key) = &self.options.api_key {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let request = builder
            .body(Full::new(body.clone()))
            .map_err(|e| AttemptError::Fatal(format!("building the request failed: {e}")))?;
        let response = self.client.request(request).await.map_err(|e| {
            if e.is_connect() {
                AttemptError::Retryable(format!("cannot connect to {}: {e}", self.endpoint))
            } else {
                AttemptError::Fatal(format!("request to {} failed: {e}", self.endpoint))
            }
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| AttemptError::Fatal(format!("reading the response failed: {e}")))?
            .to_bytes();
        Ok(Answer {
            status,
            retry_after,
            bytes,
        })
    }

    /// Posts `body`, retrying connect errors, 5xx and 429 with exponential backoff (a 429's
    /// `Retry-After` seconds are honoured when longer, up to the attempt timeout).
    async fn send(&self, body: &Value) -> Result<(StatusCode, Bytes), GuardError> {
        let body = Bytes::from(body.to_string());
        let mut attempt = 0u32;
        loop {
            let result = tokio::time::timeout(self.options.timeout, self.attempt(&body)).await;
            let (retry_reason, retry_after) = match result {
                Err(_) => return Err(GuardError::Timeout(self.options.timeout)),
                Ok(Err(AttemptError::Fatal(message))) => return Err(GuardError::Backend(message)),
                Ok(Err(AttemptError::Retryable(message))) => (message, None),
                Ok(Ok(answer))
                    if answer.status.is_server_error()
                        || answer.status == StatusCode::TOO_MANY_REQUESTS =>
                {
                    let reason = format!(
                        "remote guard answered {}: {}",
                        answer.status,
                        excerpt(&String::from_utf8_lossy(&answer.bytes))
                    );
                    (reason, answer.retry_after)
                }
                Ok(Ok(answer)) => return Ok((answer.status, answer.bytes)),
            };
            if attempt >= self.options.retries {
                return Err(GuardError::Backend(format!(
                    "{retry_reason} (after {} attempts)",
                    attempt + 1
                )));
            }
            let backoff = self.options.backoff.saturating_mul(1u32 << attempt.min(16));
            let wait = retry_after
                .map_or(backoff, |r| r.max(backoff))
                .min(self.options.timeout);
            tracing::debug!(attempt, ?wait, reason = %retry_reason, "retrying remote guard");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// Sends one prompt (retrying as the module doc says) and returns the completion. A server
    /// that rejects the `logprobs` parameter (400/422 naming it) is asked again without it,
    /// and not asked for log-probs again.
    pub async fn complete(&self, prompt: &str) -> Result<RemoteCompletion, GuardError> {
        self.complete_inner(prompt, &mut false).await
    }

    /// [`RemoteClassifier::complete`]; `server_failed` is set when sending failed (timeout,
    /// connect error, 5xx/429 after retries).
    async fn complete_inner(
        &self,
        prompt: &str,
        server_failed: &mut bool,
    ) -> Result<RemoteCompletion, GuardError> {
        let mut body = json!({
            "model": self.options.model,
            "prompt": prompt,
            "max_tokens": self.options.max_tokens,
            "temperature": 0,
            "stream": false,
        });
        let ask_logprobs = !self.logprobs_rejected.load(Ordering::Relaxed);
        if ask_logprobs {
            body["logprobs"] = json!(self.options.logprobs);
        }
        let sent = self.send(&body).await;
        *server_failed = sent.is_err();
        let (mut status, mut bytes) = sent?;
        let rejects_logprobs = matches!(
            status,
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ) && String::from_utf8_lossy(&bytes)
            .to_ascii_lowercase()
            .contains("logprob");
        if ask_logprobs && rejects_logprobs {
            tracing::warn!(
                endpoint = %self.endpoint,
                "remote guard rejects logprobs; scoring from the verdict text"
            );
            self.logprobs_rejected.store(true, Ordering::Relaxed);
            if let Some(obj) = body.as_object_mut() {
                obj.remove("logprobs");
            }
            let sent = self.send(&body).await;
            *server_failed = sent.is_err();
            (status, bytes) = sent?;
        }
        if !status.is_success() {
            return Err(GuardError::Backend(format!(
                "remote guard answered {status}: {}",
                excerpt(&String::from_utf8_lossy(&bytes))
            )));
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
            GuardError::Backend(format!(
                "remote guard sent invalid JSON ({e}): {}",
                excerpt(&String::from_utf8_lossy(&bytes))
            ))
        })?;
        let choice = value.get("choices").and_then(|c| c.get(0)).ok_or_else(|| {
            GuardError::Backend(format!(
                "remote guard response has no choices[0]: {}",
                excerpt(&value.to_string())
            ))
        })?;
        let generated = choice
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| GuardError::Backend("remote guard choice has no text".to_string()))?
            .to_string();
        let (score, top) = match choice
            .get("logprobs")
            .filter(|l| !l.is_null())
            .and_then(verdict_logprobs)
        {
            Some((lp, top)) => (lp.score(), top),
            None => (None, Vec::new()),
        };
        Ok(RemoteCompletion {
            prompt: prompt.to_string(),
            generated,
            top,
            score,
        })
    }

    /// Classifies and returns the completions too (for `warden classify --tokens`): within
    /// the in-flight bound and through the circuit breaker (see the module doc).
    pub async fn classify_detailed(
        &self,
        request: &ClassifyRequest,
    ) -> Result<RemoteOutcome, GuardError> {
        let limit = self.options.max_in_flight.max(1);
        let in_flight = InFlight::enter(&self.in_flight, limit).ok_or_else(|| {
            self.overloaded.fetch_add(1, Ordering::Relaxed);
            GuardError::Overloaded {
                queued: limit,
                limit,
            }
        })?;
        let pass = self.breaker.admit()?;
        let mut server_failed = false;
        let result = self.classify_unguarded(request, &mut server_failed).await;
        pass.report(!server_failed);
        drop(in_flight);
        result
    }

    /// `server_failed` is set when the server could not be reached or kept failing (what
    /// the breaker counts), as opposed to answering something unusable.
    async fn classify_unguarded(
        &self,
        request: &ClassifyRequest,
        server_failed: &mut bool,
    ) -> Result<RemoteOutcome, GuardError> {
        let started = Instant::now();
        let taxonomy: &Taxonomy = &request.taxonomy;
        let (prompts, truncation, judged) = match &self.options.tokenizer {
            Some(tokenizer) => {
                let max = self
                    .options
                    .max_context
                    .unwrap_or_else(|| taxonomy.template.context_length());
                let encoded = tokenizer.encode_conversation(taxonomy, &request.turns, max)?;
                let judged = encoded
                    .prompts
                    .first()
                    .map(|p| p.judged)
                    .ok_or_else(|| GuardError::Backend("no prompt was encoded".to_string()))?;
                let texts: Vec<String> = encoded.prompts.into_iter().map(|p| p.text).collect();
                (texts, encoded.truncation, judged)
            }
            None => {
                let rendered = render(taxonomy, &request.turns)?;
                (vec![rendered.text], None::<Truncation>, rendered.judged)
            }
        };

        let mut completions = Vec::with_capacity(prompts.len());
        let mut verdict: Option<Verdict> = None;
        for text in &prompts {
            let body = server_prompt(text);
            let completion = if self.options.prepend_bos_text {
                self.complete_inner(&format!("<|begin_of_text|>{body}"), server_failed)
                    .await?
            } else {
                self.complete_inner(body, server_failed).await?
            };
            let parsed = parse_output(&completion.generated, taxonomy);
            let (score, source) = match completion.score {
                Some(score) => (score, ScoreSource::Logprobs),
                None => {
                    let parsed = parsed.clone()?;
                    let unsafe_score = if parsed.is_unsafe { 1.0 } else { 0.0 };
                    (
                        VerdictScore {
                            unsafe_score,
                            logprob_safe: None,
                            logprob_unsafe: None,
                        },
                        ScoreSource::VerdictText,
                    )
                }
            };
            let is_unsafe = score.unsafe_score >= request.threshold;
            let categories = if is_unsafe || request.always_decode {
                parsed?.categories
            } else {
                Vec::new()
            };
            let window = Verdict {
                judged,
                unsafe_score: score.unsafe_score,
                is_unsafe,
                categories,
                logprob_safe: score.logprob_safe,
                logprob_unsafe: score.logprob_unsafe,
                score_source: source,
                truncation: truncation.clone(),
                latency: Duration::ZERO,
            };
            verdict = Some(match verdict {
                None => window,
                Some(mut merged) => {
                    for c in window.categories {
                        if !merged.categories.contains(&c) {
                            merged.categories.push(c);
                        }
                    }
                    if window.unsafe_score > merged.unsafe_score {
                        merged.unsafe_score = window.unsafe_score;
                        merged.logprob_safe = window.logprob_safe;
                        merged.logprob_unsafe = window.logprob_unsafe;
                    }
                    merged.is_unsafe |= window.is_unsafe;
                    if window.score_source == ScoreSource::VerdictText {
                        merged.score_source = ScoreSource::VerdictText;
                    }
                    merged
                }
            });
            completions.push(completion);
        }
        let mut verdict =
            verdict.ok_or_else(|| GuardError::Backend("no prompt was classified".to_string()))?;
        verdict.latency = started.elapsed();
        Ok(RemoteOutcome {
            verdict,
            completions,
        })
    }
}

/// One slot of the in-flight bound, given back on drop (also when the caller gives up).
struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    fn enter(count: &'a AtomicUsize, limit: usize) -> Option<InFlight<'a>> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < limit).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(count))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    bytes: Bytes,
}

#[derive(Debug)]
enum AttemptError {
    Retryable(String),
    Fatal(String),
}

fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(200).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

impl Classifier for RemoteClassifier {
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>> {
        Box::pin(async move { Ok(self.classify_detailed(&request).await?.verdict) })
    }

    fn describe(&self) -> String {
        format!("remote {} (model {})", self.endpoint, self.options.model)
    }

    fn queue_depth(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_forms() {
        for base in [
            "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/",
            "http://127.0.0.1:8000/v1",
            "http://127.0.0.1:8000/v1/completions",
        ] {
            assert_eq!(
                completions_endpoint(base).expect("valid").to_string(),
                "http://127.0.0.1:8000/v1/completions"
            );
        }
        assert!(completions_endpoint("localhost:8000").is_err());
        assert!(completions_endpoint("ftp://x/").is_err());
    }

    #[test]
    fn server_prompt_drops_bos_text_only() {
        assert_eq!(server_prompt(" <|begin_of_text|><|start"), "<|start");
        assert_eq!(server_prompt("<|begin_of_text|>x"), "x");
        assert_eq!(server_prompt("[INST] x"), "[INST] x");
        assert_eq!(server_prompt(" [INST]"), " [INST]");
    }

    #[test]
    fn reads_both_logprob_shapes() {
        let legacy = json!({
            "tokens": ["\n\n", "unsafe", "\n", "S1"],
            "token_logprobs": [-0.01, -0.2, -0.01, -0.1],
            "top_logprobs": [{"\n\n": -0.01}, {"unsafe": -0.2, "safe": -1.8, " unsafe": -5.0}, {}, {}]
        });
        let (lp, top) = verdict_logprobs(&legacy).expect("has positions");
        assert_eq!(lp.unsafe_, Some(-0.2));
        assert_eq!(lp.safe, Some(-1.8));
        assert_eq!(lp.space_unsafe, Some(-5.0));
        assert_eq!(top[0].0, "unsafe");
        let content = json!({"content": [
            {"token": "safe", "logprob": -0.05, "top_logprobs": [
                {"token": "safe", "logprob": -0.05}, {"token": "unsafe", "logprob": -3.0}]}
        ]});
        let (lp, _) = verdict_logprobs(&content).expect("has positions");
        assert_eq!(lp.safe, Some(-0.05));
        assert_eq!(lp.unsafe_, Some(-3.0));
    }
}
