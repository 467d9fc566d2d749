//! Ollama lines (`/api/chat`, `/api/generate`): the text is `message.content` plus tool-call
//! arguments (chat, sent whole, the arguments as an object) or `response` (generate); there is
//! one choice (0), finished by `done: true`.

use std::borrow::Cow;

use serde_json::Value;

use super::{ChoiceDelta, StreamMeta};

/// The text deltas of one line; whether it finishes the answer.
pub(super) fn extract(value: &Value, chat: bool, deltas: &mut Vec<ChoiceDelta>) -> bool {
    let mut add = |text: &str| super::push_delta(deltas, 0, text);
    if chat {
        let message = value.get("message");
        if let Some(text) = message
            .and_then(|m| m.get("content"))
            .and_then(Value::as_str)
        {
            add(text);
        }
        // Tool calls arrive whole, with the arguments as an object: judge their JSON.
        let calls = message
            .and_then(|m| m.get("tool_calls"))
            .and_then(Value::as_array);
        for call in calls.into_iter().flatten() {
            let arguments = call.get("function").and_then(|f| f.get("arguments"));
            if let Some(text) = arguments.and_then(arguments_text) {
                add(&text);
            }
        }
    } else if let Some(text) = value.get("response").and_then(Value::as_str) {
        add(text);
    }
    value.get("done").and_then(Value::as_bool) == Some(true)
}

/// The text of a tool call's arguments: a string as it is, any other value (an object, as
/// Ollama sends them) as its JSON; `null` carries none.
pub(super) fn arguments_text(arguments: &Value) -> Option<Cow<'_, str>> {
    match arguments {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// The final line with `done_reason: "content_filter"`, in the stream's identity (`model`,
/// `created_at` copied from the upstream's lines).
pub(super) fn content_filter(chat: bool, meta: &StreamMeta, now: u64) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(
        "model".into(),
        meta.model.clone().unwrap_or_else(|| Value::from("")),
    );
    map.insert(
        "created_at".into(),
        meta.created_at
            .clone()
            .unwrap_or_else(|| Value::from(rfc3339_utc(now))),
    );
    if chat {
        map.insert(
            "message".into(),
            serde_json::json!({"role": "assistant", "content": ""}),
        );
    } else {
        map.insert("response".into(), Value::from(""));
    }
    map.insert("done".into(), Value::from(true));
    map.insert("done_reason".into(), Value::from("content_filter"));
    Value::Object(map)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time (Howard Hinnant's civil-from-days).
fn rfc3339_utc(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn chat_content_and_tool_arguments_as_json() {
        let line = json!({"message":{"content":"a","tool_calls":[
            {"function":{"arguments":{"q":"x"}}},{"function":{"arguments":"raw"}},{"function":{}}]},"done":false});
        let mut deltas = Vec::new();
        assert!(!extract(&line, true, &mut deltas));
        let got: Vec<&str> = deltas.iter().map(|d| d.text.as_str()).collect();
        assert_eq!(got, vec!["a", "{\"q\":\"x\"}", "raw"]);
    }

    #[test]
    fn generate_response_and_done() {
        let mut deltas = Vec::new();
        assert!(extract(
            &json!({"response":"b","done":true}),
            false,
            &mut deltas
        ));
        assert_eq!(deltas[0].text, "b");
    }

    #[test]
    fn rfc3339_formats_known_dates() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_737_600), "2026-11-27T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400 + 3661), "2000-02-29T01:01:01Z");
    }
}
