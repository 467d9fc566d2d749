//! Property tests of the frame scanner against the typed view (itself held to the `Value`
//! readers by `view_prop.rs`): wherever the scanner reads a frame, the typed view reads it too,
//! with the same deltas, finishes and identity; where it refuses, it adds nothing. Frames are
//! the view test's generated frames (repeated and escaped keys, arrays for objects, numbers for
//! strings), written with odd whitespace and `\u` escapes, then sometimes broken by inserted
//! fragments (lone surrogates, control characters, out-of-range numbers, stray punctuation).
//! A second property holds the scanner to reading, not refusing, every frame shaped as
//! upstreams send them, whatever its whitespace, key order and escapes.

use proptest::prelude::*;

use super::super::view::properties::{KINDS, frame, string};
use super::super::view::read_view;
use super::*;
use crate::json_text::{J, Style};

fn style() -> impl Strategy<Value = Style> {
    let space = prop_oneof![
        6 => Just(""),
        2 => Just(" "),
        1 => Just("\n"),
        1 => Just("\t"),
        1 => Just("\r\n  "),
        // Not JSON whitespace: `serde_json` refuses it between tokens.
        1 => Just("\u{c}"),
    ];
    (
        prop::collection::vec(space, 0..6),
        prop::collection::vec(prop::bool::weighted(0.3), 0..6),
    )
        .prop_map(|(spaces, escapes)| Style {
            spaces,
            escapes,
            turn: 0,
        })
}

/// Pieces that break a frame or make it valid in an odd way, inserted at a byte offset.
fn mutations() -> impl Strategy<Value = Vec<(usize, &'static str)>> {
    let fragment = prop::sample::select(vec![
        "\\ud800",
        "\\udc00",
        "\\ud83d\\ude00",
        "\\ud83d\\u0041",
        "\\u00e9",
        "\\u12",
        "\\x",
        "\\/",
        "\u{1}",
        "\u{c}",
        " ",
        ",",
        ":",
        "}",
        "]",
        "\"",
        "\\",
        "1e400",
        "-0",
        "01",
        "1.",
        "null",
        "tru",
        "{\"choices\":[",
        "\"index\":5,",
    ]);
    prop_oneof![
        3 => Just(Vec::new()),
        1 => prop::collection::vec((any::<usize>(), fragment), 1..3),
    ]
}

fn insert(json: &mut String, mutations: &[(usize, &str)]) {
    for &(at, fragment) in mutations {
        let mut at = at % (json.len() + 1);
        while !json.is_char_boundary(at) {
            at -= 1;
        }
        json.insert_str(at, fragment);
    }
}

/// The scanner's answer on `json` agrees with the typed view's; `Some` when it read it.
fn agrees(json: &str, kind: StreamKind, start: &StreamMeta) -> Result<bool, TestCaseError> {
    let mut meta = start.clone();
    let mut deltas = Vec::new();
    let Some(finished) = read(json, kind, &mut meta, &mut deltas) else {
        prop_assert!(
            deltas.is_empty() && &meta == start,
            "a refused scan adds nothing: {json}"
        );
        return Ok(false);
    };
    let mut want_meta = start.clone();
    let mut want = Vec::new();
    let want_finished = read_view(json, kind, &mut want_meta, &mut want);
    prop_assert_eq!(
        Some(&finished),
        want_finished.as_ref(),
        "{:?} {}",
        kind,
        json
    );
    prop_assert_eq!(&deltas, &want, "{:?} {}", kind, json);
    prop_assert_eq!(&meta, &want_meta, "{:?} {}", kind, json);
    Ok(true)
}

fn starts() -> [StreamMeta; 2] {
    let mut known = StreamMeta::default();
    known.observe(&serde_json::json!({"id": "first", "created_at": "then"}));
    [StreamMeta::default(), known]
}

/// A field of an upstream frame: a text, as the APIs send it (with the characters JSON
/// escapes, and markdown's).
fn text() -> BoxedStrategy<J> {
    prop_oneof![
        3 => string(),
        1 => Just("a/b\u{8}\u{c}\r\t\"\\".to_string()),
        1 => Just("```py\nx = '<&>'\n```\n".to_string()),
    ]
    .prop_map(J::Str)
    .boxed()
}

