//! Labelled data for `warden eval`: JSONL, CSV, or the gateway's own audit log. Every line
//! that cannot be read becomes a [`LineError`] with its file, line and the fix; the lines
//! around it are still read.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use warden_guard_model::{Turn, TurnRole};

use crate::conversation;
use crate::route::Route;

/// The input format (`--format`); `auto` picks by extension and, for JSON lines, by whether
/// the first record looks like an audit line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Auto,
    Jsonl,
    Csv,
    Audit,
}

/// Where an item came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// The reference an item is scored against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expected {
    /// The item should be blocked.
    #[serde(rename = "unsafe")]
    pub unsafe_: bool,
    /// Category ids or codes as written (`S8`, `investment_advice`); resolved against the
    /// policies later.
    pub categories: Vec<String>,
    /// Where the reference came from: `label`, or `audit:<decision>` for an audit line
    /// without one.
    pub source: String,
}

/// One conversation to judge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    pub at: Location,
    /// The item's own id, when the data gives one.
    pub id: Option<String>,
    /// Ends with the judged turn: a user turn (prompt check) or an assistant turn (answer
    /// check).
    pub turns: Vec<Turn>,
    pub expected: Expected,
    /// The policy to judge it with (an audit line's policy, a row's `policy`), when the set
    /// has one by that name; else the set's default policy.
    pub policy: Option<String>,
}

impl Item {
    /// Whether the judged turn is the assistant's answer.
    pub fn is_response(&self) -> bool {
        self.turns
            .iter()
            .rev()
            .find(|t| t.role != TurnRole::System)
            .is_some_and(|t| t.role == TurnRole::Assistant)
    }

    /// The judged turn's text (what the code scanner sees).
    pub fn judged_text(&self) -> &str {
        let role = if self.is_response() {
            TurnRole::Assistant
        } else {
            TurnRole::User
        };
        self.turns
            .iter()
            .rev()
            .find(|t| t.role == role)
            .map_or("", |t| t.content.as_str())
    }
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    pub at: Location,
    pub problem: String,
    pub fix: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}. Fix: {}", self.at, self.problem, self.fix)
    }
}

/// A line read but not evaluated (an audit line without content), with why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub at: Location,
    pub reason: String,
}

/// What a data file held.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Dataset {
    pub items: Vec<Item>,
    pub errors: Vec<LineError>,
    pub skipped: Vec<Skipped>,
}

/// Reads `path` in `format`. `Err` only when the file cannot be read at all.
pub fn load(path: &Path, format: Format) -> std::io::Result<Dataset> {
    let text = std::fs::read_to_string(path)?;
    let file = path.display().to_string();
    Ok(parse(&file, &text, resolve_format(path, format, &text)))
}

