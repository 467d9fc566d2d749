//! Compiled policies and the decisions the proxy asks of them at request time.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use warden_code_scan::{Finding, Language, ScanOptions, Severity};
use warden_guard_model::{ClassifyRequest, GuardError, JudgedRole, Taxonomy, Turn, Verdict};

/// What a policy does with a request or response, ordered `Allow < Log < Warn < Block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Nothing hit.
    Allow,
    /// Recorded only.
    Log,
    /// Let through and marked.
    Warn,
    /// Refused (prompt) or ended (response).
    Block,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Allow => "allow",
            Action::Log => "log",
            Action::Warn => "warn",
            Action::Block => "block",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The action configured for a category or a finding severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleAction {
    Block,
    Warn,
    Log,
    /// Not checked.
    Off,
}

impl RuleAction {
    /// The decision this rule produces when it fires (`Off` never fires).
    pub fn when_hit(self) -> Action {
        match self {
            RuleAction::Block => Action::Block,
            RuleAction::Warn => Action::Warn,
            RuleAction::Log => Action::Log,
            RuleAction::Off => Action::Allow,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            RuleAction::Block => "block",
            RuleAction::Warn => "warn",
            RuleAction::Log => "log",
            RuleAction::Off => "off",
        }
    }
}

/// `enforce` applies decisions; `monitor` records them and never blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Enforce,
    Monitor,
}

/// What a guard error, timeout or overload does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FailMode {
    /// Block.
    Closed,
    /// Allow, marked unchecked.
    Open,
}

/// How streamed responses are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase", tag = "mode")]
pub enum StreamingMode {
    /// Hold frames back until their text is judged: first after `first` characters, then at
    /// twice the checked length (each check from the answer's start) up to `size`, then in
    /// windows of `size` characters, each sharing `overlap` characters with the previous one.
    Window {
        first: usize,
        size: usize,
        overlap: usize,
    },
    /// Buffer the whole response and judge it once.
    Buffer,
    /// Stream at once and judge on the same schedule behind the client; a violation cuts the
    /// stream with the API's terminal frames (text already sent stays sent).
    Async {
        first: usize,
        size: usize,
        overlap: usize,
    },
}

/// What a blocked client receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockResponse {
    pub status: u16,
    pub message: String,
}

/// One active guard category with its action and threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryRule {
    /// The id used in policy files and decisions: the template code (`S1`) or a custom id.
    pub id: String,
    /// The code rendered into the guard prompt and answered by the model.
    pub code: String,
    pub name: String,
    pub action: RuleAction,
    pub threshold: f32,
    /// Whether this is a custom category.
    pub custom: bool,
}

/// Guard part of a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardPolicy {
    pub prompts: bool,
    pub responses: bool,
    /// Template plus the active categories (action not `off`), as rendered into the prompt.
    #[serde(skip)]
    pub taxonomy: Arc<Taxonomy>,
    /// Active categories, in prompt order.
    pub categories: Vec<CategoryRule>,
    /// Codes of the categories switched `off` (left out of the prompt).
    pub inactive: Vec<String>,
}

/// Code-scan part of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CodePolicy {
    pub prompts: bool,
    pub responses: bool,
    /// Lower-case language names to scan; `None` scans every language.
    pub languages: Option<BTreeSet<String>>,
    pub disabled_rules: BTreeSet<String>,
    pub on_error: RuleAction,
    pub on_warning: RuleAction,
    pub on_info: RuleAction,
}

impl CodePolicy {
    /// The configured action for one severity.
    pub fn action_for(&self, severity: Severity) -> RuleAction {
        match severity {
            Severity::Error => self.on_error,
            Severity::Warning => self.on_warning,
            Severity::Info => self.on_info,
        }
    }

    /// The scanner options this policy asks for (disabled rules, languages).
    pub fn scan_options(&self) -> ScanOptions {
        ScanOptions {
            disabled_rules: self.disabled_rules.iter().cloned().collect(),
            languages: self.languages.as_ref().map(|set| {
                set.iter()
                    .filter_map(|l| Language::from_alias(l))
                    .collect::<HashSet<Language>>()
            }),
            ..ScanOptions::default()
        }
    }

    /// Whether code in `language` is scanned under this policy.
    pub fn scans_language(&self, language: &str) -> bool {
        self.languages
            .as_ref()
            .is_none_or(|set| set.contains(&language.to_ascii_lowercase()))
    }
}

/// The parameters for one guard classification (fill in the turns to get a
/// `ClassifyRequest`).
#[derive(Debug, Clone)]
pub struct GuardParams {
    pub taxonomy: Arc<Taxonomy>,
    /// The lowest threshold of any active category: below it nothing can fire.
    pub threshold: f32,
    /// Categories are needed to pick per-category actions, so always decode them.
    pub always_decode: bool,
    pub timeout: Duration,
}

