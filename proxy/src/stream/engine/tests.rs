use std::sync::Mutex;
use std::time::Duration;

use http_body_util::StreamBody;
use tokio::sync::Notify;

use serde_json::Value;

use super::*;
use crate::stream::frames::{FrameParser, choice_index, decoded};
use crate::stream::{WindowSchedule, moderate, moderate_with_limits};

type UpstreamItem = Result<Frame<Bytes>, BoxError>;

/// An upstream body fed by a channel; the sender fails once the body is dropped.
fn channel_upstream(capacity: usize) -> (mpsc::Sender<UpstreamItem>, BoxBody) {
    let (tx, rx) = mpsc::channel::<UpstreamItem>(capacity);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (tx, BoxBody::new(StreamBody::new(stream)))
}

fn chunked_upstream(chunks: Vec<Bytes>) -> BoxBody {
    let stream = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(|c| Ok::<_, BoxError>(Frame::data(c))),
    );
    BoxBody::new(StreamBody::new(stream))
}

/// Flags a window when `text[new_from..]` (or a code block) contains the trigger; records
/// every input and the summary.
struct ScriptedChecker {
    trigger: String,
    delay: Duration,
    gate: Option<Arc<Notify>>,
    inputs: Mutex<Vec<CheckInput>>,
    summaries: Mutex<Vec<StreamSummary>>,
    held: Mutex<usize>,
}

impl ScriptedChecker {
    fn new(trigger: &str) -> Arc<ScriptedChecker> {
        Self::build(trigger, Duration::ZERO, None)
    }

    fn build(trigger: &str, delay: Duration, gate: Option<Arc<Notify>>) -> Arc<Self> {
        Arc::new(ScriptedChecker {
            trigger: trigger.to_string(),
            delay,
            gate,
            inputs: Mutex::new(Vec::new()),
            summaries: Mutex::new(Vec::new()),
            held: Mutex::new(0),
        })
    }

    fn inputs(&self) -> Vec<CheckInput> {
        self.inputs.lock().expect("lock").clone()
    }

    fn summary(&self) -> StreamSummary {
        let summaries = self.summaries.lock().expect("lock");
        assert_eq!(summaries.len(), 1, "finished must be reported exactly once");
        summaries[0].clone()
    }
}

impl StreamChecker for ScriptedChecker {
    fn check(&self, input: CheckInput) -> Pin<Box<dyn Future<Output = CheckOutcome> + Send>> {
        let flagged = input.text[input.new_from..].contains(&self.trigger)
            || input
                .code_blocks
                .iter()
                .any(|b| b.code.contains(&self.trigger));
        self.inputs.lock().expect("lock").push(input);
        let delay = self.delay;
        let gate = self.gate.clone();
        Box::pin(async move {
            if let Some(gate) = gate {
                gate.notified().await;
            }
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if flagged {
                CheckOutcome::Violation {
                    message: "trigger".into(),
                }
            } else {
                CheckOutcome::Pass
            }
        })
    }

    fn held(&self, _seconds: f64) {
        *self.held.lock().expect("lock") += 1;
    }

    fn finished(&self, summary: StreamSummary) {
        self.summaries.lock().expect("lock").push(summary);
    }
}

fn openai_chat(words: &[&str], n: u32) -> Vec<String> {
    let mut frames = vec![": ping\n\n".to_string()];
    for (i, word) in words.iter().enumerate() {
        let choice = u32::try_from(i).expect("small") % n;
        frames.push(format!(
            "data: {}\n\n",
            serde_json::json!({"id":"c9","object":"chat.completion.chunk","created":5,"model":"m",
                "choices":[{"index":choice,"delta":{"content":word},"finish_reason":null}]})
        ));
    }
    for choice in 0..n {
        frames.push(format!(
            "data: {}\n\n",
            serde_json::json!({"id":"c9","object":"chat.completion.chunk","created":5,"model":"m",
                "choices":[{"index":choice,"delta":{},"finish_reason":"stop"}]})
        ));
    }
    frames.push("data: [DONE]\n\n".to_string());
    frames
}

fn openai_completions(words: &[&str]) -> Vec<String> {
    let mut frames: Vec<String> = words
        .iter()
        .map(|w| {
            format!(
                "data: {}\n\n",
                serde_json::json!({"id":"x","object":"text_completion","created":5,"model":"m",
                    "choices":[{"index":0,"text":w,"finish_reason":null}]})
            )
        })
        .collect();
    frames.push(format!(
        "data: {}\n\n",
        serde_json::json!({"id":"x","object":"text_completion","created":5,"model":"m",
            "choices":[{"index":0,"text":"","finish_reason":"length"}]})
    ));
    frames.push("data: [DONE]\n\n".to_string());
    frames
}

fn ollama(chat: bool, words: &[&str]) -> Vec<String> {
    let line = |text: &str, done: bool| {
        let mut v = if chat {
            serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                "message":{"role":"assistant","content":text},"done":done})
        } else {
            serde_json::json!({"model":"llama3","created_at":"2026-11-27T00:00:00Z",
                "response":text,"done":done})
        };
        if done {
            v["done_reason"] = "stop".into();
        }
        format!("{v}\n")
    };
    let mut frames: Vec<String> = words.iter().map(|w| line(w, false)).collect();
    frames.push(line("", true));
    frames
}

fn stream_for(kind: StreamKind, words: &[&str]) -> Vec<String> {
    match kind {
        StreamKind::OpenAiChat => openai_chat(words, 1),
        StreamKind::OpenAiCompletions => openai_completions(words),
        StreamKind::OllamaChat => ollama(true, words),
        StreamKind::OllamaGenerate => ollama(false, words),
    }
}

