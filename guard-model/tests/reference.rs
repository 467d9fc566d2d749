//! Warden reproduces transformers on the seeded random Llama of `tests/fixtures/reference/`
//! with the real Llama 3 tokenizer: the same prompt text and token ids, and first-position
//! log-probabilities within the file's tolerance (1e-3, f32). Also checks that the
//! classifier's prefix cache does not change the logits (1e-4).

#[path = "common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use warden_guard_model::load::{LoadOptions, ModelFiles, load_model};
use warden_guard_model::model::{Head, Llama};
use warden_guard_model::prompt::neutralise;
use warden_guard_model::{
    CandleClassifier, CandleOptions, ClassifyRequest, GuardTokenizer, Taxonomy, Template, Turn,
    render,
};

#[derive(Deserialize)]
struct Reference {
    tolerance: f32,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    model: String,
    template: Template,
    conversation: Vec<Turn>,
    prompt: String,
    input_ids: Vec<u32>,
    first_position: Position,
    after_271: Option<Position>,
    categories: Option<Vec<CustomCategory>>,
}

#[derive(Deserialize)]
struct CustomCategory {
    name: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Position {
    top5: Vec<Top>,
    logprobs_at: std::collections::BTreeMap<u32, f32>,
}

#[derive(Deserialize)]
struct Top {
    id: u32,
    logprob: f32,
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/reference")
}

fn reference() -> Reference {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("parse reference.json")
}

fn taxonomy(case: &Case) -> Taxonomy {
    match &case.categories {
        None => case.template.default_taxonomy(),
        Some(cats) => Taxonomy::custom(
            case.template,
            cats.iter().map(|c| (c.name.clone(), c.description.clone())),
        )
        .expect("custom categories"),
    }
}

fn model(name: &str) -> Llama {
    let files = ModelFiles::resolve(&fixtures().join(name), Some(common::llama3_tokenizer()))
        .expect("resolve reference model");
    load_model(&files, &LoadOptions::default()).expect("load reference model")
}

fn log_softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = f64::from(max)
        + logits
            .iter()
            .map(|&x| f64::from(x - max).exp())
            .sum::<f64>()
            .ln();
    logits
        .iter()
        .map(|&x| (f64::from(x) - lse) as f32)
        .collect()
}

fn check_position(case: &str, what: &str, lp: &[f32], want: &Position, tol: f32) {
    for (&id, &expected) in &want.logprobs_at {
        let got = lp[id as usize];
        assert!(
            (got - expected).abs() <= tol,
            "{case} {what}: logprob of {id}: {got} vs {expected}"
        );
    }
    for t in &want.top5 {
        let got = lp[t.id as usize];
        assert!(
            (got - t.logprob).abs() <= tol,
            "{case} {what}: top5 id {}: {got} vs {}",
            t.id,
            t.logprob
        );
    }
    // Nothing else outranks the reference's fifth token by more than the tolerance.
    let fifth = want.top5.last().map_or(f32::NEG_INFINITY, |t| t.logprob);
    let above = lp.iter().filter(|&&x| x > fifth + tol).count();
    assert!(
        above <= 4,
        "{case} {what}: {above} tokens above the reference top-5"
    );
}

