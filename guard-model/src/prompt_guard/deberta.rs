//! DeBERTa-v2/v3 sequence classification (`DebertaV2ForSequenceClassification`), forward only.
//!
//! Written here rather than taken from `candle_transformers::models::debertav2` for two reasons:
//! that port recomputes the position projections of the relative embeddings
//! (`2 x position_buckets` rows through the key and query projections of every layer) on every
//! call, which for Prompt Guard's 512 buckets costs more than the whole 64-token input does; and
//! it panics (`todo!`) on configs it does not cover. Here the projections are computed once at
//! load, only the rows a sequence of this length can reach are multiplied, and unsupported configs
//! are load errors. The arithmetic follows transformers' `modeling_deberta_v2.py` (checked to
//! 1e-4 against it by `tests/prompt_guard_reference.rs`).

use std::collections::HashMap;

use candle_core::{D, DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear};

use super::kernels::{GeluErf as GeluErfKernel, RelAttnSoftmax, RelIndexTables};
use serde::Deserialize;

/// The config.json fields this forward pass reads (everything else is ignored).
#[derive(Debug, Clone, Deserialize)]
pub struct RawDebertaConfig {
    /// `deberta-v2` (v3 checkpoints, mDeBERTa and Prompt Guard use it too).
    #[serde(default)]
    pub model_type: Option<String>,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    #[serde(default = "default_act")]
    pub hidden_act: String,
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub relative_attention: bool,
    #[serde(default = "minus_one")]
    pub max_relative_positions: i64,
    #[serde(default = "yes")]
    pub position_biased_input: bool,
    /// `"p2c|c2p"` or `["p2c", "c2p"]`.
    #[serde(default)]
    pub pos_att_type: Option<PosAttType>,
    #[serde(default = "minus_one")]
    pub position_buckets: i64,
    #[serde(default)]
    pub share_att_key: bool,
    #[serde(default)]
    pub norm_rel_ebd: Option<String>,
    #[serde(default)]
    pub embedding_size: Option<usize>,
    #[serde(default)]
    pub attention_head_size: Option<usize>,
    #[serde(default)]
    pub conv_kernel_size: Option<usize>,
    #[serde(default)]
    pub pooler_hidden_size: Option<usize>,
    #[serde(default)]
    pub pooler_hidden_act: Option<String>,
    /// Label names by id (`{"0": "BENIGN", ...}`); transformers leaves it out for the default
    /// `LABEL_0`, `LABEL_1`.
    #[serde(default)]
    pub id2label: Option<HashMap<String, String>>,
    #[serde(default)]
    pub num_labels: Option<usize>,
}

/// `pos_att_type` as either spelling.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PosAttType {
    Joined(String),
    List(Vec<String>),
}

impl PosAttType {
    fn items(&self) -> Vec<String> {
        match self {
            PosAttType::Joined(s) => s.split('|').map(|t| t.trim().to_lowercase()).collect(),
            PosAttType::List(v) => v.iter().map(|t| t.trim().to_lowercase()).collect(),
        }
    }
}

fn default_act() -> String {
    "gelu".to_string()
}
fn default_eps() -> f64 {
    1e-7
}
fn minus_one() -> i64 {
    -1
}
fn yes() -> bool {
    true
}

/// An activation named in config.json.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu`: the exact (erf) form, as torch computes it.
    GeluErf,
    /// `gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`: the tanh approximation.
    GeluTanh,
    Relu,
    Tanh,
}

impl Activation {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu" => Some(Self::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Self::GeluTanh),
            "relu" => Some(Self::Relu),
            "tanh" => Some(Self::Tanh),
            _ => None,
        }
    }

    fn apply(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            // The CPU kernel (kernels.rs) on the CPU; candle's op elsewhere.
            Self::GeluErf if x.device().is_cpu() && x.dtype() == DType::F32 => {
                x.contiguous()?.apply_op1_no_bwd(&GeluErfKernel)
            }
            Self::GeluErf => x.gelu_erf(),
            Self::GeluTanh => x.gelu(),
            Self::Relu => x.relu(),
            Self::Tanh => x.tanh(),
        }
    }
}