impl GuardParams {
    /// The classification request for `turns` (the judged side follows from the last turn).
    pub fn request(&self, turns: Vec<Turn>) -> ClassifyRequest {
        ClassifyRequest {
            turns,
            taxonomy: Arc::clone(&self.taxonomy),
            threshold: self.threshold,
            always_decode: self.always_decode,
            keep_context: false,
        }
    }
}

/// A part of a request that the injection detector judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InjectionPart {
    /// A user message or completion prompt (direct input).
    User,
    /// A system or developer message (direct input).
    System,
    /// A tool or function result (third-party data).
    Tool,
    /// A retrieved document passed beside the messages (third-party data).
    Document,
}

impl InjectionPart {
    pub fn as_str(self) -> &'static str {
        match self {
            InjectionPart::User => "user",
            InjectionPart::System => "system",
            InjectionPart::Tool => "tool",
            InjectionPart::Document => "document",
        }
    }

    /// The labels asked of this part, after Meta's Prompt Guard model card: direct input is
    /// judged for jailbreaks only (a user's own instructions are no injection), third-party data
    /// for injections (which, for Prompt Guard 1, include jailbreaks). `malicious` is Prompt
    /// Guard 2's single label for both.
    pub fn labels(self) -> &'static [&'static str] {
        match self {
            InjectionPart::User | InjectionPart::System => &["jailbreak", "malicious"],
            InjectionPart::Tool | InjectionPart::Document => &["injection", "malicious"],
        }
    }
}

/// The labels a policy may name under `injection.labels`.
pub const INJECTION_LABELS: [&str; 3] = ["jailbreak", "injection", "malicious"];

/// Action and threshold of one detector label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelRule {
    pub label: String,
    pub action: RuleAction,
    pub threshold: f32,
}

/// Injection-detection part of a policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectionPolicy {
    pub user_prompts: bool,
    pub system_prompts: bool,
    pub tool_results: bool,
    pub documents: bool,
    /// Scan earlier turns too, not only what follows the last assistant turn.
    pub history: bool,
    /// Every label of [`INJECTION_LABELS`] with its effective action and threshold.
    pub labels: Vec<LabelRule>,
    /// `monitor` when this detector or the whole policy is in monitor mode.
    pub mode: Mode,
    pub fail_mode: FailMode,
    #[serde(serialize_with = "ser_millis")]
    pub timeout: Duration,
}

impl InjectionPolicy {
    /// Whether the detector is asked about this part at all.
    pub fn scans(&self, part: InjectionPart) -> bool {
        let enabled = match part {
            InjectionPart::User => self.user_prompts,
            InjectionPart::System => self.system_prompts,
            InjectionPart::Tool => self.tool_results,
            InjectionPart::Document => self.documents,
        };
        enabled
            && part
                .labels()
                .iter()
                .any(|l| self.rule(l).is_some_and(|r| r.action != RuleAction::Off))
    }

    /// Whether any part is scanned.
    pub fn active(&self) -> bool {
        [
            InjectionPart::User,
            InjectionPart::System,
            InjectionPart::Tool,
            InjectionPart::Document,
        ]
        .into_iter()
        .any(|p| self.scans(p))
    }

    pub fn rule(&self, label: &str) -> Option<&LabelRule> {
        self.labels.iter().find(|r| r.label == label)
    }
}

/// The detector's score for one label of one scanned part (the maximum over its windows).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectionScore {
    pub part: InjectionPart,
    /// Position of the message (or document) in the request.
    pub index: usize,
    pub label: String,
    pub score: f32,
}

/// A label that fired on a part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InjectionHit {
    pub label: String,
    pub part: InjectionPart,
    pub index: usize,
    pub score: f32,
    pub action: Action,
}

/// One category that contributed to a decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryHit {
    pub id: String,
    pub code: String,
    pub name: String,
    pub action: Action,
}

/// The outcome of judging one side of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    /// What to do now. In `monitor` mode a `block` becomes `log`.
    pub action: Action,
    /// What the policy decided before `monitor` mode softened it.
    pub intended: Action,
    /// Categories that fired (guard decisions).
    pub categories: Vec<CategoryHit>,
    /// Rule ids that fired (code decisions).
    pub rules: Vec<String>,
    /// Injection or jailbreak labels that fired (injection decisions).
    pub injection: Vec<InjectionHit>,
    /// The guard's unsafe score, when a guard was asked.
    pub unsafe_score: Option<f32>,
    /// The guard could not judge (error, timeout, overload) and the fail mode decided.
    pub unchecked: bool,
    /// `name@version` of the deciding policy, for headers, logs and the audit trail.
    #[serde(serialize_with = "ser_arc_str")]
    pub policy: Arc<str>,
}

