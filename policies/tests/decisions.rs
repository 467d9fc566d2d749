//! Selection by route, and the decisions a policy reaches for verdicts and findings.

use std::path::PathBuf;
use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use warden_code_scan::{Finding, Severity};
use warden_guard_model::{GuardError, JudgedRole, ScoreSource, Verdict};
use warden_policies::{
    Action, FailMode, Mode, PolicySet, PolicySource, RouteInfo, ScanCatalog, StreamingMode,
    api_key_sha256, compile,
};

const SET: &str = r#"
version: 1
policies:
  - name: default
    guard:
      template: lg2
      categories:
        S2: { action: warn, threshold: 0.7 }
        S5: { action: log }
        S6: { action: off }
  - name: team
    extends: default
    description: Team policy.
    guard:
      default_threshold: 0.4
      categories:
        S2: { threshold: 0.6 }
      custom_categories:
        - id: financial_advice
          name: Financial Advice
          description: Should not recommend specific investments.
          action: warn
    code:
      disabled_rules: [py-eval]
      severity_actions: { warning: block }
    streaming: { mode: buffer }
    failure: { mode: open, guard_timeout_ms: 1500 }
    block_response: { status: 403, message: nope }
  - name: watch
    extends: team
    mode: monitor
routes:
  - name: by-key
    match:
      api_key_sha256: "KEYHASH"
    policy: watch
  - name: chat-llama
    match:
      path: "/v1/chat/*"
      model: "llama3*"
    policy: team
  - match:
      header: { name: X-Team, value: "red-*" }
    policy: watch
"#;

fn set() -> PolicySet {
    let text = SET.replace("KEYHASH", &api_key_sha256("sk-secret"));
    compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text,
        }],
        &ScanCatalog::new(["py-eval", "py-exec"], ["python"]),
    )
    .expect("valid set")
}

fn verdict(score: f32, categories: &[&str]) -> Verdict {
    Verdict {
        judged: JudgedRole::User,
        unsafe_score: score,
        is_unsafe: score >= 0.5,
        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        logprob_safe: None,
        logprob_unsafe: None,
        score_source: ScoreSource::Logprobs,
        truncation: None,
        latency: Duration::from_millis(1),
    }
}

fn finding(rule: &str, severity: Severity) -> Finding {
    Finding {
        rule_id: rule.to_owned(),
        cwe: vec![],
        severity,
        message: "m".to_owned(),
        language: "python".to_owned(),
        line: 1,
        column: 1,
        end_line: 1,
        end_column: 2,
    }
}

fn select(set: &PolicySet, path: &str, model: Option<&str>, key: Option<&str>) -> String {
    let headers = HeaderMap::new();
    let hash = key.map(api_key_sha256);
    let info = RouteInfo {
        path,
        model,
        api_key_sha256: hash.as_deref(),
        headers: &headers,
    };
    set.select(&info).name.clone()
}

#[test]
fn routes_match_in_order_and_fall_back_to_default() {
    let s = set();
    assert_eq!(
        select(&s, "/v1/chat/completions", Some("llama3-8b"), None),
        "team"
    );
    // The key route comes first, so it wins over the path+model route.
    assert_eq!(
        select(
            &s,
            "/v1/chat/completions",
            Some("llama3-8b"),
            Some("sk-secret")
        ),
        "watch"
    );
    // All conditions must hold: right path, wrong model.
    assert_eq!(
        select(&s, "/v1/chat/completions", Some("mistral"), None),
        "default"
    );
    // A condition on the model does not match a request without one.
    assert_eq!(select(&s, "/v1/chat/completions", None, None), "default");
    assert_eq!(
        select(&s, "/api/generate", Some("llama3"), Some("other-key")),
        "default"
    );
}

#[test]
fn header_route_matches_case_insensitive_name_and_value_glob() {
    let s = set();
    let mut headers = HeaderMap::new();
    headers.insert("x-team", HeaderValue::from_static("red-42"));
    let info = RouteInfo {
        path: "/anything",
        model: None,
        api_key_sha256: None,
        headers: &headers,
    };
    let selection = s.select_explained(&info);
    assert_eq!(selection.policy.name, "watch");
    assert_eq!(selection.route.map(|(i, _)| i), Some(2));
    let mut blue = HeaderMap::new();
    blue.insert("x-team", HeaderValue::from_static("blue"));
    let info = RouteInfo {
        headers: &blue,
        ..info
    };
    assert_eq!(s.select(&info).name, "default");
}

