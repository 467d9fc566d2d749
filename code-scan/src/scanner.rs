//! The scanner: rules compiled once into one tree-sitter query per language; one parse and one
//! query walk per block; findings mapped back to the original text.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use regex::{RegexSet, RegexSetBuilder};
use serde::Serialize;
use tree_sitter::{Node, Parser, Query, QueryCursor, StreamingIterator};

use crate::error::ScanError;
use crate::extract::{self, CodeBlock};
use crate::finding::{Finding, Severity, Treatment};
use crate::flow;
use crate::language::Language;
use crate::rules::{self, Matcher, Rule};

/// Blocks larger than this are reported as failures rather than scanned.
pub const DEFAULT_MAX_BLOCK_BYTES: usize = 1 << 20;

/// Above this share of syntax-error bytes a block counts as unparsable.
const MAX_ERROR_SHARE: f64 = 0.5;

/// Severity thresholds that turn findings into a treatment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Findings at or above this severity block.
    pub block: Severity,
    /// Findings at or above this severity (and below `block`) warn.
    pub warn: Severity,
}

impl Default for Thresholds {
    /// `error` blocks, `warning` warns, `info` is ignored.
    fn default() -> Self {
        Thresholds {
            block: Severity::Error,
            warn: Severity::Warning,
        }
    }
}

impl Thresholds {
    /// The treatment for the most severe finding (`None`: nothing found).
    pub fn treatment(&self, highest: Option<Severity>) -> Treatment {
        match highest {
            Some(s) if s >= self.block => Treatment::Block,
            Some(s) if s >= self.warn => Treatment::Warn,
            _ => Treatment::Ignore,
        }
    }
}

/// How [`Scanner::scan_text`] finds code in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextMode {
    /// Markdown when the text has a fence line; otherwise the whole text if it is recognisably
    /// code (content detection or [`ScanOptions::language`]); otherwise nothing to scan.
    #[default]
    Auto,
    /// Only fenced blocks.
    Markdown,
    /// The whole text is one block of code.
    Code,
}

/// Per-scan options; the policies crate maps policy fields onto these.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub mode: TextMode,
    /// Language for untagged blocks and whole-text code when detection finds none; with
    /// `force_language` it overrides fence tags and detection.
    pub language: Option<Language>,
    /// Scan every block as `language` (`warden scan --lang`).
    pub force_language: bool,
    /// Rule ids that never report.
    pub disabled_rules: HashSet<String>,
    /// If set, language rules only run on blocks of these languages (language-agnostic secret
    /// rules still run on every block).
    pub languages: Option<HashSet<Language>>,
    /// Blocks over this size are failures, not scanned.
    pub max_block_bytes: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            mode: TextMode::Auto,
            language: None,
            force_language: false,
            disabled_rules: HashSet::new(),
            languages: None,
            max_block_bytes: DEFAULT_MAX_BLOCK_BYTES,
        }
    }
}

/// A block that could not be scanned completely.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanFailure {
    /// 1-based line of the block in the original text.
    pub line: usize,
    pub language: Option<Language>,
    /// What went wrong, for people.
    pub reason: String,
}

/// One block that was scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlockSummary {
    pub line: usize,
    pub language: Option<Language>,
    pub closed: bool,
    pub findings: usize,
}

/// The result of scanning a text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanReport {
    pub findings: Vec<Finding>,
    pub blocks: Vec<BlockSummary>,
    /// Blocks that were not (completely) scanned. A report with failures is not evidence that
    /// the text is clean: callers apply their fail mode.
    pub failures: Vec<ScanFailure>,
}

impl ScanReport {
    /// The most severe finding's severity.
    pub fn highest_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// The recommended treatment from the findings. Check [`ScanReport::is_complete`] too: a
    /// failed block may hide findings.
    pub fn treatment(&self, thresholds: &Thresholds) -> Treatment {
        thresholds.treatment(self.highest_severity())
    }

    /// True when every block was scanned completely.
    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }
}

/// One language's rules compiled into a single query.
#[derive(Debug)]
struct CompiledLanguage {
    query: Query,
    /// Rule index for each pattern of `query`.
    pattern_rule: Vec<usize>,
    match_capture: Option<u32>,
    /// The same patterns over PHP's template grammar (used when the code has `<?php`).
    php_template: Option<Box<CompiledLanguage>>,
    /// Indexes of this language's `flow` rules.
    flow_rules: Vec<usize>,
}

