//! Rules as data: the raw YAML shape, validation, and the compiled form.
//!
//! A rule file holds one rule:
//!
//! ```yaml
//! id: python.subprocess-shell-true
//! language: python            # or a list: [javascript, typescript]; `any` for secret rules
//! cwe: [CWE-78]
//! severity: error             # info | warning | error
//! message: subprocess call with shell=True
//! why: The command string is interpreted by a shell, so input in it can run commands.
//! instead: Pass an argument list and keep shell=False.
//! query: |                    # a tree-sitter query; the `@match` capture is the location
//!   (call function: (attribute) @fn
//!     arguments: (argument_list (keyword_argument name: (identifier) @k value: (true)))
//!     (#eq? @k "shell")) @match
//! # or, instead of `query`: a regex over the text of nodes of the given kinds
//! # regex: '^"(?i)select .* \+'
//! # kinds: [string]
//! # or a regex alone: matched against the whole block text (secret rules)
//! # optional: stay silent in blocks this regex matches (an import of a safe library)
//! # unless_block: '(?m)^from defusedxml'
//! examples:
//!   flagged: ["subprocess.run(cmd, shell=True)"]
//!   passes: ["subprocess.run(['ls', path])"]
//! ```

use std::collections::HashMap;

use regex::Regex;
use serde::Deserialize;

use crate::error::ScanError;
use crate::finding::Severity;
use crate::language::Language;

/// One value or a list of them.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A rule file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    /// Unique id, `<language>.<short-name>` by convention.
    id: String,
    /// The language(s) the rule applies to, or `any` for every block.
    language: OneOrMany,
    /// CWE ids (`CWE-78`), at least one.
    cwe: Vec<String>,
    /// `info`, `warning` or `error`.
    severity: Severity,
    /// One line shown with each finding.
    message: String,
    /// Why the pattern is dangerous.
    why: String,
    /// What to write instead.
    instead: String,
    /// A tree-sitter query; the `@match` capture (or the first capture) is reported.
    #[serde(default)]
    query: Option<String>,
    /// A regex: over the text of nodes of `kinds`, or over the whole block if `kinds` is empty.
    #[serde(default)]
    regex: Option<String>,
    /// Node kinds the `regex` is restricted to.
    #[serde(default)]
    kinds: Vec<String>,
    /// For whole-text regexes with a `secret` group: the minimum Shannon entropy (bits per
    /// character) of that group, so `password = "changeme"` placeholders do not fire.
    #[serde(default)]
    min_entropy: Option<f64>,
    /// A regex over the whole block: when it matches, the rule stays silent for that block
    /// (e.g. `from defusedxml` makes `ElementTree.fromstring` safe).
    #[serde(default)]
    unless_block: Option<String>,
    /// Local data flow instead of `query`/`regex`: sources, sanitisers and sinks.
    #[serde(default)]
    flow: Option<RawFlow>,
    /// Code that must be flagged and look-alikes that must pass.
    examples: RawExamples,
}

/// A `flow` matcher as written. Every pattern is a regex over a dotted path (`os.system`,
/// `std.process.Command.new`, `request.args.get`, `new ProcessStartInfo`), matched whole,
/// after import aliases (`import subprocess as sp`, `from os import system`) are resolved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    /// Paths whose values are tainted (`request\.args.*`, `input`, `(parameter)` for function
    /// parameters). Empty: any value not built only from literals is tainted.
    #[serde(default)]
    sources: Vec<String>,
    /// Calls whose result is clean (`shlex\.quote`, `escapeshellarg`).
    #[serde(default)]
    sanitizers: Vec<String>,
    /// Calls that check a value (`.*\.startswith`, `strings\.HasPrefix`, `strlen`): a use of
    /// a variable inside an `if` whose condition passes it to one, or after such an `if` that
    /// returns or throws, is clean.
    #[serde(default)]
    guards: Vec<String>,
    /// Where a tainted (or, with `insecure_value`, an insecure constant) value must not arrive.
    sinks: Vec<RawSink>,
    /// Fire on a constant value matching this regex (`(?i)md5|sha1`, `False|0`) instead of
    /// on a tainted value.
    #[serde(default)]
    insecure_value: Option<String>,
    /// With `insecure_value`: also report the statement that binds the constant (where a
    /// reader changes it), not only the sink call.
    #[serde(default)]
    report_value: bool,
    /// Fire on a tainted value only when its resolved text (literal parts, `?` for the rest)
    /// matches this regex, e.g. SQL keywords: `(?is).*\b(select|insert|update|delete)\b.*`.
    #[serde(default)]
    text: Option<String>,
}