/// The checked config.
#[derive(Debug, Clone)]
pub struct DebertaConfig {
    pub vocab_size: usize,
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub head_dim: usize,
    pub intermediate: usize,
    pub act: Activation,
    pub max_positions: usize,
    pub type_vocab_size: usize,
    pub eps: f64,
    pub embedding_size: usize,
    pub position_biased_input: bool,
    /// `None` without relative attention.
    pub relative: Option<Relative>,
    pub pooler_hidden: usize,
    pub pooler_act: Activation,
    /// Raw label names in id order (`LABEL_<i>` when config.json names none).
    pub labels: Vec<String>,
}

/// Relative-attention settings.
#[derive(Debug, Clone)]
pub struct Relative {
    pub c2p: bool,
    pub p2c: bool,
    pub share_att_key: bool,
    /// Log buckets (`position_buckets`), or `None` for plain clamped distances.
    pub buckets: Option<i64>,
    /// `max_relative_positions`, or `max_position_embeddings` when it is below 1.
    pub max_relative: i64,
    /// Rows of the relative embedding used on each side: `position_buckets` or `max_relative`.
    pub span: i64,
    pub layer_norm_rel: bool,
}

impl DebertaConfig {
    /// Check a raw config; `Err` says which key is unsupported and why.
    pub fn from_raw(raw: &RawDebertaConfig) -> Result<Self, String> {
        if let Some(t) = &raw.model_type
            && t != "deberta-v2"
        {
            return Err(format!(
                "model_type is {t:?}; expected \"deberta-v2\" (Prompt Guard 1 and 2, DeBERTa-v3, \
                 mDeBERTa)"
            ));
        }
        if raw.num_attention_heads == 0 || !raw.hidden_size.is_multiple_of(raw.num_attention_heads)
        {
            return Err(format!(
                "hidden_size {} is not a multiple of num_attention_heads {}",
                raw.hidden_size, raw.num_attention_heads
            ));
        }
        let head_dim = raw
            .attention_head_size
            .unwrap_or(raw.hidden_size / raw.num_attention_heads);
        if head_dim * raw.num_attention_heads != raw.hidden_size {
            return Err(format!(
                "attention_head_size {head_dim} x {} heads != hidden_size {}: not supported",
                raw.num_attention_heads, raw.hidden_size
            ));
        }
        if raw.conv_kernel_size.unwrap_or(0) > 0 {
            return Err(
                "conv_kernel_size > 0 (the DeBERTa-v2-xlarge convolution layer) is not supported"
                    .to_string(),
            );
        }
        let act = Activation::parse(&raw.hidden_act)
            .ok_or_else(|| format!("hidden_act {:?} is not supported", raw.hidden_act))?;
        let pooler_act_name = raw.pooler_hidden_act.as_deref().unwrap_or("gelu");
        let pooler_act = Activation::parse(pooler_act_name)
            .ok_or_else(|| format!("pooler_hidden_act {pooler_act_name:?} is not supported"))?;
        let pooler_hidden = raw.pooler_hidden_size.unwrap_or(raw.hidden_size);
        if pooler_hidden != raw.hidden_size {
            return Err(format!(
                "pooler_hidden_size {pooler_hidden} differs from hidden_size {}: not supported",
                raw.hidden_size
            ));
        }
        let relative = if raw.relative_attention {
            let types = raw
                .pos_att_type
                .as_ref()
                .map(PosAttType::items)
                .unwrap_or_default();
            if let Some(other) = types.iter().find(|t| *t != "c2p" && *t != "p2c") {
                return Err(format!(
                    "pos_att_type {other:?} is not supported (expected c2p and/or p2c)"
                ));
            }
            let max_relative = if raw.max_relative_positions < 1 {
                raw.max_position_embeddings as i64
            } else {
                raw.max_relative_positions
            };
            let buckets = (raw.position_buckets > 0).then_some(raw.position_buckets);
            let norm = raw.norm_rel_ebd.as_deref().unwrap_or("none").to_lowercase();
            Some(Relative {
                c2p: types.iter().any(|t| t == "c2p"),
                p2c: types.iter().any(|t| t == "p2c"),
                share_att_key: raw.share_att_key,
                buckets,
                max_relative,
                span: buckets.unwrap_or(max_relative),
                layer_norm_rel: norm.split('|').any(|t| t.trim() == "layer_norm"),
            })
        } else {
            None
        };
        let mut labels: Vec<(usize, String)> = Vec::new();
        for (k, v) in raw.id2label.iter().flatten() {
            let id: usize = k
                .parse()
                .map_err(|_| format!("id2label key {k:?} is not a number"))?;
            labels.push((id, v.clone()));
        }
        labels.sort();
        if labels.is_empty()
            && let Some(n) = raw.num_labels
        {
            labels = (0..n).map(|i| (i, format!("LABEL_{i}"))).collect();
        }
        // Without id2label or num_labels the classifier's shape decides (see `new`).
        if labels.iter().enumerate().any(|(i, (id, _))| i != *id) {
            return Err(
                "id2label must name every label id 0..n (Prompt Guard 1: BENIGN, INJECTION, \
                 JAILBREAK)"
                    .to_string(),
            );
        }
        Ok(Self {
            vocab_size: raw.vocab_size,
            hidden: raw.hidden_size,
            layers: raw.num_hidden_layers,
            heads: raw.num_attention_heads,
            head_dim,
            intermediate: raw.intermediate_size,
            act,
            max_positions: raw.max_position_embeddings,
            type_vocab_size: raw.type_vocab_size,
            eps: raw.layer_norm_eps,
            embedding_size: raw.embedding_size.unwrap_or(raw.hidden_size),
            position_biased_input: raw.position_biased_input,
            relative,
            pooler_hidden,
            pooler_act,
            labels: labels.into_iter().map(|(_, v)| v).collect(),
        })
    }

