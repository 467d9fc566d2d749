//! Every built-in rule compiles and passes its own examples; the loader rejects broken rules.

use std::collections::{BTreeMap, BTreeSet};

use warden_code_scan::{Language, ScanError, Scanner, builtin_rule_ids};

#[test]
fn every_builtin_rule_compiles_and_passes_its_examples() {
    // `Scanner::builtin` does not run the examples at start-up (ADR 030); this test is where
    // they are checked. Every failing example is listed, not just the first, so a batch can be
    // fixed at once.
    let scanner = Scanner::builtin().unwrap_or_else(|e| panic!("built-in rules rejected: {e}"));
    let failures = scanner.example_failures();
    for failure in &failures {
        eprintln!("{failure}");
    }
    assert!(
        failures.is_empty(),
        "built-in rules rejected ({} example failures), the first: {}",
        failures.len(),
        failures
            .first()
            .map(ToString::to_string)
            .unwrap_or_default()
    );
    let mut per_language: BTreeMap<String, usize> = BTreeMap::new();
    let mut cwes: BTreeSet<String> = BTreeSet::new();
    for rule in scanner.rules() {
        if rule.languages.is_empty() {
            *per_language.entry("any".into()).or_default() += 1;
        }
        for l in &rule.languages {
            *per_language.entry(l.name().into()).or_default() += 1;
        }
        cwes.extend(rule.cwe.iter().cloned());
        assert!(
            rule.path.starts_with(&format!(
                "{}/",
                rule.languages.first().map_or("generic", |l| l.name())
            )),
            "rule {} lives in {}: put it under rules/<its first language>/",
            rule.id,
            rule.path
        );
    }
    println!(
        "{} rules, {} CWEs: {per_language:?}",
        scanner.rules().len(),
        cwes.len()
    );
    assert_eq!(builtin_rule_ids(), scanner.rule_ids());
}

#[test]
fn a_rule_whose_example_is_missed_is_rejected_with_file_and_reason() {
    let rule = r#"
id: python.example-fails
language: python
cwe: [CWE-94]
severity: error
message: eval
why: w
instead: i
query: |
  (call function: (identifier) @f (#eq? @f "eval")) @match
examples:
  flagged: ["exec(x)"]
  passes: ["print(x)"]
"#;
    let err = Scanner::from_rule_files([("python/example-fails.yaml", rule)])
        .expect_err("a missed example must reject the rule");
    match &err {
        ScanError::RuleExample {
            path, rule, kind, ..
        } => {
            assert_eq!(path, "python/example-fails.yaml");
            assert_eq!(rule, "python.example-fails");
            assert_eq!(*kind, "flagged");
        }
        other => panic!("wrong error: {other}"),
    }
    let noisy = rule
        .replace(r#"["exec(x)"]"#, r#"["eval(x)"]"#)
        .replace(r#"["print(x)"]"#, r#"["eval('1')"]"#);
    let err = Scanner::from_rule_files([("python/example-fails.yaml", noisy.as_str())])
        .expect_err("a look-alike that fires must reject the rule");
    assert!(err.to_string().contains("passes[0]"), "{err}");
}

#[test]
fn a_broken_query_names_its_rule_and_language() {
    let rule = r#"
id: go.broken
language: go
cwe: [CWE-78]
severity: error
message: m
why: w
instead: i
query: "(call_expression function: (no_such_kind)) @match"
examples:
  flagged: ["x()"]
"#;
    let err = Scanner::from_rule_files([("go/broken.yaml", rule)]).expect_err("bad node kind");
    let text = err.to_string();
    assert!(
        text.contains("go.broken") && text.contains("go/broken.yaml") && text.contains("go"),
        "{text}"
    );
}

#[test]
fn every_language_has_rules() {
    let scanner = Scanner::builtin().expect("built-in rules load");
    for language in Language::ALL {
        let n = scanner
            .rules()
            .iter()
            .filter(|r| r.languages.contains(&language))
            .count();
        assert!(n > 0, "{language} has no rules");
    }
}

/// Every CWE Code Shield checks, for every language it claims (from
/// `../shared/spec/code-shield.md`), has at least one rule that runs on that language.
#[test]
fn covers_every_cwe_code_shield_checks_per_language() {
    let code_shield: &[(Language, &[u32])] = &[
        (
            Language::C,
            &[
                78, 119, 120, 121, 242, 323, 328, 338, 347, 477, 590, 676, 680, 1240,
            ],
        ),
        (
            Language::Cpp,
            &[
                78, 119, 120, 121, 242, 323, 328, 338, 347, 477, 590, 676, 680, 1240, 611, 665,
            ],
        ),
        (
            Language::CSharp,
            &[
                22, 78, 79, 89, 90, 295, 327, 338, 352, 502, 521, 554, 601, 611, 614, 643, 1004,
            ],
        ),
        (Language::Java, &[327, 611]),
        (
            Language::JavaScript,
            &[22, 79, 95, 119, 185, 319, 345, 770, 908, 940],
        ),
        (Language::Php, &[200, 327, 502]),
        (Language::Python, &[78, 89, 94, 328, 502]),
        (Language::Rust, &[798, 312]),
    ];
    let scanner = Scanner::builtin().expect("built-in rules load");
    let mut missing = Vec::new();
    for (language, cwes) in code_shield {
        let covered: BTreeSet<String> = scanner
            .rules()
            .iter()
            .filter(|r| r.applies_to(Some(*language)))
            .flat_map(|r| r.cwe.iter().cloned())
            .collect();
        for cwe in *cwes {
            if !covered.contains(&format!("CWE-{cwe}")) {
                missing.push(format!("{language}: CWE-{cwe}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "CWEs Code Shield checks that we do not: {missing:?}"
    );
}

#[test]
fn a_broken_flow_rule_names_its_file_field_and_fix() {
    let rule = r#"
id: python.flow-broken
language: python
cwe: [CWE-78]
severity: error
message: m
why: w
instead: i
flow:
  sanitizers: ['shlex\.quote(']
  sinks:
    - call: 'os\.system'
examples:
  flagged: ["os.system(cmd)"]
"#;
    let text = Scanner::from_rule_files([("python/flow-broken.yaml", rule)])
        .expect_err("a sanitiser regex that does not compile")
        .to_string();
    assert!(
        text.contains("python/flow-broken.yaml") && text.contains("flow.sanitizers"),
        "{text}"
    );
    let no_sink = rule.replace("    - call: 'os\\.system'\n", "    - args: [0]\n");
    let text = Scanner::from_rule_files([("python/flow-broken.yaml", no_sink.as_str())])
        .expect_err("a sink without a path")
        .to_string();
    assert!(
        text.contains("`call`") && text.contains("`assign`"),
        "{text}"
    );
    let mixed = rule.replace("flow:", "query: \"(call) @match\"\nflow:");
    let text = Scanner::from_rule_files([("python/flow-broken.yaml", mixed.as_str())])
        .expect_err("flow with a query")
        .to_string();
    assert!(text.contains("use `flow` alone"), "{text}");
    let argv_on_assign = rule
        .replace("['shlex\\.quote(']", "['shlex\\.quote']")
        .replace(
            "    - call: 'os\\.system'\n",
            "    - assign: '.*\\.innerHTML'\n      argv_arrays: true\n",
        );
    let text = Scanner::from_rule_files([("python/flow-broken.yaml", argv_on_assign.as_str())])
        .expect_err("argv_arrays on an assignment sink")
        .to_string();
    assert!(
        text.contains("flow.sinks[0]") && text.contains("`argv_arrays`"),
        "{text}"
    );
}
