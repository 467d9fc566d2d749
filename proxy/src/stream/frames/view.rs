//! The typed view of one streamed JSON frame: the text, the finishes and the stream identity,
//! read without building the frame as a `Value` (a map per object and a string per key, for
//! every frame of every guarded stream).
//!
//! It reads what the `Value` readers ([`super::openai::extract`], [`super::ollama::extract`],
//! [`StreamMeta::observe`]) read from the same frame; where the view refuses a frame (a
//! repeated key, a field of an unexpected type, an array where an object belongs: see
//! [`crate::json_view`]) the frame is read through the `Value` readers instead. A property
//! test (`prop.rs`) holds the two paths to the same deltas, finishes and identity.
//!
//! One difference is deliberate: keys the view does not read are skipped without a nesting
//! limit, where the `Value` parse refuses more than 128 levels. A frame with a deeply nested
//! field the gateway ignores is still read for its text (before, it was opaque: passed on and
//! never judged).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, IgnoredAny, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::openai::index_or_position;
use super::{ChoiceDelta, StreamKind, StreamMeta, push_delta};
use crate::json_view::ObjectOnly;

/// The fields of a frame that any of the four APIs reads.
#[derive(Deserialize, Default)]
#[serde(default)]
struct FrameView<'a> {
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    created: Option<&'a RawValue>,
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(borrow)]
    created_at: Option<&'a RawValue>,
    #[serde(borrow)]
    choices: Option<Vec<ObjectOnly<ChoiceView<'a>>>>,
    #[serde(borrow)]
    message: Option<ObjectOnly<MessageView<'a>>>,
    #[serde(borrow)]
    response: Option<Text<'a>>,
    done: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChoiceView<'a> {
    index: Option<Value>,
    #[serde(borrow)]
    delta: Option<ObjectOnly<MessageView<'a>>>,
    #[serde(borrow)]
    text: Option<Text<'a>>,
    finish_reason: Option<IgnoredAny>,
}

/// An OpenAI `delta` or an Ollama `message`.
#[derive(Deserialize, Default)]
#[serde(default)]
struct MessageView<'a> {
    #[serde(borrow)]
    content: Option<Text<'a>>,
    tool_calls: Option<Vec<ObjectOnly<CallView>>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CallView {
    function: Option<ObjectOnly<FunctionView>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FunctionView {
    arguments: Option<Value>,
}

/// A JSON string, borrowed from the frame unless it has escapes.
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Str;
        impl<'de> Visitor<'de> for Str {
            type Value = Cow<'de, str>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }
        deserializer.deserialize_str(Str).map(Text)
    }
}

/// What one frame carries for the engine.
pub(super) struct Read {
    pub deltas: Vec<ChoiceDelta>,
    pub finished: Vec<u32>,
    /// The whole payload, built only when the frame carries more than one choice: the one
    /// frame that may have to be re-encoded without a blocked choice.
    pub value: Option<Value>,
}

/// Reads a JSON frame's text, finishes and identity (into `meta`); `None` when it is not JSON.
/// The scanner ([`super::scan`]) reads nearly every frame; what it refuses, the typed view
/// reads, and what that refuses, the `Value` readers.
pub(super) fn read(json: &str, kind: StreamKind, meta: &mut StreamMeta) -> Option<Read> {
    let mut deltas = Vec::new();
    let scanned = super::scan::read(json, kind, meta, &mut deltas);
    let (finished, parsed) = match scanned.or_else(|| read_view(json, kind, meta, &mut deltas)) {
        Some(finished) => (finished, None),
        None => {
            let value = serde_json::from_str::<Value>(json).ok()?;
            meta.observe(&value);
            (super::extract_value(&value, kind, &mut deltas), Some(value))
        }
    };
    let mut choices = deltas
        .iter()
        .map(|d| d.choice)
        .chain(finished.iter().copied());
    let first = choices.next();
    let value = if choices.any(|c| Some(c) != first) {
        parsed.or_else(|| serde_json::from_str(json).ok())
    } else {
        None
    };
    Some(Read {
        deltas,
        finished,
        value,
    })
}

/// The typed read alone: the finished choices, with the deltas and identity added; `None`,
/// with nothing added, where the view refuses the frame.
pub(super) fn read_view(
    json: &str,
    kind: StreamKind,
    meta: &mut StreamMeta,
    deltas: &mut Vec<ChoiceDelta>,
) -> Option<Vec<u32>> {
    let view = serde_json::from_str::<FrameView<'_>>(json).ok()?;
    meta.observe_raw([
        view.id,
        view.object,
        view.created,
        view.model,
        view.created_at,
    ]);
    Some(extract(view, kind, deltas))
}

fn extract(view: FrameView<'_>, kind: StreamKind, deltas: &mut Vec<ChoiceDelta>) -> Vec<u32> {
    match kind {
        StreamKind::OpenAiChat | StreamKind::OpenAiCompletions => {
            let chat = kind == StreamKind::OpenAiChat;
            let mut finished = Vec::new();
            for (position, ObjectOnly(choice)) in view.choices.into_iter().flatten().enumerate() {
                let index = index_or_position(choice.index.as_ref(), position);
                if chat {
                    if let Some(ObjectOnly(delta)) = choice.delta {
                        message_text(delta, index, deltas, openai_arguments);
                    }
                } else if let Some(Text(text)) = &choice.text {
                    push_delta(deltas, index, text);
                }
                if choice.finish_reason.is_some() {
                    finished.push(index);
                }
            }
            finished
        }
        StreamKind::OllamaChat | StreamKind::OllamaGenerate => {
            if kind == StreamKind::OllamaChat {
                if let Some(ObjectOnly(message)) = view.message {
                    message_text(message, 0, deltas, super::ollama::arguments_text);
                }
            } else if let Some(Text(text)) = &view.response {
                push_delta(deltas, 0, text);
            }
            if view.done == Some(true) {
                vec![0]
            } else {
                Vec::new()
            }
        }
    }
}

/// The content, then each tool call's arguments, as `arguments` reads them for the API.
fn message_text(
    message: MessageView<'_>,
    choice: u32,
    deltas: &mut Vec<ChoiceDelta>,
    arguments: fn(&Value) -> Option<Cow<'_, str>>,
) {
    if let Some(Text(text)) = &message.content {
        push_delta(deltas, choice, text);
    }
    for ObjectOnly(call) in message.tool_calls.into_iter().flatten() {
        let args = call.function.and_then(|ObjectOnly(f)| f.arguments);
        if let Some(text) = args.as_ref().and_then(arguments) {
            push_delta(deltas, choice, &text);
        }
    }
}

/// OpenAI streams tool-call arguments as string fragments; anything else carries no text.
fn openai_arguments(value: &Value) -> Option<Cow<'_, str>> {
    value.as_str().map(Cow::Borrowed)
}

#[cfg(test)]
#[path = "view_prop.rs"]
pub(super) mod properties;
