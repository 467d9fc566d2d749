//! GGUF loading: a model written to GGUF the way llama.cpp lays it out (its tensor names,
//! permuted q/k rows, `rope_freqs.weight`) gives the safetensors original's logits, exactly
//! when unquantized and closely at Q8_0 and Q4_K, and serves prompts past 4096 tokens.

use candle_core::DType;
use candle_core::quantized::GgmlDType;
use warden_guard_model::load::{LoadOptions, ModelFiles, load_model};
use warden_guard_model::model::synthetic::{
    SyntheticSpec, hf_to_gguf, random_weights, write_hf_dir,
};
use warden_guard_model::model::{Head, Llama, ModelConfig, Padding};

struct Pair {
    _dir: tempfile::TempDir,
    st: Llama,
    gguf: Llama,
}

fn pair(spec: &SyntheticSpec, qtype: GgmlDType) -> Pair {
    let dir = tempfile::tempdir().expect("tempdir");
    write_hf_dir(spec, dir.path()).expect("write model");
    std::fs::write(dir.path().join("tokenizer.json"), "{}").expect("tokenizer placeholder");
    let cfg = ModelConfig::from_hf_json(
        &std::fs::read_to_string(dir.path().join("config.json")).expect("config"),
    )
    .expect("parse config");
    let gguf_path = dir.path().join("model.gguf");
    let weights = random_weights(spec).expect("weights");
    hf_to_gguf(&cfg, &weights, qtype, &gguf_path).expect("write gguf");
    let opts = LoadOptions::default();
    let st = load_model(&ModelFiles::resolve(dir.path(), None).expect("hf"), &opts).expect("st");
    let gguf =
        load_model(&ModelFiles::resolve(&gguf_path, None).expect("gguf"), &opts).expect("gguf");
    Pair {
        _dir: dir,
        st,
        gguf,
    }
}

fn logits(model: &Llama, ids: &[u32]) -> Vec<f32> {
    let mut c = model.new_cache(1);
    model
        .forward(ids, &mut c, &Head::Full)
        .expect("forward")
        .get(0)
        .expect("row")
        .to_vec1()
        .expect("vec")
}

fn ids(n: usize, vocab: u32) -> Vec<u32> {
    (0..n as u32).map(|i| (i * 53 + 7) % vocab).collect()
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .fold(
            (0, f32::MIN),
            |(bi, bv), (i, &x)| if x > bv { (i, x) } else { (bi, bv) },
        )
        .0
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb: f32 = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (na * nb)
}

/// Softmax probability of token `a` among `{a, b}`: a verdict-like score.
fn pair_score(v: &[f32], a: usize, b: usize) -> f32 {
    1.0 / (1.0 + (v[b] - v[a]).exp())
}

fn quant_spec(seed: u64) -> SyntheticSpec {
    // Row lengths must be multiples of 256 for k-quants.
    SyntheticSpec {
        hidden_size: 256,
        intermediate_size: 512,
        num_layers: 2,
        num_heads: 4,
        num_kv_heads: 2,
        vocab_size: 512,
        max_position_embeddings: 8192,
        rope_theta: 500_000.0,
        llama3_rope_scaling: Some((8.0, 1.0, 4.0, 1024)),
        tie_word_embeddings: false,
        dtype: DType::F32,
        seed,
    }
}

#[test]
fn unquantized_gguf_is_exact_past_4096_tokens() {
    let mut spec = SyntheticSpec::tiny(11);
    spec.llama3_rope_scaling = Some((8.0, 1.0, 4.0, 256));
    let p = pair(&spec, GgmlDType::F32);
    assert_eq!(p.gguf.config().num_kv_heads, 2);
    for n in [19, 4200] {
        let input = ids(n, 300);
        let a = logits(&p.st, &input);
        let b = logits(&p.gguf, &input);
        let d = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(d < 1e-3, "{n} tokens: max |diff| {d}");
    }
}

#[test]
fn q8_0_and_q4_k_give_the_same_verdict_and_close_logits() {
    // Random uniform weights are the worst case for 4-bit blocks, so on this model Q4_K only
    // keeps the ranking near the top; the trained toy guard's verdicts are checked exactly
    // in model_toy_guard.rs.
    for (qtype, min_cos, top_k) in [(GgmlDType::Q8_0, 0.999, 1), (GgmlDType::Q4K, 0.98, 5)] {
        let p = pair(&quant_spec(12), qtype);
        for salt in 0..3u32 {
            let input: Vec<u32> = ids(40, 512)
                .iter()
                .map(|i| (i + salt * 101) % 512)
                .collect();
            let a = logits(&p.st, &input);
            let b = logits(&p.gguf, &input);
            let c = cosine(&a, &b);
            assert!(c > min_cos, "{qtype:?}: cosine {c}");
            assert!(
                rank(&b, argmax(&a)) < top_k,
                "{qtype:?}: original top token demoted"
            );
            assert!(
                rank(&a, argmax(&b)) < top_k,
                "{qtype:?}: quantized top token not near the top"
            );
            if top_k == 1 {
                // The score between the top token and the runner-up keeps its side.
                let second = (0..a.len()).find(|&i| rank(&a, i) == 1).expect("runner-up");
                assert!(pair_score(&a, argmax(&a), second) > 0.5);
                assert!(
                    pair_score(&b, argmax(&a), second) > 0.5,
                    "{qtype:?}: verdict flipped"
                );
            }
        }
    }
}

fn rank(v: &[f32], i: usize) -> usize {
    v.iter().filter(|&&x| x > v[i]).count()
}

#[test]
fn quantized_model_supports_prefix_cache_batches_and_head_rows() {
    let p = pair(&quant_spec(13), GgmlDType::Q8_0);
    let m = &p.gguf;
    let prefix = ids(30, 512);
    let tails = [vec![5u32, 9, 11], vec![100u32, 200, 300, 400, 17]];
    let mut pc = m.new_cache(1);
    m.forward(&prefix, &mut pc, &Head::Full).expect("prefix");
    let rows = m.head_rows(&[1, 2, 3]).expect("quantized head rows");
    let refs: Vec<&[u32]> = tails.iter().map(Vec::as_slice).collect();
    let mut batch = pc.expand(2).expect("expand");
    let out_full = m
        .forward_batch(&refs, Padding::Right, &mut batch, &Head::Full)
        .expect("batch");
    let mut batch = pc.expand(2).expect("expand");
    let out = m
        .forward_batch(&refs, Padding::Right, &mut batch, &Head::Rows(rows))
        .expect("batch");
    for (i, t) in tails.iter().enumerate() {
        let mut whole = prefix.clone();
        whole.extend_from_slice(t);
        let full = logits(m, &whole);
        let batched: Vec<f32> = out_full.get(i).expect("row").to_vec1().expect("vec");
        let d = full
            .iter()
            .zip(&batched)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(d < 1e-4, "row {i}: batched vs single max |diff| {d}");
        // Verdict rows are dequantized and multiplied in f32, the full head multiplies
        // quantized activations: close, not bit-equal.
        let got: Vec<f32> = out.get(i).expect("row").to_vec1().expect("vec");
        for (j, id) in [1usize, 2, 3].iter().enumerate() {
            assert!((got[j] - full[*id]).abs() < 2e-2, "row {i} id {id}");
        }
    }
}
