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
        self.write_styled(out, &mut Style::default());
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

/// How [`J::write_styled`] spells a document: the whitespace around each token and which
/// strings are written with every character as a `\u` escape, each taken in turn (cycling).
/// (The default: no whitespace, no escapes but those JSON needs.)
#[derive(Debug, Clone, Default)]
pub(crate) struct Style {
    pub spaces: Vec<&'static str>,
    pub escapes: Vec<bool>,
    pub turn: usize,
}

impl Style {
    fn space(&mut self, out: &mut String) {
        self.turn += 1;
        if !self.spaces.is_empty() {
            out.push_str(self.spaces[self.turn % self.spaces.len()]);
        }
    }

    fn escaped(&mut self) -> bool {
        self.turn += 1;
        !self.escapes.is_empty() && self.escapes[self.turn % self.escapes.len()]
    }

    fn string(&mut self, s: &str, out: &mut String) {
        if !self.escaped() {
            out.push_str(&Value::String(s.to_string()).to_string());
            return;
        }
        out.push('"');
        let mut units = [0u16; 2];
        for (i, c) in s.chars().enumerate() {
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '/' => Some("\\/"),
                '\u{8}' => Some("\\b"),
                '\u{c}' => Some("\\f"),
                '\n' => Some("\\n"),
                '\r' => Some("\\r"),
                '\t' => Some("\\t"),
                _ => None,
            };
            match short {
                // Short escapes where JSON has them, every other time.
                Some(short) if i % 2 == 1 => out.push_str(short),
                _ => {
                    for unit in c.encode_utf16(&mut units) {
                        // Upper- and lower-case hex digits alike.
                        if i % 3 == 0 {
                            out.push_str(&format!("\\u{unit:04X}"));
                        } else {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                }
            }
        }
        out.push('"');
    }
}

impl J {
    /// [`J::write`] with the whitespace and `\u` escapes `style` picks.
    pub(crate) fn write_styled(&self, out: &mut String, style: &mut Style) {
        style.space(out);
        match self {
            J::Str(s) => style.string(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_styled(out, style);
                }
                style.space(out);
                out.push(']');
            }
            J::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    style.space(out);
                    write_key(key, out);
                    style.space(out);
                    out.push(':');
                    value.write_styled(out, style);
                }
                style.space(out);
                out.push('}');
            }
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => out.push_str(n),
        }
        style.space(out);
    }
}
