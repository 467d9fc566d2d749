//! `warden policy ...`: check, schema, explain and test, as library calls the binary wraps.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use http::{HeaderMap, HeaderName, HeaderValue};
use warden_code_scan::{CodeBlock, Language, ScanOptions, Scanner, TextMode};
use warden_guard_model::{Classifier, JudgedRole, Turn, TurnRole};

use crate::compile::ScanCatalog;
use crate::error::{PolicyError, PolicyLoadError};
use crate::policy::{Decision, Policy, StreamingMode};
use crate::set::{PolicySet, PolicyTest, RouteInfo, TestSample, api_key_sha256};
use crate::store::load_dir;

/// Loads a guard model from a path (the binary passes its model loader).
pub type GuardLoader<'a> = &'a dyn Fn(&Path) -> Result<Arc<dyn Classifier>, String>;

/// `warden policy` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum PolicyCommand {
    /// Validate a policy directory: exit 0 when valid, exit 1 listing every problem.
    Check {
        /// The policy directory.
        dir: PathBuf,
    },
    /// Print the JSON Schema of policy files (for editors: yaml-language-server).
    Schema,
    /// Show which policy applies to a request and what it will do.
    Explain {
        /// The policy directory.
        dir: PathBuf,
        /// Request path, such as /v1/chat/completions.
        #[arg(long)]
        path: String,
        /// Requested model name.
        #[arg(long)]
        model: Option<String>,
        /// The client's API key (only its SHA-256 is used and printed).
        #[arg(long)]
        api_key: Option<String>,
        /// A request header, NAME=VALUE; repeatable.
        #[arg(long = "header", value_name = "NAME=VALUE")]
        headers: Vec<String>,
    },
    /// Run the `tests:` of a policy directory against the guard model and the code scanner.
    Test {
        /// The policy directory.
        dir: PathBuf,
        /// Guard model for prompt and response tests; without it only code tests run.
        #[arg(long)]
        guard_model: Option<PathBuf>,
    },
}

