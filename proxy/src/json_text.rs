//! JSON written as text for the differential property tests: unlike a `Value`, an object can
//! repeat a key, and a key can be written with `\u` escapes, the shapes where two JSON
//! readers part ways.

use serde_json::Value;

/// A JSON document that may repeat keys.
#[derive(Debug, Clone)]
pub(crate) enum J {
    Null,
    Bool(bool),
    /// A number, as written.
    Num(&'static str),
    Str(String),
    Arr(Vec<J>),
    /// Entries in order. A key that starts with [`ESCAPE_FIRST`] is written with its next
    /// character as a `\u` escape (`"\u0063ontent"` for `content`).
    Obj(Vec<(String, J)>),
}

/// Marks a key whose first character is written as a `\u` escape.
pub(crate) const ESCAPE_FIRST: char = '\u{e001}';

impl J {
    pub(crate) fn write(&self, out: &mut String) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
            J::Str(s) => out.push_str(&Value::String(s.clone()).to_string()),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            J::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_key(key, out);
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }

    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

fn write_key(key: &str, out: &mut String) {
    let Some(rest) = key.strip_prefix(ESCAPE_FIRST) else {
        out.push_str(&Value::String(key.to_string()).to_string());
        return;
    };
    let mut chars = rest.chars();
    let first = chars.next().map_or(0, u32::from);
    let tail = Value::String(chars.as_str().to_string()).to_string();
    out.push_str(&format!("\"\\u{first:04x}{}", &tail[1..]));
}
