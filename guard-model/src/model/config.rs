//! The Llama hyper-parameters the forward pass needs, read from a Hugging Face
//! `config.json` or from GGUF metadata.

use serde::Deserialize;

use super::ModelError;

/// How rotary embeddings pair the dimensions of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RopeStyle {
    /// Hugging Face layout: dimension `i` pairs with `i + head_dim/2` (rotate-half).
    RotateHalf,
    /// llama.cpp layout: dimensions `2i` and `2i+1` pair. GGUF converters permute the q/k
    /// weights so this gives the same attention scores as `RotateHalf` on the HF weights.
    Interleaved,
}

/// Llama 3.1-style frequency rescaling (`rope_type: "llama3"`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Llama3RopeScaling {
    pub factor: f32,
    pub low_freq_factor: f32,
    pub high_freq_factor: f32,
    pub original_max_position_embeddings: usize,
}

/// Everything the forward pass needs to know about the model's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelConfig {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_layers: usize,
    pub num_heads: usize,
    pub num_kv_heads: usize,
    pub head_dim: usize,
    pub vocab_size: usize,
    pub rms_norm_eps: f64,
    pub rope_theta: f32,
    pub rope_scaling: Option<Llama3RopeScaling>,
    pub max_position_embeddings: usize,
    pub tie_word_embeddings: bool,
    pub bos_token_id: Option<u32>,
    pub eos_token_ids: Vec<u32>,
}

#[derive(Debug, Deserialize)]
struct RawRopeScaling {
    #[serde(alias = "type")]
    rope_type: Option<String>,
    rope_theta: Option<f32>,
    factor: Option<f32>,
    low_freq_factor: Option<f32>,
    high_freq_factor: Option<f32>,
    original_max_position_embeddings: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawEos {
    One(u32),
    Many(Vec<u32>),
}

/// The subset of a Hugging Face `LlamaConfig` that Warden reads; other keys are ignored
/// because real `config.json` files carry many training-only fields.
#[derive(Debug, Deserialize)]
struct RawHfConfig {
    architectures: Option<Vec<String>>,
    model_type: Option<String>,
    hidden_size: usize,
    intermediate_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    vocab_size: usize,
    rms_norm_eps: Option<f64>,
    rope_theta: Option<f32>,
    rope_scaling: Option<RawRopeScaling>,
    /// transformers 5 moves `rope_theta` and the scaling into this object.
    rope_parameters: Option<RawRopeScaling>,
    max_position_embeddings: Option<usize>,
    tie_word_embeddings: Option<bool>,
    bos_token_id: Option<u32>,
    eos_token_id: Option<RawEos>,
}

impl ModelConfig {
    /// Parse a Hugging Face `config.json`.
    pub fn from_hf_json(text: &str) -> Result<Self, ModelError> {
        let raw: RawHfConfig = serde_json::from_str(text)
            .map_err(|e| ModelError::Config(format!("config.json is not a Llama config: {e}")))?;
        if let Some(model_type) = &raw.model_type
            && model_type != "llama"
        {
            return Err(ModelError::Config(format!(
                "model_type is {model_type:?}; Warden runs Llama-architecture guards (model_type \"llama\")"
            )));
        }
        if let Some(archs) = &raw.architectures
            && !archs.iter().any(|a| a == "LlamaForCausalLM")
        {
            return Err(ModelError::Config(format!(
                "architectures {archs:?} do not include LlamaForCausalLM"
            )));
        }
        let scaling_src = raw.rope_scaling.as_ref().or(raw.rope_parameters.as_ref());
        let rope_theta = raw
            .rope_theta
            .or_else(|| raw.rope_parameters.as_ref().and_then(|p| p.rope_theta))
            .unwrap_or(10_000.0);
        let rope_scaling = match scaling_src {
            Some(s) if s.rope_type.as_deref() == Some("llama3") => Some(Llama3RopeScaling {
                factor: s.factor.ok_or_else(|| missing("rope_scaling.factor"))?,
                low_freq_factor: s
                    .low_freq_factor
                    .ok_or_else(|| missing("rope_scaling.low_freq_factor"))?,
                high_freq_factor: s
                    .high_freq_factor
                    .ok_or_else(|| missing("rope_scaling.high_freq_factor"))?,
                original_max_position_embeddings: s
                    .original_max_position_embeddings
                    .ok_or_else(|| missing("rope_scaling.original_max_position_embeddings"))?,
            }),
            Some(s) if matches!(s.rope_type.as_deref(), None | Some("default")) => None,
            Some(s) => {
                return Err(ModelError::Config(format!(
                    "rope type {:?} is not supported (only \"default\" and \"llama3\")",
                    s.rope_type
                )));
            }
            None => None,
        };
        let num_kv_heads = raw.num_key_value_heads.unwrap_or(raw.num_attention_heads);
        let cfg = ModelConfig {
            hidden_size: raw.hidden_size,
            intermediate_size: raw.intermediate_size,
            num_layers: raw.num_hidden_layers,
            num_heads: raw.num_attention_heads,
            num_kv_heads,
            head_dim: raw
                .head_dim
                .unwrap_or(raw.hidden_size / raw.num_attention_heads.max(1)),
            vocab_size: raw.vocab_size,
            rms_norm_eps: raw.rms_norm_eps.unwrap_or(1e-6),
            rope_theta,
            rope_scaling,
            max_position_embeddings: raw.max_position_embeddings.unwrap_or(8192),
            tie_word_embeddings: raw.tie_word_embeddings.unwrap_or(false),
            bos_token_id: raw.bos_token_id,
            eos_token_ids: match raw.eos_token_id {
                Some(RawEos::One(id)) => vec![id],
                Some(RawEos::Many(ids)) => ids,
                None => Vec::new(),
            },
        };
        cfg.validate()?;
        Ok(cfg)
    }

