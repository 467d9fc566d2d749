//! Raw policy files as written: data only, every field documented (the `///` lines double as
//! the JSON Schema descriptions editors show). `compile` turns these into a `PolicySet`.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::Deserialize;
use serde_saphyr::Spanned;

/// One policy file. A directory may hold several; together they form one policy set.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Warden policy file")]
pub struct RawPolicyFile {
    /// Format version; must be `1`.
    #[schemars(with = "u32", range(min = 1, max = 1))]
    pub version: Spanned<u32>,
    /// Policies defined in this file; names are unique across the whole directory.
    #[serde(default)]
    pub policies: Vec<RawPolicy>,
    /// Routes that pick a policy per request, tried in order; the first match wins. Only one
    /// file of a directory may define routes.
    #[serde(default)]
    #[schemars(with = "Option<Vec<RawRoute>>")]
    pub routes: Option<Spanned<Vec<RawRoute>>>,
    /// The policy used when no route matches. Optional when a policy is named `default` or the
    /// set has exactly one policy; at most one file may set it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub default_policy: Option<Spanned<String>>,
    /// Sample prompts, responses or code with the decision a policy must reach
    /// (`warden policy test`).
    #[serde(default)]
    pub tests: Vec<RawPolicyTest>,
}

/// One named policy: what the guard judges, how code is scanned, and what happens on a hit.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    /// Unique name, used by routes, `extends` and in `name@version` of responses and logs.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Free text for people reading `warden policy explain`.
    #[serde(default)]
    pub description: Option<String>,
    /// Name of a policy whose settings this one starts from; fields set here override it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub extends: Option<Spanned<String>>,
    /// `enforce` (default) applies decisions; `monitor` decides and records but never blocks.
    #[serde(default)]
    pub mode: Option<RawMode>,
    /// Llama Guard settings: template, active categories, actions and thresholds.
    #[serde(default)]
    pub guard: Option<RawGuard>,
    /// Insecure-code scanning of code blocks in prompts and responses.
    #[serde(default)]
    pub code: Option<RawCode>,
    /// How streamed responses are checked.
    #[serde(default)]
    pub streaming: Option<RawStreaming>,
    /// What happens when the guard fails, times out or is overloaded.
    #[serde(default)]
    pub failure: Option<RawFailure>,
    /// What a blocked client receives.
    #[serde(default)]
    pub block_response: Option<RawBlockResponse>,
    /// What the audit log records for requests under this policy.
    #[serde(default)]
    pub audit: Option<RawAudit>,
    /// Prompt-injection and jailbreak detection (Prompt Guard) on the request's parts. Applies
    /// when the gateway serves a detector (`--prompt-guard`); every field has a default.
    #[serde(default)]
    pub injection: Option<RawInjection>,
}

/// Prompt-injection and jailbreak detection settings.
///
/// Following Meta's Prompt Guard model card, direct input (user and system messages) is judged
/// for `jailbreak` (Prompt Guard 1) or `malicious` (Prompt Guard 2), and third-party data (tool
/// results, retrieved documents) for `injection` (Prompt Guard 1: injection or jailbreak) or
/// `malicious`. A user's own instructions are not an injection, so `injection` is never asked
/// of direct input.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInjection {
    /// Scan user messages and completion prompts (default true).
    #[serde(default)]
    pub user_prompts: Option<bool>,
    /// Scan system and developer messages (default false: the operator writes them).
    #[serde(default)]
    pub system_prompts: Option<bool>,
    /// Scan tool and function results: `role: tool`, `function` and `ipython` messages
    /// (default true).
    #[serde(default)]
    pub tool_results: Option<bool>,
    /// Scan retrieved documents passed beside the messages (the `documents` array of a chat
    /// request, as vLLM accepts it for RAG chat templates) (default true).
    #[serde(default)]
    pub documents: Option<bool>,
    /// Scan every earlier turn of the conversation too (default true). `false` scans only what
    /// follows the last assistant turn: cheaper for long chats, but a client can then hide a
    /// jailbreak in a made-up earlier turn.
    #[serde(default)]
    pub history: Option<bool>,
    /// Action for every label not listed under `labels` (default `block`).
    #[serde(default)]
    pub default_action: Option<RawRuleAction>,
    /// Score threshold, 0..1, for every label without its own (default 0.5).
    #[serde(default)]
    #[schemars(with = "Option<f32>", range(min = 0.0, max = 1.0))]
    pub default_threshold: Option<Spanned<f32>>,
    /// Per-label settings keyed by `jailbreak`, `injection` (Prompt Guard 1) or `malicious`
    /// (Prompt Guard 2). A label the served model does not have never fires.
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, RawCategoryRule>>")]
    pub labels: Option<HashMap<Spanned<String>, RawCategoryRule>>,
    /// `enforce` or `monitor` for this detector only (default: the policy's `mode`; a policy in
    /// `monitor` mode never blocks).
    #[serde(default)]
    pub mode: Option<RawMode>,
    /// What a detector error, timeout or overload does (default: the policy's `failure`).
    #[serde(default)]
    pub failure: Option<RawInjectionFailure>,
}

