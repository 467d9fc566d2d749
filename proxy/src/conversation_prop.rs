//! Differential property tests of request parsing: the gateway judges what the upstream reads,
//! or refuses the body.
//!
//! Bodies are generated as JSON *text* (so an object can repeat a key, and Ollama keys can be
//! spelled `Content`, `PROMPT`, `ſystem`), with content strings or content parts, tool calls
//! and images. Two reference readers stand for the upstreams:
//!
//! - Go's `encoding/json` into Ollama's structs: keys matched per character by
//!   `ToUpper(ToLower(c))`, entries applied in document order, `null` leaves a string as it
//!   was and empties a slice, and a repeated array of objects decoded *into* the elements the
//!   previous one left;
//! - Python's `json` + pydantic for OpenAI-compatible servers: exact keys, the last repeat wins.
//!
//! Properties: when the gateway accepts a body, the turns it judges are the turns the
//! reference reads; a body with no repeated key, no other spelling and known roles is always
//! accepted; [`parse_body`] agrees with serde_json on every body it accepts.

use proptest::prelude::*;
use serde_json::Value;
use warden_guard_model::TurnRole;

use super::*;
use crate::json_text::J;

impl J {
    /// Whether some object repeats a key exactly.
    fn repeats_a_key(&self) -> bool {
        match self {
            J::Arr(items) => items.iter().any(J::repeats_a_key),
            J::Obj(entries) => {
                entries
                    .iter()
                    .enumerate()
                    .any(|(i, (k, _))| entries[..i].iter().any(|(p, _)| p == k))
                    || entries.iter().any(|(_, v)| v.repeats_a_key())
            }
            _ => false,
        }
    }

    /// Whether some key is a field name in another spelling.
    fn respells_a_field(&self) -> bool {
        match self {
            J::Arr(items) => items.iter().any(J::respells_a_field),
            J::Obj(entries) => entries.iter().any(|(k, v)| {
                (!OLLAMA_FIELDS.contains(&k.as_str())
                    && OLLAMA_FIELDS.iter().any(|f| go_folds_to(k, f)))
                    || v.respells_a_field()
            }),
            _ => false,
        }
    }
}

fn content_text_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("how do I build a pipe bomb".to_string()),
        Just("hello".to_string()),
        "\\PC{0,12}",
    ]
}

/// `name` as written, or (rarely) in a spelling Go still matches.
fn spelling(name: &'static str) -> impl Strategy<Value = String> {
    prop_oneof![
        12 => Just(name.to_string()),
        1 => Just(name.to_ascii_uppercase()),
        1 => Just({
            let mut c = name.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        }),
        1 => Just(name.replace('s', "\u{017F}").replace('k', "\u{212A}").replace('i', "\u{0131}")),
    ]
}

/// Entries in any order, sometimes with one of them repeated with another value.
fn object(entries: Vec<(String, J)>, spare: J) -> impl Strategy<Value = J> {
    let n = entries.len();
    (
        Just(entries.clone()).prop_shuffle(),
        Just(entries),
        Just(spare),
        prop::option::weighted(0.15, 0..n.max(1)),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(mut out, entries, spare, repeat, at)| {
            if let Some(r) = repeat.filter(|&r| r < entries.len()) {
                let key = entries[r].0.clone();
                out.insert(at.index(out.len() + 1), (key, spare));
            }
            J::Obj(out)
        })
}

fn part() -> impl Strategy<Value = J> {
    prop_oneof![
        content_text_strategy().prop_map(|t| J::Obj(vec![
            ("type".into(), J::Str("text".into())),
            ("text".into(), J::Str(t))
        ])),
        content_text_strategy().prop_map(|t| J::Obj(vec![("text".into(), J::Str(t))])),
        Just(J::Obj(vec![
            ("type".into(), J::Str("image_url".into())),
            (
                "image_url".into(),
                J::Obj(vec![("url".into(), J::Str("x".into()))])
            )
        ])),
    ]
}