const KINDS: [StreamKind; 4] = [
    StreamKind::OpenAiChat,
    StreamKind::OpenAiCompletions,
    StreamKind::OllamaChat,
    StreamKind::OllamaGenerate,
];

/// Per-choice text of a byte stream, and its frames.
fn client_view(kind: StreamKind, bytes: &[u8]) -> (BTreeMap<u32, String>, Vec<ParsedFrame>) {
    let mut parser = FrameParser::new(kind);
    let mut frames = Vec::new();
    parser.push(bytes, &mut frames);
    frames.extend(parser.finish());
    let mut texts = BTreeMap::<u32, String>::new();
    for frame in &frames {
        if let Payload::Json(json) = &frame.payload {
            for delta in &json.deltas {
                texts.entry(delta.choice).or_default().push_str(&delta.text);
            }
        }
    }
    (texts, frames)
}

fn finish_reasons(kind: StreamKind, frames: &[ParsedFrame]) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for frame in frames {
        if let Payload::Json(_) = &frame.payload {
            let value = decoded(kind, &frame.raw).unwrap_or_default();
            for entry in value["choices"].as_array().into_iter().flatten() {
                if let Some(reason) = entry["finish_reason"].as_str() {
                    out.push((choice_index(entry, 0), reason.to_string()));
                }
            }
            if let Some(reason) = value["done_reason"].as_str() {
                out.push((0, reason.to_string()));
            }
        }
    }
    out
}

/// Checks the client saw a content-filtered ending in the API's own shape.
fn assert_cut(kind: StreamKind, bytes: &[u8]) {
    let (_, frames) = client_view(kind, bytes);
    let reasons = finish_reasons(kind, &frames);
    assert_eq!(
        reasons.last().map(|(_, r)| r.as_str()),
        Some("content_filter"),
        "last finish must be content_filter: {}",
        String::from_utf8_lossy(bytes)
    );
    assert!(
        !reasons.iter().any(|(_, r)| r == "stop" || r == "length"),
        "the upstream's own finish must not pass"
    );
    if kind.is_openai() {
        assert!(bytes.ends_with(SSE_DONE), "OpenAI streams end with [DONE]");
        assert_eq!(frames.last().map(|f| &f.payload), Some(&Payload::Done));
    } else {
        let last: Value =
            serde_json::from_slice(&frames.last().expect("a frame").raw).expect("json line");
        assert_eq!(last["done"], true);
        assert_eq!(last["model"], "llama3");
        assert_eq!(last["created_at"], "2026-11-27T00:00:00Z");
    }
}

/// An upstream that sends one frame per chunk, so the engine schedules checks between frames.
fn frame_per_chunk(kind: StreamKind, words: &[&str]) -> BoxBody {
    chunked_upstream(
        stream_for(kind, words)
            .into_iter()
            .map(Bytes::from)
            .collect(),
    )
}

async fn collect(body: BoxBody) -> Result<Bytes, BoxError> {
    Ok(body.collect().await?.to_bytes())
}

/// A tiny deterministic generator for split positions and delays.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).expect("fits")).expect("fits")
    }
}

fn random_chunks(bytes: &[u8], rng: &mut XorShift) -> Vec<Bytes> {
    let mut chunks = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let len = 1 + rng.below(40);
        let end = (at + len).min(bytes.len());
        chunks.push(Bytes::copy_from_slice(&bytes[at..end]));
        at = end;
    }
    chunks
}

const UNSAFE_WORDS: [&str; 20] = [
    "Sure, ",
    "here ",
    "is ",
    "some ",
    "text ",
    "with ",
    "F",
    "O",
    "R",
    "B",
    "I",
    "D",
    "D",
    "E",
    "N ",
    "words ",
    "in ",
    "h\u{e9}r\u{e9} ",
    "FORBIDDEN",
    "ok.",
];
const SAFE_WORDS: [&str; 8] = [
    "Sure, ",
    "here ",
    "is ",
    "some ",
    "h\u{e9}r\u{e9} ",
    "text ",
    "\u{1f600} ",
    "ok.",
];

#[tokio::test]
async fn window_and_buffer_never_release_unchecked_text_at_random_splits() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    for kind in KINDS {
        let upstream: String = stream_for(kind, &UNSAFE_WORDS).concat();
        for round in 0..32 {
            let mode = match round % 4 {
                0 => HoldbackMode::Buffer,
                1 => HoldbackMode::window(1 + rng.below(30), "FORBIDDEN".len()),
                2 => HoldbackMode::Window(WindowSchedule::progressive(
                    1 + rng.below(8),
                    8 + rng.below(30),
                    "FORBIDDEN".len(),
                )),
                _ => HoldbackMode::window(1, 8 + rng.below(5)),
            };
            let delay = Duration::from_micros(u64::try_from(rng.below(3)).expect("small") * 300);
            let checker = ScriptedChecker::build("FORBIDDEN", delay, None);
            let body = moderate(
                chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
                kind,
                mode,
                checker.clone(),
            );
            let bytes = collect(body)
                .await
                .expect("a cut stream still ends cleanly");
            let (texts, _) = client_view(kind, &bytes);
            let text = texts.get(&0).cloned().unwrap_or_default();
            assert!(
                !text.contains("FORBIDDEN"),
                "{kind:?} {mode:?}: unchecked text reached the client: {text:?}"
            );
            assert!(UNSAFE_WORDS.concat().starts_with(&text), "{text:?}");
            assert_cut(kind, &bytes);
            let summary = checker.summary();
            assert_eq!(summary.end, StreamEnd::Cut);
            assert_eq!(summary.blocked_choices, vec![0]);
        }
    }
}