    /// Factor under the square root of the attention scale: 1 + one per relative term.
    fn scale(&self) -> f64 {
        let terms = self
            .relative
            .as_ref()
            .map_or(0, |r| usize::from(r.c2p) + usize::from(r.p2c));
        ((self.head_dim * (1 + terms)) as f64).sqrt()
    }
}

/// transformers' `make_log_bucket_position` for one distance, in the same f32 steps.
pub fn bucket_position(rel: i64, bucket_size: i64, max_position: i64) -> i64 {
    let mid = bucket_size / 2;
    let abs_pos = if rel < mid && rel > -mid {
        mid - 1
    } else {
        rel.abs()
    };
    if abs_pos <= mid {
        return rel;
    }
    let denom = (((max_position - 1) as f64 / mid as f64) as f32).ln();
    let log_pos =
        ((abs_pos as f32 / mid as f32).ln() / denom * (mid - 1) as f32).ceil() + mid as f32;
    (log_pos * rel.signum() as f32) as i64
}

/// Named tensors of a checkpoint; `take` removes one and checks its shape.
pub struct Weights {
    tensors: HashMap<String, Tensor>,
    prefix: String,
}

impl std::fmt::Debug for Weights {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Weights")
            .field("tensors", &self.tensors.len())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Weights {
    /// `tensors` as read from the safetensors files, converted to f32.
    pub fn new(tensors: HashMap<String, Tensor>) -> Self {
        let prefix = if tensors.keys().any(|k| k.starts_with("deberta.")) {
            "deberta.".to_string()
        } else {
            String::new()
        };
        Self { tensors, prefix }
    }

    fn take_exact(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, String> {
        let t = self
            .tensors
            .remove(name)
            .ok_or_else(|| format!("missing tensor {name} (shape {dims:?})"))?;
        if t.dims() != dims {
            return Err(format!(
                "tensor {name} has shape {:?}, expected {dims:?}",
                t.dims()
            ));
        }
        Ok(t)
    }

    /// A backbone tensor (`deberta.` prefix when the checkpoint has one).
    fn backbone(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, String> {
        let full = format!("{}{name}", self.prefix);
        self.take_exact(&full, dims)
    }

    fn linear(&mut self, name: &str, out: usize, inp: usize, head: bool) -> Result<Linear, String> {
        let (w, b) = if head {
            (
                self.take_exact(&format!("{name}.weight"), &[out, inp])?,
                self.take_exact(&format!("{name}.bias"), &[out])?,
            )
        } else {
            (
                self.backbone(&format!("{name}.weight"), &[out, inp])?,
                self.backbone(&format!("{name}.bias"), &[out])?,
            )
        };
        Ok(Linear::new(w, Some(b)))
    }

    fn layer_norm(&mut self, name: &str, dim: usize, eps: f64) -> Result<LayerNorm, String> {
        let w = self.backbone(&format!("{name}.weight"), &[dim])?;
        let b = self.backbone(&format!("{name}.bias"), &[dim])?;
        Ok(LayerNorm::new(w, b, eps))
    }
}

#[derive(Debug)]
struct Layer {
    /// Query, key and value projections fused into one matmul.
    qkv: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    down: Linear,
    out_norm: LayerNorm,
    /// Position keys `[heads, 2 x span, head_dim]` (c2p).
    pos_key: Option<Tensor>,
    /// Position queries `[heads, 2 x span, head_dim]` (p2c), already divided by the scale.
    pos_query: Option<Tensor>,
}

/// A loaded model: weights immutable, shared by every call.
#[derive(Debug)]
pub struct DebertaClassifier {
    pub config: DebertaConfig,
    word: Embedding,
    position: Option<Tensor>,
    token_type: Option<Tensor>,
    embed_proj: Option<Tensor>,
    embed_norm: LayerNorm,
    layers: Vec<Layer>,
    pooler: Linear,
    classifier: Linear,
    device: Device,
}

fn to_string_err(e: candle_core::Error) -> String {
    e.to_string()
}

impl DebertaClassifier {
    /// Build from f32 tensors on `device`.
    pub fn new(config: DebertaConfig, mut w: Weights, device: &Device) -> Result<Self, String> {
        let (h, e) = (config.hidden, config.embedding_size);
        let word = Embedding::new(
            w.backbone("embeddings.word_embeddings.weight", &[config.vocab_size, e])?,
            e,
        );
        let position = if config.position_biased_input {
            Some(w.backbone(
                "embeddings.position_embeddings.weight",
                &[config.max_positions, e],
            )?)
        } else {
            None
        };
        let token_type = if config.type_vocab_size > 0 {
            Some(w.backbone(
                "embeddings.token_type_embeddings.weight",
                &[config.type_vocab_size, e],
            )?)
        } else {
            None
        };
        let embed_proj = if e != h {
            Some(w.backbone("embeddings.embed_proj.weight", &[h, e])?)
        } else {
            None
        };
        let embed_norm = w.layer_norm("embeddings.LayerNorm", h, config.eps)?;
        // The relative embeddings (normalised once) feed the position projections below.
        let rel = match &config.relative {
            Some(r) => {
                let rows = (2 * r.span) as usize;
                let table = w.backbone("encoder.rel_embeddings.weight", &[rows, h])?;
                let table = if r.layer_norm_rel {
                    w.layer_norm("encoder.LayerNorm", h, config.eps)?
                        .forward(&table)
                        .map_err(to_string_err)?
                } else {
                    table
                };
                Some(table)
            }
            None => None,
        };
        let scale = config.scale();
        // [rows, hidden] -> [heads, rows, head_dim], times `factor`.
        let heads_first = |t: Tensor, factor: f64| -> Result<Tensor, String> {
            let rows = t.dim(0).map_err(to_string_err)?;
            (t.reshape((rows, config.heads, config.head_dim))
                .and_then(|t| t.transpose(0, 1))
                .and_then(|t| t.contiguous())
                .and_then(|t| t.affine(factor, 0.0)))
            .map_err(to_string_err)
        };
        let mut layers = Vec::with_capacity(config.layers);
        for l in 0..config.layers {
            let p = format!("encoder.layer.{l}");
            let q = w.linear(&format!("{p}.attention.self.query_proj"), h, h, false)?;
            let k = w.linear(&format!("{p}.attention.self.key_proj"), h, h, false)?;
            let v = w.linear(&format!("{p}.attention.self.value_proj"), h, h, false)?;
            let (mut pos_key, mut pos_query) = (None, None);
            if let (Some(r), Some(table)) = (&config.relative, &rel) {
                if r.c2p {
                    let proj = if r.share_att_key {
                        k.clone()
                    } else {
                        w.linear(&format!("{p}.attention.self.pos_key_proj"), h, h, false)?
                    };
                    // The queries it meets are divided by the scale already.
                    pos_key = Some(heads_first(
                        proj.forward(table).map_err(to_string_err)?,
                        1.0,
                    )?);
                }
                if r.p2c {
                    let proj = if r.share_att_key {
                        q.clone()
                    } else {
                        w.linear(&format!("{p}.attention.self.pos_query_proj"), h, h, false)?
                    };
                    pos_query = Some(heads_first(
                        proj.forward(table).map_err(to_string_err)?,
                        1.0 / scale,
                    )?);
                }
            }
            let fused_w = Tensor::cat(&[q.weight(), k.weight(), v.weight()], 0);
            let fused_b = match (q.bias(), k.bias(), v.bias()) {
                (Some(a), Some(b), Some(c)) => Some(Tensor::cat(&[a, b, c], 0)),
                _ => None,
            };
            let qkv = Linear::new(
                fused_w.map_err(to_string_err)?,
                fused_b.transpose().map_err(to_string_err)?,
            );
            layers.push(Layer {
                qkv,
                attn_out: w.linear(&format!("{p}.attention.output.dense"), h, h, false)?,
                attn_norm: w.layer_norm(
                    &format!("{p}.attention.output.LayerNorm"),
                    h,
                    config.eps,
                )?,
                up: w.linear(
                    &format!("{p}.intermediate.dense"),
                    config.intermediate,
                    h,
                    false,
                )?,
                down: w.linear(&format!("{p}.output.dense"), h, config.intermediate, false)?,
                out_norm: w.layer_norm(&format!("{p}.output.LayerNorm"), h, config.eps)?,
                pos_key,
                pos_query,
            });
        }
        let pooler = w.linear(
            "pooler.dense",
            config.pooler_hidden,
            config.pooler_hidden,
            true,
        )?;
        let mut config = config;
        if config.labels.is_empty() {
            let rows = w
                .tensors
                .get("classifier.weight")
                .and_then(|t| t.dim(0).ok())
                .ok_or("missing tensor classifier.weight")?;
            config.labels = (0..rows).map(|i| format!("LABEL_{i}")).collect();
        }
        let classifier = w.linear(
            "classifier",
            config.labels.len(),
            config.pooler_hidden,
            true,
        )?;
        Ok(Self {
            config,
            word,
            position,
            token_type,
            embed_proj,
            embed_norm,
            layers,
            pooler,
            classifier,
            device: device.clone(),
        })
    }

    /// Index matrices for the c2p and p2c gathers of a length-`len` sequence, shifted to the
    /// rows `[lo, lo + rows)` of the position tables that such a sequence can reach.
    fn relative_indices(&self, r: &Relative, len: usize) -> candle_core::Result<RelIndex> {
        let span = r.span;
        let bucket = |d: i64| match r.buckets {
            Some(b) => bucket_position(d, b, r.max_relative),
            None => d,
        };
        let clamp = |x: i64| x.clamp(0, 2 * span - 1);
        let n = len as i64;
        // bucket() is monotone, so the extreme distances give the row range.
        let lo = clamp(bucket(-(n - 1)) + span).min(clamp(-bucket(n - 1) + span));
        let hi = clamp(bucket(n - 1) + span).max(clamp(-bucket(-(n - 1)) + span));
        let rows = (hi - lo + 1) as usize;
        let table: Vec<i64> = (-(n - 1)..n).map(bucket).collect();
        let at = |d: i64| table[(d + n - 1) as usize];
        let mut c2p = Vec::with_capacity(len * len);
        let mut p2c = Vec::with_capacity(len * len);
        for i in 0..n {
            for j in 0..n {
                // c2p[i][j]: query i against the position of key j (relative_pos = i - j).
                c2p.push((clamp(at(i - j) + span) - lo) as u32);
                // p2c, laid out [key j][query i] as transformers gathers it before transposing:
                // row i (a key) , column j (a query), relative_pos[i][j] negated.
                p2c.push((clamp(-at(i - j) + span) - lo) as u32);
            }
        }
        let lo = lo as usize;
        // On the CPU, with both terms, one fused pass (kernels.rs) replaces the gathers.
        if self.device.is_cpu() && r.c2p && r.p2c {
            // Indices are clamped to [0, rows) above, so the tables always build.
            let tables = RelIndexTables::new(len, rows, c2p, &p2c).ok_or_else(|| {
                candle_core::Error::Msg(format!(
                    "relative position indices of a {len}-token window exceed {rows} rows"
                ))
            })?;
            return Ok(RelIndex {
                lo,
                rows,
                kind: RelKind::Fused(tables),
            });
        }
        let shape = (len, len);
        Ok(RelIndex {
            lo,
            rows,
            kind: RelKind::Gather {
                c2p: Tensor::from_vec(c2p, shape, &self.device)?,
                p2c: Tensor::from_vec(p2c, shape, &self.device)?,
            },
        })
    }

    /// Logits `[windows, labels]` for equal-length windows of token ids (no padding).
    pub fn forward(&self, windows: &[Vec<u32>]) -> candle_core::Result<Tensor> {
        let b = windows.len();
        let len = windows.first().map_or(0, Vec::len);
        if b == 0 || len == 0 || windows.iter().any(|w| w.len() != len) {
            candle_core::bail!("forward needs one or more non-empty windows of equal length");
        }
        if self.position.is_some() && len > self.config.max_positions {
            candle_core::bail!(
                "a window of {len} tokens exceeds max_position_embeddings {}",
                self.config.max_positions
            );
        }
        let cfg = &self.config;
        let (h, heads, hd) = (cfg.hidden, cfg.heads, cfg.head_dim);
        let flat: Vec<u32> = windows.iter().flatten().copied().collect();
        let ids = Tensor::from_vec(flat, (b, len), &self.device)?;
        let mut x = self.word.forward(&ids)?;
        if let Some(pos) = &self.position {
            x = x.broadcast_add(&pos.narrow(0, 0, len)?)?;
        }
        if let Some(tt) = &self.token_type {
            x = x.broadcast_add(&tt.narrow(0, 0, 1)?)?;
        }
        if let Some(proj) = &self.embed_proj {
            x = x.broadcast_matmul(&proj.t()?)?;
        }
        let mut x = self.embed_norm.forward(&x)?;
        let rel = match &cfg.relative {
            Some(r) => Some(self.relative_indices(r, len)?),
            None => None,
        };
        let scale = cfg.scale();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let split = |i: usize| -> candle_core::Result<Tensor> {
                qkv.narrow(D::Minus1, i * h, h)?
                    .reshape((b, len, heads, hd))?
                    .transpose(1, 2)?
                    .contiguous()
            };
            let q = (split(0)? / scale)?;
            let k = split(1)?;
            let v = split(2)?;
            let mut scores = q.matmul(&k.t()?)?;
            let probs = match (&rel, &layer.pos_key, &layer.pos_query) {
                (
                    Some(RelIndex {
                        lo,
                        rows,
                        kind: RelKind::Fused(tables),
                    }),
                    Some(pk),
                    Some(pq),
                ) => {
                    let c2p = q.broadcast_matmul(&pk.narrow(1, *lo, *rows)?.t()?)?;
                    let p2c = k.broadcast_matmul(&pq.narrow(1, *lo, *rows)?.t()?)?;
                    scores.contiguous()?.apply_op3_no_bwd(
                        &c2p.contiguous()?,
                        &p2c.contiguous()?,
                        &RelAttnSoftmax { tables },
                    )?
                }
                _ => {
                    if let Some(RelIndex {
                        lo,
                        rows,
                        kind: RelKind::Gather { c2p: ci, p2c: pi },
                    }) = &rel
                    {
                        let idx_shape = (b, heads, len, len);
                        if let Some(pk) = &layer.pos_key {
                            let pk = pk.narrow(1, *lo, *rows)?;
                            let c2p = q.broadcast_matmul(&pk.t()?)?;
                            let idx = ci.broadcast_as(idx_shape)?.contiguous()?;
                            scores = (scores + c2p.contiguous()?.gather(&idx, D::Minus1)?)?;
                        }
                        if let Some(pq) = &layer.pos_query {
                            let pq = pq.narrow(1, *lo, *rows)?;
                            let p2c = k.broadcast_matmul(&pq.t()?)?;
                            let idx = pi.broadcast_as(idx_shape)?.contiguous()?;
                            let p2c = p2c.contiguous()?.gather(&idx, D::Minus1)?;
                            scores = (scores + p2c.transpose(2, 3)?)?;
                        }
                    }
                    candle_nn::ops::softmax_last_dim(&scores.contiguous()?)?
                }
            };
            let ctx = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .contiguous()?
                .reshape((b, len, h))?;
            let attn = layer
                .attn_norm
                .forward(&(layer.attn_out.forward(&ctx)? + &x)?)?;
            let up = cfg.act.apply(&layer.up.forward(&attn)?)?;
            x = layer
                .out_norm
                .forward(&(layer.down.forward(&up)? + &attn)?)?;
        }
        let first = x.narrow(1, 0, 1)?.squeeze(1)?.contiguous()?;
        let pooled = cfg.pooler_act.apply(&self.pooler.forward(&first)?)?;
        self.classifier.forward(&pooled)?.to_dtype(DType::F32)
    }
}

struct RelIndex {
    lo: usize,
    rows: usize,
    kind: RelKind,
}

enum RelKind {
    /// CPU: the index tables of the fused kernel.
    Fused(RelIndexTables),
    /// Other devices: `[len, len]` index tensors for candle's gather.
    Gather { c2p: Tensor, p2c: Tensor },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_match_transformers_values() {
        // make_log_bucket_position(torch.arange(-511, 512), 256, 512) at a few points.
        let b = |d| bucket_position(d, 256, 512);
        assert_eq!(b(0), 0);
        assert_eq!(b(127), 127);
        assert_eq!(b(-128), -128);
        assert_eq!(b(129), 129);
        assert_eq!(b(511), 255);
        assert_eq!(b(-511), -255);
        let small = |d| bucket_position(d, 32, 512);
        assert_eq!(small(16), 16);
        assert_eq!(small(511), 31);
        assert!(small(17) > 16 && small(17) <= 31);
    }
}