/// An object with these fields in any order.
fn shuffled(fields: Vec<(&'static str, BoxedStrategy<J>)>) -> BoxedStrategy<J> {
    let fields: Vec<BoxedStrategy<(String, J)>> = fields
        .into_iter()
        .map(|(name, value)| value.prop_map(move |v| (name.to_string(), v)).boxed())
        .collect();
    fields.prop_shuffle().prop_map(J::Obj).boxed()
}

/// A frame of `kind` as upstreams (OpenAI, vLLM, llama.cpp, Ollama) send them.
fn upstream(kind: StreamKind) -> BoxedStrategy<J> {
    let finish = prop_oneof![Just(J::Null), Just(J::Str("stop".into()))].boxed();
    let index = prop::sample::select(vec!["0", "1", "2"])
        .prop_map(J::Num)
        .boxed();
    let num = || Just(J::Num("1733000000")).boxed();
    let usage = Just(J::Obj(vec![
        ("prompt_tokens".into(), J::Num("5")),
        ("completion_tokens".into(), J::Num("1")),
    ]))
    .boxed();
    match kind {
        StreamKind::OpenAiChat | StreamKind::OpenAiCompletions => {
            let choice = if kind == StreamKind::OpenAiChat {
                let call = shuffled(vec![
                    ("index", index.clone()),
                    ("id", text()),
                    (
                        "function",
                        shuffled(vec![("name", text()), ("arguments", text())]),
                    ),
                ]);
                let delta = prop_oneof![
                    shuffled(vec![("role", text()), ("content", text())]),
                    shuffled(vec![("content", text())]),
                    shuffled(vec![(
                        "tool_calls",
                        prop::collection::vec(call, 1..3).prop_map(J::Arr).boxed()
                    )]),
                    Just(J::Obj(Vec::new())).boxed(),
                ]
                .boxed();
                shuffled(vec![
                    ("index", index),
                    ("delta", delta),
                    ("logprobs", Just(J::Null).boxed()),
                    ("finish_reason", finish),
                ])
            } else {
                shuffled(vec![
                    ("index", index),
                    ("text", text()),
                    ("logprobs", Just(J::Null).boxed()),
                    ("finish_reason", finish),
                ])
            };
            shuffled(vec![
                ("id", text()),
                ("object", text()),
                ("created", num()),
                ("model", text()),
                (
                    "system_fingerprint",
                    prop_oneof![Just(J::Null), text()].boxed(),
                ),
                (
                    "choices",
                    prop::collection::vec(choice, 0..3).prop_map(J::Arr).boxed(),
                ),
                ("usage", prop_oneof![Just(J::Null), usage].boxed()),
            ])
        }
        StreamKind::OllamaChat | StreamKind::OllamaGenerate => {
            let body = if kind == StreamKind::OllamaChat {
                (
                    "message",
                    shuffled(vec![("role", text()), ("content", text())]),
                )
            } else {
                ("response", text())
            };
            shuffled(vec![
                ("model", text()),
                ("created_at", text()),
                body,
                ("done", any::<bool>().prop_map(J::Bool).boxed()),
                ("done_reason", text()),
                ("eval_count", num()),
                (
                    "context",
                    Just(J::Arr(vec![J::Num("1"), J::Num("2")])).boxed(),
                ),
            ])
        }
    }
}

fn any_upstream() -> impl Strategy<Value = (StreamKind, J)> {
    prop::sample::select(KINDS.to_vec()).prop_flat_map(|kind| (Just(kind), upstream(kind)))
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_scanner_reads_what_the_typed_view_reads(
        frame in frame(),
        mut style in style(),
        mutations in mutations(),
    ) {
        let mut json = String::new();
        frame.write_styled(&mut json, &mut style);
        insert(&mut json, &mutations);
        let json = json.trim_ascii();
        for kind in KINDS {
            for start in &starts() {
                agrees(json, kind, start)?;
            }
        }
    }

    #[test]
    fn the_scanner_reads_every_frame_shaped_as_upstreams_send_them(
        (kind, frame) in any_upstream(),
        mut style in style(),
    ) {
        style.spaces.retain(|s| !s.contains('\u{c}'));
        let mut json = String::new();
        frame.write_styled(&mut json, &mut style);
        let json = json.trim_ascii();
        for start in &starts() {
            prop_assert!(agrees(json, kind, start)?, "the scanner reads {}", json);
        }
    }
}

#[test]
fn escapes_and_surrogates() {
    let kind = StreamKind::OllamaGenerate;
    let read_text = |json: &str| {
        let mut deltas = Vec::new();
        read(json, kind, &mut StreamMeta::default(), &mut deltas)
            .map(|_| deltas.into_iter().map(|d| d.text).collect::<String>())
    };
    assert_eq!(
        read_text(r#"{"response":"a\u003cb\u0026\ud83d\ude00\n\"\/","done":false}"#).as_deref(),
        Some("a<b&\u{1f600}\n\"/")
    );
    // A lone surrogate, a key with an escape, a repeated field: left to the typed view.
    assert_eq!(read_text(r#"{"response":"\ud800"}"#), None);
    assert_eq!(read_text(r#"{"response":"\udc00x"}"#), None);
    assert_eq!(read_text(r#"{"\u0072esponse":"a"}"#), None);
    assert_eq!(read_text(r#"{"response":"a","response":"b"}"#), None);
    // A lone surrogate in a field nobody reads is as valid as `serde_json` finds it.
    assert_eq!(
        read_text(r#"{"x":"\ud800","response":"a"}"#).as_deref(),
        Some("a")
    );
    // Not JSON.
    for bad in [
        r#"{"response":"a",}"#,
        r#"{"response":"a"}x"#,
        r#"{"x":01,"response":"a"}"#,
        r#"{"x":1.,"response":"a"}"#,
        "{\"response\":\"a\u{1}\"}",
        "{\"response\":\"a\"\u{c}}",
        r#"{"x":[1,],"response":"a"}"#,
        r#"{"x":tru,"response":"a"}"#,
        r#"{"response":"a"#,
    ] {
        assert_eq!(read_text(bad), None, "{bad}");
    }
}

#[test]
fn a_frame_nested_past_the_limit_is_left_to_the_typed_view() {
    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
    let json = format!(r#"{{"extra":{deep},"response":"secret","done":false}}"#);
    let mut deltas = Vec::new();
    let kind = StreamKind::OllamaGenerate;
    assert_eq!(
        read(&json, kind, &mut StreamMeta::default(), &mut deltas),
        None
    );
    let read = super::super::view::read(&json, kind, &mut StreamMeta::default());
    assert_eq!(read.map(|r| r.deltas.len()), Some(1));
}

proptest! {
    #[test]
    fn the_word_at_a_time_run_finds_the_first_special_byte(
        bytes in prop::collection::vec(
            prop_oneof![any::<u8>(), prop::sample::select(vec![b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0xa0, 0xff])],
            0..40,
        ),
    ) {
        for from in 0..=bytes.len() {
            let want = bytes[from..].iter().position(|&b| special(b));
            prop_assert_eq!(plain_run(&bytes[from..]), want);
        }
    }
}
