//! The fast reader of one streamed JSON frame: a hand-written scanner over the frame's bytes
//! for the few fields the typed view ([`super::view`]) reads, the path nearly every frame of
//! every guarded stream takes.
//!
//! It reads exactly what the typed view reads, or refuses the frame (`None`, nothing added),
//! and the typed view (then the `Value` readers) reads it instead. It refuses whatever it
//! does not need to understand to read the frames upstreams send: a key with an escape, a
//! repeated field the view reads, a field of a type other than the usual one (an `index`
//! that is not an unsigned integer, tool-call `arguments` that are not a string), a `\u`
//! escape of a lone surrogate in a text field, nesting past [`MAX_DEPTH`], and anything that
//! is not JSON. A refusal costs a second parse of a rare frame, never a different answer: a
//! property test (`scan_prop.rs`) holds this reader to [`super::view::read`] on generated
//! frames with `\u` escapes, repeated and escaped keys, odd whitespace and broken JSON.
//!
//! What it accepts, it validates as `serde_json` does (the grammar of numbers, strings
//! without control characters and with valid escapes, literals, nothing after the object):
//! a frame a client cannot decode is never read as text here.
//!
//! Text fields are borrowed from the frame unless they hold an escape; skipped values are
//! only validated; the stream identity is decoded (by `serde_json`) only while it is unknown.

use std::borrow::Cow;

use super::{ChoiceDelta, StreamKind, StreamMeta, push_delta};

/// Nesting (objects and arrays inside the frame object) past which the scanner refuses.
const MAX_DEPTH: usize = 64;

/// Reads a frame's text deltas (into `deltas`), finishes and identity (into `meta`) as
/// [`super::view`] does; `None`, with nothing added, where it refuses the frame.
pub(super) fn read(
    json: &str,
    kind: StreamKind,
    meta: &mut StreamMeta,
    deltas: &mut Vec<ChoiceDelta>,
) -> Option<Vec<u32>> {
    let start = deltas.len();
    let mut scanner = Scanner {
        bytes: json.as_bytes(),
        text: json,
        at: 0,
        kind,
        deltas,
        finished: Vec::new(),
    };
    let frame = scanner.frame().and_then(|frame| {
        scanner.space();
        (scanner.at == scanner.bytes.len()).then_some(frame)
    });
    let Some(frame) = frame else {
        // Choices read before the refusal are taken back.
        scanner.deltas.truncate(start);
        return None;
    };
    let mut finished = std::mem::take(&mut scanner.finished);
    frame.extract(kind, deltas, &mut finished);
    meta.observe_text(frame.identity);
    Some(finished)
}

/// The fields of a frame object the typed view reads, but its choices (read as they come).
#[derive(Default)]
struct Frame<'a> {
    /// `id`, `object`, `created`, `model`, `created_at` as written (`None`: absent or null).
    identity: [Option<&'a str>; 5],
    message: Option<Message<'a>>,
    response: Option<Cow<'a, str>>,
    done: Option<bool>,
}

#[derive(Default)]
struct Choice<'a> {
    /// `None`: absent or null (the position stands in); `Some(None)`: an integer that does
    /// not fit a choice index (the position stands in as well).
    index: Option<Option<u32>>,
    delta: Option<Message<'a>>,
    text: Option<Cow<'a, str>>,
    finished: bool,
}

#[derive(Default)]
struct Message<'a> {
    content: Option<Cow<'a, str>>,
    /// Each tool call's string `arguments`, in order (calls without them left out).
    arguments: Vec<Cow<'a, str>>,
}

