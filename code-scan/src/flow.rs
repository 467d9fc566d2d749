//! Local data flow for `flow` rules: a value is followed from where it is built to the sink
//! that uses it, inside one function and from module-level constants, over the syntax tree the
//! scanner already parsed.
//!
//! # The one non-obvious choice
//!
//! There is no per-language intermediate representation. Each grammar's node kinds are
//! recognised by role (string, interpolation, call, member access, assignment, parameter,
//! import) in the tables below, and [`Evaluator::eval`] turns an expression into a [`Val`]:
//! its approximate text, whether it is built only from literals, and whether it is tainted
//! for the rule at hand. An identifier resolves to the last assignment before the use in the
//! same function (then outer functions, then the module); `+`, `%`, `.`, interpolation,
//! template literals, `format!`/`Sprintf`/`String.format` and wrappers such as `str()`,
//! `String::from`, `.as_str()` combine their parts; a call to a function defined in the same
//! block is followed through its `return`; a call matching the rule's sanitisers cleans the
//! value. What a rule treats as tainted is data (`flow.sources`, default: any value not built
//! only from literals), so the engine knows no rule.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};

use regex::Regex;
use std::num::NonZeroU16 as FieldId;

use tree_sitter::{Node, TreeCursor};

use crate::language::Language;

mod control;

/// One grammar's field ids by the (address, length) of the field-name literal.
type FieldIds = HashMap<(usize, usize), Option<FieldId>>;

thread_local! {
    /// Field ids per grammar and field name: tree-sitter's `child_by_field_name` searches the
    /// grammar's field names linearly with `strncmp` on every call, which was the largest
    /// single cost of the data-flow pass. A handful of grammars, so a list, compared by the
    /// grammar's pointer; names by the address and length of the literal.
    static FIELD_IDS: RefCell<Vec<(tree_sitter::Language, FieldIds)>> =
        const { RefCell::new(Vec::new()) };
}

/// Field access by name with the name's id cached per grammar.
trait FieldExt<'t> {
    /// `child_by_field_name`, cached.
    fn field(&self, name: &'static str) -> Option<Node<'t>>;
    /// `children_by_field_name`, cached.
    fn children_by_field<'c>(
        &self,
        name: &'static str,
        cursor: &'c mut TreeCursor<'t>,
    ) -> Box<dyn Iterator<Item = Node<'t>> + 'c>
    where
        't: 'c;
}

fn field_id(node: &Node<'_>, name: &'static str) -> Option<FieldId> {
    let language = node.language();
    let key = (name.as_ptr() as usize, name.len());
    FIELD_IDS.with(|grammars| {
        let mut grammars = grammars.borrow_mut();
        let index = match grammars.iter().position(|(l, _)| *l == *language) {
            Some(index) => index,
            None => {
                grammars.push(((*language).clone(), HashMap::new()));
                grammars.len() - 1
            }
        };
        let (_, ids) = &mut grammars[index];
        *ids.entry(key)
            .or_insert_with(|| language.field_id_for_name(name))
    })
}

impl<'t> FieldExt<'t> for Node<'t> {
    fn field(&self, name: &'static str) -> Option<Node<'t>> {
        self.child_by_field_id(field_id(self, name)?.get())
    }

    fn children_by_field<'c>(
        &self,
        name: &'static str,
        cursor: &'c mut TreeCursor<'t>,
    ) -> Box<dyn Iterator<Item = Node<'t>> + 'c>
    where
        't: 'c,
    {
        match field_id(self, name) {
            Some(id) => Box::new(self.children_by_field_id(id, cursor)),
            None => Box::new(std::iter::empty()),
        }
    }
}

/// A compiled `flow` matcher.
#[derive(Debug, Clone)]
pub(crate) struct Flow {
    /// Regexes over the dotted path of a call, member or identifier that produce tainted values;
    /// `None`: any value not built only from literals is tainted.
    pub sources: Option<Regex>,
    /// Regexes over a call's dotted path whose result is clean.
    pub sanitizers: Option<Regex>,
    /// Regexes over a call's dotted path that check a value: a use of a variable inside (or
    /// after an exiting) `if` whose condition passes that variable to one is clean.
    pub guards: Option<Regex>,
    pub sinks: Vec<Sink>,
    /// When set, the rule fires on a constant sink value matching it instead of a tainted one.
    pub insecure_value: Option<Regex>,
    /// With `insecure_value`: also report the statement that binds the constant
    /// (`let key = [0u8; 32];`), where a reader fixes it, besides the sink.
    pub report_value: bool,
    /// When set, a tainted value fires only if its resolved text (`?` for unknown parts)
    /// matches: SQL keywords around a hole, say.
    pub value_text: Option<Regex>,
    /// Words one of which the block's text must contain for any sink to match (see
    /// [`sink_words`]); `None` when some sink gives no such word, and the rule always runs.
    pub words: Option<Vec<String>>,
}

impl Flow {
    /// Whether a sink of this rule can match anywhere in `code`. `false` is exact: no call or
    /// assignment in the block can resolve to a sink path, so the rule can skip the block.
    pub(crate) fn may_match(&self, code: &str) -> bool {
        self.words
            .as_ref()
            .is_none_or(|words| words.iter().any(|w| code.contains(w.as_str())))
    }
}

/// Paths built by [`Facts::raw_path`] from something other than the block's own text.
const SYNTHETIC_WORDS: &[&str] = &["echo", "include"];

/// The words that every path a sink regex (anchored, `^...$`) matches must end with, one per
/// suffix literal: the last run of identifier characters of each literal.
///
/// Why a block without any of them cannot match: a resolved path ([`Facts::path`]) is made of
/// runs of the block's own text (identifiers, import targets and `require` strings with some
/// punctuation dropped), joined by `.`, `()` and `[]`; an identifier run of a path is therefore
/// a piece of one identifier in the text, verbatim. The only names not taken from the text are
/// the synthetic ones: `` ` `` for shell literals, which gives the words `` ` `` and `%x` (the
/// forms they are written in), and `echo` for PHP's `print` and `include` for `require`
/// (keywords PHP takes in any case), for which, as for a regex without a finite set of suffix
/// literals, there is no word: `None`.
pub(crate) fn sink_words(pattern: &str) -> Option<Vec<String>> {
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let hir = regex_syntax::Parser::new().parse(pattern).ok()?;
    let seq = Extractor::new().kind(ExtractKind::Suffix).extract(&hir);
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    let mut words: Vec<String> = Vec::new();
    for literal in seq.literals()? {
        let literal = std::str::from_utf8(literal.as_bytes()).ok()?;
        if literal.ends_with('`') {
            // Shell literals: Ruby's `` `...` `` and `%x(...)`, PHP's backticks.
            for marker in ["`", "%x"] {
                if !words.iter().any(|w| w == marker) {
                    words.push(marker.to_string());
                }
            }
            continue;
        }
        let trimmed = literal.trim_end_matches(|c: char| !ident(c));
        let start = trimmed
            .char_indices()
            .rev()
            .find(|&(_, c)| !ident(c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let word = &trimmed[start..];
        if word.is_empty() || SYNTHETIC_WORDS.contains(&word) {
            return None;
        }
        if !words.iter().any(|w| w == word) {
            words.push(word.to_string());
        }
    }
    (!words.is_empty()).then_some(words)
}

/// Where a value must not arrive.
#[derive(Debug, Clone)]
pub(crate) struct Sink {
    pub kind: SinkKind,
    /// Over the resolved dotted path of the callee (or of an assignment's target).
    pub path: Regex,
    /// Positional arguments checked (`None`: all; empty: the call itself is the finding).
    pub args: Option<Vec<usize>>,
    /// A keyword (named) argument checked instead of positions.
    pub keyword: Option<String>,
    /// Keyword arguments that must be present with a constant value matching the regex.
    pub requires: Vec<(String, Regex)>,
    /// Keyword arguments whose constant value, when matching, makes the call safe.
    pub unless: Vec<(String, Regex)>,
    /// Array literals in checked positions are argument vectors (no shell): not checked.
    pub argv_arrays: bool,
    /// Leading positional arguments whose text matches are an overload's optional first
    /// parameter (`(IFormatProvider)null`, Ruby's `IO.new(1)`): skipped before counting.
    pub skip_leading: Option<Regex>,
    /// The sink applies only to calls with at least this many positional arguments (after
    /// `skip_leading`): a format string with nothing to format, say.
    pub min_args: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SinkKind {
    Call,
    Assign,
}

/// What an expression evaluates to, for one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Val {
    /// The literal parts, with `?` for unknown parts.
    pub text: String,
    /// Built only from literals.
    pub constant: bool,
    /// Reaches the sink from a source (or from anything non-constant when the rule lists none)
    /// without passing a sanitiser.
    pub tainted: bool,
}

impl Val {
    fn lit(text: impl Into<String>) -> Val {
        Val {
            text: text.into(),
            constant: true,
            tainted: false,
        }
    }
    fn clean() -> Val {
        Val {
            text: "?".into(),
            constant: false,
            tainted: false,
        }
    }
    fn unknown(tainted: bool) -> Val {
        Val {
            text: "?".into(),
            constant: false,
            tainted,
        }
    }
    fn join(parts: impl IntoIterator<Item = Val>) -> Val {
        let mut out = Val::lit("");
        for part in parts {
            out.text.push_str(&part.text);
            out.constant &= part.constant;
            out.tainted |= part.tainted;
        }
        out
    }
}

/// A hit: the node whose value reached a sink.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
}

const CALLS: &[&str] = &[
    "call",
    "call_expression",
    "method_invocation",
    "invocation_expression",
    "function_call_expression",
    "member_call_expression",
    "scoped_call_expression",
    "nullsafe_member_call_expression",
    "object_creation_expression",
    "new_expression",
    "command",
    "subshell",
    "shell_command_expression",
    "echo_statement",
    "include_expression",
    "require_expression",
    "include_once_expression",
    "require_once_expression",
    "print_intrinsic",
    "macro_invocation",
];

const MEMBERS: &[&str] = &[
    "attribute",
    "member_expression",
    "field_access",
    "member_access_expression",
    "selector_expression",
    "field_expression",
    "navigation_expression",
    "scoped_identifier",
    "qualified_identifier",
    "scope_resolution",
    "class_constant_access_expression",
    "scoped_property_access_expression",
    "optional_chain",
    "conditional_access_expression",
];

const IDENTS: &[&str] = &[
    "identifier",
    "simple_identifier",
    "variable_name",
    "constant",
    "shorthand_property_identifier",
    "type_identifier",
    "field_identifier",
    "property_identifier",
    "package_identifier",
    "instance_variable",
    "global_variable",
    "this",
    "self",
    "name",
    "word",
    "command_name",
];

const STRINGS: &[&str] = &[
    "string",
    "string_literal",
    "interpreted_string_literal",
    "raw_string_literal",
    "encapsed_string",
    "line_string_literal",
    "multi_line_string_literal",
    "template_string",
    "interpolated_string_expression",
    "verbatim_string_literal",
    "raw_string",
    "concatenated_string",
    "heredoc",
    "heredoc_body",
    "nowdoc",
    "character_literal",
    "char_literal",
    "text_block",
    "string_value",
    "ansi_c_string",
];

const LITERALS: &[&str] = &[
    "integer",
    "float",
    "number",
    "true",
    "false",
    "none",
    "null",
    "nil",
    "integer_literal",
    "float_literal",
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "decimal_floating_point_literal",
    "boolean_literal",
    "boolean",
    "real_literal",
    "int_literal",
    "imaginary_literal",
    "null_literal",
    "number_literal",
    "simple_symbol",
    "hash_key_symbol",
    "delimited_symbol",
    "bare_symbol",
    "regex",
    "regex_literal",
    "unit",
    "bool",
];

const ARRAYS: &[&str] = &[
    "list",
    "tuple",
    "set",
    "array",
    "array_literal",
    "array_initializer",
    "array_creation_expression",
    "implicit_array_creation_expression",
    "composite_literal",
    "literal_value",
    "initializer_list",
    "array_expression",
    "collection_literal",
    "collection_expression",
    "tuple_expression",
    "expression_list",
    "string_array",
    "argument_list",
    "arguments",
    "element",
    "keyed_element",
    "literal_element",
];

const SUBSCRIPTS: &[&str] = &[
    "subscript",
    "subscript_expression",
    "element_reference",
    "index_expression",
    "array_access",
    "element_access_expression",
    // Go's `s[1:]`.
    "slice_expression",
];

const TRANSPARENT: &[&str] = &[
    "parenthesized_expression",
    "cast_expression",
    "await_expression",
    "reference_expression",
    "pointer_expression",
    "argument",
    "value_argument",
    "expression_statement",
    "type_assertion_expression",
    // Go's `[]byte(s)`: the value is the operand's.
    "type_conversion_expression",
    "as_expression",
    "spread_element",
    "splat_argument",
    "non_null_expression",
    "try_expression",
    "parenthesized_statements",
    "begin",
    "interpolation",
    "template_substitution",
    "interpolated_expression",
    "simple_expansion",
    "expansion",
    "command_substitution",
    "equals_value_clause",
    "postfix_unary_expression",
    "unsafe_block",
    "block",
    "statement_block",
    "statements",
];

const CONDITIONALS: &[&str] = &[
    "conditional_expression",
    "ternary_expression",
    "if_expression",
];

/// Method or function names whose result is built from their receiver and arguments (string
/// conversion, formatting, joining): the value flows through them.
const PASS_THROUGH: &[&str] = &[
    "from",
    "new",
    "to_string",
    "to_owned",
    "to_str",
    "as_str",
    "as_ref",
    "as_bytes",
    "into",
    "clone",
    "unwrap",
    "unwrap_or",
    "expect",
    "borrow",
    "trim",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "toLowerCase",
    "toUpperCase",
    "toString",
    "valueOf",
    "format",
    "Format",
    "Sprintf",
    "sprintf",
    "vsprintf",
    "snprintf",
    "vsnprintf",
    "swprintf",
    "strcpy",
    "strncpy",
    "strcat",
    "strncat",
    "stpcpy",
    "wcscpy",
    "wcscat",
    "strlcpy",
    "strlcat",
    "concat",
    "Concat",
    "join",
    "Join",
    "str",
    "String",
    "string",
    "encode",
    "decode",
    "getBytes",
    "bytes",
    "to_s",
    "to_str",
    "strval",
    "implode",
    "trim_end",
    "trim_start",
    "replace",
    "append",
    "Append",
    "AppendFormat",
    "ToString",
    "Trim",
    "getText",
    "text",
    "formatted",
    "plus",
    "fmt",
    "c_str",
    "Array",
    "Data",
    "arrayOf",
    "listOf",
    "byteArrayOf",
    "charArrayOf",
    "intArrayOf",
    "mutableListOf",
    "asList",
    "of",
    "singletonList",
    "StringBuilder",
    "StringBuffer",
    "StringWriter",
];

/// Calls that turn a string into bytes or characters in a named charset, or decode a
/// Base64/hex literal: the value is the receiver's or the arguments' text without the charset
/// or codec (see [`is_codec`]), so a literal stays a constant.
const ENCODERS: &[&str] = &[
    "getBytes",
    "GetBytes",
    "toCharArray",
    "ToCharArray",
    "toByteArray",
    "encodeToByteArray",
    "data",
    "decode",
    "FromBase64String",
    "FromHexString",
    "parseHexBinary",
    "parseBase64Binary",
    "decodeHex",
    "decodeBase64",
];

/// A charset named in a conversion call (`StandardCharsets.UTF_8`, `"UTF-8"`, `Encoding.ASCII`,
/// `.utf8`, `Charsets.UTF_8`) or the codec object of a decoding call (`Base64.getDecoder()`,
/// `Convert`, `Hex`): not part of the converted value.
fn is_codec(text: &str) -> bool {
    static CODEC: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    CODEC
        .get_or_init(|| {
            Regex::new(
                r#"(?i)^(?:[\w.]*\.)?(?:utf_?-?(?:8|16|16le|16be|32)|us_ascii|ascii|iso_8859_1|latin1|unicode|bigendianunicode|defaultcharset\(\))$|^"(?:utf-?8|utf-?16\w*|us-ascii|ascii|iso-8859-1|latin1)"$|^(?:[\w.]*\.)?charset\.forname\([^)]*\)$|^(?:java\.util\.)?base64\.get(?:mime|url)?decoder\(\)$|^(?:system\.)?convert$|^hex$|^datatypeconverter$|^base64$"#,
            )
            .expect("codec regex compiles")
        })
        .is_match(text.trim())
}

/// C functions that write a string (or bytes) into their first argument.
const OUT_PARAMETER_WRITERS: &[&str] = &[
    "sprintf",
    "snprintf",
    "vsprintf",
    "vsnprintf",
    "swprintf",
    "strcpy",
    "strncpy",
    "strcat",
    "strncat",
    "stpcpy",
    "wcscpy",
    "wcscat",
    "memcpy",
    "memmove",
    "strlcpy",
    "strlcat",
    // Fill their first argument from outside: the buffer no longer holds its initialiser.
    "fgets",
    "fgetws",
    "gets",
    "fread",
    "RAND_bytes",
    "RAND_priv_bytes",
    "RAND_pseudo_bytes",
    "getrandom",
    "getentropy",
    "arc4random_buf",
    "randombytes_buf",
];

/// Methods that add their argument to the object they are called on (a string builder, a
/// list of parts), so a statement calling one changes the variable's value.
const BUILDER_METHODS: &[&str] = &[
    "append",
    "Append",
    "AppendLine",
    "AppendFormat",
    "insert",
    "Insert",
    "push",
    "push_str",
    "extend",
    "concat",
    "write",
    "WriteString",
];

/// Calls that write what they read into an argument (`stdin.read_line(&mut line)`,
/// `recv(s, buf, n, 0)`, `fmt.Scan(&name)`; C's `fgets` is in [`OUT_PARAMETER_WRITERS`]): a
/// call to one gives that variable a new value, the call, so a source listed for the call
/// taints the variable.
const OUT_PARAM_READS: &[&str] = &[
    "read_line",
    "read_to_string",
    "read_to_end",
    "read_exact",
    "read",
    "recv",
    "recvfrom",
    "getline",
    "scanf",
    "fscanf",
    "Scan",
    "Scanln",
    "Scanf",
    "Fscan",
    "Fscanln",
    "Fscanf",
    "ReadFull",
];

/// The variable an out-parameter argument names: `&mut x`, `&x` (Rust, Go, C), or a bare
/// identifier for C's buffer arguments.
fn out_param_name<'t>(arg: Node<'t>, code: &'t str, bare: bool) -> Option<&'t str> {
    if is(arg.kind(), IDENTS) {
        return bare.then(|| text(arg, code));
    }
    if !matches!(
        arg.kind(),
        "reference_expression" | "unary_expression" | "pointer_expression"
    ) || !text(arg, code).starts_with('&')
    {
        return None;
    }
    let inner = last_named(arg)?;
    is(inner.kind(), IDENTS).then(|| text(inner, code))
}

fn last_named(node: Node<'_>) -> Option<Node<'_>> {
    let count = u32::try_from(node.named_child_count()).ok()?;
    node.named_child(count.checked_sub(1)?)
}

/// The last named child that is an expression, not punctuation (`{`, `}` of C#'s
/// interpolation, a format clause).
fn last_expression(node: Node<'_>) -> Option<Node<'_>> {
    let mut cursor = node.walk();
    let children: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
    children.into_iter().rev().find(|c| {
        let k = c.kind();
        !(k.contains("brace")
            || k.contains("delimiter")
            || k.ends_with("_start")
            || k.ends_with("_end")
            || k.contains("format_clause")
            || k.contains("alignment_clause")
            || k.contains("comment"))
    })
}

fn is(kind: &str, list: &[&str]) -> bool {
    list.contains(&kind)
}

fn text<'a>(node: Node<'_>, code: &'a str) -> &'a str {
    code.get(node.start_byte()..node.end_byte()).unwrap_or("")
}

fn contains(outer: Node<'_>, inner: Node<'_>) -> bool {
    outer.start_byte() <= inner.start_byte() && inner.end_byte() <= outer.end_byte()
}

/// Node kinds that open a function scope (for values, and for rule exclusions in the scanner).
pub(crate) fn is_function(kind: &str) -> bool {
    matches!(
        kind,
        "function_definition"
            | "function_declaration"
            | "function_item"
            | "method_declaration"
            | "method"
            | "singleton_method"
            | "method_definition"
            | "function_expression"
            | "arrow_function"
            | "lambda"
            | "lambda_expression"
            | "constructor_declaration"
            | "local_function_statement"
            | "func_literal"
            | "closure_expression"
            | "anonymous_function"
            | "anonymous_function_creation_expression"
            | "init_declaration"
            | "secondary_constructor"
            | "do_block"
            | "block_statement"
    )
}

/// A map keyed by node id (an address): SipHash's DoS resistance buys nothing for keys the
/// parser chose, and hashing every named node of a block with it was a visible share of a scan.
type IdMap<V> = HashMap<usize, V, std::hash::BuildHasherDefault<IdHasher>>;

/// Fibonacci hashing of one `usize`, for [`IdMap`].
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_right(29);
    }
}

/// One place a name gets a value.
#[derive(Debug, Clone)]
struct Binding<'t> {
    /// Start byte of the enclosing function (0 for the module).
    scope: usize,
    pos: usize,
    /// The binding statement (excluded when evaluating uses inside it).
    stmt: Node<'t>,
    value: Option<Node<'t>>,
    /// `x += v`: the value extends the previous one.
    augment: bool,
    /// A function parameter (no value known inside the function).
    param: bool,
    /// A loop variable: `value` is the iterable it takes elements of (its taint, not its
    /// path: `for e in archive.entries` does not make `e.name` mean `archive.entries.name`).
    element: bool,
    /// `sb.append(x);`: a new value for taint and text, but not for the variable's path
    /// (`w.write(a); w.write(b)` still calls `write` on what `w` was bound to).
    builder: bool,
}