#[derive(Debug)]
struct Inner {
    rules: Vec<Rule>,
    by_language: HashMap<Language, CompiledLanguage>,
    /// The whole-text regex rules for a block of each language.
    text_by_language: HashMap<Language, TextRules>,
    /// The language-agnostic text rules (secrets): all that runs on prose.
    text_agnostic: TextRules,
}

/// The whole-text regex rules that apply to one kind of block, and their patterns as one set:
/// one pass over a block tells which rules can match, so the others skip their own search (a
/// prose answer usually matches none).
#[derive(Debug)]
struct TextRules {
    /// Indexes into `Inner::rules`.
    rules: Vec<usize>,
    /// The same patterns in `rules` order; `None` if the set passes the regex size limit, and
    /// then every rule searches on its own.
    set: Option<RegexSet>,
}

impl TextRules {
    fn new(rules: &[Rule], applies: impl Fn(&Rule) -> bool) -> TextRules {
        let mut indexes = Vec::new();
        let mut patterns = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            if let Matcher::Text { regex, .. } = &rule.matcher
                && applies(rule)
            {
                indexes.push(i);
                patterns.push(regex.as_str());
            }
        }
        TextRules {
            rules: indexes,
            set: RegexSetBuilder::new(patterns)
                .dfa_size_limit(SET_DFA_CACHE_BYTES)
                .build()
                .ok(),
        }
    }
}

/// The lazy-DFA cache of each whole-text set (per thread, grown only as states are needed).
/// A language's set holds a few dozen patterns, some with bounded gaps (`.{0,200}`); in the
/// default 2 MiB cache the DFA for a code block of a few KB thrashes, gives up, and the set
/// runs on the PikeVM: that was 45% of the scan time of a 2 KB C# file (docs/bench-code-scan.md,
/// 2026-12-07). 8 MiB holds every corpus file's states.
const SET_DFA_CACHE_BYTES: usize = 8 << 20;

/// The compiled rule set. Cheap to clone (an `Arc`), `Send + Sync`.
#[derive(Debug, Clone)]
pub struct Scanner {
    inner: Arc<Inner>,
}

/// Every language's rules as one compiled query each (PHP with its template grammar too).
fn compile_queries(rules: &[Rule]) -> Result<HashMap<Language, CompiledLanguage>, ScanError> {
    let mut by_language = HashMap::new();
    for language in Language::ALL {
        let grammar = language.grammar();
        let mut compiled = compile_language(rules, language, &grammar)?;
        if language == Language::Php {
            let template = compile_language(rules, language, &Language::php_template_grammar())?;
            compiled.php_template = Some(Box::new(template));
        }
        by_language.insert(language, compiled);
    }
    Ok(by_language)
}

fn compile_language(
    rules: &[Rule],
    language: Language,
    grammar: &tree_sitter::Language,
) -> Result<CompiledLanguage, ScanError> {
    // All of a language's rules become one query; each rule's byte range in the combined source
    // maps pattern indexes back to rules. Compiling the combined source once is what keeps
    // start-up fast; only when it fails is each rule compiled alone to name the broken one.
    let mut source = String::new();
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for (index, rule) in rules.iter().enumerate() {
        let Matcher::Query(query) = &rule.matcher else {
            continue;
        };
        if !rule.languages.contains(&language) {
            continue;
        }
        ranges.push((source.len(), index));
        source.push_str(query);
        source.push('\n');
    }
    let query = match Query::new(grammar, &source) {
        Ok(query) => query,
        Err(combined) => {
            for (_, index) in &ranges {
                let rule = &rules[*index];
                let Matcher::Query(query) = &rule.matcher else {
                    continue;
                };
                if let Err(e) = Query::new(grammar, query) {
                    return Err(ScanError::Matcher {
                        path: rule.path.clone(),
                        rule: rule.id.clone(),
                        language: language.name().to_string(),
                        reason: format!(
                            "{} at row {}, column {}",
                            e.message,
                            e.row + 1,
                            e.column + 1
                        ),
                    });
                }
            }
            // Every rule compiles alone but not together (e.g. an unbalanced parenthesis that
            // swallows the next rule).
            return Err(ScanError::Matcher {
                path: "(combined)".to_string(),
                rule: "(all)".to_string(),
                language: language.name().to_string(),
                reason: combined.message,
            });
        }
    };
    let mut pattern_rule = Vec::with_capacity(query.pattern_count());
    for pattern in 0..query.pattern_count() {
        let start = query.start_byte_for_pattern(pattern);
        let slot = ranges.partition_point(|(offset, _)| *offset <= start);
        let Some((_, index)) = slot.checked_sub(1).and_then(|i| ranges.get(i)) else {
            return Err(ScanError::Matcher {
                path: "(combined)".to_string(),
                rule: "(all)".to_string(),
                language: language.name().to_string(),
                reason: format!("pattern {pattern} starts before the first rule"),
            });
        };
        pattern_rule.push(*index);
    }
    let match_capture = query.capture_index_for_name("match");
    let flow_rules = rules
        .iter()
        .enumerate()
        .filter(|(_, r)| matches!(r.matcher, Matcher::Flow(_)) && r.languages.contains(&language))
        .map(|(i, _)| i)
        .collect();
    Ok(CompiledLanguage {
        query,
        pattern_rule,
        match_capture,
        php_template: None,
        flow_rules,
    })
}

