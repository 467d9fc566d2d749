//! `warden eval`: replays labelled conversations (JSONL, CSV) or the gateway's audit log
//! through a policy set with the gateway's own check stage ([`Checker`]: the guard, the code
//! scanner and the policy's decision), and reports confusion counts, precision and recall
//! per category and overall, a threshold sweep and precision-recall curves; `--compare` runs
//! a second policy set on the same items.
//!
//! What counts as a prediction: overall, an item is positive when the policy's *intended*
//! action is `block` (monitor mode is judged as if it enforced); per category, when the
//! category fired (any action but `off`). The sweep and the curves ask what the same
//! verdicts would give with every category's threshold set to `t`. That needs no second
//! decision engine: a category's lowest firing threshold is the verdict's score when the
//! policy's own `decide_guard` fires it at threshold 0, and never otherwise, since every
//! category of a uniform threshold fires together at `score >= t` (see
//! `eligible_matches_decide_guard_at_every_threshold`).
//!
//! The one non-obvious choice: each policy's guard timeout is lifted to ten minutes for the
//! replay. Eval measures what the guard and the policy decide, not the latency of this
//! machine; a timed-out check would score the fail mode instead of the guard.

pub mod data;
pub mod metrics;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::Serialize;
use warden_code_scan::Scanner;
use warden_guard_model::{Classifier, Verdict};
use warden_policies::{Action, Decision, Policy, PolicySet, ScanCatalog};

use crate::guard::{Checker, Stage};
use crate::metrics::Metrics;
use data::{Dataset, Format, Item, LineError};
use metrics::{Confusion, PrCurve, Rates, Scored, SweepRow};

/// The guard timeout during a replay (module doc).
const REPLAY_GUARD_TIMEOUT: Duration = Duration::from_secs(600);

/// `warden eval` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    /// The policy directory to evaluate.
    #[arg(long)]
    pub policies: PathBuf,
    /// Guard model: a directory, a .gguf file or an `hf:` id.
    #[arg(long)]
    pub guard_model: String,
    /// Labelled data: JSON lines, CSV (text,expected[,categories]) or an audit log.
    #[arg(long)]
    pub data: PathBuf,
    /// Input format; `auto` reads .csv as CSV and tells an audit log by its first line.
    #[arg(long, value_enum, default_value = "auto")]
    pub format: Format,
    /// Judge every item with this policy (default: an audit line's policy where the set has
    /// it, else the set's default policy).
    #[arg(long)]
    pub policy: Option<String>,
    /// A second policy directory, judged on the same items and shown side by side.
    #[arg(long)]
    pub compare: Option<PathBuf>,
    /// Write a self-contained report: `.html` (tables and one PR curve per category) or
    /// `.svg` (the curves only).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Print the results as one JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Device for the guard model: cpu or cuda[:N].
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Items judged at once (the in-process guard batches them).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// What stops an evaluation before it can report.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(transparent)]
    Policies(#[from] warden_policies::PolicyLoadError),
    #[error("cannot read {}: {source}; check the --data path", path.display())]
    Data {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("policy {name:?} is not in {}; it has {known}. Fix: pass one of them to --policy", dir.display())]
    UnknownPolicy {
        name: String,
        dir: PathBuf,
        known: String,
    },
    #[error("guard model {spec}: {reason}")]
    Guard { spec: String, reason: String },
    #[error("code scanner: {0}")]
    Scanner(String),
    #[error("no item of {} could be evaluated ({failed} failed, {skipped} skipped)", path.display())]
    NoItems {
        path: PathBuf,
        failed: usize,
        skipped: usize,
    },
    #[error("writing the report {}: {source}", path.display())]
    Report {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("writing the output: {0}")]
    Output(#[from] std::io::Error),
}

/// One policy set's judgement of one item.
#[derive(Debug, Clone, Serialize)]
pub struct Judged {
    /// `name@version` of the policy that judged it.
    pub policy: String,
    pub action: Action,
    /// Category ids that fired.
    pub categories: Vec<String>,
    /// The guard's unsafe score, when it judged.
    pub score: Option<f32>,
    /// Why the guard gave no verdict, when it did not.
    pub guard_error: Option<String>,
    /// Code rule ids that fired.
    pub rules: Vec<String>,
    /// Category id -> lowest threshold at which it fires (categories that cannot fire are
    /// absent).
    #[serde(skip)]
    fires_from: BTreeMap<String, f32>,
    /// Lowest threshold at which the whole decision blocks.
    #[serde(skip)]
    blocks_from: f32,
}

impl Judged {
    /// `block [S8]`, `allow`.
    pub fn describe(&self) -> String {
        if self.categories.is_empty() && self.rules.is_empty() {
            return self.action.as_str().to_owned();
        }
        let hits: Vec<&str> = self
            .categories
            .iter()
            .chain(&self.rules)
            .map(String::as_str)
            .collect();
        format!("{} [{}]", self.action, hits.join(","))
    }
}

/// The counts, rates, sweep and curve of one column (a category, or overall).
#[derive(Debug, Clone, Serialize)]
pub struct Column {
    /// `overall` or a category id.
    pub name: String,
    /// The category's name in the taxonomy.
    pub title: String,
    /// At the policy's own thresholds: what the gateway decides.
    pub confusion: Confusion,
    pub rates: Rates,
    /// The policy's own thresholds for this column.
    pub policy_thresholds: Vec<f32>,
    pub sweep: Vec<SweepRow>,
    pub curve: PrCurve,
}

/// One policy set's results.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// The policy directory.
    pub policies: String,
    pub version: String,
    pub overall: Column,
    pub categories: Vec<Column>,
    /// Items the guard could not judge (the policy's fail mode decided them).
    pub guard_errors: usize,
    /// Per item, in data order.
    pub judged: Vec<Judged>,
}