impl Frame<'_> {
    /// The Ollama text and finish, as `view::extract` reads them (OpenAI choices were read
    /// as they came).
    fn extract(&self, kind: StreamKind, deltas: &mut Vec<ChoiceDelta>, finished: &mut Vec<u32>) {
        match kind {
            StreamKind::OpenAiChat | StreamKind::OpenAiCompletions => {}
            StreamKind::OllamaChat | StreamKind::OllamaGenerate => {
                if kind == StreamKind::OllamaChat {
                    if let Some(message) = &self.message {
                        message.push(0, deltas);
                    }
                } else if let Some(text) = &self.response {
                    push_delta(deltas, 0, text);
                }
                if self.done == Some(true) {
                    finished.push(0);
                }
            }
        }
    }
}

impl Choice<'_> {
    /// The choice's text and finish, as `view::extract` reads them, for an OpenAI kind.
    fn extract(
        &self,
        position: usize,
        kind: StreamKind,
        deltas: &mut Vec<ChoiceDelta>,
        finished: &mut Vec<u32>,
    ) {
        let index = self
            .index
            .flatten()
            .unwrap_or_else(|| u32::try_from(position).unwrap_or(u32::MAX));
        match kind {
            StreamKind::OpenAiChat => {
                if let Some(delta) = &self.delta {
                    delta.push(index, deltas);
                }
            }
            StreamKind::OpenAiCompletions => {
                if let Some(text) = &self.text {
                    push_delta(deltas, index, text);
                }
            }
            StreamKind::OllamaChat | StreamKind::OllamaGenerate => return,
        }
        if self.finished {
            finished.push(index);
        }
    }
}

impl Message<'_> {
    fn push(&self, choice: u32, deltas: &mut Vec<ChoiceDelta>) {
        if let Some(text) = &self.content {
            push_delta(deltas, choice, text);
        }
        for text in &self.arguments {
            push_delta(deltas, choice, text);
        }
    }
}

/// Sets a field once: a repeated field is refused (as the derived view refuses it).
fn once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

struct Scanner<'a, 'd> {
    bytes: &'a [u8],
    text: &'a str,
    at: usize,
    kind: StreamKind,
    /// Where the choices' deltas go as each choice object ends.
    deltas: &'d mut Vec<ChoiceDelta>,
    finished: Vec<u32>,
}

