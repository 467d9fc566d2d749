//! Raw files -> `PolicySet`: parse every file, resolve `extends`, check every cross-field rule,
//! and collect every problem before giving up.
//!
//! `extends` is resolved lazily: a field's effective value is the first one set along the chain
//! (the policy, its parent, its grandparent, ...). Each policy's own values are checked in its own
//! file, so an error in a parent is reported once, at the parent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use globset::GlobBuilder;
use serde_saphyr::{Location, Spanned};
use sha2::{Digest, Sha256};
use warden_guard_model::{Category, Taxonomy, Template};

use crate::diag::{Diagnostic, Diagnostics, Reporter, from_yaml_error, suggestion_fix};
use crate::policy::{
    Action, BlockResponse, CategoryRule, CodePolicy, FailMode, GuardPolicy, INJECTION_LABELS,
    InjectionPolicy, LabelRule, Mode, Policy, RuleAction, StreamingMode,
};
use crate::raw::{
    RawCustomCategory, RawExpect, RawFailMode, RawMode, RawPolicy, RawPolicyFile, RawRuleAction,
    RawStreamMode, RawTemplate,
};
use crate::set::{Glob, PolicySet, PolicyTest, Route, TestSample};

/// Default unsafe-score threshold.
pub const DEFAULT_THRESHOLD: f32 = 0.5;
/// Default guard timeout.
pub const DEFAULT_GUARD_TIMEOUT_MS: u64 = 5000;
/// Default window for `window` streaming.
pub const DEFAULT_WINDOW_CHARS: u32 = 1000;
/// Default overlap for `window` streaming.
pub const DEFAULT_OVERLAP_CHARS: u32 = 200;
/// Default first window (capped at `window_chars`): long enough for the guard to judge a
/// sentence or two, short enough that a chat answer starts within a few hundred
/// milliseconds (docs/benchmarks.md, streaming section).
pub const DEFAULT_FIRST_WINDOW_CHARS: u32 = 128;
/// Default status of a block response.
pub const DEFAULT_BLOCK_STATUS: u16 = 400;
/// Default message of a block response.
pub const DEFAULT_BLOCK_MESSAGE: &str = "This request was blocked by the gateway's content policy.";

const MAX_GUARD_TIMEOUT_MS: u64 = 600_000;

/// One policy file's name (relative to its directory) and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicySource {
    pub name: PathBuf,
    pub text: String,
}

/// What the code scanner knows, for checking rule ids and languages. Passed in so policies can
/// be checked against the scanner actually running (rule files reload with the policy).
#[derive(Debug, Clone, Default)]
pub struct ScanCatalog {
    pub rule_ids: BTreeSet<String>,
    /// Lower-case language names; empty means languages are not checked.
    pub languages: BTreeSet<String>,
}

impl ScanCatalog {
    /// The built-in rules and every language the scanner parses.
    pub fn builtin() -> ScanCatalog {
        ScanCatalog::new(
            warden_code_scan::builtin_rule_ids(),
            warden_code_scan::Language::ALL.iter().map(|l| l.name()),
        )
    }

    pub fn new<R, L>(
        rule_ids: impl IntoIterator<Item = R>,
        languages: impl IntoIterator<Item = L>,
    ) -> ScanCatalog
    where
        R: Into<String>,
        L: Into<String>,
    {
        ScanCatalog {
            rule_ids: rule_ids.into_iter().map(Into::into).collect(),
            languages: languages
                .into_iter()
                .map(|l| l.into().to_ascii_lowercase())
                .collect(),
        }
    }
}

/// A parsed file.
struct Parsed {
    name: PathBuf,
    raw: RawPolicyFile,
}

/// A policy with where it came from.
struct Entry<'a> {
    file: usize,
    /// Index in its file's `policies` list.
    index: usize,
    raw: &'a RawPolicy,
}

impl Entry<'_> {
    fn field(&self) -> String {
        format!("policies[{}]", self.index)
    }
}

/// Compiles sources into a set, or returns every problem found.
pub fn compile(sources: &[PolicySource], catalog: &ScanCatalog) -> Result<PolicySet, Diagnostics> {
    let mut out: Vec<Diagnostic> = Vec::new();
    if sources.is_empty() {
        out.push(Diagnostic {
            file: PathBuf::from("."),
            line: 0,
            column: 0,
            field: "(directory)".to_owned(),
            message: "no policy files (*.yaml or *.yml) found".to_owned(),
            fix: "add a policy file, for example a copy of the built-in `default` preset"
                .to_owned(),
        });
        return Err(Diagnostics(out));
    }
    let mut parsed: Vec<Parsed> = Vec::new();
    for source in sources {
        match serde_saphyr::from_str::<RawPolicyFile>(&source.text) {
            Ok(raw) => parsed.push(Parsed {
                name: source.name.clone(),
                raw,
            }),
            Err(e) => out.push(from_yaml_error(source.name.clone(), &source.text, &e)),
        }
    }
    let set = build(&parsed, sources, catalog, &mut out);
    match set {
        Some(set) if out.is_empty() => Ok(set),
        _ => {
            let mut d = Diagnostics(out);
            d.sort();
            Err(d)
        }
    }
}

fn rep<'o>(parsed: &[Parsed], file: usize, out: &'o mut Vec<Diagnostic>) -> Reporter<'o> {
    Reporter {
        file: parsed[file].name.clone(),
        out,
    }
}