/// What the evaluator knows about one parsed block.
#[derive(Debug)]
pub(crate) struct Facts<'t> {
    language: Language,
    code: &'t str,
    bindings: HashMap<String, Vec<Binding<'t>>>,
    functions: HashMap<String, Node<'t>>,
    aliases: HashMap<String, String>,
    pub calls: Vec<Node<'t>>,
    pub assigns: Vec<(Node<'t>, Node<'t>)>,
    /// Conditionals (`if`, `unless`, `guard`, modifiers), for guards and dead branches.
    ifs: Vec<Node<'t>>,
    /// `return`/`throw`/`raise` statements, after which the rest of a block is dead.
    exits: Vec<Node<'t>>,
    /// Code that never runs: (start, end, enclosing function's start byte).
    dead: Vec<(usize, usize, usize)>,
    scopes: Scopes,
    /// The resolved path of every call in `calls` and of every target in `assigns` (same
    /// order), computed on first use: a path depends on the block only, not on the rule, and
    /// every flow rule's sinks are matched against all of them.
    call_paths: OnceCell<Vec<String>>,
    /// Per call in `calls`: its [`Facts::deep_path`] where that differs from its path.
    call_deep_paths: OnceCell<Vec<Option<String>>>,
    assign_paths: OnceCell<Vec<String>>,
    /// [`Facts::raw_path`] per node id: every call of a chain (`a.b().c().d()`) asks for the
    /// paths of the calls inside it again, which made chains quadratic.
    raw_paths: RefCell<IdMap<String>>,
}

/// The functions that enclose each named node, computed in one walk: tree-sitter's
/// `Node::parent` searches down from the root on every call, so walking up from a node costs
/// O(depth²), and the data-flow lookups did it for every name they resolved.
#[derive(Debug, Default)]
struct Scopes {
    /// Per function node: its start byte and the index of the function enclosing it.
    functions: Vec<(usize, Option<u32>)>,
    /// Per named node (by id): the innermost function strictly enclosing it.
    innermost: IdMap<Option<u32>>,
}

/// Calls `f` on every named node under `root` (itself included) in document order, with its
/// depth, moving one cursor: a child list per node (`named_children`) costs a cursor and a
/// vector each, which was most of the cost of collecting a block's facts.
fn preorder<'t>(root: Node<'t>, mut f: impl FnMut(Node<'t>, usize)) {
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if node.is_named() {
            f(node, depth);
        }
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if depth == 0 || !cursor.goto_parent() {
                return;
            }
            depth -= 1;
        }
    }
}

impl Scopes {
    /// The scopes of a whole tree alone ([`Facts::collect`] records them during its walk).
    #[cfg(test)]
    fn build(root: Node<'_>) -> Scopes {
        let mut scopes = Scopes::default();
        // The functions open at the current node: (depth, index in `functions`).
        let mut open: Vec<(usize, u32)> = Vec::new();
        preorder(root, |node, depth| scopes.record(node, depth, &mut open));
        scopes
    }

    /// The start bytes of the functions enclosing `node`, innermost first (as walking up
    /// its parents finds them).
    fn chain(&self, node: Node<'_>, out: &mut Vec<usize>) {
        match self.innermost.get(&node.id()) {
            Some(&inner) => {
                let mut cur = inner;
                while let Some(i) = cur {
                    let Some(&(start, up)) = self.functions.get(i as usize) else {
                        break;
                    };
                    out.push(start);
                    cur = up;
                }
            }
            // Not a named node of the walk (an anonymous token): walk up.
            None => {
                let mut cur = node.parent();
                while let Some(n) = cur {
                    if is_function(n.kind()) {
                        out.push(n.start_byte());
                    }
                    cur = n.parent();
                }
            }
        }
    }

    /// The start byte of the innermost function enclosing `node`, 0 at module level.
    fn enclosing(&self, node: Node<'_>) -> usize {
        match self.innermost.get(&node.id()) {
            Some(&Some(i)) => self.functions.get(i as usize).map_or(0, |f| f.0),
            Some(&None) => 0,
            None => {
                let mut chain = Vec::new();
                self.chain(node, &mut chain);
                chain.first().copied().unwrap_or(0)
            }
        }
    }

    /// Records `node` (at `depth` of a preorder walk) with the functions open around it.
    fn record(&mut self, node: Node<'_>, depth: usize, open: &mut Vec<(usize, u32)>) {
        while open.last().is_some_and(|&(d, _)| d >= depth) {
            open.pop();
        }
        let enclosing = open.last().map(|&(_, i)| i);
        self.innermost.insert(node.id(), enclosing);
        if is_function(node.kind()) {
            self.functions.push((node.start_byte(), enclosing));
            if let Ok(i) = u32::try_from(self.functions.len() - 1) {
                open.push((depth, i));
            }
        }
    }
}

/// The identifier a declarator or pattern names (`*p`, `buf[10]`, `mut x`).
fn declared_name<'a>(node: Node<'_>, code: &'a str) -> Option<&'a str> {
    if is(node.kind(), IDENTS) || is(node.kind(), MEMBERS) {
        return Some(text(node, code));
    }
    for field in ["declarator", "name", "pattern", "left"] {
        if let Some(inner) = node.field(field) {
            return declared_name(inner, code);
        }
    }
    let mut cursor = node.walk();
    let found = node.named_children(&mut cursor).find(|c| {
        is(c.kind(), IDENTS) || c.kind().ends_with("declarator") || c.kind() == "pattern"
    });
    found.and_then(|c| declared_name(c, code))
}

/// The names a JavaScript destructuring pattern binds (`{ a, b: c, ...rest }`, `[x, , y]`,
/// nested, with defaults).
fn pattern_names<'a>(pattern: Node<'_>, code: &'a str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut stack = vec![pattern];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "shorthand_property_identifier_pattern" | "identifier" => out.push(text(n, code)),
            // `{ key: value }`: the value side is the name (or a nested pattern).
            "pair_pattern" => stack.extend(n.field("value")),
            // `{ a = 1 }`, `[b = 2]`: the left side.
            "object_assignment_pattern" | "assignment_pattern" => stack.extend(n.field("left")),
            _ => {
                let mut cursor = n.walk();
                stack.extend(n.named_children(&mut cursor));
            }
        }
    }
    out
}

