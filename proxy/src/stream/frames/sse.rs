//! Server-sent events (OpenAI's streaming framing): an event is a run of `field: value` lines
//! ended by a blank line; the JSON payload is the event's `data` field, its lines joined with
//! `\n`; `data: [DONE]` ends the stream.
//!
//! Lines end at `\r\n`, `\n` or a lone `\r`, and bytes are decoded as UTF-8 with
//! replacement, both as the WHATWG event-stream algorithm (and so every browser and the
//! `openai` Node SDK) reads them: a frame the gateway read any other way would be one whose
//! text a client shows but the guard never judged (found by `prop.rs`).

use std::borrow::Cow;

use super::{Payload, ScanState};

/// The SSE end-of-stream sentinel.
pub const SSE_DONE: &[u8] = b"data: [DONE]\n\n";

/// The length of the first complete event in `buf`, if any. Bytes before
/// `state.scan_from` were scanned by an earlier call (the buffer only grew since).
pub(super) fn next_boundary(buf: &[u8], state: &mut ScanState) -> Option<usize> {
    let mut i = state.scan_from;
    while let Some(at) = memchr::memchr2(b'\n', b'\r', &buf[i..]) {
        i += at;
        let end = if buf[i] == b'\n' {
            i + 1
        } else {
            // A CR may be the first half of a CRLF: decide once the next byte has arrived.
            match buf.get(i + 1) {
                Some(b'\n') => i + 2,
                Some(_) => i + 1,
                None => break,
            }
        };
        if i == state.line_start {
            return Some(end);
        }
        state.line_start = end;
        i = end;
    }
    state.scan_from = if i < buf.len() && buf[i] == b'\r' {
        i
    } else {
        buf.len()
    };
    None
}

/// What one complete event carries: its `data` (to be decoded as JSON), the sentinel, or
/// nothing judgeable (comments, other fields). A single `data` line of valid UTF-8, what
/// every upstream sends, is borrowed from the frame.
pub(super) fn payload(raw: &[u8]) -> Result<Cow<'_, str>, Payload> {
    match super::utf8_lossy(raw) {
        Cow::Borrowed(text) => data(text),
        Cow::Owned(text) => data(&text).map(|d| Cow::Owned(d.into_owned())),
    }
}

fn data(text: &str) -> Result<Cow<'_, str>, Payload> {
    // A client strips the byte-order mark at the start of the stream; stripping it at the
    // start of any frame judges a superset of what a client reads.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let data = match single_data_line(text) {
        Some(value) => Some(Cow::Borrowed(value)),
        None => joined_data(text),
    };
    match data {
        None => Err(Payload::Opaque),
        Some(data) if data.trim() == "[DONE]" => Err(Payload::Done),
        Some(data) => Ok(data),
    }
}

/// The value of an event that is one `data` line and line ends, what every upstream sends:
/// what [`joined_data`] finds in it, found without walking the lines.
fn single_data_line(text: &str) -> Option<&str> {
    let value = text.strip_prefix("data:")?;
    let value = value.strip_prefix(' ').unwrap_or(value);
    let end = memchr::memchr2(b'\n', b'\r', value.as_bytes()).unwrap_or(value.len());
    value.as_bytes()[end..]
        .iter()
        .all(|&b| b == b'\n' || b == b'\r')
        .then(|| &value[..end])
}

/// The `data` lines of an event joined with `\n`; `None` when it has none.
fn joined_data(text: &str) -> Option<Cow<'_, str>> {
    let mut data: Option<Cow<'_, str>> = None;
    // Empty lines are skipped, so splitting CRLF into two terminators changes nothing.
    for line in lines(text) {
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match memchr::memchr(b':', line.as_bytes()) {
            Some(at) => {
                let value = &line[at + 1..];
                (&line[..at], value.strip_prefix(' ').unwrap_or(value))
            }
            None => (line, ""),
        };
        if field == "data" {
            match &mut data {
                Some(data) => {
                    let data = data.to_mut();
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(Cow::Borrowed(value)),
            }
        }
    }
    data
}

/// The text split at every CR and LF (so a CRLF gives an empty line between).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match memchr::memchr2(b'\n', b'\r', text.as_bytes()) {
            Some(at) => {
                rest = Some(&text[at + 1..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

/// One `data:` event around a JSON payload.
pub(super) fn encode(json: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b"data: ");
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(b"\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boundaries(bytes: &[u8]) -> Vec<usize> {
        let mut state = ScanState::default();
        let mut at = 0;
        let mut out = Vec::new();
        while let Some(len) = next_boundary(&bytes[at..], &mut state) {
            out.push(len);
            at += len;
            state = ScanState::default();
        }
        out
    }

    #[test]
    fn events_end_at_a_blank_line_with_either_line_ending() {
        assert_eq!(boundaries(b"data: a\n\ndata: b\r\n\r\nrest"), vec![9, 11]);
        assert_eq!(boundaries(b"event: x\ndata: y\n\n"), vec![18]);
        assert_eq!(boundaries(b"data: no end yet\n"), Vec::<usize>::new());
        assert_eq!(boundaries(b"data: a\r\rdata: b\r\n\r\n"), vec![9, 11]);
        // A trailing CR waits for the next byte: it may start a CRLF.
        assert_eq!(boundaries(b"data: a\r\r"), Vec::<usize>::new());
        assert_eq!(boundaries(b"data: a\r\r\n"), vec![10]);
    }

    #[test]
    fn scanning_resumes_where_it_stopped() {
        let mut state = ScanState::default();
        assert_eq!(next_boundary(b"data: a\n", &mut state), None);
        assert_eq!(state.scan_from, 8);
        assert_eq!(next_boundary(b"data: a\n\n", &mut state), Some(9));
    }

    #[test]
    fn a_single_data_line_reads_as_the_joined_lines_do() {
        for event in [
            "data: {}\n\n",
            "data:{}\r\n\r\n",
            "data: [DONE]\r\r",
            "data:  x\n",
            "data: a\nb\n\n",
            "data: a\n\ndata: b\n",
            "data\n\n",
            "data: a:b\n\n",
            "event: x\ndata: a\n\n",
            "data: ",
        ] {
            if let Some(value) = single_data_line(event) {
                assert_eq!(joined_data(event).as_deref(), Some(value), "{event:?}");
            }
        }
        assert_eq!(single_data_line("data: a\nb\n"), None);
        assert_eq!(single_data_line("data: {}\r\n\r\n"), Some("{}"));
    }

    #[test]
    fn data_lines_join_and_other_fields_are_ignored() {
        assert_eq!(
            payload(b": c\nevent: m\nid: 1\ndata: {\"a\":\ndata:1}\n\n"),
            Ok(Cow::Owned("{\"a\":\n1}".to_string()))
        );
        assert_eq!(payload(b"data: [DONE]\n\n"), Err(Payload::Done));
        assert_eq!(payload(b"retry: 10\n\n"), Err(Payload::Opaque));
        assert_eq!(payload(b"data: \xff\n\n"), Ok(Cow::Borrowed("\u{fffd}")));
        assert_eq!(
            payload(b"\xef\xbb\xbfdata: x\rdata: y\r\r"),
            Ok(Cow::Borrowed("x\ny"))
        );
        let mut out = Vec::new();
        encode("{}", &mut out);
        assert_eq!(out, b"data: {}\n\n");
    }
}
