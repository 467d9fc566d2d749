//! Every validation error path, with its exact message (snapshots).

use std::path::PathBuf;

use warden_policies::{PolicySource, ScanCatalog, compile};

fn catalog() -> ScanCatalog {
    ScanCatalog::new(
        ["py-eval", "py-subprocess-shell", "js-eval"],
        ["python", "javascript", "rust"],
    )
}

fn sources(files: &[(&str, &str)]) -> Vec<PolicySource> {
    files
        .iter()
        .map(|(name, text)| PolicySource {
            name: PathBuf::from(name),
            text: (*text).to_owned(),
        })
        .collect()
}

/// The diagnostics of an invalid set, as `warden policy check` prints them.
fn errors(files: &[(&str, &str)]) -> String {
    match compile(&sources(files), &catalog()) {
        Ok(set) => panic!("expected errors, got a valid set {}", set.version),
        Err(d) => d.to_string(),
    }
}

fn one(text: &str) -> String {
    errors(&[("p.yaml", text)])
}

const MINIMAL: &str = "version: 1\npolicies:\n  - name: default\n";

#[test]
fn minimal_file_is_valid() {
    let set = compile(&sources(&[("p.yaml", MINIMAL)]), &catalog()).expect("valid");
    assert_eq!(set.default_policy.name, "default");
}

#[test]
fn yaml_syntax_error() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard: [unclosed\n"
    ));
}

#[test]
fn unknown_top_level_field_suggests_the_closest() {
    insta::assert_snapshot!(one("version: 1\npolicy:\n  - name: default\n"));
}

#[test]
fn unknown_nested_field_suggests_the_closest() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        S1:\n          thresold: 0.7\n"
    ));
}

#[test]
fn unknown_action_value_suggests_the_closest() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      default_action: blok\n"
    ));
}

#[test]
fn unknown_template() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      template: lg4\n"
    ));
}

#[test]
fn unknown_mode() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    mode: monitr\n"
    ));
}

#[test]
fn duplicate_key() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    mode: enforce\n    mode: monitor\n"
    ));
}

#[test]
fn missing_required_field() {
    insta::assert_snapshot!(one("version: 1\npolicies:\n  - description: no name\n"));
}

#[test]
fn missing_version() {
    insta::assert_snapshot!(one("policies:\n  - name: default\n"));
}

#[test]
fn wrong_value_type() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    failure:\n      guard_timeout_ms: soon\n"
    ));
}

#[test]
fn unsupported_version() {
    insta::assert_snapshot!(one("version: 2\npolicies:\n  - name: default\n"));
}

#[test]
fn invalid_policy_name() {
    insta::assert_snapshot!(one("version: 1\npolicies:\n  - name: \"my policy\"\n"));
}

#[test]
fn duplicate_policy_across_files() {
    insta::assert_snapshot!(errors(&[("a.yaml", MINIMAL), ("b.yaml", MINIMAL)]));
}

#[test]
fn routes_in_two_files() {
    let a = "version: 1\npolicies:\n  - name: default\nroutes:\n  - match: { path: \"/a\" }\n    policy: default\n";
    let b = "version: 1\nroutes:\n  - match: { path: \"/b\" }\n    policy: default\n";
    insta::assert_snapshot!(errors(&[("a.yaml", a), ("b.yaml", b)]));
}

#[test]
fn default_policy_in_two_files() {
    let a = "version: 1\npolicies:\n  - name: default\ndefault_policy: default\n";
    let b = "version: 1\ndefault_policy: default\n";
    insta::assert_snapshot!(errors(&[("a.yaml", a), ("b.yaml", b)]));
}

#[test]
fn extends_unknown_policy() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n  - name: team\n    extends: defualt\n"
    ));
}

#[test]
fn extends_cycle() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n  - name: a\n    extends: b\n  - name: b\n    extends: c\n  - name: c\n    extends: a\n"
    ));
}

#[test]
fn extends_self() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    extends: default\n"
    ));
}

#[test]
fn unknown_category_suggests_the_closest() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        S12: { action: warn }\n        s3: { action: log }\n"
    ));
}

#[test]
fn unknown_category_of_the_inherited_template() {
    // S14 exists in LG3 but the parent chose LG2.
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      template: lg2\n  - name: child\n    extends: default\n    guard:\n      categories:\n        S14: { action: warn }\n"
    ));
}

#[test]
fn misspelt_custom_category_id() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      custom_categories:\n        - id: financial_advice\n          name: Financial advice\n      categories:\n        financal_advice: { action: warn }\n"
    ));
}

#[test]
fn thresholds_outside_0_1() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      default_threshold: 1.5\n      categories:\n        S1: { threshold: -0.1 }\n      custom_categories:\n        - id: fin\n          name: Finance\n          threshold: 2\n"
    ));
}

#[test]
fn invalid_custom_categories() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      custom_categories:\n        - id: \"bad id\"\n          name: One\n        - id: S3\n          name: Two\n        - id: dup\n          name: Three\n        - id: dup\n          name: Four\n        - id: empty\n          name: \"  \"\n"
    ));
}

#[test]
fn unknown_rule_id_suggests_the_closest() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    code:\n      disabled_rules: [py-evl, no-such-rule]\n"
    ));
}

