//! Server-sent events (OpenAI's streaming framing): an event is a run of `field: value` lines
//! ended by a blank line (`\n` or `\r\n`); the JSON payload is the event's `data` field, its
//! lines joined with `\n`; `data: [DONE]` ends the stream.

use super::{Payload, ScanState};

/// The SSE end-of-stream sentinel.
pub const SSE_DONE: &[u8] = b"data: [DONE]\n\n";

/// The length of the first complete event in `buf`, if any. Bytes before
/// `state.scan_from` were scanned by an earlier call (the buffer only grew since).
pub(super) fn next_boundary(buf: &[u8], state: &mut ScanState) -> Option<usize> {
    let mut i = state.scan_from;
    while i < buf.len() {
        if buf[i] == b'\n' {
            let line = &buf[state.line_start..i];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                return Some(i + 1);
            }
            state.line_start = i + 1;
        }
        i += 1;
    }
    state.scan_from = i;
    None
}

/// What one complete event carries: its `data` (to be decoded as JSON), the sentinel, or
/// nothing judgeable (comments, other fields, invalid UTF-8).
pub(super) fn payload(raw: &[u8]) -> Result<String, Payload> {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Err(Payload::Opaque);
    };
    let mut data: Option<String> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() || line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => data = Some(value.to_string()),
            }
        }
    }
    match data {
        None => Err(Payload::Opaque),
        Some(data) if data.trim() == "[DONE]" => Err(Payload::Done),
        Some(data) => Ok(data),
    }
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
    }

    #[test]
    fn scanning_resumes_where_it_stopped() {
        let mut state = ScanState::default();
        assert_eq!(next_boundary(b"data: a\n", &mut state), None);
        assert_eq!(state.scan_from, 8);
        assert_eq!(next_boundary(b"data: a\n\n", &mut state), Some(9));
    }

    #[test]
    fn data_lines_join_and_other_fields_are_ignored() {
        assert_eq!(
            payload(b": c\nevent: m\nid: 1\ndata: {\"a\":\ndata:1}\n\n"),
            Ok("{\"a\":\n1}".to_string())
        );
        assert_eq!(payload(b"data: [DONE]\n\n"), Err(Payload::Done));
        assert_eq!(payload(b"retry: 10\n\n"), Err(Payload::Opaque));
        assert_eq!(payload(b"data: \xff\n\n"), Err(Payload::Opaque));
        let mut out = Vec::new();
        encode("{}", &mut out);
        assert_eq!(out, b"data: {}\n\n");
    }
}
