//! API adapters: the request body of each guarded route as a [`Conversation`], and the
//! assistant text of a complete (non-streamed) answer, with the rewrite a block applies.
//!
//! Only text is judged. Non-text parts (images, audio, token-id prompts) are skipped and
//! counted, so the audit log can say what the guard did not see.
//!
//! The gateway judges the body it parsed and forwards the bytes the client sent, so a body the
//! upstream could read differently is refused. [`parse_body`] rejects a key repeated in one
//! object (Go's `encoding/json`, Ollama's parser, merges a repeated array of objects into the
//! first one instead of replacing it), and on Ollama routes [`parse_request`] rejects a key
//! that Go matches to a field of another spelling (`PROMPT`, `Content`, `ſystem`).
//! `conversation_prop.rs` holds both to reference readers written after Go's and Python's.

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use warden_guard_model::{Turn, TurnRole};

use crate::json_view::ObjectOnly;
use crate::route::Route;

/// What the gateway needs to know about one guarded request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Conversation {
    /// One conversation per prompt: OpenAI completions may carry several prompts.
    pub prompts: Vec<Vec<Turn>>,
    pub model: Option<String>,
    /// Whether the client asked for a streamed answer (each API's own default applied).
    pub stream: bool,
    /// Number of choices requested (OpenAI `n`).
    pub choices: u32,
    /// Parts the guard cannot read (images, token arrays) that were skipped.
    pub skipped_parts: usize,
}

/// The request body is not what the route's API expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

/// Parses a guarded route's request body as JSON, refusing a key repeated within one object.
///
/// serde_json, Python's `json` and Go's `encoding/json` all keep the last of two equal keys
/// for a string, but Go decodes a repeated array of objects *into* the elements the first one
/// left (a second `"messages":[{"role":"user"}]` keeps the first message's `content`), and
/// other servers refuse repeated keys: no reading of such a body is the upstream's for sure.
pub fn parse_body(bytes: &[u8]) -> Result<Value, BadRequest> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = StrictValue
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
        .map_err(|err| BadRequest(format!("the body is not valid JSON ({err})")))?;
    Ok(value)
}

/// Builds a [`Value`] like serde_json's own impl, failing on a repeated key.
#[derive(Debug, Clone, Copy)]
struct StrictValue;

impl<'de> DeserializeSeed<'de> for StrictValue {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictValue {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(StrictValue)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(StrictValue)?;
            if object.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "the key {key:?} appears twice in one object; send it once"
                )));
            }
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

/// Field names of Ollama's request structs (`ChatRequest`, `GenerateRequest`, `Message`,
/// `ToolCall`), the ones Go would also match in another spelling.
const OLLAMA_FIELDS: &[&str] = &[
    "model",
    "messages",
    "prompt",
    "suffix",
    "system",
    "template",
    "context",
    "stream",
    "raw",
    "format",
    "images",
    "keep_alive",
    "options",
    "think",
    "tools",
    "role",
    "content",
    "thinking",
    "tool_calls",
    "tool_name",
    "function",
    "name",
    "arguments",
    "index",
];

/// Whether Go's `encoding/json` matches `key` to the ASCII field name `field`: it compares
/// `ToUpper(ToLower(c))` per character, which also maps the Kelvin sign, long s, dotted and
/// dotless i to ASCII letters.
fn go_folds_to(key: &str, field: &str) -> bool {
    let mut field = field.bytes();
    for c in key.chars() {
        let folded = match c {
            '\u{212A}' => 'K',
            '\u{017F}' => 'S',
            '\u{0130}' | '\u{0131}' => 'I',
            c => c.to_ascii_uppercase(),
        };
        match field.next() {
            Some(f) if char::from(f.to_ascii_uppercase()) == folded => {}
            _ => return false,
        }
    }
    field.next().is_none()
}

/// Refuses a key of an Ollama request object that Go would read as a field spelled otherwise.
fn check_ollama_keys(object: &serde_json::Map<String, Value>, at: &str) -> Result<(), BadRequest> {
    for key in object.keys() {
        if OLLAMA_FIELDS.contains(&key.as_str()) {
            continue;
        }
        if let Some(field) = OLLAMA_FIELDS.iter().find(|f| go_folds_to(key, f)) {
            return Err(BadRequest(format!(
                "{at}{key:?} is read as {field:?} by Ollama; spell it {field:?}"
            )));
        }
    }
    Ok(())
}

