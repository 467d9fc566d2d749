//! Python `str.strip()` for message content.
//!
//! The Llama Guard chat templates strip every message with Jinja's `.strip()` / `|trim`, which is
//! Python's `str.strip()`: it removes the characters for which `str.isspace()` is true. That set
//! differs from Rust's `char::is_whitespace` (Unicode `White_Space`): Python also strips the
//! information separators U+001C..U+001F, and neither strips U+200B ZERO WIDTH SPACE. Using
//! `str::trim` would render a different prompt than the reference for such content.

/// Whether Python's `str.isspace()` is true for this character (CPython's `_PyUnicode_IsWhitespace`
/// table: bidirectional class WS, B or S, or general category Zs).
pub fn is_python_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n'
            | '\u{0B}'
            | '\u{0C}'
            | '\r'
            | '\u{1C}'..='\u{1F}'
            | ' '
            | '\u{85}'
            | '\u{A0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200A}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202F}'
            | '\u{205F}'
            | '\u{3000}'
    )
}

/// `s.strip()` with Python semantics.
pub fn python_strip(s: &str) -> &str {
    s.trim_matches(is_python_space)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_python_whitespace_set() {
        assert_eq!(python_strip("\u{1C}\u{1F} hi\u{85}\u{A0}\u{3000}"), "hi");
        assert_eq!(python_strip("\u{2028}a b\u{205F}\u{202F}"), "a b");
        assert_eq!(python_strip("\t\n\u{0B}\u{0C}\r x \r\n"), "x");
    }

    #[test]
    fn matches_python_isspace_for_every_char() {
        // `[hex(c) for c in range(0x110000) if chr(c).isspace()]` in CPython 3.11.
        let python: [u32; 29] = [
            0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000,
            0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028,
            0x2029, 0x202f, 0x205f, 0x3000,
        ];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            assert_eq!(
                is_python_space(c),
                python.contains(&(c as u32)),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn keeps_zero_width_space_and_inner_space() {
        assert_eq!(python_strip("\u{200B}hi\u{200B}"), "\u{200B}hi\u{200B}");
        assert_eq!(python_strip("  a \n b  "), "a \n b");
        // Rust's trim leaves U+001C..U+001F; Python removes them.
        assert_eq!("\u{1C}x".trim(), "\u{1C}x");
        assert_eq!(python_strip("\u{1C}x"), "x");
    }
}
