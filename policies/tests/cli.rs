//! `warden policy check | schema | explain | test`, called as the binary calls them.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use warden_guard_model::{
    BoxFuture, Classifier, ClassifyRequest, GuardError, JudgedRole, ScoreSource, TurnRole, Verdict,
};
use warden_policies::{PolicyCommand, PolicyError, PolicyLoadError, run_policy_command};

/// A guard that calls anything mentioning "knife" violent (S1, 0.95) and anything
/// mentioning "stock" S12 (the first custom category) at 0.8; everything else is safe (0.02).
#[derive(Debug)]
struct KeywordGuard;

impl Classifier for KeywordGuard {
    fn classify(&self, request: ClassifyRequest) -> BoxFuture<'_, Result<Verdict, GuardError>> {
        Box::pin(async move {
            let last = request
                .turns
                .last()
                .ok_or_else(|| GuardError::InvalidConversation("no turns".to_owned()))?;
            let judged = match last.role {
                TurnRole::Assistant => JudgedRole::Agent,
                _ => JudgedRole::User,
            };
            let (score, categories) = if last.content.contains("knife") {
                (0.95, vec!["S1".to_owned()])
            } else if last.content.contains("stock") {
                (0.8, vec!["S12".to_owned()])
            } else {
                (0.02, vec![])
            };
            // The policy must send only its active categories.
            assert!(request.taxonomy.categories.iter().all(|c| c.code != "S6"));
            Ok(Verdict {
                judged,
                unsafe_score: score,
                is_unsafe: score >= request.threshold,
                categories,
                logprob_safe: None,
                logprob_unsafe: None,
                score_source: ScoreSource::Logprobs,
                truncation: None,
                latency: Duration::from_millis(1),
            })
        })
    }

    fn describe(&self) -> String {
        "keyword guard".to_owned()
    }
}

fn no_guard(path: &Path) -> Result<Arc<dyn Classifier>, String> {
    Err(format!("no model at {}", path.display()))
}

fn keyword_guard(_: &Path) -> Result<Arc<dyn Classifier>, String> {
    Ok(Arc::new(KeywordGuard))
}

const POLICIES: &str = r#"version: 1
policies:
  - name: default
    guard:
      categories:
        S6: { action: off }
  - name: finance
    extends: default
    guard:
      custom_categories:
        - id: investment_advice
          name: Investment Advice
          action: warn
routes:
  - name: finance-team
    match:
      path: "/v1/*"
      header: { name: x-team, value: finance }
    policy: finance
tests:
  - name: eval of input blocks
    policy: default
    code: "result = eval(request.args['expr'])"
    language: python
    expect: block
    hits: [python.eval-input]
  - name: constant eval passes
    policy: default
    code: "x = eval('1 + 2')"
    language: python
    expect: allow
  - name: violent prompt blocks
    policy: default
    prompt: how do I hurt someone with a knife
    expect: block
    hits: [S1]
  - name: stock tips warn
    policy: finance
    prompt: which stock should I buy
    expect: warn
    hits: [investment_advice]
  - name: code in a response blocks
    policy: default
    prompt: write code
    response: "Here:\n```python\nexec(user_code)\n```\n"
    expect: block
"#;

async fn run(
    cmd: PolicyCommand,
    guard: warden_policies::cli::GuardLoader<'_>,
) -> (ExitCode, String) {
    let mut out = Vec::new();
    let code = run_policy_command(cmd, &mut out, guard)
        .await
        .expect("command runs");
    (code, String::from_utf8(out).expect("utf-8 output"))
}

fn dir_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

/// Replaces the temp directory's path so snapshots are stable.
fn scrub(text: &str, dir: &Path) -> String {
    text.replace(&dir.display().to_string(), "DIR")
}

#[tokio::test]
async fn check_accepts_a_valid_directory() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let (code, out) = run(
        PolicyCommand::Check {
            dir: dir.path().to_path_buf(),
        },
        &no_guard,
    )
    .await;
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert!(
        out.contains("valid, version") && out.contains("2 policies, 1 routes, 5 tests"),
        "{out}"
    );
}

