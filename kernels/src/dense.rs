//! Dense (fully connected) layers: `x Wᵀ` through the `gemm` crate, with the weight transposed
//! once at load so the product streams it row by row; and, for products of few rows (one
//! short text), through micro-kernels on weights packed once at load (`packed.rs`). The bias is left to the caller, which
//! folds it into the element-wise pass that follows (activation or LayerNorm) instead of paying
//! a pass of its own; [`Dense::forward`] adds it for callers with no such pass.

use std::ops::Range;

use gemm::Parallelism;

use rayon::prelude::*;

use crate::packed::{Kernel, Panels};
use crate::par::{self, SharedMut};

/// A `torch.nn.Linear(inputs, outputs)`.
#[derive(Debug, Clone)]
pub struct Dense {
    /// The weight transposed: `inputs` rows of `outputs`, row-major.
    weight_t: Vec<f32>,
    /// The same weight packed for the CPU's micro-kernel (none off x86-64 or without AVX2).
    /// It doubles the layer's memory; the few-row products it serves are the interactive path.
    panels: Option<Panels>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    /// From PyTorch's layout: `weight` is `(outputs, inputs)` row-major, `bias` has `outputs`.
    pub fn new(weight: &[f32], bias: Vec<f32>, outputs: usize, inputs: usize) -> Self {
        assert_eq!(weight.len(), outputs * inputs, "weight shape");
        assert_eq!(bias.len(), outputs, "bias length");
        let weight_t = transpose(weight, outputs, inputs);
        let panels = Kernel::best().map(|k| Panels::pack(&weight_t, inputs, outputs, k));
        Self {
            weight_t,
            panels,
            bias,
            inputs,
            outputs,
        }
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.inputs
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// The bias, or the part of it for output columns `cols`.
    pub fn bias(&self, cols: Range<usize>) -> &[f32] {
        &self.bias[cols]
    }

    /// `x Wᵀ + b` for every `inputs`-wide row of `x`.
    pub fn forward(&self, x: &[f32]) -> Vec<f32> {
        self.forward_columns(x, 0..self.outputs)
    }

    /// [`Dense::forward`] restricted to output columns `cols`: `(rows, cols.len())`.
    pub fn forward_columns(&self, x: &[f32], cols: Range<usize>) -> Vec<f32> {
        let mut out = self.matmul(x, cols.clone());
        add_bias(&mut out, &self.bias[cols]);
        out
    }

    /// `x Wᵀ` restricted to output columns `cols`, without the bias: `(rows, cols.len())`.
    pub fn matmul(&self, x: &[f32], cols: Range<usize>) -> Vec<f32> {
        assert!(x.len().is_multiple_of(self.inputs), "input width");
        assert!(
            cols.start <= cols.end && cols.end <= self.outputs,
            "columns"
        );
        let (m, n, k) = (x.len() / self.inputs, cols.len(), self.inputs);
        let mut out = vec![0f32; m * n];
        if m == 0 || n == 0 {
            return out;
        }
        if let Some(panels) = self.packed_for(m, &cols) {
            panels.matmul(x, m, cols, &mut out);
            return out;
        }
        let threads = crate::threads();
        if m <= SPLIT_COLUMNS_UP_TO && threads > 1 && m * n * k >= 64 * 64 * 64 {
            // Few rows: give each thread its own slice of the columns, a multiple of the widest
            // SIMD register, rather than leave the split to gemm.
            let block = n.div_ceil(threads * 2).next_multiple_of(16);
            let dst = SharedMut(out.as_mut_ptr());
            (0..n.div_ceil(block)).into_par_iter().for_each(|b| {
                let (first, width) = (b * block, block.min(n - b * block));
                // SAFETY: as below, for columns `first..first + width` of `out` and of `cols`;
                // each task writes only its own columns.
                unsafe {
                    self.product(
                        x,
                        m,
                        k,
                        cols.start + first,
                        width,
                        dst.add(first),
                        n,
                        Parallelism::None,
                    )
                }
            });
            return out;
        }
        // SAFETY: `x` holds `m` rows of `k`; the weight holds `k` rows of `outputs` and columns
        // `cols` lie inside them (checked above); `out` holds `m` rows of `n`.
        unsafe {
            let threads = parallelism(m * n * k);
            self.product(x, m, k, cols.start, n, out.as_mut_ptr(), n, threads);
        }
        out
    }
}

impl Dense {
    /// The packed panels, when they serve a product of `m` rows over `cols`: few rows, the
    /// kernel they were packed for still allowed (see [`crate::cap_isa`]), aligned columns.
    fn packed_for(&self, m: usize, cols: &Range<usize>) -> Option<&Panels> {
        let panels = self.panels.as_ref()?;
        let usable = PACKED.load(std::sync::atomic::Ordering::Relaxed)
            && m <= PACKED_UP_TO
            && Kernel::best() == Some(panels.kernel())
            && panels.aligned(cols);
        usable.then_some(panels)
    }

