//! Frame codecs for the four guarded streaming APIs: incremental parsers over streamed
//! response bytes, per-choice text extraction, and the terminal frames the gateway writes.
//!
//! Chunks may split frames anywhere, including inside a UTF-8 sequence: the parsers work on
//! bytes and only decode a frame once its terminator has arrived. Every frame keeps its raw
//! bytes so the hold-back engine can re-emit it unchanged; a frame whose payload is not JSON
//! is an [`Payload::Opaque`] frame and passes through in order.
//!
//! - framing: `sse` (OpenAI) and `ndjson` (Ollama) cut bytes into frames and wrap JSON;
//! - APIs: `openai` and `ollama` find the text and the finishes, and write terminal frames.

mod ndjson;
mod ollama;
mod openai;
#[cfg(test)]
#[path = "prop.rs"]
mod properties;
mod scan;
mod sse;
mod view;

pub(crate) use openai::choice_index;
pub use sse::SSE_DONE;

use std::borrow::Cow;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::route::Route;

/// Which streaming API a response belongs to: decides the framing, where the text sits, and
/// what the terminal frames look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// `POST /v1/chat/completions` with `stream: true` (SSE).
    OpenAiChat,
    /// `POST /v1/completions` with `stream: true` (SSE).
    OpenAiCompletions,
    /// `POST /api/chat` (NDJSON).
    OllamaChat,
    /// `POST /api/generate` (NDJSON).
    OllamaGenerate,
}

/// How a response body is cut into frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// Server-sent events: fields on lines, an event ends at a blank line.
    Sse,
    /// One JSON object per line.
    Ndjson,
}

impl StreamKind {
    /// The streaming kind of a guarded route; `None` for pass-through.
    pub fn from_route(route: Route) -> Option<StreamKind> {
        match route {
            Route::OpenAiChat => Some(StreamKind::OpenAiChat),
            Route::OpenAiCompletions => Some(StreamKind::OpenAiCompletions),
            Route::OllamaChat => Some(StreamKind::OllamaChat),
            Route::OllamaGenerate => Some(StreamKind::OllamaGenerate),
            Route::Passthrough => None,
        }
    }

    pub fn framing(self) -> Framing {
        match self {
            StreamKind::OpenAiChat | StreamKind::OpenAiCompletions => Framing::Sse,
            StreamKind::OllamaChat | StreamKind::OllamaGenerate => Framing::Ndjson,
        }
    }

    pub fn is_openai(self) -> bool {
        self.framing() == Framing::Sse
    }
}

/// One frame of the response, with its raw bytes (terminator included) to re-emit unchanged.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedFrame {
    pub raw: Bytes,
    pub payload: Payload,
}

/// What a frame carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// Not JSON (comments, keep-alives, blank lines, other event fields):
    /// carries no text the gateway can judge.
    Opaque,
    /// The SSE `data: [DONE]` sentinel.
    Done,
    /// A JSON frame with the text deltas and finishes it carries.
    Json(JsonFrame),
}

/// A parsed JSON frame.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonFrame {
    /// The decoded payload, kept only when the frame carries more than one choice (to rewrite
    /// it without a blocked one).
    pub value: Option<Value>,
    /// Text deltas in the order they appear; empty deltas are left out.
    pub deltas: Vec<ChoiceDelta>,
    /// Choices that this frame finishes (`finish_reason` set, Ollama `done: true`).
    pub finished: Vec<u32>,
}

/// New text of one choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceDelta {
    pub choice: u32,
    pub text: String,
}

/// Parses frames out of response bytes as they arrive.
#[derive(Debug)]
pub struct FrameParser {
    kind: StreamKind,
    buf: BytesMut,
    scan: ScanState,
    meta: StreamMeta,
}

/// Where a framing's terminator search stands in the parser's buffer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct ScanState {
    /// Where scanning resumes (bytes before it were already scanned).
    scan_from: usize,
    /// SSE: where the line being scanned starts.
    line_start: usize,
}

impl FrameParser {
    pub fn new(kind: StreamKind) -> FrameParser {
        FrameParser {
            kind,
            buf: BytesMut::new(),
            scan: ScanState::default(),
            meta: StreamMeta::default(),
        }
    }

    /// The stream's identity, from the frames parsed so far.
    pub fn meta(&self) -> &StreamMeta {
        &self.meta
    }

