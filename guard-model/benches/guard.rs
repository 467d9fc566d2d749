//! Warden's CPU guard benchmark driver (run by `bench/guard/run.sh`; not part of CI).
//!
//! Modes:
//! * `write-model DIR TOKENIZER [--size bench|tiny]`: a seeded random Llama of the benchmark
//!   shape (hidden 512, 8 layers, 8 heads, 2 KV heads, intermediate 1408, vocab 128256) in
//!   Hugging Face layout, with the given `tokenizer.json`.
//! * `latency DIR --lengths 16,128,1024 --iters N --out FILE`: median classification latency
//!   with and without the prefix cache (and variants), plus candle-transformers' `llama` as
//!   the "before" baseline; writes the exact prompt ids to `FILE.inputs.json` for the
//!   transformers side.
//! * `throughput DIR --concurrency 1,4,16 --requests N --length L`: classifications per second.
//! * `templates DIR --length 16 --iters N --out FILE`: prefix cache vs no cache for each
//!   template (LG2, LG3 8B, LG3 1B, LG1), verdict rows only.
//! * `stream DIR --history 1024 --window 32 --windows 8 --iters N --out FILE`: a stream's
//!   window checks (the same user prompt of `--history` tokens, then an answer window of
//!   `--window` tokens each check), with and without reusing the kept context.
//! * `load DIR`: load, classify once, exit (for `/usr/bin/time -v` peak RSS).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::{DType, Device, Tensor};
use warden_guard_model::model::synthetic::{SyntheticSpec, write_hf_dir};
use warden_guard_model::{
    CandleClassifier, CandleOptions, ClassifyRequest, Template, Turn, TurnRole,
};

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn list(args: &[String], name: &str, default: &str) -> Vec<usize> {
    arg(args, name)
        .unwrap_or_else(|| default.to_string())
        .split(',')
        .map(|s| s.trim().parse().expect("a number"))
        .collect()
}

const WORDS: [&str; 16] = [
    " the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog", " and", " then",
    " runs", " into", " green", " field", " with", " friends",
];

/// A user message of exactly `n` tokens (the prompt adds the template around it).
fn message(c: &CandleClassifier, n: usize) -> String {
    let mut text = String::from("Hello");
    let mut i = 0;
    loop {
        let len = c.tokenizer().encode_text(&text).expect("encode").len();
        if len >= n {
            assert_eq!(len, n, "message length");
            return text;
        }
        text.push_str(WORDS[i % WORDS.len()]);
        i += 1;
    }
}

fn request(text: &str) -> ClassifyRequest {
    request_for(Template::Lg2, text)
}