#[test]
fn extends_overrides_field_by_field() {
    let s = set();
    let team = s.policy("team").expect("team");
    let watch = s.policy("watch").expect("watch");
    assert_eq!(team.extends, vec!["default".to_owned()]);
    assert_eq!(watch.extends, vec!["team".to_owned(), "default".to_owned()]);
    assert_eq!(watch.mode, Mode::Monitor);
    assert_eq!(team.mode, Mode::Enforce);
    assert_eq!(watch.streaming, StreamingMode::Buffer);
    assert_eq!(watch.fail_mode, FailMode::Open);
    assert_eq!(watch.guard_timeout, Duration::from_millis(1500));
    assert_eq!(watch.block_response.status, 403);
    assert_eq!(watch.description.as_deref(), Some("Team policy."));
    // S2: action inherited from default (warn), threshold overridden by team (0.6).
    let s2 = team
        .guard
        .categories
        .iter()
        .find(|c| c.id == "S2")
        .expect("S2");
    assert_eq!((s2.action.as_str(), s2.threshold), ("warn", 0.6));
    // S1 takes team's default threshold; S6 is off and left out of the prompt.
    let s1 = team
        .guard
        .categories
        .iter()
        .find(|c| c.id == "S1")
        .expect("S1");
    assert_eq!(s1.threshold, 0.4);
    assert!(team.guard.categories.iter().all(|c| c.id != "S6"));
    assert!(
        team.guard
            .taxonomy
            .categories
            .iter()
            .all(|c| c.code != "S6")
    );
    // The custom category follows the template's codes.
    let fin = team
        .guard
        .categories
        .iter()
        .find(|c| c.id == "financial_advice")
        .expect("custom");
    assert_eq!(fin.code, "S12");
    let rendered = team
        .guard
        .taxonomy
        .categories
        .iter()
        .find(|c| c.code == "S12")
        .expect("rendered");
    assert_eq!(
        rendered.description.as_deref(),
        Some("Should not recommend specific investments.")
    );
    // Default keeps the template's full list minus S6.
    let default = s.policy("default").expect("default");
    assert_eq!(default.guard.categories.len(), 10);
    assert_eq!(default.guard.taxonomy.categories.len(), 10);
}

#[test]
fn default_policy_keeps_the_templates_exact_taxonomy_when_untouched() {
    let s = compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text: "version: 1\npolicies:\n  - name: only\n".to_owned(),
        }],
        &ScanCatalog::default(),
    )
    .expect("valid");
    assert_eq!(s.default_policy.name, "only");
    assert_eq!(
        *s.default_policy.guard.taxonomy,
        warden_guard_model::Template::Lg2.default_taxonomy()
    );
}

#[test]
fn guard_request_uses_lowest_threshold_and_always_decodes() {
    let s = set();
    let default = s.policy("default").expect("default");
    let params = default.guard_request(JudgedRole::User).expect("judged");
    assert_eq!(params.threshold, 0.5);
    assert!(params.always_decode);
    let team = s.policy("team").expect("team");
    let params = team.guard_request(JudgedRole::Agent).expect("judged");
    assert_eq!(params.threshold, 0.4);
    assert_eq!(params.timeout, Duration::from_millis(1500));
}

#[test]
fn guard_request_is_none_when_side_is_off_or_no_category_is_active() {
    let s = compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text: "version: 1\npolicies:\n  - name: default\n    guard: { prompts: false }\n  - name: none\n    guard: { default_action: off }\n".to_owned(),
        }],
        &ScanCatalog::default(),
    )
    .expect("valid");
    let d = s.policy("default").expect("default");
    assert!(d.guard_request(JudgedRole::User).is_none());
    assert!(d.guard_request(JudgedRole::Agent).is_some());
    let none = s.policy("none").expect("none");
    assert!(none.guard_request(JudgedRole::Agent).is_none());
}

#[test]
fn decide_guard_honours_per_category_action_and_threshold() {
    let s = set();
    let p = s.policy("default").expect("default");
    // S1 blocks at 0.5.
    let d = p.decide_guard(&verdict(0.9, &["S1"]));
    assert_eq!((d.action, d.intended), (Action::Block, Action::Block));
    assert_eq!(d.categories[0].id, "S1");
    assert!(d.policy.starts_with("default@"));
    // S2 warns, but only from 0.7.
    assert_eq!(p.decide_guard(&verdict(0.8, &["S2"])).action, Action::Warn);
    assert_eq!(p.decide_guard(&verdict(0.6, &["S2"])).action, Action::Allow);
    // S5 logs; the strictest of several hits wins.
    assert_eq!(p.decide_guard(&verdict(0.6, &["S5"])).action, Action::Log);
    let d = p.decide_guard(&verdict(0.9, &["S5", "S2"]));
    assert_eq!(d.action, Action::Warn);
    assert_eq!(d.categories.len(), 2);
    // A safe verdict allows.
    assert_eq!(p.decide_guard(&verdict(0.1, &[])).action, Action::Allow);
}

