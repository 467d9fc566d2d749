//! Property tests of policy parsing: any text, and any edit of a valid file (a line dropped,
//! repeated or changed, a cut at any byte), compiles or fails with diagnostics that point
//! into the file; it never panics. Generated valid policies always compile, to the same
//! version every time.
//!
//! Case counts follow `PROPTEST_CASES` (README, "Property tests").

use std::path::PathBuf;

use proptest::prelude::*;
use warden_policies::presets::PRESETS;
use warden_policies::{PolicySource, ScanCatalog, compile};

fn source(text: String) -> Vec<PolicySource> {
    vec![PolicySource {
        name: PathBuf::from("p.yaml"),
        text,
    }]
}

/// Compiles `text` and checks that every diagnostic names the file, a place inside it, a
/// message and a fix.
fn compiles_or_points_into(text: String) -> Result<(), TestCaseError> {
    let lines = text.lines().count() as u64 + 1;
    match compile(&source(text.clone()), &ScanCatalog::builtin()) {
        Ok(set) => {
            prop_assert!(!set.version.is_empty());
        }
        Err(diagnostics) => {
            prop_assert!(
                !diagnostics.is_empty(),
                "an error without a diagnostic: {:?}",
                text
            );
            for d in diagnostics.iter() {
                prop_assert_eq!(&d.file, &PathBuf::from("p.yaml"));
                prop_assert!(
                    d.line <= lines,
                    "line {} past the end of {:?}: {}",
                    d.line,
                    text,
                    d
                );
                prop_assert!(!d.message.is_empty(), "no message: {}", d);
                prop_assert!(!d.fix.is_empty(), "no fix: {}", d);
            }
        }
    }
    Ok(())
}

/// YAML-shaped noise: keys of the policy schema, indentation, flow syntax, anchors, tags.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "version: 1\n",
        "policies:\n",
        "  - name: a\n",
        "    guard:\n",
        "      categories:\n",
        "        S1: {action: block, threshold: 0.5}\n",
        "    extends: a\n",
        "    mode: monitor\n",
        "    streaming: {mode: window, window_chars: 0}\n",
        "  ",
        "- ",
        ": ",
        "[",
        "]",
        "{",
        "}",
        "&a ",
        "*a",
        "!!str ",
        "<<: *a\n",
        "\"\\u00e9\"",
        "'x'",
        "\n",
        "\t",
        "#c\n",
        "---\n",
        "1e400",
        "-1",
        "0.5",
        "null",
        "~",
        "é",
        "S99",
        "routes:\n",
        "  - match: {path: '[' }\n",
        "tests:\n",
        "  - input: x\n    expect: block\n",
    ]);
    prop::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

/// A valid policy file built from choices the schema allows.
fn valid_policy() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec!["enforce", "monitor"]),
        0u32..=100,
        prop::sample::select(vec!["block", "warn", "log"]),
        prop::collection::btree_map(1u32..=11, (0u32..=100, any::<bool>()), 0..4),
        prop::sample::select(vec!["window", "buffer", "async"]),
        prop::sample::select(vec!["open", "closed"]),
        400u16..=499,
        "[A-Za-z .,']{1,30}",
    )
        .prop_map(|(mode, threshold, action, cats, streaming, fail, status, message)| {
            let mut text = format!(
                "version: 1\npolicies:\n  - name: p\n    mode: {mode}\n    guard:\n      template: lg2\n      default_action: {action}\n      default_threshold: {}\n",
                f64::from(threshold) / 100.0
            );
            if !cats.is_empty() {
                text.push_str("      categories:\n");
                for (code, (t, block)) in &cats {
                    let action = if *block { "block" } else { "warn" };
                    text.push_str(&format!(
                        "        S{code}: {{action: {action}, threshold: {}}}\n",
                        f64::from(*t) / 100.0
                    ));
                }
            }
            text.push_str(&format!(
                "    streaming:\n      mode: {streaming}\n    failure:\n      mode: {fail}\n    block_response:\n      status: {status}\n      message: \"{}\"\n",
                message.trim()
            ));
            text
        })
}

#[derive(Debug, Clone)]
enum Edit {
    Drop(prop::sample::Index),
    Repeat(prop::sample::Index),
    Replace(prop::sample::Index, String),
    Cut(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<prop::sample::Index>().prop_map(Edit::Drop),
        any::<prop::sample::Index>().prop_map(Edit::Repeat),
        (any::<prop::sample::Index>(), yamlish()).prop_map(|(i, s)| Edit::Replace(i, s)),
        any::<prop::sample::Index>().prop_map(Edit::Cut),
    ]
}

fn apply(text: &str, edit: &Edit) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if lines.is_empty() {
        return String::new();
    }
    match edit {
        Edit::Drop(i) => {
            lines.remove(i.index(lines.len()));
        }
        Edit::Repeat(i) => {
            let at = i.index(lines.len());
            lines.insert(at, lines[at].clone());
        }
        Edit::Replace(i, s) => {
            let at = i.index(lines.len());
            lines[at] = s.clone();
        }
        Edit::Cut(i) => {
            let mut at = i.index(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            return text[..at].to_string();
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn any_text_compiles_or_points_into_the_file(text in prop_oneof![yamlish(), "\\PC{0,200}"]) {
        compiles_or_points_into(text)?;
    }

    #[test]
    fn any_edit_of_a_preset_compiles_or_points_into_the_file(
        preset in prop::sample::select(PRESETS.to_vec()),
        edits in prop::collection::vec(edit(), 1..4),
    ) {
        let mut text = preset.1.to_string();
        for e in &edits {
            text = apply(&text, e);
        }
        compiles_or_points_into(text)?;
    }

    #[test]
    fn generated_valid_policies_compile_to_one_version(text in valid_policy()) {
        let first = compile(&source(text.clone()), &ScanCatalog::builtin());
        let first = match first {
            Ok(set) => set,
            Err(d) => return Err(TestCaseError::fail(format!("{d}\n---\n{text}"))),
        };
        let again = compile(&source(text), &ScanCatalog::builtin()).expect("compiled once");
        prop_assert_eq!(first.version, again.version);
    }
}