    /// `dst[r][c] = Σ_i x[r][i] · W[first + c][i]` for `r < m`, `c < width`; `dst` rows are
    /// `dst_stride` apart. `parallelism` is gemm's own split (none inside a task that is
    /// already one of several).
    ///
    /// # Safety
    /// `x` must hold `m` rows of `k == self.inputs`, `first + width <= self.outputs`, and `dst`
    /// must be valid for writes of `m` rows of `width` at stride `dst_stride`, touched by no one
    /// else meanwhile.
    #[allow(clippy::too_many_arguments)]
    unsafe fn product(
        &self,
        x: &[f32],
        m: usize,
        k: usize,
        first: usize,
        width: usize,
        dst: *mut f32,
        dst_stride: usize,
        parallelism: Parallelism,
    ) {
        // SAFETY: the caller's bounds; gemm reads and writes only within them, at the strides
        // given.
        unsafe {
            gemm::gemm(
                m,
                width,
                k,
                dst,
                1,
                dst_stride as isize,
                false,
                x.as_ptr(),
                1,
                k as isize,
                self.weight_t.as_ptr().add(first),
                1,
                self.outputs as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism,
            );
        }
    }
}

/// The transpose of the row-major `(rows, cols)` matrix `m`: `(cols, rows)`, row-major.
pub(crate) fn transpose(m: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    assert_eq!(m.len(), rows * cols, "matrix shape");
    let mut t = vec![0f32; m.len()];
    for (r, row) in m.chunks_exact(cols).enumerate() {
        for (c, &v) in row.iter().enumerate() {
            t[c * rows + r] = v;
        }
    }
    t
}

/// Up to this many rows, [`Dense::matmul`] runs on the packed panels rather than `gemm`. Timed
/// alone on a 2-core Zen 4 (AVX-512 kernel, 2 threads), 384 -> 1536: 16 rows 88 us against
/// gemm's 123, 128 rows 390 against 491, 512 rows 1.73 ms against 1.93; at 2048 rows the two
/// are level (6.8 and 6.6 ms), gemm's cache blocking catching up.
const PACKED_UP_TO: usize = 1024;

/// Off only through [`crate::use_packed_weights`].
static PACKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

pub(crate) fn set_packed(on: bool) {
    PACKED.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// Up to this many rows, [`Dense::matmul`] splits the columns between threads itself: gemm's
/// own split leaves a thread idle on a few rows (single 16-token texts ran 1.2x faster split
/// this way, 64-token ones the same, in alternating runs of the benchmark).
const SPLIT_COLUMNS_UP_TO: usize = 64;

/// The rayon pool for products big enough to split; `gemm` further declines to split small ones.
pub(crate) fn parallelism(flops: usize) -> Parallelism {
    let threads = crate::threads();
    if threads > 1 && flops >= 64 * 64 * 64 {
        Parallelism::Rayon(threads)
    } else {
        Parallelism::None
    }
}

/// `x += bias` for every `bias.len()`-wide row of `xs`.
pub fn add_bias(xs: &mut [f32], bias: &[f32]) {
    par::for_row_blocks(xs, bias.len(), |block, _| add_bias_rows(block, bias));
}

multiversion! {
    fn add_bias_rows(xs: &mut [f32], bias: &[f32]) {
        for row in xs.chunks_exact_mut(bias.len()) {
            for (x, b) in row.iter_mut().zip(bias) {
                *x += b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::pseudo_random;

    #[test]
    fn matches_the_definition_for_whole_and_partial_outputs() {
        // The packed panels (whole outputs up to 1024 rows), gemm past them (1100 rows), and the
        // few-rows column split and gemm's own split on a column range off the panel boundary.
        let (inputs, outputs) = (128, 200);
        let weight = pseudo_random(outputs * inputs, 1, 1.0);
        let bias = pseudo_random(outputs, 2, 1.0);
        let dense = Dense::new(&weight, bias.clone(), outputs, inputs);
        let cols = 37..181;
        for rows in [1, 16, 64, 65, 300, 1100] {
            let x = pseudo_random(rows * inputs, rows, 1.0);
            let want = |r: usize, o: usize| -> f32 {
                (0..inputs)
                    .map(|i| x[r * inputs + i] * weight[o * inputs + i])
                    .sum::<f32>()
                    + bias[o]
            };
            let full = dense.forward(&x);
            let part = dense.matmul(&x, cols.clone());
            for r in 0..rows {
                for o in 0..outputs {
                    let got = full[r * outputs + o];
                    assert!((got - want(r, o)).abs() < 1e-3, "{rows} rows: [{r},{o}]");
                }
                for (j, o) in cols.clone().enumerate() {
                    let got = part[r * cols.len() + j] + bias[o];
                    assert!((got - want(r, o)).abs() < 1e-3, "columns: [{r},{o}]");
                }
            }
        }
        assert!(dense.forward(&[]).is_empty());
    }

    /// A layer built under the AVX2 cap packs for the AVX2 kernel and computes the same; the
    /// cap is lifted after. (Other tests running meanwhile stay correct: a layer whose panels
    /// the cap disallows falls back to gemm.)
    #[test]
    fn a_layer_built_under_the_avx2_cap_matches_the_definition() {
        let (inputs, outputs, rows) = (96, 64, 16);
        let weight = pseudo_random(outputs * inputs, 4, 1.0);
        crate::cap_isa(crate::Isa::Avx2);
        let in_use = crate::isa_in_use();
        let dense = Dense::new(&weight, vec![0.0; outputs], outputs, inputs);
        let x = pseudo_random(rows * inputs, 5, 1.0);
        let got = dense.forward(&x);
        crate::cap_isa(crate::Isa::Native);
        assert_ne!(in_use, "avx512");
        if let Some(panels) = &dense.panels {
            assert_eq!(panels.kernel(), Kernel::Avx2);
        }
        for r in 0..rows {
            for o in 0..outputs {
                let want: f32 = (0..inputs)
                    .map(|i| x[r * inputs + i] * weight[o * inputs + i])
                    .sum();
                assert!((got[r * outputs + o] - want).abs() < 1e-3, "[{r},{o}]");
            }
        }
    }
}