    pub fn kind(&self) -> StreamKind {
        self.kind
    }

    /// Bytes received that do not yet form a complete frame.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Consumes a chunk and appends every frame it completed to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<ParsedFrame>) {
        self.buf.extend_from_slice(chunk);
        while let Some(end) = self.next_boundary() {
            let raw = self.buf.split_to(end).freeze();
            self.scan = ScanState::default();
            out.push(parse(self.kind, raw, &mut self.meta));
        }
    }

    /// Ends the stream: bytes left without a terminator form one last frame. They are parsed
    /// like any frame, so text in an unterminated last frame is still judged.
    pub fn finish(&mut self) -> Option<ParsedFrame> {
        if self.buf.is_empty() {
            return None;
        }
        let raw = std::mem::take(&mut self.buf).freeze();
        self.scan = ScanState::default();
        Some(parse(self.kind, raw, &mut self.meta))
    }

    fn next_boundary(&mut self) -> Option<usize> {
        match self.kind.framing() {
            Framing::Sse => sse::next_boundary(&self.buf, &mut self.scan),
            Framing::Ndjson => ndjson::next_boundary(&self.buf, &mut self.scan),
        }
    }
}

fn parse(kind: StreamKind, raw: Bytes, meta: &mut StreamMeta) -> ParsedFrame {
    let payload = match json_text(kind, &raw) {
        Ok(text) => parse_json(&text, kind, meta),
        Err(payload) => payload,
    };
    ParsedFrame { raw, payload }
}

/// The text a frame carries as a client decodes it (an SSE event's `data`, an NDJSON line),
/// or, for an SSE event without data or with the sentinel, what it is instead.
fn json_text(kind: StreamKind, raw: &[u8]) -> Result<Cow<'_, str>, Payload> {
    match kind.framing() {
        Framing::Sse => sse::payload(raw),
        Framing::Ndjson => Ok(utf8_lossy(raw)),
    }
}

fn parse_json(text: &str, kind: StreamKind, meta: &mut StreamMeta) -> Payload {
    let trimmed = text.trim_ascii();
    if !trimmed.starts_with('{') {
        return Payload::Opaque;
    }
    match view::read(trimmed, kind, meta) {
        Some(read) => Payload::Json(JsonFrame {
            value: read.value,
            deltas: read.deltas,
            finished: read.finished,
        }),
        None => Payload::Opaque,
    }
}

/// The text deltas and finishes of a frame already parsed as a `Value`: the reader for frames
/// the typed view refuses, and the reference the view is tested against.
fn extract_value(value: &Value, kind: StreamKind, deltas: &mut Vec<ChoiceDelta>) -> Vec<u32> {
    match kind {
        StreamKind::OpenAiChat => openai::extract(value, true, deltas),
        StreamKind::OpenAiCompletions => openai::extract(value, false, deltas),
        StreamKind::OllamaChat | StreamKind::OllamaGenerate => {
            let chat = kind == StreamKind::OllamaChat;
            if ollama::extract(value, chat, deltas) {
                vec![0]
            } else {
                Vec::new()
            }
        }
    }
}

/// Bytes as UTF-8, invalid sequences read as U+FFFD (as browsers' event-stream readers and
/// Go's `encoding/json` read them); valid text, nearly all of it, is not copied.
fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The whole payload of a frame as the gateway decodes it (tests read what a client reads).
#[cfg(test)]
pub(crate) fn decoded(kind: StreamKind, raw: &[u8]) -> Option<Value> {
    serde_json::from_str(json_text(kind, raw).ok()?.trim_ascii()).ok()
}

/// Adds a text delta; empty ones carry nothing to judge and are left out.
fn push_delta(deltas: &mut Vec<ChoiceDelta>, choice: u32, text: &str) {
    if !text.is_empty() {
        deltas.push(ChoiceDelta {
            choice,
            text: text.to_string(),
        });
    }
}

/// Identity of the stream, copied from upstream frames into the terminal frames the gateway
/// writes itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StreamMeta {
    pub id: Option<Value>,
    pub object: Option<Value>,
    pub created: Option<Value>,
    pub model: Option<Value>,
    pub created_at: Option<Value>,
}

impl StreamMeta {
    /// Remembers the identity fields of a frame (the first value seen wins).
    pub fn observe(&mut self, value: &Value) {
        for (slot, name) in self.slots().into_iter().zip(Self::FIELDS) {
            if slot.is_none()
                && let Some(v) = value.get(name)
                && !v.is_null()
            {
                *slot = Some(v.clone());
            }
        }
    }

