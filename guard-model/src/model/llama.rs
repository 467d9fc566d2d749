//! The Llama decoder forward pass over candle ops, shared by every weight format.
//!
//! candle's own `llama` has no padding mask and `quantized_llama` stops at 4096 positions
//! and ignores `llama3` rope scaling, so Warden runs this one: plain or quantized linear
//! layers behind one enum, rotary tables computed for exactly the positions in a call (any
//! length up to the model's context), grouped-query attention without copying keys, a
//! key-padding mask for left- or right-padded batches, query chunking so an 8192-token
//! prompt never materialises a full score matrix, and logits for the last position only,
//! optionally for a few vocabulary rows.

use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{D, DType, Device, Module, Tensor};

use super::ModelError;
use super::cache::KvCache;
use super::config::{ModelConfig, RopeStyle};
use super::kernels::{MaskedSoftmax, SiluMul};

/// Attention score elements computed at once; longer prompts are split into query chunks.
/// Small enough that score buffers stay below glibc's mmap threshold and are reused from the
/// heap instead of being freshly mapped and page-faulted for every layer.
const ATTENTION_CHUNK_ELEMS: usize = 1 << 21;

/// A weight matrix `[out, in]`: a plain tensor (safetensors) or a quantized one (GGUF).
#[derive(Debug, Clone)]
pub enum Linear {
    Dense(Tensor),
    Quantized(QMatMul),
}

impl Linear {
    /// `x [.., in] -> [.., out]`.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor, ModelError> {
        match self {
            Linear::Dense(w) => {
                let dims = x.dims().to_vec();
                let (last, lead) = dims.split_last().ok_or_else(|| shape("scalar input"))?;
                let n: usize = lead.iter().product();
                let y = x.reshape((n, *last))?.matmul(&w.t()?)?;
                let mut out = lead.to_vec();
                out.push(y.dim(1)?);
                Ok(y.reshape(out)?)
            }
            Linear::Quantized(q) => Ok(q.forward(x)?),
        }
    }

    /// Output features.
    pub fn out_features(&self) -> Result<usize, ModelError> {
        match self {
            Linear::Dense(w) => Ok(w.dim(0)?),
            Linear::Quantized(QMatMul::QTensor(q)) => Ok(q.shape().dims2()?.0),
            Linear::Quantized(QMatMul::Tensor(w) | QMatMul::TensorF16(w)) => Ok(w.dim(0)?),
        }
    }

    /// Rows `ids` of the weight as a dense `[ids.len(), in]` tensor (dequantized if needed).
    pub fn rows(&self, ids: &[u32], dtype: DType) -> Result<Tensor, ModelError> {
        let device = match self {
            Linear::Dense(w) => w.device().clone(),
            Linear::Quantized(QMatMul::QTensor(q)) => q.device(),
            Linear::Quantized(QMatMul::Tensor(w) | QMatMul::TensorF16(w)) => w.device().clone(),
        };
        let idx = Tensor::new(ids, &device)?;
        let rows = match self {
            Linear::Dense(w) => w.index_select(&idx, 0)?,
            Linear::Quantized(q) => q.embedding(&idx)?,
        };
        Ok(rows.to_dtype(dtype)?)
    }
}

/// Token embeddings: dense, or quantized rows dequantized on lookup (an 8B model's table
/// would take 2 GB as f32).
#[derive(Debug, Clone)]
pub enum Embedding {
    Dense(Tensor),
    Quantized(Arc<QTensor>),
}

impl Embedding {
    fn forward(&self, ids: &Tensor, dtype: DType) -> Result<Tensor, ModelError> {
        let flat = ids.flatten_all()?;
        let mut out_dims = ids.dims().to_vec();
        let rows = match self {
            Embedding::Dense(w) => w.index_select(&flat, 0)?,
            Embedding::Quantized(q) => q.embedding(&flat)?,
        };
        out_dims.push(rows.dim(1)?);
        Ok(rows.reshape(out_dims)?.to_dtype(dtype)?)
    }