/// Runs one `warden policy` command. Problems in the policy files are reported on `stdout`
/// with exit code 1; `Err` is for what stops the command itself (unreadable directory,
/// unloadable model, failed output).
pub async fn run_policy_command(
    cmd: PolicyCommand,
    stdout: &mut dyn Write,
    load_guard: GuardLoader<'_>,
) -> Result<ExitCode, PolicyError> {
    match cmd {
        PolicyCommand::Check { dir } => {
            let Some(set) = load_or_report(&dir, stdout)? else {
                return Ok(ExitCode::FAILURE);
            };
            writeln!(
                stdout,
                "{}: valid, version {} ({} policies, {} routes, {} tests; default policy `{}`)",
                dir.display(),
                set.version,
                set.policies.len(),
                set.routes.len(),
                set.tests.len(),
                set.default_policy.name
            )?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Schema => {
            writeln!(stdout, "{}", crate::schema_json())?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Explain {
            dir,
            path,
            model,
            api_key,
            headers,
        } => {
            let mut map = HeaderMap::new();
            for h in &headers {
                let (name, value) = h
                    .split_once('=')
                    .ok_or_else(|| PolicyError::InvalidHeader(h.clone()))?;
                let name = HeaderName::from_bytes(name.trim().as_bytes())
                    .map_err(|_| PolicyError::InvalidHeader(h.clone()))?;
                let value = HeaderValue::from_str(value.trim())
                    .map_err(|_| PolicyError::InvalidHeader(h.clone()))?;
                map.append(name, value);
            }
            let Some(set) = load_or_report(&dir, stdout)? else {
                return Ok(ExitCode::FAILURE);
            };
            let key_hash = api_key.as_deref().map(api_key_sha256);
            let info = RouteInfo {
                path: &path,
                model: model.as_deref(),
                api_key_sha256: key_hash.as_deref(),
                headers: &map,
            };
            explain(&set, &info, stdout)?;
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::Test { dir, guard_model } => {
            let Some(set) = load_or_report(&dir, stdout)? else {
                return Ok(ExitCode::FAILURE);
            };
            let guard = match &guard_model {
                Some(path) => Some(load_guard(path).map_err(|reason| PolicyError::Guard {
                    path: path.clone(),
                    reason,
                })?),
                None => None,
            };
            let scanner = Scanner::builtin().map_err(|e| PolicyError::Scanner(e.to_string()))?;
            let summary = run_tests(&set, guard.as_deref(), &scanner, stdout).await?;
            writeln!(
                stdout,
                "{} passed, {} failed, {} skipped{}",
                summary.passed,
                summary.failed,
                summary.skipped,
                if summary.skipped > 0 {
                    " (prompt and response tests need --guard-model)"
                } else {
                    ""
                }
            )?;
            Ok(if summary.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}

/// Loads a directory; prints every problem and returns `None` when it is invalid.
fn load_or_report(dir: &Path, stdout: &mut dyn Write) -> Result<Option<PolicySet>, PolicyError> {
    match load_dir(dir, &ScanCatalog::builtin()) {
        Ok(set) => Ok(Some(set)),
        Err(PolicyLoadError::Invalid { diagnostics, .. }) => {
            writeln!(stdout, "{diagnostics}")?;
            writeln!(
                stdout,
                "{}: {} problem(s); nothing was changed",
                dir.display(),
                diagnostics.len()
            )?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Writes which policy applies to `info` and what it will do.
pub fn explain(set: &PolicySet, info: &RouteInfo<'_>, out: &mut dyn Write) -> std::io::Result<()> {
    let selection = set.select_explained(info);
    let p = &selection.policy;
    writeln!(out, "request: path {}", info.path)?;
    if let Some(m) = info.model {
        writeln!(out, "  model: {m}")?;
    }
    if let Some(k) = info.api_key_sha256 {
        writeln!(out, "  api key sha256: {k}")?;
    }
    match selection.route {
        Some((i, r)) => writeln!(
            out,
            "selected by route {i}{} ({}): {}",
            r.name
                .as_deref()
                .map(|n| format!(" `{n}`"))
                .unwrap_or_default(),
            r.source,
            r.describe()
        )?,
        None => writeln!(out, "no route matched: default policy")?,
    }
    write_policy(p, out)
}

/// Writes one policy's effective settings.
pub fn write_policy(p: &Policy, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "policy {} (defined in {})", p.id, p.source)?;
    if !p.extends.is_empty() {
        writeln!(out, "  extends: {}", p.extends.join(" -> "))?;
    }
    if let Some(d) = &p.description {
        writeln!(out, "  {d}")?;
    }
    writeln!(
        out,
        "mode: {}",
        match p.mode {
            crate::policy::Mode::Enforce => "enforce (blocks block)",
            crate::policy::Mode::Monitor => "monitor (decides and records, never blocks)",
        }
    )?;
    let yes = |b: bool| if b { "judged" } else { "not judged" };
    writeln!(
        out,
        "guard: template {}; prompts {}, responses {}; timeout {} ms, fail {}",
        p.guard.taxonomy.template.as_str(),
        yes(p.guard.prompts),
        yes(p.guard.responses),
        p.guard_timeout.as_millis(),
        match p.fail_mode {
            crate::policy::FailMode::Closed => "closed (guard failure blocks)",
            crate::policy::FailMode::Open => "open (guard failure allows, marked unchecked)",
        }
    )?;
    if p.guard.categories.is_empty() {
        writeln!(out, "  no active category: the guard is not asked")?;
    }
    for c in &p.guard.categories {
        let id = if c.custom {
            format!("{} ({})", c.code, c.id)
        } else {
            c.code.clone()
        };
        writeln!(
            out,
            "  {id} {}: {} at score >= {:.2}",
            c.name,
            c.action.as_str(),
            c.threshold
        )?;
    }
    let scan = |b: bool| if b { "scanned" } else { "not scanned" };
    writeln!(
        out,
        "code: prompts {}, responses {}; languages {}; disabled rules {}",
        scan(p.code.prompts),
        scan(p.code.responses),
        p.code.languages.as_ref().map_or_else(
            || "all".to_owned(),
            |l| l.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
        if p.code.disabled_rules.is_empty() {
            "none".to_owned()
        } else {
            p.code
                .disabled_rules
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        }
    )?;
    writeln!(
        out,
        "  error -> {}, warning -> {}, info -> {}",
        p.code.on_error.as_str(),
        p.code.on_warning.as_str(),
        p.code.on_info.as_str()
    )?;
    for line in streaming_lines(p) {
        writeln!(out, "{line}")?;
    }
    for line in injection_lines(p) {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "block response: status {}, message {:?}",
        p.block_response.status, p.block_response.message
    )
}

/// What the injection detector judges under a policy, as `explain` prints it.
fn injection_lines(p: &Policy) -> Vec<String> {
    use crate::policy::{FailMode, InjectionPart, Mode, RuleAction};
    let inj = &p.injection;
    if !inj.active() {
        return vec!["injection: no part scanned".to_owned()];
    }
    let parts: Vec<String> = [
        InjectionPart::User,
        InjectionPart::System,
        InjectionPart::Tool,
        InjectionPart::Document,
    ]
    .into_iter()
    .filter(|&part| inj.scans(part))
    .map(|part| {
        let labels: Vec<&str> = part
            .labels()
            .iter()
            .copied()
            .filter(|l| inj.rule(l).is_some_and(|r| r.action != RuleAction::Off))
            .collect();
        format!("{} ({})", part.as_str(), labels.join(", "))
    })
    .collect();
    let mut lines = vec![format!(
        "injection: scans {}; {}; {}timeout {} ms, fail {} (when a detector is served: --prompt-guard)",
        parts.join(", "),
        if inj.history {
            "every turn"
        } else {
            "only turns after the last answer"
        },
        match inj.mode {
            Mode::Monitor => "monitor (never blocks); ",
            Mode::Enforce => "",
        },
        inj.timeout.as_millis(),
        match inj.fail_mode {
            FailMode::Closed => "closed",
            FailMode::Open => "open",
        }
    )];
    for r in &inj.labels {
        lines.push(format!(
            "  {}: {} at score >= {:.2}",
            r.label,
            r.action.as_str(),
            r.threshold
        ));
    }
    lines
}

/// What streaming does under a policy, as `explain` prints it. What is held back depends on
/// which checks judge an answer: with only the code scanner (`guard.responses` off, no active
/// category, or a gateway without a guard model) holding prose back serves no check.
fn streaming_lines(p: &Policy) -> Vec<String> {
    let guard = p.guard_judges(JudgedRole::Agent);
    let code = p.code.responses;
    let code_only = "prose streams at once; a code block is held from its opening fence until \
                     it closes and its scan passes";
    let mut lines = Vec::new();
    match p.streaming {
        _ if !guard && !code => {
            lines.push("streaming: answers are not checked (streamed as they arrive)".to_owned());
            return lines;
        }
        StreamingMode::Async {
            first,
            size,
            overlap,
        } => lines.push(format!(
            "streaming: async (streamed at once; a violation cuts the stream); guard checks {}",
            schedule_text(first, size, overlap)
        )),
        StreamingMode::Window { .. } | StreamingMode::Buffer if !guard => {
            lines.push(format!("streaming: only code is checked: {code_only}"));
            return lines;
        }
        StreamingMode::Window {
            first,
            size,
            overlap,
        } => lines.push(format!(
            "streaming: window (frames held until judged); guard checks {}",
            schedule_text(first, size, overlap)
        )),
        StreamingMode::Buffer => {
            lines.push("streaming: buffer (whole response judged before release)".to_owned());
        }
    }
    if guard && code && !matches!(p.streaming, StreamingMode::Async { .. }) {
        lines.push(format!("  served without a guard model: {code_only}"));
    }
    lines
}

/// The window schedule in words: the progressive checks, then the sliding windows.
fn schedule_text(first: usize, size: usize, overlap: usize) -> String {
    let mut at = first.clamp(1, size.max(1));
    let mut points = vec![at];
    while at < size {
        at = (2 * at).min(size);
        points.push(at);
    }
    let every = format!("every {size} characters, overlap {overlap}");
    if points.len() == 1 {
        return every;
    }
    let points: Vec<String> = points.iter().map(ToString::to_string).collect();
    format!(
        "at {} characters (each judging the answer from its start), then {every}",
        points.join(", ")
    )
}

/// Counts of a test run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TestSummary {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Runs every policy test, writing one line per test (failures with the verdict they got).
pub async fn run_tests(
    set: &PolicySet,
    guard: Option<&dyn Classifier>,
    scanner: &Scanner,
    out: &mut dyn Write,
) -> Result<TestSummary, PolicyError> {
    let mut summary = TestSummary::default();
    for test in &set.tests {
        let needs_guard = !matches!(test.sample, TestSample::Code { .. });
        let result = match (needs_guard, guard) {
            (true, None) => {
                summary.skipped += 1;
                writeln!(
                    out,
                    "SKIP {} ({}): needs --guard-model",
                    test.name, test.source
                )?;
                continue;
            }
            (_, guard) => run_one(test, guard, scanner).await,
        };
        match result {
            Ok(decision) => {
                let missing: Vec<&str> = test
                    .hits
                    .iter()
                    .filter(|h| {
                        !decision.categories.iter().any(|c| &c.id == *h)
                            && !decision.rules.iter().any(|r| r == *h)
                    })
                    .map(String::as_str)
                    .collect();
                if decision.intended == test.expect && missing.is_empty() {
                    summary.passed += 1;
                    writeln!(out, "PASS {} ({})", test.name, test.source)?;
                } else {
                    summary.failed += 1;
                    let mut why = format!(
                        "expected {}, got {} ({})",
                        test.expect,
                        decision.intended,
                        describe_decision(&decision)
                    );
                    if !missing.is_empty() {
                        why.push_str(&format!("; missing hits: {}", missing.join(", ")));
                    }
                    writeln!(out, "FAIL {} ({}): {why}", test.name, test.source)?;
                }
            }
            Err(reason) => {
                summary.failed += 1;
                writeln!(out, "FAIL {} ({}): {reason}", test.name, test.source)?;
            }
        }
    }
    Ok(summary)
}

fn describe_decision(d: &Decision) -> String {
    let mut parts = Vec::new();
    if let Some(score) = d.unsafe_score {
        parts.push(format!("unsafe_score {score:.3}"));
    }
    let cats: Vec<String> = d
        .categories
        .iter()
        .map(|c| format!("{} ({}): {}", c.id, c.name, c.action))
        .collect();
    if !cats.is_empty() {
        parts.push(format!("categories [{}]", cats.join(", ")));
    }
    if !d.rules.is_empty() {
        parts.push(format!("code rules [{}]", d.rules.join(", ")));
    }
    if cats.is_empty() && d.rules.is_empty() {
        parts.push("nothing hit".to_owned());
    }
    parts.join(", ")
}

/// Runs one test; `Err` carries why it could not be judged.
async fn run_one(
    test: &PolicyTest,
    guard: Option<&dyn Classifier>,
    scanner: &Scanner,
) -> Result<Decision, String> {
    let policy = &test.policy;
    match &test.sample {
        TestSample::Code { code, language } => {
            let block = CodeBlock::whole(code.clone(), Language::from_alias(language));
            let findings = scanner
                .scan_block_with(&block, &policy.code.scan_options())
                .map_err(|e| format!("code scan failed: {e}"))?;
            Ok(policy.code_action(&findings))
        }
        TestSample::Prompt(prompt) => {
            let turns = vec![Turn {
                role: TurnRole::User,
                content: prompt.clone(),
            }];
            let mut decisions = vec![judge(policy, JudgedRole::User, turns, guard).await?];
            if policy.code.prompts {
                decisions.push(scan_text(policy, prompt, scanner)?);
            }
            Ok(policy.combine(&decisions))
        }
        TestSample::Response { prompt, response } => {
            // Llama Guard judges an answer after a user turn; an absent prompt is empty.
            let turns = vec![
                Turn {
                    role: TurnRole::User,
                    content: prompt.clone().unwrap_or_default(),
                },
                Turn {
                    role: TurnRole::Assistant,
                    content: response.clone(),
                },
            ];
            let mut decisions = vec![judge(policy, JudgedRole::Agent, turns, guard).await?];
            if policy.code.responses {
                decisions.push(scan_text(policy, response, scanner)?);
            }
            Ok(policy.combine(&decisions))
        }
    }
}

async fn judge(
    policy: &Policy,
    role: JudgedRole,
    turns: Vec<Turn>,
    guard: Option<&dyn Classifier>,
) -> Result<Decision, String> {
    let Some(params) = policy.guard_request(role) else {
        return Ok(policy.combine(&[]));
    };
    let guard = guard.ok_or_else(|| "needs --guard-model".to_owned())?;
    let verdict = guard
        .classify(params.request(turns))
        .await
        .map_err(|e| format!("guard error: {e}"))?;
    Ok(policy.decide_guard(&verdict))
}

fn scan_text(policy: &Policy, text: &str, scanner: &Scanner) -> Result<Decision, String> {
    let options = ScanOptions {
        mode: TextMode::Auto,
        ..policy.code.scan_options()
    };
    let report = scanner
        .scan_text(text, &options)
        .map_err(|e| format!("code scan failed: {e}"))?;
    Ok(policy.code_action(&report.findings))
}