/// The objects of an Ollama request whose fields the gateway or Ollama reads as text.
fn check_ollama_body(object: &serde_json::Map<String, Value>) -> Result<(), BadRequest> {
    check_ollama_keys(object, "")?;
    let messages = object.get("messages").and_then(Value::as_array);
    for (i, message) in messages.into_iter().flatten().enumerate() {
        let Some(message) = message.as_object() else {
            continue;
        };
        check_ollama_keys(message, &format!("messages[{i}]: "))?;
        let calls = message.get("tool_calls").and_then(Value::as_array);
        for (j, call) in calls.into_iter().flatten().enumerate() {
            let Some(call) = call.as_object() else {
                continue;
            };
            check_ollama_keys(call, &format!("messages[{i}].tool_calls[{j}]: "))?;
            if let Some(function) = call.get("function").and_then(Value::as_object) {
                check_ollama_keys(
                    function,
                    &format!("messages[{i}].tool_calls[{j}].function: "),
                )?;
            }
        }
    }
    Ok(())
}

fn role_of(role: &str) -> Option<TurnRole> {
    match role {
        "system" | "developer" => Some(TurnRole::System),
        "user" => Some(TurnRole::User),
        "assistant" => Some(TurnRole::Assistant),
        "tool" | "function" | "ipython" => Some(TurnRole::Tool),
        _ => None,
    }
}

/// Text of an OpenAI `content` (string, null, or an array of parts); counts skipped parts.
fn content_text(content: Option<&Value>, skipped: &mut usize) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for part in parts {
                match part {
                    Value::String(s) => texts.push(s.as_str()),
                    Value::Object(o) => {
                        match (o.get("type").and_then(Value::as_str), o.get("text")) {
                            (Some("text") | Some("input_text") | None, Some(Value::String(t))) => {
                                texts.push(t.as_str())
                            }
                            _ => *skipped += 1,
                        }
                    }
                    _ => *skipped += 1,
                }
            }
            texts.join("\n")
        }
        _ => String::new(),
    }
}

