//! Warden's forward pass against candle's reference Llama on the same random weights, and
//! the equivalences the classifier relies on: prefix cache, padded batches, vocabulary
//! subsets and query chunking.

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::llama as reference;
use warden_guard_model::load::{LoadOptions, ModelFiles, load_model};
use warden_guard_model::model::synthetic::{SyntheticSpec, random_weights, write_hf_dir};
use warden_guard_model::model::{Head, Llama, ModelError, Padding};

fn write(spec: &SyntheticSpec) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write_hf_dir(spec, dir.path()).expect("write synthetic model");
    std::fs::write(dir.path().join("tokenizer.json"), "{}").expect("placeholder tokenizer");
    dir
}

fn load(dir: &std::path::Path) -> Llama {
    let files = ModelFiles::resolve(dir, None).expect("resolve");
    load_model(&files, &LoadOptions::default()).expect("load")
}

fn reference_logits(spec: &SyntheticSpec, dir: &std::path::Path, ids: &[u32]) -> Vec<f32> {
    let text = std::fs::read_to_string(dir.join("config.json")).expect("config");
    let cfg: reference::LlamaConfig = serde_json::from_str(&text).expect("parse");
    let cfg = cfg.into_config(false);
    let weights = random_weights(spec).expect("weights");
    let weights = weights
        .into_iter()
        .map(|(k, v)| (k, v.to_dtype(DType::F32).expect("f32")))
        .collect();
    let vb = VarBuilder::from_tensors(weights, DType::F32, &Device::Cpu);
    let model = reference::Llama::load(vb, &cfg).expect("reference load");
    let mut cache = reference::Cache::new(true, DType::F32, &cfg, &Device::Cpu).expect("cache");
    let input = Tensor::new(ids, &Device::Cpu)
        .expect("ids")
        .unsqueeze(0)
        .expect("batch");
    model
        .forward(&input, 0, &mut cache)
        .expect("reference forward")
        .squeeze(0)
        .expect("squeeze")
        .to_vec1()
        .expect("vec")
}