thread_local! {
    static PARSERS: std::cell::RefCell<HashMap<(Language, bool), Parser>> = std::cell::RefCell::new(HashMap::new());
}

impl Scanner {
    /// The built-in rules, compiled once per process.
    ///
    /// Their examples are not run here: the rules and the grammars are compiled into the binary,
    /// so whether the examples pass is fixed when it is built, and `tests/rules.rs` checks every
    /// one of them. Running them at each start cost about 30% of the gateway's start-up (ADR 030).
    /// [`Scanner::example_failures`] runs them on demand.
    pub fn builtin() -> Result<Scanner, ScanError> {
        static BUILTIN: OnceLock<Result<Scanner, String>> = OnceLock::new();
        let built = BUILTIN.get_or_init(|| {
            rules::compile_unverified(rules::builtin_rule_files().iter().copied())
                .map_err(|e| e.to_string())
        });
        match built {
            Ok(scanner) => Ok(scanner.clone()),
            // The first failure is kept as text; rebuilding gives the typed error again.
            Err(_) => rules::compile_unverified(rules::builtin_rule_files().iter().copied()),
        }
    }

    /// Compiles rule files (path, YAML text) and runs every rule's examples; a rule whose
    /// examples fail is rejected with its file and the reason.
    pub fn from_rule_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Scanner, ScanError> {
        let scanner = Scanner::compile(rules::parse_rules(files)?)?;
        scanner.verify_examples()?;
        Ok(scanner)
    }

    /// Compiles without running examples (for tests of the verifier itself).
    pub(crate) fn compile(rules: Vec<Rule>) -> Result<Scanner, ScanError> {
        // The whole-text rule sets (17 `RegexSet`s, about a quarter of start-up) and the language
        // detection signals compile on a second thread while this one compiles the tree-sitter
        // queries.
        let (by_language, (text_by_language, text_agnostic)) = std::thread::scope(|scope| {
            let text = scope.spawn(|| {
                crate::detect::prepare();
                let by_language: HashMap<Language, TextRules> = Language::ALL
                    .iter()
                    .map(|&l| (l, TextRules::new(&rules, |r| r.applies_to(Some(l)))))
                    .collect();
                (
                    by_language,
                    TextRules::new(&rules, Rule::is_language_agnostic),
                )
            });
            let queries = compile_queries(&rules);
            let text = text
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            queries.map(|queries| (queries, text))
        })?;
        Ok(Scanner {
            inner: Arc::new(Inner {
                rules,
                by_language,
                text_by_language,
                text_agnostic,
            }),
        })
    }

    /// Runs every rule's `flagged` and `passes` examples in each of its languages.
    pub fn verify_examples(&self) -> Result<(), ScanError> {
        match self.example_failures().into_iter().next() {
            Some(err) => Err(err),
            None => Ok(()),
        }
    }