    /// As an output projection (tied embeddings).
    pub fn as_linear(&self) -> Result<Linear, ModelError> {
        Ok(match self {
            Embedding::Dense(w) => Linear::Dense(w.clone()),
            Embedding::Quantized(q) => Linear::Quantized(QMatMul::from_arc(q.clone())?),
        })
    }
}

/// Projections that read the same input, fused into one matmul when the weights are dense.
#[derive(Debug, Clone)]
pub enum Fused {
    /// One matrix whose output is split into parts of the given widths.
    One(Linear, Vec<usize>),
    /// One matrix per part (quantized weights cannot be concatenated).
    Each(Vec<Linear>),
}

impl Fused {
    /// Build from parts; dense parts are concatenated.
    pub fn new(parts: Vec<Linear>) -> Result<Self, ModelError> {
        if parts.iter().all(|p| matches!(p, Linear::Dense(_))) {
            let mut widths = Vec::with_capacity(parts.len());
            let mut ws = Vec::with_capacity(parts.len());
            for p in &parts {
                if let Linear::Dense(w) = p {
                    widths.push(w.dim(0)?);
                    ws.push(w.clone());
                }
            }
            let w = Tensor::cat(&ws, 0)?;
            Ok(Fused::One(Linear::Dense(w), widths))
        } else {
            Ok(Fused::Each(parts))
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Vec<Tensor>, ModelError> {
        match self {
            Fused::One(l, widths) => {
                let y = l.forward(x)?;
                let mut out = Vec::with_capacity(widths.len());
                let mut start = 0;
                for &w in widths {
                    out.push(y.narrow(D::Minus1, start, w)?);
                    start += w;
                }
                Ok(out)
            }
            Fused::Each(ls) => ls.iter().map(|l| l.forward(x)).collect(),
        }
    }
}

/// RMS normalisation with a learned scale.
#[derive(Debug, Clone)]
pub struct RmsNorm {
    pub weight: Tensor,
    pub eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor, ModelError> {
        Ok(candle_nn::ops::rms_norm(
            &x.contiguous()?,
            &self.weight,
            self.eps,
        )?)
    }
}

/// One decoder layer.
#[derive(Debug, Clone)]
pub struct Layer {
    pub attn_norm: RmsNorm,
    /// q, k, v.
    pub qkv: Fused,
    pub o: Linear,
    pub mlp_norm: RmsNorm,
    /// gate, up.
    pub gate_up: Fused,
    pub down: Linear,
}

/// Which vocabulary rows the output projection computes.
#[derive(Debug, Clone)]
pub enum Head {
    /// The whole vocabulary.
    Full,
    /// Only these rows (`[k, hidden]`, from [`Llama::head_rows`]): output column `i` is
    /// the logit of the `i`-th requested token id.
    Rows(Tensor),
}

/// How a batch of unequal sequences is padded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// Pads after each sequence (decoding continues per row after `KvCache::row`).
    Right,
    /// Pads before each sequence.
    Left,
}

/// A loaded Llama model. Weights are immutable and reference counted: clone it or share it
/// behind an `Arc` across threads; per-call state lives in [`KvCache`].
#[derive(Debug, Clone)]
pub struct Llama {
    pub(crate) cfg: ModelConfig,
    pub(crate) rope_style: RopeStyle,
    pub(crate) embed: Embedding,
    pub(crate) layers: Vec<Layer>,
    pub(crate) norm: RmsNorm,
    pub(crate) lm_head: Linear,
    pub(crate) inv_freq: Tensor,
    pub(crate) dtype: DType,
    pub(crate) device: Device,
    pub(crate) attention_chunk_elems: usize,
}

impl Llama {
    /// Assemble a model from loaded weights (see `load`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        cfg: ModelConfig,
        rope_style: RopeStyle,
        embed: Embedding,
        layers: Vec<Layer>,
        norm: RmsNorm,
        lm_head: Linear,
        inv_freq: Vec<f32>,
        dtype: DType,
        device: &Device,
    ) -> Result<Self, ModelError> {
        if layers.len() != cfg.num_layers {
            return Err(shape(&format!(
                "{} layers loaded, config says {}",
                layers.len(),
                cfg.num_layers
            )));
        }
        if inv_freq.len() * 2 != cfg.head_dim {
            return Err(shape(&format!(
                "{} rotary frequencies for head_dim {}",
                inv_freq.len(),
                cfg.head_dim
            )));
        }
        let n = inv_freq.len();
        let inv_freq = Tensor::from_vec(inv_freq, (1, n), device)?;
        Ok(Self {
            cfg,
            rope_style,
            embed,
            layers,
            norm,
            lm_head,
            inv_freq,
            dtype,
            device: device.clone(),
            attention_chunk_elems: ATTENTION_CHUNK_ELEMS,
        })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.cfg
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The compute dtype of activations.
    pub fn dtype(&self) -> DType {
        self.dtype
    }

    /// Bound the attention scores computed at once (`batch * heads * queries * keys`);
    /// longer prompts are processed in query chunks. Results do not depend on it.
    pub fn set_attention_chunk(&mut self, elems: usize) {
        self.attention_chunk_elems = elems.max(1);
    }

    /// An empty cache for `batch` rows.
    pub fn new_cache(&self, batch: usize) -> KvCache {
        KvCache::new(self.cfg.num_layers, batch)
    }

    /// Output-projection rows for `ids`, to pass as [`Head::Rows`].
    pub fn head_rows(&self, ids: &[u32]) -> Result<Tensor, ModelError> {
        for &id in ids {
            if id as usize >= self.cfg.vocab_size {
                return Err(shape(&format!(
                    "token id {id} outside the vocabulary ({})",
                    self.cfg.vocab_size
                )));
            }
        }
        self.lm_head.rows(ids, self.dtype)
    }

    /// Run one sequence; returns `[1, n]` f32 logits of its last position.
    pub fn forward(
        &self,
        ids: &[u32],
        cache: &mut KvCache,
        head: &Head,
    ) -> Result<Tensor, ModelError> {
        self.forward_batch(&[ids], Padding::Right, cache, head)
    }

    /// Run a batch of sequences (each row continues the matching row of `cache`); returns
    /// `[batch, n]` f32 logits at each row's last real token.
    pub fn forward_batch(
        &self,
        rows: &[&[u32]],
        padding: Padding,
        cache: &mut KvCache,
        head: &Head,
    ) -> Result<Tensor, ModelError> {
        let hidden = self.forward_hidden(rows, padding, cache)?;
        self.project(&hidden, head)
    }

    /// Logits `[batch, n]` (f32) from final hidden states `[batch, hidden]`.
    pub fn project(&self, hidden: &Tensor, head: &Head) -> Result<Tensor, ModelError> {
        let logits = match head {
            Head::Full => self.lm_head.forward(hidden)?,
            Head::Rows(w) => hidden.matmul(&w.t()?)?,
        };
        Ok(logits.to_dtype(DType::F32)?)
    }

    /// Like [`Llama::forward_batch`] but returns the normalised final hidden state of each
    /// row's last real token (`[batch, hidden]`), so the caller can score a few vocabulary
    /// rows first and compute the full vocabulary only when it must decode.
    pub fn forward_hidden(
        &self,
        rows: &[&[u32]],
        padding: Padding,
        cache: &mut KvCache,
    ) -> Result<Tensor, ModelError> {
        let b = rows.len();
        if b == 0 || b != cache.batch() {
            return Err(shape(&format!(
                "{b} sequences for a cache of {} rows",
                cache.batch()
            )));
        }
        let t = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        if rows.iter().any(|r| r.is_empty()) {
            return Err(shape("empty sequence in batch"));
        }
        let past = cache.len();
        let s = past + t;
        // Token ids, key validity and rotary positions of the new tokens, row-major.
        let mut ids = Vec::with_capacity(b * t);
        let mut positions = Vec::with_capacity(b * t);
        let mut last = Vec::with_capacity(b);
        for (row, seq) in rows.iter().enumerate() {
            let pad = t - seq.len();
            let start = cache.next_pos[row];
            let (lead, trail) = match padding {
                Padding::Right => (0, pad),
                Padding::Left => (pad, 0),
            };
            if start + seq.len() > self.cfg.max_position_embeddings {
                return Err(ModelError::ContextExceeded {
                    tokens: start + seq.len(),
                    limit: self.cfg.max_position_embeddings,
                });
            }
            ids.extend(std::iter::repeat_n(0u32, lead));
            positions.extend(std::iter::repeat_n(start as f32, lead));
            ids.extend_from_slice(seq);
            positions.extend((0..seq.len()).map(|j| (start + j) as f32));
            ids.extend(std::iter::repeat_n(0u32, trail));
            positions.extend((0..trail).map(|j| (start + seq.len() + j) as f32));
            let valid = &mut cache.valid[row];
            valid.extend(std::iter::repeat_n(false, lead));
            valid.extend(std::iter::repeat_n(true, seq.len()));
            valid.extend(std::iter::repeat_n(false, trail));
            cache.next_pos[row] = start + seq.len();
            last.push((row * t + lead + seq.len() - 1) as u32);
        }
        let needs_mask = t > 1 || cache.valid.iter().any(|v| v.iter().any(|&ok| !ok));
        // Masks depend only on positions and padding: built once per query chunk by the
        // first layer and reused by the others.
        let mut masks = Masks {
            needed: needs_mask,
            chunks: Vec::new(),
        };
        let ids = Tensor::from_vec(ids, (b, t), &self.device)?;
        let (cos, sin) = self.rope_tables(positions, b, t)?;

        let hidden = self.cfg.hidden_size;
        let idx = Tensor::new(last.as_slice(), &self.device)?;
        let last_pos: Vec<usize> = last
            .iter()
            .enumerate()
            .map(|(row, &flat)| flat as usize - row * t)
            .collect();
        let mut x = self.embed.forward(&ids, self.dtype)?;
        let n_layers = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            let h = layer.attn_norm.forward(&x)?;
            // In the last layer only each row's last token feeds the output: every position
            // still gets its keys and values (the cache must stay complete for decoding),
            // but attention output and MLP run for one position per row.
            let only_last = i + 1 == n_layers && t > 1;
            let rows = only_last.then_some(last_pos.as_slice());
            let a = self.attention(layer, i, &h, &cos, &sin, cache, past, &mut masks, rows)?;
            if only_last {
                x = x
                    .reshape((b * t, hidden))?
                    .index_select(&idx, 0)?
                    .reshape((b, 1, hidden))?;
            }
            x = (x + a)?;
            let h = layer.mlp_norm.forward(&x)?;
            let gu = layer.gate_up.forward(&h)?;
            let m = if self.device.is_cpu() && gu[0].dtype() == DType::F32 {
                // One pass, off candle's barrier pool (kernels.rs).
                gu[0].apply_op2_no_bwd(&gu[1], &SiluMul)?
            } else {
                (candle_nn::ops::silu(&gu[0])? * &gu[1])?
            };
            x = (x + layer.down.forward(&m)?)?;
        }
        debug_assert_eq!(cache.len(), s);
        let x = if t > 1 {
            x.reshape((b, hidden))?
        } else {
            x.reshape((b * t, hidden))?.index_select(&idx, 0)?
        };
        self.norm.forward(&x)
    }