/// The format `auto` stands for.
pub fn resolve_format(path: &Path, format: Format, text: &str) -> Format {
    if format != Format::Auto {
        return format;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "csv" {
        return Format::Csv;
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    match serde_json::from_str::<Value>(first) {
        Ok(v) if v.get("request_id").is_some() && v.get("route").is_some() => Format::Audit,
        _ => Format::Jsonl,
    }
}

/// Parses `text` (named `file` in messages) in a resolved format.
pub fn parse(file: &str, text: &str, format: Format) -> Dataset {
    let mut data = Dataset::default();
    match format {
        Format::Csv => parse_csv(file, text, &mut data),
        Format::Audit => {
            for (i, line) in text.lines().enumerate() {
                parse_audit_line(file, i + 1, line, &mut data);
            }
        }
        Format::Jsonl | Format::Auto => {
            for (i, line) in text.lines().enumerate() {
                let at = Location {
                    file: file.to_owned(),
                    line: i + 1,
                };
                if line.trim().is_empty() {
                    continue;
                }
                match parse_jsonl_line(&at, line) {
                    Ok(item) => data.items.push(item),
                    Err(e) => data.errors.push(e),
                }
            }
        }
    }
    data
}

fn error(at: &Location, problem: impl Into<String>, fix: impl Into<String>) -> LineError {
    LineError {
        at: at.clone(),
        problem: problem.into(),
        fix: fix.into(),
    }
}

const LABEL_FIX: &str =
    "write \"safe\" or \"unsafe\" (Llama Guard's own \"unsafe\\nS1,S8\" is read too)";

/// `safe`, `unsafe`, or Llama Guard's output (`unsafe\nS1,S8`), case-insensitive.
fn parse_label(at: &Location, label: &str) -> Result<(bool, Vec<String>), LineError> {
    let mut lines = label.trim().lines();
    let head = lines.next().unwrap_or("").trim().to_ascii_lowercase();
    let rest: Vec<String> = lines.flat_map(split_categories).collect();
    match head.as_str() {
        "safe" if rest.is_empty() => Ok((false, Vec::new())),
        "unsafe" => Ok((true, rest)),
        _ => Err(error(at, format!("unknown label {label:?}"), LABEL_FIX)),
    }
}

/// Categories written in one cell: separated by commas, semicolons, `|` or spaces.
fn split_categories(cell: &str) -> Vec<String> {
    cell.split([',', ';', '|', ' ', '\t'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned)
        .collect()
}

fn expected(at: &Location, label: &str, categories: Vec<String>) -> Result<Expected, LineError> {
    let (unsafe_, mut from_label) = parse_label(at, label)?;
    if !unsafe_ && !categories.is_empty() {
        return Err(error(
            at,
            format!("categories {} given for a safe item", categories.join(",")),
            "remove the categories, or set expected to \"unsafe\"",
        ));
    }
    for c in categories {
        if !from_label.contains(&c) {
            from_label.push(c);
        }
    }
    Ok(Expected {
        unsafe_,
        categories: from_label,
        source: "label".into(),
    })
}

/// One JSONL row.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    /// OpenAI-style messages; the last one is judged.
    conversation: Option<Value>,
    /// A single user prompt (instead of `conversation`).
    text: Option<String>,
    /// `safe` or `unsafe`.
    expected: String,
    /// The categories an unsafe item belongs to.
    #[serde(default)]
    categories: Vec<String>,
    /// Shown in the list of items whose decision differs.
    id: Option<String>,
    /// The policy to judge the row with.
    policy: Option<String>,
}

fn parse_jsonl_line(at: &Location, line: &str) -> Result<Item, LineError> {
    let row: RawRow = serde_json::from_str(line).map_err(|e| {
        let fix = if e.is_data() {
            "each line is {\"conversation\":[{\"role\":\"user\",\"content\":\"...\"}],\"expected\":\"unsafe\",\"categories\":[\"S8\"]} or {\"text\":\"...\",\"expected\":\"safe\"}"
        } else {
            "write one JSON object per line"
        };
        error(at, format!("not a valid item ({e})"), fix)
    })?;
    let turns = match (row.conversation, row.text) {
        (Some(conversation), None) => conversation_turns(at, conversation)?,
        (None, Some(text)) => vec![Turn {
            role: TurnRole::User,
            content: text,
        }],
        (Some(_), Some(_)) => {
            return Err(error(
                at,
                "both \"conversation\" and \"text\"",
                "keep one of them",
            ));
        }
        (None, None) => {
            return Err(error(
                at,
                "neither \"conversation\" nor \"text\"",
                "add \"text\": \"...\" or \"conversation\": [{\"role\":\"user\",\"content\":\"...\"}]",
            ));
        }
    };
    Ok(Item {
        at: at.clone(),
        id: row.id,
        turns,
        expected: expected(at, &row.expected, row.categories)?,
        policy: row.policy,
    })
}

/// Messages read exactly as the gateway reads an OpenAI chat request.
fn conversation_turns(at: &Location, messages: Value) -> Result<Vec<Turn>, LineError> {
    let body = serde_json::json!({ "messages": messages });
    let parsed = conversation::parse_request(Route::OpenAiChat, &body).map_err(|e| {
        error(
            at,
            format!("conversation: {}", e.0.replace("`messages`", "it")),
            "a conversation is an array of {\"role\": \"system|user|assistant|tool\", \"content\": \"...\"}",
        )
    })?;
    let turns = parsed.prompts.into_iter().next().unwrap_or_default();
    let judged = turns
        .iter()
        .rev()
        .find(|t| t.role != TurnRole::System)
        .map(|t| t.role);
    match judged {
        Some(TurnRole::User | TurnRole::Assistant) => Ok(turns),
        _ => Err(error(
            at,
            "the conversation does not end with a user or assistant message",
            "end it with the message to judge (user: prompt check, assistant: answer check)",
        )),
    }
}

const CSV_FIX: &str = "the first line names the columns: text,expected[,categories][,id][,policy]";

fn parse_csv(file: &str, text: &str, data: &mut Dataset) {
    let records = match csv_records(text) {
        Ok(records) => records,
        Err((line, problem)) => {
            let at = Location {
                file: file.to_owned(),
                line,
            };
            data.errors.push(error(
                &at,
                problem,
                "close the quoted field (a quote inside one is written \"\")",
            ));
            return;
        }
    };
    let mut records = records.into_iter();
    let Some((header_line, header)) = records.next() else {
        data.errors.push(error(
            &Location {
                file: file.to_owned(),
                line: 1,
            },
            "the file is empty",
            CSV_FIX,
        ));
        return;
    };
    let at = Location {
        file: file.to_owned(),
        line: header_line,
    };
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(text_col), Some(expected_col)) = (column("text"), column("expected")) else {
        let missing: Vec<&str> = ["text", "expected"]
            .into_iter()
            .filter(|c| column(c).is_none())
            .collect();
        data.errors.push(error(
            &at,
            format!(
                "missing column {} (the header is {:?})",
                missing.join(", "),
                header.join(",")
            ),
            CSV_FIX,
        ));
        return;
    };
    let known = ["text", "expected", "categories", "id", "policy"];
    if let Some(unknown) = header
        .iter()
        .find(|h| !known.iter().any(|k| h.trim().eq_ignore_ascii_case(k)))
    {
        data.errors
            .push(error(&at, format!("unknown column {unknown:?}"), CSV_FIX));
        return;
    }
    let categories_col = column("categories");
    let id_col = column("id");
    let policy_col = column("policy");
    for (line, record) in records {
        let at = Location {
            file: file.to_owned(),
            line,
        };
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if record.len() != header.len() {
            data.errors.push(error(
                &at,
                format!(
                    "{} fields where the header has {}",
                    record.len(),
                    header.len()
                ),
                "quote a field that holds a comma: \"like, this\"",
            ));
            continue;
        }
        let cell = |i: Option<usize>| {
            i.map(|i| record[i].trim().to_owned())
                .filter(|s| !s.is_empty())
        };
        let categories = cell(categories_col)
            .map(|c| split_categories(&c))
            .unwrap_or_default();
        let item = expected(&at, &record[expected_col], categories).map(|expected| Item {
            at: at.clone(),
            id: cell(id_col),
            turns: vec![Turn {
                role: TurnRole::User,
                content: record[text_col].clone(),
            }],
            expected,
            policy: cell(policy_col),
        });
        match item {
            Ok(item) => data.items.push(item),
            Err(e) => data.errors.push(e),
        }
    }
}

/// A CSV record's fields with the line it starts on.
type CsvRecord = (usize, Vec<String>);

/// RFC 4180 records with the line each starts on; `Err((line, problem))` for an unclosed
/// quote.
fn csv_records(text: &str) -> Result<Vec<CsvRecord>, (usize, String)> {
    let mut records = Vec::new();
    let mut line = 1;
    let mut chars = text.chars().peekable();
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        loop {
            match chars.next() {
                None => {
                    if quoted {
                        return Err((start, "a quoted field is not closed".into()));
                    }
                    break;
                }
                Some('"') if quoted => {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        quoted = false;
                    }
                }
                Some('"') if field.is_empty() => quoted = true,
                Some(',') if !quoted => fields.push(std::mem::take(&mut field)),
                Some('\r') if !quoted && chars.peek() == Some(&'\n') => {}
                Some('\n') => {
                    line += 1;
                    if quoted {
                        field.push('\n');
                    } else {
                        break;
                    }
                }
                Some(c) => field.push(c),
            }
        }
        fields.push(field);
        records.push((start, fields));
    }
    Ok(records)
}