fn request_for(template: Template, text: &str) -> ClassifyRequest {
    ClassifyRequest {
        turns: vec![Turn {
            role: TurnRole::User,
            content: text.to_string(),
        }],
        taxonomy: Arc::new(template.default_taxonomy()),
        // Random weights: never decode categories (the greedy text would not parse).
        threshold: 1.01,
        always_decode: false,
        keep_context: false,
    }
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn load(dir: &Path, opts: CandleOptions) -> CandleClassifier {
    CandleClassifier::load(
        dir,
        CandleOptions {
            progress: false,
            ..opts
        },
    )
    .expect("load model")
}

fn latency(dir: &Path, args: &[String]) {
    let lengths = list(args, "--lengths", "16,128,1024");
    let iters: usize = arg(args, "--iters").map_or(10, |s| s.parse().expect("iters"));
    let out = PathBuf::from(arg(args, "--out").unwrap_or_else(|| "latency.json".into()));
    let variants: Vec<(&str, CandleOptions)> = vec![
        (
            "warden f32, prefix cache, verdict rows",
            CandleOptions {
                full_vocab_logprobs: false,
                ..CandleOptions::default()
            },
        ),
        (
            "warden f32, prefix cache, full vocab",
            CandleOptions::default(),
        ),
        (
            "warden f32, no cache, full vocab",
            CandleOptions {
                prefix_cache: false,
                ..CandleOptions::default()
            },
        ),
        (
            "warden f32, no cache, verdict rows",
            CandleOptions {
                prefix_cache: false,
                full_vocab_logprobs: false,
                ..CandleOptions::default()
            },
        ),
        (
            "warden f16, prefix cache, verdict rows",
            CandleOptions {
                dtype: Some(DType::F16),
                full_vocab_logprobs: false,
                ..CandleOptions::default()
            },
        ),
    ];
    let mut results = Vec::new();
    let mut inputs = Vec::new();
    for (name, opts) in variants {
        let c = load(dir, opts);
        for &n in &lengths {
            let text = message(&c, n);
            let req = request(&text);
            if name.starts_with("warden f32, prefix cache, full") {
                let d = c.inspect_blocking(req.clone()).expect("inspect");
                inputs.push(serde_json::json!({"message_tokens": n, "input_ids": d.input_ids}));
            }
            c.classify_blocking(req.clone()).expect("warm-up");
            let times: Vec<Duration> = (0..iters)
                .map(|_| {
                    let t = Instant::now();
                    c.classify_blocking(req.clone()).expect("classify");
                    t.elapsed()
                })
                .collect();
            let ms = median(times);
            println!("{name:45} {n:5} tokens: median {ms:8.2} ms");
            results.push(serde_json::json!({"impl": name, "message_tokens": n, "median_ms": ms, "iters": iters}));
        }
    }
    // "Before": candle-transformers' llama on the same weights, full recompute.
    {
        use candle_transformers::models::llama as cl;
        let cfg: cl::LlamaConfig = serde_json::from_str(
            &std::fs::read_to_string(dir.join("config.json")).expect("config"),
        )
        .expect("config");
        let cfg = cfg.into_config(false);
        let weights = candle_core::safetensors::load(dir.join("model.safetensors"), &Device::Cpu)
            .expect("weights");
        let vb = candle_nn::VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu);
        let model = cl::Llama::load(vb, &cfg).expect("candle llama");
        let base = cl::Cache::new(true, DType::F32, &cfg, &Device::Cpu).expect("cache");
        for input in &inputs {
            let n = input["message_tokens"].as_u64().expect("n") as usize;
            let ids: Vec<u32> = serde_json::from_value(input["input_ids"].clone()).expect("ids");
            let x = Tensor::new(ids.as_slice(), &Device::Cpu)
                .expect("ids")
                .unsqueeze(0)
                .expect("batch");
            let run = || {
                let mut cache = base.clone();
                let t = Instant::now();
                model.forward(&x, 0, &mut cache).expect("forward");
                t.elapsed()
            };
            run();
            let ms = median((0..iters).map(|_| run()).collect());
            let name = "candle-transformers llama f32, no cache (before)";
            println!("{name:45} {n:5} tokens: median {ms:8.2} ms");
            results.push(serde_json::json!({"impl": name, "message_tokens": n, "median_ms": ms, "iters": iters}));
        }
    }
    std::fs::write(&out, serde_json::to_string_pretty(&results).expect("json")).expect("write");
    let inputs_path = out.with_extension("inputs.json");
    std::fs::write(&inputs_path, serde_json::to_string(&inputs).expect("json")).expect("write");
}