impl Decision {
    /// Whether the request or response must be stopped.
    pub fn blocks(&self) -> bool {
        self.action == Action::Block
    }
}

/// One compiled policy. Immutable; shared through `Arc` by every request that selected it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Policy {
    pub name: String,
    pub description: Option<String>,
    /// `name@version`, where the version is the policy set's content hash.
    #[serde(serialize_with = "ser_arc_str")]
    pub id: Arc<str>,
    pub mode: Mode,
    pub guard: GuardPolicy,
    pub code: CodePolicy,
    pub streaming: StreamingMode,
    pub fail_mode: FailMode,
    #[serde(serialize_with = "ser_millis")]
    pub guard_timeout: Duration,
    pub block_response: BlockResponse,
    /// Whether the audit log records message content (off by default).
    pub audit_content: bool,
    /// Prompt-injection and jailbreak detection of the request.
    pub injection: InjectionPolicy,
    /// The file that defines this policy (relative to the policy directory).
    pub source: String,
    /// The chain of policies this one extends, nearest first.
    pub extends: Vec<String>,
}

fn ser_arc_str<S: serde::Serializer>(v: &Arc<str>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v)
}

fn ser_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Policy {
    /// Whether this policy asks the guard to judge the given side: enabled for it, with at
    /// least one active category. Streaming uses it to decide whether prose must be held.
    pub fn guard_judges(&self, role: JudgedRole) -> bool {
        let enabled = match role {
            JudgedRole::User => self.guard.prompts,
            JudgedRole::Agent => self.guard.responses,
        };
        enabled && !self.guard.categories.is_empty()
    }

    /// What to ask the guard for the given side, or `None` when this policy does not judge it
    /// (disabled for that side, or no active category).
    pub fn guard_request(&self, role: JudgedRole) -> Option<GuardParams> {
        if !self.guard_judges(role) {
            return None;
        }
        let threshold = self
            .guard
            .categories
            .iter()
            .map(|c| c.threshold)
            .fold(f32::INFINITY, f32::min);
        Some(GuardParams {
            taxonomy: Arc::clone(&self.guard.taxonomy),
            threshold,
            always_decode: true,
            timeout: self.guard_timeout,
        })
    }

    /// Turns a guard verdict into a decision: every decoded category whose threshold the score
    /// reaches fires with its action; the strictest action wins. An unsafe score with no
    /// decoded category (a backend that only says "unsafe") fires every active category whose
    /// threshold it reaches, so a missing or unknown category never weakens the policy; a
    /// category switched `off` stays off.
    pub fn decide_guard(&self, verdict: &Verdict) -> Decision {
        let score = verdict.unsafe_score;
        let reached = |c: &&CategoryRule| score >= c.threshold && c.action != RuleAction::Off;
        let mut hits: Vec<&CategoryRule> = self
            .guard
            .categories
            .iter()
            .filter(|c| verdict.categories.iter().any(|v| v == &c.code))
            .filter(reached)
            .collect();
        let any_known = verdict.categories.iter().any(|v| {
            self.guard.categories.iter().any(|c| &c.code == v) || self.guard.inactive.contains(v)
        });
        if hits.is_empty() && !any_known && (verdict.is_unsafe || !verdict.categories.is_empty()) {
            hits = self.guard.categories.iter().filter(reached).collect();
        }
        let intended = hits
            .iter()
            .map(|c| c.action.when_hit())
            .max()
            .unwrap_or(Action::Allow);
        let categories = hits
            .into_iter()
            .map(|c| CategoryHit {
                id: c.id.clone(),
                code: c.code.clone(),
                name: c.name.clone(),
                action: c.action.when_hit(),
            })
            .collect();
        Decision {
            action: self.effective(intended),
            intended,
            categories,
            rules: Vec::new(),
            injection: Vec::new(),
            unsafe_score: Some(score),
            unchecked: false,
            policy: Arc::clone(&self.id),
        }
    }

    /// Turns code findings into a decision: findings of disabled rules are dropped (the scanner
    /// already skips them when run with [`CodePolicy::scan_options`]); each remaining finding
    /// acts by its severity; the strictest action wins.
    pub fn code_action(&self, findings: &[Finding]) -> Decision {
        let mut intended = Action::Allow;
        let mut rules: Vec<String> = Vec::new();
        for f in findings {
            if self.code.disabled_rules.contains(&f.rule_id) {
                continue;
            }
            let action = self.code.action_for(f.severity).when_hit();
            if action > Action::Allow {
                intended = intended.max(action);
                if !rules.contains(&f.rule_id) {
                    rules.push(f.rule_id.clone());
                }
            }
        }
        Decision {
            action: self.effective(intended),
            intended,
            categories: Vec::new(),
            rules,
            injection: Vec::new(),
            unsafe_score: None,
            unchecked: false,
            policy: Arc::clone(&self.id),
        }
    }

    /// The decision when the guard produced no verdict: fail closed blocks, fail open allows;
    /// both are marked `unchecked`.
    pub fn on_guard_error(&self, _error: &GuardError) -> Decision {
        let intended = match self.fail_mode {
            FailMode::Closed => Action::Block,
            FailMode::Open => Action::Allow,
        };
        Decision {
            action: self.effective(intended),
            intended,
            categories: Vec::new(),
            rules: Vec::new(),
            injection: Vec::new(),
            unsafe_score: None,
            unchecked: true,
            policy: Arc::clone(&self.id),
        }
    }

    /// Turns detector scores into a decision: a label fires on a part when the part asks for
    /// it ([`InjectionPart::labels`]) and its score reaches the label's threshold; the
    /// strictest action wins. The detector's own `mode` (or the policy's) softens a block.
    pub fn decide_injection(&self, scores: &[InjectionScore]) -> Decision {
        let mut hits: Vec<InjectionHit> = Vec::new();
        for s in scores {
            if !s.part.labels().contains(&s.label.as_str()) || !self.injection.scans(s.part) {
                continue;
            }
            let Some(rule) = self.injection.rule(&s.label) else {
                continue;
            };
            // A NaN score never fires (it is no evidence); it is reported as the score it is.
            if rule.action == RuleAction::Off || s.score.is_nan() || s.score < rule.threshold {
                continue;
            }
            hits.push(InjectionHit {
                label: s.label.clone(),
                part: s.part,
                index: s.index,
                score: s.score,
                action: rule.action.when_hit(),
            });
        }
        let intended = hits.iter().map(|h| h.action).max().unwrap_or(Action::Allow);
        Decision {
            action: self.injection_effective(intended),
            intended,
            categories: Vec::new(),
            rules: Vec::new(),
            injection: hits,
            unsafe_score: None,
            unchecked: false,
            policy: Arc::clone(&self.id),
        }
    }

    /// The decision when the injection detector produced no score: its own fail mode decides,
    /// marked `unchecked`.
    pub fn on_injection_error(&self) -> Decision {
        let intended = match self.injection.fail_mode {
            FailMode::Closed => Action::Block,
            FailMode::Open => Action::Allow,
        };
        Decision {
            action: self.injection_effective(intended),
            intended,
            categories: Vec::new(),
            rules: Vec::new(),
            injection: Vec::new(),
            unsafe_score: None,
            unchecked: true,
            policy: Arc::clone(&self.id),
        }
    }

    fn injection_effective(&self, intended: Action) -> Action {
        match (self.injection.mode, intended) {
            (Mode::Monitor, Action::Block) => Action::Log,
            _ => self.effective(intended),
        }
    }

    /// Combines decisions (guard and code on the same text): the strictest wins, hits are
    /// merged.
    pub fn combine(&self, decisions: &[Decision]) -> Decision {
        let intended = decisions
            .iter()
            .map(|d| d.intended)
            .max()
            .unwrap_or(Action::Allow);
        // Each decision already applied its own mode (the injection detector may be in
        // monitor mode under an enforcing policy), so the strictest applied action wins.
        let action = decisions
            .iter()
            .map(|d| d.action)
            .max()
            .unwrap_or(Action::Allow);
        Decision {
            action: self.effective(action),
            intended,
            categories: merged(decisions, |d| &d.categories),
            rules: merged(decisions, |d| &d.rules),
            injection: merged(decisions, |d| &d.injection),
            unsafe_score: decisions
                .iter()
                .filter_map(|d| d.unsafe_score)
                .reduce(f32::max),
            unchecked: decisions.iter().any(|d| d.unchecked),
            policy: Arc::clone(&self.id),
        }
    }

    fn effective(&self, intended: Action) -> Action {
        match (self.mode, intended) {
            (Mode::Monitor, Action::Block) => Action::Log,
            (_, action) => action,
        }
    }
}

/// The lists `field` picks from each decision, one after another. Most decisions carry none,
/// and a request combines several: counting first keeps the empty case free of the iterator
/// machinery of a flattened `collect` (which callgrind showed at ~100 instructions a list).
fn merged<T: Clone>(decisions: &[Decision], field: impl Fn(&Decision) -> &Vec<T>) -> Vec<T> {
    let len: usize = decisions.iter().map(|d| field(d).len()).sum();
    if len == 0 {
        return Vec::new();
    }
    let mut all = Vec::with_capacity(len);
    for d in decisions {
        all.extend_from_slice(field(d));
    }
    all
}