    fn rope_tables(
        &self,
        positions: Vec<f32>,
        b: usize,
        t: usize,
    ) -> Result<(Tensor, Tensor), ModelError> {
        // Rows share positions when the batch is one row or is unpadded and aligned; then a
        // `[t, d/2]` table is enough, otherwise `[b, t, d/2]`.
        let shared = b == 1 || positions.chunks(t).all(|c| c == &positions[..t]);
        let (pos, dims): (Vec<f32>, Vec<usize>) = if shared {
            (positions[..t].to_vec(), vec![t])
        } else {
            (positions, vec![b, t])
        };
        let n = pos.len();
        let pos = Tensor::from_vec(pos, (n, 1), &self.device)?;
        let freqs = pos.matmul(&self.inv_freq)?;
        let mut out = dims;
        out.push(self.cfg.head_dim / 2);
        let cos = freqs.cos()?.reshape(out.clone())?.to_dtype(self.dtype)?;
        let sin = freqs.sin()?.reshape(out)?.to_dtype(self.dtype)?;
        Ok((cos, sin))
    }

    fn rope(&self, x: &Tensor, cos: &Tensor, sin: &Tensor) -> Result<Tensor, ModelError> {
        Ok(match self.rope_style {
            RopeStyle::RotateHalf => candle_nn::rotary_emb::rope(x, cos, sin)?,
            RopeStyle::Interleaved => candle_nn::rotary_emb::rope_i(x, cos, sin)?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn attention(
        &self,
        layer: &Layer,
        layer_idx: usize,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        cache: &mut KvCache,
        past: usize,
        masks: &mut Masks,
        query_rows: Option<&[usize]>,
    ) -> Result<Tensor, ModelError> {
        let (b, t, _) = x.dims3()?;
        let (nh, nkv, hd) = (self.cfg.num_heads, self.cfg.num_kv_heads, self.cfg.head_dim);
        let g = nh / nkv;
        let qkv = layer.qkv.forward(x)?;
        let q = qkv[0]
            .reshape((b, t, nh, hd))?
            .transpose(1, 2)?
            .contiguous()?;
        let k = qkv[1]
            .reshape((b, t, nkv, hd))?
            .transpose(1, 2)?
            .contiguous()?;
        let v = qkv[2]
            .reshape((b, t, nkv, hd))?
            .transpose(1, 2)?
            .contiguous()?;
        let q = self.rope(&q, cos, sin)?;
        let k = self.rope(&k, cos, sin)?;
        let (k, v) = match &cache.layers[layer_idx] {
            Some((pk, pv)) => (
                Tensor::cat(&[pk, &k], 2)?.contiguous()?,
                Tensor::cat(&[pv, &v], 2)?.contiguous()?,
            ),
            None => (k, v),
        };
        cache.layers[layer_idx] = Some((k.clone(), v.clone()));
        let s = k.dim(2)?;
        // Optionally keep one query per row (its position within the new tokens).
        let (q, t) = match query_rows {
            None => (q, t),
            Some(rows) => {
                let picked = rows
                    .iter()
                    .enumerate()
                    .map(|(r, &p)| q.narrow(0, r, 1)?.narrow(2, p, 1))
                    .collect::<Result<Vec<_>, _>>()?;
                (Tensor::cat(&picked, 0)?.contiguous()?, 1)
            }
        };
        // Attention runs in f32 whatever the weights are.
        let k = k.to_dtype(DType::F32)?;
        let v = v.to_dtype(DType::F32)?;
        let kt = k.t()?;
        let scale = 1.0 / (hd as f64).sqrt();
        let chunk = (self.attention_chunk_elems / (b * nh * s).max(1)).clamp(1, t);
        let mut outs = Vec::with_capacity(t.div_ceil(chunk));
        let mut start = 0;
        while start < t {
            let c = chunk.min(t - start);
            // Grouped-query attention without repeating keys: the `g` query heads that
            // share a key head are stacked along the query axis.
            // Scaling q (c x d) is cheaper than scaling the scores (c x s).
            let qc = (q.narrow(2, start, c)?.to_dtype(DType::F32)? * scale)?
                .contiguous()?
                .reshape((b, nkv, g * c, hd))?;
            let att = qc.matmul(&kt)?;
            let att = if masks.needed {
                let mask = match (query_rows, masks.chunks.get(outs.len())) {
                    (Some(rows), _) => self.mask_rows(cache, past, rows, s)?,
                    (None, Some(m)) => m.clone(),
                    (None, None) => {
                        let m = self.mask(cache, past, start, c, s)?;
                        masks.chunks.push(m.clone());
                        m
                    }
                };
                if self.device.is_cpu() {
                    // One pass, off candle's barrier pool (kernels.rs).
                    att.contiguous()?
                        .apply_op2_no_bwd(&mask.contiguous()?, &MaskedSoftmax)?
                } else {
                    let att = att
                        .reshape((b, nkv, g, c, s))?
                        .broadcast_add(&mask)?
                        .reshape((b, nkv, g * c, s))?;
                    candle_nn::ops::softmax_last_dim(&att)?
                }
            } else {
                candle_nn::ops::softmax_last_dim(&att)?
            };
            let y = att.matmul(&v)?.reshape((b, nh, c, hd))?;
            outs.push(y);
            start += c;
        }
        let y = if outs.len() == 1 {
            outs.swap_remove(0)
        } else {
            Tensor::cat(&outs, 2)?
        };
        let y = y
            .transpose(1, 2)?
            .reshape((b, t, nh * hd))?
            .to_dtype(self.dtype)?;
        layer.o.forward(&y)
    }

    /// Additive mask `[b, 1, 1, c, s]` for queries `start..start+c` of the new tokens:
    /// causal, and padding keys excluded (-inf: `exp(-inf)` is exact and fast, where a large
    /// finite negative takes libm's underflow path). A padding query may see its own key, so
    /// no row is fully masked and no NaN can reach the real rows through the values.
    fn mask(
        &self,
        cache: &KvCache,
        past: usize,
        start: usize,
        c: usize,
        s: usize,
    ) -> Result<Tensor, ModelError> {
        let b = cache.batch();
        let mut m = vec![0f32; b * c * s];
        for (row, valid) in cache.valid.iter().enumerate() {
            for qi in 0..c {
                let qpos = past + start + qi;
                let base = (row * c + qi) * s;
                let pad_query = !valid.get(qpos).copied().unwrap_or(false);
                for (key, &ok) in valid.iter().enumerate() {
                    let visible = ok || (pad_query && key == qpos);
                    if key > qpos || !visible {
                        m[base + key] = f32::NEG_INFINITY;
                    }
                }
            }
        }
        Ok(Tensor::from_vec(m, (b, 1, 1, c, s), &self.device)?)
    }

    /// Mask `[b, 1, 1, 1, s]` for one query per row, at new-token position `rows[row]`.
    fn mask_rows(
        &self,
        cache: &KvCache,
        past: usize,
        rows: &[usize],
        s: usize,
    ) -> Result<Tensor, ModelError> {
        let b = cache.batch();
        let mut m = vec![0f32; b * s];
        for (row, valid) in cache.valid.iter().enumerate() {
            let qpos = past + rows[row];
            for (key, &ok) in valid.iter().enumerate() {
                if key > qpos || !ok {
                    m[row * s + key] = f32::NEG_INFINITY;
                }
            }
        }
        Ok(Tensor::from_vec(m, (b, 1, 1, 1, s), &self.device)?)
    }
}

/// Attention masks of one forward call, one per query chunk.
struct Masks {
    needed: bool,
    chunks: Vec<Tensor>,
}

fn shape(what: &str) -> ModelError {
    ModelError::Shape(what.to_string())
}