/// One sink of a `flow` matcher.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSink {
    /// The callee's dotted path (`os\.(system|popen)`).
    #[serde(default)]
    call: Option<String>,
    /// Or the dotted path of an assignment's target (`.*\.innerHTML`).
    #[serde(default)]
    assign: Option<String>,
    /// Positional arguments (0-based) that are checked; default: all of them; `[]`: the call
    /// itself is the finding (for APIs that are insecure whatever their arguments).
    #[serde(default)]
    args: Option<Vec<usize>>,
    /// A keyword (named) argument that is checked (`verify`).
    #[serde(default)]
    keyword: Option<String>,
    /// Keyword arguments that must be present with a constant value matching the regex for
    /// the sink to apply (`shell: "True"`).
    #[serde(default)]
    requires: std::collections::BTreeMap<String, String>,
    /// Keyword arguments whose constant value, when it matches the regex, makes the call safe
    /// (`usedforsecurity: "False"`).
    #[serde(default)]
    unless: std::collections::BTreeMap<String, String>,
    /// An array literal in a checked position is an argument vector, run without a shell
    /// (Ruby's `Open3.pipeline(["grep", x])`), and is not checked; strings still are.
    #[serde(default)]
    argv_arrays: bool,
    /// Leading positional arguments whose text matches this regex (whole) are skipped before
    /// `args` positions are counted: an overload's optional first parameter such as
    /// `(IFormatProvider)null` or Ruby's `IO.new(1)`.
    #[serde(default)]
    skip_leading: Option<String>,
    /// The sink applies only to calls with at least this many positional arguments (after
    /// `skip_leading`), e.g. 2 for a format call that has values to format.
    #[serde(default)]
    min_args: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExamples {
    /// Snippets the rule must flag.
    flagged: Vec<String>,
    /// Look-alike snippets the rule must not flag.
    #[serde(default)]
    passes: Vec<String>,
}

/// How a rule matches.
#[derive(Debug, Clone)]
pub(crate) enum Matcher {
    /// Tree-sitter query source; compiled per language into that language's combined query.
    Query(String),
    /// A regex over the whole block text.
    Text {
        regex: Regex,
        min_entropy: Option<f64>,
    },
    /// Local data flow from sources to sinks (`crate::flow`).
    Flow(Box<crate::flow::Flow>),
}

/// A validated rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    /// Languages the rule applies to; empty for language-agnostic rules.
    pub languages: Vec<Language>,
    pub cwe: Vec<String>,
    pub severity: Severity,
    pub message: String,
    pub why: String,
    pub instead: String,
    /// The rule file it came from (relative to the rules directory for built-in rules).
    pub path: String,
    pub(crate) matcher: Matcher,
    /// Exclusion: the rule does not report a finding when this matches in the outermost
    /// function around it, or in the block outside every function (ADR 025).
    pub(crate) unless_block: Option<Regex>,
    pub(crate) flagged: Vec<String>,
    pub(crate) passes: Vec<String>,
}

impl Rule {
    /// True for rules that run on every block whatever its language (secrets).
    pub fn is_language_agnostic(&self) -> bool {
        self.languages.is_empty()
    }

    /// True when the rule runs on a block of this language.
    pub fn applies_to(&self, language: Option<Language>) -> bool {
        self.languages.is_empty() || language.is_some_and(|l| self.languages.contains(&l))
    }
}

