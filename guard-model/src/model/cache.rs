//! Per-call attention state: keys and values of every position seen so far, which of them
//! are real tokens (padding is masked out), and the next rotary position of each row.

use candle_core::Tensor;

use super::ModelError;

/// Keys and values for a batch of sequences.
///
/// Cloning is cheap (tensors are reference counted and appending builds new tensors), so a
/// prefix computed once can be cloned per request and extended with the request's suffix.
#[derive(Debug, Clone)]
pub struct KvCache {
    /// Per layer: `(k, v)`, each `[batch, kv_heads, keys, head_dim]`.
    pub(crate) layers: Vec<Option<(Tensor, Tensor)>>,
    /// Per row: whether each cached key is a real token (false = padding).
    pub(crate) valid: Vec<Vec<bool>>,
    /// Per row: the rotary position of the next real token.
    pub(crate) next_pos: Vec<usize>,
}

impl KvCache {
    /// An empty cache for `batch` rows of a model with `num_layers` layers.
    pub fn new(num_layers: usize, batch: usize) -> Self {
        Self {
            layers: vec![None; num_layers],
            valid: vec![Vec::new(); batch],
            next_pos: vec![0; batch],
        }
    }

    /// Rows in the batch.
    pub fn batch(&self) -> usize {
        self.valid.len()
    }

    /// Cached key positions (padding included), the same for every row.
    pub fn len(&self) -> usize {
        self.valid.first().map_or(0, Vec::len)
    }

    /// True when nothing has been cached yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Real (non-padding) tokens cached for `row`.
    pub fn tokens_in_row(&self, row: usize) -> usize {
        self.next_pos.get(row).copied().unwrap_or(0)
    }

    /// The same one-row cache repeated `batch` times (a shared prefix for a batch).
    pub fn expand(&self, batch: usize) -> Result<Self, ModelError> {
        if self.batch() != 1 {
            return Err(ModelError::Shape(format!(
                "only a one-row cache can be expanded (this one has {} rows)",
                self.batch()
            )));
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for kv in &self.layers {
            layers.push(match kv {
                Some((k, v)) => {
                    let (_, h, s, d) = k.dims4()?;
                    Some((
                        k.broadcast_as((batch, h, s, d))?,
                        v.broadcast_as((batch, h, s, d))?,
                    ))
                }
                None => None,
            });
        }
        Ok(Self {
            layers,
            valid: vec![self.valid[0].clone(); batch],
            next_pos: vec![self.next_pos[0]; batch],
        })
    }

    /// Row `row` alone, with trailing padding keys dropped (right-padded batches then
    /// continue decoding one row at a time).
    pub fn row(&self, row: usize) -> Result<Self, ModelError> {
        let valid = self
            .valid
            .get(row)
            .ok_or_else(|| ModelError::Shape(format!("row {row} out of {}", self.batch())))?;
        let keep = valid.iter().rposition(|&v| v).map_or(0, |i| i + 1);
        let mut layers = Vec::with_capacity(self.layers.len());
        for kv in &self.layers {
            layers.push(match kv {
                Some((k, v)) => Some((
                    k.narrow(0, row, 1)?.narrow(2, 0, keep)?.contiguous()?,
                    v.narrow(0, row, 1)?.narrow(2, 0, keep)?.contiguous()?,
                )),
                None => None,
            });
        }
        Ok(Self {
            layers,
            valid: vec![valid[..keep].to_vec()],
            next_pos: vec![self.next_pos[row]],
        })
    }

    /// The first `len` positions of a one-row cache without padding (a shared start that a
    /// longer or different continuation extends). The tensors are narrowed views: appending
    /// builds new tensors, so the original is never changed.
    pub fn truncate(&self, len: usize) -> Result<Self, ModelError> {
        if self.batch() != 1 || self.valid[0].iter().any(|&v| !v) {
            return Err(ModelError::Shape(
                "only a one-row cache without padding can be truncated".into(),
            ));
        }
        if len > self.len() {
            return Err(ModelError::Shape(format!(
                "cannot keep {len} of {} cached positions",
                self.len()
            )));
        }
        let mut layers = Vec::with_capacity(self.layers.len());
        for kv in &self.layers {
            layers.push(match kv {
                Some((k, v)) => Some((k.narrow(2, 0, len)?, v.narrow(2, 0, len)?)),
                None => None,
            });
        }
        Ok(Self {
            layers,
            valid: vec![vec![true; len]],
            next_pos: vec![len],
        })
    }

    /// Bytes held by the keys and values (what keeping this cache costs).
    pub fn bytes(&self) -> usize {
        self.layers
            .iter()
            .flatten()
            .map(|(k, v)| (k.elem_count() + v.elem_count()) * k.dtype().size_in_bytes())
            .sum()
    }
}