impl<'t> Facts<'t> {
    pub(crate) fn collect(language: Language, root: Node<'t>, code: &'t str) -> Facts<'t> {
        let mut facts = Facts {
            language,
            code,
            bindings: HashMap::new(),
            functions: HashMap::new(),
            aliases: HashMap::new(),
            calls: Vec::new(),
            assigns: Vec::new(),
            ifs: Vec::new(),
            exits: Vec::new(),
            dead: Vec::new(),
            scopes: Scopes::default(),
            call_paths: OnceCell::new(),
            call_deep_paths: OnceCell::new(),
            assign_paths: OnceCell::new(),
            raw_paths: RefCell::new(IdMap::default()),
        };
        // One walk records each node's enclosing functions, then visits it: a binding made
        // on a child not yet recorded (a parameter's name) finds its scope by walking up.
        let mut open: Vec<(usize, u32)> = Vec::new();
        preorder(root, |node, depth| {
            facts.scopes.record(node, depth, &mut open);
            facts.visit(node);
        });
        facts.calls.sort_by_key(|n| n.start_byte());
        let dead = control::dead_ranges(&facts);
        facts.dead = dead;
        facts
    }

    /// Whether `node` sits in code that never runs (a constant-false branch, or after a
    /// `return` in its block) of its own function.
    pub(crate) fn is_dead(&self, node: Node<'t>) -> bool {
        !self.dead.is_empty() && self.is_dead_at(node.start_byte(), self.scopes.enclosing(node))
    }

    fn is_dead_at(&self, pos: usize, scope: usize) -> bool {
        self.dead
            .iter()
            .any(|&(start, end, s)| s == scope && start <= pos && pos < end)
    }

    /// The resolved paths of `calls`, callee only (no trailing `()`), in the same order.
    fn call_paths(&self) -> &[String] {
        self.call_paths.get_or_init(|| {
            self.calls
                .iter()
                .map(|&call| {
                    let mut path = self.path(call);
                    while path.ends_with("()") {
                        path.truncate(path.len() - 2);
                    }
                    path
                })
                .collect()
        })
    }

    /// The deep paths of `calls` (callee only), in the same order: `None` where a call's deep
    /// path is its path.
    fn call_deep_paths(&self) -> &[Option<String>] {
        self.call_deep_paths.get_or_init(|| {
            self.calls
                .iter()
                .zip(self.call_paths())
                .map(|(&call, path)| {
                    let mut deep = self.deep_path(call, 0)?;
                    while deep.ends_with("()") {
                        deep.truncate(deep.len() - 2);
                    }
                    (deep != *path).then_some(deep)
                })
                .collect()
        })
    }

    /// The path of a call whose receiver variable is bound to another call
    /// (`db = dbf.newDocumentBuilder(); db.parse(x)`), with the variable replaced by that call's
    /// own path, recursively: `DocumentBuilderFactory.newInstance().newDocumentBuilder().parse()`.
    /// [`Facts::path`] does not follow such bindings (a sink naming the variable's usual name,
    /// `.*[Ss]hell\.evaluate`, would stop matching), so sinks are matched against both. Made of
    /// the block's own text like any path, so sink words stay exact. `None` when the head is not
    /// a variable bound to a call.
    fn deep_path(&self, node: Node<'t>, depth: usize) -> Option<String> {
        if depth > 6 {
            return None;
        }
        let raw = self.raw_path(node, 0);
        let (head, rest) = match raw.find(['.', '(']) {
            Some(i) => (&raw[..i], &raw[i..]),
            None => (raw.as_str(), ""),
        };
        if rest.is_empty() || self.aliases.contains_key(head) {
            return None;
        }
        let binding = self.lookup_path(head, node)?;
        let value = binding.value?;
        if binding.augment
            || binding.param
            || binding.element
            || !is(value.kind(), CALLS)
            || text(value, self.code) == head
        {
            return None;
        }
        let inner = self
            .deep_path(value, depth + 1)
            .unwrap_or_else(|| self.path(value));
        Some(format!("{inner}{rest}"))
    }

    /// The resolved paths of the targets in `assigns`, in the same order.
    fn assign_paths(&self) -> &[String] {
        self.assign_paths.get_or_init(|| {
            self.assigns
                .iter()
                .map(|&(target, _)| self.path(target))
                .collect()
        })
    }

    fn bind(
        &mut self,
        name: &str,
        stmt: Node<'t>,
        value: Option<Node<'t>>,
        augment: bool,
        param: bool,
    ) -> Option<&mut Binding<'t>> {
        let name = normalise_path(name);
        if name.is_empty() {
            return None;
        }
        // A parameter belongs to the function it is declared in, like any other binding.
        let scope = self.scopes.enclosing(stmt);
        let list = self.bindings.entry(name).or_default();
        list.push(Binding {
            scope,
            pos: stmt.start_byte(),
            stmt,
            value,
            augment,
            param,
            element: false,
            builder: false,
        });
        list.last_mut()
    }

    fn visit(&mut self, node: Node<'t>) {
        let code = self.code;
        let kind = node.kind();
        if is(kind, CALLS) {
            self.calls.push(node);
            self.bind_out_parameter(node);
            self.bind_read_targets(node);
        }
        if is(kind, control::IFS) {
            self.ifs.push(node);
        }
        if control::is_exit(kind) {
            self.exits.push(node);
        }
        if is_function(kind) {
            if let Some(name) = node.field("name") {
                self.functions.insert(text(name, code).to_string(), node);
            } else if let Some(decl) = node.field("declarator")
                && let Some(name) = declared_name(decl, code)
            {
                self.functions.insert(name.to_string(), node);
            }
        }
        match kind {
            // x = v (most grammars), x += v
            "assignment"
            | "assignment_expression"
            | "augmented_assignment"
            | "augmented_assignment_expression"
            | "operator_assignment"
            | "compound_assignment_expr"
            | "assignment_statement"
            | "short_var_declaration"
            | "variable_assignment" => {
                let left = node
                    .field("left")
                    .or_else(|| node.field("target"))
                    .or_else(|| node.field("name"))
                    .or_else(|| node.named_child(0));
                let right = node
                    .field("right")
                    .or_else(|| node.field("result"))
                    .or_else(|| node.field("value"))
                    .or_else(|| last_named(node));
                let (Some(left), Some(right)) = (left, right) else {
                    return;
                };
                let operator = node
                    .field("operator")
                    .map(|o| text(o, code).to_string())
                    .unwrap_or_else(|| {
                        let between = code.get(left.end_byte()..right.start_byte()).unwrap_or("");
                        between.trim().to_string()
                    });
                let augment = kind.contains("augmented")
                    || kind == "operator_assignment"
                    || kind == "compound_assignment_expr"
                    || operator.starts_with('+')
                    || operator.starts_with(".=")
                    || operator.starts_with("<<");
                if left.kind() == "expression_list" && right.kind() == "expression_list" {
                    // a, b := f(), g()
                    let mut lc = left.walk();
                    let mut rc = right.walk();
                    let lefts: Vec<Node<'t>> = left.named_children(&mut lc).collect();
                    let rights: Vec<Node<'t>> = right.named_children(&mut rc).collect();
                    for (i, l) in lefts.iter().enumerate() {
                        let value = rights.get(i).copied().or(rights.last().copied());
                        self.bind(text(*l, code), node, value, augment, false);
                        // `cfg.MinVersion = v`: an assignment sink, like other grammars'.
                        if let Some(v) = value
                            && kind == "assignment_statement"
                        {
                            self.assigns.push((*l, v));
                        }
                    }
                } else {
                    let target = if left.kind() == "directly_assignable_expression" {
                        left.named_child(0).unwrap_or(left)
                    } else {
                        left
                    };
                    let value =
                        if right.kind() == "expression_list" && right.named_child_count() == 1 {
                            right.named_child(0)
                        } else {
                            Some(right)
                        };
                    self.bind(text(target, code), node, value, augment, false);
                    // Go's `a.b = v` keeps both sides in one-element expression lists.
                    let target =
                        if target.kind() == "expression_list" && target.named_child_count() == 1 {
                            target.named_child(0).unwrap_or(target)
                        } else {
                            target
                        };
                    self.assigns.push((target, value.unwrap_or(right)));
                }
            }
            // let / var / val / const declarations with a value
            "variable_declarator"
            | "init_declarator"
            | "let_declaration"
            | "var_spec"
            | "const_spec"
            | "const_item"
            | "static_item"
            | "property_declaration"
            | "lexical_declaration_item"
            | "const_declaration_item" => {
                let value = node.field("value").or_else(|| {
                    // C#'s declarator and Kotlin's property keep the value as the last child.
                    let count = node.named_child_count();
                    (count >= 2).then(|| last_named(node)).flatten()
                });
                let name_node = node
                    .field("name")
                    .or_else(|| node.field("declarator"))
                    .or_else(|| node.field("pattern"))
                    .or_else(|| {
                        // Kotlin's `const val` / `private val`: the modifiers come first.
                        let mut cursor = node.walk();
                        node.named_children(&mut cursor)
                            .find(|c| c.kind() != "modifiers")
                    });
                if let Some(name_node) = name_node
                    && matches!(name_node.kind(), "object_pattern" | "array_pattern")
                {
                    // `const { host, port: p } = req.query`, `const [a, b] = argv`: each name
                    // holds a part of the value, tainted when the value is.
                    let value = value.filter(|v| v.id() != name_node.id());
                    for name in pattern_names(name_node, code) {
                        self.bind(name, node, value, false, false);
                    }
                    if let Some(v) = value {
                        self.alias_from_require(name_node, v);
                    }
                } else if let Some(name_node) = name_node
                    && let Some(name) = declared_name(name_node, code)
                {
                    let value = value.filter(|v| v.id() != name_node.id());
                    self.bind(name, node, value, false, false);
                    if let Some(v) = value {
                        self.alias_from_require(name_node, v);
                    }
                }
            }
            // function parameters
            "parameter"
            | "formal_parameter"
            | "simple_parameter"
            | "parameter_declaration"
            | "typed_parameter"
            | "default_parameter"
            | "typed_default_parameter"
            | "required_parameter"
            | "optional_parameter"
            | "keyword_parameter"
            | "optional_parameter_declaration"
            | "variadic_parameter" => {
                // Rust's `Query(q): Query<T>`, `Json(body): Json<T>`: the names inside the
                // tuple-struct pattern, not its type.
                if let Some(p) = node.field("pattern")
                    && p.kind() == "tuple_struct_pattern"
                {
                    let ty = p.field("type").map(|t| t.id());
                    let mut cursor = p.walk();
                    let names: Vec<&'t str> = p
                        .named_children(&mut cursor)
                        .filter(|c| Some(c.id()) != ty && is(c.kind(), IDENTS))
                        .map(|c| text(c, code))
                        .collect();
                    for name in names {
                        self.bind(name, node, None, false, true);
                    }
                } else if let Some(name) = node
                    .field("name")
                    .or_else(|| node.field("pattern"))
                    .or_else(|| node.field("declarator"))
                    .and_then(|n| declared_name(n, code))
                    .or_else(|| declared_name(node, code))
                {
                    self.bind(name, node, None, false, true);
                }
            }
            // `for _, v := range xs`, `for x in xs`, `for (const x of xs)`: the loop variable
            // holds an element of the iterable, tainted when the iterable is.
            "range_clause"
            | "for_statement"
            | "for_in_clause"
            | "for_in_statement"
            | "for_expression"
            | "enhanced_for_statement"
            | "foreach_statement"
            | "for" => {
                let left = node
                    .field("left")
                    .or_else(|| node.field("pattern"))
                    .or_else(|| node.field("name"));
                let right = node.field("right").or_else(|| node.field("value"));
                if let (Some(left), Some(right)) = (left, right) {
                    let mut stack = vec![left];
                    while let Some(n) = stack.pop() {
                        if is(n.kind(), IDENTS) {
                            let name = text(n, code);
                            if name != "_"
                                && let Some(b) = self.bind(name, left, Some(right), false, false)
                            {
                                b.element = true;
                            }
                        } else {
                            let mut cursor = n.walk();
                            stack.extend(n.named_children(&mut cursor));
                        }
                    }
                }
            }
            // `sb.append(x);`, `parts.push(x);`: a statement that grows a builder gives its
            // variable a new value, the call (which joins the old value and the argument).
            "expression_statement" => {
                if let Some(call) = node.named_child(0)
                    && is(call.kind(), CALLS)
                    && let Some(name) = self.builder_receiver(call)
                    && let Some(b) = self.bind(name, call, Some(call), false, false)
                {
                    b.builder = true;
                }
            }
            "parameters" | "method_parameters" | "formal_parameters" | "lambda_parameters"
            | "block_parameters" => {
                // Bare identifiers in a parameter list (Python, Ruby, JavaScript).
                let mut cursor = node.walk();
                let idents: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|c| is(c.kind(), IDENTS))
                    .collect();
                for ident in idents {
                    self.bind(text(ident, code), ident, None, false, true);
                }
            }
            _ => {}
        }
        self.collect_import(node);
    }

    /// `stdin().read_line(&mut line)`, `n = recv(fd, buf, len, 0)`: a call that is one of
    /// [`OUT_PARAM_READS`] binds the variables its out-parameters name to the call, wherever
    /// the call stands (statement, declaration, condition). Called for every call node.
    fn bind_read_targets(&mut self, call: Node<'t>) {
        let code = self.code;
        let method = callee_of(call).map_or("", |c| {
            let t = text(c, code);
            t.rsplit(['.', ':']).next().unwrap_or(t).trim()
        });
        if !is(method, OUT_PARAM_READS) {
            return;
        }
        // C's buffer is a bare name: the second argument of read/recv/recvfrom (after the
        // descriptor).
        let c = matches!(self.language, Language::C | Language::Cpp);
        let bare_at = (c && matches!(method, "read" | "recv" | "recvfrom")).then_some(1);
        for (i, arg) in call_parts(call, code).positional.iter().enumerate() {
            if let Some(name) = out_param_name(*arg, code, bare_at == Some(i))
                && let Some(b) = self.bind(name, call, Some(call), false, false)
            {
                b.builder = true;
            }
        }
    }

    /// The variable a builder call grows: the innermost receiver of `sb.append(a).append(b)`
    /// when every method in the chain is one of [`BUILDER_METHODS`].
    fn builder_receiver(&self, call: Node<'t>) -> Option<&'t str> {
        let code = self.code;
        let mut cur = call;
        for _ in 0..8 {
            let parts = call_parts(cur, code);
            if parts.positional.is_empty() {
                return None;
            }
            // Java's method_invocation and Ruby's call name their receiver and method.
            let (object, method) = match (
                cur.field("object").or_else(|| cur.field("receiver")),
                cur.field("name").or_else(|| cur.field("method")),
            ) {
                (Some(o), Some(m)) => (o, text(m, code)),
                _ => {
                    let callee = parts.callee?;
                    if !is(callee.kind(), MEMBERS) {
                        return None;
                    }
                    let t = text(callee, code);
                    let object = callee
                        .field("object")
                        .or_else(|| callee.field("expression"))
                        .or_else(|| callee.field("operand"))
                        .or_else(|| callee.named_child(0))?;
                    (object, t.rsplit(['.', ':']).next().unwrap_or(t).trim())
                }
            };
            if !is(method, BUILDER_METHODS) {
                return None;
            }
            if is(object.kind(), IDENTS) {
                return Some(text(object, code));
            }
            if !is(object.kind(), CALLS) {
                return None;
            }
            cur = object;
        }
        None
    }

    /// C's `sprintf(buf, ...)`, `strcpy(buf, src)`, `strcat(buf, src)` write their first
    /// argument: a binding of `buf` whose value is the call (the call's value joins its
    /// arguments, `buf`'s previous value included).
    fn bind_out_parameter(&mut self, call: Node<'t>) {
        if !matches!(self.language, Language::C | Language::Cpp) {
            return;
        }
        let code = self.code;
        let Some(function) = call.field("function") else {
            return;
        };
        if !is(text(function, code), OUT_PARAMETER_WRITERS) {
            return;
        }
        let Some(first) = call.field("arguments").and_then(|a| a.named_child(0)) else {
            return;
        };
        if let Some(name) = declared_name(first, code) {
            self.bind(name, call, Some(call), false, false);
        }
    }

    /// `const cp = require("child_process")`, `const { exec } = require("child_process")`.
    fn alias_from_require(&mut self, name_node: Node<'t>, value: Node<'t>) {
        let code = self.code;
        if !matches!(self.language, Language::JavaScript | Language::TypeScript) {
            return;
        }
        let Some(module) = require_target(value, code) else {
            return;
        };
        if name_node.kind() == "object_pattern" {
            let mut cursor = name_node.walk();
            for prop in name_node.named_children(&mut cursor) {
                match prop.kind() {
                    "shorthand_property_identifier_pattern" => {
                        let n = text(prop, code);
                        self.aliases.insert(n.to_string(), format!("{module}.{n}"));
                    }
                    "pair_pattern" => {
                        if let (Some(k), Some(v)) = (prop.field("key"), prop.field("value")) {
                            self.aliases.insert(
                                text(v, code).to_string(),
                                format!("{module}.{}", text(k, code)),
                            );
                        }
                    }
                    _ => {}
                }
            }
        } else {
            self.aliases
                .insert(text(name_node, code).to_string(), module);
        }
    }

    fn collect_import(&mut self, node: Node<'t>) {
        let code = self.code;
        match (self.language, node.kind()) {
            (Language::Python, "import_statement") => {
                let mut cursor = node.walk();
                for child in node.named_children(&mut cursor) {
                    if child.kind() == "aliased_import"
                        && let (Some(n), Some(a)) = (child.field("name"), child.field("alias"))
                    {
                        self.aliases
                            .insert(text(a, code).to_string(), text(n, code).to_string());
                    }
                }
            }
            (Language::Python, "import_from_statement") => {
                let Some(module) = node.field("module_name") else {
                    return;
                };
                let module = text(module, code).to_string();
                let mut cursor = node.walk();
                for child in node.children_by_field("name", &mut cursor) {
                    if child.kind() == "aliased_import" {
                        if let (Some(n), Some(a)) = (child.field("name"), child.field("alias")) {
                            self.aliases.insert(
                                text(a, code).to_string(),
                                format!("{module}.{}", text(n, code)),
                            );
                        }
                    } else {
                        let n = text(child, code);
                        self.aliases.insert(n.to_string(), format!("{module}.{n}"));
                    }
                }
            }
            (Language::JavaScript | Language::TypeScript, "import_statement") => {
                let Some(source) = node.field("source") else {
                    return;
                };
                let module = unquote(text(source, code)).to_string();
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    match n.kind() {
                        "import_specifier" => {
                            let name = n.field("name").map(|x| text(x, code));
                            let alias = n.field("alias").map(|x| text(x, code));
                            if let Some(name) = name {
                                self.aliases.insert(
                                    alias.unwrap_or(name).to_string(),
                                    format!("{module}.{name}"),
                                );
                            }
                        }
                        "namespace_import" => {
                            if let Some(id) = n.named_child(0) {
                                self.aliases
                                    .insert(text(id, code).to_string(), module.clone());
                            }
                        }
                        "import_clause" => {
                            let mut cursor = n.walk();
                            for c in n.named_children(&mut cursor) {
                                if c.kind() == "identifier" {
                                    self.aliases
                                        .insert(text(c, code).to_string(), module.clone());
                                } else {
                                    stack.push(c);
                                }
                            }
                        }
                        _ => {
                            let mut cursor = n.walk();
                            stack.extend(n.named_children(&mut cursor));
                        }
                    }
                }
            }
            (Language::Go, "import_spec") => {
                let (Some(path), Some(name)) = (node.field("path"), node.field("name")) else {
                    return;
                };
                let path = unquote(text(path, code));
                let last = path.rsplit('/').next().unwrap_or(path);
                self.aliases
                    .insert(text(name, code).to_string(), last.to_string());
            }
            (Language::Rust, "use_declaration") => {
                if let Some(arg) = node.field("argument") {
                    self.rust_use(arg, "");
                }
            }
            (Language::Kotlin, "import") => {
                // import a.b.C as D
                let count = node.named_child_count();
                if count == 2
                    && let (Some(path), Some(alias)) = (node.named_child(0), node.named_child(1))
                {
                    self.aliases.insert(
                        text(alias, code).to_string(),
                        normalise_path(text(path, code)),
                    );
                }
            }
            _ => {}
        }
    }

    fn rust_use(&mut self, node: Node<'t>, prefix: &str) {
        let code = self.code;
        let join = |p: &str, s: &str| {
            if p.is_empty() {
                s.to_string()
            } else {
                format!("{p}.{s}")
            }
        };
        match node.kind() {
            "scoped_identifier" | "identifier" => {
                let full = join(prefix, &normalise_path(text(node, code)));
                let last = full.rsplit('.').next().unwrap_or(&full).to_string();
                if last != full {
                    self.aliases.insert(last, full);
                }
            }
            "use_as_clause" => {
                if let (Some(p), Some(a)) = (node.field("path"), node.field("alias")) {
                    self.aliases.insert(
                        text(a, code).to_string(),
                        join(prefix, &normalise_path(text(p, code))),
                    );
                }
            }
            "scoped_use_list" => {
                let base = node
                    .field("path")
                    .map(|p| join(prefix, &normalise_path(text(p, code))))
                    .unwrap_or_else(|| prefix.to_string());
                if let Some(list) = node.field("list") {
                    let mut cursor = list.walk();
                    let items: Vec<Node<'t>> = list.named_children(&mut cursor).collect();
                    for item in items {
                        self.rust_use(item, &base);
                    }
                }
            }
            _ => {}
        }
    }

    /// The dotted path of a callee or member expression, with import aliases, simple
    /// `x = module.attr` assignments and `x = new T(...)` constructions (`new T()`) resolved on
    /// its first segment.
    pub(crate) fn path(&self, node: Node<'t>) -> String {
        let raw = self.raw_path(node, 0);
        let (head, rest) = match raw.find(['.', '(']) {
            Some(i) => (&raw[..i], &raw[i..]),
            None => (raw.as_str(), ""),
        };
        if let Some(full) = self.aliases.get(head) {
            return format!("{full}{rest}");
        }
        // `put = requests.put` / `sp = subprocess`: an identifier bound to a path.
        if let Some(binding) = self.lookup_path(head, node)
            && let Some(value) = binding.value
            && (is(value.kind(), MEMBERS)
                || is(value.kind(), IDENTS)
                || matches!(
                    value.kind(),
                    "object_creation_expression" | "new_expression"
                ))
            && !binding.augment
            && !binding.element
            && text(value, self.code) != head
        {
            let inner = self.raw_path(value, 0);
            let (ihead, irest) = match inner.find(['.', '(']) {
                Some(i) => (&inner[..i], &inner[i..]),
                None => (inner.as_str(), ""),
            };
            let inner = match self.aliases.get(ihead) {
                Some(full) => format!("{full}{irest}"),
                None => inner.clone(),
            };
            return format!("{inner}{rest}");
        }
        raw
    }

    fn raw_path(&self, node: Node<'t>, depth: usize) -> String {
        if depth > 12 {
            return "?".into();
        }
        if let Some(known) = self.raw_paths.borrow().get(&node.id()) {
            return known.clone();
        }
        let path = self.raw_path_uncached(node, depth);
        self.raw_paths.borrow_mut().insert(node.id(), path.clone());
        path
    }

    fn raw_path_uncached(&self, node: Node<'t>, depth: usize) -> String {
        let code = self.code;
        let kind = node.kind();
        // Rust's `Key::<Aes256Gcm>` / `Encryptor::<Aes256>::new`: the path without generics.
        if matches!(kind, "generic_type" | "generic_function")
            && let Some(inner) = node.field("type").or_else(|| node.field("function"))
        {
            return self.raw_path(inner, depth + 1);
        }
        if is(kind, MEMBERS) {
            let object = node
                .field("object")
                .or_else(|| node.field("operand"))
                .or_else(|| node.field("value"))
                .or_else(|| node.field("expression"))
                .or_else(|| node.field("path"))
                .or_else(|| node.field("scope"))
                .or_else(|| node.field("target"))
                .or_else(|| node.named_child(0));
            let field = node
                .field("attribute")
                .or_else(|| node.field("property"))
                .or_else(|| node.field("field"))
                .or_else(|| node.field("name"))
                .or_else(|| node.field("suffix"))
                .or_else(|| last_named(node));
            let field_text = field
                .map(|f| normalise_path(text(f, code)))
                .unwrap_or_default();
            let field_text = field_text.trim_start_matches('.').to_string();
            return match object {
                Some(o) if field.is_some_and(|f| f.id() != o.id()) => {
                    format!("{}.{}", self.raw_path(o, depth + 1), field_text)
                }
                _ => normalise_path(text(node, code)),
            };
        }
        match kind {
            "subshell" | "shell_command_expression" => return "`".into(),
            "echo_statement" | "print_intrinsic" => return "echo".into(),
            "include_expression"
            | "require_expression"
            | "include_once_expression"
            | "require_once_expression" => return "include".into(),
            _ => {}
        }
        if is(kind, CALLS) {
            let parts = call_parts(node, code);
            // Ruby's `recv.m(...)`: receiver + method.
            if kind == "call"
                && let Some(recv) = node.field("receiver")
            {
                let m = node.field("method").map(|m| text(m, code)).unwrap_or("");
                return format!("{}.{}()", self.raw_path(recv, depth + 1), m);
            }
            let base = parts
                .callee
                .map(|c| self.raw_path(c, depth + 1))
                .unwrap_or_else(|| "?".into());
            let prefix = if parts.is_new { "new " } else { "" };
            // Java's `obj.m(...)`: object field + name.
            if kind == "method_invocation"
                && let Some(obj) = node.field("object")
            {
                return format!("{}.{}()", self.raw_path(obj, depth + 1), base);
            }
            return format!("{prefix}{base}()");
        }
        if is(kind, STRINGS) {
            return "\"\"".into();
        }
        if kind == "navigation_suffix" {
            return node
                .field("suffix")
                .map(|s| text(s, code).to_string())
                .unwrap_or_else(|| normalise_path(text(node, code)));
        }
        if is(kind, SUBSCRIPTS) {
            let object = node
                .field("value")
                .or_else(|| node.field("object"))
                .or_else(|| node.field("operand"))
                .or_else(|| node.field("array"))
                .or_else(|| node.field("expression"))
                .or_else(|| node.named_child(0));
            return match object {
                Some(o) => format!("{}[]", self.raw_path(o, depth + 1)),
                None => "?[]".into(),
            };
        }
        if is(kind, TRANSPARENT)
            && let Some(inner) = node.named_child(0)
        {
            return self.raw_path(inner, depth + 1);
        }
        normalise_path(text(node, code))
    }

    /// The binding a use of `name` at `at` sees: the last one before it in the innermost scope
    /// that has one (outer scopes: any position, as module constants often follow functions).
    fn lookup(&self, name: &str, at: Node<'t>) -> Option<&Binding<'t>> {
        self.lookup_where(name, at, |_| true)
    }

    /// [`Facts::lookup`] for resolving paths: builder statements do not rebind a path.
    fn lookup_path(&self, name: &str, at: Node<'t>) -> Option<&Binding<'t>> {
        self.lookup_where(name, at, |b| !b.builder)
    }

    fn lookup_where(
        &self,
        name: &str,
        at: Node<'t>,
        keep: impl Fn(&Binding<'t>) -> bool,
    ) -> Option<&Binding<'t>> {
        let candidates = self.bindings.get(name)?;
        let mut scopes = Vec::new();
        self.scopes.chain(at, &mut scopes);
        scopes.push(0);
        for (depth, scope) in scopes.iter().enumerate() {
            let best = candidates
                .iter()
                .filter(|b| b.scope == *scope)
                .filter(|b| !contains(b.stmt, at) || b.param)
                .filter(|b| depth > 0 || b.pos < at.start_byte() || b.param)
                .filter(|b| b.param || !self.is_dead_at(b.pos, b.scope))
                .filter(|b| keep(b))
                .max_by_key(|b| (!b.param, b.pos));
            if best.is_some() {
                return best;
            }
        }
        None
    }
}

impl<'t> Facts<'t> {
    /// Whether `name` has bindings visible at `at` but all of them in code that never runs
    /// (`char *p; if (0) p = argv[1]; printf(p);`): then it never gets a value from anywhere.
    fn bound_only_in_dead_code(&self, name: &str, at: Node<'t>) -> bool {
        if self.dead.is_empty() {
            return false;
        }
        let Some(candidates) = self.bindings.get(name) else {
            return false;
        };
        let scope = self.scopes.enclosing(at);
        let before: Vec<&Binding<'t>> = candidates
            .iter()
            .filter(|b| b.scope == scope && b.pos < at.start_byte() && !b.param)
            .collect();
        !before.is_empty() && before.iter().all(|b| self.is_dead_at(b.pos, b.scope))
    }
}

fn unquote(s: &str) -> &str {
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
}

/// `a::b`, `a->b`, `a?.b`, `$a` become `a.b`, `a`.
/// Generic arguments (`EvaluateAsync<int>`, `Hmac::<Sha1>`) are dropped.
fn normalise_path(s: &str) -> String {
    // Most paths are plain dotted names, which every step below leaves as they are.
    if s.chars()
        .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !s.contains("..")
    {
        return s.to_string();
    }
    let s = s.replace("::", ".").replace("->", ".").replace("?.", ".");
    let mut out = String::with_capacity(s.len());
    let mut angle = 0usize;
    for c in s.chars() {
        match c {
            '<' => angle += 1,
            '>' if angle > 0 => angle -= 1,
            _ if angle > 0 => {}
            c if c.is_whitespace() || matches!(c, '$' | '@' | '&' | '*') => {}
            c => out.push(c),
        }
    }
    out.replace("..", ".")
}

fn require_target(value: Node<'_>, code: &str) -> Option<String> {
    // require("m") or require("m").x
    match value.kind() {
        "call_expression" => {
            let f = value.field("function")?;
            if text(f, code) != "require" {
                return None;
            }
            let args = value.field("arguments")?;
            let first = args.named_child(0)?;
            Some(unquote(text(first, code)).to_string())
        }
        "member_expression" => {
            let obj = value.field("object")?;
            let prop = value.field("property")?;
            Some(format!(
                "{}.{}",
                require_target(obj, code)?,
                text(prop, code)
            ))
        }
        _ => None,
    }
}

/// The callee and arguments of a call node.
pub(crate) struct CallParts<'t> {
    pub callee: Option<Node<'t>>,
    /// For `new T(...)`: the type.
    pub is_new: bool,
    pub positional: Vec<Node<'t>>,
    pub keywords: Vec<(String, Node<'t>)>,
}

fn arguments_node<'t>(call: Node<'t>) -> Option<Node<'t>> {
    if let Some(args) = call.field("arguments") {
        return Some(args);
    }
    let mut cursor = call.walk();
    let found = call.named_children(&mut cursor).find(|c| {
        matches!(
            c.kind(),
            "argument_list" | "arguments" | "value_arguments" | "call_suffix" | "token_tree"
        )
    });
    match found {
        Some(n) if n.kind() == "call_suffix" => {
            let mut c2 = n.walk();
            let inner = n
                .named_children(&mut c2)
                .find(|c| c.kind() == "value_arguments");
            inner.or(Some(n))
        }
        other => other,
    }
}