/// Escapes a regex for a tree-sitter query string literal.
fn query_string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses and validates one rule file (matchers are compiled later, per language).
pub(crate) fn parse_rule(path: &str, text: &str) -> Result<Rule, ScanError> {
    let raw: RawRule = serde_saphyr::from_str(text).map_err(|e| ScanError::RuleFile {
        path: path.to_string(),
        reason: e.to_string(),
    })?;
    let invalid = |reason: String| ScanError::InvalidRule {
        path: path.to_string(),
        rule: raw.id.clone(),
        reason,
    };
    if raw.id.trim().is_empty() || raw.id.contains(char::is_whitespace) {
        return Err(invalid(
            "`id` must be non-empty and contain no spaces".into(),
        ));
    }
    let names = match &raw.language {
        OneOrMany::One(name) => vec![name.clone()],
        OneOrMany::Many(names) => names.clone(),
    };
    let mut languages = Vec::new();
    for name in &names {
        if name == "any" {
            if names.len() != 1 {
                return Err(invalid(
                    "`any` cannot be combined with other languages".into(),
                ));
            }
            continue;
        }
        match Language::from_alias(name) {
            Some(lang) if lang.name() == name => languages.push(lang),
            Some(lang) => {
                return Err(invalid(format!(
                    "write the language as `{}`, not `{name}`",
                    lang.name()
                )));
            }
            None => return Err(invalid(format!("unknown language `{name}`"))),
        }
    }
    if names.is_empty() {
        return Err(invalid("`language` must name at least one language".into()));
    }
    if raw.cwe.is_empty() {
        return Err(invalid("`cwe` must list at least one CWE id".into()));
    }
    for cwe in &raw.cwe {
        let ok = cwe
            .strip_prefix("CWE-")
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
        if !ok {
            return Err(invalid(format!("CWE id `{cwe}` must look like `CWE-78`")));
        }
    }
    for (field, value) in [
        ("message", &raw.message),
        ("why", &raw.why),
        ("instead", &raw.instead),
    ] {
        if value.trim().is_empty() {
            return Err(invalid(format!("`{field}` must not be empty")));
        }
    }
    if raw.examples.flagged.is_empty() {
        return Err(invalid(
            "`examples.flagged` must hold at least one snippet the rule flags".into(),
        ));
    }
    let matcher = if let Some(flow) = &raw.flow {
        if raw.query.is_some() || raw.regex.is_some() || !raw.kinds.is_empty() {
            return Err(invalid(
                "use `flow` alone, without `query`, `regex` or `kinds` (split the rule in two if it needs both)".into(),
            ));
        }
        if languages.is_empty() {
            return Err(invalid(
                "a `flow` rule needs a language: name one instead of `any`".into(),
            ));
        }
        Matcher::Flow(Box::new(compile_flow(flow).map_err(invalid)?))
    } else {
        match (&raw.query, &raw.regex, raw.kinds.is_empty()) {
            (Some(_), Some(_), _) | (Some(_), None, false) => {
                return Err(invalid(
                "use either `query` or `regex` (+ `kinds`), not both; put the regex in the query as (#match? @match \"...\")".into(),
            ));
            }
            (Some(query), None, true) => {
                if languages.is_empty() {
                    return Err(invalid(
                        "a language-agnostic rule can only use a whole-text `regex`".into(),
                    ));
                }
                Matcher::Query(query.clone())
            }
            (None, Some(regex), false) => {
                if languages.is_empty() {
                    return Err(invalid(
                        "a language-agnostic rule cannot restrict to node `kinds`".into(),
                    ));
                }
                Regex::new(regex).map_err(|e| invalid(format!("`regex` does not compile: {e}")))?;
                let kinds: Vec<String> = raw.kinds.iter().map(|k| format!("({k})")).collect();
                Matcher::Query(format!(
                    "([{}] @match (#match? @match {}))",
                    kinds.join(" "),
                    query_string_literal(regex)
                ))
            }
            (None, Some(regex), true) => Matcher::Text {
                regex: Regex::new(regex)
                    .map_err(|e| invalid(format!("`regex` does not compile: {e}")))?,
                min_entropy: raw.min_entropy,
            },
            (None, None, _) => {
                return Err(invalid(
                    "a rule needs a matcher: `query`, `flow`, or `regex` with optional `kinds`"
                        .into(),
                ));
            }
        }
    };
    if raw.min_entropy.is_some() {
        let has_group = matches!(&matcher, Matcher::Text { regex, .. } if regex.capture_names().any(|n| n == Some("secret")));
        if !has_group {
            return Err(invalid(
                "`min_entropy` needs a whole-text `regex` with a `(?P<secret>...)` group".into(),
            ));
        }
    }
    let unless_block = raw
        .unless_block
        .as_deref()
        .map(Regex::new)
        .transpose()
        .map_err(|e| invalid(format!("`unless_block` does not compile: {e}")))?;
    Ok(Rule {
        id: raw.id,
        languages,
        cwe: raw.cwe,
        severity: raw.severity,
        message: raw.message.trim().to_string(),
        why: raw.why.trim().to_string(),
        instead: raw.instead.trim().to_string(),
        path: path.to_string(),
        matcher,
        unless_block,
        flagged: raw.examples.flagged,
        passes: raw.examples.passes,
    })
}

