//! CPU kernels for the Llama forward pass's elementwise steps over batched tensors.
//!
//! candle 0.11 runs every elementwise op over 64K values or more on its global barrier pool,
//! which has one lock for the whole process and spin-waits for its workers. In the gateway the
//! guard's batched passes, Prompt Guard and the HTTP workers share the cores, and the pool made
//! them wait on each other (docs/bench-guard.md, "Rerun on a quiet machine"). These kernels do
//! the same arithmetic in one pass on rayon, whose work stealing lets concurrent callers share
//! the cores:
//! - [`MaskedSoftmax`]: `softmax(att + mask)` with the mask broadcast over the heads (what
//!   `broadcast_add` followed by `softmax_last_dim` computes, in one pass instead of two);
//! - [`SiluMul`]: `silu(gate) * up`, the SwiGLU product (two passes before).
//!
//! They take contiguous f32 CPU tensors only; the forward pass keeps candle's ops otherwise.

use candle_core::{CpuStorage, CustomOp2, Layout, Shape};

use crate::cpu::{f32_slice, for_each_row, softmax_in_place};

/// Softmax over the last axis of `att [b, kv_heads, groups * c, s]` after adding
/// `mask [b, 1, 1, c, s]` (the same mask for every head of a row).
#[derive(Debug, Clone, Copy)]
pub struct MaskedSoftmax;

impl CustomOp2 for MaskedSoftmax {
    fn name(&self) -> &'static str {
        "masked-softmax-f32"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let name = self.name();
        let (b, nkv, gc, s) = l1.shape().dims4()?;
        let (mb, one, one2, c, ms) = l2.shape().dims5()?;
        if mb != b || one != 1 || one2 != 1 || ms != s || c == 0 || gc % c != 0 {
            candle_core::bail!(
                "{name}: mask {:?} does not fit scores {:?}",
                l2.dims(),
                l1.dims()
            );
        }
        let att = f32_slice(name, s1, l1)?;
        let mask = f32_slice(name, s2, l2)?;
        let rows_per_batch = nkv * gc;
        let mut out = vec![0f32; att.len()];
        let row = |r: usize, dst: &mut [f32]| {
            // Row r is batch r / (nkv * gc), query (r % gc) % c; both in range by the checks.
            let (batch, qi) = (r / rows_per_batch, (r % gc) % c);
            let src = &att[r * s..(r + 1) * s];
            let m = &mask[(batch * c + qi) * s..(batch * c + qi + 1) * s];
            let mut max = f32::NEG_INFINITY;
            for ((d, &a), &mv) in dst.iter_mut().zip(src).zip(m) {
                let v = a + mv;
                *d = v;
                max = max.max(v);
            }
            softmax_in_place(dst, max);
        };
        for_each_row(&mut out, s, row);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

/// Rows of a tensor whose last axis is contiguous and whose rows are evenly spaced (a
/// contiguous tensor, or a `narrow` of its last axis such as the gate and up halves of the
/// fused gate-up projection): `(data, first offset, row stride, rows, row length)`.
fn rows_of<'a>(
    op: &str,
    s: &'a CpuStorage,
    l: &Layout,
) -> candle_core::Result<(&'a [f32], usize, usize, usize, usize)> {
    let CpuStorage::F32(data) = s else {
        candle_core::bail!("{op}: expected an f32 tensor");
    };
    let dims = l.dims();
    let stride = l.stride();
    let d = dims.len();
    let n = dims.last().copied().unwrap_or(1);
    let rows = l.shape().elem_count().checked_div(n).unwrap_or(0);
    let row_stride = if d >= 2 { stride[d - 2] } else { n };
    let even = d == 0
        || (stride[d - 1] == 1 || n <= 1)
            && (0..d.saturating_sub(2)).all(|k| stride[k] == stride[k + 1] * dims[k + 1]);
    let start = l.start_offset();
    let fits = rows == 0 || start + (rows - 1) * row_stride + n <= data.len();
    if !even || !fits || (rows > 1 && row_stride < n) {
        candle_core::bail!("{op}: expected evenly spaced rows with a contiguous last axis");
    }
    Ok((data, start, row_stride, rows, n))
}

/// `silu(gate) * up` for two f32 tensors of one shape, each contiguous or a `narrow` of a
/// contiguous tensor's last axis; the result is contiguous.
#[derive(Debug, Clone, Copy)]
pub struct SiluMul;