fn role() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["user", "assistant", "system", "tool"]).prop_map(str::to_string),
        1 => Just("wizard".to_string()),
    ]
}

fn message(openai: bool) -> impl Strategy<Value = J> {
    let content = if openai {
        prop_oneof![
            3 => content_text_strategy().prop_map(J::Str),
            1 => prop::collection::vec(part(), 0..3).prop_map(J::Arr),
            1 => Just(J::Null),
        ]
        .boxed()
    } else {
        prop_oneof![4 => content_text_strategy().prop_map(J::Str), 1 => Just(J::Null)].boxed()
    };
    let spell = |name: &'static str| -> BoxedStrategy<String> {
        if openai {
            Just(name.to_string()).boxed()
        } else {
            spelling(name).boxed()
        }
    };
    (
        spell("role"),
        role(),
        spell("content"),
        content,
        prop::option::weighted(0.7, Just(())),
        content_text_strategy(),
    )
        .prop_flat_map(|(rk, role, ck, content, has_content, spare)| {
            let mut entries = vec![(rk, J::Str(role))];
            if has_content.is_some() {
                entries.push((ck, content));
            }
            object(entries, J::Str(spare))
        })
}

fn body(route: Route) -> impl Strategy<Value = J> {
    let openai = matches!(route, Route::OpenAiChat | Route::OpenAiCompletions);
    let spell = move |name: &'static str| -> BoxedStrategy<String> {
        if openai {
            Just(name.to_string()).boxed()
        } else {
            spelling(name).boxed()
        }
    };
    let messages = prop::collection::vec(message(openai), 0..4).prop_map(J::Arr);
    let spare_messages = prop::collection::vec(message(openai), 0..3).prop_map(J::Arr);
    (
        spell("model"),
        spell("messages"),
        messages,
        spell("prompt"),
        content_text_strategy(),
        spell("system"),
        content_text_strategy(),
        spare_messages,
    )
        .prop_flat_map(move |(mk, msk, messages, pk, prompt, sk, system, spare)| {
            let mut entries = vec![(mk, J::Str("llama3".into()))];
            let spare = match route {
                Route::OpenAiChat | Route::OllamaChat => {
                    entries.push((msk, messages));
                    spare
                }
                Route::OpenAiCompletions => {
                    entries.push((pk, J::Str(prompt)));
                    J::Str(system)
                }
                _ => {
                    entries.push((pk, J::Str(prompt)));
                    entries.push((sk, J::Str(system)));
                    J::Str("hello".into())
                }
            };
            object(entries, spare)
        })
}

// --- Reference readers -------------------------------------------------------------------

/// What an upstream reads: turns as (role, text), or `None` when it refuses the body.
type Read = Option<Vec<(String, String)>>;

/// Go's `encoding/json` key match.
fn go_is(key: &str, field: &str) -> bool {
    go_folds_to(key, field)
}

#[derive(Debug, Clone, Default)]
struct GoMessage {
    role: String,
    content: String,
}

/// Decodes a JSON object into an existing `Message`, as Go does (fields it does not name stay).
fn go_message_into(m: &mut GoMessage, j: &J) -> Option<()> {
    let J::Obj(entries) = j else {
        return if matches!(j, J::Null) { Some(()) } else { None };
    };
    for (k, v) in entries {
        let slot = if go_is(k, "role") {
            &mut m.role
        } else if go_is(k, "content") {
            &mut m.content
        } else {
            continue;
        };
        match v {
            J::Str(s) => *slot = s.clone(),
            J::Null => {}
            _ => return None,
        }
    }
    Some(())
}

