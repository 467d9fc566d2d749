//! Seeded random Llama models in Hugging Face layout, and GGUF export: for tests,
//! benchmarks and memory measurements. Never a real guard.

use std::collections::HashMap;
use std::path::Path;

use candle_core::quantized::{GgmlDType, QTensor, gguf_file};
use candle_core::{DType, Device, Tensor};

use super::{ModelConfig, ModelError};

/// Shape of a synthetic model.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticSpec {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub vocab_size: usize,
    pub max_position_embeddings: usize,
    pub rope_theta: f32,
    /// `(factor, low_freq_factor, high_freq_factor, original_max_position_embeddings)`.
    pub llama3_rope_scaling: Option<(f32, f32, f32, usize)>,
    pub tie_word_embeddings: bool,
    /// Weight dtype on disk (F32, F16 or BF16).
    pub dtype: DType,
    pub seed: u64,
}

impl SyntheticSpec {
    /// A tiny model for unit tests.
    pub fn tiny(seed: u64) -> Self {
        Self {
            hidden_size: 64,
            intermediate_size: 160,
            num_layers: 2,
            num_heads: 4,
            num_kv_heads: 2,
            vocab_size: 300,
            max_position_embeddings: 8192,
            rope_theta: 500_000.0,
            llama3_rope_scaling: None,
            tie_word_embeddings: false,
            dtype: DType::F32,
            seed,
        }
    }

    /// The benchmark shape of the guard-model issue (about 154M parameters).
    pub fn bench_150m(seed: u64) -> Self {
        Self {
            hidden_size: 512,
            intermediate_size: 1408,
            num_layers: 8,
            num_heads: 8,
            num_kv_heads: 2,
            vocab_size: 128_256,
            max_position_embeddings: 8192,
            rope_theta: 500_000.0,
            llama3_rope_scaling: None,
            tie_word_embeddings: false,
            dtype: DType::F32,
            seed,
        }
    }

    fn config_json(&self) -> serde_json::Value {
        let mut c = serde_json::json!({
            "architectures": ["LlamaForCausalLM"],
            "model_type": "llama",
            "hidden_size": self.hidden_size,
            "intermediate_size": self.intermediate_size,
            "num_hidden_layers": self.num_layers,
            "num_attention_heads": self.num_heads,
            "num_key_value_heads": self.num_kv_heads,
            "vocab_size": self.vocab_size,
            "max_position_embeddings": self.max_position_embeddings,
            "rms_norm_eps": 1e-5,
            "rope_theta": self.rope_theta,
            "tie_word_embeddings": self.tie_word_embeddings,
            "bos_token_id": 128000,
            "eos_token_id": [128001, 128009],
            "hidden_act": "silu",
            "torch_dtype": match self.dtype { DType::F16 => "float16", DType::BF16 => "bfloat16", _ => "float32" },
        });
        if let Some((factor, low, high, orig)) = self.llama3_rope_scaling {
            c["rope_scaling"] = serde_json::json!({
                "rope_type": "llama3", "factor": factor, "low_freq_factor": low,
                "high_freq_factor": high, "original_max_position_embeddings": orig,
            });
        }
        c
    }
}

/// splitmix64: a tiny deterministic generator so the same seed gives the same model.
struct Rng(u64);

impl Rng {
    fn next_f32(&mut self) -> f32 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn random(rng: &mut Rng, dims: &[usize], scale: f32, dtype: DType) -> Result<Tensor, ModelError> {
    let n: usize = dims.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| (rng.next_f32() * 2.0 - 1.0) * scale)
        .collect();
    Ok(Tensor::from_vec(data, dims, &Device::Cpu)?.to_dtype(dtype)?)
}

fn norm_weight(rng: &mut Rng, n: usize, dtype: DType) -> Result<Tensor, ModelError> {
    let data: Vec<f32> = (0..n).map(|_| 0.8 + 0.4 * rng.next_f32()).collect();
    Ok(Tensor::from_vec(data, n, &Device::Cpu)?.to_dtype(dtype)?)
}