impl CustomOp2 for SiluMul {
    fn name(&self) -> &'static str {
        "silu-mul-f32"
    }

    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let name = self.name();
        if l1.dims() != l2.dims() {
            candle_core::bail!("{name}: shapes {:?} and {:?} differ", l1.dims(), l2.dims());
        }
        let (gate, g0, gs, rows, n) = rows_of(name, s1, l1)?;
        let (up, u0, us, _, _) = rows_of(name, s2, l2)?;
        let mut out = vec![0f32; rows * n];
        let row = |r: usize, dst: &mut [f32]| {
            let g = &gate[g0 + r * gs..g0 + r * gs + n];
            let u = &up[u0 + r * us..u0 + r * us + n];
            for ((d, &g), &u) in dst.iter_mut().zip(g).zip(u) {
                *d = g / (1.0 + (-g).exp()) * u;
            }
        };
        for_each_row(&mut out, n, row);
        Ok((CpuStorage::F32(out), l1.shape().clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{DType, Device, Tensor};

    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x % 4000) as f32 / 500.0 - 4.0
            })
            .collect()
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> candle_core::Result<f32> {
        (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
    }

    #[test]
    fn masked_softmax_matches_candle_ops() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        // (b, kv heads, groups, c, s): a small case and one over the parallel threshold.
        for (b, nkv, g, c, s) in [(2usize, 2usize, 2usize, 3usize, 5usize), (3, 2, 4, 20, 70)] {
            let att = Tensor::from_vec(values(b * nkv * g * c * s, 7), (b, nkv, g * c, s), &dev)?;
            // A causal-looking mask with -inf entries, never a whole row.
            let mut m = values(b * c * s, 11);
            for (i, v) in m.iter_mut().enumerate() {
                let (qi, key) = ((i / s) % c, i % s);
                if key > qi + s - c {
                    *v = f32::NEG_INFINITY;
                }
            }
            let mask = Tensor::from_vec(m, (b, 1, 1, c, s), &dev)?;
            let got = att.apply_op2_no_bwd(&mask, &MaskedSoftmax)?;
            let want = att
                .reshape((b, nkv, g, c, s))?
                .broadcast_add(&mask)?
                .reshape((b, nkv, g * c, s))?;
            let want = candle_nn::ops::softmax_last_dim(&want)?;
            let d = max_diff(&got, &want)?;
            assert!(d < 1e-6, "[{b},{nkv},{g},{c},{s}] max |diff| {d}");
        }
        Ok(())
    }

    #[test]
    fn silu_mul_matches_candle_ops() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        for n in [17usize, 3 * crate::cpu::PAR_MIN + 5] {
            let g = Tensor::from_vec(values(n, 3), n, &dev)?;
            let u = Tensor::from_vec(values(n, 5), n, &dev)?;
            let got = g.apply_op2_no_bwd(&u, &SiluMul)?;
            let want = (candle_nn::ops::silu(&g)? * &u)?;
            let d = max_diff(&got, &want)?;
            assert!(d < 1e-6, "n={n} max |diff| {d}");
        }
        // The two halves of a fused gate-up output, as the forward pass passes them.
        for (b, t, w) in [(2usize, 3usize, 8usize), (4, 40, 300)] {
            let gu = Tensor::from_vec(values(b * t * 2 * w, 9), (b, t, 2 * w), &dev)?;
            let g = gu.narrow(2, 0, w)?;
            let u = gu.narrow(2, w, w)?;
            let got = g.apply_op2_no_bwd(&u, &SiluMul)?;
            let want = (candle_nn::ops::silu(&g)? * &u)?;
            let d = max_diff(&got, &want)?;
            assert!(d < 1e-6, "[{b},{t},{w}] max |diff| {d}");
            // A transposed view is not rows of a contiguous axis: an error, not a wrong answer.
            let tr = gu.narrow(2, 0, t)?.transpose(1, 2)?;
            assert!(tr.apply_op2_no_bwd(&tr, &SiluMul).is_err() || b * t == 0);
        }
        Ok(())
    }

    #[test]
    fn mismatched_inputs_are_errors() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let att = Tensor::zeros((1, 2, 4, 5), DType::F32, &dev)?;
        let bad = Tensor::zeros((1, 1, 1, 3, 5), DType::F32, &dev)?;
        assert!(att.apply_op2_no_bwd(&bad, &MaskedSoftmax).is_err());
        let a = Tensor::zeros(4, DType::F32, &dev)?;
        let b = Tensor::zeros(5, DType::F32, &dev)?;
        assert!(a.apply_op2_no_bwd(&b, &SiluMul).is_err());
        let h = Tensor::zeros(4, DType::F16, &dev)?;
        assert!(h.apply_op2_no_bwd(&h, &SiluMul).is_err());
        Ok(())
    }
}
