//! OpenAI-compatible chunks (`/v1/chat/completions`, `/v1/completions`): per-choice text is
//! `choices[].delta.content` plus tool-call argument fragments (chat) or `choices[].text`
//! (completions); a choice finishes when its `finish_reason` is set.

use serde_json::Value;

use super::{ChoiceDelta, StreamMeta};

/// The text deltas and finished choices of one chunk.
pub(super) fn extract(value: &Value, chat: bool, deltas: &mut Vec<ChoiceDelta>) -> Vec<u32> {
    let mut finished = Vec::new();
    let choices = value.get("choices").and_then(Value::as_array);
    for (position, choice) in choices.into_iter().flatten().enumerate() {
        let index = choice_index(choice, position);
        let mut add = |text: &str| super::push_delta(deltas, index, text);
        if chat {
            let delta = choice.get("delta");
            if let Some(text) = delta.and_then(|d| d.get("content")).and_then(Value::as_str) {
                add(text);
            }
            let calls = delta
                .and_then(|d| d.get("tool_calls"))
                .and_then(Value::as_array);
            for call in calls.into_iter().flatten() {
                if let Some(args) = call
                    .get("function")
                    .and_then(|f| f.get("arguments"))
                    .and_then(Value::as_str)
                {
                    add(args);
                }
            }
        } else if let Some(text) = choice.get("text").and_then(Value::as_str) {
            add(text);
        }
        if choice.get("finish_reason").is_some_and(|r| !r.is_null()) {
            finished.push(index);
        }
    }
    finished
}

/// A choice's `index`, or its position in `choices` when the upstream leaves it out.
pub(crate) fn choice_index(choice: &Value, position: usize) -> u32 {
    index_or_position(choice.get("index"), position)
}

/// The choice index an `index` field gives (an integer that fits), else the position.
pub(super) fn index_or_position(index: Option<&Value>, position: usize) -> u32 {
    index
        .and_then(Value::as_u64)
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX))
}

/// The chunk that ends `choice` with `finish_reason: "content_filter"`, in the stream's
/// identity (`id`, `object`, `created`, `model` copied from the upstream's chunks).
pub(super) fn content_filter(chat: bool, meta: &StreamMeta, choice: u32, now: u64) -> Value {
    let mut entry = serde_json::Map::new();
    entry.insert("index".into(), Value::from(choice));
    if chat {
        entry.insert("delta".into(), Value::Object(serde_json::Map::new()));
    } else {
        entry.insert("text".into(), Value::from(""));
    }
    entry.insert("finish_reason".into(), Value::from("content_filter"));
    let (default_id, default_object) = if chat {
        ("chatcmpl-warden", "chat.completion.chunk")
    } else {
        ("cmpl-warden", "text_completion")
    };
    serde_json::json!({
        "id": meta.id.clone().unwrap_or_else(|| Value::from(default_id)),
        "object": meta.object.clone().unwrap_or_else(|| Value::from(default_object)),
        "created": meta.created.clone().unwrap_or_else(|| Value::from(now)),
        "model": meta.model.clone().unwrap_or_else(|| Value::from("")),
        "choices": [Value::Object(entry)],
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn chat_text_and_tool_arguments_per_choice() {
        let chunk = json!({"choices":[
            {"index":1,"delta":{"content":"hi","tool_calls":[{"function":{"arguments":"{\"a\""}}]},"finish_reason":null},
            {"delta":{"content":""},"finish_reason":"stop"}]});
        let mut deltas = Vec::new();
        let finished = extract(&chunk, true, &mut deltas);
        let got: Vec<(u32, &str)> = deltas.iter().map(|d| (d.choice, d.text.as_str())).collect();
        assert_eq!(got, vec![(1, "hi"), (1, "{\"a\"")]);
        // No `index`: the position stands in; an empty delta is left out.
        assert_eq!(finished, vec![1]);
    }

    #[test]
    fn completions_text() {
        let chunk = json!({"choices":[{"index":0,"text":"abc","finish_reason":"length"}]});
        let mut deltas = Vec::new();
        assert_eq!(extract(&chunk, false, &mut deltas), vec![0]);
        assert_eq!(deltas[0].text, "abc");
    }

    #[test]
    fn terminal_chunks_fall_back_to_warden_identities() {
        let value = content_filter(false, &StreamMeta::default(), 2, 7);
        assert_eq!(
            value,
            json!({"id":"cmpl-warden","object":"text_completion","created":7,"model":"",
                "choices":[{"index":2,"text":"","finish_reason":"content_filter"}]})
        );
    }
}