/// Tool-call arguments an assistant message carries (they are model output too).
fn tool_call_text(tool_calls: Option<&Value>) -> Option<String> {
    let calls = tool_calls?.as_array()?;
    let texts: Vec<String> = calls
        .iter()
        .filter_map(|call| {
            let function = call.get("function")?;
            let name = function.get("name").and_then(Value::as_str).unwrap_or("");
            let args = match function.get("arguments") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            Some(format!("{name}({args})"))
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("\n"))
}

fn messages_to_turns(messages: &[Value], skipped: &mut usize) -> Result<Vec<Turn>, BadRequest> {
    let mut turns = Vec::with_capacity(messages.len());
    for (i, message) in messages.iter().enumerate() {
        let role = message
            .get("role")
            .and_then(Value::as_str)
            .ok_or_else(|| BadRequest(format!("messages[{i}] has no role")))?;
        let role = role_of(role)
            .ok_or_else(|| BadRequest(format!("messages[{i}] has an unknown role {role:?}")))?;
        let mut content = content_text(message.get("content"), skipped);
        if let Some(images) = message.get("images").and_then(Value::as_array) {
            *skipped += images.len();
        }
        if let Some(calls) = tool_call_text(message.get("tool_calls")) {
            if !content.is_empty() {
                content.push('\n');
            }
            content.push_str(&calls);
        }
        turns.push(Turn { role, content });
    }
    Ok(turns)
}

fn user(content: String) -> Turn {
    Turn {
        role: TurnRole::User,
        content,
    }
}

/// Read the conversation out of a guarded route's JSON body.
pub fn parse_request(route: Route, body: &Value) -> Result<Conversation, BadRequest> {
    let object = body
        .as_object()
        .ok_or_else(|| BadRequest("the request body must be a JSON object".into()))?;
    if matches!(route, Route::OllamaChat | Route::OllamaGenerate) {
        check_ollama_body(object)?;
    }
    let model = object
        .get("model")
        .and_then(Value::as_str)
        .map(str::to_string);
    let stream_flag = object.get("stream").and_then(Value::as_bool);
    let mut skipped = 0;
    let (prompts, stream, choices) = match route {
        Route::OpenAiChat => {
            let messages = object
                .get("messages")
                .and_then(Value::as_array)
                .ok_or_else(|| BadRequest("`messages` must be an array".into()))?;
            let turns = messages_to_turns(messages, &mut skipped)?;
            let n = object.get("n").and_then(Value::as_u64).unwrap_or(1).max(1);
            (vec![turns], stream_flag.unwrap_or(false), n as u32)
        }
        Route::OpenAiCompletions => {
            let prompts = match object.get("prompt") {
                Some(Value::String(s)) => vec![vec![user(s.clone())]],
                Some(Value::Array(items)) => {
                    let mut prompts = Vec::new();
                    for item in items {
                        match item {
                            Value::String(s) => prompts.push(vec![user(s.clone())]),
                            // Token-id prompts cannot be judged as text.
                            _ => skipped += 1,
                        }
                    }
                    prompts
                }
                None | Some(Value::Null) => Vec::new(),
                Some(_) => {
                    return Err(BadRequest(
                        "`prompt` must be a string or an array of strings".into(),
                    ));
                }
            };
            let n = object.get("n").and_then(Value::as_u64).unwrap_or(1).max(1);
            (prompts, stream_flag.unwrap_or(false), n as u32)
        }
        Route::OllamaChat => {
            let messages = match object.get("messages") {
                Some(Value::Array(m)) => m.as_slice(),
                None | Some(Value::Null) => &[],
                Some(_) => return Err(BadRequest("`messages` must be an array".into())),
            };
            let turns = messages_to_turns(messages, &mut skipped)?;
            (vec![turns], stream_flag.unwrap_or(true), 1)
        }
        Route::OllamaGenerate => {
            let mut turns = Vec::new();
            if let Some(system) = object.get("system").and_then(Value::as_str) {
                turns.push(Turn {
                    role: TurnRole::System,
                    content: system.to_string(),
                });
            }
            if let Some(prompt) = object.get("prompt").and_then(Value::as_str) {
                turns.push(user(prompt.to_string()));
            }
            if let Some(images) = object.get("images").and_then(Value::as_array) {
                skipped += images.len();
            }
            (vec![turns], stream_flag.unwrap_or(true), 1)
        }
        Route::Passthrough => (Vec::new(), false, 1),
    };
    Ok(Conversation {
        prompts,
        model,
        stream,
        choices,
        skipped_parts: skipped,
    })
}

/// Whether a conversation has a user turn to judge at its end.
pub fn ends_with_user(turns: &[Turn]) -> bool {
    turns
        .iter()
        .rev()
        .find(|t| t.role != TurnRole::System)
        .is_some_and(|t| t.role == TurnRole::User && !t.content.trim().is_empty())
}

/// The `model` of a guarded request body, read without building the body: what the policy is
/// selected by before the gateway knows whether it needs the whole conversation. `None` where
/// [`parse_body`] followed by `.get("model")` as a string gives `None` for a body whose only
/// repeated key could be `model`: not an object, not JSON, `model` repeated or not a string.
/// A key repeated elsewhere does not hide the model here; a policy that judges prompts still
/// refuses that body through [`parse_body`].
pub fn request_model(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ModelView {
        #[serde(default)]
        model: Option<String>,
    }
    serde_json::from_slice::<ObjectOnly<ModelView>>(body)
        .ok()?
        .0
        .model
}

/// The fields of a complete answer that [`answer_texts`] reads, and nothing else: the rest of
/// the body (ids, usage, logprobs) is checked for syntax but never built into a `Value`.
#[derive(serde::Deserialize)]
struct AnswerView {
    #[serde(default)]
    choices: Option<Vec<ObjectOnly<ChoiceView>>>,
    #[serde(default)]
    message: Option<ObjectOnly<MessageView>>,
    #[serde(default)]
    response: Option<Value>,
}

#[derive(serde::Deserialize)]
struct ChoiceView {
    #[serde(default)]
    index: Option<Value>,
    #[serde(default)]
    message: Option<ObjectOnly<MessageView>>,
    #[serde(default)]
    text: Option<Value>,
}

/// An answer message's text fields (`null` reads as absent, as `content_text` treats it).
#[derive(serde::Deserialize)]
struct MessageView {
    #[serde(default)]
    content: Option<Value>,
    #[serde(default)]
    tool_calls: Option<Value>,
}

/// The assistant text of each choice of a complete answer body, as [`answer_texts`] reads it
/// from the parsed body; `None` when the body is not JSON. Reads only the fields it needs (a
/// third of the cost of a full parse on a chat answer) and falls back to the full parse for any
/// body of another shape (not an object, a repeated field, a choice or message that is not an
/// object), so the result is always `answer_texts`'s.
pub fn answer_texts_of(route: Route, body: &[u8]) -> Option<Vec<(u32, String)>> {
    if let Ok(ObjectOnly(view)) = serde_json::from_slice::<ObjectOnly<AnswerView>>(body) {
        return Some(view_texts(route, view));
    }
    let value = serde_json::from_slice::<Value>(body).ok()?;
    Some(answer_texts(route, &value))
}

fn view_texts(route: Route, view: AnswerView) -> Vec<(u32, String)> {
    let choice_index = |index: &Option<Value>, pos: usize| {
        index
            .as_ref()
            .and_then(Value::as_u64)
            .map_or(pos as u32, |i| i as u32)
    };
    let choices = view.choices.unwrap_or_default();
    match route {
        Route::OpenAiChat => choices
            .iter()
            .enumerate()
            .map(|(pos, ObjectOnly(choice))| {
                let text = choice.message.as_ref().map_or_else(String::new, |m| {
                    chat_text(m.0.content.as_ref(), m.0.tool_calls.as_ref())
                });
                (choice_index(&choice.index, pos), text)
            })
            .collect(),
        Route::OpenAiCompletions => choices
            .iter()
            .enumerate()
            .map(|(pos, ObjectOnly(choice))| {
                let text = choice.text.as_ref().and_then(Value::as_str).unwrap_or("");
                (choice_index(&choice.index, pos), text.to_string())
            })
            .collect(),
        Route::OllamaChat => {
            let text = view
                .message
                .as_ref()
                .and_then(|m| m.0.content.as_ref())
                .and_then(Value::as_str)
                .unwrap_or("");
            vec![(0, text.to_string())]
        }
        Route::OllamaGenerate => {
            let text = view.response.as_ref().and_then(Value::as_str).unwrap_or("");
            vec![(0, text.to_string())]
        }
        Route::Passthrough => Vec::new(),
    }
}

/// An OpenAI chat answer message's text: its content, then its tool calls.
fn chat_message_text(message: &Value) -> String {
    chat_text(message.get("content"), message.get("tool_calls"))
}

fn chat_text(content: Option<&Value>, tool_calls: Option<&Value>) -> String {
    let mut skipped = 0;
    let mut text = content_text(content, &mut skipped);
    if let Some(calls) = tool_call_text(tool_calls) {
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&calls);
    }
    text
}