/// The weights of a synthetic model by Hugging Face tensor name.
pub fn random_weights(spec: &SyntheticSpec) -> Result<HashMap<String, Tensor>, ModelError> {
    let mut rng = Rng(spec.seed);
    let (h, i, v) = (spec.hidden_size, spec.intermediate_size, spec.vocab_size);
    let hd = h / spec.num_heads;
    let (qd, kvd) = (spec.num_heads * hd, spec.num_kv_heads * hd);
    let dt = spec.dtype;
    // Uniform weights with a fan-in scale keep activations O(1) through the layers, so
    // logits are spread out and comparisons are meaningful.
    let s = |fan_in: usize| (3.0 / fan_in as f32).sqrt();
    let mut w = HashMap::new();
    w.insert(
        "model.embed_tokens.weight".into(),
        random(&mut rng, &[v, h], 1.0, dt)?,
    );
    for l in 0..spec.num_layers {
        let p = format!("model.layers.{l}");
        w.insert(
            format!("{p}.self_attn.q_proj.weight"),
            random(&mut rng, &[qd, h], s(h), dt)?,
        );
        w.insert(
            format!("{p}.self_attn.k_proj.weight"),
            random(&mut rng, &[kvd, h], s(h), dt)?,
        );
        w.insert(
            format!("{p}.self_attn.v_proj.weight"),
            random(&mut rng, &[kvd, h], s(h), dt)?,
        );
        w.insert(
            format!("{p}.self_attn.o_proj.weight"),
            random(&mut rng, &[h, qd], s(qd), dt)?,
        );
        w.insert(
            format!("{p}.mlp.gate_proj.weight"),
            random(&mut rng, &[i, h], s(h), dt)?,
        );
        w.insert(
            format!("{p}.mlp.up_proj.weight"),
            random(&mut rng, &[i, h], s(h), dt)?,
        );
        w.insert(
            format!("{p}.mlp.down_proj.weight"),
            random(&mut rng, &[h, i], s(i), dt)?,
        );
        w.insert(
            format!("{p}.input_layernorm.weight"),
            norm_weight(&mut rng, h, dt)?,
        );
        w.insert(
            format!("{p}.post_attention_layernorm.weight"),
            norm_weight(&mut rng, h, dt)?,
        );
    }
    w.insert("model.norm.weight".into(), norm_weight(&mut rng, h, dt)?);
    if !spec.tie_word_embeddings {
        w.insert(
            "lm_head.weight".into(),
            random(&mut rng, &[v, h], s(h), dt)?,
        );
    }
    Ok(w)
}

/// Write a synthetic model as `config.json` + `model.safetensors` into `dir` (a
/// `tokenizer.json` is the caller's business).
pub fn write_hf_dir(spec: &SyntheticSpec, dir: &Path) -> Result<(), ModelError> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let cfg_path = dir.join("config.json");
    let text = serde_json::to_string_pretty(&spec.config_json())
        .map_err(|e| ModelError::Config(e.to_string()))?;
    std::fs::write(&cfg_path, text).map_err(|source| ModelError::Io {
        path: cfg_path,
        source,
    })?;
    let weights = random_weights(spec)?;
    candle_core::safetensors::save(&weights, dir.join("model.safetensors"))?;
    Ok(())
}

/// llama.cpp's q/k permutation (`convert_hf_to_gguf.py` `LlamaModel.permute`): rows of each
/// head are reordered from rotate-half to interleaved pairing.
fn permute_qk(w: &Tensor, heads: usize) -> Result<Tensor, ModelError> {
    let (out, inp) = w.dims2()?;
    let hd = out / heads;
    Ok(w.reshape((heads, 2, hd / 2, inp))?
        .transpose(1, 2)?
        .contiguous()?
        .reshape((out, inp))?)
}

