//! Finding and loading model files: a Hugging Face directory (`config.json`,
//! `tokenizer.json`, one or sharded `*.safetensors`) or a `.gguf` file with a
//! `tokenizer.json` beside it.
//!
//! Safetensors are streamed tensor by tensor into owned buffers with plain reads rather
//! than memory-mapped: a mapping keeps every page it touched resident until it is dropped,
//! which doubles peak memory while the model is converted to its compute layout. Streaming
//! keeps peak RSS at the size of the weights plus one read buffer. The loaded weights are
//! then shared (reference counted, immutable) by every model thread.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufReader, IsTerminal, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Tensor};
use serde::Deserialize;

use crate::model::{
    Embedding, Fused, Layer, Linear, Llama, ModelConfig, ModelError, RmsNorm, RopeStyle,
};

/// The files that make up one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelFiles {
    /// A Hugging Face directory.
    HfDir {
        dir: PathBuf,
        config: PathBuf,
        weights: Vec<PathBuf>,
        tokenizer: PathBuf,
    },
    /// A GGUF file and the tokenizer to use with it.
    Gguf { file: PathBuf, tokenizer: PathBuf },
}

impl ModelFiles {
    /// Resolve `path` (a directory or a `.gguf` file); `tokenizer` overrides where the
    /// `tokenizer.json` is looked for.
    pub fn resolve(path: &Path, tokenizer: Option<&Path>) -> Result<Self, ModelError> {
        let meta = std::fs::metadata(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if meta.is_dir() {
            let config = path.join("config.json");
            require(&config, "a Hugging Face config.json (Llama architecture)")?;
            let tokenizer = match tokenizer {
                Some(t) => t.to_path_buf(),
                None => path.join("tokenizer.json"),
            };
            require(&tokenizer, "the model's tokenizer.json")?;
            let weights = safetensors_files(path)?;
            return Ok(ModelFiles::HfDir {
                dir: path.to_path_buf(),
                config,
                weights,
                tokenizer,
            });
        }
        if path.extension().is_some_and(|e| e == "gguf") {
            let tokenizer = match tokenizer {
                Some(t) => t.to_path_buf(),
                None => {
                    let dir = path.parent().unwrap_or(Path::new("."));
                    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                    let named = dir.join(format!("{stem}.tokenizer.json"));
                    if named.is_file() {
                        named
                    } else {
                        dir.join("tokenizer.json")
                    }
                }
            };
            require(
                &tokenizer,
                "a tokenizer.json beside the .gguf file (or pass one explicitly)",
            )?;
            return Ok(ModelFiles::Gguf {
                file: path.to_path_buf(),
                tokenizer,
            });
        }
        Err(ModelError::Format {
            path: path.to_path_buf(),
            what: "expected a Hugging Face model directory or a .gguf file".into(),
        })
    }

    pub fn tokenizer(&self) -> &Path {
        match self {
            ModelFiles::HfDir { tokenizer, .. } | ModelFiles::Gguf { tokenizer, .. } => tokenizer,
        }
    }

    /// Total size of the weight files in bytes.
    pub fn weight_bytes(&self) -> u64 {
        let files: Vec<&PathBuf> = match self {
            ModelFiles::HfDir { weights, .. } => weights.iter().collect(),
            ModelFiles::Gguf { file, .. } => vec![file],
        };
        files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum()
    }
}

/// How to load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Compute dtype for dense weights; `None` = f32 on CPU, the file's dtype elsewhere.
    pub dtype: Option<DType>,
    pub device: Device,
    /// Show a progress bar when stderr is a terminal.
    pub progress: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            dtype: None,
            device: Device::Cpu,
            progress: true,
        }
    }
}

fn require(path: &Path, what: &str) -> Result<(), ModelError> {
    if path.is_file() {
        Ok(())
    } else {
        Err(ModelError::Format {
            path: path.to_path_buf(),
            what: format!("missing: expected {what}"),
        })
    }
}

#[derive(Deserialize)]
struct ShardIndex {
    weight_map: BTreeMap<String, String>,
}

fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>, ModelError> {
    let index = dir.join("model.safetensors.index.json");
    if index.is_file() {
        let text = read_text(&index)?;
        let idx: ShardIndex = serde_json::from_str(&text).map_err(|e| ModelError::Format {
            path: index.clone(),
            what: format!("not a safetensors index (expected {{\"weight_map\": {{...}}}}): {e}"),
        })?;
        let mut files: Vec<PathBuf> = idx.weight_map.values().map(|f| dir.join(f)).collect();
        files.sort();
        files.dedup();
        for f in &files {
            require(
                f,
                "a safetensors shard listed in model.safetensors.index.json",
            )?;
        }
        return Ok(files);
    }
    let single = dir.join("model.safetensors");
    if single.is_file() {
        return Ok(vec![single]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|source| ModelError::Io {
            path: dir.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(ModelError::Format {
            path: dir.to_path_buf(),
            what: "no weights: expected model.safetensors, sharded *.safetensors with \
                   model.safetensors.index.json, or pass a .gguf file"
                .into(),
        });
    }
    Ok(files)
}

fn read_text(path: &Path) -> Result<String, ModelError> {
    std::fs::read_to_string(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Load a model (the tokenizer is loaded by the caller).
pub fn load_model(files: &ModelFiles, opts: &LoadOptions) -> Result<Llama, ModelError> {
    match files {
        ModelFiles::HfDir {
            config, weights, ..
        } => {
            let cfg = ModelConfig::from_hf_json(&read_text(config)?).map_err(|e| match e {
                ModelError::Config(what) => ModelError::Format {
                    path: config.clone(),
                    what,
                },
                other => other,
            })?;
            load_safetensors(cfg, weights, opts)
        }
        ModelFiles::Gguf { file, .. } => load_gguf(file, opts),
    }
}

fn progress_bar(total: u64, enabled: bool, what: &str) -> indicatif::ProgressBar {
    if !enabled || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

#[derive(Deserialize)]
struct StEntry {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: (u64, u64),
}

/// Read every tensor of the safetensors files, converting to `dtype` on the way.
fn read_safetensors(
    paths: &[PathBuf],
    dtype: Option<DType>,
    device: &Device,
    progress: bool,
) -> Result<(HashMap<String, Tensor>, DType), ModelError> {
    let mut headers = Vec::with_capacity(paths.len());
    let mut total = 0u64;
    for path in paths {
        let io = |source| ModelError::Io {
            path: path.clone(),
            source,
        };
        let corrupt = |what: String| ModelError::Format {
            path: path.clone(),
            what: format!("corrupt safetensors file: {what}"),
        };
        let mut f = File::open(path).map_err(io)?;
        let file_len = f.metadata().map_err(io)?.len();
        let mut n = [0u8; 8];
        f.read_exact(&mut n)
            .map_err(|e| corrupt(format!("cannot read the 8-byte header length ({e})")))?;
        let n = u64::from_le_bytes(n);
        if n > file_len.saturating_sub(8) || n > 100_000_000 {
            return Err(corrupt(format!(
                "header length {n} does not fit the file ({file_len} bytes)"
            )));
        }
        let mut header = vec![0u8; n as usize];
        f.read_exact(&mut header)
            .map_err(|e| corrupt(format!("truncated header ({e})")))?;
        let mut raw: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&header)
            .map_err(|e| corrupt(format!("header is not JSON ({e})")))?;
        raw.remove("__metadata__");
        let data_start = 8 + n;
        let mut entries = Vec::with_capacity(raw.len());
        for (name, v) in raw {
            let e: StEntry =
                serde_json::from_value(v).map_err(|e| corrupt(format!("tensor {name}: {e}")))?;
            if data_start + e.data_offsets.1 > file_len || e.data_offsets.0 > e.data_offsets.1 {
                return Err(corrupt(format!(
                    "tensor {name} extends past the end of the file (truncated download?)"
                )));
            }
            total += e.data_offsets.1 - e.data_offsets.0;
            entries.push((name, e));
        }
        entries.sort_by_key(|(_, e)| e.data_offsets.0);
        headers.push((path.clone(), data_start, entries));
    }
    let bar = progress_bar(total, progress, "loading weights");
    let mut tensors = HashMap::new();
    let mut file_dtype = None;
    for (path, data_start, entries) in headers {
        let io = |source| ModelError::Io {
            path: path.clone(),
            source,
        };
        let mut f = BufReader::with_capacity(1 << 20, File::open(&path).map_err(io)?);
        for (name, e) in entries {
            let src = match e.dtype.as_str() {
                "F32" => DType::F32,
                "F16" => DType::F16,
                "BF16" => DType::BF16,
                other => {
                    return Err(ModelError::Format {
                        path: path.clone(),
                        what: format!(
                            "tensor {name} has dtype {other}; expected F32, F16 or BF16 \
                             (use a GGUF file for quantized weights)"
                        ),
                    });
                }
            };
            file_dtype.get_or_insert(src);
            let target = dtype.unwrap_or(if device.is_cpu() { DType::F32 } else { src });
            let len = (e.data_offsets.1 - e.data_offsets.0) as usize;
            let elems: usize = e.shape.iter().product();
            if elems * src.size_in_bytes() != len {
                return Err(ModelError::Format {
                    path: path.clone(),
                    what: format!(
                        "tensor {name}: shape {:?} needs {} bytes, file has {len}",
                        e.shape,
                        elems * src.size_in_bytes()
                    ),
                });
            }
            f.seek(SeekFrom::Start(data_start + e.data_offsets.0))
                .map_err(io)?;
            let t =
                read_tensor(&mut f, src, target, &e.shape, device).map_err(|err| match err {
                    ModelError::Io { source, .. } => ModelError::Io {
                        path: path.clone(),
                        source,
                    },
                    other => other,
                })?;
            bar.inc(len as u64);
            tensors.insert(name, t);
        }
    }
    bar.finish_and_clear();
    let target = dtype.unwrap_or(if device.is_cpu() {
        DType::F32
    } else {
        file_dtype.unwrap_or(DType::F32)
    });
    Ok((tensors, target))
}

/// Stream one tensor; f32 and bf16 sources become f32 without a second full-size buffer.
fn read_tensor<R: Read>(
    r: &mut R,
    src: DType,
    target: DType,
    shape: &[usize],
    device: &Device,
) -> Result<Tensor, ModelError> {
    let elems: usize = shape.iter().product();
    let io = |source| ModelError::Io {
        path: PathBuf::new(),
        source,
    };
    let streamable = target == DType::F32 && matches!(src, DType::F32 | DType::BF16);
    if streamable {
        let width = src.size_in_bytes();
        let mut out: Vec<f32> = Vec::with_capacity(elems);
        let mut buf = vec![0u8; (1 << 16) * width];
        let mut left = elems;
        while left > 0 {
            let n = left.min(1 << 16);
            let chunk = &mut buf[..n * width];
            r.read_exact(chunk).map_err(io)?;
            if src == DType::F32 {
                out.extend(
                    chunk
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            } else {
                out.extend(
                    chunk
                        .chunks_exact(2)
                        .map(|b| f32::from_bits(u32::from(u16::from_le_bytes([b[0], b[1]])) << 16)),
                );
            }
            left -= n;
        }
        let t = Tensor::from_vec(out, shape, &Device::Cpu)?;
        return Ok(if device.is_cpu() {
            t
        } else {
            t.to_device(device)?
        });
    }
    let mut bytes = vec![0u8; elems * src.size_in_bytes()];
    r.read_exact(&mut bytes).map_err(io)?;
    let t = Tensor::from_raw_buffer(&bytes, src, shape, &Device::Cpu)?;
    drop(bytes);
    Ok(t.to_dtype(target)?.to_device(device)?)
}

fn load_safetensors(
    cfg: ModelConfig,
    paths: &[PathBuf],
    opts: &LoadOptions,
) -> Result<Llama, ModelError> {
    let (mut w, dtype) = read_safetensors(paths, opts.dtype, &opts.device, opts.progress)?;
    let origin = paths.first().cloned().unwrap_or_default();
    let mut take = |name: &str, dims: &[usize]| -> Result<Tensor, ModelError> {
        let t = w.remove(name).ok_or_else(|| ModelError::Format {
            path: origin.clone(),
            what: format!("missing tensor {name} (shape {dims:?})"),
        })?;
        if t.dims() != dims {
            return Err(ModelError::Format {
                path: origin.clone(),
                what: format!("tensor {name} has shape {:?}, expected {dims:?}", t.dims()),
            });
        }
        Ok(t)
    };
    let (h, i, v) = (cfg.hidden_size, cfg.intermediate_size, cfg.vocab_size);
    let (qd, kvd) = (
        cfg.num_heads * cfg.head_dim,
        cfg.num_kv_heads * cfg.head_dim,
    );
    let eps = cfg.rms_norm_eps as f32;
    let embed = take("model.embed_tokens.weight", &[v, h])?;
    let mut layers = Vec::with_capacity(cfg.num_layers);
    for l in 0..cfg.num_layers {
        let p = format!("model.layers.{l}");
        let q = take(&format!("{p}.self_attn.q_proj.weight"), &[qd, h])?;
        let k = take(&format!("{p}.self_attn.k_proj.weight"), &[kvd, h])?;
        let vv = take(&format!("{p}.self_attn.v_proj.weight"), &[kvd, h])?;
        let o = take(&format!("{p}.self_attn.o_proj.weight"), &[h, qd])?;
        let gate = take(&format!("{p}.mlp.gate_proj.weight"), &[i, h])?;
        let up = take(&format!("{p}.mlp.up_proj.weight"), &[i, h])?;
        let down = take(&format!("{p}.mlp.down_proj.weight"), &[h, i])?;
        let attn_norm = take(&format!("{p}.input_layernorm.weight"), &[h])?;
        let mlp_norm = take(&format!("{p}.post_attention_layernorm.weight"), &[h])?;
        layers.push(Layer {
            attn_norm: RmsNorm {
                weight: attn_norm,
                eps,
            },
            qkv: Fused::new(vec![Linear::Dense(q), Linear::Dense(k), Linear::Dense(vv)])?,
            o: Linear::Dense(o),
            mlp_norm: RmsNorm {
                weight: mlp_norm,
                eps,
            },
            gate_up: Fused::new(vec![Linear::Dense(gate), Linear::Dense(up)])?,
            down: Linear::Dense(down),
        });
    }
    let norm = take("model.norm.weight", &[h])?;
    let embed = Embedding::Dense(embed);
    let lm_head = if cfg.tie_word_embeddings {
        embed.as_linear()?
    } else {
        Linear::Dense(take("lm_head.weight", &[v, h])?)
    };
    let inv_freq = cfg.inv_freq();
    Llama::new(
        cfg,
        RopeStyle::RotateHalf,
        embed,
        layers,
        RmsNorm { weight: norm, eps },
        lm_head,
        inv_freq,
        dtype,
        &opts.device,
    )
}

fn load_gguf(path: &Path, opts: &LoadOptions) -> Result<Llama, ModelError> {
    let io = |source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    };
    let corrupt = |what: String| ModelError::Format {
        path: path.to_path_buf(),
        what,
    };
    let mut f = BufReader::with_capacity(1 << 20, File::open(path).map_err(io)?);
    let ct = gguf_file::Content::read(&mut f)
        .map_err(|e| corrupt(format!("not a readable GGUF file: {e}")))?;
    let arch = ct
        .metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if arch != "llama" {
        return Err(corrupt(format!(
            "general.architecture is {arch:?}; expected \"llama\""
        )));
    }
    let md_u = |key: &str| -> Result<usize, ModelError> {
        ct.metadata
            .get(&format!("llama.{key}"))
            .ok_or_else(|| corrupt(format!("missing metadata llama.{key}")))?
            .to_u32()
            .map(|v| v as usize)
            .map_err(|e| corrupt(format!("metadata llama.{key}: {e}")))
    };
    let md_f = |key: &str| -> Option<f32> {
        ct.metadata
            .get(&format!("llama.{key}"))
            .and_then(|v| v.to_f32().ok())
    };
    let md_opt_u =
        |key: &str| -> Option<u32> { ct.metadata.get(key).and_then(|v| v.to_u32().ok()) };
    let total: u64 = ct
        .tensor_infos
        .values()
        .map(|t| {
            (t.shape.elem_count() / t.ggml_dtype.block_size() * t.ggml_dtype.type_size()) as u64
        })
        .sum();
    let bar = progress_bar(total, opts.progress, "loading weights");
    let device = &opts.device;
    let mut get = |name: &str| -> Result<QTensor, ModelError> {
        let t = ct
            .tensor(&mut f, name, device)
            .map_err(|e| corrupt(format!("tensor {name}: {e}")))?;
        bar.inc(t.storage_size_in_bytes() as u64);
        Ok(t)
    };
    let embed_q = get("token_embd.weight")?;
    let (vocab, hidden) = embed_q.shape().dims2()?;
    let heads = md_u("attention.head_count")?;
    let cfg = ModelConfig {
        hidden_size: hidden,
        intermediate_size: md_u("feed_forward_length")?,
        num_layers: md_u("block_count")?,
        num_heads: heads,
        num_kv_heads: md_u("attention.head_count_kv").unwrap_or(heads),
        head_dim: md_u("rope.dimension_count").unwrap_or(hidden / heads.max(1)),
        vocab_size: vocab,
        rms_norm_eps: f64::from(md_f("attention.layer_norm_rms_epsilon").unwrap_or(1e-5)),
        rope_theta: md_f("rope.freq_base").unwrap_or(10_000.0),
        rope_scaling: None,
        max_position_embeddings: md_u("context_length").unwrap_or(8192),
        tie_word_embeddings: !ct.tensor_infos.contains_key("output.weight"),
        bos_token_id: md_opt_u("tokenizer.ggml.bos_token_id"),
        eos_token_ids: md_opt_u("tokenizer.ggml.eos_token_id")
            .into_iter()
            .collect(),
    };
    cfg.validate()?;
    let dense = |q: QTensor| -> Result<Tensor, ModelError> { Ok(q.dequantize(device)?) };
    let linear = |q: QTensor| -> Result<Linear, ModelError> {
        Ok(Linear::Quantized(QMatMul::from_qtensor(q)?))
    };
    let eps = cfg.rms_norm_eps as f32;
    let mut layers = Vec::with_capacity(cfg.num_layers);
    for l in 0..cfg.num_layers {
        let p = format!("blk.{l}");
        let q = linear(get(&format!("{p}.attn_q.weight"))?)?;
        let k = linear(get(&format!("{p}.attn_k.weight"))?)?;
        let v = linear(get(&format!("{p}.attn_v.weight"))?)?;
        let o = linear(get(&format!("{p}.attn_output.weight"))?)?;
        let gate = linear(get(&format!("{p}.ffn_gate.weight"))?)?;
        let up = linear(get(&format!("{p}.ffn_up.weight"))?)?;
        let down = linear(get(&format!("{p}.ffn_down.weight"))?)?;
        layers.push(Layer {
            attn_norm: RmsNorm {
                weight: dense(get(&format!("{p}.attn_norm.weight"))?)?,
                eps,
            },
            qkv: Fused::new(vec![q, k, v])?,
            o,
            mlp_norm: RmsNorm {
                weight: dense(get(&format!("{p}.ffn_norm.weight"))?)?,
                eps,
            },
            gate_up: Fused::new(vec![gate, up])?,
            down,
        });
    }
    let norm = dense(get("output_norm.weight")?)?;
    // llama.cpp stores Llama 3.1 rope scaling as per-frequency divisors.
    let mut inv_freq = cfg.inv_freq();
    if ct.tensor_infos.contains_key("rope_freqs.weight") {
        let factors = dense(get("rope_freqs.weight")?)?.to_vec1::<f32>()?;
        if factors.len() != inv_freq.len() {
            return Err(corrupt(format!(
                "rope_freqs.weight has {} values, expected {}",
                factors.len(),
                inv_freq.len()
            )));
        }
        for (f, d) in inv_freq.iter_mut().zip(factors) {
            *f /= d;
        }
    }
    let embed = match embed_q.dtype() {
        GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 => {
            Embedding::Dense(embed_q.dequantize(device)?)
        }
        _ => Embedding::Quantized(Arc::new(embed_q)),
    };
    let lm_head = if cfg.tie_word_embeddings {
        embed.as_linear()?
    } else {
        linear(get("output.weight")?)?
    };
    bar.finish_and_clear();
    Llama::new(
        cfg,
        RopeStyle::Interleaved,
        embed,
        layers,
        RmsNorm { weight: norm, eps },
        lm_head,
        inv_freq,
        DType::F32,
        device,
    )
}
