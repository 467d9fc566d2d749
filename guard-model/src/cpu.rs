//! What the CPU kernels of both forward passes share (`model/kernels.rs`,
//! `prompt_guard/kernels.rs`; ADR 022): reading a contiguous f32 input, running row work on
//! rayon only when it is big enough, and softmax over one row.

use candle_core::{CpuStorage, Layout};
use rayon::prelude::*;

/// Work below this many values runs on the calling thread.
pub(crate) const PAR_MIN: usize = 32 * 1024;
/// Values per rayon task.
pub(crate) const PAR_CHUNK: usize = 16 * 1024;

/// The contiguous f32 slice of a storage, or an error naming the op.
pub(crate) fn f32_slice<'a>(
    op: &str,
    s: &'a CpuStorage,
    l: &Layout,
) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = s else {
        candle_core::bail!("{op}: expected an f32 tensor");
    };
    match l.contiguous_offsets() {
        Some((start, end)) if end <= data.len() => Ok(&data[start..end]),
        _ => candle_core::bail!("{op}: expected a contiguous tensor"),
    }
}

/// `f(row index, row)` for every `row_len`-long row of `out`: on the calling thread below
/// [`PAR_MIN`] values, else on rayon in tasks of about [`PAR_CHUNK`] values.
pub(crate) fn for_each_row<F>(out: &mut [f32], row_len: usize, f: F)
where
    F: Fn(usize, &mut [f32]) + Sync,
{
    if row_len == 0 {
        return;
    }
    if out.len() < PAR_MIN {
        for (r, dst) in out.chunks_mut(row_len).enumerate() {
            f(r, dst);
        }
    } else {
        out.par_chunks_mut(row_len)
            .enumerate()
            .with_min_len((PAR_CHUNK / row_len).max(1))
            .for_each(|(r, dst)| f(r, dst));
    }
}

/// Softmax in place over a row whose largest value is `max`.
pub(crate) fn softmax_in_place(row: &mut [f32], max: f32) {
    let mut sum = 0f32;
    for d in row.iter_mut() {
        *d = (*d - max).exp();
        sum += *d;
    }
    for d in row.iter_mut() {
        *d /= sum;
    }
}
