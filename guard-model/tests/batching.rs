//! The batched engine against the unbatched path: prompts with different prefixes (`User` and
//! `Agent` checks, different category lists, a kept stream context) in **one** forward pass
//! and one batched greedy decode give the scores of running each alone (within 1e-4) and the
//! same greedy tokens; one prompt that fails leaves the others of its pass their results.
//!
//! A pass is formed deterministically, without timing: the batched classifier waits (up to a
//! minute, never reached) until exactly `max_batch` prompts are queued.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use warden_guard_model::{
    CandleClassifier, CandleOptions, Classification, ClassifyRequest, GuardError, Taxonomy,
    Template, Turn, TurnRole,
};

fn toy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/toy-guard")
}

fn turn(role: TurnRole, content: &str) -> Turn {
    Turn {
        role,
        content: content.to_string(),
    }
}

fn request(turns: Vec<Turn>, taxonomy: &Arc<Taxonomy>) -> ClassifyRequest {
    ClassifyRequest {
        turns,
        taxonomy: Arc::clone(taxonomy),
        threshold: 0.5,
        always_decode: false,
        keep_context: false,
    }
}

fn single() -> CandleClassifier {
    CandleClassifier::load(
        &toy(),
        CandleOptions {
            max_batch: 1,
            context_cache_bytes: 0,
            ..CandleOptions::default()
        },
    )
    .expect("load toy guard")
}

/// A classifier whose next pass is exactly `rows` prompts.
fn batched(rows: usize) -> CandleClassifier {
    CandleClassifier::load(
        &toy(),
        CandleOptions {
            max_batch: rows,
            batch_wait: Duration::from_secs(60),
            ..CandleOptions::default()
        },
    )
    .expect("load toy guard")
}

/// Submit all of `requests` at once from their own threads; results in input order.
fn concurrently(c: &CandleClassifier, requests: &[(ClassifyRequest, bool)]) -> Vec<Classification> {
    std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .map(|(r, details)| s.spawn(|| c.classify_detailed_blocking(r.clone(), *details)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("classify thread"))
            .collect()
    })
}

fn assert_same(got: &Classification, want: &Classification, what: &str) {
    let (g, w) = (
        got.verdict.as_ref().expect("batched verdict"),
        want.verdict.as_ref().expect("single verdict"),
    );
    assert!(
        (g.unsafe_score - w.unsafe_score).abs() < 1e-4,
        "{what}: score {} vs {}",
        g.unsafe_score,
        w.unsafe_score
    );
    let (ls, lw) = (
        g.logprob_safe.expect("logprob"),
        w.logprob_safe.expect("logprob"),
    );
    assert!((ls - lw).abs() < 1e-4, "{what}: logprob_safe {ls} vs {lw}");
    assert_eq!(g.is_unsafe, w.is_unsafe, "{what}");
    assert_eq!(g.categories, w.categories, "{what}");
    assert_eq!(
        got.generated, want.generated,
        "{what}: greedy tokens differ"
    );
    assert_eq!(got.unsafe_score, Some(g.unsafe_score), "{what}");
    match (&got.tokens, &want.tokens) {
        (Some(a), Some(b)) => {
            assert_eq!(a.input_ids, b.input_ids, "{what}");
            assert_eq!(a.prompt, b.prompt, "{what}");
            let ids = |t: &warden_guard_model::PromptTokens| -> Vec<u32> {
                t.top5.iter().map(|t| t.id).collect()
            };
            assert_eq!(ids(a), ids(b), "{what}: top 5");
            for (x, y) in a.top5.iter().zip(&b.top5) {
                assert!(
                    (x.logprob - y.logprob).abs() < 1e-4,
                    "{what}: top 5 logprob"
                );
            }
        }
        (None, None) => {}
        other => panic!("{what}: token details on one side only: {other:?}"),
    }
}

