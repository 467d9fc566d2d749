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

    /// One-row caches of possibly different lengths as one batch: each row's keys are
    /// right-padded to the longest (padding keys are masked out), so prompts with different
    /// prefixes (`User` and `Agent` checks, kept stream contexts) share one forward pass.
    /// A row without keys yet (`layers` empty) is all padding.
    pub fn stack(rows: &[&KvCache]) -> Result<Self, ModelError> {
        let first = rows
            .first()
            .ok_or_else(|| ModelError::Shape("no rows to stack".into()))?;
        if let Some(bad) = rows.iter().find(|r| r.batch() != 1) {
            return Err(ModelError::Shape(format!(
                "only one-row caches can be stacked (one has {} rows)",
                bad.batch()
            )));
        }
        let len = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let mut layers = Vec::with_capacity(first.layers.len());
        for layer in 0..first.layers.len() {
            // The shape and dtype of this layer's keys, from any row that has them.
            let Some((k0, _)) = rows.iter().find_map(|r| r.layers[layer].as_ref()) else {
                layers.push(None);
                continue;
            };
            let (_, h, _, d) = k0.dims4()?;
            let mut ks = Vec::with_capacity(rows.len());
            let mut vs = Vec::with_capacity(rows.len());
            for r in rows {
                let (k, v) = match &r.layers[layer] {
                    Some((k, v)) => {
                        let pad = len - k.dim(2)?;
                        if pad == 0 {
                            (k.clone(), v.clone())
                        } else {
                            (k.pad_with_zeros(2, 0, pad)?, v.pad_with_zeros(2, 0, pad)?)
                        }
                    }
                    None => {
                        let z = Tensor::zeros((1, h, len, d), k0.dtype(), k0.device())?;
                        (z.clone(), z)
                    }
                };
                ks.push(k);
                vs.push(v);
            }
            layers.push(Some((Tensor::cat(&ks, 0)?, Tensor::cat(&vs, 0)?)));
        }
        let valid = rows
            .iter()
            .map(|r| {
                let mut v = r.valid[0].clone();
                v.resize(len, false);
                v
            })
            .collect();
        let next_pos = rows.iter().map(|r| r.next_pos[0]).collect();
        Ok(Self {
            layers,
            valid,
            next_pos,
        })
    }

    /// The given rows, in that order (a batch continuing with some of its rows), with key
    /// positions that are padding in every kept row at the end dropped.
    pub fn select_rows(&self, rows: &[usize]) -> Result<Self, ModelError> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.batch()) {
            return Err(ModelError::Shape(format!(
                "row {bad} out of {}",
                self.batch()
            )));
        }
        let keep = rows
            .iter()
            .filter_map(|&r| self.valid[r].iter().rposition(|&v| v))
            .max()
            .map_or(0, |i| i + 1);
        let same_rows = rows.len() == self.batch() && rows.iter().enumerate().all(|(i, &r)| i == r);
        let idx = Tensor::new(
            rows.iter()
                .map(|&r| r as u32)
                .collect::<Vec<_>>()
                .as_slice(),
            self.device_of().unwrap_or(&candle_core::Device::Cpu),
        )?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for kv in &self.layers {
            layers.push(match kv {
                Some((k, v)) => {
                    let (k, v) = if same_rows {
                        (k.clone(), v.clone())
                    } else {
                        (k.index_select(&idx, 0)?, v.index_select(&idx, 0)?)
                    };
                    if keep < k.dim(2)? {
                        Some((k.narrow(2, 0, keep)?, v.narrow(2, 0, keep)?))
                    } else {
                        Some((k, v))
                    }
                }
                None => None,
            });
        }
        Ok(Self {
            layers,
            valid: rows
                .iter()
                .map(|&r| self.valid[r][..keep].to_vec())
                .collect(),
            next_pos: rows.iter().map(|&r| self.next_pos[r]).collect(),
        })
    }

    /// Row `row` alone with its padding keys removed (wherever they are), as a contiguous
    /// one-row cache that [`KvCache::truncate`] accepts: what a kept stream context stores.
    pub fn row_compact(&self, row: usize) -> Result<Self, ModelError> {
        let valid = self
            .valid
            .get(row)
            .ok_or_else(|| ModelError::Shape(format!("row {row} out of {}", self.batch())))?;
        let real: Vec<u32> = valid
            .iter()
            .enumerate()
            .filter(|(_, v)| **v)
            .map(|(i, _)| i as u32)
            .collect();
        if real.iter().enumerate().all(|(i, &p)| i as u32 == p) {
            // Right padding only: `row` already drops it.
            return self.row(row);
        }
        let device = self
            .device_of()
            .unwrap_or(&candle_core::Device::Cpu)
            .clone();
        let idx = Tensor::new(real.as_slice(), &device)?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for kv in &self.layers {
            layers.push(match kv {
                Some((k, v)) => Some((
                    k.narrow(0, row, 1)?.index_select(&idx, 2)?.contiguous()?,
                    v.narrow(0, row, 1)?.index_select(&idx, 2)?.contiguous()?,
                )),
                None => None,
            });
        }
        Ok(Self {
            layers,
            valid: vec![vec![true; real.len()]],
            next_pos: vec![self.next_pos[row]],
        })
    }

    fn device_of(&self) -> Option<&candle_core::Device> {
        self.layers.iter().flatten().next().map(|(k, _)| k.device())
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