/// `value` compiled as a regex that must match a whole value, or an error naming the field.
fn optional_whole_regex(field: &str, value: Option<&str>) -> Result<Option<Regex>, String> {
    value
        .map(|v| Regex::new(&format!("^(?:{v})$")))
        .transpose()
        .map_err(|e| format!("`{field}` does not compile as a regex: {e}"))
}

/// A whole-match regex over dotted paths, or an error naming the field.
fn path_regex(field: &str, patterns: &[String]) -> Result<Option<Regex>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    // Each pattern is checked alone (a pattern like `a)|(b` is valid only inside the join), by
    // parsing: compiling each one too doubled the cost of loading the rules. A pattern that
    // fails to parse is compiled for the regex crate's own error message.
    for (i, p) in patterns.iter().enumerate() {
        if regex_syntax::Parser::new().parse(p).is_err()
            && let Err(e) = Regex::new(p)
        {
            return Err(format!("`{field}[{i}]` does not compile as a regex: {e}"));
        }
    }
    let joined = patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!("^(?:{joined})$"))
        .map(Some)
        .map_err(|e| format!("`{field}` does not compile as a regex: {e}"))
}

fn compile_flow(raw: &RawFlow) -> Result<crate::flow::Flow, String> {
    use crate::flow::{Flow, Sink, SinkKind};
    if raw.sinks.is_empty() {
        return Err("`flow.sinks` must list at least one sink (`- call: 'os\\.system'`)".into());
    }
    let mut sinks = Vec::new();
    for (i, s) in raw.sinks.iter().enumerate() {
        let field = format!("flow.sinks[{i}]");
        let (kind, pattern) = match (&s.call, &s.assign) {
            (Some(p), None) => (SinkKind::Call, p),
            (None, Some(p)) => (SinkKind::Assign, p),
            _ => {
                return Err(format!(
                    "`{field}` needs exactly one of `call` (a callee path) or `assign` (an assignment target path)"
                ));
            }
        };
        if kind == SinkKind::Assign
            && (s.args.is_some()
                || s.argv_arrays
                || s.keyword.is_some()
                || !s.requires.is_empty()
                || !s.unless.is_empty()
                || s.skip_leading.is_some()
                || s.min_args > 0)
        {
            return Err(format!(
                "`{field}`: `args`, `argv_arrays`, `keyword`, `requires`, `unless`, `skip_leading` and `min_args` apply to `call` sinks only; remove them"
            ));
        }
        let path = path_regex(
            &format!(
                "{field}.{}",
                if kind == SinkKind::Call {
                    "call"
                } else {
                    "assign"
                }
            ),
            std::slice::from_ref(pattern),
        )?
        .ok_or_else(|| format!("`{field}` has an empty pattern"))?;
        let keyword_regexes = |what: &str,
                               map: &std::collections::BTreeMap<String, String>|
         -> Result<Vec<(String, Regex)>, String> {
            map.iter()
                .map(|(name, value)| {
                    Regex::new(&format!("^(?:{value})$"))
                        .map(|re| (name.clone(), re))
                        .map_err(|e| {
                            format!("`{field}.{what}.{name}` does not compile as a regex: {e}")
                        })
                })
                .collect()
        };
        let requires = keyword_regexes("requires", &s.requires)?;
        let unless = keyword_regexes("unless", &s.unless)?;
        sinks.push(Sink {
            kind,
            path,
            args: s.args.clone(),
            keyword: s.keyword.clone(),
            requires,
            unless,
            argv_arrays: s.argv_arrays,
            skip_leading: optional_whole_regex(
                &format!("{field}.skip_leading"),
                s.skip_leading.as_deref(),
            )?,
            min_args: s.min_args,
        });
    }
    let insecure_value =
        optional_whole_regex("flow.insecure_value", raw.insecure_value.as_deref())?;
    if insecure_value.is_some() && !raw.sources.is_empty() {
        return Err(
            "`flow.insecure_value` checks constants, so `flow.sources` has no effect: remove one of them".into(),
        );
    }
    let value_text = optional_whole_regex("flow.text", raw.text.as_deref())?;
    if raw.report_value && insecure_value.is_none() {
        return Err(
            "`flow.report_value` reports where a constant is bound: it needs `flow.insecure_value`"
                .into(),
        );
    }
    if value_text.is_some() && insecure_value.is_some() {
        return Err("use either `flow.text` (for tainted values) or `flow.insecure_value` (for constants), not both".into());
    }
    // One word list for the rule: the union of its sinks' words, unless a sink has none.
    let words = sinks
        .iter()
        .map(|sink| crate::flow::sink_words(sink.path.as_str()))
        .collect::<Option<Vec<_>>>()
        .map(|per_sink| {
            let mut all = per_sink.concat();
            all.sort_unstable();
            all.dedup();
            all
        });
    Ok(Flow {
        words,
        value_text,
        sources: path_regex("flow.sources", &raw.sources)?,
        sanitizers: path_regex("flow.sanitizers", &raw.sanitizers)?,
        guards: path_regex("flow.guards", &raw.guards)?,
        sinks,
        insecure_value,
        report_value: raw.report_value,
    })
}