fn build(
    parsed: &[Parsed],
    sources: &[PolicySource],
    catalog: &ScanCatalog,
    out: &mut Vec<Diagnostic>,
) -> Option<PolicySet> {
    let version = content_hash(sources);
    // With a file that did not parse, a name missing here may be defined there: name
    // lookups stay quiet rather than report errors that fixing the syntax would remove.
    let complete = parsed.len() == sources.len();

    // Versions, duplicate names, routes and default_policy placement.
    let mut by_name: BTreeMap<String, Entry<'_>> = BTreeMap::new();
    let mut routes_file: Option<usize> = None;
    let mut default_decl: Option<(usize, &Spanned<String>)> = None;
    for (fi, p) in parsed.iter().enumerate() {
        if p.raw.version.value != 1 {
            rep(parsed, fi, out).at(
                p.raw.version.referenced,
                "version",
                format!("unsupported format version {}", p.raw.version.value),
                "write `version: 1`",
            );
        }
        for (pi, policy) in p.raw.policies.iter().enumerate() {
            let name = &policy.name.value;
            if !valid_name(name) {
                rep(parsed, fi, out).at(
                    policy.name.referenced,
                    format!("policies[{pi}].name"),
                    format!("invalid policy name `{name}`"),
                    "use letters, digits, `_`, `-` and `.` only, starting with a letter or digit",
                );
            }
            if let Some(first) = by_name.get(name) {
                let first_loc = first.raw.name.referenced;
                let first_file = parsed[first.file].name.display().to_string();
                rep(parsed, fi, out).at(
                    policy.name.referenced,
                    format!("policies[{pi}].name"),
                    format!(
                        "policy `{name}` is already defined at {first_file}:{}:{}",
                        first_loc.line(),
                        first_loc.column()
                    ),
                    "rename one of the two policies",
                );
            } else {
                by_name.insert(
                    name.clone(),
                    Entry {
                        file: fi,
                        index: pi,
                        raw: policy,
                    },
                );
            }
        }
        if let Some(routes) = &p.raw.routes {
            match routes_file {
                Some(first) => rep(parsed, fi, out).at(
                    routes.referenced,
                    "routes",
                    format!(
                        "routes are already defined in {}; the order of routes across files would be ambiguous",
                        parsed[first].name.display()
                    ),
                    "keep every route in one file",
                ),
                None => routes_file = Some(fi),
            }
        }
        if let Some(d) = &p.raw.default_policy {
            match default_decl {
                Some((first, _)) => rep(parsed, fi, out).at(
                    d.referenced,
                    "default_policy",
                    format!(
                        "`default_policy` is already set in {}",
                        parsed[first].name.display()
                    ),
                    "set `default_policy` in one file only",
                ),
                None => default_decl = Some((fi, d)),
            }
        }
    }
    let names: Vec<&str> = by_name.keys().map(String::as_str).collect();

    // `extends`: unknown targets and cycles.
    let mut chains: BTreeMap<&str, Vec<&Entry<'_>>> = BTreeMap::new();
    let mut broken: BTreeSet<&str> = BTreeSet::new();
    for (name, entry) in &by_name {
        let mut chain: Vec<&Entry<'_>> = vec![entry];
        let mut seen: Vec<&str> = vec![name.as_str()];
        let mut cur = entry;
        while let Some(ext) = &cur.raw.extends {
            let target = ext.value.as_str();
            let Some(next) = by_name.get(target) else {
                if cur.raw.name.value == *name && complete {
                    rep(parsed, cur.file, out).at(
                        ext.referenced,
                        format!("{}.extends", cur.field()),
                        format!("`extends` names unknown policy `{target}`"),
                        suggestion_fix(target, "policy name", names.iter().copied()),
                    );
                }
                broken.insert(name.as_str());
                break;
            };
            if let Some(pos) = seen.iter().position(|s| *s == target) {
                // Reported once per cycle, at the `extends` of its alphabetically first policy.
                let smallest = seen.iter().min().copied() == Some(name.as_str());
                if pos == 0
                    && smallest
                    && let Some(own_ext) = &entry.raw.extends
                {
                    let cycle = seen
                        .iter()
                        .chain(std::iter::once(&target))
                        .copied()
                        .collect::<Vec<_>>()
                        .join(" -> ");
                    rep(parsed, entry.file, out).at(
                        own_ext.referenced,
                        format!("{}.extends", entry.field()),
                        format!("`extends` forms a cycle: {cycle}"),
                        "remove `extends` from one policy of the cycle",
                    );
                }
                broken.insert(name.as_str());
                break;
            }
            seen.push(target);
            chain.push(next);
            cur = next;
        }
        chains.insert(name.as_str(), chain);
    }

    // Compile each policy whose chain is sound.
    let mut policies: BTreeMap<String, Arc<Policy>> = BTreeMap::new();
    for (name, chain) in &chains {
        if broken.contains(name) {
            continue;
        }
        if let Some(p) = compile_policy(parsed, chain, &version, catalog, out) {
            policies.insert((*name).to_owned(), Arc::new(p));
        }
    }
    let policy_names: Vec<&str> = names.clone();
    let lookup = |name: &Spanned<String>,
                  file: usize,
                  field: String,
                  out: &mut Vec<Diagnostic>|
     -> Option<Arc<Policy>> {
        if let Some(p) = policies.get(&name.value) {
            return Some(Arc::clone(p));
        }
        if complete && !by_name.contains_key(&name.value) {
            rep(parsed, file, out).at(
                name.referenced,
                field,
                format!("unknown policy `{}`", name.value),
                suggestion_fix(&name.value, "policy name", policy_names.iter().copied()),
            );
        }
        None
    };

    // Routes.
    let mut routes = Vec::new();
    if let Some(fi) = routes_file
        && let Some(raw_routes) = &parsed[fi].raw.routes
    {
        for (ri, r) in raw_routes.value.iter().enumerate() {
            let field = format!("routes[{ri}]");
            let policy = lookup(&r.policy, fi, format!("{field}.policy"), out);
            let m = &r.matches;
            if m.path.is_none()
                && m.model.is_none()
                && m.api_key_sha256.is_none()
                && m.header.is_none()
            {
                rep(parsed, fi, out).at(
                    r.policy.referenced,
                    format!("{field}.match"),
                    "route has no condition and would match every request",
                    "add `path`, `model`, `api_key_sha256` or `header` under `match`, or use `default_policy` for the fallback",
                );
            }
            let path = m
                .path
                .as_ref()
                .and_then(|g| glob(g, parsed, fi, format!("{field}.match.path"), out));
            let model = m
                .model
                .as_ref()
                .and_then(|g| glob(g, parsed, fi, format!("{field}.match.model"), out));
            let key = m.api_key_sha256.as_ref().and_then(|k| {
                let v = k.value.trim();
                if v.len() == 64 && v.chars().all(|c| c.is_ascii_hexdigit()) {
                    Some(v.to_ascii_lowercase())
                } else {
                    rep(parsed, fi, out).at(
                        k.referenced,
                        format!("{field}.match.api_key_sha256"),
                        "not a SHA-256 hex digest (64 hex digits); API keys must never be written in plain text",
                        "replace it with the key's SHA-256, as printed by `warden policy explain DIR --path / --api-key KEY` or `printf %s KEY | sha256sum`",
                    );
                    None
                }
            });
            let header = m.header.as_ref().and_then(|h| {
                let name = h.name.value.trim().to_ascii_lowercase();
                let valid = http::HeaderName::from_bytes(name.as_bytes()).is_ok();
                if !valid {
                    rep(parsed, fi, out).at(
                        h.name.referenced,
                        format!("{field}.match.header.name"),
                        format!("`{}` is not a valid HTTP header name", h.name.value),
                        "use a header name made of letters, digits and `-`, such as `x-team`",
                    );
                }
                let g = glob(
                    &h.value,
                    parsed,
                    fi,
                    format!("{field}.match.header.value"),
                    out,
                )?;
                valid.then_some((name, g))
            });
            if let Some(policy) = policy {
                routes.push(Route {
                    name: r.name.clone(),
                    path,
                    model,
                    api_key_sha256: key,
                    header,
                    policy,
                    source: format!(
                        "{}:{}",
                        parsed[fi].name.display(),
                        r.policy.referenced.line()
                    ),
                });
            }
        }
    }

    // Default policy.
    let default_policy = match default_decl {
        Some((fi, d)) => lookup(d, fi, "default_policy".to_owned(), out),
        None => {
            if let Some(p) = policies.get("default") {
                Some(Arc::clone(p))
            } else if by_name.len() == 1 {
                policies.values().next().cloned()
            } else if by_name.contains_key("default") || !complete {
                None
            } else {
                let fi = routes_file.unwrap_or(0);
                out.push(Diagnostic {
                    file: parsed.get(fi).map(|p| p.name.clone()).unwrap_or_default(),
                    line: 1,
                    column: 1,
                    field: "default_policy".to_owned(),
                    message: if by_name.is_empty() {
                        "the directory defines no policy".to_owned()
                    } else {
                        "no default policy: requests that match no route need one".to_owned()
                    },
                    fix: if by_name.is_empty() {
                        "add a policy under `policies:`".to_owned()
                    } else {
                        format!(
                            "add `default_policy: <name>` (one of: {}) or name a policy `default`",
                            names.join(", ")
                        )
                    },
                });
                None
            }
        }
    };

    // Tests.
    let mut tests = Vec::new();
    for (fi, p) in parsed.iter().enumerate() {
        for (ti, t) in p.raw.tests.iter().enumerate() {
            let field = format!("tests[{ti}]");
            let policy = lookup(&t.policy, fi, format!("{field}.policy"), out);
            let sample = match (&t.prompt, &t.response, &t.code) {
                (Some(prompt), None, None) => Some(TestSample::Prompt(prompt.clone())),
                (prompt, Some(response), None) => Some(TestSample::Response {
                    prompt: prompt.clone(),
                    response: response.clone(),
                }),
                (None, None, Some(code)) => match &t.language {
                    Some(language) => {
                        let lang = language.to_ascii_lowercase();
                        if !catalog.languages.is_empty() && !catalog.languages.contains(&lang) {
                            rep(parsed, fi, out).at(
                                t.name.referenced,
                                format!("{field}.language"),
                                format!("unknown language `{language}`"),
                                suggestion_fix(
                                    &lang,
                                    "language",
                                    catalog.languages.iter().map(String::as_str),
                                ),
                            );
                        }
                        Some(TestSample::Code {
                            code: code.clone(),
                            language: lang,
                        })
                    }
                    None => {
                        rep(parsed, fi, out).at(
                            t.name.referenced,
                            format!("{field}.language"),
                            "a `code` test needs the code's language",
                            "add `language:`, such as `language: python`",
                        );
                        None
                    }
                },
                _ => {
                    rep(parsed, fi, out).at(
                        t.name.referenced,
                        field.clone(),
                        "a test needs exactly one of `prompt`, `response` (optionally with `prompt`) or `code`",
                        "keep one sample per test; split it into several tests",
                    );
                    None
                }
            };
            if let (Some(policy), Some(sample)) = (policy, sample) {
                let hits = t.hits.clone().unwrap_or_default();
                let mut ok = true;
                let rules = catalog.rule_ids.iter().map(String::as_str);
                let known: Vec<&str> = match sample {
                    TestSample::Code { .. } => rules.collect(),
                    // Prompts and responses are judged and scanned: either kind may hit.
                    _ => policy
                        .guard
                        .categories
                        .iter()
                        .map(|c| c.id.as_str())
                        .chain(rules)
                        .collect(),
                };
                for hit in &hits {
                    if !known.contains(&hit.as_str()) {
                        ok = false;
                        let (what, message) = match sample {
                            TestSample::Code { .. } => (
                                "rule id",
                                format!("`{hit}` is not a known code-scan rule id"),
                            ),
                            _ => (
                                "category or rule id",
                                format!(
                                    "`{hit}` is neither an active category of policy `{}` nor a code-scan rule id",
                                    policy.name
                                ),
                            ),
                        };
                        rep(parsed, fi, out).at(
                            t.name.referenced,
                            format!("{field}.hits"),
                            message,
                            suggestion_fix(hit, what, known.iter().copied()),
                        );
                    }
                }
                if ok {
                    tests.push(PolicyTest {
                        name: t.name.value.clone(),
                        policy,
                        sample,
                        expect: match t.expect {
                            RawExpect::Allow => Action::Allow,
                            RawExpect::Log => Action::Log,
                            RawExpect::Warn => Action::Warn,
                            RawExpect::Block => Action::Block,
                        },
                        hits,
                        source: format!("{}:{}", p.name.display(), t.name.referenced.line()),
                    });
                }
            }
        }
    }

    let default_policy = default_policy?;
    Some(PolicySet {
        version,
        policies,
        routes,
        default_policy,
        tests,
        files: parsed.iter().map(|p| p.name.clone()).collect(),
    })
}