    /// Every example failure of every rule (empty when all rules agree with their examples).
    pub fn example_failures(&self) -> Vec<ScanError> {
        let mut failures = Vec::new();
        let options = ScanOptions::default();
        for rule in &self.inner.rules {
            let languages: Vec<Option<Language>> = if rule.languages.is_empty() {
                vec![None]
            } else {
                rule.languages.iter().copied().map(Some).collect()
            };
            for language in languages {
                let lang_name = language.map_or("any", Language::name).to_string();
                let fail =
                    |kind: &'static str, index: usize, reason: String| ScanError::RuleExample {
                        path: rule.path.clone(),
                        rule: rule.id.clone(),
                        language: lang_name.clone(),
                        kind,
                        index,
                        reason,
                    };
                for (kind, examples, must_fire) in [
                    ("flagged", &rule.flagged, true),
                    ("passes", &rule.passes, false),
                ] {
                    for (index, example) in examples.iter().enumerate() {
                        let block = CodeBlock::whole(example.clone(), language);
                        let findings = match self.scan_block_with(&block, &options) {
                            Ok(findings) => findings,
                            Err(e) => {
                                failures.push(fail(kind, index, format!("scan failed: {e}")));
                                continue;
                            }
                        };
                        let fired = findings.iter().any(|f| f.rule_id == rule.id);
                        if must_fire && !fired {
                            failures.push(fail(
                                kind,
                                index,
                                "the rule did not flag it (missing)".into(),
                            ));
                        }
                        if !must_fire && fired {
                            failures.push(fail(
                                kind,
                                index,
                                "the rule flagged a look-alike (noisy)".into(),
                            ));
                        }
                    }
                }
            }
        }
        failures
    }

    /// The compiled rules.
    pub fn rules(&self) -> &[Rule] {
        &self.inner.rules
    }

    /// A rule by id.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.inner.rules.iter().find(|r| r.id == id)
    }

    /// Every rule id, sorted.
    pub fn rule_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.inner.rules.iter().map(|r| r.id.clone()).collect();
        ids.sort();
        ids
    }

    /// Scans one block with the default options.
    pub fn scan_block(&self, block: &CodeBlock) -> Result<Vec<Finding>, ScanError> {
        self.scan_block_with(block, &ScanOptions::default())
    }

    /// Scans one block: language-agnostic rules over its text, then one parse and one query
    /// walk for its language's rules. Findings are sorted by position.
    pub fn scan_block_with(
        &self,
        block: &CodeBlock,
        options: &ScanOptions,
    ) -> Result<Vec<Finding>, ScanError> {
        if block.code.len() > options.max_block_bytes {
            return Err(ScanError::TooLarge {
                line: block.line,
                bytes: block.code.len(),
                limit: options.max_block_bytes,
            });
        }
        // Each finding with its start byte in the block (for scoped exclusions).
        let mut findings: Vec<(usize, Finding)> = Vec::new();
        let code = block.code.as_str();
        let language_enabled = block.language.is_some_and(|l| {
            options
                .languages
                .as_ref()
                .is_none_or(|allowed| allowed.contains(&l))
        });
        // Language rules run only where the language is enabled; the secret rules always.
        let text_rules = block
            .language
            .filter(|_| language_enabled)
            .and_then(|l| self.inner.text_by_language.get(&l))
            .unwrap_or(&self.inner.text_agnostic);
        let candidates = text_rules.set.as_ref().map(|set| set.matches(code));
        let lines = Lines::new(code);
        for (position, &index) in text_rules.rules.iter().enumerate() {
            if candidates.as_ref().is_some_and(|c| !c.matched(position)) {
                continue;
            }
            let rule = &self.inner.rules[index];
            if options.disabled_rules.contains(&rule.id) {
                continue;
            }
            let Matcher::Text { regex, min_entropy } = &rule.matcher else {
                continue;
            };
            for caps in regex.captures_iter(code) {
                let Some(whole) = caps.get(0) else { continue };
                if let Some(min) = min_entropy {
                    let secret = caps.name("secret").map_or("", |m| m.as_str());
                    if rules::entropy(secret) < *min {
                        continue;
                    }
                }
                findings.push((
                    whole.start(),
                    self.finding(rule, block, &lines, whole.start(), whole.end()),
                ));
            }
        }
        let mut scopes = Vec::new();
        if let (Some(language), true) = (block.language, language_enabled) {
            scopes = self.scan_tree(block, language, options, &lines, &mut findings)?;
        }
        if !findings.is_empty() {
            // Exclusions, checked only for rules that fired: a match inside the outermost
            // function around the finding, or in code outside every function (imports,
            // module settings, static initialisers), silences it; one in another function
            // does not.
            let rules = &self.inner.rules;
            findings.retain(|(start, f)| {
                rules
                    .iter()
                    .find(|r| r.id == f.rule_id)
                    .and_then(|r| r.unless_block.as_ref())
                    .is_none_or(|re| !excluded(re, code, &scopes, *start))
            });
        }
        let mut findings: Vec<Finding> = findings.into_iter().map(|(_, f)| f).collect();
        findings
            .sort_by(|a, b| (a.line, a.column, &a.rule_id).cmp(&(b.line, b.column, &b.rule_id)));
        findings
            .dedup_by(|a, b| a.rule_id == b.rule_id && a.line == b.line && a.column == b.column);
        Ok(findings)
    }

    fn scan_tree(
        &self,
        block: &CodeBlock,
        language: Language,
        options: &ScanOptions,
        lines: &Lines,
        findings: &mut Vec<(usize, Finding)>,
    ) -> Result<Vec<(usize, usize)>, ScanError> {
        let Some(mut compiled) = self.inner.by_language.get(&language) else {
            return Ok(Vec::new());
        };
        let php_template = language == Language::Php && block.code.contains("<?php");
        if php_template && let Some(template) = &compiled.php_template {
            compiled = template;
        }
        let code = block.code.as_str();
        let tree = PARSERS.with(|parsers| {
            let mut parsers = parsers.borrow_mut();
            let parser = match parsers.entry((language, php_template)) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    let mut parser = Parser::new();
                    let grammar = if php_template {
                        Language::php_template_grammar()
                    } else {
                        language.grammar()
                    };
                    parser
                        .set_language(&grammar)
                        .map_err(|e| ScanError::Parser {
                            language: language.name().to_string(),
                            reason: e.to_string(),
                        })?;
                    v.insert(parser)
                }
            };
            parser.parse(code, None).ok_or_else(|| ScanError::Parser {
                language: language.name().to_string(),
                reason: "the parser returned no tree".to_string(),
            })
        })?;
        let root = tree.root_node();
        if root.has_error() {
            let share = error_share(root, code);
            if share > MAX_ERROR_SHARE {
                return Err(ScanError::Unparsable {
                    language: language.name().to_string(),
                    line: block.line,
                    error_percent: (share * 100.0).round() as u32,
                });
            }
        }
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(&compiled.query, root, code.as_bytes());
        while let Some(m) = matches.next() {
            let Some(&rule_index) = compiled.pattern_rule.get(m.pattern_index) else {
                continue;
            };
            let rule = &self.inner.rules[rule_index];
            if options.disabled_rules.contains(&rule.id) {
                continue;
            }
            let node = compiled
                .match_capture
                .and_then(|mc| m.captures().iter().find(|c| c.index == mc))
                .or_else(|| m.captures().first())
                .map(|c| c.node);
            let Some(node) = node else { continue };
            findings.push((
                node.start_byte(),
                self.finding(rule, block, lines, node.start_byte(), node.end_byte()),
            ));
        }
        let active: Vec<usize> = compiled
            .flow_rules
            .iter()
            .copied()
            .filter(|&i| {
                let rule = &self.inner.rules[i];
                !options.disabled_rules.contains(&rule.id)
                    && match &rule.matcher {
                        Matcher::Flow(spec) => spec.may_match(code),
                        _ => true,
                    }
            })
            .collect();
        if !active.is_empty() {
            // One pass collects assignments, parameters, functions, imports and calls; each
            // flow rule then evaluates only the arguments of the calls its sinks name.
            let facts = flow::Facts::collect(language, root, code);
            for index in active {
                let rule = &self.inner.rules[index];
                let Matcher::Flow(spec) = &rule.matcher else {
                    continue;
                };
                for hit in flow::find(&facts, spec) {
                    findings.push((
                        hit.start,
                        self.finding(rule, block, lines, hit.start, hit.end),
                    ));
                }
            }
        }
        // The exclusion scopes, found only when a rule that has an exclusion fired.
        let rules = &self.inner.rules;
        let scoped = findings.iter().any(|(_, f)| {
            rules
                .iter()
                .any(|r| r.id == f.rule_id && r.unless_block.is_some())
        });
        Ok(if scoped {
            outermost_functions(root)
        } else {
            Vec::new()
        })
    }

    fn finding(
        &self,
        rule: &Rule,
        block: &CodeBlock,
        lines: &Lines,
        start: usize,
        end: usize,
    ) -> Finding {
        let (line, column) = lines.position(&block.code, start);
        let (end_line, end_column) = lines.position(&block.code, end);
        Finding {
            rule_id: rule.id.clone(),
            cwe: rule.cwe.clone(),
            severity: rule.severity,
            message: rule.message.clone(),
            language: block
                .language
                .map_or_else(|| "text".to_string(), |l| l.name().to_string()),
            line: block.line + line,
            column: column + 1 + block.column_offset,
            end_line: block.line + end_line,
            end_column: end_column + 1 + block.column_offset,
        }
    }

    /// Extracts the code in `text` (see [`TextMode`]) and scans every block. Per-block failures
    /// are recorded in the report, never dropped.
    pub fn scan_text(&self, text: &str, options: &ScanOptions) -> Result<ScanReport, ScanError> {
        let blocks = self.blocks_of(text, options);
        let mut report = ScanReport::default();
        for block in blocks {
            match self.scan_block_with(&block, options) {
                Ok(findings) => {
                    report.blocks.push(BlockSummary {
                        line: block.line,
                        language: block.language,
                        closed: block.closed,
                        findings: findings.len(),
                    });
                    report.findings.extend(findings);
                }
                Err(err @ ScanError::Unparsable { .. }) => {
                    // The secret rules still run on a block the grammar rejects.
                    let text_only = CodeBlock {
                        language: None,
                        ..block.clone()
                    };
                    let secrets = self.scan_block_with(&text_only, options)?;
                    report.findings.extend(secrets);
                    report.failures.push(ScanFailure {
                        line: block.line,
                        language: block.language,
                        reason: err.to_string(),
                    });
                }
                Err(err @ ScanError::TooLarge { .. }) => {
                    report.failures.push(ScanFailure {
                        line: block.line,
                        language: block.language,
                        reason: err.to_string(),
                    });
                }
                Err(err) => return Err(err),
            }
        }
        Ok(report)
    }

    /// The blocks `scan_text` scans.
    pub fn blocks_of(&self, text: &str, options: &ScanOptions) -> Vec<CodeBlock> {
        let markdown = match options.mode {
            TextMode::Markdown => true,
            TextMode::Code => false,
            TextMode::Auto => extract::has_fence(text),
        };
        let mut blocks = if markdown {
            extract::extract_fenced(text)
        } else {
            let language = if options.force_language {
                options.language
            } else {
                Language::detect(text).or(options.language)
            };
            // With no language (prose), only the language-agnostic secret rules apply.
            vec![CodeBlock::whole(text, language)]
        };
        for block in &mut blocks {
            let untagged = block.language.is_none() && block.info.is_none();
            if options.force_language || untagged {
                block.language = options.language.or(block.language);
            }
        }
        blocks
    }
}