/// Parses a set of rule files and rejects duplicate ids.
pub(crate) fn parse_rules<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<Rule>, ScanError> {
    let mut rules: Vec<Rule> = Vec::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    for (path, text) in files {
        let rule = parse_rule(path, text)?;
        if let Some(first) = seen.insert(rule.id.clone(), path.to_string()) {
            return Err(ScanError::DuplicateRule {
                rule: rule.id,
                first,
                second: path.to_string(),
            });
        }
        rules.push(rule);
    }
    Ok(rules)
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// The built-in rule files embedded at build time: (path under `rules/`, YAML text).
pub fn builtin_rule_files() -> &'static [(&'static str, &'static str)] {
    BUILTIN_RULE_FILES
}

/// Shannon entropy in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts: HashMap<char, usize> = HashMap::new();
    let mut total = 0usize;
    for c in s.chars() {
        *counts.entry(c).or_default() += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .values()
        .map(|&n| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

/// Parses and compiles rule files without running their examples; pair with
/// [`crate::Scanner::example_failures`] to list every failing example at once.
pub fn compile_unverified<'a>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<crate::Scanner, ScanError> {
    crate::Scanner::compile(parse_rules(files)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_regex_names_the_pattern_that_does_not_compile_alone() {
        let pats = |v: &[&str]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        // `a)|(b` parses inside the join `^(?:(?:a)|(b))$` but not on its own.
        let err = path_regex("flow.sources", &pats(&["os\\.system", "a)|(b"]))
            .expect_err("a pattern that compiles only inside the join");
        assert!(
            err.starts_with("`flow.sources[1]` does not compile as a regex:"),
            "{err}"
        );
        let err = path_regex("flow.sources", &pats(&["(unclosed"])).expect_err("unclosed group");
        assert!(
            err.starts_with("`flow.sources[0]` does not compile as a regex:"),
            "{err}"
        );
        let re = path_regex("flow.sources", &pats(&["os\\.system", "input"]))
            .expect("valid patterns")
            .expect("a regex for a non-empty list");
        assert!(re.is_match("os.system") && re.is_match("input") && !re.is_match("os.systemx"));
        assert!(matches!(path_regex("flow.sources", &[]), Ok(None)));
    }

    const GOOD: &str = r#"
id: python.test-rule
language: python
cwe: [CWE-78]
severity: error
message: m
why: w
instead: i
regex: "^os\\.system$"
kinds: [attribute]
examples:
  flagged: ["os.system(x)"]
"#;

    #[test]
    fn regex_with_kinds_becomes_a_query() {
        let rule = parse_rule("t.yaml", GOOD).expect("valid rule");
        match rule.matcher {
            Matcher::Query(q) => assert_eq!(
                q,
                r#"([(attribute)] @match (#match? @match "^os\\.system$"))"#
            ),
            Matcher::Text { .. } | Matcher::Flow(_) => panic!("expected a query"),
        }
    }

    #[test]
    fn rejects_unknown_fields_and_bad_cwe() {
        let unknown = GOOD.replace("instead: i", "instead: i\nseverty: error");
        let err = parse_rule("t.yaml", &unknown).expect_err("unknown field");
        assert!(err.to_string().contains("t.yaml"), "{err}");
        let bad_cwe = GOOD.replace("[CWE-78]", "[78]");
        let err = parse_rule("t.yaml", &bad_cwe).expect_err("bad cwe");
        assert!(err.to_string().contains("must look like `CWE-78`"), "{err}");
        let alias = GOOD.replace("language: python", "language: py");
        let err = parse_rule("t.yaml", &alias).expect_err("alias");
        assert!(
            err.to_string().contains("write the language as `python`"),
            "{err}"
        );
    }

    #[test]
    fn entropy_separates_placeholders_from_keys() {
        assert!(entropy("changeme") < 3.0);
        assert!(entropy("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") > 4.0);
    }
}
