//! Dense (fully connected) layers: `x Wᵀ` through the `gemm` crate, with the weight transposed
//! once at load so the product streams it row by row. The bias is left to the caller, which
//! folds it into the element-wise pass that follows (activation or LayerNorm) instead of paying
//! a pass of its own; [`Dense::forward`] adds it for callers with no such pass.

use std::ops::Range;

use gemm::Parallelism;

use crate::par;

/// A `torch.nn.Linear(inputs, outputs)`.
#[derive(Debug, Clone)]
pub struct Dense {
    /// The weight transposed: `inputs` rows of `outputs`, row-major.
    weight_t: Vec<f32>,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
}

impl Dense {
    /// From PyTorch's layout: `weight` is `(outputs, inputs)` row-major, `bias` has `outputs`.
    pub fn new(weight: &[f32], bias: Vec<f32>, outputs: usize, inputs: usize) -> Self {
        assert_eq!(weight.len(), outputs * inputs, "weight shape");
        assert_eq!(bias.len(), outputs, "bias length");
        let mut weight_t = vec![0f32; weight.len()];
        for (o, row) in weight.chunks_exact(inputs).enumerate() {
            for (i, &w) in row.iter().enumerate() {
                weight_t[i * outputs + o] = w;
            }
        }
        Self {
            weight_t,
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
        let mut out = self.matmul(x, 0..self.outputs);
        add_bias(&mut out, &self.bias);
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
        // SAFETY: `x` holds `m` rows of `k`; the weight holds `k` rows of `outputs` and columns
        // `cols` lie inside them (checked above); `out` holds `m` rows of `n`. gemm reads and
        // writes only within those bounds, with the strides given, and `out` is not aliased.
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                out.as_mut_ptr(),
                1,
                n as isize,
                false,
                x.as_ptr(),
                1,
                k as isize,
                self.weight_t.as_ptr().add(cols.start),
                1,
                self.outputs as isize,
                0.0,
                1.0,
                false,
                false,
                false,
                parallelism(m * n * k),
            );
        }
        out
    }
}

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

    fn pseudo_random(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i + seed) * 2_654_435_761) % 10_007) as f32 / 5_003.5 - 1.0)
            .collect()
    }

    #[test]
    fn matches_the_definition_for_whole_and_partial_outputs() {
        let (inputs, outputs) = (48, 30);
        let weight = pseudo_random(outputs * inputs, 1);
        let bias = pseudo_random(outputs, 2);
        let dense = Dense::new(&weight, bias.clone(), outputs, inputs);
        for rows in [1, 7, 300] {
            let x = pseudo_random(rows * inputs, rows);
            let want = |r: usize, o: usize| -> f32 {
                (0..inputs)
                    .map(|i| x[r * inputs + i] * weight[o * inputs + i])
                    .sum::<f32>()
                    + bias[o]
            };
            let full = dense.forward(&x);
            let part = dense.matmul(&x, 10..25);
            for r in 0..rows {
                for o in 0..outputs {
                    let got = full[r * outputs + o];
                    assert!((got - want(r, o)).abs() < 1e-4, "{rows} rows: [{r},{o}]");
                }
                for (j, o) in (10..25).enumerate() {
                    let got = part[r * 15 + j] + bias[o];
                    assert!((got - want(r, o)).abs() < 1e-4, "columns: [{r},{o}]");
                }
            }
        }
        assert!(dense.forward(&[]).is_empty());
    }
}