impl<'a> Scanner<'a, '_> {
    /// The top-level frame object.
    fn frame(&mut self) -> Option<Frame<'a>> {
        let mut frame = Frame::default();
        let mut seen = [false; 9];
        self.object(0, |s, key| {
            let slot = match key {
                b"id" => 0,
                b"object" => 1,
                b"created" => 2,
                b"model" => 3,
                b"created_at" => 4,
                b"choices" => 5,
                b"message" => 6,
                b"response" => 7,
                b"done" => 8,
                _ => return s.skip(1),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            match slot {
                0..=4 => {
                    s.space();
                    let start = s.at;
                    if s.null()? {
                        return Some(());
                    }
                    s.skip(1)?;
                    frame.identity[slot] = Some(&s.text[start..s.at]);
                }
                5 => {
                    if !s.null()? {
                        let mut position = 0;
                        s.array(1, |s| {
                            let choice = s.choice()?;
                            choice.extract(position, s.kind, s.deltas, &mut s.finished);
                            position += 1;
                            Some(())
                        })?;
                    }
                }
                6 => frame.message = s.message(1)?,
                7 => frame.response = s.text_field()?,
                _ => frame.done = s.boolean()?,
            }
            Some(())
        })?;
        Some(frame)
    }

    fn choice(&mut self) -> Option<Choice<'a>> {
        let mut choice = Choice::default();
        let mut seen = [false; 4];
        self.object(2, |s, key| {
            let slot = match key {
                b"index" => 0,
                b"delta" => 1,
                b"text" => 2,
                b"finish_reason" => 3,
                _ => return s.skip(3),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            match slot {
                0 => choice.index = s.index()?,
                1 => choice.delta = s.message(3)?,
                2 => choice.text = s.text_field()?,
                _ => {
                    if !s.null()? {
                        s.skip(3)?;
                        choice.finished = true;
                    }
                }
            }
            Some(())
        })?;
        Some(choice)
    }

    /// A `delta` or `message`: `None` for null.
    fn message(&mut self, depth: usize) -> Option<Option<Message<'a>>> {
        if self.null()? {
            return Some(None);
        }
        let mut message = Message::default();
        let mut seen = [false; 2];
        self.object(depth, |s, key| {
            let slot = match key {
                b"content" => 0,
                b"tool_calls" => 1,
                _ => return s.skip(depth + 1),
            };
            if std::mem::replace(&mut seen[slot], true) {
                return None;
            }
            if slot == 0 {
                message.content = s.text_field()?;
            } else if !s.null()? {
                s.array(depth + 1, |s| s.call(depth + 2, &mut message.arguments))?;
            }
            Some(())
        })?;
        Some(Some(message))
    }

    /// One tool call: its `function.arguments`, when a string, go to `arguments`.
    fn call(&mut self, depth: usize, arguments: &mut Vec<Cow<'a, str>>) -> Option<()> {
        let mut function = None;
        self.object(depth, |s, key| {
            if key != b"function" {
                return s.skip(depth + 1);
            }
            if s.null()? {
                return once(&mut function, None);
            }
            let mut args = None;
            s.object(depth + 1, |s, key| {
                if key != b"arguments" {
                    return s.skip(depth + 2);
                }
                once(&mut args, s.text_field()?)
            })?;
            once(&mut function, args.flatten())
        })?;
        if let Some(Some(text)) = function {
            arguments.push(text);
        }
        Some(())
    }

    /// `index`: null (`None`) or an unsigned integer; anything else is refused.
    fn index(&mut self) -> Option<Option<Option<u32>>> {
        if self.null()? {
            return Some(None);
        }
        let start = self.at;
        self.number()?;
        let mut value: u64 = 0;
        for &digit in &self.bytes[start..self.at] {
            if !digit.is_ascii_digit() {
                return None;
            }
            value = value
                .checked_mul(10)?
                .checked_add(u64::from(digit - b'0'))?;
        }
        Some(Some(u32::try_from(value).ok()))
    }

    /// A string or null (`None`); anything else is refused.
    fn text_field(&mut self) -> Option<Option<Cow<'a, str>>> {
        if self.null()? {
            return Some(None);
        }
        self.string().map(Some)
    }

    fn boolean(&mut self) -> Option<Option<bool>> {
        self.space();
        for (word, value) in [
            (&b"true"[..], Some(true)),
            (b"false", Some(false)),
            (b"null", None),
        ] {
            if self.bytes[self.at..].starts_with(word) {
                self.at += word.len();
                return Some(value);
            }
        }
        None
    }

    /// Consumes a `null` if one comes next (after whitespace).
    fn null(&mut self) -> Option<bool> {
        self.space();
        let rest = self.bytes.get(self.at..)?;
        if rest.starts_with(b"null") {
            self.at += 4;
            return Some(true);
        }
        Some(false)
    }

    fn space(&mut self) {
        // Nearly always no whitespace at all.
        if self.bytes.get(self.at).is_some_and(|&b| b > b' ') {
            return;
        }
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        if self.peek()? == byte {
            self.at += 1;
            Some(())
        } else {
            None
        }
    }

    /// An object at `depth`: `field` reads the value of each key (keys with escapes or
    /// control characters are refused).
    fn object(
        &mut self,
        depth: usize,
        mut field: impl FnMut(&mut Self, &'a [u8]) -> Option<()>,
    ) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.eat(b'"')?;
            let start = self.at;
            let len = plain_run(&self.bytes[start..])?;
            self.at += len;
            if self.bytes[self.at] != b'"' {
                return None;
            }
            let key = &self.bytes[start..self.at];
            self.at += 1;
            self.eat(b':')?;
            field(self, key)?;
            match self.peek()? {
                b',' => self.at += 1,
                b'}' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// An array at `depth`: `item` reads each element.
    fn array(&mut self, depth: usize, mut item: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                b',' => self.at += 1,
                b']' => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// Validates one value (of nesting `depth`) and moves past it.
    fn skip(&mut self, depth: usize) -> Option<()> {
        match self.peek()? {
            b'{' => self.object(depth, |s, _| s.skip(depth + 1)),
            b'[' => self.array(depth, |s| s.skip(depth + 1)),
            b'"' => {
                self.at += 1;
                self.skip_string()
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => self.number(),
        }
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        if self.bytes[self.at..].starts_with(word) {
            self.at += word.len();
            Some(())
        } else {
            None
        }
    }

    /// A JSON number: `-`? (`0` | [1-9][0-9]*) (`.` [0-9]+)? ([eE] [+-]? [0-9]+)?
    fn number(&mut self) -> Option<()> {
        self.space();
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }

    /// The rest of a string being skipped (after its opening quote): escapes are checked as
    /// `serde_json` checks an ignored string (a `\u` needs four hex digits, nothing more).
    fn skip_string(&mut self) -> Option<()> {
        loop {
            let len = plain_run(&self.bytes[self.at..])?;
            self.at += len;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(());
                }
                b'\\' => {
                    self.at += 1;
                    match self.bytes.get(self.at)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            self.at += 1;
                            self.hex4()?;
                        }
                        _ => return None,
                    }
                }
                _ => return None,
            }
        }
    }

    /// A string value, decoded: borrowed when it has no escape; a lone surrogate is refused.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.eat(b'"')?;
        let start = self.at;
        let len = plain_run(&self.bytes[start..])?;
        self.at += len;
        if self.bytes[self.at] == b'"' {
            self.at += 1;
            return Some(Cow::Borrowed(&self.text[start..start + len]));
        }
        let mut out = String::with_capacity(len + 16);
        out.push_str(&self.text[start..self.at]);
        loop {
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    self.at += 1;
                    let escaped = *self.bytes.get(self.at)?;
                    self.at += 1;
                    let c = match escaped {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    };
                    out.push(c);
                }
                _ => return None,
            }
            let from = self.at;
            let len = plain_run(&self.bytes[from..])?;
            self.at += len;
            out.push_str(&self.text[from..self.at]);
        }
    }

    /// The character of a `\u` escape (after the `u`): a surrogate pair is joined, a lone
    /// surrogate is refused.
    fn unicode_escape(&mut self) -> Option<char> {
        let first = self.hex4()?;
        if !(0xD800..0xE000).contains(&first) {
            return char::from_u32(first);
        }
        if first >= 0xDC00 || !self.bytes[self.at..].starts_with(b"\\u") {
            return None;
        }
        self.at += 2;
        let second = self.hex4()?;
        if !(0xDC00..0xE000).contains(&second) {
            return None;
        }
        char::from_u32(0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00))
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.bytes.get(self.at..self.at + 4)?;
        let mut value = 0;
        for &d in digits {
            value = value * 16 + char::from(d).to_digit(16)?;
        }
        self.at += 4;
        Some(value)
    }
}

/// A byte that ends a string's plain run: the quote, a backslash or a control character.
fn special(b: u8) -> bool {
    b == b'"' || b == b'\\' || b < 0x20
}

/// The length of the plain run at the start of `bytes` (up to its first [`special`] byte);
/// `None` when there is none. Eight bytes are tested at a time (as `serde_json` does).
fn plain_run(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES << 7;
    let mut at = 0;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        // A high bit where a byte is below 0x20, is a quote or is a backslash (a borrow from a
        // lower byte can set one above a match only, and the lowest match is the one taken).
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = (word ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES)
            & !(word ^ (ONES * u64::from(b'"')));
        let slash = (word ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES)
            & !(word ^ (ONES * u64::from(b'\\')));
        let found = (control | quote | slash) & HIGH;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| special(b)).map(|i| at + i)
}

#[cfg(test)]
#[path = "scan_prop.rs"]
mod properties;
