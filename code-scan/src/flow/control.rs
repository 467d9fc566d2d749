//! What the evaluator sees of control flow: code that cannot run, and uses of a value that a
//! check on the same value guards.
//!
//! Branches are still joined (ADR 012). Two shapes of control flow are common enough in
//! answers and tests to cost precision when ignored, and both are visible on the syntax tree
//! without a control-flow graph:
//!
//! - **Dead code.** The body of an `if` whose condition is a constant false (`if (0)`,
//!   `if (!1)`, `if (DEBUG)` with `DEBUG` bound once to `0`), the `else` of a constant true
//!   one, and the statements after a `return`/`throw` in the same block never run: their
//!   bindings and calls are ignored.
//! - **Guards.** A use of a variable inside an `if` whose condition passes the same variable to
//!   one of the rule's `guards` (`path.startswith(base)`, `strings.HasPrefix(p, root)`,
//!   `strlen(s) < n`), or after such an `if` whose body ends in `return`/`throw`/`raise`, or
//!   inside an `if` testing a name bound to such a check (`ok := filepath.Rel(..)`), is clean.
//!   So is a use inside `if x == "literal"` (an allow-list of one). Whether a check allows
//!   (`startswith`) or denies (`contains("..")`) is not known, so the body of the `if` counts
//!   as checked either way; its `else` only when the check is negated (`if !allowed(x)`).

use tree_sitter::Node;

use super::{ARRAYS, Facts, FieldExt, Flow, IDENTS, STRINGS, contains, is, is_function, text};

/// Conditional statements whose `condition` field decides whether their body runs.
pub(super) const IFS: &[&str] = &[
    "if_statement",
    "if_expression",
    "if",
    "unless",
    "elif_clause",
    "if_modifier",
    "unless_modifier",
    "guard_statement",
];

/// Statements after which the rest of their block does not run.
const EXITS: &[&str] = &[
    "return_statement",
    "return_expression",
    "throw_statement",
    "throw_expression",
    "raise_statement",
];

/// Block-like nodes: a statement list whose later statements follow an earlier one.
fn is_block(kind: &str) -> bool {
    matches!(
        kind,
        "block"
            | "compound_statement"
            | "statement_block"
            | "statements"
            | "constructor_body"
            | "function_body"
    )
}

/// Words that start a statement leaving its block (`return`, `throw`, `raise`, `panic(..)`,
/// `os.Exit(1)`, `sys.exit()`).
const EXIT_WORDS: &[&str] = &[
    "return",
    "throw",
    "raise",
    "panic",
    "abort",
    "exit",
    "die",
    "fail",
    "break",
    "continue",
    "os.Exit",
    "sys.exit",
    "process.exit",
    "log.Fatal",
    "System.exit",
    "halt",
];

fn starts_with_exit(t: &str) -> bool {
    let t = t.trim_start();
    EXIT_WORDS.iter().any(|w| {
        t.strip_prefix(w).is_some_and(|rest| {
            !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') || w.contains('.')
        })
    })
}

/// Whether a branch body's last statement leaves the enclosing block.
fn ends_in_exit(body: Node<'_>, code: &str) -> bool {
    let mut cursor = body.walk();
    let last = body
        .named_children(&mut cursor)
        .filter(|c| !c.kind().contains("comment"))
        .last();
    match last {
        Some(last) if body.named_child_count() > 0 && !is(body.kind(), EXITS) => {
            if last.kind().contains("block")
                || matches!(last.kind(), "statements" | "statement_list")
            {
                ends_in_exit(last, code)
            } else {
                starts_with_exit(text(last, code))
            }
        }
        _ => starts_with_exit(text(body, code)),
    }
}

/// The byte range after `node` to the end of the block (or function) holding it.
fn rest_of_block(node: Node<'_>) -> Option<(usize, usize)> {
    let mut up = node.parent();
    let mut fallback = None;
    for _ in 0..8 {
        let Some(p) = up else {
            break;
        };
        let k = p.kind();
        if is_block(k)
            || is_function(k)
            || p.parent().is_none()
            || matches!(
                k,
                "body_statement" | "then" | "else" | "do_block" | "switch_section"
            )
        {
            return Some((node.end_byte(), p.end_byte()));
        }
        if fallback.is_none() && p.end_byte() > node.end_byte() {
            fallback = Some((node.end_byte(), p.end_byte()));
        }
        up = p.parent();
    }
    fallback
}

/// An `if`'s condition and body, and whether the body comes first (Ruby's `x if c`).
struct Conditional<'t> {
    node: Node<'t>,
    condition: Node<'t>,
    body: Option<Node<'t>>,
    alternative: Option<Node<'t>>,
    modifier: bool,
}