    /// [`StreamMeta::observe`] over the fields as the typed view found them (in
    /// [`StreamMeta::FIELDS`] order, `None` for absent or null): only a field not yet known
    /// is decoded.
    fn observe_raw(&mut self, fields: [Option<&serde_json::value::RawValue>; 5]) {
        for (slot, raw) in self.slots().into_iter().zip(fields) {
            if slot.is_none()
                && let Some(raw) = raw
            {
                *slot = serde_json::from_str::<Value>(raw.get()).ok();
            }
        }
    }

    /// [`StreamMeta::observe_raw`] over the fields as written in the frame.
    fn observe_text(&mut self, fields: [Option<&str>; 5]) {
        for (slot, text) in self.slots().into_iter().zip(fields) {
            if slot.is_none()
                && let Some(text) = text
            {
                *slot = serde_json::from_str::<Value>(text).ok();
            }
        }
    }

    const FIELDS: [&'static str; 5] = ["id", "object", "created", "model", "created_at"];

    fn slots(&mut self) -> [&mut Option<Value>; 5] {
        [
            &mut self.id,
            &mut self.object,
            &mut self.created,
            &mut self.model,
            &mut self.created_at,
        ]
    }
}

/// The frame that ends one choice because its content was filtered: an OpenAI chunk with
/// `finish_reason: "content_filter"`, or Ollama's final line with
/// `done_reason: "content_filter"`.
pub fn content_filter_frame(kind: StreamKind, meta: &StreamMeta, choice: u32) -> Bytes {
    let now = now_unix();
    let value = match kind {
        StreamKind::OpenAiChat => openai::content_filter(true, meta, choice, now),
        StreamKind::OpenAiCompletions => openai::content_filter(false, meta, choice, now),
        StreamKind::OllamaChat => ollama::content_filter(true, meta, now),
        StreamKind::OllamaGenerate => ollama::content_filter(false, meta, now),
    };
    encode_frame(kind, &value)
}

/// Serialises a JSON payload as one frame of the kind's framing.
pub fn encode_frame(kind: StreamKind, value: &Value) -> Bytes {
    let json = value.to_string();
    let mut out = Vec::with_capacity(json.len() + 8);
    match kind.framing() {
        Framing::Sse => sse::encode(&json, &mut out),
        Framing::Ndjson => ndjson::encode(&json, &mut out),
    }
    Bytes::from(out)
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(kind: StreamKind, chunks: &[&[u8]]) -> Vec<ParsedFrame> {
        let mut parser = FrameParser::new(kind);
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut out);
        }
        out.extend(parser.finish());
        out
    }

    fn texts(frames: &[ParsedFrame]) -> Vec<(u32, String)> {
        frames
            .iter()
            .filter_map(|f| match &f.payload {
                Payload::Json(j) => Some(j.deltas.iter().map(|d| (d.choice, d.text.clone()))),
                _ => None,
            })
            .flatten()
            .collect()
    }

    const CHAT: &str = concat!(
        ": keep-alive\n\n",
        "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":7,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"h\u{e9}llo \"},\"finish_reason\":null}]}\n\n",
        "data: {\"choices\":[{\"index\":1,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"{\\\"a\\\":1}\"}}]},\"finish_reason\":null}]}\r\n\r\n",
        "event: message\ndata: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: not json\n\n",
        "data: [DONE]\n\n",
    );

    #[test]
    fn sse_frames_at_every_split_position_match_the_unsplit_parse() {
        let whole = parse_all(StreamKind::OpenAiChat, &[CHAT.as_bytes()]);
        assert_eq!(whole.len(), 6);
        assert_eq!(whole[0].payload, Payload::Opaque);
        assert_eq!(
            texts(&whole),
            vec![(0, "h\u{e9}llo ".to_string()), (1, "{\"a\":1}".to_string())]
        );
        match &whole[3].payload {
            Payload::Json(j) => assert_eq!(j.finished, vec![0]),
            other => panic!("expected json, got {other:?}"),
        }
        assert_eq!(whole[4].payload, Payload::Opaque);
        assert_eq!(whole[5].payload, Payload::Done);
        let rejoined: Vec<u8> = whole.iter().flat_map(|f| f.raw.to_vec()).collect();
        assert_eq!(rejoined, CHAT.as_bytes());

        let bytes = CHAT.as_bytes();
        for cut in 0..=bytes.len() {
            let split = parse_all(StreamKind::OpenAiChat, &[&bytes[..cut], &bytes[cut..]]);
            assert_eq!(split, whole, "split at byte {cut}");
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_all(StreamKind::OpenAiChat, &singles), whole);
    }

    #[test]
    fn sse_multi_line_data_is_joined_with_newlines() {
        let frames = parse_all(
            StreamKind::OpenAiCompletions,
            &[b"data: {\"choices\":\ndata: [{\"text\":\"a\",\"index\":2}]}\n\n"],
        );
        assert_eq!(texts(&frames), vec![(2, "a".to_string())]);
    }

    #[test]
    fn ndjson_lines_for_both_ollama_apis() {
        let chat = b"{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"done\":false}\n\n{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n";
        let frames = parse_all(StreamKind::OllamaChat, &[chat]);
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[1].payload, Payload::Opaque);
        assert_eq!(texts(&frames), vec![(0, "hi".to_string())]);
        match &frames[2].payload {
            Payload::Json(j) => assert_eq!(j.finished, vec![0]),
            other => panic!("expected json, got {other:?}"),
        }
        // Unterminated last line is still parsed at the end.
        let generate = b"{\"response\":\"a\",\"done\":false}\n{\"response\":\"b\",\"done\":true}";
        let frames = parse_all(StreamKind::OllamaGenerate, &[generate]);
        assert_eq!(
            texts(&frames),
            vec![(0, "a".to_string()), (0, "b".to_string())]
        );
    }

    #[test]
    fn ollama_tool_call_arguments_are_text() {
        let line = b"{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":{\"q\":\"x\"}}}]},\"done\":false}\n";
        let frames = parse_all(StreamKind::OllamaChat, &[line]);
        assert_eq!(texts(&frames), vec![(0, "{\"q\":\"x\"}".to_string())]);
    }

    #[test]
    fn invalid_utf8_is_read_with_replacement_and_kept() {
        let frames = parse_all(StreamKind::OpenAiChat, &[b"data: \xff\xfe\n\n"]);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].payload, Payload::Opaque);
        assert_eq!(&frames[0].raw[..], b"data: \xff\xfe\n\n");
        let line = b"{\"response\":\"a\xffb\",\"done\":false}\n";
        let frames = parse_all(StreamKind::OllamaGenerate, &[line]);
        assert_eq!(texts(&frames), vec![(0, "a\u{fffd}b".to_string())]);
        assert_eq!(&frames[0].raw[..], line);
    }

    #[test]
    fn terminal_frames_copy_the_stream_identity() {
        let mut meta = StreamMeta::default();
        meta.observe(&serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":7,"model":"m"}));
        let frame = content_filter_frame(StreamKind::OpenAiChat, &meta, 1);
        let text = std::str::from_utf8(&frame).expect("utf8");
        let json = text
            .strip_prefix("data: ")
            .and_then(|t| t.strip_suffix("\n\n"))
            .expect("one SSE data frame");
        assert_eq!(
            serde_json::from_str::<Value>(json).expect("json"),
            serde_json::json!({"id":"c1","object":"chat.completion.chunk","created":7,"model":"m",
                "choices":[{"index":1,"delta":{},"finish_reason":"content_filter"}]})
        );
        let frame = content_filter_frame(StreamKind::OpenAiCompletions, &meta, 0);
        assert!(
            std::str::from_utf8(&frame)
                .expect("utf8")
                .contains("\"text\":\"\"")
        );

        let mut meta = StreamMeta::default();
        meta.observe(&serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z"}));
        let frame = content_filter_frame(StreamKind::OllamaGenerate, &meta, 0);
        let value: Value = serde_json::from_slice(&frame).expect("json line");
        assert_eq!(
            value,
            serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z","response":"","done":true,"done_reason":"content_filter"})
        );
        assert!(frame.ends_with(b"\n"));
        let frame = content_filter_frame(StreamKind::OllamaChat, &StreamMeta::default(), 0);
        let value: Value = serde_json::from_slice(&frame).expect("json line");
        assert_eq!(value["message"]["content"], "");
        assert_eq!(value["done_reason"], "content_filter");
    }
}
