//! LayerNorm over rows, fused with the bias and residual add that precede it in a post-norm
//! transformer block (`LN(x W + b + residual)`).

use crate::{par, simd};

/// `torch.nn.LayerNorm(width, eps)` with its learnt scale and shift.
#[derive(Debug, Clone)]
pub struct LayerNorm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl LayerNorm {
    /// `gamma` (the weight) and `beta` (the bias) must have the same, non-zero length.
    pub fn new(gamma: Vec<f32>, beta: Vec<f32>, eps: f32) -> Self {
        assert!(
            !gamma.is_empty() && gamma.len() == beta.len(),
            "LayerNorm weight and bias lengths differ"
        );
        Self { gamma, beta, eps }
    }

    /// The row width.
    pub fn width(&self) -> usize {
        self.gamma.len()
    }

    /// Normalizes every row of `xs` in place.
    pub fn apply(&self, xs: &mut [f32]) {
        par::for_row_blocks(xs, self.width(), |block, _| {
            normalize_rows(block, &self.gamma, &self.beta, self.eps, None, &[])
        });
    }

    /// `x = LN(x + bias + residual)` row by row, in place; `residual` has the shape of `xs`.
    pub fn apply_with(&self, xs: &mut [f32], bias: &[f32], residual: &[f32]) {
        assert_eq!(bias.len(), self.width(), "bias width");
        assert_eq!(residual.len(), xs.len(), "residual shape");
        let width = self.width();
        par::for_row_blocks(xs, width, |block, first_row| {
            let residual = &residual[first_row * width..][..block.len()];
            normalize_rows(
                block,
                &self.gamma,
                &self.beta,
                self.eps,
                Some(bias),
                residual,
            )
        });
    }
}

multiversion! {
    /// Adds `bias` and `residual` (when `bias` is given) and normalizes, row by row.
    fn normalize_rows(
        xs: &mut [f32],
        gamma: &[f32],
        beta: &[f32],
        eps: f32,
        bias: Option<&[f32]>,
        residual: &[f32],
    ) {
        let width = gamma.len();
        for (r, row) in xs.chunks_exact_mut(width).enumerate() {
            if let Some(bias) = bias {
                let res = &residual[r * width..][..width];
                for ((x, b), s) in row.iter_mut().zip(bias).zip(res) {
                    *x += b + s;
                }
            }
            let mean = simd::sum(row) / width as f32;
            let var = simd::sum_squared_deviation(row, mean) / width as f32;
            let scale = 1.0 / (var + eps).sqrt();
            for ((x, g), b) in row.iter_mut().zip(gamma).zip(beta) {
                *x = (*x - mean) * scale * g + b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(row: &[f32], gamma: &[f32], beta: &[f32], eps: f64) -> Vec<f32> {
        let n = row.len() as f64;
        let mean = row.iter().map(|&x| x as f64).sum::<f64>() / n;
        let var = row.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n;
        row.iter()
            .zip(gamma.iter().zip(beta))
            .map(|(&x, (&g, &b))| {
                ((x as f64 - mean) / (var + eps).sqrt() * g as f64 + b as f64) as f32
            })
            .collect()
    }

    #[test]
    fn matches_a_float64_layer_norm_with_bias_and_residual_folded_in() {
        let width = 50;
        let rows = 900; // parallel path
        let xs: Vec<f32> = (0..width * rows)
            .map(|i| ((i * 7919) % 997) as f32 / 50.0 - 10.0)
            .collect();
        let residual: Vec<f32> = (0..width * rows).map(|i| (i % 13) as f32 * 0.3).collect();
        let bias: Vec<f32> = (0..width).map(|i| i as f32 * 0.01).collect();
        let gamma: Vec<f32> = (0..width).map(|i| 1.0 + i as f32 * 0.02).collect();
        let beta: Vec<f32> = (0..width).map(|i| i as f32 * -0.01).collect();
        let norm = LayerNorm::new(gamma.clone(), beta.clone(), 1e-12);

        let mut plain = xs.clone();
        norm.apply(&mut plain);
        let mut fused = xs.clone();
        norm.apply_with(&mut fused, &bias, &residual);
        for r in 0..rows {
            let row = &xs[r * width..][..width];
            let want = naive(row, &gamma, &beta, 1e-12);
            for (g, w) in plain[r * width..][..width].iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "row {r}: {g} vs {w}");
            }
            let summed: Vec<f32> = (0..width)
                .map(|c| row[c] + bias[c] + residual[r * width + c])
                .collect();
            let want = naive(&summed, &gamma, &beta, 1e-12);
            for (g, w) in fused[r * width..][..width].iter().zip(&want) {
                assert!((g - w).abs() < 1e-5, "fused row {r}: {g} vs {w}");
            }
        }
    }
}