fn conditional<'t>(node: Node<'t>) -> Option<Conditional<'t>> {
    let condition = node.field("condition")?;
    let modifier = node.kind().ends_with("_modifier");
    let body = node
        .field("consequence")
        .or_else(|| node.field("body"))
        .or_else(|| {
            let mut cursor = node.walk();
            node.named_children(&mut cursor)
                .find(|c| c.start_byte() >= condition.end_byte() && c.kind() != "else")
        });
    let alternative = node.field("alternative").or_else(|| {
        let mut cursor = node.walk();
        node.named_children(&mut cursor).find(|c| {
            matches!(c.kind(), "else" | "else_clause" | "elif_clause")
                && c.start_byte() >= condition.end_byte()
                && body.is_none_or(|b| c.start_byte() >= b.end_byte())
        })
    });
    Some(Conditional {
        node,
        condition,
        body,
        alternative,
        modifier,
    })
}

impl Conditional<'_> {
    /// Where the check holds: the body (an allow-check passed, or a deny-check failed:
    /// `if !strings.Contains(p, "..")`), the `else` of a negated check (`if !allowed(x) {..}
    /// else {use(x)}`), and, when the body leaves the block, the rest of the block
    /// (`if !ok { return }`; Swift's `guard ... else { return }`).
    fn guarded(&self, code: &str, negated: bool) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        if self.node.kind() == "guard_statement" {
            out.extend(rest_of_block(self.node));
            return out;
        }
        if self.modifier {
            out.push((self.node.start_byte(), self.condition.start_byte()));
        } else if let Some(body) = self.body {
            out.push((body.start_byte(), body.end_byte()));
        }
        if negated && let Some(alternative) = self.alternative {
            out.push((alternative.start_byte(), alternative.end_byte()));
        }
        if self.body.is_some_and(|b| ends_in_exit(b, code)) && self.node.kind() != "elif_clause" {
            out.extend(rest_of_block(self.node));
        }
        out
    }
}

/// Whether a check inside a condition is negated (`!f(x)`, `not f(x)`, `unless`).
fn negated(call: Node<'_>, condition: Node<'_>, code: &str) -> bool {
    let mut flips = condition.parent().is_some_and(|p| p.kind() == "unless");
    let mut up = call.parent();
    while let Some(p) = up {
        if p.start_byte() < condition.start_byte() || p.end_byte() > condition.end_byte() {
            break;
        }
        let k = p.kind();
        if k.contains("unary") || k == "not_operator" || k == "prefix_expression" {
            let t = text(p, code).trim_start();
            if t.starts_with('!') || t.starts_with("not") {
                flips = !flips;
            }
        }
        up = p.parent();
    }
    flips
}

/// A variable and the byte range in which its uses are clean.
#[derive(Debug, Clone)]
pub(super) struct Guarded {
    name: String,
    start: usize,
    end: usize,
}

/// The identifiers in a node's subtree.
fn identifiers(node: Node<'_>, code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if is(n.kind(), IDENTS) {
            out.push(text(n, code).to_string());
            continue;
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    out
}