/// Convert a Hugging Face Llama (`config.json` + safetensors, as [`write_hf_dir`] writes)
/// into a GGUF file the way llama.cpp's converter lays it out: its tensor names, permuted
/// q/k rows, `rope_freqs.weight` for `llama3` rope scaling, norms in f32 and the matrices
/// quantized to `qtype`.
pub fn hf_to_gguf(
    cfg: &ModelConfig,
    weights: &HashMap<String, Tensor>,
    qtype: GgmlDType,
    out: &Path,
) -> Result<(), ModelError> {
    let get = |name: &str| -> Result<Tensor, ModelError> {
        weights
            .get(name)
            .ok_or_else(|| ModelError::Shape(format!("missing tensor {name}")))?
            .to_dtype(DType::F32)
            .map_err(Into::into)
    };
    // Like llama.cpp, rows too short for the requested block fall back to a type with
    // 32-element blocks of similar width.
    let q = |t: &Tensor| -> Result<QTensor, ModelError> {
        let cols = t.dim(candle_core::D::Minus1)?;
        let ty = if cols.is_multiple_of(qtype.block_size()) {
            qtype
        } else {
            match qtype {
                GgmlDType::Q2K | GgmlDType::Q3K | GgmlDType::Q4K => GgmlDType::Q4_0,
                GgmlDType::Q5K => GgmlDType::Q5_0,
                _ => GgmlDType::Q8_0,
            }
        };
        Ok(QTensor::quantize(t, ty)?)
    };
    let f =
        |t: &Tensor| -> Result<QTensor, ModelError> { Ok(QTensor::quantize(t, GgmlDType::F32)?) };
    let mut tensors: Vec<(String, QTensor)> = Vec::new();
    tensors.push((
        "token_embd.weight".into(),
        q(&get("model.embed_tokens.weight")?)?,
    ));
    for l in 0..cfg.num_layers {
        let p = format!("model.layers.{l}");
        let b = format!("blk.{l}");
        let wq = permute_qk(
            &get(&format!("{p}.self_attn.q_proj.weight"))?,
            cfg.num_heads,
        )?;
        let wk = permute_qk(
            &get(&format!("{p}.self_attn.k_proj.weight"))?,
            cfg.num_kv_heads,
        )?;
        tensors.push((format!("{b}.attn_q.weight"), q(&wq)?));
        tensors.push((format!("{b}.attn_k.weight"), q(&wk)?));
        for (hf, gg) in [
            ("self_attn.v_proj", "attn_v"),
            ("self_attn.o_proj", "attn_output"),
            ("mlp.gate_proj", "ffn_gate"),
            ("mlp.up_proj", "ffn_up"),
            ("mlp.down_proj", "ffn_down"),
        ] {
            tensors.push((
                format!("{b}.{gg}.weight"),
                q(&get(&format!("{p}.{hf}.weight"))?)?,
            ));
        }
        tensors.push((
            format!("{b}.attn_norm.weight"),
            f(&get(&format!("{p}.input_layernorm.weight"))?)?,
        ));
        tensors.push((
            format!("{b}.ffn_norm.weight"),
            f(&get(&format!("{p}.post_attention_layernorm.weight"))?)?,
        ));
    }
    tensors.push(("output_norm.weight".into(), f(&get("model.norm.weight")?)?));
    if !cfg.tie_word_embeddings {
        tensors.push(("output.weight".into(), q(&get("lm_head.weight")?)?));
    }
    if cfg.rope_scaling.is_some() {
        let plain = ModelConfig {
            rope_scaling: None,
            ..cfg.clone()
        }
        .inv_freq();
        let factors: Vec<f32> = plain
            .iter()
            .zip(cfg.inv_freq())
            .map(|(p, s)| p / s)
            .collect();
        let n = factors.len();
        tensors.push((
            "rope_freqs.weight".into(),
            f(&Tensor::from_vec(factors, n, &Device::Cpu)?)?,
        ));
    }
    use gguf_file::Value;
    let u = |v: usize| Value::U32(v as u32);
    let md: Vec<(&str, Value)> = vec![
        ("general.architecture", Value::String("llama".into())),
        ("llama.context_length", u(cfg.max_position_embeddings)),
        ("llama.embedding_length", u(cfg.hidden_size)),
        ("llama.feed_forward_length", u(cfg.intermediate_size)),
        ("llama.block_count", u(cfg.num_layers)),
        ("llama.attention.head_count", u(cfg.num_heads)),
        ("llama.attention.head_count_kv", u(cfg.num_kv_heads)),
        ("llama.rope.dimension_count", u(cfg.head_dim)),
        ("llama.rope.freq_base", Value::F32(cfg.rope_theta)),
        (
            "llama.attention.layer_norm_rms_epsilon",
            Value::F32(cfg.rms_norm_eps as f32),
        ),
        ("llama.vocab_size", u(cfg.vocab_size)),
    ];
    let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
    let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let mut file =
        std::io::BufWriter::new(std::fs::File::create(out).map_err(|source| ModelError::Io {
            path: out.to_path_buf(),
            source,
        })?);
    gguf_file::write(&mut file, &md_refs, &t_refs)?;
    Ok(())
}
