//! Scanner behaviour: positions in the original text, treatment, options, failures.

use std::collections::HashSet;

use warden_code_scan::{
    CodeBlock, Language, ScanError, ScanOptions, Scanner, Severity, StreamExtractor, TextMode,
    Thresholds, Treatment,
};

fn scanner() -> Scanner {
    Scanner::builtin().expect("built-in rules load")
}

#[test]
fn markdown_answer_positions_refer_to_the_original_text() {
    let answer = "Sure! Here is how:\n\n```python\nimport subprocess\nsubprocess.run(cmd, shell=True)\n```\n\nAnd in JS:\n\n  ```js\n  el.innerHTML = name;\n  ```\n";
    let report = scanner()
        .scan_text(answer, &ScanOptions::default())
        .expect("scan");
    assert!(report.is_complete());
    assert_eq!(report.blocks.len(), 2);
    let py = report
        .findings
        .iter()
        .find(|f| f.rule_id == "python.subprocess-shell-true")
        .expect("python finding");
    assert_eq!((py.line, py.column), (5, 1));
    assert_eq!(py.language, "python");
    let js = report
        .findings
        .iter()
        .find(|f| f.rule_id == "javascript.inner-html")
        .expect("js finding");
    assert_eq!(
        (js.line, js.column),
        (11, 3),
        "indented fence keeps its column"
    );
    assert_eq!(report.treatment(&Thresholds::default()), Treatment::Block);
}

#[test]
fn safe_look_alikes_are_clean() {
    let answer = "```python\nimport secrets, hashlib, subprocess\ntoken = secrets.token_urlsafe(32)\ndigest = hashlib.sha256(data).hexdigest()\nsubprocess.run([\"ls\", path])\ncur.execute(\"SELECT * FROM t WHERE id = %s\", (tid,))\nh = hashlib.md5(blob, usedforsecurity=False)\n```\n";
    let report = scanner()
        .scan_text(answer, &ScanOptions::default())
        .expect("scan");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    assert_eq!(report.treatment(&Thresholds::default()), Treatment::Ignore);
}

#[test]
fn thresholds_options_and_disabled_rules() {
    let s = scanner();
    let code = "import hashlib\nh = hashlib.md5(data).hexdigest()\n";
    let options = ScanOptions {
        mode: TextMode::Code,
        language: Some(Language::Python),
        ..ScanOptions::default()
    };
    let report = s.scan_text(code, &options).expect("scan");
    assert_eq!(report.highest_severity(), Some(Severity::Warning));
    assert_eq!(report.treatment(&Thresholds::default()), Treatment::Warn);
    let strict = Thresholds {
        block: Severity::Warning,
        warn: Severity::Info,
    };
    assert_eq!(report.treatment(&strict), Treatment::Block);
    let disabled = ScanOptions {
        disabled_rules: HashSet::from(["python.hashlib-weak".to_string()]),
        ..options.clone()
    };
    assert!(
        s.scan_text(code, &disabled)
            .expect("scan")
            .findings
            .is_empty()
    );
    let other_languages = ScanOptions {
        languages: Some(HashSet::from([Language::Go])),
        ..options
    };
    assert!(
        s.scan_text(code, &other_languages)
            .expect("scan")
            .findings
            .is_empty()
    );
}

#[test]
fn secrets_fire_in_any_block_even_untagged_prose() {
    let text = "Use this key: AKIAZ7Q3XKDW4PLN5TRV and keep it safe.";
    let report = scanner()
        .scan_text(text, &ScanOptions::default())
        .expect("scan");
    assert_eq!(report.findings.len(), 1, "{:#?}", report.findings);
    assert_eq!(report.findings[0].rule_id, "generic.aws-access-key");
    assert_eq!(report.findings[0].column, 15);
}

#[test]
fn whole_text_code_is_detected() {
    let code = "#include <stdio.h>\nint main(void) {\n  char buf[8];\n  gets(buf);\n}\n";
    let report = scanner()
        .scan_text(code, &ScanOptions::default())
        .expect("scan");
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.rule_id == "c.gets" && f.line == 4)
    );
}

#[test]
fn unparsable_block_is_a_failure_not_clean() {
    let s = scanner();
    let block = CodeBlock::whole(
        "}}}} ))) ((( let let let :::: ]]] [[[ ",
        Some(Language::Python),
    );
    match s.scan_block(&block) {
        Err(ScanError::Unparsable { language, .. }) => assert_eq!(language, "python"),
        other => panic!("expected Unparsable, got {other:?}"),
    }
    let answer = "```python\n}}}} ))) ((( let let let :::: ]]] [[[\n```\n";
    let report = s.scan_text(answer, &ScanOptions::default()).expect("scan");
    assert!(!report.is_complete());
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].line, 2);
}

#[test]
fn oversized_block_is_a_failure() {
    let options = ScanOptions {
        max_block_bytes: 10,
        ..ScanOptions::default()
    };
    let report = scanner()
        .scan_text("```python\nprint('hello world')\n```\n", &options)
        .expect("scan");
    assert!(!report.is_complete());
    assert!(report.failures[0].reason.contains("scan limit"));
}

#[test]
fn streamed_blocks_scan_like_whole_text() {
    let answer = "Text\n```go\npackage main\nfunc f() { cfg := &tls.Config{InsecureSkipVerify: true}; _ = cfg }\n```\nmore\n";
    let s = scanner();
    let whole = s.scan_text(answer, &ScanOptions::default()).expect("scan");
    let mut ex = StreamExtractor::new();
    let mut streamed = Vec::new();
    for chunk in answer.as_bytes().chunks(7) {
        let chunk = std::str::from_utf8(chunk).expect("ascii test text");
        for block in ex.push(chunk) {
            streamed.extend(s.scan_block(&block).expect("scan"));
        }
    }
    for block in ex.finish() {
        streamed.extend(s.scan_block(&block).expect("scan"));
    }
    assert_eq!(whole.findings, streamed);
    assert_eq!(streamed.len(), 1);
}

#[test]
fn scanner_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Scanner>();
    let s = scanner();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let s = s.clone();
            std::thread::spawn(move || {
                s.scan_block(&CodeBlock::whole("eval(x)\n", Some(Language::Python)))
                    .expect("scan")
                    .len()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().expect("thread"), 1);
    }
}