#[tokio::test]
async fn two_interleaved_choices_never_leak_at_random_splits() {
    let mut rng = XorShift(0x1234_5678_9abc_def1);
    let words = [
        "a ",
        "b ",
        "FORB",
        "c ",
        "IDDEN",
        "d ",
        " e",
        "FORBIDDEN",
        "f",
        "g",
    ];
    let upstream = openai_chat(&words, 2).concat();
    for round in 0..30 {
        let mode = if round % 4 == 0 {
            HoldbackMode::Buffer
        } else {
            HoldbackMode::window(1 + rng.below(12), 9)
        };
        let delay = Duration::from_micros(u64::try_from(rng.below(4)).expect("small") * 200);
        let checker = ScriptedChecker::build("FORBIDDEN", delay, None);
        let body = moderate(
            chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
            StreamKind::OpenAiChat,
            mode,
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, frames) = client_view(StreamKind::OpenAiChat, &bytes);
        for (choice, text) in &texts {
            assert!(
                !text.contains("FORBIDDEN"),
                "{mode:?} choice {choice}: {text:?}"
            );
        }
        let reasons = finish_reasons(StreamKind::OpenAiChat, &frames);
        assert!(
            reasons.contains(&(0, "content_filter".to_string())),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&(1, "content_filter".to_string())),
            "{reasons:?}"
        );
        assert!(bytes.ends_with(SSE_DONE));
        assert_eq!(checker.summary().end, StreamEnd::Cut);
    }
}

/// A checker whose check panics: the engine task dies.
struct PanickingChecker;

impl StreamChecker for PanickingChecker {
    fn check(&self, _input: CheckInput) -> Pin<Box<dyn Future<Output = CheckOutcome> + Send>> {
        Box::pin(async { panic!("checker bug (expected by the test)") })
    }
}

#[tokio::test]
async fn a_dead_engine_is_a_broken_stream_not_a_clean_end() {
    let upstream = ollama(false, &["text"]).concat();
    let body = moderate(
        chunked_upstream(vec![Bytes::from(upstream)]),
        StreamKind::OllamaGenerate,
        HoldbackMode::Buffer,
        Arc::new(PanickingChecker),
    );
    let err = collect(body).await.expect_err("must not end cleanly");
    assert!(err.to_string().contains("stopped unexpectedly"), "{err}");
}

#[tokio::test]
async fn safe_streams_pass_byte_for_byte_at_random_splits() {
    let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
    for kind in KINDS {
        let upstream: String = stream_for(kind, &SAFE_WORDS).concat();
        for mode in [
            HoldbackMode::Buffer,
            HoldbackMode::window(3, 2),
            HoldbackMode::Async(WindowSchedule::fixed(5, 0)),
        ] {
            for _ in 0..8 {
                let checker = ScriptedChecker::new("FORBIDDEN");
                let body = moderate(
                    chunked_upstream(random_chunks(upstream.as_bytes(), &mut rng)),
                    kind,
                    mode,
                    checker.clone(),
                );
                let bytes = collect(body).await.expect("clean end");
                assert_eq!(bytes, upstream.as_bytes(), "{kind:?} {mode:?}");
                let summary = checker.summary();
                assert_eq!(summary.end, StreamEnd::Completed);
                assert!(!summary.blocked());
                assert_eq!(summary.chars, SAFE_WORDS.concat().chars().count());
            }
        }
    }
}