/// The callee of a call node (function, method, constructor, type or macro name), as
/// [`call_parts`] reads it for the kinds it does not special-case, without its arguments.
fn callee_of(call: Node<'_>) -> Option<Node<'_>> {
    call.field("function")
        .or_else(|| call.field("method"))
        .or_else(|| call.field("name"))
        .or_else(|| call.field("constructor"))
        .or_else(|| call.field("type"))
        .or_else(|| call.field("macro"))
        .or_else(|| call.named_child(0))
}

pub(crate) fn call_parts<'t>(call: Node<'t>, code: &str) -> CallParts<'t> {
    let kind = call.kind();
    let mut parts = CallParts {
        callee: None,
        is_new: matches!(kind, "object_creation_expression" | "new_expression"),
        positional: Vec::new(),
        keywords: Vec::new(),
    };
    match kind {
        "command" => {
            parts.callee = call.field("name");
            let mut cursor = call.walk();
            parts.positional = call.children_by_field("argument", &mut cursor).collect();
            return parts;
        }
        "subshell"
        | "shell_command_expression"
        | "echo_statement"
        | "include_expression"
        | "require_expression"
        | "include_once_expression"
        | "require_once_expression"
        | "print_intrinsic" => {
            let mut cursor = call.walk();
            parts.positional = call.named_children(&mut cursor).collect();
            if kind == "subshell" || kind == "shell_command_expression" {
                // The whole command line is one value.
                parts.positional = vec![call];
            }
            return parts;
        }
        _ => {}
    }
    parts.callee = callee_of(call);
    let Some(args) = arguments_node(call) else {
        return parts;
    };
    if args.kind() == "token_tree" {
        // format!("..{}..", x): string literals and identifiers are the parts.
        let mut cursor = args.walk();
        parts.positional = args.named_children(&mut cursor).collect();
        return parts;
    }
    let mut cursor = args.walk();
    for arg in args.named_children(&mut cursor) {
        match arg.kind() {
            "comment" | "line_comment" | "block_comment" => {}
            "keyword_argument" => {
                if let (Some(n), Some(v)) = (arg.field("name"), arg.field("value")) {
                    parts.keywords.push((text(n, code).to_string(), v));
                }
            }
            "pair" => {
                if let (Some(k), Some(v)) = (arg.field("key"), arg.field("value")) {
                    let key = text(k, code).trim_end_matches(':').trim_start_matches(':');
                    parts.keywords.push((unquote(key).to_string(), v));
                }
            }
            "value_argument" | "argument" => {
                let label = arg.field("name").filter(|_| arg.named_child_count() > 1);
                let value = arg.field("value").or_else(|| last_named(arg));
                match (label, value) {
                    (Some(l), Some(v)) if l.id() != v.id() => {
                        let name = text(l, code).trim_end_matches(':').trim();
                        parts.keywords.push((name.to_string(), v));
                    }
                    (_, Some(v)) => parts.positional.push(v),
                    _ => {}
                }
            }
            _ => parts.positional.push(arg),
        }
    }
    parts
}