fn valid_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn glob(
    g: &Spanned<String>,
    parsed: &[Parsed],
    fi: usize,
    field: String,
    out: &mut Vec<Diagnostic>,
) -> Option<Glob> {
    match GlobBuilder::new(&g.value).literal_separator(false).build() {
        Ok(compiled) => Some(Glob {
            pattern: g.value.clone(),
            matcher: compiled.compile_matcher(),
        }),
        Err(e) => {
            rep(parsed, fi, out).at(
                g.referenced,
                field,
                format!("invalid glob `{}`: {}", g.value, e.kind()),
                "fix the pattern: `*` matches any text, `?` one character, `[abc]` a set, `{a,b}` alternatives",
            );
            None
        }
    }
}

/// Content hash of the sources: SHA-256 over names and texts in name order, first 12 hex digits.
pub(crate) fn content_hash(sources: &[PolicySource]) -> String {
    let mut sorted: Vec<&PolicySource> = sources.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut h = Sha256::new();
    for s in sorted {
        h.update(s.name.to_string_lossy().as_bytes());
        h.update([0]);
        h.update(s.text.as_bytes());
        h.update([0]);
    }
    let mut hex = hex::encode(h.finalize());
    hex.truncate(12);
    hex
}

fn template_of(raw: RawTemplate) -> Template {
    match raw {
        RawTemplate::Lg1 => Template::Lg1,
        RawTemplate::Lg2 => Template::Lg2,
        RawTemplate::Lg3_8b => Template::Lg3_8b,
        RawTemplate::Lg3_1b => Template::Lg3_1b,
    }
}

