//! Prints the tree-sitter syntax tree of stdin for a language: a helper for writing rule
//! queries. `cargo run -p warden-code-scan --example sexp -- python < snippet.py`
use std::io::Read;

fn main() {
    let lang: warden_code_scan::Language = std::env::args()
        .nth(1)
        .expect("usage: sexp <language> < code")
        .parse()
        .expect("a known language");
    let mut code = String::new();
    std::io::stdin()
        .read_to_string(&mut code)
        .expect("stdin is readable");
    println!("{}", warden_code_scan::language::debug_tree(lang, &code));
}