/// The assistant text of each choice of a complete answer, by choice index.
pub fn answer_texts(route: Route, body: &Value) -> Vec<(u32, String)> {
    match route {
        Route::OpenAiChat => choices(body)
            .map(|(i, choice)| {
                let message = choice.get("message").unwrap_or(&Value::Null);
                (i, chat_message_text(message))
            })
            .collect(),
        Route::OpenAiCompletions => choices(body)
            .map(|(i, choice)| {
                let text = choice.get("text").and_then(Value::as_str).unwrap_or("");
                (i, text.to_string())
            })
            .collect(),
        Route::OllamaChat => {
            let text = body
                .pointer("/message/content")
                .and_then(Value::as_str)
                .unwrap_or("");
            vec![(0, text.to_string())]
        }
        Route::OllamaGenerate => {
            let text = body.get("response").and_then(Value::as_str).unwrap_or("");
            vec![(0, text.to_string())]
        }
        Route::Passthrough => Vec::new(),
    }
}

fn choices(body: &Value) -> impl Iterator<Item = (u32, &Value)> {
    body.get("choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(pos, choice)| {
            let index = choice
                .get("index")
                .and_then(Value::as_u64)
                .map_or(pos as u32, |i| i as u32);
            (index, choice)
        })
}

/// Replace a blocked choice's content with the policy's message and mark it filtered, the
/// way each API reports a content filter (`finish_reason: "content_filter"`, Ollama
/// `done_reason: "content_filter"`).
pub fn block_answer(route: Route, body: &mut Value, blocked: &[u32], message: &str) {
    match route {
        Route::OpenAiChat | Route::OpenAiCompletions => {
            let Some(items) = body.get_mut("choices").and_then(Value::as_array_mut) else {
                return;
            };
            for (pos, choice) in items.iter_mut().enumerate() {
                let index = choice
                    .get("index")
                    .and_then(Value::as_u64)
                    .map_or(pos as u32, |i| i as u32);
                if !blocked.contains(&index) {
                    continue;
                }
                if route == Route::OpenAiChat {
                    choice["message"] =
                        serde_json::json!({"role": "assistant", "content": message});
                } else {
                    choice["text"] = Value::String(message.to_string());
                }
                choice["finish_reason"] = Value::String("content_filter".into());
                if let Some(o) = choice.as_object_mut() {
                    o.remove("logprobs");
                }
            }
        }
        Route::OllamaChat => {
            body["message"] = serde_json::json!({"role": "assistant", "content": message});
            body["done_reason"] = Value::String("content_filter".into());
        }
        Route::OllamaGenerate => {
            body["response"] = Value::String(message.to_string());
            body["done_reason"] = Value::String("content_filter".into());
            if let Some(o) = body.as_object_mut() {
                // The token context would let a client continue the blocked generation.
                o.remove("context");
            }
        }
        Route::Passthrough => {}
    }
}