fn rule_action(raw: RawRuleAction) -> RuleAction {
    match raw {
        RawRuleAction::Block => RuleAction::Block,
        RawRuleAction::Warn => RuleAction::Warn,
        RawRuleAction::Log => RuleAction::Log,
        RawRuleAction::Off => RuleAction::Off,
    }
}

/// The first value set along the chain (nearest policy first), with its file.
fn first<'a, T>(
    chain: &[&'a Entry<'a>],
    get: impl Fn(&'a RawPolicy) -> Option<T>,
) -> Option<(usize, T)> {
    chain.iter().find_map(|e| get(e.raw).map(|v| (e.file, v)))
}

fn check_threshold(t: &Spanned<f32>, rep: &mut Reporter<'_>, field: String) -> bool {
    if t.value.is_finite() && (0.0..=1.0).contains(&t.value) {
        true
    } else {
        rep.at(
            t.referenced,
            field,
            format!("threshold {} is outside 0..1", t.value),
            "use a score between 0 and 1, such as 0.5",
        );
        false
    }
}

fn compile_policy(
    parsed: &[Parsed],
    chain: &[&Entry<'_>],
    version: &str,
    catalog: &ScanCatalog,
    out: &mut Vec<Diagnostic>,
) -> Option<Policy> {
    let own = chain[0];
    let name = own.raw.name.value.clone();
    let errors_before = out.len();
    let pfield = own.field();

    // Guard: template, custom categories (parents first, nearer ones replace by id), rules.
    let template = first(chain, |p| p.guard.as_ref()?.template)
        .map(|(_, t)| template_of(t))
        .unwrap_or_default();
    let base = template.default_taxonomy();
    let mut customs: Vec<(usize, &RawCustomCategory)> = Vec::new();
    for e in chain.iter().rev() {
        let Some(list) = e
            .raw
            .guard
            .as_ref()
            .and_then(|g| g.custom_categories.as_ref())
        else {
            continue;
        };
        let mut seen_here: BTreeMap<&str, Location> = BTreeMap::new();
        for (ci, c) in list.iter().enumerate() {
            let id = c.id.value.as_str();
            let field = format!("{}.guard.custom_categories[{ci}]", e.field());
            if let Some(prev) = seen_here.insert(id, c.id.referenced) {
                rep(parsed, e.file, out).at(
                    c.id.referenced,
                    format!("{field}.id"),
                    format!(
                        "custom category `{id}` is already defined at line {}",
                        prev.line()
                    ),
                    "give each custom category its own id",
                );
                continue;
            }
            if std::ptr::eq(e.raw, own.raw) {
                check_custom(c, &base, &mut rep(parsed, e.file, out), &field);
            }
            match customs.iter_mut().find(|(_, x)| x.id.value == id) {
                Some(slot) => *slot = (e.file, c),
                None => customs.push((e.file, c)),
            }
        }
    }
    // Category keys of this policy's own `categories` must exist.
    let mut valid_ids: Vec<&str> = base.categories.iter().map(|c| c.code.as_str()).collect();
    valid_ids.extend(customs.iter().map(|(_, c)| c.id.value.as_str()));
    let default_threshold = first(chain, |p| p.guard.as_ref()?.default_threshold.clone());
    if let Some(g) = &own.raw.guard {
        if let Some(t) = &g.default_threshold {
            check_threshold(
                t,
                &mut rep(parsed, own.file, out),
                format!("{pfield}.guard.default_threshold"),
            );
        }
        if let Some(cats) = &g.categories {
            let mut keys: Vec<(&Spanned<String>, _)> = cats.iter().collect();
            keys.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
            for (key, rule) in keys {
                let field = format!("{pfield}.guard.categories.{}", key.value);
                if !valid_ids.contains(&key.value.as_str()) {
                    rep(parsed, own.file, out).at(
                        key.referenced,
                        field.clone(),
                        format!(
                            "unknown category `{}` for template {}",
                            key.value,
                            template.as_str()
                        ),
                        by_name(&key.value, &base, &customs).unwrap_or_else(|| {
                            suggestion_fix(&key.value, "category id", valid_ids.iter().copied())
                        }),
                    );
                }
                if let Some(t) = &rule.threshold {
                    check_threshold(
                        t,
                        &mut rep(parsed, own.file, out),
                        format!("{field}.threshold"),
                    );
                }
            }
        }
    }
    let default_action = first(chain, |p| p.guard.as_ref()?.default_action)
        .map(|(_, a)| rule_action(a))
        .unwrap_or(RuleAction::Block);
    let default_threshold = default_threshold
        .map(|(_, t)| t.value)
        .unwrap_or(DEFAULT_THRESHOLD);
    let cat_setting = |id: &str| {
        let action = first(chain, |p| {
            let cats = p.guard.as_ref()?.categories.as_ref()?;
            cats.iter().find(|(k, _)| k.value == id)?.1.action
        })
        .map(|(_, a)| rule_action(a));
        let threshold = first(chain, |p| {
            let cats = p.guard.as_ref()?.categories.as_ref()?;
            cats.iter()
                .find(|(k, _)| k.value == id)?
                .1
                .threshold
                .as_ref()
                .map(|t| t.value)
        })
        .map(|(_, t)| t);
        (action, threshold)
    };
    let mut rules: Vec<CategoryRule> = Vec::new();
    let mut rendered: Vec<Category> = Vec::new();
    let mut inactive: Vec<String> = Vec::new();
    for c in &base.categories {
        let (action, threshold) = cat_setting(&c.code);
        let action = action.unwrap_or(default_action);
        if action == RuleAction::Off {
            inactive.push(c.code.clone());
            continue;
        }
        rules.push(CategoryRule {
            id: c.code.clone(),
            code: c.code.clone(),
            name: c.name.clone(),
            action,
            threshold: threshold.unwrap_or(default_threshold),
            custom: false,
        });
        rendered.push(c.clone());
    }
    for (i, (_, c)) in customs.iter().enumerate() {
        let code = format!(
            "{}{}",
            template.code_prefix(),
            base.categories.len() + i + 1
        );
        let (action, threshold) = cat_setting(&c.id.value);
        let action = action
            .or(c.action.map(rule_action))
            .unwrap_or(RuleAction::Block);
        if action == RuleAction::Off {
            inactive.push(code);
            continue;
        }
        let threshold = threshold
            .or(c.threshold.as_ref().map(|t| t.value))
            .unwrap_or(default_threshold);
        rules.push(CategoryRule {
            id: c.id.value.clone(),
            code: code.clone(),
            name: c.name.trim().to_owned(),
            action,
            threshold,
            custom: true,
        });
        rendered.push(Category {
            code,
            name: c.name.trim().to_owned(),
            description: c.description.clone(),
        });
    }
    // Only the template's untouched default list keeps the template's exact rendering.
    let taxonomy = if rendered == base.categories {
        base.clone()
    } else {
        Taxonomy {
            template,
            categories: rendered,
        }
    };
    let guard_flag = |get: fn(&crate::raw::RawGuard) -> Option<bool>| {
        first(chain, |p| p.guard.as_ref().and_then(get)).map(|(_, v)| v)
    };
    let guard = GuardPolicy {
        prompts: guard_flag(|g| g.prompts).unwrap_or(true),
        responses: guard_flag(|g| g.responses).unwrap_or(true),
        taxonomy: Arc::new(taxonomy),
        categories: rules,
        inactive,
    };

    // Code.
    if let Some(code) = &own.raw.code {
        for (i, r) in code.disabled_rules.iter().flatten().enumerate() {
            if !catalog.rule_ids.contains(&r.value) {
                rep(parsed, own.file, out).at(
                    r.referenced,
                    format!("{pfield}.code.disabled_rules[{i}]"),
                    format!("unknown code-scan rule `{}`", r.value),
                    suggestion_fix(
                        &r.value,
                        "rule id",
                        catalog.rule_ids.iter().map(String::as_str),
                    ),
                );
            }
        }
        if !catalog.languages.is_empty() {
            for (i, l) in code.languages.iter().flatten().enumerate() {
                if !catalog.languages.contains(&l.value.to_ascii_lowercase()) {
                    rep(parsed, own.file, out).at(
                        l.referenced,
                        format!("{pfield}.code.languages[{i}]"),
                        format!("unknown language `{}`", l.value),
                        suggestion_fix(
                            &l.value.to_ascii_lowercase(),
                            "language",
                            catalog.languages.iter().map(String::as_str),
                        ),
                    );
                }
            }
        }
    }
    let code_flag = |get: fn(&crate::raw::RawCode) -> Option<bool>| {
        first(chain, |p| p.code.as_ref().and_then(get)).map(|(_, v)| v)
    };
    let sev = |get: fn(&crate::raw::RawSeverityActions) -> Option<RawRuleAction>| {
        first(chain, |p| {
            p.code.as_ref()?.severity_actions.as_ref().and_then(get)
        })
        .map(|(_, a)| rule_action(a))
    };
    let code = CodePolicy {
        prompts: code_flag(|c| c.prompts).unwrap_or(false),
        responses: code_flag(|c| c.responses).unwrap_or(true),
        languages: first(chain, |p| p.code.as_ref()?.languages.as_ref()).map(|(_, ls)| {
            ls.iter()
                .map(|l| l.value.to_ascii_lowercase())
                .collect::<BTreeSet<_>>()
        }),
        disabled_rules: first(chain, |p| p.code.as_ref()?.disabled_rules.as_ref())
            .map(|(_, rs)| rs.iter().map(|r| r.value.clone()).collect())
            .unwrap_or_default(),
        on_error: sev(|s| s.error).unwrap_or(RuleAction::Block),
        on_warning: sev(|s| s.warning).unwrap_or(RuleAction::Warn),
        on_info: sev(|s| s.info).unwrap_or(RuleAction::Log),
    };

    // Streaming.
    let mode = first(chain, |p| p.streaming.as_ref()?.mode)
        .map(|(_, m)| m)
        .unwrap_or(RawStreamMode::Window);
    let window = first(chain, |p| p.streaming.as_ref()?.window_chars.clone());
    let overlap = first(chain, |p| p.streaming.as_ref()?.overlap_chars.clone());
    let first_window = first(chain, |p| p.streaming.as_ref()?.first_window_chars.clone());
    let streaming = match mode {
        RawStreamMode::Buffer => StreamingMode::Buffer,
        RawStreamMode::Window | RawStreamMode::Async => {
            let size = window
                .as_ref()
                .map_or(DEFAULT_WINDOW_CHARS, |(_, w)| w.value);
            let ov = overlap
                .as_ref()
                .map_or(DEFAULT_OVERLAP_CHARS, |(_, o)| o.value);
            if let Some((fi, w)) = &window
                && w.value == 0
            {
                rep(parsed, *fi, out).at(
                    w.referenced,
                    format!("{pfield}.streaming.window_chars"),
                    "window_chars must be at least 1",
                    "use a window of a few hundred characters, such as 1000",
                );
            } else if ov >= size {
                let (fi, loc, field) = match (&overlap, &window) {
                    (Some((fi, o)), _) => (*fi, o.referenced, "overlap_chars"),
                    (None, Some((fi, w))) => (*fi, w.referenced, "window_chars"),
                    (None, None) => (own.file, own.raw.name.referenced, "overlap_chars"),
                };
                rep(parsed, fi, out).at(
                    loc,
                    format!("{pfield}.streaming.{field}"),
                    format!("overlap_chars ({ov}) must be smaller than window_chars ({size})"),
                    "lower overlap_chars or raise window_chars",
                );
            }
            let first_chars = match &first_window {
                Some((fi, f)) if f.value == 0 => {
                    rep(parsed, *fi, out).at(
                        f.referenced,
                        format!("{pfield}.streaming.first_window_chars"),
                        "first_window_chars must be at least 1",
                        "use a first window of about 128 characters",
                    );
                    size
                }
                Some((fi, f)) if size > 0 && f.value > size => {
                    rep(parsed, *fi, out).at(
                        f.referenced,
                        format!("{pfield}.streaming.first_window_chars"),
                        format!(
                            "first_window_chars ({}) must not exceed window_chars ({size})",
                            f.value
                        ),
                        "lower first_window_chars or raise window_chars (equal to window_chars: one \
                         check per full window)",
                    );
                    size
                }
                Some((_, f)) => f.value,
                None => DEFAULT_FIRST_WINDOW_CHARS.min(size),
            };
            let (first, size, overlap) = (first_chars as usize, size as usize, ov as usize);
            if mode == RawStreamMode::Async {
                StreamingMode::Async {
                    first,
                    size,
                    overlap,
                }
            } else {
                StreamingMode::Window {
                    first,
                    size,
                    overlap,
                }
            }
        }
    };

    // Failure.
    let fail_mode = match first(chain, |p| p.failure.as_ref()?.mode).map(|(_, m)| m) {
        Some(RawFailMode::Open) => FailMode::Open,
        _ => FailMode::Closed,
    };
    let timeout = first(chain, |p| p.failure.as_ref()?.guard_timeout_ms.clone());
    let timeout_ms = match &timeout {
        Some((fi, t)) if t.value == 0 || t.value > MAX_GUARD_TIMEOUT_MS => {
            if *fi == own.file
                && own
                    .raw
                    .failure
                    .as_ref()
                    .and_then(|f| f.guard_timeout_ms.as_ref())
                    .is_some()
            {
                rep(parsed, *fi, out).at(
                    t.referenced,
                    format!("{pfield}.failure.guard_timeout_ms"),
                    format!(
                        "guard_timeout_ms {} is outside 1..={MAX_GUARD_TIMEOUT_MS}",
                        t.value
                    ),
                    "use a timeout in milliseconds such as 5000",
                );
            }
            DEFAULT_GUARD_TIMEOUT_MS
        }
        Some((_, t)) => t.value,
        None => DEFAULT_GUARD_TIMEOUT_MS,
    };

    // Block response.
    let status = first(chain, |p| p.block_response.as_ref()?.status.clone());
    if let Some(s) = own
        .raw
        .block_response
        .as_ref()
        .and_then(|b| b.status.as_ref())
        && !(400..=599).contains(&s.value)
    {
        rep(parsed, own.file, out).at(
            s.referenced,
            format!("{pfield}.block_response.status"),
            format!("status {} is not an HTTP error status", s.value),
            "use a 4xx or 5xx status, such as 400 or 403",
        );
    }
    let block_response = BlockResponse {
        status: status
            .map(|(_, s)| s.value)
            .filter(|s| (400..=599).contains(s))
            .unwrap_or(DEFAULT_BLOCK_STATUS),
        message: first(chain, |p| p.block_response.as_ref()?.message.clone())
            .map(|(_, m)| m)
            .unwrap_or_else(|| DEFAULT_BLOCK_MESSAGE.to_owned()),
    };

    let mode = match first(chain, |p| p.mode).map(|(_, m)| m) {
        Some(RawMode::Monitor) => Mode::Monitor,
        _ => Mode::Enforce,
    };
    let injection = compile_injection(
        parsed,
        chain,
        mode,
        fail_mode,
        Duration::from_millis(timeout_ms),
        out,
    );
    if out.len() > errors_before {
        return None;
    }
    Some(Policy {
        id: Arc::from(format!("{name}@{version}")),
        name,
        description: first(chain, |p| p.description.clone()).map(|(_, d)| d),
        mode,
        guard,
        code,
        streaming,
        fail_mode,
        guard_timeout: Duration::from_millis(timeout_ms),
        block_response,
        audit_content: first(chain, |p| p.audit.as_ref()?.include_content).is_some_and(|(_, v)| v),
        injection,
        source: parsed[own.file].name.display().to_string(),
        extends: chain[1..]
            .iter()
            .map(|e| e.raw.name.value.clone())
            .collect(),
    })
}

/// A fix for a category written by its name (`Hate`) instead of its code (`S9`).
/// The `injection:` section along the `extends` chain: flags and label rules inherit per
/// field (labels merge per key, like guard categories); mode and failure default to the
/// policy's own.
fn compile_injection(
    parsed: &[Parsed],
    chain: &[&Entry<'_>],
    policy_mode: Mode,
    policy_fail: FailMode,
    policy_timeout: Duration,
    out: &mut Vec<Diagnostic>,
) -> InjectionPolicy {
    let own = chain[0];
    let pfield = own.field();
    if let Some(inj) = &own.raw.injection {
        if let Some(t) = &inj.default_threshold {
            check_threshold(
                t,
                &mut rep(parsed, own.file, out),
                format!("{pfield}.injection.default_threshold"),
            );
        }
        if let Some(labels) = &inj.labels {
            let mut keys: Vec<(&Spanned<String>, _)> = labels.iter().collect();
            keys.sort_by_key(|(k, _)| (k.referenced.line(), k.referenced.column()));
            for (key, rule) in keys {
                let field = format!("{pfield}.injection.labels.{}", key.value);
                if !INJECTION_LABELS.contains(&key.value.as_str()) {
                    let lower = key.value.to_ascii_lowercase();
                    rep(parsed, own.file, out).at(
                        key.referenced,
                        field.clone(),
                        format!("unknown injection label `{}`", key.value),
                        if INJECTION_LABELS.contains(&lower.as_str()) {
                            format!("labels are lower case: write `{lower}`")
                        } else if lower == "benign" {
                            "`benign` is what passes; set thresholds on `jailbreak`, `injection` \
                             (Prompt Guard 1) or `malicious` (Prompt Guard 2)"
                                .to_owned()
                        } else {
                            suggestion_fix(&key.value, "label", INJECTION_LABELS.iter().copied())
                        },
                    );
                }
                if let Some(t) = &rule.threshold {
                    check_threshold(
                        t,
                        &mut rep(parsed, own.file, out),
                        format!("{field}.threshold"),
                    );
                }
            }
        }
        if let Some(t) = inj.failure.as_ref().and_then(|f| f.timeout_ms.as_ref())
            && (t.value == 0 || t.value > MAX_GUARD_TIMEOUT_MS)
        {
            rep(parsed, own.file, out).at(
                t.referenced,
                format!("{pfield}.injection.failure.timeout_ms"),
                format!(
                    "timeout_ms {} is outside 1..={MAX_GUARD_TIMEOUT_MS}",
                    t.value
                ),
                "use a timeout in milliseconds such as 1000",
            );
        }
    }
    let flag = |get: fn(&crate::raw::RawInjection) -> Option<bool>| {
        first(chain, |p| p.injection.as_ref().and_then(get)).map(|(_, v)| v)
    };
    let default_action = first(chain, |p| p.injection.as_ref()?.default_action)
        .map(|(_, a)| rule_action(a))
        .unwrap_or(RuleAction::Block);
    let default_threshold = first(chain, |p| {
        p.injection
            .as_ref()?
            .default_threshold
            .as_ref()
            .map(|t| t.value)
    })
    .map_or(DEFAULT_THRESHOLD, |(_, t)| t);
    let labels = INJECTION_LABELS
        .iter()
        .map(|&label| {
            let rule = |p: &RawPolicy| {
                p.injection
                    .as_ref()?
                    .labels
                    .as_ref()?
                    .iter()
                    .find(|(k, _)| k.value == label)
                    .map(|(_, r)| r.clone())
            };
            let action = first(chain, |p| rule(p)?.action).map(|(_, a)| rule_action(a));
            let threshold = first(chain, |p| rule(p)?.threshold.map(|t| t.value)).map(|(_, t)| t);
            LabelRule {
                label: label.to_owned(),
                action: action.unwrap_or(default_action),
                threshold: threshold.unwrap_or(default_threshold),
            }
        })
        .collect();
    let mode = match (policy_mode, first(chain, |p| p.injection.as_ref()?.mode)) {
        (Mode::Monitor, _) | (_, Some((_, RawMode::Monitor))) => Mode::Monitor,
        _ => Mode::Enforce,
    };
    let fail_mode = match first(chain, |p| p.injection.as_ref()?.failure.as_ref()?.mode) {
        Some((_, RawFailMode::Open)) => FailMode::Open,
        Some((_, RawFailMode::Closed)) => FailMode::Closed,
        None => policy_fail,
    };
    let timeout = first(chain, |p| {
        p.injection
            .as_ref()?
            .failure
            .as_ref()?
            .timeout_ms
            .as_ref()
            .map(|t| t.value)
    })
    .map(|(_, t)| t)
    .filter(|t| (1..=MAX_GUARD_TIMEOUT_MS).contains(t))
    .map_or(policy_timeout, Duration::from_millis);
    InjectionPolicy {
        user_prompts: flag(|i| i.user_prompts).unwrap_or(true),
        system_prompts: flag(|i| i.system_prompts).unwrap_or(false),
        tool_results: flag(|i| i.tool_results).unwrap_or(true),
        documents: flag(|i| i.documents).unwrap_or(true),
        history: flag(|i| i.history).unwrap_or(true),
        labels,
        mode,
        fail_mode,
        timeout,
    }
}

fn by_name(key: &str, base: &Taxonomy, customs: &[(usize, &RawCustomCategory)]) -> Option<String> {
    let wanted = key.trim().to_lowercase();
    base.categories
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .chain(
            customs
                .iter()
                .map(|(_, c)| (c.id.value.as_str(), c.name.as_str())),
        )
        .find(|(_, name)| name.trim().to_lowercase() == wanted)
        .map(|(code, name)| format!("categories are keyed by code: write `{code}` for {name}"))
}

fn check_custom(c: &RawCustomCategory, base: &Taxonomy, rep: &mut Reporter<'_>, field: &str) {
    let id = &c.id.value;
    if id.is_empty()
        || !id
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        rep.at(
            c.id.referenced,
            format!("{field}.id"),
            format!("invalid custom category id `{id}`"),
            "use letters, digits, `_` and `-` only, such as `financial_advice`",
        );
    } else if base
        .categories
        .iter()
        .any(|b| b.code.eq_ignore_ascii_case(id))
    {
        rep.at(
            c.id.referenced,
            format!("{field}.id"),
            format!("custom category id `{id}` collides with the template's category code"),
            "choose a descriptive id, such as `financial_advice`",
        );
    }
    let name = c.name.trim();
    if name.is_empty() || name.contains(['\n', '\r']) {
        rep.at(
            c.id.referenced,
            format!("{field}.name"),
            "a custom category needs a one-line `name`",
            "write a short one-line name; put longer text in `description`",
        );
    }
    if let Some(t) = &c.threshold {
        check_threshold(t, rep, format!("{field}.threshold"));
    }
}

/// Reads the policy files of a directory (`*.yaml`, `*.yml`; hidden files and editor
/// backups skipped), in name order.
pub fn read_dir_sources(dir: &std::path::Path) -> std::io::Result<Vec<PolicySource>> {
    let mut sources = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !is_policy_file_name(name) {
            continue;
        }
        // Follows symlinks (mounted ConfigMaps); a file renamed away meanwhile is skipped, and
        // the watcher reloads again for the rename.
        let text = match std::fs::metadata(entry.path()) {
            Ok(meta) if meta.is_file() => match std::fs::read_to_string(entry.path()) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e),
            },
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        sources.push(PolicySource {
            name: PathBuf::from(name),
            text,
        });
    }
    sources.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(sources)
}

/// Whether a file name is a policy file (and not an editor's temp or backup file).
pub fn is_policy_file_name(name: &str) -> bool {
    !name.starts_with('.')
        && !name.starts_with('#')
        && !name.ends_with('~')
        && (name.ends_with(".yaml") || name.ends_with(".yml"))
}