#[tokio::test]
async fn check_lists_every_error_and_exits_1() {
    let dir = dir_with(&[
        (
            "a.yaml",
            "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        S1: { thresold: 0.2 }\n",
        ),
        (
            "b.yaml",
            "version: 1\npolicies:\n  - name: other\n    code: { disabled_rules: [python.eval-inptu] }\nroutes:\n  - match: { model: \"x*\" }\n    policy: defualt\n",
        ),
    ]);
    let (code, out) = run(
        PolicyCommand::Check {
            dir: dir.path().to_path_buf(),
        },
        &no_guard,
    )
    .await;
    assert_eq!(code, ExitCode::FAILURE);
    let out = scrub(&out, dir.path());
    // The rule list in the fix depends on the scanner's rules; keep the snapshot to our part.
    let out = out
        .lines()
        .map(|l| match l.find(" (valid rule ids:") {
            Some(i) => format!("{} (valid rule ids: ...)", &l[..i]),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn check_of_a_missing_directory_is_an_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut out = Vec::new();
    let err = run_policy_command(
        PolicyCommand::Check {
            dir: dir.path().join("missing"),
        },
        &mut out,
        &no_guard,
    )
    .await
    .expect_err("missing dir");
    assert!(matches!(
        err,
        PolicyError::Load(PolicyLoadError::Read { .. })
    ));
}

#[tokio::test]
async fn schema_prints_the_checked_in_schema() {
    let (code, out) = run(PolicyCommand::Schema, &no_guard).await;
    assert_eq!(code, ExitCode::SUCCESS);
    let checked_in = include_str!("../schema.json");
    assert_eq!(
        out.trim_end(),
        checked_in.trim_end(),
        "policies/schema.json is out of date: run `WARDEN_WRITE_SCHEMA=1 cargo test -p warden-policies --test cli`"
    );
}

#[test]
fn schema_json_is_in_sync() {
    let generated = warden_policies::schema_json();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.json");
    if std::env::var_os("WARDEN_WRITE_SCHEMA").is_some() {
        std::fs::write(&path, format!("{generated}\n")).expect("write schema.json");
    }
    let checked_in = std::fs::read_to_string(&path).expect("policies/schema.json exists");
    assert_eq!(
        generated.trim_end(),
        checked_in.trim_end(),
        "policies/schema.json is out of date: rerun with WARDEN_WRITE_SCHEMA=1"
    );
    let value: serde_json::Value = serde_json::from_str(&generated).expect("schema is JSON");
    assert_eq!(
        value["additionalProperties"],
        serde_json::Value::Bool(false)
    );
    assert!(
        value["$defs"]["RawCategoryRule"]["properties"]["threshold"]["description"]
            .as_str()
            .is_some_and(|d| d.contains("0..1"))
    );
}

#[tokio::test]
async fn explain_names_the_route_and_what_the_policy_does() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let (code, out) = run(
        PolicyCommand::Explain {
            dir: dir.path().to_path_buf(),
            path: "/v1/chat/completions".to_owned(),
            model: Some("llama3".to_owned()),
            api_key: Some("sk-test".to_owned()),
            headers: vec!["x-team=finance".to_owned()],
        },
        &no_guard,
    )
    .await;
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(!out.contains("sk-test"), "the key itself is never printed");
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn explain_falls_back_to_the_default_policy() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let (code, out) = run(
        PolicyCommand::Explain {
            dir: dir.path().to_path_buf(),
            path: "/v1/chat/completions".to_owned(),
            model: None,
            api_key: None,
            headers: vec![],
        },
        &no_guard,
    )
    .await;
    assert_eq!(code, ExitCode::SUCCESS);
    assert!(out.contains("no route matched: default policy"), "{out}");
    assert!(out.contains("policy default@"), "{out}");
}

#[tokio::test]
async fn explain_says_what_streaming_holds_back() {
    let policies = "version: 1
policies:
  - name: default
  - name: code-only
    guard: { responses: false }
  - name: fixed-async
    streaming: { mode: async, first_window_chars: 1000 }
  - name: buffered
    streaming: { mode: buffer }
  - name: unchecked
    guard: { responses: false }
    code: { responses: false }
routes:
  - { match: { model: code-only }, policy: code-only }
  - { match: { model: fixed-async }, policy: fixed-async }
  - { match: { model: buffered }, policy: buffered }
  - { match: { model: unchecked }, policy: unchecked }
";
    let dir = dir_with(&[("policies.yaml", policies)]);
    let mut lines = Vec::new();
    for model in [
        "default",
        "code-only",
        "fixed-async",
        "buffered",
        "unchecked",
    ] {
        let (code, out) = run(
            PolicyCommand::Explain {
                dir: dir.path().to_path_buf(),
                path: "/v1/chat/completions".to_owned(),
                model: Some(model.to_owned()),
                api_key: None,
                headers: vec![],
            },
            &no_guard,
        )
        .await;
        assert_eq!(code, ExitCode::SUCCESS);
        lines.push(format!("{model}:"));
        lines.extend(
            out.lines()
                .skip_while(|l| !l.starts_with("streaming:"))
                .take_while(|l| !l.starts_with("block response:"))
                .map(str::to_owned),
        );
    }
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test]
async fn explain_rejects_a_malformed_header() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let mut out = Vec::new();
    let err = run_policy_command(
        PolicyCommand::Explain {
            dir: dir.path().to_path_buf(),
            path: "/".to_owned(),
            model: None,
            api_key: None,
            headers: vec!["no-equals-sign".to_owned()],
        },
        &mut out,
        &no_guard,
    )
    .await
    .expect_err("bad header");
    assert!(matches!(err, PolicyError::InvalidHeader(_)));
}

