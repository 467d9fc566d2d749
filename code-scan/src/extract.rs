//! Code extraction from LLM text: fenced blocks in markdown (whole or streamed) and whole-text
//! code. Positions always refer to the original text.

use crate::language::Language;

/// One piece of code to scan, with where it sits in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    /// The language from the fence tag, content detection, or the caller; `None` when unknown
    /// (only the language-agnostic rules run then).
    pub language: Option<Language>,
    /// The fence's info string as written (`python title="x"`), if any.
    pub info: Option<String>,
    /// The code, with the fence's indentation removed from each line.
    pub code: String,
    /// 1-based line, in the original text, of the block's first code line.
    pub line: usize,
    /// Columns removed from each line (the fence's indentation); added back to findings.
    pub column_offset: usize,
    /// False for a fence that was still open when the text ended.
    pub closed: bool,
}

impl CodeBlock {
    /// A block holding the whole text as code (whole-text mode, files, `--lang`).
    pub fn whole(code: impl Into<String>, language: Option<Language>) -> CodeBlock {
        CodeBlock {
            language,
            info: None,
            code: code.into(),
            line: 1,
            column_offset: 0,
            closed: true,
        }
    }
}

#[derive(Debug, Clone)]
struct OpenFence {
    marker: char,
    len: usize,
    indent: usize,
    info: String,
    /// 1-based line of the first content line.
    first_line: usize,
    code: String,
}

/// Incremental markdown code-block extractor. Feed streamed text chunks to [`push`]; each block
/// is returned as soon as its closing fence line is complete. [`finish`] returns a final,
/// unclosed block. [`in_fence`] says whether text pushed so far may belong to an open block
/// (the proxy holds streamed text back while it does).
///
/// [`push`]: StreamExtractor::push
/// [`finish`]: StreamExtractor::finish
/// [`in_fence`]: StreamExtractor::in_fence
#[derive(Debug, Clone, Default)]
pub struct StreamExtractor {
    pending: String,
    /// Number of complete lines consumed so far.
    lines: usize,
    open: Option<OpenFence>,
    fences_seen: usize,
}

impl StreamExtractor {
    pub fn new() -> StreamExtractor {
        StreamExtractor::default()
    }

    /// Consumes a chunk and returns the blocks whose closing fence it completed.
    pub fn push(&mut self, chunk: &str) -> Vec<CodeBlock> {
        let mut out = Vec::new();
        // `pending` holds no newline between pushes: only the new chunk is searched, so a long
        // line streamed in many small chunks is not searched again on every chunk.
        let mut from = self.pending.len();
        self.pending.push_str(chunk);
        while let Some(at) = self.pending[from..].find('\n') {
            let newline = from + at;
            from = 0;
            let line: String = self.pending.drain(..=newline).collect();
            let line = line.trim_end_matches(['\n', '\r']);
            if let Some(block) = self.line(line) {
                out.push(block);
            }
        }
        out
    }

    /// Ends the stream: processes a final line without a newline and returns the block left open
    /// (with `closed: false`), if any.
    pub fn finish(&mut self) -> Vec<CodeBlock> {
        let mut out = Vec::new();
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            if let Some(block) = self.line(line.trim_end_matches('\r')) {
                out.push(block);
            }
        }
        if let Some(open) = self.open.take() {
            out.push(make_block(open, false));
        }
        out
    }

    /// True while the text pushed so far is inside an open fence, or ends in a partial line
    /// that could still become an opening fence (so no streamed text escapes a block unchecked).
    pub fn in_fence(&self) -> bool {
        if self.open.is_some() {
            return true;
        }
        let partial = self.pending.trim_start();
        !self.pending.is_empty()
            && (partial.is_empty()
                || partial.starts_with("```")
                || partial.starts_with("~~~")
                || "```".starts_with(partial)
                || "~~~".starts_with(partial))
            && self.pending.len() - partial.len() < 16
    }

    /// How many fences opened so far (a markdown answer has at least one).
    pub fn fences_seen(&self) -> usize {
        self.fences_seen
    }

    fn line(&mut self, line: &str) -> Option<CodeBlock> {
        self.lines += 1;
        let line_no = self.lines;
        match &mut self.open {
            None => {
                if let Some((marker, len, indent, info)) = opening_fence(line) {
                    self.fences_seen += 1;
                    self.open = Some(OpenFence {
                        marker,
                        len,
                        indent,
                        info,
                        first_line: line_no + 1,
                        code: String::new(),
                    });
                }
                None
            }
            Some(open) => {
                if is_closing_fence(line, open.marker, open.len) {
                    let open = self.open.take()?;
                    return Some(make_block(open, true));
                }
                let strip = line
                    .char_indices()
                    .take_while(|(i, c)| *i < open.indent && *c == ' ')
                    .count();
                open.code.push_str(&line[strip..]);
                open.code.push('\n');
                None
            }
        }
    }
}