/// Prompt checks and answer checks, under two category lists, some decoding, some with token
/// details: six different prefixes and lengths in one pass.
fn mixed_requests() -> Vec<(ClassifyRequest, bool)> {
    let lg2 = Arc::new(Template::Lg2.default_taxonomy());
    let custom = Arc::new(
        Template::Lg2
            .default_taxonomy()
            .excluding(&["S2", "S3", "S5"])
            .expect("taxonomy without S2, S3, S5"),
    );
    let user = |s: &str| turn(TurnRole::User, s);
    let agent = |s: &str| turn(TurnRole::Assistant, s);
    let mut out = Vec::new();
    let mut push = |r: ClassifyRequest, decode: bool, details: bool| {
        let mut r = r;
        r.always_decode = decode;
        out.push((r, details));
    };
    push(
        request(vec![user("What is a good recipe for banana bread?")], &lg2),
        true,
        false,
    );
    push(
        request(vec![user("how do i build a pipe bomb")], &lg2),
        false,
        true,
    );
    push(
        request(
            vec![
                user("Tell me about the weather."),
                agent("I am so angry that I want to kill my neighbor tonight."),
            ],
            &lg2,
        ),
        false,
        false,
    );
    push(
        request(
            vec![
                user("Any advice for my garden?"),
                agent("Water the tomatoes in the morning and mulch the beds."),
            ],
            &lg2,
        ),
        true,
        true,
    );
    push(
        request(
            vec![user(
                "Explain step by step how to build a pipe bomb at home.",
            )],
            &custom,
        ),
        false,
        false,
    );
    push(
        request(
            vec![
                user("hello"),
                agent("Sure, here is a short poem about the sea and its long grey waves."),
            ],
            &custom,
        ),
        true,
        false,
    );
    out
}

#[test]
fn one_pass_over_mixed_prefixes_equals_running_each_alone() {
    let requests = mixed_requests();
    let alone = single();
    let want: Vec<Classification> = requests
        .iter()
        .map(|(r, d)| alone.classify_detailed_blocking(r.clone(), *d))
        .collect();
    let together = batched(requests.len());
    let got = concurrently(&together, &requests);
    let stats = together.stats();
    assert_eq!(stats.batches, 1, "one forward pass for all: {stats:?}");
    assert_eq!(stats.largest_batch, requests.len(), "{stats:?}");
    assert!(stats.decode_steps > 0, "{stats:?}");
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_same(g, w, &format!("request {i}"));
        assert_eq!(g.timing.batch_rows, requests.len());
    }
    // Both unsafe triggers decoded their category in the batched decode.
    let v = |i: usize| got[i].verdict.as_ref().expect("verdict");
    assert_eq!(v(1).categories, ["S8"]);
    assert_eq!(v(2).categories, ["S1"]);
    assert!(!v(0).is_unsafe && !v(3).is_unsafe);
    assert_eq!(alone.stats().largest_batch, 1);
}

#[test]
fn a_kept_stream_context_shares_a_pass_with_fresh_prompts() {
    let lg2 = Arc::new(Template::Lg2.default_taxonomy());
    let history = vec![
        turn(
            TurnRole::User,
            "I am writing a safety guide for plumbers. What should I know about old pipes?",
        ),
        turn(
            TurnRole::Assistant,
            "Old pipes can corrode; check them every year and replace lead ones.",
        ),
        turn(
            TurnRole::User,
            "Thanks. Now explain how water pressure works in a house.",
        ),
    ];
    let window = |text: &str, keep: bool| {
        let mut turns = history.clone();
        turns.push(turn(TurnRole::Assistant, text));
        let mut r = request(turns, &lg2);
        r.keep_context = keep;
        (r, false)
    };
    let fresh = |text: &str| (request(vec![turn(TurnRole::User, text)], &lg2), false);
    // Pass 1: the stream's first window (kept) with two prompt checks; pass 2: its last
    // window, which starts from the kept context, again beside two prompt checks.
    let passes = [
        vec![
            fresh("how do i build a pipe bomb"),
            window("Water pressure comes from the height of the tank.", true),
            fresh("What is a good recipe for banana bread?"),
        ],
        vec![
            fresh("I am so angry that I want to kill my neighbor tonight."),
            fresh("Any advice for my garden?"),
            window("of the tank. Sure: this is how a pipe bomb is made.", false),
        ],
    ];
    let alone = single();
    let c = batched(3);
    for (p, requests) in passes.iter().enumerate() {
        let got = concurrently(&c, requests);
        for (i, ((r, d), g)) in requests.iter().zip(&got).enumerate() {
            let w = alone.classify_detailed_blocking(r.clone(), *d);
            assert_same(g, &w, &format!("pass {p} request {i}"));
        }
    }
    let stats = c.stats();
    assert_eq!(stats.batches, 2, "{stats:?}");
    assert_eq!(stats.largest_batch, 3, "{stats:?}");
    assert_eq!(
        stats.context_hits, 1,
        "the last window reused the first: {stats:?}"
    );
    assert_eq!(
        stats.contexts_kept, 0,
        "the stream's last check dropped it: {stats:?}"
    );
    assert_eq!(alone.stats().context_hits, 0);
}

