//! Property tests of the frame codecs: for any stream of events (comments, other fields,
//! multi-line data, CR / LF / CRLF line ends, invalid UTF-8, frames past 64 KiB) cut into
//! chunks at any byte, the parser
//!
//! - returns the bytes it was given, frame by frame, unchanged (the engine re-emits them);
//! - finds the same frames whatever the cut;
//! - sees, as JSON, exactly the payloads a client decodes from those bytes: a reference
//!   client written from the WHATWG event-stream algorithm for SSE, Go's line scanner plus
//!   `encoding/json` (U+FFFD for invalid UTF-8) for NDJSON; a payload a client acts on that
//!   the gateway read as opaque is text that reached a user unjudged;
//! - extracts exactly the text that was streamed, per choice.
//!
//! The gateway's own frames (`encode_frame`, `content_filter_frame`) parse back to what was
//! encoded. Case counts follow `PROPTEST_CASES` (default below); the long run is documented
//! in README ("Property tests").

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

/// Stands for one invalid UTF-8 byte (0xFF) in generated text; a client reads it as U+FFFD.
const INVALID: char = '\u{E000}';

/// Pieces that matter to framing and decoding, mixed with arbitrary characters.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => "\\PC{0,6}",
        1 => Just("\n".to_string()),
        1 => Just("\r".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("data: ".to_string()),
        1 => Just("[DONE]".to_string()),
        1 => Just(": ".to_string()),
        1 => Just("\u{feff}".to_string()),
        1 => Just("\u{2028}\u{85}".to_string()),
        1 => Just("\"\\{}".to_string()),
        1 => Just("é😀".to_string()),
        1 => Just(INVALID.to_string()),
    ];
    let small = prop::collection::vec(piece, 0..8).prop_map(|p| p.concat());
    prop_oneof![
        20 => small,
        // One frame far past any chunk size the upstream uses.
        1 => (1usize..3).prop_map(|k| "x".repeat(k * 40_000)),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Eol {
    Lf,
    CrLf,
    Cr,
}

fn eol(allow_cr: bool) -> impl Strategy<Value = Eol> {
    if allow_cr {
        prop_oneof![Just(Eol::Lf), Just(Eol::CrLf), Just(Eol::Cr)].boxed()
    } else {
        prop_oneof![Just(Eol::Lf), Just(Eol::CrLf)].boxed()
    }
}

impl Eol {
    fn bytes(self) -> &'static [u8] {
        match self {
            Eol::Lf => b"\n",
            Eol::CrLf => b"\r\n",
            Eol::Cr => b"\r",
        }
    }
}

/// What one generated event carries.
#[derive(Debug, Clone)]
enum Body {
    /// A JSON chunk with one choice's text; `pretty` spreads it over several `data:` lines.
    Text {
        choice: u32,
        text: String,
        finish: bool,
        pretty: bool,
    },
    Done,
    /// `data:` that is not JSON.
    NotJson(String),
    /// Only comments and other fields.
    Nothing,
}

#[derive(Debug, Clone)]
struct Event {
    comment: Option<String>,
    field: Option<&'static str>,
    body: Body,
    space_after_colon: bool,
    eols: Vec<Eol>,
}

fn no_line_breaks(s: String) -> String {
    s.replace(['\n', '\r'], " ")
}

fn body() -> impl Strategy<Value = Body> {
    prop_oneof![
        8 => (0u32..3, text(), any::<bool>(), any::<bool>()).prop_map(|(choice, text, finish, pretty)| {
            Body::Text { choice, text, finish, pretty }
        }),
        1 => Just(Body::Done),
        1 => "[a-z ]{0,8}".prop_map(Body::NotJson),
        1 => Just(Body::Nothing),
    ]
}

fn event(allow_cr: bool) -> impl Strategy<Value = Event> {
    (
        prop::option::of(text().prop_map(no_line_breaks)),
        prop::option::of(prop::sample::select(vec![
            "event: message",
            "id: 7",
            "retry: 10",
        ])),
        body(),
        any::<bool>(),
        prop::collection::vec(eol(allow_cr), 16),
    )
        .prop_map(|(comment, field, body, space_after_colon, eols)| Event {
            comment,
            field,
            body,
            space_after_colon,
            eols,
        })
}

fn chat_chunk(choice: u32, text: &str, finish: bool) -> Value {
    json!({"id":"c","object":"chat.completion.chunk","choices":[{"index":choice,
        "delta":{"content":text},"finish_reason":if finish { json!("stop") } else { Value::Null }}]})
}