/// (0-based row, 0-based column in characters) of a byte offset.
/// The newline offsets of a block, so that each finding's position is a binary search, not a
/// count over the block (whole files carry hundreds of raw matches before deduplication).
struct Lines(Vec<usize>);

impl Lines {
    fn new(code: &str) -> Lines {
        Lines(
            code.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        )
    }

    /// The 0-based row and column (in characters) of a byte offset.
    fn position(&self, code: &str, byte: usize) -> (usize, usize) {
        let byte = byte.min(code.len());
        let row = self.0.partition_point(|&nl| nl < byte);
        let line_start = if row == 0 { 0 } else { self.0[row - 1] + 1 };
        let column = code.get(line_start..byte).map_or(0, |s| s.chars().count());
        (row, column)
    }
}

/// Byte ranges of the outermost functions in a tree (functions nested in them are inside).
fn outermost_functions(root: Node<'_>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        if flow::is_function(node.kind()) {
            out.push((node.start_byte(), node.end_byte()));
        } else if cursor.goto_first_child() {
            continue;
        }
        // Next: the sibling, or the sibling of the nearest ancestor that has one.
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

/// Whether `re` silences a finding at `start`: it matches inside the outermost function around
/// the finding, or anywhere outside every function.
fn excluded(re: &regex::Regex, code: &str, scopes: &[(usize, usize)], start: usize) -> bool {
    let inside = |pos: usize| scopes.iter().find(|&&(s, e)| s <= pos && pos < e).copied();
    if let Some((s, e)) = inside(start)
        && code.get(s..e).is_some_and(|scope| re.is_match(scope))
    {
        return true;
    }
    re.find_iter(code).any(|m| inside(m.start()).is_none())
}