/// Detector failure settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawInjectionFailure {
    /// `closed` (block) or `open` (let through, marked unchecked); default: the policy's
    /// `failure.mode`.
    #[serde(default)]
    pub mode: Option<RawFailMode>,
    /// Milliseconds to wait for the detector (default: the policy's `failure.guard_timeout_ms`).
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub timeout_ms: Option<Spanned<u64>>,
}

/// Audit log settings of a policy.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    /// Write the judged message text into the audit log (default false: decisions, scores,
    /// categories and rule ids only).
    #[serde(default)]
    pub include_content: Option<bool>,
}

/// `enforce` or `monitor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawMode {
    /// Decisions are applied: blocks block.
    Enforce,
    /// Decisions are recorded (metrics, audit log, headers) but nothing is blocked.
    Monitor,
}

/// The Llama Guard prompt template, which also fixes the default category list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum RawTemplate {
    /// Llama Guard 1: O1-O6.
    #[serde(rename = "lg1")]
    Lg1,
    /// Llama Guard 2: S1-S11 (the default).
    #[serde(rename = "lg2")]
    Lg2,
    /// Llama Guard 3 8B: S1-S14.
    #[serde(rename = "lg3-8b")]
    Lg3_8b,
    /// Llama Guard 3 1B: S1-S13.
    #[serde(rename = "lg3-1b")]
    Lg3_1b,
}

/// What to do when a category (or a code finding) is hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawRuleAction {
    /// Refuse the request or end the response with the block response.
    Block,
    /// Let it through and mark it (`x-warden-decision: warn`, metrics, audit log).
    Warn,
    /// Let it through and only record it.
    Log,
    /// Not checked at all (a guard category is left out of the guard prompt).
    Off,
}

/// Llama Guard settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawGuard {
    /// Prompt template and default taxonomy: `lg1`, `lg2` (default), `lg3-8b` or `lg3-1b`.
    #[serde(default)]
    pub template: Option<RawTemplate>,
    /// Judge the user's prompt before it is forwarded (default true).
    #[serde(default)]
    pub prompts: Option<bool>,
    /// Judge the model's response (default true).
    #[serde(default)]
    pub responses: Option<bool>,
    /// Action for every template category not listed under `categories` (default `block`).
    #[serde(default)]
    pub default_action: Option<RawRuleAction>,
    /// Unsafe-score threshold, 0..1, for every category without its own (default 0.5).
    #[serde(default)]
    #[schemars(with = "Option<f32>", range(min = 0.0, max = 1.0))]
    pub default_threshold: Option<Spanned<f32>>,
    /// Per-category settings keyed by the template's code (`S1`, `O3`, ...) or a custom
    /// category's `id`.
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, RawCategoryRule>>")]
    pub categories: Option<HashMap<Spanned<String>, RawCategoryRule>>,
    /// Categories of your own, rendered into the guard prompt after the template's.
    #[serde(default)]
    pub custom_categories: Option<Vec<RawCustomCategory>>,
}

/// Action and threshold for one category.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCategoryRule {
    /// `block`, `warn`, `log` or `off` (left out of the guard prompt).
    #[serde(default)]
    pub action: Option<RawRuleAction>,
    /// Unsafe score, 0..1, at or above which the action applies (default 0.5).
    #[serde(default)]
    #[schemars(with = "Option<f32>", range(min = 0.0, max = 1.0))]
    pub threshold: Option<Spanned<f32>>,
}

/// A category of your own.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCustomCategory {
    /// Identifier used under `categories`, in tests and in decisions (letters, digits, `_`, `-`).
    #[schemars(with = "String")]
    pub id: Spanned<String>,
    /// Name rendered into the guard prompt.
    pub name: String,
    /// Policy text rendered under the name: what is and is not allowed.
    #[serde(default)]
    pub description: Option<String>,
    /// `block` (default), `warn`, `log` or `off`.
    #[serde(default)]
    pub action: Option<RawRuleAction>,
    /// Unsafe score, 0..1, at or above which the action applies (default: `default_threshold`).
    #[serde(default)]
    #[schemars(with = "Option<f32>", range(min = 0.0, max = 1.0))]
    pub threshold: Option<Spanned<f32>>,
}

/// Code scanning settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawCode {
    /// Scan code in prompts (default false).
    #[serde(default)]
    pub prompts: Option<bool>,
    /// Scan code in responses (default true).
    #[serde(default)]
    pub responses: Option<bool>,
    /// Only scan these languages (such as `python`, `javascript`); absent means all.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub languages: Option<Vec<Spanned<String>>>,
    /// Rule ids that never fire under this policy.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub disabled_rules: Option<Vec<Spanned<String>>>,
    /// Action per finding severity.
    #[serde(default)]
    pub severity_actions: Option<RawSeverityActions>,
}