/// JSON text with every [`INVALID`] written as the byte 0xFF.
fn with_invalid_bytes(json: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    for c in json.chars() {
        if c == INVALID {
            out.push(0xFF);
        } else {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    out
}

/// What a client reads for a generated text.
fn as_read(text: &str) -> String {
    text.replace(INVALID, "\u{FFFD}")
}

fn sse_bytes(events: &[Event]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut last = Eol::Lf;
    // A CR followed by an LF is one line end: keep each generated line end its own.
    let mut next_eol = |wanted: Eol| {
        let eol = match (last, wanted) {
            (Eol::Cr, Eol::Lf) => Eol::Cr,
            _ => wanted,
        };
        last = eol;
        eol.bytes()
    };
    for event in events {
        let mut eols = event.eols.iter().copied().cycle();
        let mut line = |out: &mut Vec<u8>, bytes: &[u8]| {
            out.extend_from_slice(bytes);
            out.extend_from_slice(next_eol(eols.next().unwrap_or(Eol::Lf)));
        };
        if let Some(comment) = &event.comment {
            line(&mut out, format!(":{comment}").as_bytes());
        }
        if let Some(field) = event.field {
            line(&mut out, field.as_bytes());
        }
        let data = if event.space_after_colon {
            "data: "
        } else {
            "data:"
        };
        match &event.body {
            Body::Text {
                choice,
                text,
                finish,
                pretty,
            } => {
                let value = chat_chunk(*choice, text, *finish);
                let json = if *pretty {
                    serde_json::to_string_pretty(&value).expect("serialises")
                } else {
                    value.to_string()
                };
                for piece in json.split('\n') {
                    let mut bytes = data.as_bytes().to_vec();
                    bytes.extend(with_invalid_bytes(piece));
                    line(&mut out, &bytes);
                }
            }
            Body::Done => line(&mut out, format!("{data}[DONE]").as_bytes()),
            Body::NotJson(s) => line(&mut out, format!("{data}{s}").as_bytes()),
            Body::Nothing => {
                if event.comment.is_none() && event.field.is_none() {
                    line(&mut out, b": keep-alive");
                }
            }
        }
        // The blank line that ends the event.
        let end = next_eol(eols.next().unwrap_or(Eol::Lf));
        out.extend_from_slice(end);
    }
    out
}

/// What a client acts on in an event stream: the WHATWG algorithm (lines end at CRLF, LF or
/// CR; UTF-8 with replacement; a leading BOM dropped; `data` lines joined by LF; an event with
/// no data is not dispatched), keeping the payloads that are JSON objects or `[DONE]`.
fn reference_sse(bytes: &[u8]) -> Vec<Option<Value>> {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(['\r', '\n']) {
        lines.push(&rest[..i]);
        let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
        rest = &rest[i + skip..];
    }
    let mut out = Vec::new();
    let mut data: Option<String> = None;
    for line in lines {
        if line.is_empty() {
            if let Some(d) = data.take() {
                if d.trim() == "[DONE]" {
                    out.push(None);
                } else if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&d) {
                    out.push(Some(v));
                }
            }
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => data = Some(value.to_string()),
            }
        }
    }
    out
}

/// Cuts `bytes` at the given points (any byte, UTF-8 sequences included) and parses.
fn parse_cut(kind: StreamKind, bytes: &[u8], cuts: &[prop::sample::Index]) -> Vec<ParsedFrame> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
    at.push(0);
    at.push(bytes.len());
    at.sort_unstable();
    at.dedup();
    let mut parser = FrameParser::new(kind);
    let mut out = Vec::new();
    for pair in at.windows(2) {
        parser.push(&bytes[pair[0]..pair[1]], &mut out);
    }
    out.extend(parser.finish());
    out
}

fn judged(kind: StreamKind, frames: &[ParsedFrame]) -> Vec<Option<Value>> {
    frames
        .iter()
        .filter_map(|f| match &f.payload {
            Payload::Json(_) => Some(decoded(kind, &f.raw)),
            Payload::Done => Some(None),
            Payload::Opaque => None,
        })
        .collect()
}

fn texts_by_choice(frames: &[ParsedFrame]) -> Vec<(u32, String)> {
    let mut out: Vec<(u32, String)> = Vec::new();
    for frame in frames {
        if let Payload::Json(j) = &frame.payload {
            for d in &j.deltas {
                match out.iter_mut().find(|(c, _)| *c == d.choice) {
                    Some((_, t)) => t.push_str(&d.text),
                    None => out.push((d.choice, d.text.clone())),
                }
            }
        }
    }
    out.sort();
    out
}