/// Evaluates expressions for one rule over one block's facts.
pub(crate) struct Evaluator<'a, 't> {
    pub facts: &'a Facts<'t>,
    pub flow: &'a Flow,
    active: HashSet<usize>,
    /// [`Evaluator::param_tainted_by_callers`] per parameter node.
    caller_taint: HashMap<usize, bool>,
    /// The rule's guarded uses in this block, computed on the first name looked up.
    guarded: OnceCell<Vec<control::Guarded>>,
}

const MAX_DEPTH: usize = 24;

impl<'a, 't> Evaluator<'a, 't> {
    pub(crate) fn new(facts: &'a Facts<'t>, flow: &'a Flow) -> Self {
        Evaluator {
            facts,
            flow,
            active: HashSet::new(),
            caller_taint: HashMap::new(),
            guarded: OnceCell::new(),
        }
    }

    fn code(&self) -> &'t str {
        self.facts.code
    }

    /// Unknown values are tainted when the rule lists no sources.
    fn unknown(&self) -> Val {
        Val::unknown(self.flow.sources.is_none())
    }

    fn is_source(&self, path: &str) -> bool {
        self.flow.sources.as_ref().is_some_and(|s| s.is_match(path))
    }

    /// Whether a parameter's value is tainted: always when the rule lists no sources; else when
    /// the sources list `(parameter)`, or `@Name` for an annotation or attribute the parameter
    /// carries (`@RequestParam String q`, `[FromQuery] string q`: framework-bound request data).
    fn param_is_source(&self, parameter: Node<'t>) -> bool {
        if self.flow.sources.is_none() || self.is_source("(parameter)") {
            return true;
        }
        // Kotlin keeps a parameter's annotations in the `parameter_modifiers` before it.
        let start = parameter
            .prev_named_sibling()
            .filter(|p| p.kind() == "parameter_modifiers")
            .map_or(parameter.start_byte(), |p| p.start_byte());
        let t = &self.code()[start..parameter.end_byte()];
        // `Query(q): Query<Params>`, `req: Request`, `HttpServletRequest r`: a parameter whose
        // type names a framework's request type, tried as `:Name` (each identifier of the type).
        if let Some(ty) = parameter.field("type") {
            let ty = text(ty, self.code());
            if ty
                .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| !w.is_empty())
                .any(|w| self.is_source(&format!(":{w}")))
            {
                return true;
            }
        }
        t.match_indices(['@', '['])
            .filter_map(|(i, _)| {
                let rest = &t[i + 1..];
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                (end > 0).then(|| &rest[..end])
            })
            .any(|name| self.is_source(&format!("@{name}")))
    }

    fn is_sanitizer(&self, path: &str) -> bool {
        self.flow
            .sanitizers
            .as_ref()
            .is_some_and(|s| s.is_match(path))
    }

    /// The value of an expression node.
    pub(crate) fn eval(&mut self, node: Node<'t>) -> Val {
        self.eval_in(node, &HashMap::new(), 0)
    }

    fn eval_in(&mut self, node: Node<'t>, env: &HashMap<String, Val>, depth: usize) -> Val {
        if depth > MAX_DEPTH {
            return self.unknown();
        }
        let code = self.code();
        let kind = node.kind();
        if is(kind, LITERALS) {
            return Val::lit(text(node, code));
        }
        if is(kind, STRINGS) && kind != "heredoc" {
            return self.eval_string(node, env, depth);
        }
        if kind == "subshell"
            || kind == "shell_command_expression"
            || kind == "heredoc_body"
            || kind == "heredoc"
        {
            return self.eval_string(node, env, depth);
        }
        if is(kind, IDENTS) {
            return self.eval_name(node, env, depth);
        }
        // Swift's `x!` / `x?`: the value of `x`.
        if kind == "postfix_expression"
            && self.facts.language == Language::Swift
            && let Some(target) = node.field("target")
        {
            return self.eval_in(target, env, depth + 1);
        }
        // Swift's implicit member (`.TLSv10`, `.utf8`, `.nodeLoadExternalEntitiesAlways`): an
        // enum case or static member named by the code, a constant.
        if kind == "prefix_expression"
            && self.facts.language == Language::Swift
            && text(node, code).starts_with('.')
        {
            return Val::lit(text(node, code));
        }
        if is(kind, MEMBERS) {
            let path = self.facts.path(node);
            if self.is_source(&path) {
                return Val::unknown(true);
            }
            // Swift's `"key".utf8`: the string's code units, the string's value.
            if self.facts.language == Language::Swift
                && let Some(object) = node.field("target")
                && is(object.kind(), STRINGS)
                && matches!(
                    path.rsplit('.').next(),
                    Some("utf8" | "utf16" | "utf8CString" | "unicodeScalars")
                )
            {
                return self.eval_in(object, env, depth + 1);
            }
            let raw = normalise_path(text(node, code));
            if let Some(v) = env.get(&raw) {
                return v.clone();
            }
            if self.facts.lookup(&raw, node).is_some() {
                return self.eval_name(node, env, depth);
            }
            // Taint flows out of a tainted object (`request.args` -> `.get`).
            let object = node
                .field("object")
                .or_else(|| node.field("operand"))
                .or_else(|| node.field("value"))
                .or_else(|| node.field("expression"))
                .or_else(|| node.named_child(0));
            if let Some(o) = object
                && o.id() != node.id()
                && !is(o.kind(), IDENTS)
            {
                let inner = self.eval_in(o, env, depth + 1);
                if inner.tainted {
                    return inner;
                }
            } else if let Some(o) = object
                && is(o.kind(), IDENTS)
                && (env.contains_key(text(o, code))
                    || self.facts.lookup(text(o, code), o).is_some())
            {
                let inner = self.eval_in(o, env, depth + 1);
                return Val {
                    text: "?".into(),
                    constant: inner.constant,
                    tainted: inner.tainted,
                };
            }
            return self.unknown();
        }
        if is(kind, SUBSCRIPTS) {
            let path = self.facts.raw_path(node, 0);
            if self.is_source(&path) || self.is_source(&self.facts.path(node)) {
                return Val::unknown(true);
            }
            let object = node
                .field("value")
                .or_else(|| node.field("object"))
                .or_else(|| node.field("operand"))
                .or_else(|| node.field("array"))
                .or_else(|| node.field("expression"))
                .or_else(|| node.named_child(0));
            return match object {
                Some(o) if o.id() != node.id() => {
                    let v = self.eval_in(o, env, depth + 1);
                    Val {
                        text: "?".into(),
                        ..v
                    }
                }
                _ => self.unknown(),
            };
        }
        if is(kind, CALLS) {
            return self.eval_call(node, env, depth);
        }
        if matches!(
            kind,
            "binary_operator"
                | "binary_expression"
                | "additive_expression"
                | "binary"
                | "multiplicative_expression"
        ) {
            let left = node
                .field("left")
                .or_else(|| node.field("lhs"))
                .or_else(|| node.named_child(0));
            let right = node
                .field("right")
                .or_else(|| node.field("rhs"))
                .or_else(|| node.named_child(1));
            let op = node
                .field("operator")
                .or_else(|| node.field("op"))
                .map(|o| text(o, code).to_string())
                .unwrap_or_else(|| match (left, right) {
                    (Some(l), Some(r)) => code
                        .get(l.end_byte()..r.start_byte())
                        .unwrap_or("")
                        .trim()
                        .to_string(),
                    _ => String::new(),
                });
            let (Some(l), Some(r)) = (left, right) else {
                return self.unknown();
            };
            let lv = self.eval_in(l, env, depth + 1);
            let rv = self.eval_in(r, env, depth + 1);
            return match op.as_str() {
                "+" | "." | "%" | "<<" | ".." | "+=" => Val::join([lv, rv]),
                // `req.query.q || ""`, `a ?? b`: the value is one of the operands.
                "||" | "??" | "or" => Val {
                    text: "?".into(),
                    constant: lv.constant && rv.constant,
                    tainted: lv.tainted || rv.tainted,
                },
                "-" | "*" | "/" | "|" | "&" | "^" | ">>" => Val {
                    text: "?".into(),
                    constant: lv.constant && rv.constant,
                    tainted: false,
                },
                // Comparisons and boolean logic yield booleans, not the operands' text.
                _ => Val {
                    text: "?".into(),
                    constant: lv.constant && rv.constant,
                    tainted: false,
                },
            };
        }
        // `{ text: "... $1", values: [id] }` (pg, pg-promise, mysql, Sequelize's
        // `replacements`, knex's `bindings`): the bound parameters travel apart from the text.
        if kind == "pair"
            && let Some(key) = node.field("key")
            && matches!(
                text(key, code).trim_matches(|c| c == '"' || c == '\'' || c == ':'),
                "values" | "replacements" | "bind" | "binds" | "bindings"
            )
        {
            return Val::clean();
        }
        // `key: value`: the key names the slot; only the value is data.
        if kind == "pair"
            && let (Some(key), Some(value)) = (node.field("key"), node.field("value"))
            && matches!(
                key.kind(),
                "property_identifier" | "simple_symbol" | "hash_key_symbol"
            )
        {
            return self.eval_in(value, env, depth + 1);
        }
        if is(kind, ARRAYS)
            || kind == "pair"
            || kind == "object"
            || kind == "hash"
            || kind == "dictionary"
        {
            let mut cursor = node.walk();
            let children: Vec<Node<'t>> = node
                .named_children(&mut cursor)
                .filter(|c| {
                    !c.kind().contains("comment")
                        && !c.kind().ends_with("type")
                        && c.kind() != "type_identifier"
                })
                .collect();
            let mut vals = Vec::new();
            for c in children {
                let v = self.eval_in(c, env, depth + 1);
                vals.push(Val {
                    text: format!("{} ", v.text),
                    ..v
                });
            }
            return Val::join(vals);
        }
        if is(kind, CONDITIONALS) {
            let mut cursor = node.walk();
            let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
            let branches: Vec<Node<'t>> = if children.len() == 3 {
                // Python's `a if c else b` has the condition in the middle.
                if kind == "conditional_expression" && self.facts.language == Language::Python {
                    vec![children[0], children[2]]
                } else {
                    vec![children[1], children[2]]
                }
            } else {
                children
            };
            let vals: Vec<Val> = branches
                .into_iter()
                .map(|b| self.eval_in(b, env, depth + 1))
                .collect();
            let constant = vals.iter().all(|v| v.constant);
            let tainted = vals.iter().any(|v| v.tainted);
            let text = vals.first().map(|v| v.text.clone()).unwrap_or_default();
            return Val {
                text,
                constant,
                tainted,
            };
        }
        if is(kind, TRANSPARENT)
            || kind == "unary_expression"
            || kind == "not_operator"
            || kind == "prefix_expression"
        {
            let inner = node
                .field("value")
                .or_else(|| node.field("expression"))
                .or_else(|| node.field("argument"))
                .or_else(|| node.field("operand"))
                .or_else(|| last_expression(node));
            return match inner {
                Some(i) if i.id() != node.id() => self.eval_in(i, env, depth + 1),
                _ => Val::lit(text(node, code)),
            };
        }
        if is_function(kind) {
            return Val::clean();
        }
        if node.named_child_count() == 0 {
            return Val::lit(text(node, code));
        }
        self.unknown()
    }

    fn eval_string(&mut self, node: Node<'t>, env: &HashMap<String, Val>, depth: usize) -> Val {
        let code = self.code();
        if node.named_child_count() == 0 {
            return Val::lit(strip_quotes(text(node, code)));
        }
        let mut parts = Vec::new();
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            let k = child.kind();
            // Kotlin's `"... $name ..."`: the grammar splits it into the contents `$` and
            // `name`; the second is the variable's value.
            if self.facts.language == Language::Kotlin && k == "string_content" {
                let t = text(child, code);
                if t == "$" {
                    continue;
                }
                let after_dollar = child
                    .prev_named_sibling()
                    .is_some_and(|p| p.kind() == "string_content" && text(p, code) == "$");
                let name_len = t
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(t.len());
                if after_dollar
                    && name_len > 0
                    && t.starts_with(|c: char| c.is_alphabetic() || c == '_')
                {
                    // `term%'`: the name, then literal text.
                    let (name, rest) = t.split_at(name_len);
                    parts.push(if self.is_source(name) && !env.contains_key(name) {
                        Val::unknown(true)
                    } else {
                        self.eval_named(name.to_string(), child, env, depth + 1)
                    });
                    parts.push(Val::lit(rest));
                    continue;
                }
            }
            if k.contains("content")
                || k.contains("text")
                || k.contains("fragment")
                || k.contains("escape")
                || k == "heredoc_content"
            {
                parts.push(Val::lit(text(child, code)));
            } else if k.ends_with("start")
                || k.ends_with("end")
                || k.contains("brace")
                || k.contains("delimiter")
                || k.contains("quote")
                || k == "heredoc_beginning"
            {
            } else if is(k, STRINGS) {
                parts.push(self.eval_string(child, env, depth + 1));
            } else {
                parts.push(self.eval_in(child, env, depth + 1));
            }
        }
        Val::join(parts)
    }

    fn eval_name(&mut self, node: Node<'t>, env: &HashMap<String, Val>, depth: usize) -> Val {
        let code = self.code();
        let name = normalise_path(text(node, code));
        if !env.contains_key(&name) && self.is_guarded(&name, node) {
            return Val::clean();
        }
        if self.is_source(&self.facts.path(node)) && !env.contains_key(&name) {
            return Val::unknown(true);
        }
        self.eval_named(name, node, env, depth)
    }

    /// A parameter of a function defined in the block is tainted when a call to that function
    /// in the block passes a tainted value at its position (`log_user(name)` with `name` read
    /// from the request). Only for rules with sources: without them every parameter is.
    fn param_tainted_by_callers(&mut self, param: Node<'t>, scope: usize, depth: usize) -> bool {
        if self.flow.sources.is_none() || depth > MAX_DEPTH / 2 {
            return false;
        }
        if let Some(&known) = self.caller_taint.get(&param.id()) {
            return known;
        }
        let code = self.code();
        // The facts outlive this evaluator's borrow of itself: read them without copying.
        let facts = self.facts;
        let Some((fname, function)) = facts
            .functions
            .iter()
            .find(|(_, f)| f.start_byte() == scope)
            .map(|(n, f)| (n.as_str(), *f))
        else {
            return false;
        };
        if !self.active.insert(function.id()) {
            return false;
        }
        // The parameter's position, not counting a receiver (`self`, `&self`, `cls`, `this`).
        let index = param.parent().and_then(|list| {
            let mut cursor = list.walk();
            list.named_children(&mut cursor)
                .filter(|c| {
                    !c.kind().contains("comment")
                        && c.kind() != "self_parameter"
                        && !matches!(text(*c, code), "self" | "cls" | "this")
                })
                .position(|c| {
                    c.start_byte() <= param.start_byte() && param.end_byte() <= c.end_byte()
                })
        });
        let mut tainted = false;
        if let Some(index) = index {
            for &call in &facts.calls {
                let parts = call_parts(call, code);
                let Some(callee) = parts.callee else { continue };
                let t = text(callee, code);
                if t.rsplit(['.', ':']).next().map(str::trim) != Some(fname) {
                    continue;
                }
                if let Some(arg) = parts.positional.get(index)
                    && self.eval_in(*arg, &HashMap::new(), depth + 1).tainted
                {
                    tainted = true;
                    break;
                }
            }
        }
        self.active.remove(&function.id());
        self.caller_taint.insert(param.id(), tainted);
        tainted
    }

    /// Whether this use of `name` is checked by one of the rule's guards (taint rules only:
    /// a check does not make a constant safe).
    fn is_guarded(&self, name: &str, node: Node<'t>) -> bool {
        if self.flow.insecure_value.is_some() {
            return false;
        }
        let guarded = self
            .guarded
            .get_or_init(|| control::guarded(self.facts, self.flow));
        control::is_guarded(guarded, name, node.start_byte())
    }

    /// The value of the variable `name` as seen at `node` (the caller checks sources).
    fn eval_named(
        &mut self,
        name: String,
        node: Node<'t>,
        env: &HashMap<String, Val>,
        depth: usize,
    ) -> Val {
        if let Some(v) = env.get(&name) {
            return v.clone();
        }
        if self.is_guarded(&name, node) {
            return Val::clean();
        }
        let Some(binding) = self.facts.lookup(&name, node) else {
            if self.facts.bound_only_in_dead_code(&name, node) {
                return Val::clean();
            }
            return self.unknown();
        };
        if binding.param {
            let (stmt, scope) = (binding.stmt, binding.scope);
            let tainted =
                self.param_is_source(stmt) || self.param_tainted_by_callers(stmt, scope, depth);
            return Val::unknown(tainted);
        }
        let Some(value) = binding.value else {
            return self.unknown();
        };
        let key = binding.stmt.id();
        if !self.active.insert(key) {
            return self.unknown();
        }
        let stmt = binding.stmt;
        let augment = binding.augment;
        let mut v = self.eval_in(value, env, depth + 1);
        if augment {
            // x += v: the previous value of x, then v.
            let before = self.facts.lookup(&name, stmt).map(|b| b.stmt.id());
            let prev = match before {
                Some(id) if id != key => self.eval_name_before(&name, stmt, env, depth + 1),
                _ => Val::lit(""),
            };
            v = Val::join([prev, v]);
        }
        self.active.remove(&key);
        v
    }

    fn eval_name_before(
        &mut self,
        name: &str,
        stmt: Node<'t>,
        env: &HashMap<String, Val>,
        depth: usize,
    ) -> Val {
        let Some(binding) = self.facts.lookup(name, stmt) else {
            return self.unknown();
        };
        if binding.param {
            return Val::unknown(self.param_is_source(binding.stmt));
        }
        match binding.value {
            Some(value) => {
                let key = binding.stmt.id();
                if !self.active.insert(key) {
                    return self.unknown();
                }
                let v = self.eval_in(value, env, depth + 1);
                self.active.remove(&key);
                v
            }
            None => self.unknown(),
        }
    }

    fn eval_call(&mut self, node: Node<'t>, env: &HashMap<String, Val>, depth: usize) -> Val {
        let code = self.code();
        let path = self.facts.path(node);
        let bare = path.trim_end_matches("()").to_string();
        if self.is_sanitizer(&bare) {
            return Val::clean();
        }
        if self.is_source(&bare) {
            return Val::unknown(true);
        }
        let parts = call_parts(node, code);
        let last = bare.rsplit(['.', ' ']).next().unwrap_or(&bare).to_string();
        // A function defined in this block: follow its return values with the arguments bound.
        if let Some(callee) = parts.callee
            && is(callee.kind(), IDENTS)
            && let Some(&function) = self.facts.functions.get(text(callee, code))
            && !self.active.contains(&function.id())
        {
            let params = parameter_names(function, code);
            let mut inner_env = HashMap::new();
            for (i, name) in params.iter().enumerate() {
                let v = match parts.positional.get(i) {
                    Some(arg) => self.eval_in(*arg, env, depth + 1),
                    None => Val::lit(""),
                };
                inner_env.insert(name.clone(), v);
            }
            let returns = return_values(function);
            if !returns.is_empty() {
                self.active.insert(function.id());
                let vals: Vec<Val> = returns
                    .into_iter()
                    .map(|r| self.eval_in(r, &inner_env, depth + 1))
                    .collect();
                self.active.remove(&function.id());
                let constant = vals.iter().all(|v| v.constant);
                let tainted = vals.iter().any(|v| v.tainted);
                let text = vals.first().map(|v| v.text.clone()).unwrap_or_default();
                return Val {
                    text,
                    constant,
                    tainted,
                };
            }
        }
        let receiver = parts.callee.and_then(|c| {
            c.field("object")
                .or_else(|| c.field("operand"))
                .or_else(|| c.field("value"))
                .or_else(|| c.field("expression"))
                .or_else(|| c.field("target"))
                // C++'s `s.c_str()`: a field_expression's object is its `argument`.
                .or_else(|| c.field("argument"))
                // Kotlin's navigation_expression has no field names: the object comes first.
                .or_else(|| {
                    (c.kind() == "navigation_expression" && c.named_child_count() >= 2)
                        .then(|| c.named_child(0))
                        .flatten()
                })
                .filter(|_| is(c.kind(), MEMBERS))
        });
        let receiver = receiver.or_else(|| node.field("receiver")).or_else(|| {
            node.field("object")
                .filter(|_| node.kind() == "method_invocation")
        });
        let mut pieces = Vec::new();
        // `"k".getBytes(UTF_8)`, `Encoding.UTF8.GetBytes("k")`, `"k".data(using: .utf8)`: the
        // charset names how to encode, it is not part of the value.
        let encoding = is(&last, ENCODERS);
        let data = |n: &Node<'t>| !encoding || !is_codec(text(*n, code));
        // `Buffer.from("k", "hex")`, `String.valueOf(K)`: a class (a CamelCase name bound
        // nowhere in the block) named as the receiver of a static conversion is not a value.
        let static_class = |r: &Node<'t>| {
            let name = text(*r, code);
            is(&last, PASS_THROUGH)
                && !parts.positional.is_empty()
                && is(r.kind(), IDENTS)
                && name.starts_with(|c: char| c.is_ascii_uppercase())
                && name.contains(|c: char| c.is_ascii_lowercase())
                && !self.facts.aliases.contains_key(name)
                && self.facts.lookup(name, *r).is_none()
        };
        if let Some(r) = receiver.filter(data).filter(|r| !static_class(r)) {
            pieces.push(self.eval_in(r, env, depth + 1));
        }
        for arg in parts.positional.iter().filter(|n| data(n)) {
            pieces.push(self.eval_in(*arg, env, depth + 1));
        }
        for (_, v) in parts.keywords.iter().filter(|(_, n)| data(n)) {
            pieces.push(self.eval_in(*v, env, depth + 1));
        }
        if encoding {
            return Val::join(pieces);
        }
        if is(&last, PASS_THROUGH) || node.kind() == "macro_invocation" {
            return Val::join(pieces);
        }
        // Any other call: its result is not a literal; taint passes through its inputs.
        let tainted = self.flow.sources.is_none() || pieces.iter().any(|p| p.tainted);
        Val::unknown(tainted)
    }
}

