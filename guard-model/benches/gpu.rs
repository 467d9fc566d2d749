//! Guard latency and batched throughput on a GPU (run by `bench/guard/gpu.sh` on the lent GPU
//! machine; needs the `cuda` feature; not part of CI).
//!
//! `gpu DIR TOKENIZER [--iters N] [--out FILE]`: writes (once) a seeded random Llama at the
//! Llama Guard 2 8B shape (hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate 14336,
//! vocab 128256) in bf16 to DIR, loads it on `cuda:0` in bf16, and reports the median latency of
//! one classification of a 128-token message with and without the prefix cache, and the
//! median wall time of batches of 8 concurrent classifications.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::{DType, Device};
use warden_guard_model::model::synthetic::{SyntheticSpec, write_hf_dir};
use warden_guard_model::{
    CandleClassifier, CandleOptions, Classifier, ClassifyRequest, Template, Turn, TurnRole,
};

const WORDS: [&str; 8] = [
    " the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog",
];

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn message(c: &CandleClassifier, n: usize, salt: usize) -> String {
    let mut text = format!("Hello {salt}");
    let mut i = 0;
    while c.tokenizer().encode_text(&text).expect("encode").len() < n {
        text.push_str(WORDS[i % WORDS.len()]);
        i += 1;
    }
    text
}

fn request(text: &str) -> ClassifyRequest {
    ClassifyRequest {
        turns: vec![Turn {
            role: TurnRole::User,
            content: text.to_string(),
        }],
        taxonomy: Arc::new(Template::Lg2.default_taxonomy()),
        // Random weights: the score is all that is timed; no category decoding.
        threshold: 1.01,
        always_decode: false,
        keep_context: false,
    }
}

fn median_ms(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1000.0
}

fn spec_8b() -> SyntheticSpec {
    SyntheticSpec {
        hidden_size: 4096,
        intermediate_size: 14336,
        num_layers: 32,
        num_heads: 32,
        num_kv_heads: 8,
        vocab_size: 128256,
        max_position_embeddings: 8192,
        rope_theta: 500000.0,
        llama3_rope_scaling: None,
        tie_word_embeddings: false,
        dtype: DType::BF16,
        seed: 8,
    }
}

fn load(dir: &Path, tokenizer: &Path, prefix_cache: bool) -> CandleClassifier {
    let options = CandleOptions {
        device: Device::new_cuda(0).expect("a CUDA device"),
        dtype: Some(DType::BF16),
        tokenizer: Some(tokenizer.to_path_buf()),
        prefix_cache,
        full_vocab_logprobs: false,
        max_batch: 8,
        batch_wait: Duration::from_millis(2),
        progress: false,
        ..CandleOptions::default()
    };
    CandleClassifier::load(dir, options).expect("load the model on cuda:0")
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(tokenizer)) = (args.get(2), args.get(3)) else {
        eprintln!("usage: gpu gpu DIR TOKENIZER [--iters N] [--out FILE]");
        std::process::exit(2);
    };
    let dir = PathBuf::from(dir);
    let tokenizer = PathBuf::from(tokenizer);
    let iters: usize = arg(&args, "--iters").map_or(20, |s| s.parse().expect("iters"));
    let out = arg(&args, "--out").map(PathBuf::from);
    if !dir.join("model.safetensors").exists() && !dir.join("model.safetensors.index.json").exists()
    {
        let started = Instant::now();
        write_hf_dir(&spec_8b(), &dir).expect("write the synthetic 8B model");
        eprintln!(
            "wrote the 8B-shape model in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }
    let mut results = serde_json::Map::new();
    for prefix_cache in [true, false] {
        let started = Instant::now();
        let c = load(&dir, &tokenizer, prefix_cache);
        eprintln!(
            "loaded (prefix cache {prefix_cache}) in {:.1}s",
            started.elapsed().as_secs_f64()
        );
        let text = message(&c, 128, 0);
        for _ in 0..3 {
            c.classify_blocking(request(&text)).expect("warm-up");
        }
        let times: Vec<Duration> = (0..iters)
            .map(|i| {
                // A fresh message each time, so only the template prefix is reused.
                let req = request(&message(&c, 128, i + 1));
                let t = Instant::now();
                c.classify_blocking(req).expect("classify");
                t.elapsed()
            })
            .collect();
        let key = if prefix_cache {
            "latency_128_prefix_cached_ms"
        } else {
            "latency_128_no_cache_ms"
        };
        let value = median_ms(times);
        println!("{key}: {value:.2}");
        results.insert(key.into(), value.into());
        if prefix_cache {
            let c = Arc::new(c);
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let batch_times: Vec<Duration> = (0..iters.max(5))
                .map(|round| {
                    let reqs: Vec<ClassifyRequest> = (0..8)
                        .map(|k| request(&message(&c, 128, 1000 + round * 8 + k)))
                        .collect();
                    let c = c.clone();
                    runtime.block_on(async move {
                        let t = Instant::now();
                        let futures = reqs.into_iter().map(|r| c.classify(r));
                        for v in futures_util::future::join_all(futures).await {
                            v.expect("classify");
                        }
                        t.elapsed()
                    })
                })
                .collect();
            let value = median_ms(batch_times);
            println!("batch8_128_wall_ms: {value:.2}");
            results.insert("batch8_128_wall_ms".into(), value.into());
            let stats = c.stats();
            println!("largest batch: {}", stats.largest_batch);
            results.insert("largest_batch".into(), stats.largest_batch.into());
        }
    }
    if let Some(out) = out {
        std::fs::write(out, serde_json::Value::Object(results).to_string()).expect("write results");
    }
}