#[tokio::test]
async fn every_split_position_of_a_short_stream() {
    for kind in KINDS {
        let safe: String = stream_for(kind, &["ab", "c\u{e9}", "d\n"]).concat();
        let unsafe_: String = stream_for(kind, &["ab", "BAD", "d\n"]).concat();
        for mode in [HoldbackMode::window(2, 2), HoldbackMode::Buffer] {
            for cut in 0..=safe.len() {
                let chunks = vec![
                    Bytes::copy_from_slice(&safe.as_bytes()[..cut]),
                    Bytes::copy_from_slice(&safe.as_bytes()[cut..]),
                ];
                let checker = ScriptedChecker::new("BAD");
                let body = moderate(chunked_upstream(chunks), kind, mode, checker.clone());
                let bytes = collect(body).await.expect("clean end");
                assert_eq!(bytes, safe.as_bytes(), "{kind:?} {mode:?} cut {cut}");
                assert_eq!(checker.summary().end, StreamEnd::Completed);
                assert!(checker.inputs().last().expect("checked").is_final);
            }
            for cut in 0..=unsafe_.len() {
                let chunks = vec![
                    Bytes::copy_from_slice(&unsafe_.as_bytes()[..cut]),
                    Bytes::copy_from_slice(&unsafe_.as_bytes()[cut..]),
                ];
                let checker = ScriptedChecker::new("BAD");
                let body = moderate(chunked_upstream(chunks), kind, mode, checker.clone());
                let bytes = collect(body).await.expect("clean end");
                let (texts, _) = client_view(kind, &bytes);
                let text = texts.get(&0).cloned().unwrap_or_default();
                assert!(!text.contains('B'), "{kind:?} {mode:?} cut {cut}: {text:?}");
                assert_cut(kind, &bytes);
            }
        }
    }
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn async_mode_forwards_at_once_and_cuts_on_a_violation() {
    for kind in KINDS {
        let frames = stream_for(kind, &["one ", "two ", "BAD ", "three ", "four"]);
        let (tx, upstream) = channel_upstream(1);
        let checker = ScriptedChecker::new("BAD");
        let mut body = moderate(
            upstream,
            kind,
            HoldbackMode::Async(WindowSchedule::fixed(1000, 0)),
            checker.clone(),
        );
        let skip = usize::from(kind == StreamKind::OpenAiChat);
        // The first frames arrive before the next is even sent: nothing is held.
        for frame in frames.iter().take(2 + skip) {
            tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
                .await
                .expect("engine reads");
            let got = tokio::time::timeout(Duration::from_secs(5), body.frame())
                .await
                .expect("forwarded at once")
                .expect("a frame")
                .expect("data");
            assert_eq!(got.into_data().expect("data"), frame.as_bytes());
        }
        for frame in frames.iter().skip(2 + skip) {
            if tx
                .send(Ok(Frame::data(Bytes::from(frame.clone()))))
                .await
                .is_err()
            {
                break;
            }
        }
        drop(tx);
        let rest = collect(body).await.expect("clean end");
        assert_cut(kind, &rest);
        assert_eq!(checker.summary().blocked_choices, vec![0]);
        let last = checker.inputs().last().cloned().expect("checked");
        assert!(
            last.is_final,
            "the window was only reached by the final check"
        );
    }
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn buffer_mode_holds_everything_until_the_end() {
    let frames = openai_chat(&["a", "b", "c"], 1);
    let (tx, upstream) = channel_upstream(8);
    let checker = ScriptedChecker::new("BAD");
    let mut body = moderate(
        upstream,
        StreamKind::OpenAiChat,
        HoldbackMode::Buffer,
        checker.clone(),
    );
    for frame in &frames[..frames.len() - 2] {
        tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
            .await
            .expect("engine reads");
    }
    // Only the opaque keep-alive may pass before the end.
    let first = body.frame().await.expect("frame").expect("data");
    assert_eq!(first.into_data().expect("data"), ": ping\n\n");
    let waited = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
    assert!(waited.is_err(), "text was released before the final check");
    assert!(checker.inputs().is_empty());
    for frame in &frames[frames.len() - 2..] {
        tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
            .await
            .expect("engine reads");
    }
    drop(tx);
    let rest = collect(body).await.expect("clean end");
    assert_eq!(rest, frames[1..].concat().as_bytes());
    let inputs = checker.inputs();
    assert_eq!(inputs.len(), 1);
    assert!(inputs[0].is_final);
    assert_eq!(&*inputs[0].text, "abc");
    assert_eq!(inputs[0].new_from, 0);
}

#[tokio::test]
async fn window_checks_overlap_and_cover_every_character() {
    let words = ["aaaa", "bbbb", "cccc", "dddd", "ee"];
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        frame_per_chunk(StreamKind::OllamaGenerate, &words),
        StreamKind::OllamaGenerate,
        HoldbackMode::window(8, 3),
        checker.clone(),
    );
    collect(body).await.expect("clean end");
    let inputs = checker.inputs();
    let text = words.concat();
    let mut covered = 0;
    for input in &inputs {
        assert!(input.new_from <= covered, "a gap before {}", input.new_from);
        if covered > 0 {
            assert_eq!(covered - input.new_from, 3.min(covered), "overlap");
        }
        covered = input.text.len();
    }
    assert_eq!(covered, text.len());
    assert!(inputs.last().expect("checks").is_final);
    assert!(inputs.len() >= 2, "windows of 8 over 18 chars: {inputs:?}");
    let summary = checker.summary();
    assert_eq!(summary.chars, 18);
    assert_eq!(summary.checks as usize, inputs.len());
    assert!(*checker.held.lock().expect("lock") > 0);
}

#[tokio::test]
async fn two_choices_are_checked_and_cut_separately() {
    // Choice 1 says BAD; choice 0 is fine and must come through whole.
    let words = ["zero ", "one ", "still ", "BAD ", "fine", "more"];
    let frames = openai_chat(&words, 2);
    let mut upstream_text = BTreeMap::<u32, String>::new();
    for (i, w) in words.iter().enumerate() {
        upstream_text
            .entry(u32::try_from(i % 2).expect("small"))
            .or_default()
            .push_str(w);
    }
    // Window, one chunk per frame: choice 1 is blocked while choice 0 still runs, so the
    // stream goes on and the upstream's own [DONE] ends it. Buffer (and one chunk for the
    // whole stream): the violation comes when no other choice runs, so the engine cuts.
    let per_frame: Vec<Bytes> = frames.iter().cloned().map(Bytes::from).collect();
    let whole = vec![Bytes::from(frames.concat())];
    let window = HoldbackMode::window(3, 3);
    for (mode, chunks, end) in [
        (window, per_frame.clone(), StreamEnd::Completed),
        (window, whole.clone(), StreamEnd::Cut),
        (HoldbackMode::Buffer, per_frame, StreamEnd::Cut),
        (HoldbackMode::Buffer, whole, StreamEnd::Cut),
    ] {
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(chunks),
            StreamKind::OpenAiChat,
            mode,
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, client_frames) = client_view(StreamKind::OpenAiChat, &bytes);
        assert_eq!(texts.get(&0), upstream_text.get(&0), "{mode:?}");
        assert!(!texts.get(&1).is_some_and(|t| t.contains("BAD")));
        let reasons = finish_reasons(StreamKind::OpenAiChat, &client_frames);
        assert!(reasons.contains(&(1, "content_filter".to_string())));
        assert!(reasons.contains(&(0, "stop".to_string())));
        assert!(!reasons.contains(&(1, "stop".to_string())));
        assert!(bytes.ends_with(SSE_DONE));
        assert_eq!(
            client_frames
                .iter()
                .filter(|f| f.payload == Payload::Done)
                .count(),
            1
        );
        let summary = checker.summary();
        assert_eq!(summary.end, end, "{mode:?}");
        assert_eq!(summary.blocked_choices, vec![1]);
        assert_eq!(summary.choices, 2);
    }
}

