//! Streaming bench: time to first content and guard cost per answer, per window schedule.
//!
//! `bench-stream [--runs N] [--pace-ms MS] [--piece CHARS] [--lengths 300,1000,3000]
//! [--firsts 64,128,256,1000] [--window 1000] [--overlap 200]`
//!
//! Starts the mock upstream and one Warden per first window (the real gateway with the toy
//! guard, i.e. the real candle path, and the real code scanner), all in this process, then for
//! each answer length sends streamed chat requests one at a time, round-robin over the
//! schedules so that machine noise hits them alike. Per request it records the time from
//! sending the request to the first byte of answer text at the client, the time to the end of
//! the stream, and from `/metrics` the growth of
//! `warden_guard_duration_seconds{stage="response"}` (sum: guard seconds; count: guard calls).
//! Prints one markdown row per (length, first window) with medians, and ratios against the
//! schedule whose first window equals `--window` (the old fixed schedule).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use http::Method;
use serde_json::{Value, json};
use warden::RunningServer;
use warden_e2e::MockUpstream;
use warden_e2e::client::{http1, next_data, open, request, send};
use warden_e2e::guarded::{one_policy, start_guarded, test_config};
use warden_e2e::mock::percent_encode;

#[derive(Debug)]
struct Options {
    runs: usize,
    pace_ms: u64,
    piece: usize,
    lengths: Vec<usize>,
    firsts: Vec<usize>,
    window: usize,
    overlap: usize,
}

