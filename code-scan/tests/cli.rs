//! `warden scan` through `run_scan`: files, stdin, markdown answers; text, JSON and SARIF (the
//! latter validated against the vendored SARIF 2.1.0 schema).

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::Value;
use warden_code_scan::{Language, OutputFormat, ScanArgs, run_scan};

fn run(
    paths: Vec<PathBuf>,
    lang: Option<Language>,
    format: OutputFormat,
    stdin: &str,
) -> (ExitCode, String) {
    let mut out = Vec::new();
    let code = run_scan(
        ScanArgs {
            paths,
            lang,
            format,
        },
        stdin.as_bytes(),
        &mut out,
    )
    .expect("run_scan");
    (code, String::from_utf8(out).expect("utf-8 output"))
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write temp file");
    path
}

const ANSWER: &str =
    "Here you go:\n\n```python\nimport pickle\nobj = pickle.loads(request.data)\n```\n";

#[test]
fn stdin_markdown_answer_blocks_with_exit_1() {
    let (code, out) = run(vec![], None, OutputFormat::Text, ANSWER);
    assert_eq!(code, ExitCode::from(1));
    assert!(out.contains("-:5:7: error[python.pickle-load]"), "{out}");
    assert!(out.contains("CWE-502"), "{out}");
    assert!(out.contains("-: block (1 finding"), "{out}");
}

#[test]
fn clean_file_exits_0_and_language_comes_from_the_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(
        &dir,
        "ok.go",
        "package main\n\nfunc main() { println(\"hi\") }\n",
    );
    let (code, out) = run(vec![path], None, OutputFormat::Json, "");
    assert_eq!(code, ExitCode::from(0));
    let json: Value = serde_json::from_str(&out).expect("json");
    let file = &json["files"][0];
    assert_eq!(file["language"], "go");
    assert_eq!(file["treatment"], "ignore");
    assert!(file["scan_us"].as_u64().is_some());
    assert_eq!(file["findings"].as_array().map(Vec::len), Some(0));
}

#[test]
fn json_shape_matches_the_contract() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = write(
        &dir,
        "a.c",
        "#include <stdio.h>\nvoid f(void) {\n  char b[8];\n  gets(b);\n}\n",
    );
    let md = write(&dir, "answer.md", ANSWER);
    let (code, out) = run(vec![c, md], None, OutputFormat::Json, "");
    assert_eq!(code, ExitCode::from(1));
    let json: Value = serde_json::from_str(&out).expect("json");
    let files = json["files"].as_array().expect("files array");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["language"], "c");
    assert_eq!(files[1]["language"], "markdown");
    let f = &files[0]["findings"][0];
    let mut keys: Vec<&str> = f
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut want = [
        "rule_id",
        "cwe",
        "severity",
        "message",
        "line",
        "column",
        "end_line",
        "end_column",
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
    assert_eq!(f["rule_id"], "c.gets");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["line"], 4);
    assert_eq!(f["column"], 3);
    assert_eq!(f["cwe"][0], "CWE-242");
}

#[test]
fn lang_flag_overrides_the_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(&dir, "snippet.txt", "eval(user_input)\n");
    let (code, out) = run(vec![path], Some(Language::Python), OutputFormat::Text, "");
    assert_eq!(code, ExitCode::from(1), "{out}");
    assert!(out.contains("python.eval-input"), "{out}");
}

#[test]
fn errors_exit_2_and_are_never_clean() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("missing.py");
    let (code, out) = run(vec![missing], None, OutputFormat::Json, "");
    assert_eq!(code, ExitCode::from(2));
    let json: Value = serde_json::from_str(&out).expect("json");
    assert!(
        json["files"][0]["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("cannot read")),
        "{out}"
    );
    let garbage = write(&dir, "broken.py", "}}}} ))) ((( let let let :::: ]]] [[[\n");
    let (code, out) = run(vec![garbage], None, OutputFormat::Text, "");
    assert_eq!(code, ExitCode::from(2), "{out}");
    assert!(out.contains("did not parse"), "{out}");
}

#[test]
fn sarif_is_valid_against_the_2_1_0_schema_with_rule_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let js = write(
        &dir,
        "app.js",
        "const { exec } = require('child_process');\nexec('ls ' + req.query.dir);\n",
    );
    let (code, out) = run(vec![js], None, OutputFormat::Sarif, "");
    assert_eq!(code, ExitCode::from(1));
    let sarif: Value = serde_json::from_str(&out).expect("sarif json");
    let schema_text = include_str!("data/sarif-2.1.0-rtm.5.json");
    let schema: Value = serde_json::from_str(schema_text).expect("schema json");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "SARIF schema violations: {errors:#?}");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "javascript.child-process-exec");
    let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
    let rule = &run["tool"]["driver"]["rules"][index];
    assert_eq!(rule["id"], "javascript.child-process-exec");
    assert!(
        rule["help"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("Instead:"))
    );
    let tags: Vec<&str> = rule["properties"]["tags"]
        .as_array()
        .expect("tags")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(tags.contains(&"external/cwe/cwe-78"), "{tags:?}");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
}

#[test]
fn sarif_reports_scan_errors_as_unsuccessful() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.rs");
    let (code, out) = run(vec![missing], None, OutputFormat::Sarif, "");
    assert_eq!(code, ExitCode::from(2));
    let sarif: Value = serde_json::from_str(&out).expect("sarif json");
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["executionSuccessful"],
        false
    );
}
