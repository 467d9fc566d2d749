//! CPU kernels for the DeBERTa forward pass where candle's generic ops cost more than the
//! arithmetic (see docs/adr/009-prompt-guard.md, "CPU kernels").
//!
//! - [`RelAttnSoftmax`]: the attention probabilities of disentangled attention in one pass per
//!   row: `softmax_j(qk[i][j] + c2p[i][c2p_idx[i][j]] + p2c[j][p2c_idx[j][i]])`. Built from
//!   candle ops the same thing takes two index copies, two gathers, a transposed (strided) add,
//!   a plain add and the softmax: seven passes over `heads x len x len` values per layer, and
//!   every pass over 64K values or more goes through candle's global barrier pool, which
//!   serialises concurrent forward passes (Prompt Guard beside Llama Guard in the gateway).
//! - [`GeluErf`]: `x * (1 + erf(x / sqrt 2)) / 2` with the erf polynomial that PyTorch's
//!   vectorised CPU kernel uses (Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7), instead of a
//!   scalar libm `erff` per element.
//!
//! Both run on rayon (work stealing: concurrent callers share the cores instead of queueing)
//! and only for contiguous f32 CPU tensors; the forward pass keeps candle's ops for any other
//! device or dtype.

use crate::cpu::{PAR_CHUNK, f32_slice, for_each_row, softmax_in_place};
use candle_core::{CpuStorage, CustomOp1, CustomOp3, Layout, Shape};

/// Index tables of one sequence length for [`RelAttnSoftmax`].
#[derive(Debug, Clone)]
pub struct RelIndexTables {
    /// Sequence length.
    pub len: usize,
    /// Rows of the position tables the indices point into.
    pub rows: usize,
    /// `[query i][key j]`: the row of `c2p[i]` that scores key `j`.
    pub c2p: Vec<u32>,
    /// `[query i][key j]`: the row of `p2c[j]` that scores query `i` (transformers' p2c index,
    /// transposed so the kernel reads it in order).
    pub p2c_t: Vec<u32>,
}

impl RelIndexTables {
    /// Tables from transformers-layout indices (`c2p[i][j]`, `p2c[j][i]`, both `len x len`);
    /// `None` when a length or an index is out of range (the kernel then never runs).
    pub fn new(len: usize, rows: usize, c2p: Vec<u32>, p2c: &[u32]) -> Option<Self> {
        let n = len.checked_mul(len)?;
        if c2p.len() != n || p2c.len() != n || rows == 0 {
            return None;
        }
        let in_range = |v: &u32| (*v as usize) < rows;
        if !c2p.iter().all(in_range) || !p2c.iter().all(in_range) {
            return None;
        }
        let mut p2c_t = vec![0u32; n];
        for j in 0..len {
            for i in 0..len {
                p2c_t[i * len + j] = p2c[j * len + i];
            }
        }
        Some(Self {
            len,
            rows,
            c2p,
            p2c_t,
        })
    }
}

/// `softmax(qk + gather(c2p) + gather(p2c)ᵀ)` over the last dimension (see the module docs).
/// Inputs: `qk [b, h, len, len]`, `c2p [b, h, len, rows]`, `p2c [b, h, len, rows]`.
#[derive(Debug)]
pub struct RelAttnSoftmax<'a> {
    pub tables: &'a RelIndexTables,
}