/// The statement binding a guard call's result (`ok := strings.HasPrefix(..)`, `_, err :=
/// filepath.Rel(..)`), a few levels up.
fn binding_statement(call: Node<'_>) -> Option<Node<'_>> {
    let mut up = call.parent();
    for _ in 0..4 {
        let p = up?;
        let k = p.kind();
        if k.contains("assignment")
            || k.ends_with("declaration")
            || k.ends_with("declarator")
            || k == "short_var_declaration"
            || k == "let_declaration"
        {
            return Some(p);
        }
        if is_function(k) || is(k, IFS) {
            return None;
        }
        up = p.parent();
    }
    None
}

/// The names a binding statement writes before the guard call: identifier-like words of its
/// text up to the call (type names and keywords too, which conditions do not test).
fn bound_words(stmt: Node<'_>, call: Node<'_>, code: &str) -> Vec<String> {
    code.get(stmt.start_byte()..call.start_byte())
        .unwrap_or("")
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
        .filter(|w| !w.is_empty() && *w != "_" && !w.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_string)
        .collect()
}

/// `x == "literal"` (or the reverse) somewhere in a condition: `x`.
fn literal_comparisons(condition: Node<'_>, code: &str, out: &mut Vec<String>) {
    let mut stack = vec![condition];
    while let Some(n) = stack.pop() {
        let k = n.kind();
        if k.contains("binary") || k.contains("equality") || k == "comparison_operator" {
            let mut cursor = n.walk();
            let sides: Vec<Node<'_>> = n.named_children(&mut cursor).collect();
            if let [left, right] = sides[..] {
                let between = code.get(left.end_byte()..right.start_byte()).unwrap_or("");
                let op = between.trim();
                if matches!(op, "==" | "===" | "eq" | "is") {
                    let literal = |s: Node<'_>| {
                        is(s.kind(), STRINGS)
                            && !s.kind().contains("template")
                            && (0..s.named_child_count()).all(|i| {
                                s.named_child(i as u32).is_none_or(|c| {
                                    let ck = c.kind();
                                    !(ck.contains("interpolation") || ck.contains("substitution"))
                                })
                            })
                    };
                    if is(left.kind(), IDENTS) && literal(right) {
                        out.push(text(left, code).to_string());
                    } else if is(right.kind(), IDENTS) && literal(left) {
                        out.push(text(right, code).to_string());
                    }
                }
            }
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
}

/// The guarded uses of `flow`'s guards in a block, and of allow-list comparisons.
pub(super) fn guarded(facts: &Facts<'_>, flow: &Flow) -> Vec<Guarded> {
    let code = facts.code;
    let mut out = Vec::new();
    let conditionals: Vec<Conditional<'_>> =
        facts.ifs.iter().filter_map(|&n| conditional(n)).collect();
    let mut push = |names: &[String], ranges: Vec<(usize, usize)>| {
        for (start, end) in ranges {
            for name in names {
                out.push(Guarded {
                    name: name.clone(),
                    start,
                    end,
                });
            }
        }
    };
    if let Some(guards) = &flow.guards {
        let guard_calls: Vec<Node<'_>> = facts
            .calls
            .iter()
            .zip(facts.call_paths())
            .zip(facts.call_deep_paths())
            .filter(|((_, path), deep)| {
                guards.is_match(path) || deep.as_ref().is_some_and(|d| guards.is_match(d))
            })
            .map(|((&call, _), _)| call)
            .collect();
        // A helper defined in the block that checks and throws (`validate(dir, file)`): its
        // call guards its arguments for the rest of the caller's block.
        for &call in &facts.calls {
            let Some(callee) = super::call_parts(call, code).callee else {
                continue;
            };
            let Some(&function) = facts.functions.get(text(callee, code)) else {
                continue;
            };
            let validates = conditionals.iter().any(|c| {
                contains(function, c.node)
                    && c.body.is_some_and(|b| ends_in_exit(b, code))
                    && guard_calls.iter().any(|&g| contains(c.condition, g))
            });
            if validates && !contains(function, call) {
                let mut cursor = call.walk();
                let args: Vec<String> = super::arguments_node(call)
                    .map(|a| {
                        a.named_children(&mut cursor)
                            .flat_map(|n| identifiers(n, code))
                            .collect()
                    })
                    .unwrap_or_default();
                push(&args, rest_of_block(call).into_iter().collect());
            }
        }
        for call in guard_calls {
            let names = identifiers(call, code);
            let mut in_condition = false;
            for c in conditionals.iter().filter(|c| contains(c.condition, call)) {
                in_condition = true;
                push(&names, c.guarded(code, negated(call, c.condition, code)));
            }
            if in_condition {
                continue;
            }
            let Some(stmt) = binding_statement(call) else {
                continue;
            };
            let bound = bound_words(stmt, call, code);
            let scope = facts.scopes.enclosing(call);
            for c in conditionals.iter().filter(|c| {
                c.node.start_byte() >= stmt.end_byte()
                    && facts.scopes.enclosing(c.node) == scope
                    && identifiers(c.condition, code)
                        .iter()
                        .any(|i| bound.contains(i))
            }) {
                push(&names, c.guarded(code, false));
            }
        }
    }
    if flow.insecure_value.is_none() {
        for c in &conditionals {
            let mut names = Vec::new();
            literal_comparisons(c.condition, code, &mut names);
            if names.is_empty() || c.modifier {
                continue;
            }
            if let Some(body) = c.body {
                push(&names, vec![(body.start_byte(), body.end_byte())]);
            }
        }
    }
    out
}

/// Whether the use of `name` at byte `at` is inside one of `regions` for that name (or for
/// the object it is a member of: `file.path` is guarded with `file`).
pub(super) fn is_guarded(regions: &[Guarded], name: &str, at: usize) -> bool {
    let head = name.split(['.', '[', '(']).next().unwrap_or(name);
    regions
        .iter()
        .any(|g| g.start <= at && at < g.end && (g.name == name || g.name == head))
}

/// A condition's constant truth value, where it has one: literals, `!`/`not`, `==`/`!=` of
/// two integers, and names bound exactly once, to a literal, in the whole block.
fn truth(facts: &Facts<'_>, node: Node<'_>, depth: usize) -> Option<bool> {
    if depth > 8 {
        return None;
    }
    let code = facts.code;
    let k = node.kind();
    let t = text(node, code).trim();
    match t {
        "0" | "false" | "False" | "FALSE" | "nil" | "None" | "NULL" => return Some(false),
        "true" | "True" | "TRUE" => return Some(true),
        _ => {}
    }
    if k.contains("integer") || k == "number_literal" || k == "int_literal" {
        return parse_int(t).map(|v| v != 0);
    }
    if k.contains("parenthesized") || k == "condition_clause" {
        let inner = node.named_child(0)?;
        return (node.named_child_count() == 1)
            .then(|| truth(facts, inner, depth + 1))
            .flatten();
    }
    if k.contains("unary") || k == "not_operator" || k == "prefix_expression" {
        let inner = node
            .field("argument")
            .or_else(|| node.field("operand"))
            .or_else(|| node.named_child(0))?;
        let op = code.get(node.start_byte()..inner.start_byte())?.trim();
        if matches!(op, "!" | "not") {
            return truth(facts, inner, depth + 1).map(|v| !v);
        }
        return None;
    }
    if k.contains("binary") || k.contains("equality") || k == "comparison_operator" {
        let mut cursor = node.walk();
        let sides: Vec<Node<'_>> = node.named_children(&mut cursor).collect();
        let [left, right] = sides[..] else {
            return None;
        };
        let op = code.get(left.end_byte()..right.start_byte())?.trim();
        let (l, r) = (
            int_value(facts, left, depth)?,
            int_value(facts, right, depth)?,
        );
        return match op {
            "==" | "===" => Some(l == r),
            "!=" | "!==" => Some(l != r),
            _ => None,
        };
    }
    if is(k, IDENTS) {
        return int_value(facts, node, depth).map(|v| v != 0);
    }
    None
}

fn parse_int(t: &str) -> Option<i64> {
    let t = t.trim_end_matches(['u', 'U', 'l', 'L']);
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

/// An integer (or boolean) constant: a literal, or a name with one binding in the block whose
/// value is one.
fn int_value(facts: &Facts<'_>, node: Node<'_>, depth: usize) -> Option<i64> {
    let code = facts.code;
    let t = text(node, code).trim();
    match t {
        "false" | "False" => return Some(0),
        "true" | "True" => return Some(1),
        _ => {}
    }
    if let Some(v) = parse_int(t) {
        return Some(v);
    }
    if !is(node.kind(), IDENTS) || depth > 8 {
        return None;
    }
    let bindings = facts.bindings.get(t)?;
    let [only] = &bindings[..] else {
        return None;
    };
    if only.param || only.augment {
        return None;
    }
    let value = only.value?;
    if is(value.kind(), IDENTS) || is(value.kind(), ARRAYS) {
        return None;
    }
    let vt = text(value, code).trim();
    match vt {
        "false" | "False" => Some(0),
        "true" | "True" => Some(1),
        _ => parse_int(vt),
    }
}

/// Byte ranges of code that never runs (see the module doc), with the start byte of the
/// function they are in (a function nested in the range is not dead: JavaScript hoists it).
pub(super) fn dead_ranges(facts: &Facts<'_>) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for &n in &facts.ifs {
        let Some(c) = conditional(n) else {
            continue;
        };
        if c.modifier || n.kind() == "guard_statement" || n.kind() == "elif_clause" {
            continue;
        }
        let scope = facts.scopes.enclosing(n);
        match truth(facts, c.condition, 0) {
            Some(false) => out.extend(c.body.map(|b| (b.start_byte(), b.end_byte(), scope))),
            Some(true) => {
                out.extend(c.alternative.map(|a| (a.start_byte(), a.end_byte(), scope)));
            }
            None => {}
        }
    }
    for &exit in &facts.exits {
        // `return x;` is an expression statement in Rust.
        let stmt = match exit.parent() {
            Some(p) if p.kind() == "expression_statement" => p,
            _ => exit,
        };
        if let Some(block) = stmt.parent()
            && is_block(block.kind())
            && stmt.end_byte() < block.end_byte()
        {
            out.push((
                stmt.end_byte(),
                block.end_byte(),
                facts.scopes.enclosing(stmt),
            ));
        }
    }
    out
}

pub(super) fn is_exit(kind: &str) -> bool {
    is(kind, EXITS)
}