/// Share of non-whitespace bytes covered by ERROR or MISSING nodes.
fn error_share(root: Node<'_>, code: &str) -> f64 {
    let total = code.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    if total == 0 {
        return 0.0;
    }
    let mut covered = 0usize;
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() {
            covered += code.get(node.start_byte()..node.end_byte()).map_or(0, |s| {
                s.bytes().filter(|b| !b.is_ascii_whitespace()).count()
            });
            continue;
        }
        if node.has_error() {
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
    }
    covered as f64 / total as f64
}

/// The ids of the built-in rules, sorted (for validating rule ids named in policy files). Parsed
/// once per process; it does not compile or verify the rules.
pub fn builtin_rule_ids() -> Vec<String> {
    static IDS: OnceLock<Vec<String>> = OnceLock::new();
    IDS.get_or_init(|| {
        let mut ids: Vec<String> = rules::builtin_rule_files()
            .iter()
            .filter_map(|(path, text)| rules::parse_rule(path, text).ok().map(|r| r.id))
            .collect();
        ids.sort();
        ids
    })
    .clone()
}

#[cfg(test)]
mod text_rule_sets {
    use super::*;

    #[test]
    fn every_text_rule_set_fits_the_regex_size_limit() {
        // Without its set a block kind still scans correctly, one search per rule, but slower:
        // split a kind's rules into two sets if this ever fails.
        let scanner = Scanner::builtin().expect("built-in rules");
        assert!(scanner.inner.text_agnostic.set.is_some());
        assert!(!scanner.inner.text_agnostic.rules.is_empty());
        for language in Language::ALL {
            let rules = &scanner.inner.text_by_language[&language];
            assert!(
                rules.set.is_some(),
                "{language:?}: {} rules",
                rules.rules.len()
            );
            // The agnostic rules run on every language's blocks too.
            for index in &scanner.inner.text_agnostic.rules {
                assert!(rules.rules.contains(index), "{language:?}");
            }
        }
    }