fn strip_quotes(s: &str) -> String {
    let s = s.trim_start_matches(|c: char| c.is_ascii_alphabetic() && c != '"' && c != '\'');
    let s = s.strip_prefix('@').unwrap_or(s);
    s.trim_matches(|c| c == '"' || c == '\'' || c == '`')
        .to_string()
}

fn parameter_names(function: Node<'_>, code: &str) -> Vec<String> {
    let params = function
        .field("parameters")
        .or_else(|| {
            function
                .field("declarator")
                .and_then(|d| d.field("parameters"))
        })
        .or_else(|| {
            let mut cursor = function.walk();
            function
                .named_children(&mut cursor)
                .find(|c| c.kind().contains("parameters"))
        });
    let Some(params) = params else {
        return Vec::new();
    };
    let mut cursor = params.walk();
    params
        .named_children(&mut cursor)
        .filter(|c| !c.kind().contains("comment"))
        .filter_map(|p| {
            if is(p.kind(), IDENTS) {
                return Some(text(p, code).to_string());
            }
            p.field("name")
                .or_else(|| p.field("pattern"))
                .or_else(|| p.field("declarator"))
                .and_then(|n| declared_name(n, code))
                .or_else(|| declared_name(p, code))
                .map(normalise_path)
        })
        .collect()
}