/// The parts of an audit line eval reads (the gateway writes more; see `audit.rs`).
#[derive(Debug, Deserialize)]
struct RawAuditLine {
    request_id: String,
    policy: String,
    prompt: Option<RawAuditStage>,
    response: Option<RawAuditStage>,
    /// A label added by a reviewer: it is the reference instead of the recorded decision.
    #[serde(alias = "label")]
    expected: Option<String>,
    #[serde(default)]
    categories: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct RawAuditStage {
    decision: String,
    #[serde(default)]
    categories: Vec<String>,
    content: Option<String>,
}

fn parse_audit_line(file: &str, line: usize, text: &str, data: &mut Dataset) {
    let at = Location {
        file: file.to_owned(),
        line,
    };
    if text.trim().is_empty() {
        return;
    }
    let record: RawAuditLine = match serde_json::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            data.errors.push(error(
                &at,
                format!("not an audit record ({e})"),
                "pass the gateway's audit log (`--audit-log`), one JSON record per line, or use --format jsonl for labelled items",
            ));
            return;
        }
    };
    let policy = record
        .policy
        .split_once('@')
        .map_or(record.policy.as_str(), |(name, _)| name)
        .to_owned();
    let label = match &record.expected {
        Some(label) => match expected(&at, label, record.categories.clone()) {
            Ok(e) => Some(e),
            Err(e) => {
                data.errors.push(e);
                return;
            }
        },
        None => None,
    };
    let prompt_text = record.prompt.as_ref().and_then(|p| p.content.clone());
    let mut stages = Vec::new();
    if let Some(p) = &record.prompt {
        stages.push((p, false));
    }
    if let Some(r) = &record.response {
        stages.push((r, true));
    }
    if stages.is_empty() {
        data.skipped.push(Skipped {
            at,
            reason: format!(
                "request {} has no prompt or answer check",
                record.request_id
            ),
        });
        return;
    }
    for (stage, is_response) in stages {
        let which = if is_response { "answer" } else { "prompt" };
        let Some(content) = stage.content.clone() else {
            data.skipped.push(Skipped {
                at: at.clone(),
                reason: format!(
                    "request {}: the {which} has no content (the policy's audit.include_content was off)",
                    record.request_id
                ),
            });
            continue;
        };
        // A streamed answer's audit content is the stream summary, not its text.
        if is_response && content.starts_with("StreamSummary") {
            data.skipped.push(Skipped {
                at: at.clone(),
                reason: format!(
                    "request {}: a streamed answer's text is not in the audit log",
                    record.request_id
                ),
            });
            continue;
        }
        let reference = match &label {
            Some(l) => l.clone(),
            None => match stage.decision.as_str() {
                "guard-unavailable" => {
                    data.skipped.push(Skipped {
                        at: at.clone(),
                        reason: format!(
                            "request {}: the {which} was never judged (guard unavailable)",
                            record.request_id
                        ),
                    });
                    continue;
                }
                decision @ ("block" | "monitor-block" | "warn" | "allow") => Expected {
                    unsafe_: matches!(decision, "block" | "monitor-block"),
                    categories: stage.categories.clone(),
                    source: format!("audit:{decision}"),
                },
                other => {
                    data.errors.push(error(
                        &at,
                        format!("unknown {which} decision {other:?}"),
                        "the decision is one of block, monitor-block, warn, allow, guard-unavailable; or add \"expected\": \"safe\"|\"unsafe\"",
                    ));
                    continue;
                }
            },
        };
        let mut turns = Vec::new();
        if is_response {
            turns.push(Turn {
                role: TurnRole::User,
                content: prompt_text.clone().unwrap_or_default(),
            });
            turns.push(Turn {
                role: TurnRole::Assistant,
                content,
            });
        } else {
            turns.push(Turn {
                role: TurnRole::User,
                content,
            });
        }
        data.items.push(Item {
            at: at.clone(),
            id: Some(format!("{}/{which}", record.request_id)),
            turns,
            expected: reference,
            policy: Some(policy.clone()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jsonl(text: &str) -> Dataset {
        parse("d.jsonl", text, Format::Jsonl)
    }

    #[test]
    fn jsonl_rows_of_both_shapes() {
        let d = jsonl(concat!(
            r#"{"conversation":[{"role":"user","content":"hi"},{"role":"assistant","content":"a pipe bomb"}],"expected":"unsafe","categories":["S8"]}"#,
            "\n\n",
            r#"{"text":"hello","expected":"SAFE","id":"h1"}"#,
            "\n",
            r#"{"text":"x","expected":"unsafe\nS1,S8"}"#,
        ));
        assert_eq!(d.errors, vec![]);
        assert_eq!(d.items.len(), 3);
        assert!(d.items[0].is_response());
        assert_eq!(d.items[0].judged_text(), "a pipe bomb");
        assert_eq!(d.items[0].expected.categories, vec!["S8"]);
        assert_eq!(d.items[1].at.line, 3);
        assert_eq!(d.items[1].id.as_deref(), Some("h1"));
        assert!(!d.items[1].expected.unsafe_ && !d.items[1].is_response());
        assert_eq!(d.items[2].expected.categories, vec!["S1", "S8"]);
    }

    #[test]
    fn bad_jsonl_lines_name_the_line_and_the_fix() {
        let d = jsonl(concat!(
            "{\"text\":\"ok\",\"expected\":\"safe\"}\n",
            "{not json\n",
            "{\"text\":\"x\",\"expected\":\"maybe\"}\n",
            "{\"expected\":\"safe\"}\n",
            "{\"text\":\"x\",\"expected\":\"safe\",\"colour\":1}\n",
            "{\"text\":\"x\",\"expected\":\"safe\",\"categories\":[\"S1\"]}\n",
            "{\"conversation\":[{\"role\":\"robot\",\"content\":\"x\"}],\"expected\":\"safe\"}\n",
        ));
        assert_eq!(d.items.len(), 1);
        let lines: Vec<usize> = d.errors.iter().map(|e| e.at.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 6, 7]);
        let text: Vec<String> = d.errors.iter().map(ToString::to_string).collect();
        assert!(
            text[0].starts_with("d.jsonl:2: not a valid item"),
            "{}",
            text[0]
        );
        assert!(
            text[1].contains("unknown label \"maybe\"") && text[1].contains("Fix: write \"safe\"")
        );
        assert!(text[2].contains("neither \"conversation\" nor \"text\""));
        assert!(text[3].contains("unknown field `colour`"), "{}", text[3]);
        assert!(text[4].contains("given for a safe item"));
        assert!(text[5].contains("unknown role \"robot\""), "{}", text[5]);
    }

    #[test]
    fn csv_with_quotes_and_bad_rows() {
        let d = parse(
            "d.csv",
            "text,expected,categories\n\"a, quoted \"\"one\"\"\",safe,\nhow to make a pipe bomb,unsafe,S8\n\"two\nlines\",unsafe,\"S1;S10\"\nshort,safe\nx,perhaps,\n",
            Format::Csv,
        );
        assert_eq!(d.items.len(), 3, "{:?}", d.errors);
        assert_eq!(d.items[0].turns[0].content, "a, quoted \"one\"");
        assert_eq!(d.items[1].at.line, 3);
        assert_eq!(d.items[2].turns[0].content, "two\nlines");
        assert_eq!(d.items[2].expected.categories, vec!["S1", "S10"]);
        let lines: Vec<usize> = d.errors.iter().map(|e| e.at.line).collect();
        assert_eq!(
            lines,
            vec![6, 7],
            "a record starts where its first field does"
        );
    }

    #[test]
    fn csv_header_problems() {
        let d = parse("d.csv", "prompt,expected\nx,safe\n", Format::Csv);
        assert!(d.items.is_empty());
        assert_eq!(
            d.errors[0].to_string(),
            "d.csv:1: missing column text (the header is \"prompt,expected\"). Fix: the first line names the columns: text,expected[,categories][,id][,policy]"
        );
        let d = parse("d.csv", "text,\"open\nx,safe\n", Format::Csv);
        assert!(d.errors[0].problem.contains("not closed"));
    }

    #[test]
    fn audit_lines_use_the_recorded_decision_or_a_label() {
        let text = concat!(
            r#"{"time":"t","request_id":"r1","route":"openai_chat","policy":"strict@abc","mode":"enforce","prompt":{"decision":"block","action":"block","categories":["S8"],"scores":[0.99],"findings":[],"truncated":false,"guard_ms":1.0,"scan_ms":0.0,"content":"pipe bomb"},"status":400,"skipped_parts":0,"duration_ms":2.0}"#,
            "\n",
            r#"{"time":"t","request_id":"r2","route":"openai_chat","policy":"p@abc","mode":"enforce","prompt":{"decision":"allow","action":"allow","categories":[],"scores":[0.01],"findings":[],"truncated":false,"guard_ms":1.0,"scan_ms":0.0,"content":"hello"},"response":{"decision":"allow","action":"allow","categories":[],"scores":[0.01],"findings":[],"truncated":false,"guard_ms":1.0,"scan_ms":0.0,"content":"I will hurt myself"},"status":200,"skipped_parts":0,"duration_ms":2.0,"expected":"unsafe","categories":["S10"]}"#,
            "\n",
            r#"{"time":"t","request_id":"r3","route":"openai_chat","policy":"p@abc","mode":"enforce","prompt":{"decision":"allow","action":"allow","categories":[],"scores":[0.01],"findings":[],"truncated":false,"guard_ms":1.0,"scan_ms":0.0},"status":200,"skipped_parts":0,"duration_ms":2.0}"#,
            "\n",
            "{\"request_id\": 5}\n",
        );
        assert_eq!(
            resolve_format(Path::new("a.jsonl"), Format::Auto, text),
            Format::Audit
        );
        let d = parse("a.jsonl", text, Format::Audit);
        assert_eq!(d.items.len(), 3, "{:?}", d.errors);
        assert_eq!(d.items[0].policy.as_deref(), Some("strict"));
        assert!(d.items[0].expected.unsafe_);
        assert_eq!(d.items[0].expected.source, "audit:block");
        assert_eq!(d.items[1].expected.source, "label");
        assert!(d.items[2].is_response());
        assert_eq!(d.items[2].turns[0].content, "hello");
        assert_eq!(d.items[2].expected.categories, vec!["S10"]);
        assert_eq!(d.skipped.len(), 1);
        assert!(d.skipped[0].reason.contains("include_content"));
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].at.line, 4);
    }
}
