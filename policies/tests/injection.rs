//! The `injection:` section: defaults, inheritance, validation errors, and the decisions the
//! detector's scores lead to.

use std::path::PathBuf;
use std::time::Duration;

use warden_policies::{
    Action, FailMode, InjectionPart, InjectionScore, Mode, PolicySet, PolicySource, RuleAction,
    ScanCatalog, compile,
};

fn compile_text(text: &str) -> Result<PolicySet, String> {
    compile(
        &[PolicySource {
            name: PathBuf::from("p.yaml"),
            text: text.to_owned(),
        }],
        &ScanCatalog::new(["py-eval"], ["python"]),
    )
    .map_err(|d| d.to_string())
}

const SET: &str = r#"
version: 1
policies:
  - name: default
    failure: { mode: open, guard_timeout_ms: 2000 }
  - name: agents
    extends: default
    injection:
      system_prompts: true
      default_threshold: 0.8
      labels:
        jailbreak: { action: warn }
        injection: { threshold: 0.95 }
      failure: { mode: closed, timeout_ms: 300 }
  - name: trial
    extends: agents
    injection:
      mode: monitor
      tool_results: false
      history: false
      labels:
        jailbreak: { threshold: 0.6 }
"#;

fn score(part: InjectionPart, label: &str, score: f32) -> InjectionScore {
    InjectionScore {
        part,
        index: 0,
        label: label.to_owned(),
        score,
    }
}

#[test]
fn defaults_scan_direct_input_and_third_party_data() {
    let set = compile_text(SET).expect("valid");
    let p = set.policy("default").expect("default");
    let inj = &p.injection;
    assert!(inj.scans(InjectionPart::User));
    assert!(
        !inj.scans(InjectionPart::System),
        "system prompts are the operator's"
    );
    assert!(inj.scans(InjectionPart::Tool));
    assert!(inj.scans(InjectionPart::Document));
    assert!(inj.history);
    assert_eq!(inj.mode, Mode::Enforce);
    // Fail mode and timeout follow the policy's own.
    assert_eq!(inj.fail_mode, FailMode::Open);
    assert_eq!(inj.timeout, Duration::from_millis(2000));
    for r in &inj.labels {
        assert_eq!(
            (r.action, r.threshold),
            (RuleAction::Block, 0.5),
            "{}",
            r.label
        );
    }
}

#[test]
fn settings_inherit_per_field_along_extends() {
    let set = compile_text(SET).expect("valid");
    let agents = set.policy("agents").expect("agents");
    let rule = |p: &warden_policies::Policy, l: &str| {
        let r = p.injection.rule(l).expect("label");
        (r.action, r.threshold)
    };
    assert!(agents.injection.scans(InjectionPart::System));
    assert_eq!(rule(agents, "jailbreak"), (RuleAction::Warn, 0.8));
    assert_eq!(rule(agents, "injection"), (RuleAction::Block, 0.95));
    assert_eq!(rule(agents, "malicious"), (RuleAction::Block, 0.8));
    assert_eq!(agents.injection.fail_mode, FailMode::Closed);
    assert_eq!(agents.injection.timeout, Duration::from_millis(300));

    let trial = set.policy("trial").expect("trial");
    assert_eq!(rule(trial, "jailbreak"), (RuleAction::Warn, 0.6));
    assert_eq!(rule(trial, "injection"), (RuleAction::Block, 0.95));
    assert!(!trial.injection.scans(InjectionPart::Tool));
    assert!(trial.injection.scans(InjectionPart::Document));
    assert!(!trial.injection.history);
    assert_eq!(trial.injection.mode, Mode::Monitor);
    // Only the detector is in monitor mode; the policy itself still enforces.
    assert_eq!(trial.mode, Mode::Enforce);
}