    /// Check the shape relations the forward pass relies on.
    pub fn validate(&self) -> Result<(), ModelError> {
        let bad = |what: String| Err(ModelError::Config(what));
        if self.num_heads == 0 || self.num_kv_heads == 0 || self.num_layers == 0 {
            return bad(
                "num_attention_heads, num_key_value_heads and num_hidden_layers must be > 0".into(),
            );
        }
        if !self.num_heads.is_multiple_of(self.num_kv_heads) {
            return bad(format!(
                "num_attention_heads {} is not a multiple of num_key_value_heads {}",
                self.num_heads, self.num_kv_heads
            ));
        }
        if !self.head_dim.is_multiple_of(2) || self.head_dim == 0 {
            return bad(format!("head_dim {} must be even and > 0", self.head_dim));
        }
        Ok(())
    }

    /// Query heads per key/value head.
    pub fn group_size(&self) -> usize {
        self.num_heads / self.num_kv_heads
    }

    /// Rotary inverse frequencies (`head_dim / 2` values), with `llama3` scaling applied,
    /// computed exactly as transformers' `_compute_llama3_parameters` does (in f32).
    pub fn inv_freq(&self) -> Vec<f32> {
        let d = self.head_dim;
        let base: Vec<f32> = (0..d)
            .step_by(2)
            .map(|i| 1f32 / self.rope_theta.powf(i as f32 / d as f32))
            .collect();
        let Some(s) = &self.rope_scaling else {
            return base;
        };
        let old_ctx = s.original_max_position_embeddings as f32;
        let low_freq_wavelen = old_ctx / s.low_freq_factor;
        let high_freq_wavelen = old_ctx / s.high_freq_factor;
        base.into_iter()
            .map(|freq| {
                let wavelen = 2.0 * std::f32::consts::PI / freq;
                if wavelen < high_freq_wavelen {
                    freq
                } else if wavelen > low_freq_wavelen {
                    freq / s.factor
                } else {
                    let smooth = (old_ctx / wavelen - s.low_freq_factor)
                        / (s.high_freq_factor - s.low_freq_factor);
                    (1.0 - smooth) * freq / s.factor + smooth * freq
                }
            })
            .collect()
    }
}

fn missing(key: &str) -> ModelError {
    ModelError::Config(format!(
        "config.json: {key} is required for rope_type \"llama3\""
    ))
}