impl CustomOp3 for RelAttnSoftmax<'_> {
    fn name(&self) -> &'static str {
        "deberta-relative-attention-softmax"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
        s3: &CpuStorage,
        l3: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let name = self.name();
        let t = self.tables;
        let (len, rows) = (t.len, t.rows);
        let (b, h, l_q, l_k) = l1.shape().dims4()?;
        if l_q != len || l_k != len {
            candle_core::bail!("{name}: scores {:?} do not match length {len}", l1.dims());
        }
        for (what, l) in [("c2p", l2), ("p2c", l3)] {
            if l.dims() != [b, h, len, rows] {
                candle_core::bail!(
                    "{name}: {what} {:?} is not [{b}, {h}, {len}, {rows}]",
                    l.dims()
                );
            }
        }
        let qk = f32_slice(name, s1, l1)?;
        let c2p = f32_slice(name, s2, l2)?;
        let p2c = f32_slice(name, s3, l3)?;
        let mut out = vec![0f32; qk.len()];
        let row = |r: usize, dst: &mut [f32]| {
            // Row r is query i of head bh; every index below is in range by the shape checks
            // above and RelIndexTables::new.
            let (bh, i) = (r / len, r % len);
            let qk = &qk[r * len..(r + 1) * len];
            let c2p = &c2p[r * rows..(r + 1) * rows];
            let p2c = &p2c[bh * len * rows..(bh + 1) * len * rows];
            let ci = &t.c2p[i * len..(i + 1) * len];
            let pi = &t.p2c_t[i * len..(i + 1) * len];
            let mut max = f32::NEG_INFINITY;
            for (j, d) in dst.iter_mut().enumerate() {
                let v = qk[j] + c2p[ci[j] as usize] + p2c[j * rows + pi[j] as usize];
                *d = v;
                max = max.max(v);
            }
            softmax_in_place(dst, max);
        };
        for_each_row(&mut out, len, row);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// `erf(x)`, Abramowitz & Stegun 7.1.26 as PyTorch's vectorised CPU kernel computes it.
#[inline]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A1: f32 = 0.254_829_6;
    const A2: f32 = -0.284_496_74;
    const A3: f32 = 1.421_413_8;
    const A4: f32 = -1.453_152_1;
    const A5: f32 = 1.061_405_4;
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = ((((A5 * t + A4) * t + A3) * t + A2) * t + A1) * t;
    let y = 1.0 - poly * (-a * a).exp();
    y.copysign(x)
}

/// Exact (erf) GELU on contiguous f32 CPU tensors (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct GeluErf;

