//! The encoder on the CPU through `moodtracker-kernels`: the computation of the candle layers
//! in `mod.rs`, with each element-wise step fused into the pass beside it and a batch's texts
//! packed end to end instead of padded to the longest.
//!
//! Chosen when a model runs on the CPU (unless `LoadOptions::cpu_kernels` is off). Candle's
//! op-by-op path stays for CUDA, and the tests hold this one to it and to transformers.

use std::ops::Range;

use candle_core::Tensor;
use candle_nn::Activation as CandleActivation;
use moodtracker_kernels::{Activation, Dense, Heads, LayerNorm, attention, on_pool, packed_spans};

use super::{Encoder, EncoderConfig, Layer, position_ids};

/// The weights of an [`Encoder`], laid out for the kernels.
#[derive(Debug)]
pub struct CpuEncoder {
    config: EncoderConfig,
    /// `(vocab, hidden)` row-major.
    words: Vec<f32>,
    /// `(max_position_embeddings, hidden)` row-major.
    positions: Vec<f32>,
    token_type: Vec<f32>,
    norm: LayerNorm,
    layers: Vec<CpuLayer>,
    activation: Activation,
}

#[derive(Debug)]
struct CpuLayer {
    qkv: Dense,
    attn_out: Dense,
    attn_norm: LayerNorm,
    up: Dense,
    down: Dense,
    out_norm: LayerNorm,
}

impl CpuEncoder {
    /// Copies `encoder`'s weights (which must be on the CPU) into the kernels' layout, or
    /// `None` when the kernels lack its activation (candle's path then serves it).
    pub fn new(encoder: &Encoder, config: &EncoderConfig) -> candle_core::Result<Option<Self>> {
        let Some(activation) = activation(config.hidden_act) else {
            return Ok(None);
        };
        let eps = config.layer_norm_eps as f32;
        Ok(Some(Self {
            config: config.clone(),
            words: flat(encoder.words.embeddings())?,
            positions: flat(encoder.positions.embeddings())?,
            token_type: flat(&encoder.token_type)?,
            norm: norm(&encoder.norm, eps)?,
            layers: encoder
                .layers
                .iter()
                .map(|layer| CpuLayer::new(layer, eps))
                .collect::<candle_core::Result<_>>()?,
            activation,
        }))
    }

    /// `(rows.len(), hidden)` row-major: the last layer's state at each text's first token, as
    /// [`Encoder::first_token`] gives it. Each row is a whole text, special tokens included.
    pub fn first_token(&self, rows: &[&[u32]]) -> Vec<f32> {
        on_pool(|| self.first_token_here(rows))
    }

    fn first_token_here(&self, rows: &[&[u32]]) -> Vec<f32> {
        let spans = packed_spans(rows.iter().map(|r| r.len()));
        let mut x = self.embed(rows);
        let Some((last, layers)) = self.layers.split_last() else {
            return first_rows(&x, &spans, self.hidden());
        };
        for layer in layers {
            x = layer.forward(&x, &spans, &self.config, self.activation);
        }
        last.forward_first(&x, &spans, &self.config, self.activation)
    }

    fn hidden(&self) -> usize {
        self.config.hidden_size
    }

    /// Word, position and token-type embeddings, summed and normalized: `(tokens, hidden)`.
    fn embed(&self, rows: &[&[u32]]) -> Vec<f32> {
        let h = self.hidden();
        let tokens = rows.iter().map(|r| r.len()).sum::<usize>();
        let mut x = Vec::with_capacity(tokens * h);
        for row in rows {
            let positions = position_ids(row.iter().copied(), &self.config);
            for (&id, &position) in row.iter().zip(&positions) {
                let word = &self.words[id as usize * h..][..h];
                let position = &self.positions[position as usize * h..][..h];
                x.extend(
                    word.iter()
                        .zip(position)
                        .zip(&self.token_type)
                        .map(|((w, p), t)| w + p + t),
                );
            }
        }
        self.norm.apply(&mut x);
        x
    }
}

impl CpuLayer {
    fn new(layer: &Layer, eps: f32) -> candle_core::Result<Self> {
        Ok(Self {
            qkv: dense(&layer.qkv)?,
            attn_out: dense(&layer.attn_out)?,
            attn_norm: norm(&layer.attn_norm, eps)?,
            up: dense(&layer.up)?,
            down: dense(&layer.down)?,
            out_norm: norm(&layer.out_norm, eps)?,
        })
    }