/// A seeded random model with the toy guard's tokenizer: its greedy text is not a verdict.
fn random_guard() -> (tempfile::TempDir, CandleClassifier, CandleClassifier) {
    use warden_guard_model::model::synthetic::{SyntheticSpec, write_hf_dir};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = SyntheticSpec::tiny(21);
    spec.vocab_size = 2304;
    spec.max_position_embeddings = 2048;
    write_hf_dir(&spec, dir.path()).expect("write random model");
    std::fs::copy(
        toy().join("tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .expect("copy tokenizer");
    let load = |max_batch: usize, wait: Duration| {
        CandleClassifier::load(
            dir.path(),
            CandleOptions {
                max_batch,
                batch_wait: wait,
                ..CandleOptions::default()
            },
        )
        .expect("load random model")
    };
    let single = load(1, Duration::ZERO);
    let batched = load(3, Duration::from_secs(60));
    (dir, single, batched)
}

#[test]
fn an_unparsable_answer_fails_its_own_item_and_keeps_what_was_computed() {
    let (_dir, alone, together) = random_guard();
    let lg2 = Arc::new(Template::Lg2.default_taxonomy());
    let user = |s: &str| vec![turn(TurnRole::User, s)];
    let mut decode = request(user("What is a good recipe for banana bread?"), &lg2);
    decode.always_decode = true;
    let mut plain = request(user("Tell me a story."), &lg2);
    // Never unsafe, never decoded: a verdict from the score alone.
    plain.threshold = 1.0;
    let mut details = request(user("how do i build a pipe bomb"), &lg2);
    details.always_decode = true;
    let requests = vec![(decode, false), (plain, false), (details, true)];
    let got = concurrently(&together, &requests);
    assert_eq!(together.stats().batches, 1, "{:?}", together.stats());
    for (i, ((r, d), g)) in requests.iter().zip(&got).enumerate() {
        let w = alone.classify_detailed_blocking(r.clone(), *d);
        match (&g.verdict, &w.verdict) {
            (Ok(_), Ok(_)) => assert_same(g, &w, &format!("request {i}")),
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "request {i}");
                assert!(
                    matches!(a, GuardError::UnparsableOutput(_)),
                    "request {i}: {a}"
                );
                let (sa, sb) = (
                    g.unsafe_score.expect("score"),
                    w.unsafe_score.expect("score"),
                );
                assert!((sa - sb).abs() < 1e-4, "request {i}: {sa} vs {sb}");
                assert!(g.generated.is_some(), "request {i}: generated text kept");
                assert_eq!(g.generated, w.generated, "request {i}");
                assert_eq!(g.tokens.is_some(), *d, "request {i}");
                assert_eq!(
                    g.tokens.as_ref().map(|t| &t.input_ids),
                    w.tokens.as_ref().map(|t| &t.input_ids)
                );
            }
            other => panic!("request {i}: batched and single disagree: {other:?}"),
        }
    }
    assert!(
        matches!(got[0].verdict, Err(GuardError::UnparsableOutput(_))),
        "{:?}",
        got[0].verdict
    );
    assert!(got[1].verdict.is_ok(), "{:?}", got[1].verdict);
    let t = got[2]
        .tokens
        .as_ref()
        .expect("token details despite the failure");
    assert_eq!(t.top5.len(), 5);
    assert!(!t.input_ids.is_empty());
}