impl CustomOp1 for GeluErf {
    fn name(&self) -> &'static str {
        "gelu-erf-f32"
    }

    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let xs = f32_slice(self.name(), s, l)?;
        let gelu = |x: f32| 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
        let mut out = vec![0f32; xs.len()];
        for_each_row(&mut out, PAR_CHUNK, |r, dst| {
            let src = &xs[r * PAR_CHUNK..r * PAR_CHUNK + dst.len()];
            for (d, &x) in dst.iter_mut().zip(src) {
                *d = gelu(x);
            }
        });
        Ok((CpuStorage::F32(out), l.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{D, Device, Tensor};

    #[test]
    fn erf_is_within_the_polynomials_bound() {
        // Reference values of erf (to 1e-9).
        let cases = [
            (0.0f32, 0.0f64),
            (0.1, 0.112_462_916),
            (0.5, 0.520_499_878),
            (1.0, 0.842_700_793),
            (1.5, 0.966_105_146),
            (2.0, 0.995_322_265),
            (3.0, 0.999_977_910),
            (-0.7, -0.677_801_194),
            (-2.5, -0.999_593_048),
        ];
        for (x, want) in cases {
            let got = erf(x) as f64;
            assert!((got - want).abs() < 3e-7, "erf({x}) = {got}, want {want}");
        }
        assert_eq!(erf(f32::INFINITY), 1.0);
        assert_eq!(erf(f32::NEG_INFINITY), -1.0);
    }

    #[test]
    fn gelu_matches_candles_exact_gelu() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        // Large enough for the parallel path, with values from -8 to 8.
        let n = 3 * crate::cpu::PAR_MIN + 17;
        let xs: Vec<f32> = (0..n).map(|i| (i as f32 / n as f32) * 16.0 - 8.0).collect();
        let x = Tensor::from_vec(xs, n, &dev)?;
        let got = x.apply_op1_no_bwd(&GeluErf)?;
        let want = x.gelu_erf()?;
        let diff = (got - want)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        assert!(diff < 1e-6, "max |diff| {diff}");
        // And on a small tensor (the sequential path).
        let x = Tensor::new(&[-3.0f32, -1.0, -0.1, 0.0, 0.2, 1.0, 4.0], &dev)?;
        let diff = (x.apply_op1_no_bwd(&GeluErf)? - x.gelu_erf()?)?
            .abs()?
            .max(0)?
            .to_scalar::<f32>()?;
        assert!(diff < 1e-6, "max |diff| {diff}");
        Ok(())
    }

    /// The fused kernel against the same computation in candle ops (as the forward pass did
    /// before), for a small and a parallel-sized case.
    #[test]
    fn fused_relative_attention_matches_candle_ops() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        for (b, h, len, rows) in [(1usize, 2usize, 5usize, 7usize), (2, 3, 120, 40)] {
            let n = len * len;
            // Deterministic pseudo-random indices and values.
            let mut seed = 0x2545_f491_u64 ^ (len as u64);
            let mut next = move || {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed
            };
            let c2p_idx: Vec<u32> = (0..n).map(|_| (next() % rows as u64) as u32).collect();
            let p2c_idx: Vec<u32> = (0..n).map(|_| (next() % rows as u64) as u32).collect();
            let mut vals = |count: usize| -> Vec<f32> {
                (0..count)
                    .map(|_| (next() % 2000) as f32 / 250.0 - 4.0)
                    .collect()
            };
            let qk = Tensor::from_vec(vals(b * h * n), (b, h, len, len), &dev)?;
            let c2p = Tensor::from_vec(vals(b * h * len * rows), (b, h, len, rows), &dev)?;
            let p2c = Tensor::from_vec(vals(b * h * len * rows), (b, h, len, rows), &dev)?;
            let tables = RelIndexTables::new(len, rows, c2p_idx.clone(), &p2c_idx)
                .ok_or_else(|| candle_core::Error::Msg("tables out of range".into()))?;
            let got = qk.apply_op3_no_bwd(&c2p, &p2c, &RelAttnSoftmax { tables: &tables })?;

            let shape = (b, h, len, len);
            let ci = Tensor::from_vec(c2p_idx, (len, len), &dev)?
                .broadcast_as(shape)?
                .contiguous()?;
            let pi = Tensor::from_vec(p2c_idx, (len, len), &dev)?
                .broadcast_as(shape)?
                .contiguous()?;
            let scores = ((&qk + c2p.gather(&ci, D::Minus1)?)?
                + p2c.gather(&pi, D::Minus1)?.transpose(2, 3)?)?;
            let want = candle_nn::ops::softmax_last_dim(&scores.contiguous()?)?;
            let diff = (got - want)?
                .abs()?
                .flatten_all()?
                .max(0)?
                .to_scalar::<f32>()?;
            assert!(diff < 1e-6, "[{b},{h},{len},{rows}] max |diff| {diff}");
        }
        Ok(())
    }

    #[test]
    fn tables_reject_out_of_range_indices() {
        assert!(RelIndexTables::new(2, 3, vec![0, 1, 2, 0], &[0, 1, 2, 2]).is_some());
        assert!(RelIndexTables::new(2, 3, vec![0, 1, 3, 0], &[0, 1, 2, 2]).is_none());
        assert!(RelIndexTables::new(2, 3, vec![0, 1, 2], &[0, 1, 2, 2]).is_none());
        assert!(RelIndexTables::new(2, 0, vec![0; 4], &[0; 4]).is_none());
    }

    #[test]
    fn shape_mismatches_are_errors_not_panics() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let tables = RelIndexTables::new(2, 3, vec![0; 4], &[0; 4])
            .ok_or_else(|| candle_core::Error::Msg("tables".into()))?;
        let qk = Tensor::zeros((1, 1, 2, 2), candle_core::DType::F32, &dev)?;
        let wrong = Tensor::zeros((1, 1, 2, 4), candle_core::DType::F32, &dev)?;
        let ok = Tensor::zeros((1, 1, 2, 3), candle_core::DType::F32, &dev)?;
        assert!(
            qk.apply_op3_no_bwd(&wrong, &ok, &RelAttnSoftmax { tables: &tables })
                .is_err()
        );
        let f64s = Tensor::zeros((1, 1, 2, 2), candle_core::DType::F64, &dev)?;
        assert!(
            f64s.apply_op3_no_bwd(&ok, &ok, &RelAttnSoftmax { tables: &tables })
                .is_err()
        );
        Ok(())
    }
}
