//! Property tests of the typed frame view: wherever it accepts a frame, it reads the same text
//! deltas, finishes and stream identity as the `Value` readers do from the same frame, for all
//! four APIs. Frames are written as JSON text (not built from a `Value`), so they can repeat a
//! key, escape a key's letters, put an array where an object belongs or a number where a
//! string belongs: the shapes where a derived struct and a `Value` lookup part ways.

use proptest::prelude::*;
use serde_json::Value;

use super::super::extract_value;
use super::*;
use crate::json_text::{ESCAPE_FIRST, J};

const KEYS: &[&str] = &[
    "id",
    "object",
    "created",
    "model",
    "created_at",
    "choices",
    "message",
    "response",
    "done",
    "index",
    "delta",
    "text",
    "finish_reason",
    "content",
    "tool_calls",
    "function",
    "arguments",
    "role",
    "usage",
];

pub(in crate::stream::frames) fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "\\PC{0,6}",
        1 => Just("a\"b\\c\nd".to_string()),
        1 => Just("é😀\u{2028}".to_string()),
        1 => Just(String::new()),
    ]
}

fn leaf() -> BoxedStrategy<J> {
    prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        prop::sample::select(vec!["0", "1", "2", "-1", "1.0", "4294967296", "1e2"])
            .prop_map(J::Num),
        string().prop_map(J::Str),
    ]
    .boxed()
}

/// Any JSON, with keys the view reads among others.
fn arbitrary() -> BoxedStrategy<J> {
    leaf()
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(J::Arr),
                prop::collection::vec((key(prop::sample::select(KEYS.to_vec())), inner), 0..4)
                    .prop_map(J::Obj),
            ]
        })
        .boxed()
}

/// A key, sometimes with its first letter written as a `\u` escape.
fn key(name: impl Strategy<Value = &'static str>) -> impl Strategy<Value = String> {
    (name, prop::bool::weighted(0.1)).prop_map(|(name, escaped)| {
        if escaped {
            format!("{ESCAPE_FIRST}{name}")
        } else {
            name.to_string()
        }
    })
}

/// Mostly the expected shape, sometimes anything.
fn or_anything(shaped: BoxedStrategy<J>) -> BoxedStrategy<J> {
    prop_oneof![6 => shaped, 1 => arbitrary()].boxed()
}