#[test]
fn unknown_language() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    code:\n      languages: [python, pyhton]\n"
    ));
}

#[test]
fn window_of_zero() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    streaming:\n      mode: window\n      window_chars: 0\n"
    ));
}

#[test]
fn overlap_not_smaller_than_window() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    streaming:\n      window_chars: 100\n      overlap_chars: 100\n"
    ));
}

#[test]
fn first_window_of_zero() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    streaming:\n      mode: window\n      first_window_chars: 0\n"
    ));
}

#[test]
fn first_window_larger_than_the_window() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    streaming:\n      mode: async\n      window_chars: 300\n      first_window_chars: 400\n"
    ));
}

#[test]
fn guard_timeout_out_of_range() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    failure:\n      guard_timeout_ms: 0\n"
    ));
}

#[test]
fn block_status_not_an_error() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    block_response:\n      status: 200\n"
    ));
}

#[test]
fn route_to_missing_policy() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n  - name: strict\nroutes:\n  - match: { path: \"/v1/*\" }\n    policy: strct\n"
    ));
}

#[test]
fn route_without_conditions() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\nroutes:\n  - match: {}\n    policy: default\n"
    ));
}

#[test]
fn route_with_bad_glob() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\nroutes:\n  - match:\n      model: \"llama[3\"\n    policy: default\n"
    ));
}

#[test]
fn route_with_plaintext_api_key() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\nroutes:\n  - match:\n      api_key_sha256: sk-live-1234\n    policy: default\n"
    ));
}

#[test]
fn route_with_bad_header_name() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\nroutes:\n  - match:\n      header: { name: \"x team\", value: red }\n    policy: default\n"
    ));
}

#[test]
fn no_default_policy() {
    insta::assert_snapshot!(one("version: 1\npolicies:\n  - name: a\n  - name: b\n"));
}

#[test]
fn default_policy_names_unknown_policy() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: a\n  - name: b\ndefault_policy: c\n"
    ));
}

#[test]
fn no_policy_at_all() {
    insta::assert_snapshot!(one("version: 1\n"));
}

#[test]
fn empty_directory() {
    insta::assert_snapshot!(errors(&[]));
}

#[test]
fn invalid_tests() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\ntests:\n  - name: wrong policy\n    policy: defualt\n    prompt: hi\n    expect: allow\n  - name: no sample\n    policy: default\n    expect: allow\n  - name: code without language\n    policy: default\n    code: eval(x)\n    expect: block\n  - name: unknown hits\n    policy: default\n    prompt: hi\n    expect: block\n    hits: [S99]\n  - name: unknown rule hit\n    policy: default\n    code: eval(x)\n    language: python\n    expect: block\n    hits: [py-evl]\n"
    ));
}

#[test]
fn unknown_test_expectation() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\ntests:\n  - name: bad expectation\n    policy: default\n    prompt: hi\n    expect: blocked\n"
    ));
}

#[test]
fn every_error_is_collected_across_files() {
    let a = "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        S99: { action: warn }\n      default_threshold: 3\n    code:\n      disabled_rules: [nope]\nroutes:\n  - match: { path: \"/x\" }\n    policy: missing\n";
    let b = "version: 1\npolicies:\n  - name: other\n    streaming: { window_chars: 10, overlap_chars: 20 }\n  - name: default\n";
    let c = "version: 1\npolicies:\n  - name: third\n    block_response: { status: 302 }\n";
    let text = errors(&[("a.yaml", a), ("b.yaml", b), ("c.yaml", c)]);
    assert_eq!(text.matches("\n  fix: ").count(), 7, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn an_error_in_a_parent_is_reported_once_at_the_parent() {
    let text = one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        S99: { action: warn }\n  - name: a\n    extends: default\n  - name: b\n    extends: a\n",
    );
    assert_eq!(text.matches("S99").count(), 2, "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn a_syntax_error_in_one_file_does_not_hide_problems_in_others() {
    let a = "version: 1\npolicies:\n  - name: default\n    mode: sometimes\n";
    let b = "version: 1\npolicies:\n  - name: other\n    guard: { default_threshold: 7 }\nroutes:\n  - match: { model: \"x*\" }\n    policy: defined-in-the-broken-file-maybe\n";
    insta::assert_snapshot!(errors(&[("a.yaml", a), ("b.yaml", b)]));
}

#[test]
fn overlap_inherited_from_the_default_exceeds_a_small_window() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    streaming:\n      window_chars: 150\n"
    ));
}

#[test]
fn unknown_language_of_a_code_test() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\ntests:\n  - name: cobol\n    policy: default\n    code: DISPLAY 'HI'.\n    language: cobol\n    expect: allow\n"
    ));
}

#[test]
fn empty_file() {
    insta::assert_snapshot!(one(""));
}

#[test]
fn file_that_is_not_a_mapping() {
    insta::assert_snapshot!(one("- version: 1\n"));
}

#[test]
fn category_written_by_name_points_to_its_code() {
    insta::assert_snapshot!(one(
        "version: 1\npolicies:\n  - name: default\n    guard:\n      categories:\n        Hate: { action: warn }\n"
    ));
}