#[test]
fn direct_input_is_never_judged_for_injection() {
    let set = compile_text(SET).expect("valid");
    let p = set.policy("default").expect("default");
    // A user's own instructions score high on Prompt Guard 1's INJECTION class by design.
    let d = p.decide_injection(&[score(InjectionPart::User, "injection", 0.99)]);
    assert_eq!(d.intended, Action::Allow);
    assert!(d.injection.is_empty());
    let d = p.decide_injection(&[score(InjectionPart::User, "jailbreak", 0.7)]);
    assert_eq!(d.action, Action::Block);
    assert_eq!(d.injection[0].label, "jailbreak");
    assert_eq!(d.injection[0].part, InjectionPart::User);
    // Third-party data is judged for injection, not for the jailbreak label alone.
    let d = p.decide_injection(&[score(InjectionPart::Tool, "jailbreak", 0.99)]);
    assert_eq!(d.intended, Action::Allow);
    let d = p.decide_injection(&[score(InjectionPart::Document, "injection", 0.51)]);
    assert_eq!(d.action, Action::Block);
    // Prompt Guard 2's single label applies to both.
    let d = p.decide_injection(&[
        score(InjectionPart::User, "malicious", 0.2),
        score(InjectionPart::Tool, "malicious", 0.9),
    ]);
    assert_eq!(d.injection.len(), 1);
    assert_eq!(d.injection[0].part, InjectionPart::Tool);
    // Below threshold, NaN and unscanned parts never fire.
    let d = p.decide_injection(&[
        score(InjectionPart::User, "jailbreak", 0.49),
        score(InjectionPart::User, "jailbreak", f32::NAN),
        score(InjectionPart::System, "jailbreak", 0.99),
    ]);
    assert_eq!(d.intended, Action::Allow);
}

#[test]
fn monitor_and_fail_modes() {
    let set = compile_text(SET).expect("valid");
    let trial = set.policy("trial").expect("trial");
    let d = trial.decide_injection(&[score(InjectionPart::Document, "injection", 0.99)]);
    assert_eq!(d.intended, Action::Block);
    assert_eq!(d.action, Action::Log, "monitor mode records a block as log");
    let agents = set.policy("agents").expect("agents");
    let d = agents.decide_injection(&[score(InjectionPart::User, "jailbreak", 0.9)]);
    assert_eq!(d.action, Action::Warn);
    let e = agents.on_injection_error();
    assert!(e.unchecked);
    assert_eq!(e.action, Action::Block);
    let e = set.policy("default").expect("default").on_injection_error();
    assert_eq!(e.action, Action::Allow);
    assert!(e.unchecked);
    // Combined with the guard's decision, the strictest wins and the hits are kept.
    let guard = agents.combine(&[]);
    let both = agents.combine(&[guard, d]);
    assert_eq!(both.action, Action::Warn);
    // A detector in monitor mode stays softened when combined under an enforcing policy.
    let monitored = trial.decide_injection(&[score(InjectionPart::Document, "injection", 0.99)]);
    assert_eq!(monitored.action, Action::Log);
    let combined = trial.combine(&[trial.combine(&[]), monitored]);
    assert_eq!(
        (combined.action, combined.intended),
        (Action::Log, Action::Block)
    );
    assert_eq!(both.injection.len(), 1);
}

#[test]
fn all_labels_off_scans_nothing() {
    let set = compile_text(
        "version: 1\npolicies:\n  - name: default\n    injection:\n      default_action: off\n",
    )
    .expect("valid");
    let p = set.policy("default").expect("default");
    assert!(!p.injection.active());
}

#[test]
fn validation_errors_name_the_field_and_the_fix() {
    let err = compile_text(
        r#"version: 1
policies:
  - name: default
    injection:
      default_threshold: 1.5
      labels:
        Jailbreak: { action: block }
        benign: { threshold: 0.1 }
        injecton: { action: warn }
        malicious: { threshold: -1 }
      failure: { timeout_ms: 0 }
"#,
    )
    .expect_err("invalid");
    insta::assert_snapshot!(err);
}

#[test]
fn unknown_field_in_the_section_suggests_the_closest() {
    let err = compile_text(
        "version: 1\npolicies:\n  - name: default\n    injection:\n      tool_result: false\n",
    )
    .expect_err("invalid");
    assert!(err.contains("tool_results"), "{err}");
}
