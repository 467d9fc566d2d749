//! Validation diagnostics: every problem names the file, line and column, the field, and the fix.

use std::fmt;
use std::path::PathBuf;

use serde_saphyr::{Error as YamlError, Location};

/// One problem found in a policy directory. Serialises as JSON for the admin endpoint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file, relative to the policy directory (or the preset's name).
    pub file: PathBuf,
    /// 1-based line; 0 when the problem is not tied to a place (an empty directory).
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    /// Dotted path of the field, such as `policies[0].guard.categories.S12`.
    pub field: String,
    /// What is wrong.
    pub message: String,
    /// What to change.
    pub fix: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: `{}`: {}\n  fix: {}",
            self.file.display(),
            self.line,
            self.column,
            self.field,
            self.message,
            self.fix
        )
    }
}

/// Every problem found in one load, in file and line order.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[serde(transparent)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub(crate) fn sort(&mut self) {
        self.0.sort_by(|a, b| {
            (&a.file, a.line, a.column, &a.field, &a.message)
                .cmp(&(&b.file, b.line, b.column, &b.field, &b.message))
        });
        self.0.dedup();
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

/// Collects diagnostics for one file.
#[derive(Debug)]
pub(crate) struct Reporter<'a> {
    pub file: PathBuf,
    pub out: &'a mut Vec<Diagnostic>,
}