/// The prefix cache's gain depends on how much of the prompt the template puts before the
/// conversation: measure it for every template at one message length.
fn templates(dir: &Path, args: &[String]) {
    let n: usize = arg(args, "--length").map_or(16, |s| s.parse().expect("length"));
    let iters: usize = arg(args, "--iters").map_or(10, |s| s.parse().expect("iters"));
    let out = PathBuf::from(arg(args, "--out").unwrap_or_else(|| "templates.json".into()));
    let cached = load(
        dir,
        CandleOptions {
            full_vocab_logprobs: false,
            ..CandleOptions::default()
        },
    );
    let uncached = load(
        dir,
        CandleOptions {
            full_vocab_logprobs: false,
            prefix_cache: false,
            ..CandleOptions::default()
        },
    );
    let text = message(&cached, n);
    let mut results = Vec::new();
    for template in [
        Template::Lg2,
        Template::Lg3_8b,
        Template::Lg3_1b,
        Template::Lg1,
    ] {
        let req = request_for(template, &text);
        let prompt = &cached
            .tokenizer()
            .encode_conversation(&req.taxonomy, &req.turns, 1 << 20)
            .expect("encode")
            .prompts[0];
        let (total, prefix) = (prompt.ids.len(), prompt.prefix_len);
        let time = |c: &CandleClassifier| {
            c.classify_blocking(req.clone()).expect("warm-up");
            median(
                (0..iters)
                    .map(|_| {
                        let t = Instant::now();
                        c.classify_blocking(req.clone()).expect("classify");
                        t.elapsed()
                    })
                    .collect(),
            )
        };
        // Alternate the two so drift on a shared machine hits both alike.
        let (a, b) = (time(&uncached), time(&cached));
        let name = template.to_string();
        println!(
            "{name:8} {total:4} prompt tokens ({prefix:3} cacheable): no cache {a:8.2} ms, prefix cache {b:8.2} ms, {:.2}x (token bound {:.2}x)",
            a / b,
            total as f64 / (total - prefix) as f64
        );
        results.push(
            serde_json::json!({"template": name, "message_tokens": n, "prompt_tokens": total,
            "prefix_tokens": prefix, "no_cache_ms": a, "prefix_cache_ms": b, "iters": iters}),
        );
    }
    std::fs::write(&out, serde_json::to_string_pretty(&results).expect("json")).expect("write");
}

/// A stream's window checks, as the gateway sends them: the same history, the next window of
/// the answer as the judged turn, `keep_context` on all but the last.
fn stream(dir: &Path, args: &[String]) {
    let history: usize = arg(args, "--history").map_or(1024, |s| s.parse().expect("history"));
    let window: usize = arg(args, "--window").map_or(32, |s| s.parse().expect("window"));
    let windows: usize = arg(args, "--windows").map_or(8, |s| s.parse().expect("windows"));
    let iters: usize = arg(args, "--iters").map_or(5, |s| s.parse().expect("iters"));
    let out = PathBuf::from(arg(args, "--out").unwrap_or_else(|| "stream.json".into()));
    let opts = |bytes: usize| CandleOptions {
        full_vocab_logprobs: false,
        context_cache_bytes: bytes,
        ..CandleOptions::default()
    };
    let reuse = load(dir, opts(CandleOptions::default().context_cache_bytes));
    let fresh = load(dir, opts(0));
    let prompt = message(&reuse, history);
    let answer = message(&reuse, window * (windows + 1));
    let answer_words: Vec<&str> = answer.split(' ').collect();
    let per = answer_words.len() / (windows + 1);
    let requests: Vec<ClassifyRequest> = (0..windows)
        .map(|i| {
            let mut r = request(&prompt);
            r.turns.push(Turn {
                role: TurnRole::Assistant,
                // Numbered, so no two windows share a start (the words repeat every 16).
                content: format!("{i}. {}", answer_words[i * per..(i + 1) * per].join(" ")),
            });
            r.keep_context = i + 1 < windows;
            r
        })
        .collect();
    let mut results = Vec::new();
    let mut medians = Vec::new();
    for (name, c) in [("no context reuse", &fresh), ("context reuse", &reuse)] {
        let mut times = Vec::new();
        for it in 0..iters {
            // A new stream each time, with a history of its own: nothing carries over.
            for r in &requests {
                let mut r = r.clone();
                r.turns[0].content = format!("Stream {it} {name}:{}", r.turns[0].content);
                let t = Instant::now();
                c.classify_blocking(r).expect("classify");
                times.push(t.elapsed());
            }
        }
        let ms = median(times);
        println!(
            "{name:18} history {history} tokens, {windows} windows of ~{window} tokens: median {ms:8.2} ms per check"
        );
        medians.push(ms);
        results.push(
            serde_json::json!({"impl": name, "history_tokens": history, "window_tokens": window,
            "windows": windows, "median_ms_per_check": ms, "checks": iters * windows}),
        );
    }
    let stats = reuse.stats();
    println!(
        "context reuse: {:.2}x per check; {} checks started from a kept context, {} tokens not recomputed",
        medians[0] / medians[1],
        stats.context_hits,
        stats.context_tokens_reused
    );
    std::fs::write(&out, serde_json::to_string_pretty(&results).expect("json")).expect("write");
}