/// The expressions a function returns (explicit `return`s, or a Rust/Ruby tail expression).
fn return_values<'t>(function: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let Some(body) = function.field("body") else {
        return out;
    };
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        if is_function(n.kind()) && n.id() != function.id() {
            continue;
        }
        if matches!(
            n.kind(),
            "return_statement"
                | "return_expression"
                | "return"
                | "control_transfer_statement"
                | "jump_expression"
        ) {
            if let Some(v) = n.field("result").or_else(|| n.named_child(0)) {
                let v = if v.kind() == "expression_list" && v.named_child_count() == 1 {
                    v.named_child(0).unwrap_or(v)
                } else {
                    v
                };
                out.push(v);
            }
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    if out.is_empty() && matches!(function.kind(), "function_item" | "closure_expression") {
        // Rust: the block's tail expression.
        let count = body.named_child_count();
        if let Some(last) = (count > 0).then(|| last_named(body)).flatten()
            && last.kind() != "expression_statement"
            && last.kind() != "let_declaration"
        {
            out.push(last);
        }
    }
    out
}

/// Finds every place a value reaches one of `flow`'s sinks in a block.
pub(crate) fn find(facts: &Facts<'_>, flow: &Flow) -> Vec<Hit> {
    let code = facts.code;
    let mut hits = Vec::new();
    let mut ev = Evaluator::new(facts, flow);
    for sink in &flow.sinks {
        match sink.kind {
            SinkKind::Call => {
                for ((&call, bare), deep) in facts
                    .calls
                    .iter()
                    .zip(facts.call_paths())
                    .zip(facts.call_deep_paths())
                {
                    if !sink.path.is_match(bare)
                        && !deep.as_ref().is_some_and(|d| sink.path.is_match(d))
                        || facts.is_dead(call)
                    {
                        continue;
                    }
                    let mut parts = call_parts(call, code);
                    if let Some(skip) = &sink.skip_leading {
                        let leading = parts
                            .positional
                            .iter()
                            .take_while(|a| skip.is_match(text(**a, code)))
                            .count();
                        parts.positional.drain(..leading);
                    }
                    if parts.positional.len() < sink.min_args {
                        continue;
                    }
                    let required = sink.requires.iter().all(|(name, re)| {
                        parts
                            .keywords
                            .iter()
                            .find(|(k, _)| k == name)
                            .is_some_and(|(_, v)| {
                                let val = ev.eval(*v);
                                val.constant && re.is_match(&val.text)
                            })
                    });
                    let excused = sink.unless.iter().any(|(name, re)| {
                        parts.keywords.iter().any(|(k, v)| {
                            k == name && {
                                let val = ev.eval(*v);
                                val.constant && re.is_match(&val.text)
                            }
                        })
                    });
                    if !required || excused {
                        continue;
                    }
                    if sink.keyword.is_none() && sink.args.as_ref().is_some_and(Vec::is_empty) {
                        // The API itself is the problem (a weak hash, say): report the call.
                        hits.push(Hit {
                            start: call.start_byte(),
                            end: call.end_byte(),
                        });
                        continue;
                    }
                    let mut checked: Vec<Node<'_>> = Vec::new();
                    if let Some(keyword) = &sink.keyword {
                        checked.extend(
                            parts
                                .keywords
                                .iter()
                                .filter(|(k, _)| k == keyword)
                                .map(|(_, v)| *v),
                        );
                        if let Some(positions) = &sink.args {
                            checked.extend(
                                positions
                                    .iter()
                                    .filter_map(|&i| parts.positional.get(i).copied()),
                            );
                        }
                    } else {
                        match &sink.args {
                            Some(positions) => checked.extend(
                                positions
                                    .iter()
                                    .filter_map(|&i| parts.positional.get(i).copied()),
                            ),
                            None => checked.extend(parts.positional.iter().copied()),
                        }
                    }
                    if sink.argv_arrays {
                        checked.retain(|arg| !is(arg.kind(), ARRAYS));
                    }
                    // One finding per call, spanning the call (as a query rule's `@match`).
                    let fired: Vec<Node<'_>> = checked
                        .into_iter()
                        .filter(|&arg| fires(&mut ev, flow, arg))
                        .collect();
                    if !fired.is_empty() {
                        hits.push(Hit {
                            start: call.start_byte(),
                            end: call.end_byte(),
                        });
                    }
                    if flow.report_value {
                        for arg in fired {
                            if let Some(stmt) = constant_origin(facts, arg, 0)
                                && !contains(stmt, call)
                                && !contains(call, stmt)
                            {
                                hits.push(Hit {
                                    start: stmt.start_byte(),
                                    end: stmt.end_byte(),
                                });
                            }
                        }
                    }
                }
            }
            SinkKind::Assign => {
                for (&(target, value), path) in facts.assigns.iter().zip(facts.assign_paths()) {
                    if sink.path.is_match(path)
                        && !facts.is_dead(target)
                        && fires(&mut ev, flow, value)
                    {
                        hits.push(Hit {
                            start: target.start_byte(),
                            end: value.end_byte(),
                        });
                    }
                }
            }
        }
    }
    hits
}

/// The statement binding the constant an argument is built from, through names, references,
/// conversions (`.into()`, `as_bytes()`) and `Key::from_slice(k)`-style wrappers.
fn constant_origin<'t>(facts: &Facts<'t>, node: Node<'t>, depth: usize) -> Option<Node<'t>> {
    if depth > 6 {
        return None;
    }
    let code = facts.code;
    let kind = node.kind();
    if is(kind, IDENTS) {
        let binding = facts.lookup(text(node, code), node)?;
        if binding.param {
            return None;
        }
        let value = binding.value?;
        let literal = is(value.kind(), LITERALS)
            || is(value.kind(), STRINGS)
            || is(value.kind(), ARRAYS)
            || value.kind().starts_with("array");
        return if literal {
            Some(binding.stmt)
        } else {
            constant_origin(facts, value, depth + 1).or(Some(binding.stmt))
        };
    }
    if is(kind, TRANSPARENT) || kind == "unary_expression" || kind == "prefix_expression" {
        let inner = last_expression(node)?;
        return (inner.id() != node.id())
            .then(|| constant_origin(facts, inner, depth + 1))
            .flatten();
    }
    if is(kind, CALLS) {
        let parts = call_parts(node, code);
        let receiver = parts.callee.and_then(|c| {
            c.field("object")
                .or_else(|| c.field("value"))
                .or_else(|| c.field("operand"))
                .filter(|_| is(c.kind(), MEMBERS))
        });
        return receiver
            .into_iter()
            .chain(parts.positional.iter().copied())
            .find_map(|n| constant_origin(facts, n, depth + 1));
    }
    None
}

