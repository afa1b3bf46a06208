//! The feed-forward block's activation, fused with the bias add of the dense layer before it.

use crate::{math, par};

/// The activations BERT-family checkpoints use (`hidden_act` in `config.json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// `gelu`: the exact, erf-based GELU.
    GeluErf,
    /// `gelu_new` / `gelu_pytorch_tanh`: the tanh approximation.
    GeluTanh,
    /// `relu`.
    Relu,
}

impl Activation {
    /// `x = act(x + bias)` for every `bias.len()`-wide row of `xs`, in place.
    pub fn apply_with_bias(self, xs: &mut [f32], bias: &[f32]) {
        par::for_row_blocks(xs, bias.len(), |block, _| match self {
            Self::GeluErf => gelu_erf_rows(block, bias),
            Self::GeluTanh => gelu_tanh_rows(block, bias),
            Self::Relu => relu_rows(block, bias),
        });
    }
}

multiversion! {
    fn gelu_erf_rows(xs: &mut [f32], bias: &[f32]) {
        for row in xs.chunks_exact_mut(bias.len()) {
            for (x, b) in row.iter_mut().zip(bias) {
                *x = math::gelu_erf(*x + b);
            }
        }
    }
}

multiversion! {
    fn gelu_tanh_rows(xs: &mut [f32], bias: &[f32]) {
        for row in xs.chunks_exact_mut(bias.len()) {
            for (x, b) in row.iter_mut().zip(bias) {
                *x = math::gelu_tanh(*x + b);
            }
        }
    }
}

multiversion! {
    fn relu_rows(xs: &mut [f32], bias: &[f32]) {
        for row in xs.chunks_exact_mut(bias.len()) {
            for (x, b) in row.iter_mut().zip(bias) {
                *x = (*x + b).max(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_the_bias_per_column_then_activates() {
        // Large enough to take the parallel path, with a row width that is not a multiple of 16.
        let width = 37;
        let xs: Vec<f32> = (0..width * 2000)
            .map(|i| ((i * 7919) % 1000) as f32 / 125.0 - 4.0)
            .collect();
        let bias: Vec<f32> = (0..width).map(|i| i as f32 / 20.0 - 0.9).collect();
        for act in [Activation::GeluErf, Activation::GeluTanh, Activation::Relu] {
            let mut got = xs.clone();
            act.apply_with_bias(&mut got, &bias);
            for (i, (g, x)) in got.iter().zip(&xs).enumerate() {
                let z = x + bias[i % width];
                let want = match act {
                    Activation::GeluErf => math::gelu_erf(z),
                    Activation::GeluTanh => math::gelu_tanh(z),
                    Activation::Relu => z.max(0.0),
                };
                assert!((g - want).abs() < 1e-6, "{act:?} at {i}: {g} vs {want}");
            }
        }
    }
}