/// An object with some of `fields` (each with its value strategy), in order, sometimes one of
/// them repeated at the end, sometimes a key nobody reads.
fn object(fields: Vec<(&'static str, BoxedStrategy<J>)>) -> BoxedStrategy<J> {
    let count = fields.len();
    let values: Vec<BoxedStrategy<(String, J)>> = fields
        .into_iter()
        .map(|(name, value)| (key(Just(name)), value).boxed())
        .collect();
    let all = values.clone();
    (
        prop::sample::subsequence((0..count).collect::<Vec<_>>(), 0..=count),
        prop::option::weighted(0.1, prop::sample::select(all)),
        prop::option::weighted(0.2, (key(Just("extra")), arbitrary())),
    )
        .prop_flat_map(move |(chosen, repeat, extra)| {
            let picked: Vec<BoxedStrategy<(String, J)>> =
                chosen.iter().map(|&i| values[i].clone()).collect();
            let repeat = repeat
                .map(|s| s.prop_map(Some).boxed())
                .unwrap_or_else(|| Just(None).boxed());
            (picked, repeat, Just(extra)).prop_map(|(mut fields, repeat, extra)| {
                fields.extend(extra);
                fields.extend(repeat);
                J::Obj(fields)
            })
        })
        .boxed()
}

fn text_field() -> BoxedStrategy<J> {
    or_anything(string().prop_map(J::Str).boxed())
}

fn message() -> BoxedStrategy<J> {
    let arguments = prop_oneof![string().prop_map(J::Str), Just(J::Null), arbitrary(),].boxed();
    let function = object(vec![("name", text_field()), ("arguments", arguments)]);
    let call = object(vec![
        ("function", or_anything(function)),
        ("id", text_field()),
    ]);
    object(vec![
        ("role", text_field()),
        ("content", text_field()),
        (
            "tool_calls",
            or_anything(
                prop::collection::vec(or_anything(call), 0..3)
                    .prop_map(J::Arr)
                    .boxed(),
            ),
        ),
    ])
}

pub(in crate::stream::frames) fn frame() -> BoxedStrategy<J> {
    let index = or_anything(
        prop::sample::select(vec!["0", "1", "2", "3"])
            .prop_map(J::Num)
            .boxed(),
    );
    let finish = prop_oneof![Just(J::Null), string().prop_map(J::Str), arbitrary()].boxed();
    let choice = object(vec![
        ("index", index),
        ("delta", or_anything(message())),
        ("text", text_field()),
        ("finish_reason", finish),
    ]);
    let choices = or_anything(
        prop::collection::vec(or_anything(choice), 0..4)
            .prop_map(J::Arr)
            .boxed(),
    );
    let identity =
        || or_anything(prop_oneof![string().prop_map(J::Str), Just(J::Num("7"))].boxed());
    object(vec![
        ("id", identity()),
        ("object", identity()),
        ("created", identity()),
        ("model", identity()),
        ("created_at", identity()),
        ("choices", choices),
        ("message", or_anything(message())),
        ("response", text_field()),
        ("done", or_anything(any::<bool>().prop_map(J::Bool).boxed())),
    ])
}

pub(in crate::stream::frames) const KINDS: [StreamKind; 4] = [
    StreamKind::OpenAiChat,
    StreamKind::OpenAiCompletions,
    StreamKind::OllamaChat,
    StreamKind::OllamaGenerate,
];

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_view_reads_what_the_value_readers_read(frame in frame(), known in any::<bool>()) {
        let json = frame.text();
        let value: Value = serde_json::from_str(&json).expect("generated JSON is valid");
        for kind in KINDS {
            // Half the cases start from an identity already known, which must be kept.
            let start = if known {
                let mut meta = StreamMeta::default();
                meta.observe(&serde_json::json!({"id": "first", "created_at": "then"}));
                meta
            } else {
                StreamMeta::default()
            };
            let mut want_meta = start.clone();
            want_meta.observe(&value);
            let mut want = Vec::new();
            let want_finished = extract_value(&value, kind, &mut want);

            let mut meta = start.clone();
            let mut deltas = Vec::new();
            if let Some(finished) = read_view(&json, kind, &mut meta, &mut deltas) {
                prop_assert_eq!(&deltas, &want, "{:?} {}", kind, json);
                prop_assert_eq!(&finished, &want_finished, "{:?} {}", kind, json);
                prop_assert_eq!(&meta, &want_meta, "{:?} {}", kind, json);
            } else {
                prop_assert!(deltas.is_empty() && meta == start, "a refused view adds nothing");
            }
            // Whichever path reads it, the frame gives the same answer.
            let mut meta = start.clone();
            let read = read(&json, kind, &mut meta).expect("valid JSON is read");
            prop_assert_eq!(&read.deltas, &want);
            prop_assert_eq!(&read.finished, &want_finished);
            prop_assert_eq!(&meta, &want_meta);
        }
    }
}

#[test]
fn the_view_reads_the_frames_upstreams_send() {
    let frames = [
        (
            StreamKind::OpenAiChat,
            r#"{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"a \"quoted\"\nline"},"logprobs":null,"finish_reason":null}]}"#,
        ),
        (
            StreamKind::OpenAiChat,
            r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{\"a\""}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3}}"#,
        ),
        (
            StreamKind::OpenAiCompletions,
            r#"{"id":"x","choices":[{"text":"abc","index":0,"logprobs":null,"finish_reason":"length"}]}"#,
        ),
        (
            StreamKind::OllamaChat,
            r#"{"model":"llama3","created_at":"2026-12-07T00:00:00Z","message":{"role":"assistant","content":"hi","tool_calls":[{"function":{"name":"f","arguments":{"q":1}}}]},"done":false}"#,
        ),
        (
            StreamKind::OllamaGenerate,
            r#"{"model":"llama3","created_at":"t","response":"é","done":true,"done_reason":"stop","context":[1,2,3],"total_duration":5}"#,
        ),
    ];
    for (kind, json) in frames {
        let mut meta = StreamMeta::default();
        let mut deltas = Vec::new();
        let finished = read_view(json, kind, &mut meta, &mut deltas);
        assert!(finished.is_some(), "the typed view reads {json}");
        assert!(!deltas.is_empty(), "{json}");
        let value: Value = serde_json::from_str(json).expect("valid");
        let mut want = Vec::new();
        assert_eq!(finished, Some(extract_value(&value, kind, &mut want)));
        assert_eq!(deltas, want);
    }
}

#[test]
fn a_deeply_nested_field_nobody_reads_does_not_hide_the_text() {
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    let json = format!(r#"{{"extra":{deep},"response":"secret","done":false}}"#);
    assert!(
        serde_json::from_str::<Value>(&json).is_err(),
        "past serde_json's nesting limit"
    );
    let read = read(
        &json,
        StreamKind::OllamaGenerate,
        &mut StreamMeta::default(),
    )
    .expect("read through the view");
    assert_eq!(
        read.deltas,
        vec![ChoiceDelta {
            choice: 0,
            text: "secret".into()
        }]
    );
}
