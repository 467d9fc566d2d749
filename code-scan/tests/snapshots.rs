//! Snapshots of what people read: `warden scan` text output for an LLM answer, and a rule
//! rejection message.

use std::process::ExitCode;

use warden_code_scan::{OutputFormat, ScanArgs, Scanner, run_scan};

const ANSWER: &str = "Here is a quick script:\n\n```python\nimport os, hashlib, requests\nos.system(\"ping -c 1 \" + host)\nh = hashlib.md5(data).hexdigest()\nrequests.get(url, verify=False)\n```\n\nAnd the config:\n\n```yaml\naws_key: AKIAZ7Q3XKDW4PLN5TRV\n```\n";

#[test]
fn text_output_for_an_answer() {
    let mut out = Vec::new();
    let code = run_scan(
        ScanArgs {
            paths: vec![],
            lang: None,
            format: OutputFormat::Text,
        },
        ANSWER.as_bytes(),
        &mut out,
    )
    .expect("run_scan");
    assert_eq!(code, ExitCode::from(1));
    let text = String::from_utf8(out).expect("utf-8");
    let timing = regex::Regex::new(r"\d+ µs").expect("regex");
    insta::assert_snapshot!(timing.replace_all(&text, "[µs]"));
}

#[test]
fn rejected_rule_message() {
    let rule = "id: go.noisy\nlanguage: go\ncwe: [CWE-78]\nseverity: error\nmessage: m\nwhy: w\ninstead: i\nregex: \"exec\"\nkinds: [identifier]\nexamples:\n  flagged: [\"package main\\nfunc f() { exec() }\\n\"]\n  passes: [\"package main\\nfunc f() { exec2(); exec() }\\n\"]\n";
    let err = Scanner::from_rule_files([("go/noisy.yaml", rule)]).expect_err("noisy rule");
    insta::assert_snapshot!(err.to_string());
}