impl Reporter<'_> {
    pub fn at(
        &mut self,
        loc: Location,
        field: impl Into<String>,
        message: impl Into<String>,
        fix: impl Into<String>,
    ) {
        self.out.push(Diagnostic {
            file: self.file.clone(),
            line: loc.line(),
            column: loc.column(),
            field: field.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// Levenshtein distance over chars, case-insensitive.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a third of the word's length (at least 1, at most 3 edits).
pub(crate) fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let limit = (word.chars().count() / 3).clamp(1, 3);
    let wc: Vec<char> = word.to_lowercase().chars().collect();
    candidates
        .into_iter()
        .map(|c| {
            // A singular/plural or truncated spelling (`policy` for `policies`) counts as close.
            let cc: Vec<char> = c.to_lowercase().chars().collect();
            let shared = wc.len().min(cc.len());
            let stem = shared >= 4 && wc[..shared - 1] == cc[..shared - 1];
            (if stem { 1 } else { edit_distance(word, c) }, c)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// `did you mean `x`? ` followed by the list of valid values.
pub(crate) fn suggestion_fix<'c>(
    word: &str,
    what: &str,
    candidates: impl IntoIterator<Item = &'c str> + Clone,
) -> String {
    let list: Vec<&str> = candidates.clone().into_iter().collect();
    let valid = if list.is_empty() {
        format!("there are no {what}s to choose from")
    } else {
        format!("valid {what}s: {}", list.join(", "))
    };
    match did_you_mean(word, candidates) {
        Some(best) => format!("did you mean `{best}`? ({valid})"),
        None => valid,
    }
}

/// Turns a YAML/serde error into a diagnostic with a did-you-mean where it can.
pub(crate) fn from_yaml_error(file: PathBuf, source: &str, err: &YamlError) -> Diagnostic {
    let inner = innermost(err);
    let loc = err.location().unwrap_or(Location::UNKNOWN);
    let (line, column) = (loc.line(), loc.column());
    let path = field_path_at(source, line, column);
    let blank = source
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'));
    let (field, message, fix) = match inner {
        _ if blank => (
            String::new(),
            "the file is empty".to_owned(),
            "start it with `version: 1` and a `policies:` list, or delete it".to_owned(),
        ),
        _ if path.starts_with('[') => (
            String::new(),
            "the top level is a list, but a policy file is a mapping".to_owned(),
            "write `version: 1`, `policies:`, `routes:` ... as top-level keys, without a leading `- `"
                .to_owned(),
        ),
        YamlError::SerdeUnknownField {
            field, expected, ..
        } => (
            join_path(&path, field),
            format!("unknown field `{field}`"),
            suggestion_fix(field, "field", expected.iter().copied()),
        ),
        YamlError::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            path,
            format!("unknown value `{variant}`"),
            suggestion_fix(variant, "value", expected.iter().copied()),
        ),
        YamlError::SerdeMissingField { field, .. } => (
            join_path(&path, field),
            format!("missing required field `{field}`"),
            format!("add `{field}:` here"),
        ),
        YamlError::DuplicateMappingKey { key, .. } => {
            let key = key.clone().unwrap_or_default();
            (
                path,
                format!("duplicate key `{key}`"),
                "keep one of the two entries and delete the other".to_owned(),
            )
        }
        other => {
            let text = other.to_string();
            let suffix = format!(" at line {line}, column {column}");
            let text = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
            (
                path,
                text,
                "correct the value's type or the YAML syntax at this place".to_owned(),
            )
        }
    };
    Diagnostic {
        file,
        line,
        column,
        field: if field.is_empty() {
            "(document)".to_owned()
        } else {
            field
        },
        message,
        fix,
    }
}

fn innermost(err: &YamlError) -> &YamlError {
    match err {
        YamlError::WithSnippet { error, .. } => innermost(error),
        YamlError::AliasError { error, .. } => innermost(error),
        other => other,
    }
}

fn join_path(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// The dotted key path of the node at `line`/`column` of a block-style YAML document, such as
/// `policies[0].guard.template`. Serde errors carry a place but not a path; the path is
/// recovered from indentation, which is exact for block style and approximate for flow style.
pub(crate) fn field_path_at(source: &str, line: u64, column: u64) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let Some(idx) = usize::try_from(line).ok().and_then(|l| l.checked_sub(1)) else {
        return String::new();
    };
    if idx >= lines.len() {
        return String::new();
    }
    // A place right of a line's key is that key's value; a place on the key is the key itself,
    // whose name the caller adds.
    let target_col = usize::try_from(column.saturating_sub(1)).unwrap_or(0);
    let mut segments: Vec<String> = Vec::new();
    // Ancestors sit left of `limit`; right after a sequence item, its parent key may sit at the
    // same column as the dash (`key:` followed by `- item` at the same indent).
    let mut limit;
    let mut item_parent_pending = false;
    match parse_line(lines[idx]) {
        Some(l) => {
            if let Some(key) = &l.key
                && target_col > l.key_col
            {
                segments.push(key.clone());
            }
            if l.dash {
                segments.push(format!("[{}]", sequence_index(&lines, idx, l.indent)));
                limit = l.indent;
                item_parent_pending = true;
            } else {
                limit = l.key_col;
            }
        }
        None => limit = target_col,
    }
    let mut i = idx;
    while i > 0 && (limit > 0 || item_parent_pending) {
        i -= 1;
        let Some(l) = parse_line(lines[i]) else {
            continue;
        };
        let is_parent = l.key.is_some()
            && (l.key_col < limit || (item_parent_pending && !l.dash && l.key_col == limit));
        if is_parent {
            if let Some(key) = &l.key {
                segments.push(key.clone());
            }
            item_parent_pending = false;
            if l.dash {
                segments.push(format!("[{}]", sequence_index(&lines, i, l.indent)));
                limit = l.indent;
                item_parent_pending = true;
            } else {
                limit = l.key_col;
            }
        } else if l.dash && l.indent < limit {
            segments.push(format!("[{}]", sequence_index(&lines, i, l.indent)));
            limit = l.indent;
            item_parent_pending = true;
        } else if l.indent < limit || (item_parent_pending && l.indent == limit && !l.dash) {
            // A line without a key left of the node (flow or scalar continuation): stop.
            break;
        }
    }
    segments.reverse();
    let mut out = String::new();
    for s in segments {
        if s.starts_with('[') || out.is_empty() {
            out.push_str(&s);
        } else {
            out.push('.');
            out.push_str(&s);
        }
    }
    out
}

/// Index of the sequence item starting at `line` (a `- ` at `indent`).
fn sequence_index(lines: &[&str], line: usize, indent: usize) -> usize {
    let mut count = 0;
    let mut i = line;
    while i > 0 {
        i -= 1;
        let Some(l) = parse_line(lines[i]) else {
            continue;
        };
        if l.indent < indent || (l.indent == indent && !l.dash) {
            break;
        }
        if l.indent == indent && l.dash {
            count += 1;
        }
    }
    count
}

#[derive(Debug)]
struct YamlLine {
    /// Column of the first non-space character (of the `-` for sequence items).
    indent: usize,
    /// Whether the line starts a sequence item.
    dash: bool,
    /// Column of the key, if the line has one.
    key_col: usize,
    key: Option<String>,
}

fn parse_line(text: &str) -> Option<YamlLine> {
    let trimmed = text.trim_start_matches(' ');
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("---") {
        return None;
    }
    let indent = text.len() - trimmed.len();
    let (dash, rest, key_col) = match trimmed.strip_prefix('-') {
        Some(after) if after.is_empty() || after.starts_with(' ') => {
            let after_trim = after.trim_start_matches(' ');
            let col = indent + 1 + (after.len() - after_trim.len());
            (true, after_trim, col)
        }
        _ => (false, trimmed, indent),
    };
    let key = key_of(rest);
    Some(YamlLine {
        indent,
        dash,
        key_col,
        key,
    })
}

fn key_of(rest: &str) -> Option<String> {
    if rest.starts_with('{') || rest.starts_with('[') || rest.starts_with('#') {
        return None;
    }
    let (raw, quoted) = if let Some(inner) = rest.strip_prefix('"') {
        (inner.split('"').next()?, true)
    } else if let Some(inner) = rest.strip_prefix('\'') {
        (inner.split('\'').next()?, true)
    } else {
        (rest, false)
    };
    if quoted {
        // `None` for an unclosed quote: there is no key on this line.
        let after = rest.get(raw.len() + 2..)?;
        return after.starts_with(':').then(|| raw.to_owned());
    }
    let pos = raw
        .find(": ")
        .or_else(|| raw.ends_with(':').then(|| raw.len() - 1))?;
    Some(raw[..pos].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(edit_distance("thresold", "threshold"), 1);
        assert_eq!(edit_distance("block", "block"), 0);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn did_you_mean_picks_closest_within_limit() {
        assert_eq!(
            did_you_mean("thresold", ["action", "threshold"]),
            Some("threshold")
        );
        assert_eq!(did_you_mean("zzz", ["action", "threshold"]), None);
    }

    #[test]
    fn field_path_follows_indentation_and_sequences() {
        let src = "version: 1\npolicies:\n  - name: a\n  - name: b\n    guard:\n      categories:\n        S1:\n          action: blok\n";
        assert_eq!(
            field_path_at(src, 8, 19),
            "policies[1].guard.categories.S1.action"
        );
        assert_eq!(field_path_at(src, 8, 11), "policies[1].guard.categories.S1");
        assert_eq!(field_path_at(src, 4, 11), "policies[1].name");
        assert_eq!(field_path_at(src, 1, 10), "version");
    }

    #[test]
    fn field_path_handles_sequences_at_the_parents_indent() {
        let src = "routes:\n- match:\n    path: x\n  policy: a\n- match: {}\n  policy: b\n";
        assert_eq!(field_path_at(src, 3, 11), "routes[0].match.path");
        assert_eq!(field_path_at(src, 6, 11), "routes[1].policy");
    }

    #[test]
    fn field_path_never_panics() {
        let texts = [
            "a: \"unclosed\n  b: 'x\n- \"k\": v\n",
            "é: ü\n  ñ: [1, {x: y}]\n    - - deep\n#c\n---\n",
            "\n\n   \n- \n-\n  -x: y\n",
        ];
        for text in texts {
            for line in 0..=text.lines().count() as u64 + 1 {
                for column in 0..=40 {
                    let _ = field_path_at(text, line, column);
                }
            }
        }
    }
}