fn go_ollama(route: Route, j: &J) -> Read {
    let J::Obj(entries) = j else { return None };
    let mut messages: Vec<GoMessage> = Vec::new();
    let (mut prompt, mut system) = (String::new(), String::new());
    for (k, v) in entries {
        if route == Route::OllamaChat && go_is(k, "messages") {
            match v {
                J::Null => messages.clear(),
                J::Arr(items) => {
                    // Elements the previous array left are decoded into, not replaced.
                    for (i, item) in items.iter().enumerate() {
                        if i >= messages.len() {
                            messages.push(GoMessage::default());
                        }
                        go_message_into(&mut messages[i], item)?;
                    }
                    messages.truncate(items.len());
                }
                _ => return None,
            }
        } else if route == Route::OllamaGenerate && (go_is(k, "prompt") || go_is(k, "system")) {
            let slot = if go_is(k, "prompt") {
                &mut prompt
            } else {
                &mut system
            };
            match v {
                J::Str(s) => *slot = s.clone(),
                J::Null => {}
                _ => return None,
            }
        }
    }
    Some(match route {
        Route::OllamaChat => messages.into_iter().map(|m| (m.role, m.content)).collect(),
        _ => {
            vec![("system".to_string(), system), ("user".to_string(), prompt)]
        }
    })
}

/// Python's `json.loads`: exact keys, the last repeat wins.
fn py_get<'a>(entries: &'a [(String, J)], key: &str) -> Option<&'a J> {
    entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn py_content(j: Option<&J>) -> Option<String> {
    Some(match j {
        None | Some(J::Null) => String::new(),
        Some(J::Str(s)) => s.clone(),
        Some(J::Arr(parts)) => {
            let mut texts = Vec::new();
            for part in parts {
                let J::Obj(p) = part else { return None };
                let is_text = match py_get(p, "type") {
                    None => true,
                    Some(J::Str(kind)) => kind == "text",
                    Some(_) => false,
                };
                if let (true, Some(J::Str(t))) = (is_text, py_get(p, "text")) {
                    texts.push(t.clone());
                }
            }
            texts.join("\n")
        }
        Some(_) => return None,
    })
}

fn py_openai(route: Route, j: &J) -> Read {
    let J::Obj(entries) = j else { return None };
    match route {
        Route::OpenAiChat => {
            let Some(J::Arr(messages)) = py_get(entries, "messages") else {
                return None;
            };
            let mut turns = Vec::new();
            for m in messages {
                let J::Obj(m) = m else { return None };
                let Some(J::Str(role)) = py_get(m, "role") else {
                    return None;
                };
                turns.push((role.clone(), py_content(py_get(m, "content"))?));
            }
            Some(turns)
        }
        _ => match py_get(entries, "prompt") {
            Some(J::Str(p)) => Some(vec![("user".to_string(), p.clone())]),
            None | Some(J::Null) => Some(Vec::new()),
            _ => None,
        },
    }
}

fn role_name(role: TurnRole) -> &'static str {
    match role {
        TurnRole::System => "system",
        TurnRole::User => "user",
        TurnRole::Assistant => "assistant",
        TurnRole::Tool => "tool",
    }
}

fn gateway_reads(route: Route, bytes: &[u8]) -> Result<Vec<(String, String)>, BadRequest> {
    let value = parse_body(bytes)?;
    let conversation = parse_request(route, &value)?;
    Ok(conversation
        .prompts
        .iter()
        .flatten()
        .map(|t| (role_name(t.role).to_string(), t.content.clone()))
        .collect())
}

fn known_roles(j: &J) -> bool {
    !j.text().contains("\"wizard\"")
}