    /// Every position of every text.
    fn forward(
        &self,
        x: &[f32],
        spans: &[Range<usize>],
        config: &EncoderConfig,
        activation: Activation,
    ) -> Vec<f32> {
        let (h, heads) = (config.hidden_size, config.num_attention_heads);
        let qkv = self.qkv.forward(x);
        let view = |offset| Heads {
            data: &qkv,
            stride: 3 * h,
            offset,
        };
        let context = attention(
            view(0),
            view(h),
            view(2 * h),
            spans,
            spans,
            heads,
            h / heads,
        );
        self.feed_forward(&context, x, h, activation)
    }

    /// Only each text's first position: every key and value, one query per text (the
    /// classifier reads nothing else). `(texts, hidden)`.
    fn forward_first(
        &self,
        x: &[f32],
        spans: &[Range<usize>],
        config: &EncoderConfig,
        activation: Activation,
    ) -> Vec<f32> {
        let (h, heads) = (config.hidden_size, config.num_attention_heads);
        let kv = self.qkv.forward_columns(x, h..3 * h);
        let firsts = first_rows(x, spans, h);
        let q = self.qkv.forward_columns(&firsts, 0..h);
        let first_spans: Vec<Range<usize>> = (0..spans.len()).map(|i| i..i + 1).collect();
        let queries = Heads {
            data: &q,
            stride: h,
            offset: 0,
        };
        let view = |offset| Heads {
            data: &kv,
            stride: 2 * h,
            offset,
        };
        let context = attention(
            queries,
            view(0),
            view(h),
            &first_spans,
            spans,
            heads,
            h / heads,
        );
        self.feed_forward(&context, &firsts, h, activation)
    }

    /// Attention output projection with residual and LayerNorm, then the feed-forward block
    /// with its own residual and LayerNorm.
    fn feed_forward(
        &self,
        context: &[f32],
        residual: &[f32],
        h: usize,
        activation: Activation,
    ) -> Vec<f32> {
        let mut x = self.attn_out.matmul(context, 0..h);
        self.attn_norm
            .apply_with(&mut x, self.attn_out.bias(0..h), residual);
        let wide = self.up.outputs();
        let mut hidden = self.up.matmul(&x, 0..wide);
        activation.apply_with_bias(&mut hidden, self.up.bias(0..wide));
        let mut out = self.down.matmul(&hidden, 0..h);
        self.out_norm.apply_with(&mut out, self.down.bias(0..h), &x);
        out
    }
}

/// Each text's first row of the packed `width`-wide rows `x`: `(texts, width)`.
fn first_rows(x: &[f32], spans: &[Range<usize>], width: usize) -> Vec<f32> {
    spans
        .iter()
        .flat_map(|s| &x[s.start * width..][..width])
        .copied()
        .collect()
}

/// The kernels' version of a checkpoint's `hidden_act`, if they have it.
fn activation(act: CandleActivation) -> Option<Activation> {
    match act {
        CandleActivation::Gelu => Some(Activation::GeluErf),
        CandleActivation::NewGelu | CandleActivation::GeluPytorchTanh => Some(Activation::GeluTanh),
        CandleActivation::Relu => Some(Activation::Relu),
        _ => None,
    }
}

fn flat(t: &Tensor) -> candle_core::Result<Vec<f32>> {
    t.flatten_all()?.to_vec1()
}

fn dense(linear: &candle_nn::Linear) -> candle_core::Result<Dense> {
    let (outputs, inputs) = linear.weight().dims2()?;
    let bias = match linear.bias() {
        Some(b) => flat(b)?,
        None => vec![0.0; outputs],
    };
    Ok(Dense::new(&flat(linear.weight())?, bias, outputs, inputs))
}

fn norm(layer_norm: &candle_nn::LayerNorm, eps: f32) -> candle_core::Result<LayerNorm> {
    let gamma = flat(layer_norm.weight())?;
    let beta = match layer_norm.bias() {
        Some(b) => flat(b)?,
        None => vec![0.0; gamma.len()],
    };
    Ok(LayerNorm::new(gamma, beta, eps))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_without_a_kernel_stay_on_candle() {
        assert_eq!(
            activation(CandleActivation::Gelu),
            Some(Activation::GeluErf)
        );
        assert_eq!(
            activation(CandleActivation::GeluPytorchTanh),
            Some(Activation::GeluTanh)
        );
        assert_eq!(activation(CandleActivation::Silu), None);
    }
}