fn fires<'t>(ev: &mut Evaluator<'_, 't>, flow: &Flow, arg: Node<'t>) -> bool {
    let val = ev.eval(arg);
    match &flow.insecure_value {
        Some(re) => val.constant && re.is_match(val.text.trim()),
        None => {
            val.tainted
                && flow
                    .value_text
                    .as_ref()
                    .is_none_or(|re| re.is_match(&val.text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: [(Language, &str); 5] = [
        (
            Language::Python,
            "import os\nfrom hashlib import md5 as h\nX = 1\ndef outer(a):\n    def inner(b):\n        return os.system(a + b)\n    return inner\nclass C:\n    def m(self, x):\n        y = lambda z: z\n        return h(x)\n",
        ),
        (
            Language::JavaScript,
            "const { exec } = require('child_process');\nfunction f(a) {\n  const g = (b) => exec(a + b);\n  return function h(c) { return g(c); };\n}\nclass K { m(x) { return eval(x); } }\n",
        ),
        (
            Language::Go,
            "package main\nimport \"os/exec\"\nfunc run(a string) {\n\tf := func(b string) { exec.Command(\"sh\", \"-c\", a+b).Run() }\n\tf(a)\n}\n",
        ),
        (
            Language::Rust,
            "use std::process::Command;\nfn outer(a: &str) {\n    fn inner(b: &str) { Command::new(b).spawn(); }\n    let c = |x: &str| inner(x);\n    c(a);\n}\n",
        ),
        (
            Language::Php,
            "<?php\nfunction f($a) {\n  $g = function ($b) use ($a) { return system($a . $b); };\n  return $g;\n}\n",
        ),
    ];

    fn parse(language: Language, code: &str) -> tree_sitter::Tree {
        let mut parser = tree_sitter::Parser::new();
        let grammar = if language == Language::Php {
            Language::php_template_grammar()
        } else {
            language.grammar()
        };
        parser.set_language(&grammar).expect("grammar loads");
        parser.parse(code, None).expect("parses")
    }

    fn every_node(root: Node<'_>) -> Vec<Node<'_>> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        while let Some(node) = stack.pop() {
            out.push(node);
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        out
    }

    /// A flow with one call sink checking `args` (all of them when `None`); constants matching
    /// `insecure` fire when given, else any non-constant value.
    fn one_sink(path: &str, args: Option<Vec<usize>>, insecure: Option<&str>) -> Flow {
        Flow {
            sources: None,
            sanitizers: None,
            guards: None,
            sinks: vec![Sink {
                kind: SinkKind::Call,
                path: Regex::new(&format!("^(?:{path})$")).expect("sink regex"),
                args,
                keyword: None,
                requires: Vec::new(),
                unless: Vec::new(),
                argv_arrays: false,
                skip_leading: None,
                min_args: 0,
            }],
            insecure_value: insecure.map(|v| Regex::new(&format!("^(?:{v})$")).expect("value")),
            report_value: false,
            value_text: None,
            words: None,
        }
    }

    /// `one_sink` with guards.
    fn guarded_sink(path: &str, guards: &str) -> Flow {
        Flow {
            guards: Some(Regex::new(&format!("^(?:{guards})$")).expect("guard regex")),
            ..one_sink(path, Some(vec![0]), None)
        }
    }

    #[test]
    fn a_check_on_the_same_variable_guards_uses_inside_its_if() {
        let flow = guarded_sink("open", r".*\.startswith");
        let code = "def f(p, q):\n    if p.startswith(BASE):\n        open(p)\n    if q.startswith(BASE):\n        open(p)\n    open(p)\n";
        // Line 3 is guarded; line 5 checks another variable; line 6 is outside the if.
        assert_eq!(hit_lines(Language::Python, code, &flow), vec![5, 6]);
    }

    #[test]
    fn an_exiting_check_guards_the_rest_of_its_block() {
        let flow = guarded_sink(r"os\.ReadFile", r"strings\.HasPrefix");
        let code = "package main\nfunc f(p string) {\n\tos.ReadFile(p)\n\tif !strings.HasPrefix(p, root) {\n\t\treturn\n\t}\n\tos.ReadFile(p)\n}\nfunc g(p string) {\n\tif !strings.HasPrefix(p, root) {\n\t\tlog(p)\n\t}\n\tos.ReadFile(p)\n}\n";
        // f: the read before the check fires, the one after it does not; g's check does not
        // leave the block.
        assert_eq!(hit_lines(Language::Go, code, &flow), vec![3, 13]);
    }

    #[test]
    fn a_name_bound_to_a_check_guards_an_if_that_tests_it() {
        let flow = guarded_sink(r"os\.ReadFile", r"filepath\.Rel");
        let code = "package main\nfunc f(p string) {\n\t_, err := filepath.Rel(base, p)\n\tif err == nil {\n\t\tos.ReadFile(p)\n\t}\n\tif other {\n\t\tos.ReadFile(p)\n\t}\n}\n";
        assert_eq!(hit_lines(Language::Go, code, &flow), vec![8]);
    }

    #[test]
    fn a_local_helper_that_checks_and_throws_guards_its_arguments() {
        let flow = guarded_sink(r"new FileOutputStream", r".*\.startsWith");
        let code = "class A {\n  void check(File f, File d) {\n    if (!f.toPath().startsWith(d.toPath()))\n      throw new IllegalStateException();\n  }\n  void a(File f, File d) {\n    check(f, d);\n    new FileOutputStream(f);\n  }\n  void b(File f, File d) {\n    new FileOutputStream(f);\n  }\n}\n";
        assert_eq!(hit_lines(Language::Java, code, &flow), vec![11]);
    }

    #[test]
    fn the_else_of_a_check_is_guarded_only_when_the_check_is_negated() {
        let flow = guarded_sink(r"Command\.new", r".*\.contains");
        let code = "fn f(c: &str) {\n    if ALLOWED.contains(&c) {\n        Command::new(c);\n    } else {\n        Command::new(c);\n    }\n    if !ALLOWED.contains(&c) {\n        log(c);\n    } else {\n        Command::new(c);\n    }\n}\n";
        assert_eq!(hit_lines(Language::Rust, code, &flow), vec![5]);
    }

    #[test]
    fn loop_variables_carry_the_iterables_taint() {
        let flow = Flow {
            sources: Some(Regex::new(r"^(?:tls\.InsecureCipherSuites)$").expect("source")),
            ..one_sink("unused", None, None)
        };
        let mut flow = flow;
        flow.sinks[0].kind = SinkKind::Assign;
        flow.sinks[0].path = Regex::new(r"^(?:.*\.CipherSuites)$").expect("sink");
        let code = "package main\nfunc f(c *tls.Config) {\n\tids := []uint16{}\n\tfor _, s := range tls.InsecureCipherSuites() {\n\t\tids = append(ids, s.ID)\n\t}\n\tc.CipherSuites = ids\n\tfor _, s := range tls.CipherSuites() {\n\t\td.CipherSuites = append(d.CipherSuites, s.ID)\n\t}\n}\n";
        assert_eq!(hit_lines(Language::Go, code, &flow), vec![7]);
    }

    #[test]
    fn destructuring_binds_each_name_to_the_value() {
        let flow = Flow {
            sources: Some(Regex::new(r"^(?:req\.query.*)$").expect("source")),
            ..one_sink(r"child_process\.exec", Some(vec![0]), None)
        };
        let code = "const { exec } = require('child_process');\nfunction f(req) {\n  const { host, port: p } = req.query;\n  exec('ping ' + host);\n  exec('nc x ' + p);\n  exec('ls');\n}\n";
        assert_eq!(hit_lines(Language::JavaScript, code, &flow), vec![4, 5]);
    }

    #[test]
    fn leading_optional_arguments_are_skipped_and_short_calls_ignored() {
        let mut flow = one_sink("printf", Some(vec![0]), None);
        flow.sinks[0].skip_leading = Some(Regex::new(r"^(?:IO\.new.*)$").expect("skip"));
        flow.sinks[0].min_args = 2;
        let code = "def f(x)\n  printf(x, 1)\n  printf(x)\n  printf(IO.new(1), x, 2)\n  printf(IO.new(1), x)\n  printf(\"%s\", x)\nend\n";
        assert_eq!(hit_lines(Language::Ruby, code, &flow), vec![2, 4]);
    }

    #[test]
    fn builder_statements_grow_the_variables_value() {
        let flow = Flow {
            value_text: Some(Regex::new(r"^(?:(?s).*@name=\?.*)$").expect("text")),
            ..one_sink(r"xp\.compile", Some(vec![0]), None)
        };
        let code = "class A {\n  void f(String u) {\n    StringBuilder sb = new StringBuilder(\"//u[@name=\");\n    sb.append(u).append(\"]\");\n    xp.compile(sb.toString());\n    StringBuilder ok = new StringBuilder(\"//u[@name=\");\n    ok.append(\"x]\");\n    xp.compile(ok.toString());\n  }\n}\n";
        assert_eq!(hit_lines(Language::Java, code, &flow), vec![5]);
    }

    /// A taint rule with one source and one sink checked at its first argument.
    fn sourced(source: &str, sink: &str) -> Flow {
        Flow {
            sources: Some(Regex::new(&format!("^(?:{source})$")).expect("source")),
            ..one_sink(sink, Some(vec![0]), None)
        }
    }

    #[test]
    fn parameters_take_the_taint_of_their_callers_in_the_block() {
        let flow = sourced(r"request\.args.*", r"os\.system");
        let code = "def run(tool, arg):\n    os.system(tool + ' ' + arg)\n\ndef view():\n    run('ls', request.args['d'])\n\ndef other(x):\n    os.system(x)\n\nother('uptime')\n";
        assert_eq!(hit_lines(Language::Python, code, &flow), vec![2]);
    }

    #[test]
    fn out_parameter_reads_bind_their_variable() {
        let flow = sourced(r".*\.read_line", r"Command\.new");
        let code = "fn f() {\n    let mut a = String::new();\n    std::io::stdin().read_line(&mut a).unwrap();\n    Command::new(&a);\n    let b = String::from(\"ls\");\n    Command::new(&b);\n}\n";
        assert_eq!(hit_lines(Language::Rust, code, &flow), vec![4]);
    }

    #[test]
    fn out_parameter_reads_bind_their_variable_outside_statements() {
        // The read in a declaration and in a C assignment, not an expression statement.
        let flow = sourced(r".*\.read_line", r"Command\.new");
        let code = "fn f() {\n    let mut a = String::new();\n    let _n = std::io::stdin().read_line(&mut a).unwrap();\n    Command::new(&a);\n}\n";
        assert_eq!(hit_lines(Language::Rust, code, &flow), vec![4]);
        let flow = sourced(r"recv", r"system");
        let code = "void f(int fd) {\n    char buf[64];\n    int n = recv(fd, buf, sizeof buf, 0);\n    system(buf);\n}\n";
        assert_eq!(hit_lines(Language::C, code, &flow), vec![4]);
    }

    #[test]
    fn bound_query_values_are_apart_from_the_text() {
        let flow = one_sink(r".*\.query", Some(vec![0]), None);
        let code = "function f(conn, tag) {\n  conn.query({ sql: \"SELECT 1 WHERE t = ?\", values: [tag] });\n  conn.query({ sql: \"SELECT 1 WHERE t = \" + tag });\n}\n";
        assert_eq!(hit_lines(Language::JavaScript, code, &flow), vec![3]);
    }

    #[test]
    fn report_value_also_reports_the_binding_of_the_constant() {
        let mut flow = one_sink(r"Key\.from_slice", Some(vec![0]), Some("(?s).+"));
        flow.report_value = true;
        let code = "fn f(k: &[u8]) {\n    let zero = [0u8; 32];\n    let a = Key::<Aes256Gcm>::from_slice(&zero);\n    let b = Key::from_slice(k);\n}\n";
        assert_eq!(hit_lines(Language::Rust, code, &flow), vec![3, 2]);
    }

    #[test]
    fn a_comparison_with_a_literal_guards_its_body_only() {
        let flow = one_sink(r"fs\.readFileSync", Some(vec![0]), None);
        let code = "function f(p) {\n  if (p === 'index.html') {\n    fs.readFileSync(p);\n  } else {\n    fs.readFileSync(p);\n  }\n}\n";
        assert_eq!(hit_lines(Language::JavaScript, code, &flow), vec![5]);
    }

    #[test]
    fn guards_do_not_apply_to_constant_rules() {
        let flow = Flow {
            guards: Some(Regex::new("^(?:check)$").expect("guard regex")),
            ..one_sink("hash", Some(vec![0]), Some("MD5"))
        };
        let code = "def f():\n    a = 'MD5'\n    if a == 'MD5':\n        hash(a)\n";
        assert_eq!(hit_lines(Language::Python, code, &flow), vec![4]);
    }

    #[test]
    fn constant_false_branches_and_code_after_return_are_dead() {
        let flow = one_sink("printf", Some(vec![0]), None);
        let code = "int zero = 0;\nint main(int argc, char **argv) {\n  char *a; char *b; char *c; char *d; char *e;\n  if (0) a = argv[1];\n  printf(a);\n  if (1 == 0) b = argv[1];\n  printf(b);\n  if (zero) c = argv[1];\n  printf(c);\n  if (!0) d = argv[1];\n  printf(d);\n  return 0;\n  e = argv[1];\n  printf(e);\n}\n";
        // `a`, `b`, `c` get a value only in code that never runs; `d` gets one; the printf
        // after `return` never runs.
        assert_eq!(hit_lines(Language::C, code, &flow), vec![11]);
    }

    #[test]
    fn dead_branches_drop_their_bindings() {
        let flow = Flow {
            sources: Some(Regex::new(r"^(?:argv.*)$").expect("source")),
            ..one_sink("printf", Some(vec![0]), None)
        };
        let code = "int main(int argc, char **argv) {\n  char *a = \"x\"; char *b = \"y\";\n  if (0) a = argv[1];\n  printf(a);\n  if (1) b = argv[1];\n  printf(b);\n}\n";
        assert_eq!(hit_lines(Language::C, code, &flow), vec![6]);
    }

    /// The source lines of the hits of `flow` in `code`.
    fn hit_lines(language: Language, code: &str, flow: &Flow) -> Vec<usize> {
        let tree = parse(language, code);
        let facts = Facts::collect(language, tree.root_node(), code);
        find(&facts, flow)
            .iter()
            .map(|h| code[..h.start].lines().count().max(1))
            .collect()
    }

    /// A receiver bound to a call is followed through that call's path (the deep path), and
    /// only where the chain really starts at the named factory.
    #[test]
    fn sinks_match_a_receiver_bound_to_a_call_through_its_deep_path() {
        let code = "class A {\n  void f(InputStream in, Other o) throws Exception {\n    DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();\n    DocumentBuilder db = dbf.newDocumentBuilder();\n    db.parse(in);\n    DocumentBuilder other = o.newDocumentBuilder();\n    other.parse(in);\n  }\n}\n";
        let flow = one_sink(
            r"DocumentBuilderFactory\.newInstance\(\)\.newDocumentBuilder\(\)\.parse",
            Some(vec![]),
            None,
        );
        assert_eq!(hit_lines(Language::Java, code, &flow), vec![5]);
    }

    /// Charsets and codecs in conversion calls are not part of the value, so a literal stays a
    /// constant through `getBytes(UTF_8)`, `Encoding.UTF8.GetBytes`, `Convert.FromBase64String`
    /// and Swift's `data(using: .utf8)!` / `.utf8`; Kotlin's `$name` resolves the variable.
    #[test]
    fn literals_stay_constant_through_charset_conversions() {
        let key = one_sink(r"new SecretKeySpec", Some(vec![0]), Some(".+"));
        let java = "class A {\n  void f(byte[] raw) {\n    new SecretKeySpec(\"k3y\".getBytes(StandardCharsets.UTF_8), \"AES\");\n    new SecretKeySpec(raw, \"AES\");\n  }\n}\n";
        assert_eq!(hit_lines(Language::Java, java, &key), vec![3]);
        let iv = one_sink(r"new Aes", Some(vec![0]), Some(".+"));
        let cs = "class A {\n  void F(string s) {\n    new Aes(Encoding.UTF8.GetBytes(\"fixed\"));\n    new Aes(Convert.FromBase64String(\"AAEC\"));\n    new Aes(Encoding.UTF8.GetBytes(s));\n  }\n}\n";
        assert_eq!(hit_lines(Language::CSharp, cs, &iv), vec![3, 4]);
        let mut sym = one_sink(r"SymmetricKey", None, Some(".+"));
        sym.sinks[0].keyword = Some("data".into());
        let swift = "let a = SymmetricKey(data: \"secret\".data(using: .utf8)!)\nlet b = SymmetricKey(data: Data(\"secret\".utf8))\nfunc f(s: String) { let c = SymmetricKey(data: s.data(using: .utf8)!) }\n";
        assert_eq!(hit_lines(Language::Swift, swift, &sym), vec![1, 2]);
        let sql = one_sink(r"db\.execSQL", Some(vec![0]), None);
        let kt = "const val T = \"notes\"\nfun f(id: String) {\n    db.execSQL(\"DELETE FROM $T\")\n    db.execSQL(\"DELETE FROM t WHERE id = $id\")\n}\n";
        assert_eq!(hit_lines(Language::Kotlin, kt, &sql), vec![4]);
    }

    /// The scope index gives exactly what walking up the parents gives, for every node
    /// (anonymous ones included, which take the fallback).
    #[test]
    fn scope_chains_match_walking_up_the_parents() {
        for (language, code) in SAMPLES {
            let tree = parse(language, code);
            let scopes = Scopes::build(tree.root_node());
            let mut functions = 0;
            for node in every_node(tree.root_node()) {
                let mut expected = Vec::new();
                let mut cur = node.parent();
                while let Some(n) = cur {
                    if is_function(n.kind()) {
                        expected.push(n.start_byte());
                    }
                    cur = n.parent();
                }
                functions = functions.max(expected.len());
                let mut got = Vec::new();
                scopes.chain(node, &mut got);
                assert_eq!(
                    got,
                    expected,
                    "{language:?} {} at {}",
                    node.kind(),
                    node.start_byte()
                );
                assert_eq!(
                    scopes.enclosing(node),
                    expected.first().copied().unwrap_or(0)
                );
            }
            assert!(functions >= 1, "{language:?}: the sample nests functions");
        }
    }

    /// Cached field ids give what tree-sitter's by-name lookup gives, across grammars used in
    /// turn on one thread (grammars share field-name strings, so the cache must key by the
    /// grammar itself).
    #[test]
    fn cached_fields_match_tree_sitter_lookup_by_name() {
        const NAMES: [&str; 12] = [
            "name",
            "function",
            "arguments",
            "body",
            "left",
            "right",
            "object",
            "property",
            "value",
            "alias",
            "module_name",
            "parameters",
        ];
        for _round in 0..2 {
            for (language, code) in SAMPLES {
                let tree = parse(language, code);
                let mut checked = 0;
                for node in every_node(tree.root_node()) {
                    for name in NAMES {
                        let want = node.child_by_field_name(name).map(|n| n.id());
                        assert_eq!(
                            node.field(name).map(|n| n.id()),
                            want,
                            "{language:?} {name}"
                        );
                        checked += usize::from(want.is_some());
                        let mut a = node.walk();
                        let mut b = node.walk();
                        let by_name: Vec<usize> = node
                            .children_by_field_name(name, &mut a)
                            .map(|n| n.id())
                            .collect();
                        let cached: Vec<usize> = node
                            .children_by_field(name, &mut b)
                            .map(|n| n.id())
                            .collect();
                        assert_eq!(cached, by_name, "{language:?} {name}");
                    }
                }
                assert!(checked > 0, "{language:?}: some fields are present");
            }
        }
    }
}