/// An item the two policy sets decide differently.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub at: String,
    pub id: Option<String>,
    pub expected: String,
    pub a: String,
    pub b: String,
    /// The judged text, shortened.
    pub text: String,
}

/// Everything `warden eval` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub data: String,
    pub items: usize,
    /// Unsafe items that name no category: counted overall only.
    pub uncategorised: usize,
    pub failed_lines: Vec<LineError>,
    pub skipped: Vec<data::Skipped>,
    pub guard: String,
    pub runs: Vec<Run>,
    /// Items whose decision differs between the two sets (with `--compare`).
    pub differences: Vec<Difference>,
    #[serde(skip)]
    pub item_list: Vec<Item>,
}

/// The binary's entry: loads the guard model, evaluates, prints and writes the report.
pub async fn run(
    args: EvalArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, EvalError> {
    let spec = args.guard_model.clone();
    let device = args.device.clone();
    let guard =
        tokio::task::spawn_blocking(move || crate::guard_loader::load_model(&spec, 1, 0, &device))
            .await
            .map_err(|e| EvalError::Guard {
                spec: args.guard_model.clone(),
                reason: e.to_string(),
            })?
            .map_err(|reason| EvalError::Guard {
                spec: args.guard_model.clone(),
                reason,
            })?;
    run_with_guard(&args, guard, out, err).await
}

/// [`run`] with a loaded guard: the library entry tests drive. Line errors go to `err`,
/// results to `out`; exit 1 when any line failed, 0 otherwise.
pub async fn run_with_guard(
    args: &EvalArgs,
    guard: Arc<dyn Classifier>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<ExitCode, EvalError> {
    let evaluation = evaluate(args, guard).await?;
    for e in &evaluation.failed_lines {
        writeln!(err, "{e}")?;
    }
    if args.json {
        let json = serde_json::to_string_pretty(&evaluation)
            .map_err(|e| EvalError::Output(std::io::Error::other(e)))?;
        writeln!(out, "{json}")?;
    } else {
        report::write_text(&evaluation, out)?;
    }
    if let Some(path) = &args.report {
        let body = if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("svg"))
        {
            report::svg(&evaluation)
        } else {
            report::html(&evaluation)
        };
        std::fs::write(path, body).map_err(|source| EvalError::Report {
            path: path.clone(),
            source,
        })?;
    }
    Ok(if evaluation.failed_lines.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Loads the data and the policy sets, judges every item and computes the results.
pub async fn evaluate(
    args: &EvalArgs,
    guard: Arc<dyn Classifier>,
) -> Result<Evaluation, EvalError> {
    let catalog = ScanCatalog::builtin();
    let mut sets = vec![(
        args.policies.clone(),
        warden_policies::load_dir(&args.policies, &catalog)?,
    )];
    if let Some(dir) = &args.compare {
        sets.push((dir.clone(), warden_policies::load_dir(dir, &catalog)?));
    }
    if let Some(name) = &args.policy {
        for (dir, set) in &sets {
            if set.policy(name).is_none() {
                return Err(EvalError::UnknownPolicy {
                    name: name.clone(),
                    dir: dir.clone(),
                    known: set.policies.keys().cloned().collect::<Vec<_>>().join(", "),
                });
            }
        }
    }
    let mut dataset = data::load(&args.data, args.format).map_err(|source| EvalError::Data {
        path: args.data.clone(),
        source,
    })?;
    let catalog = CategoryCatalog::new(sets.iter().map(|(_, s)| s));
    resolve_categories(&mut dataset, &catalog);
    if dataset.items.is_empty() {
        return Err(EvalError::NoItems {
            path: args.data.clone(),
            failed: dataset.errors.len(),
            skipped: dataset.skipped.len(),
        });
    }
    let scanner = Scanner::builtin().map_err(|e| EvalError::Scanner(e.to_string()))?;
    let concurrency = args.concurrency.max(1);
    let checker = Checker::new(
        Some(Arc::clone(&guard)),
        Arc::new(scanner),
        concurrency,
        Metrics::new(),
    );
    let mut judged_sets = Vec::new();
    for (_, set) in &sets {
        judged_sets.push(
            judge_all(
                &checker,
                set,
                args.policy.as_deref(),
                &dataset.items,
                concurrency,
            )
            .await,
        );
    }
    let columns = column_names(&catalog, &dataset.items, &judged_sets);
    let runs: Vec<Run> = sets
        .iter()
        .zip(judged_sets)
        .map(|((dir, set), judged)| {
            build_run(
                dir,
                set,
                args.policy.as_deref(),
                &dataset.items,
                judged,
                &columns,
                &catalog,
            )
        })
        .collect();
    let differences = match runs.as_slice() {
        [a, b] => differences(&dataset.items, a, b),
        _ => Vec::new(),
    };
    Ok(Evaluation {
        data: args.data.display().to_string(),
        items: dataset.items.len(),
        uncategorised: dataset
            .items
            .iter()
            .filter(|i| i.expected.unsafe_ && i.expected.categories.is_empty())
            .count(),
        failed_lines: dataset.errors,
        skipped: dataset.skipped,
        guard: guard.describe(),
        runs,
        differences,
        item_list: dataset.items,
    })
}

/// Every category id the policy sets know (active or off), by lower-case id or code.
#[derive(Debug, Default)]
struct CategoryCatalog {
    /// lower-case id or code -> id.
    ids: BTreeMap<String, String>,
    /// id -> name.
    names: BTreeMap<String, String>,
}

impl CategoryCatalog {
    fn new<'a>(sets: impl Iterator<Item = &'a PolicySet>) -> CategoryCatalog {
        let mut c = CategoryCatalog::default();
        for set in sets {
            for policy in set.policies.values() {
                for rule in &policy.guard.categories {
                    c.ids.insert(rule.id.to_ascii_lowercase(), rule.id.clone());
                    c.ids
                        .insert(rule.code.to_ascii_lowercase(), rule.id.clone());
                    c.names.insert(rule.id.clone(), rule.name.clone());
                }
                for category in &policy.guard.taxonomy.categories {
                    c.ids
                        .entry(category.code.to_ascii_lowercase())
                        .or_insert_with(|| category.code.clone());
                    c.names
                        .entry(category.code.clone())
                        .or_insert_with(|| category.name.clone());
                }
                for code in &policy.guard.inactive {
                    c.ids
                        .entry(code.to_ascii_lowercase())
                        .or_insert_with(|| code.clone());
                }
            }
        }
        c
    }

    fn resolve(&self, written: &str) -> Option<&String> {
        self.ids.get(&written.to_ascii_lowercase())
    }

    fn known(&self) -> String {
        let ids: BTreeSet<&String> = self.ids.values().collect();
        let mut ids: Vec<&String> = ids.into_iter().collect();
        ids.sort_by_key(|a| natural(a));
        ids.iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Sort key that puts S2 before S10.
fn natural(id: &str) -> (String, u64, String) {
    let digits = id.trim_start_matches(|c: char| !c.is_ascii_digit());
    let prefix = &id[..id.len() - digits.len()];
    let number: String = digits.chars().take_while(char::is_ascii_digit).collect();
    (
        prefix.to_owned(),
        number.parse().unwrap_or(u64::MAX),
        id.to_owned(),
    )
}

/// Rewrites each item's categories to the policies' ids; an unknown one fails its line.
fn resolve_categories(data: &mut Dataset, catalog: &CategoryCatalog) {
    let mut kept = Vec::with_capacity(data.items.len());
    for mut item in std::mem::take(&mut data.items) {
        let mut resolved = Vec::new();
        let mut unknown = None;
        for c in &item.expected.categories {
            match catalog.resolve(c) {
                Some(id) if !resolved.contains(id) => resolved.push(id.clone()),
                Some(_) => {}
                None => {
                    unknown = Some(c.clone());
                    break;
                }
            }
        }
        if let Some(c) = unknown {
            data.errors.push(LineError {
                at: item.at.clone(),
                problem: format!("unknown category {c:?}"),
                fix: format!("use a category the policies know: {}", catalog.known()),
            });
            continue;
        }
        item.expected.categories = resolved;
        kept.push(item);
    }
    data.errors.sort_by_key(|e| (e.at.file.clone(), e.at.line));
    data.items = kept;
}

/// The policy an item is judged with.
fn policy_for(set: &PolicySet, forced: Option<&str>, item: &Item) -> Arc<Policy> {
    forced
        .or(item.policy.as_deref())
        .and_then(|name| set.policy(name))
        .map_or_else(|| Arc::clone(&set.default_policy), Arc::clone)
}

/// The policy as the replay runs it: the guard timeout lifted (module doc).
fn replay_policy(policy: &Policy) -> Policy {
    let mut p = policy.clone();
    p.guard_timeout = REPLAY_GUARD_TIMEOUT;
    p
}

async fn judge_all(
    checker: &Checker,
    set: &PolicySet,
    forced: Option<&str>,
    items: &[Item],
    concurrency: usize,
) -> Vec<Judged> {
    let replay: BTreeMap<String, Arc<Policy>> = set
        .policies
        .iter()
        .map(|(name, p)| (name.clone(), Arc::new(replay_policy(p))))
        .collect();
    let checks = items.iter().map(|item| {
        let policy = policy_for(set, forced, item);
        let policy = replay
            .get(&policy.name)
            .map_or_else(|| Arc::new(replay_policy(&policy)), Arc::clone);
        async move {
            let stage = if item.is_response() {
                Stage::Response
            } else {
                Stage::Prompt
            };
            let report = checker
                .check(
                    &policy,
                    stage,
                    vec![item.turns.clone()],
                    Some(item.judged_text().to_owned()),
                )
                .await;
            judged(
                &policy,
                &report.decision,
                report.verdicts.first(),
                &report.findings,
                report.guard_error.as_ref(),
            )
        }
    });
    futures_util::stream::iter(checks)
        .buffered(concurrency)
        .collect()
        .await
}

/// The policy with every active category's threshold set to `threshold`.
fn at_threshold(policy: &Policy, threshold: f32) -> Policy {
    let mut p = policy.clone();
    for c in &mut p.guard.categories {
        c.threshold = threshold;
    }
    p
}

/// What the policy decides about `verdict` with every category's threshold at `threshold`
/// (the verdict's `is_unsafe` recomputed for it, as the guard would report it).
pub fn decide_at(policy: &Policy, verdict: &Verdict, threshold: f32) -> Decision {
    let mut v = verdict.clone();
    v.is_unsafe = v.unsafe_score >= threshold;
    at_threshold(policy, threshold).decide_guard(&v)
}

fn judged(
    policy: &Policy,
    decision: &Decision,
    verdict: Option<&Verdict>,
    findings: &[warden_code_scan::Finding],
    guard_error: Option<&warden_guard_model::GuardError>,
) -> Judged {
    // What blocks whatever the threshold: code findings and the fail mode.
    let mut fixed = vec![policy.code_action(findings)];
    if let Some(e) = guard_error {
        fixed.push(policy.on_guard_error(e));
    }
    let fixed_blocks = policy.combine(&fixed).intended == Action::Block;
    let (fires_from, guard_blocks) = match verdict {
        Some(v) => {
            let at_zero = decide_at(policy, v, 0.0);
            let fires = at_zero
                .categories
                .iter()
                .map(|c| (c.id.clone(), v.unsafe_score))
                .collect();
            (
                fires,
                (at_zero.intended == Action::Block).then_some(v.unsafe_score),
            )
        }
        None => (BTreeMap::new(), None),
    };
    Judged {
        policy: policy.id.to_string(),
        action: decision.intended,
        categories: decision.categories.iter().map(|c| c.id.clone()).collect(),
        score: verdict.map(|v| v.unsafe_score),
        guard_error: guard_error.map(ToString::to_string),
        rules: decision.rules.clone(),
        fires_from,
        blocks_from: if fixed_blocks {
            f32::INFINITY
        } else {
            guard_blocks.unwrap_or(f32::NEG_INFINITY)
        },
    }
}

/// Categories shown: every one labelled, or fired at the policy's thresholds by either set,
/// in taxonomy order. (Those that would fire only at lower thresholds count overall: a safe
/// verdict's tiny score fires every category at threshold 0.)
fn column_names(catalog: &CategoryCatalog, items: &[Item], judged: &[Vec<Judged>]) -> Vec<String> {
    let mut names: BTreeSet<String> = items
        .iter()
        .flat_map(|i| i.expected.categories.iter().cloned())
        .collect();
    for run in judged {
        for j in run {
            names.extend(j.categories.iter().cloned());
        }
    }
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| catalog.names.contains_key(n) || catalog.resolve(n).is_some())
        .collect();
    names.sort_by_key(|a| natural(a));
    names
}

fn build_run(
    dir: &Path,
    set: &PolicySet,
    forced: Option<&str>,
    items: &[Item],
    judged: Vec<Judged>,
    columns: &[String],
    catalog: &CategoryCatalog,
) -> Run {
    let policies: Vec<Arc<Policy>> = items.iter().map(|i| policy_for(set, forced, i)).collect();
    let thresholds = |pick: &dyn Fn(&Policy) -> Vec<f32>| -> Vec<f32> {
        let mut ts: Vec<f32> = Vec::new();
        for p in &policies {
            for t in pick(p) {
                if !ts.iter().any(|x| (x - t).abs() < 1e-6) {
                    ts.push(t);
                }
            }
        }
        ts.sort_by(f32::total_cmp);
        ts
    };

    let mut overall = Confusion::default();
    let mut overall_scored = Vec::new();
    for (item, j) in items.iter().zip(&judged) {
        overall.add(j.action == Action::Block, item.expected.unsafe_);
        overall_scored.push(Scored {
            score: j.blocks_from,
            positive: item.expected.unsafe_,
        });
    }
    let overall_thresholds = thresholds(&|p: &Policy| {
        p.guard
            .categories
            .iter()
            .filter(|c| c.action.when_hit() == Action::Block)
            .map(|c| c.threshold)
            .collect()
    });
    let overall = column(
        "overall",
        "Overall: the policy blocks",
        overall,
        &overall_scored,
        overall_thresholds,
    );

    let categories = columns
        .iter()
        .map(|name| {
            let mut confusion = Confusion::default();
            let mut scored = Vec::new();
            // An unsafe item that names no category says nothing about any one category.
            for (item, j) in items.iter().zip(&judged) {
                if item.expected.unsafe_ && item.expected.categories.is_empty() {
                    continue;
                }
                let positive = item.expected.categories.contains(name);
                confusion.add(j.categories.contains(name), positive);
                scored.push(Scored {
                    score: j.fires_from.get(name).copied().unwrap_or(f32::NEG_INFINITY),
                    positive,
                });
            }
            let ts = thresholds(&|p: &Policy| {
                p.guard
                    .categories
                    .iter()
                    .filter(|c| &c.id == name)
                    .map(|c| c.threshold)
                    .collect()
            });
            let title = catalog.names.get(name).cloned().unwrap_or_default();
            column(name, &title, confusion, &scored, ts)
        })
        .collect();
    Run {
        policies: dir.display().to_string(),
        version: set.version.clone(),
        overall,
        categories,
        guard_errors: judged.iter().filter(|j| j.guard_error.is_some()).count(),
        judged,
    }
}

fn column(
    name: &str,
    title: &str,
    confusion: Confusion,
    scored: &[Scored],
    policy_thresholds: Vec<f32>,
) -> Column {
    Column {
        name: name.to_owned(),
        title: title.to_owned(),
        confusion,
        rates: confusion.rates(),
        sweep: metrics::sweep(scored, &policy_thresholds),
        curve: metrics::pr_curve(scored),
        policy_thresholds,
    }
}

/// `unsafe [S8]`, `safe`.
pub fn describe_expected(item: &Item) -> String {
    match (item.expected.unsafe_, item.expected.categories.is_empty()) {
        (false, _) => "safe".into(),
        (true, true) => "unsafe".into(),
        (true, false) => format!("unsafe [{}]", item.expected.categories.join(",")),
    }
}

fn differences(items: &[Item], a: &Run, b: &Run) -> Vec<Difference> {
    items
        .iter()
        .zip(a.judged.iter().zip(&b.judged))
        .filter(|(_, (x, y))| x.action != y.action || x.categories != y.categories)
        .map(|(item, (x, y))| Difference {
            at: item.at.to_string(),
            id: item.id.clone(),
            expected: describe_expected(item),
            a: x.describe(),
            b: y.describe(),
            text: shorten(item.judged_text(), 60),
        })
        .collect()
}

fn shorten(text: &str, max: usize) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max - 1).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_guard_model::{JudgedRole, ScoreSource};
    use warden_policies::{PolicySource, compile};

    fn policy(guard: &str) -> Arc<Policy> {
        let text = format!("version: 1\npolicies:\n  - name: default\n    guard: {guard}\n");
        let set = compile(
            &[PolicySource {
                name: "p.yaml".into(),
                text,
            }],
            &ScanCatalog::new(["py-eval"], ["python"]),
        )
        .expect("valid policy");
        Arc::clone(&set.default_policy)
    }

    fn verdict(score: f32, categories: &[&str]) -> Verdict {
        Verdict {
            judged: JudgedRole::User,
            unsafe_score: score,
            is_unsafe: score >= 0.5,
            categories: categories.iter().map(|c| c.to_string()).collect(),
            logprob_safe: None,
            logprob_unsafe: None,
            score_source: ScoreSource::Logprobs,
            truncation: None,
            latency: Duration::ZERO,
        }
    }

    /// The sweep's shortcut (fires from the score when it fires at 0) against the policy's
    /// own decision at each threshold, across decoded, unknown, absent and `off` categories
    /// and a warn action.
    #[test]
    fn eligible_matches_decide_guard_at_every_threshold() {
        let p = policy(
            "{ template: lg2, categories: { S6: { action: off }, S10: { action: warn, threshold: 0.8 } } }",
        );
        let verdicts = [
            verdict(0.93, &["S8"]),
            verdict(0.93, &["S1", "S10"]),
            verdict(0.61, &["S10"]),
            verdict(0.3, &[]),
            verdict(0.7, &["S99"]),
            verdict(0.7, &["S6"]),
            verdict(0.04, &[]),
        ];
        let mut thresholds = metrics::standard_thresholds();
        thresholds.extend([0.0, 0.3, 0.61, 0.93, 1.0]);
        for v in &verdicts {
            let j = judged(&p, &p.decide_guard(v), Some(v), &[], None);
            for &t in &thresholds {
                let d = decide_at(&p, v, t);
                let fired: BTreeSet<String> = d.categories.iter().map(|c| c.id.clone()).collect();
                let predicted: BTreeSet<String> = j
                    .fires_from
                    .iter()
                    .filter(|(_, s)| **s >= t)
                    .map(|(c, _)| c.clone())
                    .collect();
                assert_eq!(fired, predicted, "{v:?} at {t}");
                assert_eq!(
                    d.intended == Action::Block,
                    j.blocks_from >= t,
                    "{v:?} at {t}"
                );
            }
        }
    }

    #[test]
    fn the_actual_decision_is_the_sweep_at_the_policy_threshold() {
        let p = policy("{ template: lg2, default_threshold: 0.6 }");
        for v in [
            verdict(0.65, &["S1"]),
            verdict(0.55, &["S1"]),
            verdict(0.7, &[]),
        ] {
            let actual = p.decide_guard(&v);
            let j = judged(&p, &actual, Some(&v), &[], None);
            assert_eq!(
                actual.intended == Action::Block,
                j.blocks_from >= 0.6,
                "{v:?}"
            );
        }
    }

    #[test]
    fn natural_order_and_shortening() {
        let mut ids = vec!["S10", "S2", "S1", "custom", "S11"];
        ids.sort_by_key(|a| natural(a));
        assert_eq!(ids, vec!["S1", "S2", "S10", "S11", "custom"]);
        assert_eq!(shorten("a  b\nc", 10), "a b c");
        assert_eq!(shorten("abcdefghijkl", 5), "abcd…");
    }
}