#[test]
fn unsafe_verdict_without_known_category_fires_every_reached_category() {
    let s = set();
    let p = s.policy("default").expect("default");
    // A backend that only says "unsafe" must not weaken the policy.
    let d = p.decide_guard(&verdict(1.0, &[]));
    assert_eq!(d.action, Action::Block);
    // So does a code the policy does not know.
    assert_eq!(
        p.decide_guard(&verdict(0.9, &["S99"])).action,
        Action::Block
    );
    // A category switched off stays off, even if the model names it anyway.
    assert_eq!(p.decide_guard(&verdict(0.9, &["S6"])).action, Action::Allow);
}

#[test]
fn custom_categories_decide_by_their_own_action() {
    let s = set();
    let p = s.policy("team").expect("team");
    let d = p.decide_guard(&verdict(0.5, &["S12"]));
    assert_eq!(d.action, Action::Warn);
    assert_eq!(d.categories[0].id, "financial_advice");
}

#[test]
fn monitor_mode_never_blocks_but_keeps_the_intent() {
    let s = set();
    let p = s.policy("watch").expect("watch");
    let d = p.decide_guard(&verdict(0.9, &["S1"]));
    assert_eq!((d.action, d.intended), (Action::Log, Action::Block));
    assert!(!d.blocks());
    let d = p.code_action(&[finding("py-exec", Severity::Error)]);
    assert_eq!((d.action, d.intended), (Action::Log, Action::Block));
    // Warnings are not blocks and stay warnings.
    assert_eq!(p.decide_guard(&verdict(0.9, &["S2"])).action, Action::Warn);
}

#[test]
fn code_action_maps_severities_and_skips_disabled_rules() {
    let s = set();
    let default = s.policy("default").expect("default");
    assert_eq!(default.code_action(&[]).action, Action::Allow);
    let d = default.code_action(&[
        finding("py-eval", Severity::Warning),
        finding("py-exec", Severity::Info),
    ]);
    assert_eq!(d.action, Action::Warn);
    assert_eq!(d.rules, vec!["py-eval".to_owned(), "py-exec".to_owned()]);
    assert_eq!(
        default
            .code_action(&[finding("py-exec", Severity::Error)])
            .action,
        Action::Block
    );
    let team = s.policy("team").expect("team");
    // py-eval is disabled; warnings block under team.
    assert_eq!(
        team.code_action(&[finding("py-eval", Severity::Error)])
            .action,
        Action::Allow
    );
    assert_eq!(
        team.code_action(&[finding("py-exec", Severity::Warning)])
            .action,
        Action::Block
    );
    assert!(team.code.scan_options().disabled_rules.contains("py-eval"));
}

#[test]
fn guard_errors_follow_the_fail_mode() {
    let s = set();
    let err = GuardError::Timeout(Duration::from_millis(5));
    let closed = s.policy("default").expect("default").on_guard_error(&err);
    assert_eq!(closed.action, Action::Block);
    assert!(closed.unchecked);
    let open = s.policy("team").expect("team").on_guard_error(&err);
    assert_eq!(open.action, Action::Allow);
    assert!(open.unchecked);
}

#[test]
fn combine_takes_the_strictest() {
    let s = set();
    let p = s.policy("default").expect("default");
    let g = p.decide_guard(&verdict(0.8, &["S2"]));
    let c = p.code_action(&[finding("py-exec", Severity::Error)]);
    let d = p.combine(&[g, c]);
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.categories.len(), 1);
    assert_eq!(d.rules, vec!["py-exec".to_owned()]);
    assert_eq!(d.unsafe_score, Some(0.8));
}

#[test]
fn combine_keeps_every_hit_in_order() {
    let s = set();
    let p = s.policy("default").expect("default");
    let first = p.code_action(&[finding("py-exec", Severity::Error)]);
    let none = p.combine(&[]);
    let second = p.code_action(&[finding("py-eval", Severity::Warning)]);
    let g = p.decide_guard(&verdict(0.9, &["S1", "S2"]));
    let d = p.combine(&[first, none, second, g]);
    assert_eq!(d.rules, vec!["py-exec".to_owned(), "py-eval".to_owned()]);
    assert_eq!(d.categories.len(), 2);
    assert!(p.combine(&[p.combine(&[])]).rules.is_empty());
}