fn row(t: &Tensor, i: usize) -> Vec<f32> {
    t.get(i).expect("row").to_vec1().expect("vec")
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn ids(n: usize, salt: u32, vocab: u32) -> Vec<u32> {
    (0..n as u32)
        .map(|i| (i * 37 + salt * 11 + 5) % vocab)
        .collect()
}

#[test]
fn matches_candle_llama_gqa() {
    let spec = SyntheticSpec::tiny(1);
    let dir = write(&spec);
    let model = load(dir.path());
    let input = ids(23, 1, 300);
    let mut cache = model.new_cache(1);
    let ours = row(
        &model
            .forward(&input, &mut cache, &Head::Full)
            .expect("forward"),
        0,
    );
    let theirs = reference_logits(&spec, dir.path(), &input);
    let spread = theirs.iter().cloned().fold(f32::MIN, f32::max)
        - theirs.iter().cloned().fold(f32::MAX, f32::min);
    assert!(
        spread > 1.0,
        "random model must give spread-out logits, got {spread}"
    );
    let d = max_diff(&ours, &theirs);
    assert!(d < 1e-4, "max |diff| {d}");
}

#[test]
fn matches_candle_llama_with_llama3_rope_scaling_and_tied_embeddings() {
    let mut spec = SyntheticSpec::tiny(2);
    spec.llama3_rope_scaling = Some((8.0, 1.0, 4.0, 64));
    spec.rope_theta = 10_000.0;
    spec.tie_word_embeddings = true;
    spec.num_kv_heads = 4;
    let dir = write(&spec);
    let model = load(dir.path());
    assert!(model.config().rope_scaling.is_some());
    let input = ids(150, 2, 300);
    let mut cache = model.new_cache(1);
    let ours = row(
        &model
            .forward(&input, &mut cache, &Head::Full)
            .expect("forward"),
        0,
    );
    let theirs = reference_logits(&spec, dir.path(), &input);
    let d = max_diff(&ours, &theirs);
    assert!(d < 1e-4, "max |diff| {d}");
}

#[test]
fn bf16_weights_load_as_f32_and_match() {
    let mut spec = SyntheticSpec::tiny(3);
    spec.dtype = DType::BF16;
    let dir = write(&spec);
    let model = load(dir.path());
    assert_eq!(model.dtype(), DType::F32);
    let input = ids(17, 3, 300);
    let mut cache = model.new_cache(1);
    let ours = row(
        &model
            .forward(&input, &mut cache, &Head::Full)
            .expect("forward"),
        0,
    );
    let theirs = reference_logits(&spec, dir.path(), &input);
    let d = max_diff(&ours, &theirs);
    assert!(d < 1e-4, "max |diff| {d}");
}

#[test]
fn prefix_cache_matches_full_pass() {
    let dir = write(&SyntheticSpec::tiny(4));
    let model = load(dir.path());
    let input = ids(60, 4, 300);
    let mut full = model.new_cache(1);
    let want = row(
        &model.forward(&input, &mut full, &Head::Full).expect("full"),
        0,
    );
    let mut prefix = model.new_cache(1);
    model
        .forward(&input[..41], &mut prefix, &Head::Full)
        .expect("prefix");
    for _ in 0..2 {
        // The prefix is reused (cloned) and stays untouched.
        let mut c = prefix.clone();
        let got = row(
            &model
                .forward(&input[41..], &mut c, &Head::Full)
                .expect("suffix"),
            0,
        );
        let d = max_diff(&got, &want);
        assert!(d < 1e-4, "max |diff| {d}");
    }
    assert_eq!(prefix.len(), 41);
}

#[test]
fn padded_batches_match_single_rows() {
    let dir = write(&SyntheticSpec::tiny(5));
    let model = load(dir.path());
    let seqs = [ids(9, 1, 300), ids(20, 2, 300), ids(14, 3, 300)];
    let singles: Vec<Vec<f32>> = seqs
        .iter()
        .map(|s| {
            let mut c = model.new_cache(1);
            row(&model.forward(s, &mut c, &Head::Full).expect("single"), 0)
        })
        .collect();
    let refs: Vec<&[u32]> = seqs.iter().map(Vec::as_slice).collect();
    for padding in [Padding::Right, Padding::Left] {
        let mut c = model.new_cache(3);
        let out = model
            .forward_batch(&refs, padding, &mut c, &Head::Full)
            .expect("batch");
        for (i, want) in singles.iter().enumerate() {
            let d = max_diff(&row(&out, i), want);
            assert!(d < 1e-4, "{padding:?} row {i}: max |diff| {d}");
        }
    }
    // A batch over a shared prefix, then decoding one row on after right padding.
    let prefix = ids(30, 9, 300);
    let mut pc = model.new_cache(1);
    model
        .forward(&prefix, &mut pc, &Head::Full)
        .expect("prefix");
    let mut batch = pc.expand(3).expect("expand");
    let out = model
        .forward_batch(&refs, Padding::Right, &mut batch, &Head::Full)
        .expect("batch over prefix");
    for (i, s) in seqs.iter().enumerate() {
        let mut whole = prefix.clone();
        whole.extend_from_slice(s);
        let mut c = model.new_cache(1);
        let want = row(
            &model.forward(&whole, &mut c, &Head::Full).expect("whole"),
            0,
        );
        let d = max_diff(&row(&out, i), &want);
        assert!(d < 1e-4, "prefix row {i}: max |diff| {d}");
        let mut next_row = batch.row(i).expect("row cache");
        let got = row(
            &model
                .forward(&[7], &mut next_row, &Head::Full)
                .expect("decode"),
            0,
        );
        whole.push(7);
        let mut c = model.new_cache(1);
        let want = row(
            &model.forward(&whole, &mut c, &Head::Full).expect("whole+1"),
            0,
        );
        let d = max_diff(&got, &want);
        assert!(d < 1e-4, "decode after batch row {i}: max |diff| {d}");
    }
}

#[test]
fn head_rows_are_the_matching_full_logits() {
    let dir = write(&SyntheticSpec::tiny(6));
    let model = load(dir.path());
    let input = ids(12, 6, 300);
    let mut c = model.new_cache(1);
    let full = row(
        &model.forward(&input, &mut c, &Head::Full).expect("full"),
        0,
    );
    let pick = [3u32, 299, 0, 150];
    let head = Head::Rows(model.head_rows(&pick).expect("rows"));
    let mut c = model.new_cache(1);
    let some = row(&model.forward(&input, &mut c, &head).expect("rows"), 0);
    for (j, &id) in pick.iter().enumerate() {
        assert!((some[j] - full[id as usize]).abs() < 1e-5);
    }
    assert!(matches!(model.head_rows(&[300]), Err(ModelError::Shape(_))));
}

#[test]
fn query_chunking_does_not_change_logits() {
    let dir = write(&SyntheticSpec::tiny(7));
    let mut model = load(dir.path());
    let input = ids(200, 7, 300);
    let mut c = model.new_cache(1);
    let want = row(
        &model
            .forward(&input, &mut c, &Head::Full)
            .expect("one chunk"),
        0,
    );
    model.set_attention_chunk(4 * 200 * 7);
    let mut c = model.new_cache(1);
    let got = row(
        &model.forward(&input, &mut c, &Head::Full).expect("chunks"),
        0,
    );
    let d = max_diff(&got, &want);
    assert!(d < 1e-5, "max |diff| {d}");
}

#[test]
fn context_limit_is_an_error_not_a_cut() {
    let mut spec = SyntheticSpec::tiny(8);
    spec.max_position_embeddings = 16;
    let dir = write(&spec);
    let model = load(dir.path());
    let mut c = model.new_cache(1);
    let err = model
        .forward(&ids(17, 8, 300), &mut c, &Head::Full)
        .expect_err("17 > 16");
    assert!(matches!(
        err,
        ModelError::ContextExceeded {
            tokens: 17,
            limit: 16
        }
    ));
}

#[test]
fn missing_and_corrupt_files_name_the_path() {
    let dir = write(&SyntheticSpec::tiny(9));
    std::fs::remove_file(dir.path().join("config.json")).expect("rm");
    let err = ModelFiles::resolve(dir.path(), None).expect_err("no config");
    let msg = err.to_string();
    assert!(
        msg.contains("config.json") && msg.contains("expected"),
        "{msg}"
    );

    let dir = write(&SyntheticSpec::tiny(9));
    let st = dir.path().join("model.safetensors");
    let bytes = std::fs::read(&st).expect("read");
    std::fs::write(&st, &bytes[..bytes.len() / 2]).expect("truncate");
    let files = ModelFiles::resolve(dir.path(), None).expect("resolve");
    let msg = load_model(&files, &LoadOptions::default())
        .expect_err("truncated")
        .to_string();
    assert!(
        msg.contains("model.safetensors") && msg.contains("corrupt"),
        "{msg}"
    );

    let gguf = dir.path().join("m.gguf");
    std::fs::write(&gguf, b"not a gguf").expect("write");
    let files = ModelFiles::resolve(&gguf, None).expect("tokenizer beside it");
    let msg = load_model(&files, &LoadOptions::default())
        .expect_err("bad gguf")
        .to_string();
    assert!(msg.contains("m.gguf") && msg.contains("GGUF"), "{msg}");
}