#[tokio::test]
async fn a_frame_with_two_choices_loses_only_the_blocked_one() {
    let frame = |a: &str, b: &str| {
        format!(
            "data: {}\n\n",
            serde_json::json!({"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[
                {"index":0,"delta":{"content":a},"finish_reason":null},
                {"index":1,"delta":{"content":b},"finish_reason":null}]})
        )
    };
    let upstream = [frame("safe ", "BAD "), frame("also safe", "more")].concat();
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        chunked_upstream(vec![Bytes::from(upstream)]),
        StreamKind::OpenAiChat,
        HoldbackMode::window(1000, 0),
        checker.clone(),
    );
    let bytes = collect(body).await.expect("clean end");
    let (texts, _) = client_view(StreamKind::OpenAiChat, &bytes);
    assert_eq!(texts.get(&0).map(String::as_str), Some("safe also safe"));
    assert_eq!(texts.get(&1), None);
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn code_fences_are_held_until_closed_and_scanned() {
    let (tx, upstream) = channel_upstream(16);
    let checker = ScriptedChecker::new("BAD");
    let mut body = moderate(
        upstream,
        StreamKind::OllamaChat,
        HoldbackMode::window(4, 0),
        checker.clone(),
    );
    let line = |text: &str| {
        Bytes::from(format!(
            "{}\n",
            serde_json::json!({"model":"llama3","created_at":"t","message":{"role":"assistant","content":text},"done":false})
        ))
    };
    let send = |b: Bytes| {
        let tx = tx.clone();
        async move { tx.send(Ok(Frame::data(b))).await.expect("engine reads") }
    };
    send(line("Intro text.\n")).await;
    let got = body.frame().await.expect("frame").expect("data");
    assert_eq!(got.into_data().expect("data"), line("Intro text.\n"));
    send(line("```python\n")).await;
    send(line("import os\n")).await;
    send(line("os.system(x)\n")).await;
    let waited = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
    assert!(waited.is_err(), "code inside an open fence was released");
    assert!(checker.inputs().len() >= 2, "windows keep being checked");
    send(line("```\nAfter.")).await;
    let expected: Vec<u8> = [
        "```python\n",
        "import os\n",
        "os.system(x)\n",
        "```\nAfter.",
    ]
    .into_iter()
    .flat_map(|t| line(t).to_vec())
    .collect();
    // Frames released together leave as one chunk.
    let mut got = Vec::new();
    while got.len() < expected.len() {
        let chunk = tokio::time::timeout(Duration::from_secs(5), body.frame())
            .await
            .expect("released after the block passed")
            .expect("frame")
            .expect("data");
        got.extend_from_slice(&chunk.into_data().expect("data"));
    }
    assert_eq!(got, expected);
    let inputs = checker.inputs();
    let with_block: Vec<_> = inputs
        .iter()
        .filter(|i| !i.code_blocks.is_empty())
        .collect();
    assert_eq!(with_block.len(), 1);
    let block = &with_block[0].code_blocks[0];
    assert_eq!(block.code, "import os\nos.system(x)\n");
    assert!(block.closed);
    drop(tx);
    collect(body).await.expect("clean end");
}

#[tokio::test]
async fn a_bad_code_block_is_never_released() {
    let frames = stream_for(
        StreamKind::OpenAiChat,
        &["Here:\n", "```sh\n", "rm -rf BAD", "\n", "```\n", "done"],
    );
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        chunked_upstream(frames.iter().map(|f| Bytes::from(f.clone())).collect()),
        StreamKind::OpenAiChat,
        HoldbackMode::window(1, 0),
        checker.clone(),
    );
    let bytes = collect(body).await.expect("clean end");
    let (texts, _) = client_view(StreamKind::OpenAiChat, &bytes);
    assert_eq!(texts.get(&0).map(String::as_str), Some("Here:\n"));
    assert_cut(StreamKind::OpenAiChat, &bytes);
}

#[tokio::test]
async fn non_json_frames_pass_through_in_order() {
    let upstream = concat!(
        ": comment\n\n",
        "event: ping\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"},\"finish_reason\":null}]}\n\n",
        "data: not json at all\n\n",
        "retry: 10\r\n\r\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        chunked_upstream(vec![Bytes::from_static(upstream.as_bytes())]),
        StreamKind::OpenAiChat,
        HoldbackMode::window(10, 0),
        checker,
    );
    assert_eq!(collect(body).await.expect("clean end"), upstream.as_bytes());
}