    #[test]
    fn a_rule_is_skipped_only_when_its_own_regex_does_not_match() {
        // The set must say "no match" exactly when the rule's regex finds nothing, so skipping
        // the rule's own search can never lose a finding.
        let scanner = Scanner::builtin().expect("built-in rules");
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/snippets");
        let mut texts: Vec<String> = std::fs::read_dir(&corpus)
            .expect("corpus")
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
            .collect();
        assert!(texts.len() > 20);
        texts.push("Hello there, how can I help?".into());
        texts.push(
            "key AKIAIOSFODNN7EXAMPLE and sk-proj-abcdefghijklmnopqrstuvwxyz0123456789".into(),
        );
        let inner = &scanner.inner;
        let mut matched = 0;
        for rules in inner
            .text_by_language
            .values()
            .chain([&inner.text_agnostic])
        {
            let set = rules.set.as_ref().expect("set");
            for text in &texts {
                let hits = set.matches(text);
                for (position, &index) in rules.rules.iter().enumerate() {
                    let Matcher::Text { regex, .. } = &inner.rules[index].matcher else {
                        panic!("a text rule");
                    };
                    assert_eq!(
                        hits.matched(position),
                        regex.is_match(text),
                        "{}",
                        inner.rules[index].id
                    );
                    matched += usize::from(hits.matched(position));
                }
            }
        }
        assert!(matched > 0, "the texts exercise some rule");
    }
}

#[cfg(test)]
mod flow_prefilter {
    use super::*;
    use crate::flow::{Facts, sink_words};

    #[test]
    fn sink_words_are_the_last_identifier_of_each_suffix_literal() {
        let words = |p: &str| {
            sink_words(p).map(|mut w| {
                w.sort();
                w
            })
        };
        assert_eq!(
            words(r"^(?:(?:os\.system)|(?:subprocess\.(call|run|Popen)))$"),
            Some(vec![
                "Popen".into(),
                "call".into(),
                "run".into(),
                "system".into()
            ])
        );
        assert_eq!(
            words(r"^(?:.*\.execute(Query)?)$"),
            Some(vec!["execute".into(), "executeQuery".into()])
        );
        assert_eq!(words(r"^(?:new\s*Foo\[\])$"), Some(vec!["Foo".into()]));
        // No finite suffix, a synthetic name, a path with no identifier at its end: no filter.
        assert_eq!(words(r"^(?:\w+)$"), None);
        assert_eq!(words(r"^(?:echo|print)$"), None);
        assert_eq!(
            words(r"^(?:system|`)$"),
            Some(vec!["%x".into(), "`".into(), "system".into()])
        );
        assert_eq!(words(r"^(?:\.)$"), None);
        assert_eq!(words(r"^(?:)$"), None);
    }