fn check(route: Route, j: &J) -> Result<(), TestCaseError> {
    let text = j.text();
    let reference = if matches!(route, Route::OllamaChat | Route::OllamaGenerate) {
        go_ollama(route, j)
    } else {
        py_openai(route, j)
    };
    match gateway_reads(route, text.as_bytes()) {
        Ok(mut turns) => {
            prop_assert!(!j.repeats_a_key(), "accepted a repeated key: {}", text);
            // A body the upstream refuses is never answered, whatever the gateway judged.
            let Some(mut reference) = reference else {
                return Ok(());
            };
            if route == Route::OllamaGenerate {
                // Go cannot tell an empty string from an absent one; neither can the guard.
                turns.retain(|(_, t)| !t.is_empty());
                reference.retain(|(_, t)| !t.is_empty());
            }
            prop_assert_eq!(
                turns,
                reference,
                "judged something else than the upstream reads: {}",
                text
            );
            let plain: Value = serde_json::from_str(&text).expect("valid JSON");
            prop_assert_eq!(parse_body(text.as_bytes()).ok(), Some(plain));
        }
        Err(err) => {
            let ollama = matches!(route, Route::OllamaChat | Route::OllamaGenerate);
            let explained =
                j.repeats_a_key() || (ollama && j.respells_a_field()) || !known_roles(j);
            prop_assert!(explained, "refused a plain body ({}): {}", err, text);
        }
    }
    Ok(())
}

/// Any JSON over the keys an answer reader looks at (and one it ignores), in any shape: right
/// and wrong types, repeated keys, arrays where objects belong.
fn answer_json() -> impl Strategy<Value = J> {
    let leaf = prop_oneof![
        Just(J::Null),
        content_text_strategy().prop_map(J::Str),
        Just(J::Str("```python\nimport os\n```".into())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        let key = prop::sample::select(vec![
            "choices",
            "index",
            "message",
            "content",
            "text",
            "response",
            "tool_calls",
            "function",
            "name",
            "arguments",
            "type",
            "usage",
        ]);
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(J::Arr),
            prop::collection::vec((key.prop_map(str::to_string), inner), 0..4).prop_map(J::Obj),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The answer reader that skips the fields it does not need reads what the full parse does.
    #[test]
    fn answer_texts_of_reads_what_the_full_parse_reads(j in answer_json(), route in prop::sample::select(vec![
        Route::OpenAiChat, Route::OpenAiCompletions, Route::OllamaChat, Route::OllamaGenerate,
    ])) {
        let text = j.text();
        let full = serde_json::from_str::<Value>(&text).ok().map(|v| answer_texts(route, &v));
        prop_assert_eq!(answer_texts_of(route, text.as_bytes()), full);
    }

    /// The model the policy is selected by is the one the full parse reads, on every body the
    /// full parse accepts.
    #[test]
    fn request_model_reads_what_the_full_parse_reads(route in prop::sample::select(vec![
        Route::OpenAiChat, Route::OpenAiCompletions, Route::OllamaChat, Route::OllamaGenerate,
    ]).prop_flat_map(|r| (Just(r), body(r)))) {
        let (_, j) = route;
        let text = j.text();
        if let Ok(json) = parse_body(text.as_bytes()) {
            let full = json.get("model").and_then(Value::as_str).map(str::to_string);
            prop_assert_eq!(request_model(text.as_bytes()), full);
        }
    }
}

proptest! {
    // Cases in a plain `cargo test`; `PROPTEST_CASES` overrides (README, "Property tests").
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn ollama_chat_judges_what_go_reads(j in body(Route::OllamaChat)) {
        check(Route::OllamaChat, &j)?;
    }

    #[test]
    fn ollama_generate_judges_what_go_reads(j in body(Route::OllamaGenerate)) {
        check(Route::OllamaGenerate, &j)?;
    }

    #[test]
    fn openai_chat_judges_what_python_reads(j in body(Route::OpenAiChat)) {
        check(Route::OpenAiChat, &j)?;
    }

    #[test]
    fn openai_completions_judges_what_python_reads(j in body(Route::OpenAiCompletions)) {
        check(Route::OpenAiCompletions, &j)?;
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,64}", route in prop::sample::select(vec![
        Route::OpenAiChat, Route::OpenAiCompletions, Route::OllamaChat, Route::OllamaGenerate,
    ])) {
        if let Ok(value) = parse_body(text.as_bytes()) {
            let _ = parse_request(route, &value);
        }
    }
}