#[tokio::test]
async fn an_upstream_without_a_finish_still_gets_final_checks() {
    let upstream = "{\"response\":\"fine \",\"done\":false}\n{\"response\":\"BAD\",\"done\":false}";
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        chunked_upstream(vec![Bytes::from_static(upstream.as_bytes())]),
        StreamKind::OllamaGenerate,
        HoldbackMode::Buffer,
        checker.clone(),
    );
    let bytes = collect(body).await.expect("clean end");
    let (texts, _) = client_view(StreamKind::OllamaGenerate, &bytes);
    assert_eq!(texts.get(&0), None);
    let last: Value = serde_json::from_slice(&bytes).expect("one json line");
    assert_eq!(last["done_reason"], "content_filter");
    assert_eq!(last["response"], "");
    assert!(checker.inputs()[0].is_final);

    let checker = ScriptedChecker::new("BAD");
    let safe = "{\"response\":\"fine\",\"done\":false}\n";
    let body = moderate(
        chunked_upstream(vec![Bytes::from_static(safe.as_bytes())]),
        StreamKind::OllamaGenerate,
        HoldbackMode::window(100, 0),
        checker.clone(),
    );
    assert_eq!(collect(body).await.expect("clean end"), safe.as_bytes());
    assert!(checker.inputs()[0].is_final);
}

#[tokio::test]
async fn text_after_a_finish_gets_another_final_check() {
    for (second, blocked) in [("BAD", true), ("fine", false)] {
        let upstream = format!(
            "{{\"response\":\"a\",\"done\":true}}\n{{\"response\":\"{second}\",\"done\":false}}\n"
        );
        let checker = ScriptedChecker::new("BAD");
        let body = moderate(
            chunked_upstream(
                upstream
                    .split_inclusive('\n')
                    .map(|l| Bytes::from(l.to_string()))
                    .collect(),
            ),
            StreamKind::OllamaGenerate,
            HoldbackMode::window(100, 0),
            checker.clone(),
        );
        let bytes = collect(body).await.expect("clean end");
        let (texts, _) = client_view(StreamKind::OllamaGenerate, &bytes);
        assert!(!texts.get(&0).is_some_and(|t| t.contains("BAD")));
        assert_eq!(checker.summary().blocked(), blocked);
        let finals = checker.inputs().iter().filter(|i| i.is_final).count();
        assert_eq!(finals, 2);
        if !blocked {
            assert_eq!(bytes, upstream.as_bytes());
        }
    }
}