#[test]
fn version_is_a_content_hash() {
    let a = set();
    let b = set();
    assert_eq!(a.version, b.version);
    assert_eq!(a.version.len(), 12);
    let other = compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text: format!("{SET}# a comment changes the content\n")
                .replace("KEYHASH", &api_key_sha256("sk-secret")),
        }],
        &ScanCatalog::new(["py-eval", "py-exec"], ["python"]),
    )
    .expect("valid");
    assert_ne!(a.version, other.version);
    assert_eq!(
        &*a.default_policy.id,
        format!("default@{}", a.version).as_str()
    );
}

#[test]
fn api_key_hash_is_lower_case_sha256_hex() {
    assert_eq!(
        api_key_sha256("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn presets_compile_with_the_builtin_catalog() {
    for (name, _) in warden_policies::presets::PRESETS {
        let set = warden_policies::presets::compile_preset(name, &ScanCatalog::builtin())
            .unwrap_or_else(|e| panic!("preset {name}: {e}"));
        assert_eq!(set.default_policy.name, name);
    }
    let default = PolicySet::builtin_default();
    let p = &default.default_policy;
    assert_eq!(p.guard.categories.len(), 11);
    assert!(
        p.guard
            .categories
            .iter()
            .all(|c| c.action.as_str() == "block" && c.threshold == 0.5)
    );
    assert_eq!(p.fail_mode, FailMode::Closed);
    assert_eq!(
        p.streaming,
        StreamingMode::Window {
            first: 128,
            size: 1000,
            overlap: 200
        }
    );
    assert_eq!(
        p.code_action(&[finding("x", Severity::Error)]).action,
        Action::Block
    );
    assert_eq!(
        p.code_action(&[finding("x", Severity::Warning)]).action,
        Action::Warn
    );
    let monitor = warden_policies::presets::compile_preset("monitor", &ScanCatalog::builtin())
        .expect("monitor");
    let d = monitor.default_policy.decide_guard(&verdict(0.9, &["S1"]));
    assert_eq!((d.action, d.intended), (Action::Log, Action::Block));
}

#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../docs/policies.md");
    let start = doc
        .find("## An annotated example")
        .expect("example section");
    let block = &doc[start..];
    let open = block.find("```yaml\n").expect("yaml fence") + "```yaml\n".len();
    let close = block[open..].find("\n```").expect("closing fence");
    let text = block[open..open + close + 1].to_owned();
    let set = compile(
        &[PolicySource {
            name: PathBuf::from("policies.yaml"),
            text,
        }],
        &ScanCatalog::new(
            ["python.assert-for-auth", "python.eval-input"],
            ["python", "javascript"],
        ),
    )
    .unwrap_or_else(|e| panic!("docs/policies.md example: {e}"));
    assert_eq!(set.routes.len(), 3);
    assert_eq!(set.tests.len(), 3);
    let research = set.policy("research").expect("research");
    let s5 = research
        .guard
        .categories
        .iter()
        .find(|c| c.id == "S5")
        .expect("S5");
    assert_eq!((s5.action.as_str(), s5.threshold), ("warn", 0.95));
    assert_eq!(research.mode, Mode::Monitor);
    // The documented key hash is the SHA-256 of "password".
    assert_eq!(
        set.routes[1].api_key_sha256.as_deref(),
        Some(api_key_sha256("password").as_str())
    );
}

fn streaming_of(streaming: &str) -> StreamingMode {
    let text = format!("version: 1\npolicies:\n  - name: p\n    streaming: {streaming}\n");
    let set = compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text,
        }],
        &ScanCatalog::new(["py-eval"], ["python"]),
    )
    .expect("valid set");
    set.default_policy.streaming
}

#[test]
fn the_first_window_defaults_to_128_capped_at_the_window() {
    let window = |first, size, overlap| StreamingMode::Window {
        first,
        size,
        overlap,
    };
    assert_eq!(streaming_of("{ mode: window }"), window(128, 1000, 200));
    // A window smaller than the default first window checks whole windows, as before.
    assert_eq!(
        streaming_of("{ window_chars: 48, overlap_chars: 16 }"),
        window(48, 48, 16)
    );
    assert_eq!(
        streaming_of("{ first_window_chars: 1000 }"),
        window(1000, 1000, 200)
    );
    assert_eq!(
        streaming_of("{ mode: async, first_window_chars: 64 }"),
        StreamingMode::Async {
            first: 64,
            size: 1000,
            overlap: 200
        }
    );
    // Buffer mode has one final check: the window settings do not apply.
    assert_eq!(
        streaming_of("{ mode: buffer, first_window_chars: 64 }"),
        StreamingMode::Buffer
    );
}