fn throughput(dir: &Path, args: &[String]) {
    let conc = list(args, "--concurrency", "1,4,16");
    let requests: usize = arg(args, "--requests").map_or(64, |s| s.parse().expect("requests"));
    let n: usize = arg(args, "--length").map_or(128, |s| s.parse().expect("length"));
    let out = PathBuf::from(arg(args, "--out").unwrap_or_else(|| "throughput.json".into()));
    let mut results = Vec::new();
    for (name, max_batch) in [("batching (max 32)", 32usize), ("no batching", 1)] {
        let c = Arc::new(load(
            dir,
            CandleOptions {
                max_batch,
                full_vocab_logprobs: false,
                queue_depth: 1024,
                ..CandleOptions::default()
            },
        ));
        let req = request(&message(&c, n));
        c.classify_blocking(req.clone()).expect("warm-up");
        for &k in &conc {
            let t = Instant::now();
            let per = requests.div_ceil(k);
            let handles: Vec<_> = (0..k)
                .map(|_| {
                    let c = c.clone();
                    let req = req.clone();
                    std::thread::spawn(move || {
                        for _ in 0..per {
                            c.classify_blocking(req.clone()).expect("classify");
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().expect("client thread");
            }
            let secs = t.elapsed().as_secs_f64();
            let rps = (per * k) as f64 / secs;
            println!(
                "{name:18} concurrency {k:3}: {rps:8.2} classifications/s ({} in {secs:.2} s)",
                per * k
            );
            results.push(serde_json::json!({"impl": name, "concurrency": k, "per_second": rps, "requests": per * k, "message_tokens": n}));
        }
    }
    std::fs::write(&out, serde_json::to_string_pretty(&results).expect("json")).expect("write");
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let mode = args.first().map(String::as_str).unwrap_or("");
    match mode {
        "write-model" => {
            let dir = PathBuf::from(&args[1]);
            let tokenizer = PathBuf::from(&args[2]);
            let spec = match arg(&args, "--size").as_deref() {
                Some("tiny") => {
                    let mut s = SyntheticSpec::tiny(7);
                    s.vocab_size = 128_256;
                    s
                }
                Some("big") => SyntheticSpec {
                    num_layers: 24,
                    ..SyntheticSpec::bench_150m(7)
                },
                _ => SyntheticSpec::bench_150m(7),
            };
            write_hf_dir(&spec, &dir).expect("write model");
            std::fs::copy(&tokenizer, dir.join("tokenizer.json")).expect("copy tokenizer");
        }
        "latency" => latency(Path::new(&args[1]), &args),
        "throughput" => throughput(Path::new(&args[1]), &args),
        "templates" => templates(Path::new(&args[1]), &args),
        "stream" => stream(Path::new(&args[1]), &args),
        "load" => {
            let c = load(Path::new(&args[1]), CandleOptions::default());
            let v = c
                .classify_blocking(request("Is this a memory test?"))
                .expect("classify");
            println!("loaded; unsafe_score {}", v.unsafe_score);
            // Linux: resident now vs the peak, to tell steady memory from load-time transients.
            if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
                for line in status.lines() {
                    if line.starts_with("VmRSS") || line.starts_with("VmHWM") {
                        println!("{line}");
                    }
                }
            }
        }
        _ => {
            eprintln!(
                "usage: guard (write-model DIR TOKENIZER [--size bench|big|tiny] | latency DIR | throughput DIR | templates DIR | stream DIR | load DIR)"
            );
            std::process::exit(2);
        }
    }
}