#[tokio::test]
async fn upstream_errors_reach_the_client_as_errors() {
    let (tx, upstream) = channel_upstream(4);
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        upstream,
        StreamKind::OllamaChat,
        HoldbackMode::Buffer,
        checker.clone(),
    );
    tx.send(Ok(Frame::data(Bytes::from_static(
        b"{\"message\":{\"content\":\"unchecked\"},\"done\":false}\n",
    ))))
    .await
    .expect("engine reads");
    tx.send(Err("upstream reset".into()))
        .await
        .expect("engine reads");
    let err = collect(body)
        .await
        .expect_err("a broken stream, not a clean end");
    assert!(err.to_string().contains("upstream reset"));
    assert_eq!(checker.summary().end, StreamEnd::UpstreamFailed);
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn dropping_the_client_body_cancels_the_upstream() {
    let (tx, upstream) = channel_upstream(1);
    let checker = ScriptedChecker::new("BAD");
    let mut body = moderate(
        upstream,
        StreamKind::OpenAiChat,
        HoldbackMode::window(1, 0),
        checker.clone(),
    );
    let frames = openai_chat(&["a", "b", "c"], 1);
    tx.send(Ok(Frame::data(Bytes::from(frames[0].clone()))))
        .await
        .expect("engine reads");
    body.frame().await.expect("frame").expect("data");
    drop(body);
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if tx
                .send(Ok(Frame::data(Bytes::from(frames[1].clone()))))
                .await
                .is_err()
            {
                break;
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the upstream body was not dropped");
    // The abort and the summary land together; give the runtime a turn to run the drop.
    tokio::task::yield_now().await;
    assert_eq!(checker.summary().end, StreamEnd::ClientGone);
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn slow_checks_do_not_stall_reading_within_the_bound() {
    let gate = Arc::new(Notify::new());
    let checker = ScriptedChecker::build("BAD", Duration::ZERO, Some(gate.clone()));
    let (tx, upstream) = channel_upstream(1);
    let frame = Bytes::from(format!(
        "data: {}\n\n",
        serde_json::json!({"choices":[{"index":0,"delta":{"content":"xxxx"},"finish_reason":null}]})
    ));
    let limit = frame.len() * 20;
    let mut body = moderate_with_limits(
        upstream,
        StreamKind::OpenAiChat,
        HoldbackMode::window(4, 0),
        checker.clone(),
        HoldbackLimits {
            max_held_bytes: limit,
        },
    );
    // The first check blocks on the gate; reading goes on up to the bound.
    let mut sent = 0;
    loop {
        let send = tx.send(Ok(Frame::data(frame.clone())));
        match tokio::time::timeout(Duration::from_millis(100), send).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) => panic!("upstream dropped"),
            Err(_) => break,
        }
        assert!(sent <= 40, "reading never stopped: memory is unbounded");
    }
    assert!(
        sent >= 19,
        "reading stalled behind a slow check after {sent} frames"
    );
    assert_eq!(
        checker.inputs().len(),
        1,
        "checks of one choice never overlap"
    );
    // Releasing the checks lets everything through.
    let release = tokio::spawn(async move {
        loop {
            gate.notify_one();
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    });
    let first = tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .expect("released once the check passed")
        .expect("frame")
        .expect("data");
    assert_eq!(first.into_data().expect("data"), frame);
    drop(tx);
    let rest = collect(body).await.expect("clean end");
    assert_eq!(rest.len() + frame.len(), frame.len() * sent);
    release.abort();
}

#[tokio::test]
async fn an_unclosed_fence_past_the_limit_fails_the_stream() {
    let frames = stream_for(
        StreamKind::OllamaGenerate,
        &[
            "```\n",
            "aaaaaaaaaa",
            "aaaaaaaaaa",
            "aaaaaaaaaa",
            "aaaaaaaaaa",
            "aaaaaaaaaa",
        ],
    );
    for mode in [HoldbackMode::window(1000, 0), HoldbackMode::CodeOnly] {
        let checker = ScriptedChecker::new("BAD");
        let body = moderate_with_limits(
            chunked_upstream(frames.iter().map(|f| Bytes::from(f.clone())).collect()),
            StreamKind::OllamaGenerate,
            mode,
            checker.clone(),
            HoldbackLimits {
                max_held_bytes: frames[0].len() * 3,
            },
        );
        let err = collect(body).await.expect_err("over the limit");
        assert!(err.to_string().contains("exceeds"), "{mode:?}: {err}");
        assert_eq!(checker.summary().end, StreamEnd::HeldTooMuch, "{mode:?}");
    }
}

/// Guards against per-frame work that grows with the stream (a quadratic engine takes
/// minutes here; a linear one well under a second in a debug build).
#[tokio::test]
async fn long_streams_moderate_in_linear_time() {
    let words: Vec<String> = (0..20_000).map(|i| format!("w{i} ")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let frames: Vec<Bytes> = openai_chat(&words, 1)
        .into_iter()
        .map(Bytes::from)
        .collect();
    let total: usize = frames.iter().map(Bytes::len).sum();
    let checker = ScriptedChecker::new("FORBIDDEN");
    let started = Instant::now();
    let body = moderate(
        chunked_upstream(frames),
        StreamKind::OpenAiChat,
        HoldbackMode::window(1000, 200),
        checker.clone(),
    );
    let bytes = collect(body).await.expect("clean end");
    let elapsed = started.elapsed();
    assert_eq!(bytes.len(), total);
    assert!(
        elapsed < Duration::from_secs(20),
        "20k frames took {elapsed:?}"
    );
    eprintln!(
        "moderated 20k frames ({total} bytes, {} checks) in {elapsed:?}",
        checker.summary().checks
    );
}

/// The next data frame, or `None` when the body ended, failed, or stayed silent for 5 s.
async fn next_data(body: &mut BoxBody) -> Option<Bytes> {
    tokio::time::timeout(Duration::from_secs(5), body.frame())
        .await
        .ok()
        .flatten()
        .and_then(|f| f.ok())
        .and_then(|f| f.into_data().ok())
}

/// True when nothing comes out while every task is idle (under paused time, exact).
async fn nothing_yet(body: &mut BoxBody) -> bool {
    tokio::time::timeout(Duration::from_millis(50), body.frame())
        .await
        .is_err()
}

/// A code-only stream fed by a channel, judged by a checker that waits on the gate per check.
fn gated_code_only(
    kind: StreamKind,
) -> (
    mpsc::Sender<UpstreamItem>,
    BoxBody,
    Arc<ScriptedChecker>,
    Arc<Notify>,
) {
    let (tx, upstream) = channel_upstream(16);
    let gate = Arc::new(Notify::new());
    let checker = ScriptedChecker::build("BAD", Duration::ZERO, Some(gate.clone()));
    let body = moderate(upstream, kind, HoldbackMode::CodeOnly, checker.clone());
    (tx, body, checker, gate)
}

// Paused time: a timeout only fires once every task is idle, so absence is exact.
#[tokio::test(start_paused = true)]
async fn code_only_releases_prose_at_once_and_holds_fences_until_scanned() {
    let (tx, mut body, checker, gate) = gated_code_only(StreamKind::OllamaChat);
    let line = |text: &str, done: bool| {
        Bytes::from(format!(
            "{}\n",
            serde_json::json!({"model":"llama3","created_at":"t",
                "message":{"role":"assistant","content":text},"done":done})
        ))
    };
    let send = |b: Bytes| {
        let tx = tx.clone();
        async move { tx.send(Ok(Frame::data(b))).await.expect("engine reads") }
    };
    // Each prose frame comes out before the upstream sends the next one.
    for prose in ["Sure. ", "Here is how:\n"] {
        send(line(prose, false)).await;
        assert_eq!(next_data(&mut body).await, Some(line(prose, false)));
    }
    assert!(checker.inputs().is_empty(), "prose needs no check");
    // A partial fence at a frame boundary is held.
    send(line("``", false)).await;
    assert!(
        nothing_yet(&mut body).await,
        "a possible fence was released"
    );
    send(line("`sh\nls BAD\n", false)).await;
    send(line("```\n", false)).await;
    send(line("More prose.", false)).await;
    // The block closed: its scan runs, and nothing from the fence on leaves before it passed.
    assert!(nothing_yet(&mut body).await, "code left before its scan");
    let inputs = checker.inputs();
    assert_eq!(inputs.len(), 1);
    assert_eq!(inputs[0].code_blocks.len(), 1);
    assert_eq!(inputs[0].code_blocks[0].code, "ls BAD\n");
    gate.notify_one();
    // The scan flagged it: the fence's frames are dropped, the choice ends with content_filter.
    let end = next_data(&mut body).await.expect("terminal frame");
    let end: Value = serde_json::from_slice(&end).expect("json");
    assert_eq!(end["done_reason"], "content_filter");
    drop(tx);
    let rest = collect(body).await.expect("clean end");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(checker.summary().end, StreamEnd::Cut);
}

#[tokio::test(start_paused = true)]
async fn code_only_releases_a_passed_block_and_waits_for_the_final_check() {
    let (tx, mut body, checker, gate) = gated_code_only(StreamKind::OpenAiChat);
    let frames = openai_chat(&["Intro.\n", "```py\n", "print(1)\n", "```\n", "Bye."], 1);
    // frames: ping, five deltas, finish, [DONE].
    let send = |b: String| {
        let tx = tx.clone();
        async move {
            tx.send(Ok(Frame::data(Bytes::from(b))))
                .await
                .expect("engine reads")
        }
    };
    for frame in &frames[..2] {
        send(frame.clone()).await;
        assert_eq!(next_data(&mut body).await, Some(Bytes::from(frame.clone())));
    }
    for frame in &frames[2..] {
        send(frame.clone()).await;
    }
    drop(tx);
    let waited = tokio::time::timeout(Duration::from_millis(50), body.frame()).await;
    assert!(waited.is_err(), "the block left before its scan passed");
    // The block's scan, then the final check: each waits on the gate.
    gate.notify_one();
    tokio::task::yield_now().await;
    gate.notify_one();
    let rest = collect(body).await.expect("clean end");
    assert_eq!(rest, frames[2..].concat().into_bytes());
    let inputs = checker.inputs();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    assert_eq!(inputs[0].code_blocks.len(), 1);
    assert!(inputs[1].is_final && inputs[1].code_blocks.is_empty());
}

#[tokio::test]
async fn code_only_never_releases_unscanned_code_at_random_splits() {
    let words = [
        "Some ",
        "pr\u{f8}se ",
        "first.\n",
        "``",
        "`sh\n",
        "echo BAD\n",
        "``",
        "`\n",
        "after ",
        "\u{1f600}",
    ];
    let prose = "Some pr\u{f8}se first.\n";
    let mut rng = XorShift(0x0bad_c0de_1234_5678);
    let mut run = |upstream: &str, delay: Duration, kind: StreamKind| {
        let checker = ScriptedChecker::build("BAD", delay, None);
        let chunks = random_chunks(upstream.as_bytes(), &mut rng);
        let body = moderate(
            chunked_upstream(chunks),
            kind,
            HoldbackMode::CodeOnly,
            checker.clone(),
        );
        (body, checker)
    };
    for kind in KINDS {
        let upstream: String = stream_for(kind, &words).concat();
        for round in 0..16u64 {
            let (body, _checker) = run(&upstream, Duration::from_micros(round % 3 * 300), kind);
            let bytes = collect(body).await.expect("clean end");
            let (texts, _) = client_view(kind, &bytes);
            let text = texts.get(&0).cloned().unwrap_or_default();
            assert_eq!(text, prose, "{kind:?}");
            assert_cut(kind, &bytes);
        }
        // Without the trigger the stream passes byte for byte.
        let safe: String = upstream.replace("BAD", "ok!");
        let (body, checker) = run(&safe, Duration::ZERO, kind);
        let bytes = collect(body).await.expect("clean end");
        assert_eq!(bytes, safe.as_bytes(), "{kind:?}");
        assert_eq!(checker.summary().checks, 2, "one scan, one final check");
    }
}

#[tokio::test]
async fn progressive_checks_grow_from_the_start_then_slide() {
    // 40 frames of 4 characters: 160 characters.
    let words: Vec<String> = (0..40).map(|i| format!("w{i:02} ")).collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let checker = ScriptedChecker::new("BAD");
    let body = moderate(
        frame_per_chunk(StreamKind::OllamaGenerate, &words),
        StreamKind::OllamaGenerate,
        HoldbackMode::Window(WindowSchedule::progressive(8, 64, 4)),
        checker.clone(),
    );
    collect(body).await.expect("clean end");
    let points: Vec<(usize, usize, bool)> = checker
        .inputs()
        .iter()
        .map(|i| (i.new_from, i.text.len(), i.is_final))
        .collect();
    assert_eq!(
        points,
        vec![
            (0, 8, false),
            (0, 16, false),
            (0, 32, false),
            (0, 64, false),
            (60, 128, false),
            (124, 160, true),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_window_is_released_before_the_upstream_goes_on() {
    let (tx, upstream) = channel_upstream(16);
    let checker = ScriptedChecker::new("BAD");
    let mut body = moderate(
        upstream,
        StreamKind::OllamaGenerate,
        HoldbackMode::Window(WindowSchedule::progressive(8, 1000, 200)),
        checker.clone(),
    );
    let frames = stream_for(StreamKind::OllamaGenerate, &["abcd", "efgh", "ijkl"]);
    for frame in &frames[..2] {
        tx.send(Ok(Frame::data(Bytes::from(frame.clone()))))
            .await
            .expect("engine reads");
    }
    // Released together, the two frames leave as one chunk.
    assert_eq!(
        next_data(&mut body).await,
        Some(Bytes::from(frames[..2].concat()))
    );
    // The next frame waits for the next point (16 characters) or the end.
    tx.send(Ok(Frame::data(Bytes::from(frames[2].clone()))))
        .await
        .expect("engine reads");
    assert!(
        nothing_yet(&mut body).await,
        "text past the checked prefix was released"
    );
    tx.send(Ok(Frame::data(Bytes::from(frames[3].clone()))))
        .await
        .expect("engine reads");
    drop(tx);
    let rest = collect(body).await.expect("clean end");
    assert_eq!(rest, frames[2..].concat().into_bytes());
}