#[test]
fn ids_and_first_position_logprobs_match_transformers() {
    let r = reference();
    assert!(r.cases.len() >= 10);
    let tokenizer = GuardTokenizer::from_file(common::llama3_tokenizer()).expect("tokenizer");
    let models = [
        ("tiny-llama3", model("tiny-llama3")),
        ("tiny-llama3-rope-scaled", model("tiny-llama3-rope-scaled")),
    ];
    assert!(models[1].1.config().rope_scaling.is_some());
    let mut exact = 0;
    for case in &r.cases {
        let tax = taxonomy(case);
        let rendered = render(&tax, &case.conversation).expect("render");
        let encoded = tokenizer.encode(&rendered).expect("encode");
        if has_markers(case) {
            // Warden neutralises template markers and control-token text inside content
            // (prompt.rs), so these prompts deliberately differ from the reference's.
            assert_ne!(
                rendered.text, case.prompt,
                "{}: markers neutralised",
                case.name
            );
        } else {
            assert_eq!(
                rendered.body(),
                body(&case.prompt),
                "{}: prompt text",
                case.name
            );
            assert_eq!(encoded.ids, case.input_ids, "{}: input ids", case.name);
            exact += 1;
        }

        let m = &models
            .iter()
            .find(|(n, _)| *n == case.model)
            .expect("known model")
            .1;
        let mut cache = m.new_cache(1);
        let logits = m
            .forward(&case.input_ids, &mut cache, &Head::Full)
            .expect("forward");
        let lp = log_softmax(&logits.get(0).expect("row").to_vec1().expect("vec"));
        check_position(
            &case.name,
            "first position",
            &lp,
            &case.first_position,
            r.tolerance,
        );
        if let Some(after) = &case.after_271 {
            let logits = m
                .forward(&[271], &mut cache, &Head::Full)
                .expect("after 271");
            let lp = log_softmax(&logits.get(0).expect("row").to_vec1().expect("vec"));
            check_position(&case.name, "after 271", &lp, after, r.tolerance);
        }
    }
    assert!(
        exact >= r.cases.len() - 4,
        "only {exact} cases compared exactly"
    );
}

/// The prompt after the template's BOS text (the LG3-8B chat template writes
/// `" <|begin_of_text|>"`; both sides feed exactly one BOS id).
fn body(prompt: &str) -> &str {
    prompt
        .trim_start_matches(' ')
        .trim_start_matches("<|begin_of_text|>")
}

fn has_markers(case: &Case) -> bool {
    case.conversation
        .iter()
        .any(|t| matches!(neutralise(&t.content), std::borrow::Cow::Owned(_)))
}

#[test]
fn classifier_matches_reference_and_prefix_cache_changes_nothing() {
    let r = reference();
    let options = CandleOptions {
        tokenizer: Some(common::llama3_tokenizer().to_path_buf()),
        ..CandleOptions::default()
    };
    let classifier =
        CandleClassifier::load(&fixtures().join("tiny-llama3"), options).expect("load classifier");
    let mut checked = 0;
    for case in r
        .cases
        .iter()
        .filter(|c| c.model == "tiny-llama3" && !has_markers(c))
    {
        let request = ClassifyRequest {
            turns: case.conversation.clone(),
            taxonomy: Arc::new(taxonomy(case)),
            // A random model answers gibberish: never let the score ask for categories.
            threshold: 1.01,
            always_decode: false,
            keep_context: false,
        };
        let cached = classifier.scoring_logits(&request, true).expect("cached");
        let uncached = classifier
            .scoring_logits(&request, false)
            .expect("uncached");
        let d = cached
            .iter()
            .zip(&uncached)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max);
        assert!(
            d < 1e-4,
            "{}: prefix cache changes logits by {d}",
            case.name
        );

        let details = classifier.inspect_blocking(request).expect("inspect");
        assert_eq!(details.input_ids, case.input_ids, "{}", case.name);
        assert_eq!(body(&details.prompt), body(&case.prompt), "{}", case.name);
        let want = case.after_271.as_ref().unwrap_or(&case.first_position);
        for (got, want) in details.top5.iter().zip(&want.top5) {
            assert!(
                (got.logprob - want.logprob).abs() <= r.tolerance,
                "{}: top5 {got:?} vs {} {}",
                case.name,
                want.id,
                want.logprob
            );
        }
        let lp_safe = details
            .verdict
            .logprob_safe
            .expect("full vocabulary by default");
        let want_safe = want.logprobs_at[&19193];
        assert!((lp_safe - want_safe).abs() <= r.tolerance, "{}", case.name);
        checked += 1;
    }
    assert!(checked >= 5);
    let stats = classifier.stats();
    assert!(stats.prefix_hits > 0, "{stats:?}");
}