    fn parse(language: Language, code: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        let grammar = if language == Language::Php && code.contains("<?php") {
            Language::php_template_grammar()
        } else {
            language.grammar()
        };
        parser.set_language(&grammar).expect("grammar loads");
        parser.parse(code, None).expect("parses")
    }

    /// Skipping a flow rule on a block without any of its sink words never loses a finding:
    /// on every block of both corpora, a rule that `may_match` rules out finds nothing when it
    /// runs anyway. And the filter does skip work: most rule/block pairs are ruled out.
    #[test]
    fn a_flow_rule_is_skipped_only_where_it_cannot_fire() {
        let scanner = Scanner::builtin().expect("built-in rules");
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["corpus/snippets", "corpus-independent/files"] {
            for entry in std::fs::read_dir(root.join(dir)).expect("corpus dir") {
                files.push(entry.expect("entry").path());
            }
        }
        let (mut skipped, mut pairs) = (0usize, 0usize);
        for path in files {
            let text = std::fs::read_to_string(&path).expect("corpus file");
            let (options, _) = crate::cli::options_for_input(Some(&path), None);
            for block in scanner.blocks_of(&text, &options) {
                let Some(language) = block.language else {
                    continue;
                };
                let Some(compiled) = scanner.inner.by_language.get(&language) else {
                    continue;
                };
                let tree = parse(language, &block.code);
                let facts = Facts::collect(language, tree.root_node(), &block.code);
                for &index in &compiled.flow_rules {
                    let rule = &scanner.inner.rules[index];
                    let Matcher::Flow(spec) = &rule.matcher else {
                        continue;
                    };
                    pairs += 1;
                    if spec.may_match(&block.code) {
                        continue;
                    }
                    skipped += 1;
                    assert!(
                        crate::flow::find(&facts, spec).is_empty(),
                        "{}: {} would fire but was skipped",
                        path.display(),
                        rule.id
                    );
                }
            }
        }
        assert!(pairs > 0);
        assert!(
            skipped * 2 > pairs,
            "only {skipped} of {pairs} rule/block pairs ruled out"
        );
    }

    /// Every built-in flow rule has sink words: a rule without them runs on every block.
    #[test]
    fn every_builtin_flow_rule_has_sink_words() {
        let scanner = Scanner::builtin().expect("built-in rules");
        let without: Vec<&str> = scanner
            .inner
            .rules
            .iter()
            .filter(|r| matches!(&r.matcher, Matcher::Flow(spec) if spec.words.is_none()))
            .map(|r| r.id.as_str())
            .collect();
        assert!(
            without.is_empty(),
            "flow rules without sink words: {without:?}"
        );
    }
}

#[cfg(test)]
mod scoped_exclusions {
    use super::*;

    const RULE: &str = r#"id: python.test-xxe
language: python
cwe: [CWE-611]
severity: error
message: m
why: w
instead: i
query: |
  ((call function: (identifier) @f) @match (#eq? @f "parse"))
unless_block: 'no_entities\(\)'
examples:
  flagged: ["def f(x):\n    parse(x)\n"]
  passes: ["def f(x):\n    no_entities()\n    parse(x)\n"]
"#;

    fn lines(code: &str) -> Vec<usize> {
        let scanner = Scanner::from_rule_files([("python/test-xxe.yaml", RULE)]).expect("rule");
        let block = CodeBlock::whole(code, Some(Language::Python));
        let findings = scanner.scan_block(&block).expect("scan");
        findings.iter().map(|f| f.line).collect()
    }

    #[test]
    fn a_safe_setting_in_one_function_does_not_silence_another() {
        let code = "def safe(x):\n    no_entities()\n    return parse(x)\n\n\
                    def unsafe(x):\n    return parse(x)\n";
        assert_eq!(lines(code), [6]);
    }

    #[test]
    fn the_outermost_function_is_the_scope_and_top_level_code_covers_all() {
        // The setting in the outer function covers a nested helper's call.
        let nested = "def outer(x):\n    no_entities()\n    def inner():\n        return parse(x)\n    return inner()\n";
        assert!(lines(nested).is_empty());
        // A module-level setting applies to every function.
        let module =
            "no_entities()\n\ndef a(x):\n    return parse(x)\n\ndef b(x):\n    return parse(x)\n";
        assert!(lines(module).is_empty());
        // Code outside any function is scoped to the whole block, as before.
        assert_eq!(lines("parse(x)\n"), [1]);
        assert!(lines("no_entities()\nparse(x)\n").is_empty());
    }
}