/// Action per code-finding severity.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSeverityActions {
    /// Action for `error` findings (default `block`).
    #[serde(default)]
    pub error: Option<RawRuleAction>,
    /// Action for `warning` findings (default `warn`).
    #[serde(default)]
    pub warning: Option<RawRuleAction>,
    /// Action for `info` findings (default `log`).
    #[serde(default)]
    pub info: Option<RawRuleAction>,
}

/// How streamed responses are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawStreamMode {
    /// Hold frames back until the text they carry has been judged in overlapping windows.
    Window,
    /// Buffer the whole response, judge it, then release or block it.
    Buffer,
    /// Stream without holding back; judge behind the client in windows and cut the stream on
    /// a violation (text already sent stays sent).
    Async,
}

/// Streaming settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawStreaming {
    /// `window` (default), `buffer` or `async`.
    #[serde(default)]
    pub mode: Option<RawStreamMode>,
    /// Window size in characters for `window` and `async` modes (default 1000).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub window_chars: Option<Spanned<u32>>,
    /// Characters the first guard check of an answer waits for (default 128, at most
    /// `window_chars`). Later checks are due at twice the checked length, each judging the
    /// answer from its start, until checks reach `window_chars`; from there windows slide.
    /// Equal to `window_chars`: one check per full window from the start.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub first_window_chars: Option<Spanned<u32>>,
    /// Characters each window shares with the previous one (default 200, less than
    /// `window_chars`).
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub overlap_chars: Option<Spanned<u32>>,
}

/// `closed` or `open`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawFailMode {
    /// A guard error, timeout or overload blocks the request.
    Closed,
    /// A guard error, timeout or overload lets the request through, marked unchecked.
    Open,
}

/// Guard failure settings.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFailure {
    /// `closed` (default) or `open`.
    #[serde(default)]
    pub mode: Option<RawFailMode>,
    /// Milliseconds to wait for a verdict before the fail mode applies (default 5000).
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub guard_timeout_ms: Option<Spanned<u64>>,
}

/// What a blocked client receives, in its API's error shape.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawBlockResponse {
    /// HTTP status, 400..599, for a blocked prompt (default 400).
    #[serde(default)]
    #[schemars(with = "Option<u16>", range(min = 400, max = 599))]
    pub status: Option<Spanned<u16>>,
    /// Message shown to the client (default: a generic refusal).
    #[serde(default)]
    pub message: Option<String>,
}

/// One route: when every condition given under `match` holds, `policy` applies.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    /// Optional label shown by `warden policy explain`.
    #[serde(default)]
    pub name: Option<String>,
    /// Conditions; all that are given must hold. At least one is required.
    #[serde(rename = "match")]
    pub matches: RawRouteMatch,
    /// The policy applied when the route matches.
    #[schemars(with = "String")]
    pub policy: Spanned<String>,
}

/// Route conditions.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRouteMatch {
    /// Glob over the request path, such as `/v1/chat/*`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub path: Option<Spanned<String>>,
    /// Glob over the requested model name, such as `llama3*`.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub model: Option<Spanned<String>>,
    /// SHA-256 (64 hex digits) of the client's API key; never write the key itself.
    /// `warden policy explain --api-key` prints it.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub api_key_sha256: Option<Spanned<String>>,
    /// A request header that must have a given value.
    #[serde(default)]
    pub header: Option<RawHeaderMatch>,
}

/// A header condition.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHeaderMatch {
    /// Header name (case-insensitive).
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// Glob the header value must match, such as `red-team` or `team-*`.
    #[schemars(with = "String")]
    pub value: Spanned<String>,
}

/// The decision a policy test expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawExpect {
    /// Nothing hit.
    Allow,
    /// Recorded only.
    Log,
    /// Let through with a warning.
    Warn,
    /// Blocked (in `monitor` mode: would have been blocked).
    Block,
}

/// A sample with the decision a policy must reach. Give exactly one of `prompt`, `response`
/// or `code`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicyTest {
    /// Shown in reports.
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    /// The policy under test.
    #[schemars(with = "String")]
    pub policy: Spanned<String>,
    /// A user prompt, judged as the user's turn. With `response`, the prompt it answers.
    #[serde(default)]
    pub prompt: Option<String>,
    /// An assistant response, judged as the agent's turn.
    #[serde(default)]
    pub response: Option<String>,
    /// A code block, scanned by the code scanner only (no guard model needed).
    #[serde(default)]
    pub code: Option<String>,
    /// Language of `code`, such as `python`.
    #[serde(default)]
    pub language: Option<String>,
    /// The decision the policy must reach: `allow`, `log`, `warn` or `block`.
    pub expect: RawExpect,
    /// Guard category ids (or code rule ids for `code`) that must be among the hits.
    #[serde(default)]
    pub hits: Option<Vec<String>>,
}
