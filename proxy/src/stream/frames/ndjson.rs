//! Newline-delimited JSON (Ollama's streaming framing): one JSON object per line.

use super::ScanState;

/// The length of the first complete line in `buf`, if any.
pub(super) fn next_boundary(buf: &[u8], state: &mut ScanState) -> Option<usize> {
    match buf[state.scan_from..].iter().position(|&b| b == b'\n') {
        Some(i) => Some(state.scan_from + i + 1),
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
        let mut out = Vec::new();
        encode("{}", &mut out);
        assert_eq!(out, b"{}\n");
    }
}