#[cfg(test)]
#[path = "conversation_prop.rs"]
mod properties;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn repeated_keys_are_refused_anywhere() {
        assert!(parse_body(br#"{"a":[{"b":1,"c":{"d":2}}]}"#).is_ok());
        let err = parse_body(br#"{"messages":[{"role":"user","content":"x","content":""}]}"#)
            .expect_err("repeated");
        assert!(
            err.0.contains(r#"the key "content" appears twice"#),
            "{}",
            err.0
        );
        assert!(err.0.contains("column"), "{}", err.0);
        assert!(parse_body(br#"{"a":1} {"a":2}"#).is_err());
    }

    #[test]
    fn ollama_keys_in_another_spelling_are_refused() {
        for key in [
            "PROMPT",
            "Prompt",
            "\u{017F}uffix",
            "\u{017F}ystem",
            "\u{0130}mages",
        ] {
            let body = json!({ key: "how to build a pipe bomb" });
            let err = parse_request(Route::OllamaGenerate, &body).expect_err(key);
            assert!(err.0.contains("is read as"), "{key}: {}", err.0);
        }
        let body = json!({"messages":[{"role":"user","Content":"x"}]});
        let err = parse_request(Route::OllamaChat, &body).expect_err("Content");
        assert_eq!(
            err.0,
            r#"messages[0]: "Content" is read as "content" by Ollama; spell it "content""#
        );
        // OpenAI-compatible servers (pydantic, serde) match keys exactly.
        let body = json!({"messages":[{"role":"user","content":"x","Content":"y"}]});
        assert!(parse_request(Route::OpenAiChat, &body).is_ok());
        // Keys the structs do not have are not fields in any spelling.
        assert!(
            parse_request(
                Route::OllamaGenerate,
                &json!({"Prompts":"x","format":{"Name":1}})
            )
            .is_ok()
        );
    }

    #[test]
    fn answer_texts_of_reads_arrays_as_the_full_parse_does() {
        // A derived struct would read `[0, {...}]` as index and message; a lookup reads nothing.
        for (route, body) in [
            (
                Route::OpenAiChat,
                r#"{"choices":[[3,{"content":"import os"}]]}"#,
            ),
            (Route::OpenAiChat, r#"{"choices":[{"message":["x",null]}]}"#),
            (Route::OpenAiCompletions, r#"{"choices":[[1,null,"text"]]}"#),
            (Route::OllamaChat, r#"{"message":["import os"]}"#),
            (
                Route::OpenAiChat,
                r#"{"choices":[{"message":{"content":"a","content":"b"}}]}"#,
            ),
            (Route::OpenAiChat, r#"[{"message":{"content":"a"}}]"#),
        ] {
            let full = serde_json::from_str::<Value>(body).map(|v| answer_texts(route, &v));
            assert_eq!(answer_texts_of(route, body.as_bytes()), full.ok(), "{body}");
        }
        assert_eq!(
            answer_texts_of(
                Route::OpenAiChat,
                br#"{"choices":[{"index":1,"message":{"content":"hi","tool_calls":[{"function":{"name":"f","arguments":"{}"}}]}}]}"#
            ),
            Some(vec![(1, "hi\nf({})".to_string())])
        );
    }

    #[test]
    fn request_model_is_none_where_the_full_parse_finds_none() {
        assert_eq!(
            request_model(br#" {"messages":[],"model":"llama3"}"#).as_deref(),
            Some("llama3")
        );
        // Repeated, not a string, not an object, not JSON: no model to select by.
        assert_eq!(request_model(br#"{"model":"a","model":"b"}"#), None);
        assert_eq!(request_model(br#"{"model":7}"#), None);
        assert_eq!(request_model(br#"["llama3"]"#), None);
        assert_eq!(request_model(br#"{"model":"llama3""#), None);
        assert_eq!(request_model(br#"{"messages":[]}"#), None);
    }

    #[test]
    fn openai_chat_with_parts_and_tools() {
        let body = json!({"model":"llama3","stream":true,"n":2,"messages":[
            {"role":"system","content":"be nice"},
            {"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"x"}}]},
            {"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"search","arguments":"{\"q\":\"x\"}"}}]},
            {"role":"tool","content":"result"},
            {"role":"user","content":"and now?"}]});
        let c = parse_request(Route::OpenAiChat, &body).expect("valid");
        assert_eq!(c.model.as_deref(), Some("llama3"));
        assert!(c.stream);
        assert_eq!(c.choices, 2);
        assert_eq!(c.skipped_parts, 1);
        let turns = &c.prompts[0];
        assert_eq!(turns.len(), 5);
        assert_eq!(turns[1].content, "look");
        assert_eq!(turns[2].content, "search({\"q\":\"x\"})");
        assert_eq!(turns[3].role, TurnRole::Tool);
        assert!(ends_with_user(turns));
    }

    #[test]
    fn completions_prompt_forms() {
        let c = parse_request(Route::OpenAiCompletions, &json!({"prompt":["a","b",[1,2]]}))
            .expect("valid");
        assert_eq!(c.prompts.len(), 2);
        assert_eq!(c.skipped_parts, 1);
        assert!(!c.stream);
        let err = parse_request(Route::OpenAiCompletions, &json!({"prompt":7})).expect_err("bad");
        assert!(err.0.contains("prompt"));
    }

    #[test]
    fn ollama_defaults_to_streaming() {
        let c = parse_request(
            Route::OllamaGenerate,
            &json!({"model":"llama3","system":"s","prompt":"p","images":["aGk="]}),
        )
        .expect("valid");
        assert!(c.stream);
        assert_eq!(c.prompts[0].len(), 2);
        assert_eq!(c.skipped_parts, 1);
        let c = parse_request(
            Route::OllamaChat,
            &json!({"messages":[{"role":"user","content":"hi"}],"stream":false}),
        )
        .expect("valid");
        assert!(!c.stream);
    }

    #[test]
    fn rejects_unknown_roles() {
        let err = parse_request(
            Route::OpenAiChat,
            &json!({"messages":[{"role":"wizard","content":"x"}]}),
        )
        .expect_err("bad");
        assert_eq!(err.0, "messages[0] has an unknown role \"wizard\"");
    }

    #[test]
    fn block_rewrites_each_api() {
        let mut chat = json!({"choices":[{"index":0,"message":{"role":"assistant","content":"bad"},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]});
        assert_eq!(
            answer_texts(Route::OpenAiChat, &chat),
            vec![(0, "bad".into()), (1, "ok".into())]
        );
        block_answer(Route::OpenAiChat, &mut chat, &[0], "blocked");
        assert_eq!(chat["choices"][0]["message"]["content"], "blocked");
        assert_eq!(chat["choices"][0]["finish_reason"], "content_filter");
        assert_eq!(chat["choices"][1]["message"]["content"], "ok");

        let mut generate =
            json!({"response":"bad","done":true,"done_reason":"stop","context":[1,2]});
        block_answer(Route::OllamaGenerate, &mut generate, &[0], "blocked");
        assert_eq!(generate["response"], "blocked");
        assert_eq!(generate["done_reason"], "content_filter");
        assert!(generate.get("context").is_none());
    }
}