fn parse_options() -> Result<Options, String> {
    let mut options = Options {
        runs: 5,
        pace_ms: 10,
        piece: 4,
        lengths: vec![300, 1000, 3000],
        firsts: vec![64, 128, 256, 1000],
        window: 1000,
        overlap: 200,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        let list = |v: &str| v.split(',').map(number).collect::<Result<Vec<_>, _>>();
        match flag.as_str() {
            "--runs" => options.runs = number(&value)?.max(1),
            "--pace-ms" => options.pace_ms = number(&value)? as u64,
            "--piece" => options.piece = number(&value)?.max(1),
            "--lengths" => options.lengths = list(&value)?,
            "--firsts" => options.firsts = list(&value)?,
            "--window" => options.window = number(&value)?,
            "--overlap" => options.overlap = number(&value)?,
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if !options.firsts.contains(&options.window) {
        // The old schedule is the baseline of every ratio: always measure it.
        options.firsts.push(options.window);
    }
    Ok(options)
}

/// A harmless answer of exactly `len` characters (ASCII), sentences the toy guard passes.
fn answer(len: usize) -> String {
    const SENTENCES: [&str; 4] = [
        "The river runs past the old town and under seven stone bridges. ",
        "Visitors walk along the banks in the evening and watch the boats. ",
        "The market opens early, and the bakery sells bread until noon. ",
        "In spring the gardens bloom and the museums stay open late. ",
    ];
    SENTENCES
        .iter()
        .cycle()
        .flat_map(|s| s.chars())
        .take(len)
        .collect()
}

fn policy(first: usize, window: usize, overlap: usize) -> String {
    one_policy(&format!(
        "    mode: enforce
    guard: {{ template: lg2 }}
    code: {{ prompts: false, responses: true }}
    streaming: {{ mode: window, window_chars: {window}, overlap_chars: {overlap}, first_window_chars: {first} }}
    failure: {{ mode: closed, guard_timeout_ms: 60000 }}
"
    ))
}

struct Target {
    first: usize,
    warden: RunningServer,
    _dir: tempfile::TempDir,
}

/// `warden_guard_duration_seconds{stage="response"}`: (sum, count).
async fn guard_totals(target: &Target) -> (f64, f64) {
    let url = format!("http://{}/metrics", target.warden.admin_addr());
    let text = send(&http1(), request(Method::GET, &url, "", &[]))
        .await
        .text();
    let series = |name: &str| {
        text.lines()
            .filter(|l| l.starts_with(name) && l.contains("stage=\"response\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    (
        series("warden_guard_duration_seconds_sum"),
        series("warden_guard_duration_seconds_count"),
    )
}

#[derive(Debug, Clone, Copy)]
struct Sample {
    first_content: Duration,
    total: Duration,
    guard_seconds: f64,
    guard_calls: f64,
}

/// Takes the complete SSE events from `pending` and returns the chat text they carry (a client
/// data frame may end inside an event).
fn take_content(pending: &mut String) -> String {
    let mut content = String::new();
    while let Some(end) = pending.find("\n\n") {
        let event: String = pending.drain(..end + 2).collect();
        for line in event.lines().filter_map(|l| l.strip_prefix("data: ")) {
            if let Ok(value) = serde_json::from_str::<Value>(line) {
                content.push_str(
                    value["choices"][0]["delta"]["content"]
                        .as_str()
                        .unwrap_or(""),
                );
            }
        }
    }
    content
}

async fn one_request(target: &Target, text: &str, options: &Options) -> Result<Sample, String> {
    let (sum_before, count_before) = guard_totals(target).await;
    let body = json!({"model":"llama3","stream":true,"messages":[
        {"role":"user","content":"Tell me about the town."}]});
    let url = format!("http://{}/v1/chat/completions", target.warden.addr());
    let piece = options.piece.to_string();
    let pace = options.pace_ms.to_string();
    let headers = [
        ("content-type", "application/json"),
        ("x-mock-answer", &percent_encode(text)),
        ("x-mock-piece", &piece),
        ("x-mock-pace-ms", &pace),
    ];
    let started = Instant::now();
    let response = open(
        &http1(),
        request(Method::POST, &url, body.to_string(), &headers),
    )
    .await;
    if !response.status().is_success() {
        return Err(format!("status {}", response.status()));
    }
    let mut incoming = response.into_body();
    let mut first_content = None;
    let mut received = String::new();
    let mut pending = String::new();
    while let Some(frame) = next_data(&mut incoming).await {
        let frame = frame.map_err(|e| e.to_string())?;
        pending.push_str(&String::from_utf8_lossy(&frame));
        let content = take_content(&mut pending);
        if first_content.is_none() && !content.is_empty() {
            first_content = Some(started.elapsed());
        }
        received.push_str(&content);
    }
    let total = started.elapsed();
    if received != text {
        return Err(format!(
            "first window {}: the answer did not arrive whole ({} of {} chars)",
            target.first,
            received.len(),
            text.len()
        ));
    }
    let (sum_after, count_after) = guard_totals(target).await;
    Ok(Sample {
        first_content: first_content.unwrap_or(total),
        total,
        guard_seconds: sum_after - sum_before,
        guard_calls: count_after - count_before,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(err) => {
            eprintln!("bench-stream: {err}");
            return ExitCode::from(2);
        }
    };
    let mock = MockUpstream::start().await;
    let mut targets = Vec::new();
    for &first in &options.firsts {
        let dir = warden_e2e::policy_dir(&policy(first, options.window, options.overlap));
        let warden = start_guarded(test_config(&mock.url(), dir.path())).await;
        targets.push(Target {
            first,
            warden,
            _dir: dir,
        });
    }
    println!(
        "runs={} pace={}ms piece={} chars window={} overlap={}\n",
        options.runs, options.pace_ms, options.piece, options.window, options.overlap
    );
    println!(
        "| answer chars | first window | first content ms (median) | vs old | stream ms | \
         guard ms per answer | vs old | guard calls |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for &len in &options.lengths {
        let text = answer(len);
        let mut samples: Vec<Vec<Sample>> = vec![Vec::new(); targets.len()];
        // Warm-up: loads the guard's caches and the connection pools for every target.
        for target in &targets {
            if let Err(err) = one_request(target, &text, &options).await {
                eprintln!("bench-stream: {err}");
                return ExitCode::from(1);
            }
        }
        for _ in 0..options.runs {
            for (i, target) in targets.iter().enumerate() {
                match one_request(target, &text, &options).await {
                    Ok(sample) => samples[i].push(sample),
                    Err(err) => {
                        eprintln!("bench-stream: {err}");
                        return ExitCode::from(1);
                    }
                }
            }
        }
        let row = |s: &[Sample]| {
            (
                median(
                    s.iter()
                        .map(|x| x.first_content.as_secs_f64() * 1e3)
                        .collect(),
                ),
                median(s.iter().map(|x| x.total.as_secs_f64() * 1e3).collect()),
                median(s.iter().map(|x| x.guard_seconds * 1e3).collect()),
                median(s.iter().map(|x| x.guard_calls).collect()),
            )
        };
        let base = targets
            .iter()
            .position(|t| t.first == options.window)
            .map(|i| row(&samples[i]));
        for (i, target) in targets.iter().enumerate() {
            let (first, total, guard, calls) = row(&samples[i]);
            let (ratio_first, ratio_guard) = base.map_or((f64::NAN, f64::NAN), |(bf, _, bg, _)| {
                (first / bf, guard / bg)
            });
            let label = if target.first == options.window {
                format!("{} (old)", target.first)
            } else {
                target.first.to_string()
            };
            println!(
                "| {len} | {label} | {first:.0} | {ratio_first:.2}x | {total:.0} | {guard:.1} | \
                 {ratio_guard:.2}x | {calls:.0} |"
            );
        }
    }
    ExitCode::SUCCESS
}
