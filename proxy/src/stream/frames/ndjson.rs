//! Newline-delimited JSON (Ollama's streaming framing): one JSON object per line.
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`: Go's scanner (the Ollama CLI) splits at `\n`,
//! Python's `httpx` (the `ollama` package) at a lone `\r` too, so cutting at both judges every
//! object either client could decode.

use super::ScanState;

/// The length of the first complete line in `buf`, if any.
pub(super) fn next_boundary(buf: &[u8], state: &mut ScanState) -> Option<usize> {
    let from = state.scan_from;
    match memchr::memchr2(b'\n', b'\r', &buf[from..]) {
        Some(i) if buf[from + i] == b'\n' => Some(from + i + 1),
        // A CR may be the first half of a CRLF: decide once the next byte has arrived.
        Some(i) => match buf.get(from + i + 1) {
            Some(b'\n') => Some(from + i + 2),
            Some(_) => Some(from + i + 1),
            None => {
                state.scan_from = from + i;
                None
            }
        },
        None => {
            state.scan_from = buf.len();
            None
        }
    }
}

/// One line around a JSON payload.
pub(super) fn encode(json: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(json.as_bytes());
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_ends_at_its_newline_and_scanning_resumes() {
        let mut state = ScanState::default();
        assert_eq!(next_boundary(b"{\"a\":1}", &mut state), None);
        assert_eq!(state.scan_from, 7);
        assert_eq!(next_boundary(b"{\"a\":1}\n{", &mut state), Some(8));
        let mut state = ScanState::default();
        assert_eq!(next_boundary(b"{}\r", &mut state), None);
        assert_eq!(next_boundary(b"{}\r\n", &mut state), Some(4));
        assert_eq!(next_boundary(b"{}\r{}", &mut ScanState::default()), Some(3));
        let mut out = Vec::new();
        encode("{}", &mut out);
        assert_eq!(out, b"{}\n");
    }
}