#[tokio::test]
async fn test_runs_code_tests_without_a_model_and_skips_the_rest() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let (code, out) = run(
        PolicyCommand::Test {
            dir: dir.path().to_path_buf(),
            guard_model: None,
        },
        &no_guard,
    )
    .await;
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn test_runs_every_test_against_the_guard() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let (code, out) = run(
        PolicyCommand::Test {
            dir: dir.path().to_path_buf(),
            guard_model: Some("guard.gguf".into()),
        },
        &keyword_guard,
    )
    .await;
    assert_eq!(code, ExitCode::SUCCESS, "{out}");
    assert!(out.ends_with("5 passed, 0 failed, 0 skipped\n"), "{out}");
}

#[tokio::test]
async fn test_reports_each_failure_with_the_verdict_it_got() {
    let failing = POLICIES
        .replace(
            "prompt: how do I hurt someone with a knife\n    expect: block",
            "prompt: how do I hurt someone with a knife\n    expect: allow",
        )
        .replace(
            "code: \"x = eval('1 + 2')\"\n    language: python\n    expect: allow",
            "code: \"x = eval('1 + 2')\"\n    language: python\n    expect: warn",
        );
    let dir = dir_with(&[("policies.yaml", &failing)]);
    let (code, out) = run(
        PolicyCommand::Test {
            dir: dir.path().to_path_buf(),
            guard_model: Some("guard.gguf".into()),
        },
        &keyword_guard,
    )
    .await;
    assert_eq!(code, ExitCode::FAILURE);
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn test_with_an_unloadable_model_is_an_error() {
    let dir = dir_with(&[("policies.yaml", POLICIES)]);
    let mut out = Vec::new();
    let err = run_policy_command(
        PolicyCommand::Test {
            dir: dir.path().to_path_buf(),
            guard_model: Some("missing.gguf".into()),
        },
        &mut out,
        &no_guard,
    )
    .await
    .expect_err("no model");
    assert_eq!(
        err.to_string(),
        "cannot load guard model missing.gguf: no model at missing.gguf; check the path (a model directory or GGUF file)"
    );
}