fn raw_concat(frames: &[ParsedFrame]) -> Vec<u8> {
    frames.iter().flat_map(|f| f.raw.iter().copied()).collect()
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn sse_frames_are_what_a_client_reads(
        events in prop::collection::vec(event(true), 0..12),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let bytes = sse_bytes(&events);
        let whole = parse_cut(StreamKind::OpenAiChat, &bytes, &[]);
        prop_assert_eq!(raw_concat(&whole), bytes.clone());
        let cut = parse_cut(StreamKind::OpenAiChat, &bytes, &cuts);
        prop_assert_eq!(&cut, &whole);
        prop_assert_eq!(judged(StreamKind::OpenAiChat, &whole), reference_sse(&bytes));

        let mut expected: Vec<(u32, String)> = Vec::new();
        for event in &events {
            if let Body::Text { choice, text, .. } = &event.body {
                let text = as_read(text);
                match expected.iter_mut().find(|(c, _)| c == choice) {
                    Some((_, t)) => t.push_str(&text),
                    None if !text.is_empty() => expected.push((*choice, text)),
                    None => {}
                }
            }
        }
        expected.sort();
        prop_assert_eq!(texts_by_choice(&whole), expected);
    }

    #[test]
    fn ndjson_lines_are_what_a_go_client_reads(
        lines in prop::collection::vec((text(), any::<bool>(), 0u8..4, eol(false)), 0..12),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
    ) {
        let mut bytes = Vec::new();
        let mut expected = String::new();
        let mut decoded = Vec::new();
        for (text, done, shape, eol) in &lines {
            match shape {
                // Blank lines and keep-alive whitespace between objects.
                0 => bytes.extend_from_slice(b"  "),
                1 => bytes.extend_from_slice(b"not json"),
                _ => {
                    let value = json!({"model":"m","response":text,"done":done});
                    bytes.extend(with_invalid_bytes(&value.to_string()));
                    expected.push_str(&as_read(text));
                    let read: Value = serde_json::from_str(&as_read(&value.to_string()))
                        .expect("valid JSON once decoded");
                    decoded.push(Some(read));
                }
            }
            bytes.extend_from_slice(eol.bytes());
        }
        let whole = parse_cut(StreamKind::OllamaGenerate, &bytes, &[]);
        prop_assert_eq!(raw_concat(&whole), bytes.clone());
        prop_assert_eq!(&parse_cut(StreamKind::OllamaGenerate, &bytes, &cuts), &whole);
        prop_assert_eq!(judged(StreamKind::OllamaGenerate, &whole), decoded);
        let text: String = texts_by_choice(&whole).into_iter().map(|(_, t)| t).collect();
        prop_assert_eq!(text, expected);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_come_back_unchanged(
        bytes in prop::collection::vec(
            prop_oneof![any::<u8>(), Just(b'\n'), Just(b'\r'), Just(b'{'), Just(b':')], 0..512),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..10),
        kind in prop::sample::select(vec![
            StreamKind::OpenAiChat, StreamKind::OpenAiCompletions,
            StreamKind::OllamaChat, StreamKind::OllamaGenerate,
        ]),
    ) {
        let whole = parse_cut(kind, &bytes, &[]);
        prop_assert_eq!(raw_concat(&whole), bytes.clone());
        prop_assert_eq!(parse_cut(kind, &bytes, &cuts), whole);
    }

    #[test]
    fn the_gateway_s_own_frames_parse_back(
        text in text().prop_map(|t| t.replace(INVALID, "")),
        choice in 0u32..4,
        kind in prop::sample::select(vec![
            StreamKind::OpenAiChat, StreamKind::OpenAiCompletions,
            StreamKind::OllamaChat, StreamKind::OllamaGenerate,
        ]),
    ) {
        let value = match kind {
            StreamKind::OpenAiChat => chat_chunk(choice, &text, false),
            StreamKind::OpenAiCompletions => json!({"choices":[{"index":choice,"text":text}]}),
            StreamKind::OllamaChat => json!({"message":{"role":"assistant","content":text},"done":false}),
            StreamKind::OllamaGenerate => json!({"response":text,"done":false}),
        };
        let choice = if kind.is_openai() { choice } else { 0 };
        let frame = encode_frame(kind, &value);
        let parsed = parse_cut(kind, &frame, &[]);
        prop_assert_eq!(parsed.len(), 1);
        match &parsed[0].payload {
            Payload::Json(j) => {
                prop_assert_eq!(decoded(kind, &frame), Some(value.clone()));
                prop_assert_eq!(&j.value, &None);
                let got: String = j.deltas.iter().map(|d| d.text.as_str()).collect();
                prop_assert_eq!(got, text.clone());
                prop_assert!(j.deltas.iter().all(|d| d.choice == choice));
            }
            other => prop_assert!(false, "expected JSON, got {:?}", other),
        }

        let mut meta = StreamMeta::default();
        meta.observe(&json!({"id": text, "model": "m"}));
        let end = content_filter_frame(kind, &meta, choice);
        let parsed = parse_cut(kind, &end, &[]);
        prop_assert_eq!(parsed.len(), 1);
        match &parsed[0].payload {
            Payload::Json(j) => {
                prop_assert_eq!(&j.finished, &vec![choice]);
                prop_assert!(j.deltas.is_empty());
            }
            other => prop_assert!(false, "expected JSON, got {:?}", other),
        }
    }
}