fn opening_fence(line: &str) -> Option<(char, usize, usize, String)> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let marker = trimmed.chars().next()?;
    if marker != '`' && marker != '~' {
        return None;
    }
    let len = trimmed.chars().take_while(|c| *c == marker).count();
    if len < 3 {
        return None;
    }
    let info = trimmed[len..].trim();
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some((marker, len, indent, info.to_string()))
}

fn is_closing_fence(line: &str, marker: char, len: usize) -> bool {
    let trimmed = line.trim();
    let run = trimmed.chars().take_while(|c| *c == marker).count();
    run >= len && trimmed.len() == run * marker.len_utf8()
}

/// The language named by an info string: its first word, without `{.lang}` braces or a
/// `language-` prefix, through the alias table.
pub fn language_from_info(info: &str) -> Option<Language> {
    let word = info
        .split(|c: char| c.is_whitespace() || c == ',' || c == '{' || c == '}')
        .find(|w| !w.is_empty())?;
    let word = word.trim_start_matches('.');
    let word = word.strip_prefix("language-").unwrap_or(word);
    let word = word.split(':').next().unwrap_or(word);
    Language::from_alias(word)
}

fn make_block(open: OpenFence, closed: bool) -> CodeBlock {
    let tagged = language_from_info(&open.info);
    let language = match tagged {
        Some(lang) => Some(lang),
        // A tag that names something we do not parse (`text`, `json`, `diff`) is respected:
        // content detection only runs on untagged fences.
        None if open.info.is_empty() => Language::detect(&open.code),
        None => None,
    };
    CodeBlock {
        language,
        info: (!open.info.is_empty()).then_some(open.info),
        code: open.code,
        line: open.first_line,
        column_offset: open.indent,
        closed,
    }
}

/// All fenced blocks of a markdown text, in order; a final unclosed fence is included.
pub fn extract_fenced(text: &str) -> Vec<CodeBlock> {
    let mut extractor = StreamExtractor::new();
    let mut blocks = extractor.push(text);
    blocks.extend(extractor.finish());
    blocks
}

/// True when the text holds at least one fence line, i.e. it is a markdown answer rather than
/// bare code.
pub fn has_fence(text: &str) -> bool {
    text.lines().any(|line| opening_fence(line).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_tagged_untagged_and_unclosed_blocks() {
        let text = "Intro\n```py\nimport os\n```\nthen\n~~~\n#include <stdio.h>\nint main(void) { return 0; }\n~~~\n  ```rust title=x\n  fn main() {}\n";
        let blocks = extract_fenced(text);
        assert_eq!(blocks.len(), 3);
        assert_eq!(blocks[0].language, Some(Language::Python));
        assert_eq!(blocks[0].line, 3);
        assert_eq!(blocks[0].code, "import os\n");
        assert_eq!(blocks[1].language, Some(Language::C));
        assert_eq!(blocks[1].line, 7);
        assert_eq!(blocks[2].language, Some(Language::Rust));
        assert_eq!(blocks[2].code, "fn main() {}\n");
        assert_eq!(blocks[2].column_offset, 2);
        assert!(!blocks[2].closed);
    }

    #[test]
    fn longer_fences_nest_shorter_ones() {
        let text = "````md\n```py\nx\n```\n````\n";
        let blocks = extract_fenced(text);
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].code, "```py\nx\n```\n");
        assert_eq!(blocks[0].language, None);
    }

    #[test]
    fn streaming_yields_each_block_when_its_fence_closes() {
        let mut ex = StreamExtractor::new();
        assert!(ex.push("Here:\n``").is_empty());
        assert!(ex.in_fence(), "a partial fence line must be held");
        assert!(ex.push("`js\nconst a = 1;\n").is_empty());
        assert!(ex.in_fence());
        let blocks = ex.push("``");
        assert!(
            blocks.is_empty(),
            "the closing fence line is not complete yet"
        );
        let blocks = ex.push("`\nDone.");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].language, Some(Language::JavaScript));
        assert_eq!(blocks[0].line, 3);
        assert!(!ex.in_fence());
        assert!(ex.finish().is_empty());
    }

    #[test]
    fn streaming_finish_returns_the_open_block() {
        let mut ex = StreamExtractor::new();
        ex.push("```python\nimport pickle\npickle.loads(x)");
        let blocks = ex.finish();
        assert_eq!(blocks.len(), 1);
        assert!(!blocks[0].closed);
        assert_eq!(blocks[0].code, "import pickle\npickle.loads(x)\n");
    }

    #[test]
    fn info_strings_and_aliases() {
        assert_eq!(language_from_info("c++"), Some(Language::Cpp));
        assert_eq!(language_from_info("{.golang}"), Some(Language::Go));
        assert_eq!(language_from_info("language-kt"), Some(Language::Kotlin));
        assert_eq!(language_from_info("python:app.py"), Some(Language::Python));
        assert_eq!(language_from_info("text"), None);
    }
}
