//! The BERT-family encoder (BERT, RoBERTa, XLM-RoBERTa) on candle, up to the hidden state of the
//! first token, which is all a sequence-classification head reads.
//!
//! Written here rather than taken from candle-transformers because the details that decide
//! parity with transformers (position ids per family, a padding mask over a batch in every
//! dtype) and the speed-ups (one fused QKV projection, a last layer that computes only the first
//! token) are easier to own than to patch around: built with the `candle-transformers` feature,
//! candle's path runs upstream's encoders where they match transformers (`upstream.rs` says
//! where they do not), and on the same model they run 0.62-0.85x as fast as this one.

pub mod cpu;
#[cfg(feature = "candle-transformers")]
pub mod upstream;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Activation, Embedding, LayerNorm, Linear, VarBuilder};
use serde::Deserialize;

/// The encoder fields of a transformers `config.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct EncoderConfig {
    pub model_type: String,
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    /// `gelu` is the exact (erf) GELU in transformers and in candle; `gelu_new` the tanh one.
    #[serde(default)]
    pub hidden_act: Activation,
    pub max_position_embeddings: usize,
    #[serde(default = "one")]
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default)]
    pub pad_token_id: u32,
    /// Only `absolute` exists in the checkpoints we target; others are refused at load.
    #[serde(default)]
    pub position_embedding_type: Option<String>,
}

fn one() -> usize {
    1
}

fn default_eps() -> f64 {
    1e-12
}

impl EncoderConfig {
    /// RoBERTa-style models number positions from `pad_token_id + 1`, skipping padding.
    pub fn offsets_positions(&self) -> bool {
        matches!(
            self.model_type.as_str(),
            "roberta" | "xlm-roberta" | "camembert"
        )
    }

    /// Most tokens per text, special tokens included: every position embedding, less the ones
    /// RoBERTa's offset makes unreachable (`max_position_embeddings - 2` for pad id 1).
    pub fn max_input_tokens(&self) -> usize {
        if self.offsets_positions() {
            self.max_position_embeddings
                .saturating_sub(self.pad_token_id as usize + 1)
        } else {
            self.max_position_embeddings
        }
    }
}

/// A padded batch ready for the encoder.
#[derive(Debug)]
pub struct Batch {
    /// `(batch, seq)` u32 token ids, right-padded with the pad id.
    pub ids: Tensor,
    /// `(batch, seq)` u32 position ids.
    pub positions: Tensor,
    /// `(batch, 1, 1, seq)` in the model's dtype: 0 where a token is real, the dtype's lowest
    /// finite value where it is padding, added to attention scores so padding gets exactly zero
    /// weight, as in transformers (`torch.finfo(dtype).min`).
    pub mask: Tensor,
}

impl Batch {
    /// Pads `rows` to the longest and computes positions the way `config`'s family does; the
    /// mask is in `dtype`, the weights'.
    pub fn new(
        rows: &[&[u32]],
        config: &EncoderConfig,
        device: &Device,
        dtype: DType,
    ) -> candle_core::Result<Self> {
        let masked = lowest_finite(dtype);
        let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
        let pad = config.pad_token_id;
        let (mut ids, mut positions, mut mask) = (Vec::new(), Vec::new(), Vec::new());
        for row in rows {
            let padded = row
                .iter()
                .copied()
                .chain(std::iter::repeat(pad))
                .take(width);
            ids.extend(padded.clone());
            positions.extend(position_ids(padded, config));
            mask.extend((0..width).map(|i| if i < row.len() { 0.0 } else { masked }));
        }
        let n = rows.len();
        Ok(Self {
            ids: Tensor::from_vec(ids, (n, width), device)?,
            positions: Tensor::from_vec(positions, (n, width), device)?,
            mask: Tensor::from_vec(mask, (n, 1, 1, width), device)?.to_dtype(dtype)?,
        })
    }
}

/// The most negative finite value of `dtype`, as an f32 that converts to it exactly: f32's own
/// minimum would round to minus infinity in f16 and bf16.
fn lowest_finite(dtype: DType) -> f32 {
    match dtype {
        DType::F16 => -65504.0,
        // bf16's largest finite magnitude: (2 - 2^-7) * 2^127.
        DType::BF16 => -3.389_531_4e38,
        _ => f32::MIN,
    }
}

/// transformers' `create_position_ids_from_input_ids` for RoBERTa (a running count of non-pad
/// tokens, offset by the pad id, and the pad id itself at padding), plain `0..n` for BERT.
fn position_ids(ids: impl Iterator<Item = u32>, config: &EncoderConfig) -> Vec<u32> {
    let pad = config.pad_token_id;
    if !config.offsets_positions() {
        return ids.enumerate().map(|(i, _)| i as u32).collect();
    }
    let mut count = 0;
    ids.map(|id| {
        if id == pad {
            pad
        } else {
            count += 1;
            pad + count
        }
    })
    .collect()
}

/// Embeddings plus the stack of layers.
#[derive(Debug)]
pub struct Encoder {
    words: Embedding,
    positions: Embedding,
    /// Row 0 of the token-type table: single-text inputs are all type 0.
    token_type: Tensor,
    norm: LayerNorm,
    layers: Vec<Layer>,
}

impl Encoder {
    /// Loads from `vb` rooted at the encoder (names like `embeddings.word_embeddings.weight`).
    pub fn load(config: &EncoderConfig, vb: VarBuilder<'_>) -> candle_core::Result<Self> {
        let (h, emb) = (config.hidden_size, vb.pp("embeddings"));
        let layers = (0..config.num_hidden_layers)
            .map(|i| Layer::load(config, vb.pp(format!("encoder.layer.{i}"))))
            .collect::<candle_core::Result<_>>()?;
        Ok(Self {
            words: candle_nn::embedding(config.vocab_size, h, emb.pp("word_embeddings"))?,
            positions: candle_nn::embedding(
                config.max_position_embeddings,
                h,
                emb.pp("position_embeddings"),
            )?,
            token_type: emb
                .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
                .get(0)?,
            norm: candle_nn::layer_norm(h, config.layer_norm_eps, emb.pp("LayerNorm"))?,
            layers,
        })
    }

    /// The weights' dtype, which the batch's mask must share.
    pub fn dtype(&self) -> DType {
        self.token_type.dtype()
    }

    /// `(batch, hidden)`: the last layer's state at the first token (`<s>` or `[CLS]`).
    pub fn first_token(&self, batch: &Batch) -> candle_core::Result<Tensor> {
        let x = self.words.forward(&batch.ids)?;
        let x = (x + self.positions.forward(&batch.positions)?)?;
        let mut x = self.norm.forward(&x.broadcast_add(&self.token_type)?)?;
        let last = self.layers.len().saturating_sub(1);
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(&x, &batch.mask, i == last)?;
        }
        x.get_on_dim(1, 0)
    }
}

/// One transformer block: self-attention then feed-forward, each with residual and LayerNorm
/// after (post-norm, as in BERT).
#[derive(Debug)]
struct Layer {
    /// Query, key and value projections stacked into one matrix: one GEMM instead of three.
    qkv: Linear,
    heads: usize,
    attn_out: Linear,
    attn_norm: LayerNorm,
    up: Linear,
    act: Activation,
    down: Linear,
    out_norm: LayerNorm,
}

impl Layer {
    fn load(config: &EncoderConfig, vb: VarBuilder<'_>) -> candle_core::Result<Self> {
        let (h, i, eps) = (
            config.hidden_size,
            config.intermediate_size,
            config.layer_norm_eps,
        );
        let (attn, sa) = (vb.pp("attention"), vb.pp("attention.self"));
        let part = |name: &str| -> candle_core::Result<(Tensor, Tensor)> {
            Ok((
                sa.get((h, h), &format!("{name}.weight"))?,
                sa.get(h, &format!("{name}.bias"))?,
            ))
        };
        let (q, k, v) = (part("query")?, part("key")?, part("value")?);
        let qkv = Linear::new(
            Tensor::cat(&[&q.0, &k.0, &v.0], 0)?,
            Some(Tensor::cat(&[&q.1, &k.1, &v.1], 0)?),
        );
        Ok(Self {
            qkv,
            heads: config.num_attention_heads,
            attn_out: candle_nn::linear(h, h, attn.pp("output.dense"))?,
            attn_norm: candle_nn::layer_norm(h, eps, attn.pp("output.LayerNorm"))?,
            up: candle_nn::linear(h, i, vb.pp("intermediate.dense"))?,
            act: config.hidden_act,
            down: candle_nn::linear(i, h, vb.pp("output.dense"))?,
            out_norm: candle_nn::layer_norm(h, eps, vb.pp("output.LayerNorm"))?,
        })
    }

    /// `x` is `(batch, seq, hidden)`. With `first_only`, only the first position is computed
    /// past the keys and values (the classifier reads nothing else), giving `(batch, 1, hidden)`.
    fn forward(&self, x: &Tensor, mask: &Tensor, first_only: bool) -> candle_core::Result<Tensor> {
        let context = self.attention(x, mask, first_only)?;
        let residual = if first_only {
            x.narrow(1, 0, 1)?
        } else {
            x.clone()
        };
        let x = self
            .attn_norm
            .forward(&(self.attn_out.forward(&context)? + residual)?)?;
        let hidden = self.act.forward(&self.up.forward(&x)?)?;
        self.out_norm.forward(&(self.down.forward(&hidden)? + x)?)
    }

    /// Scaled dot-product attention over all heads; padding keys are masked out.
    fn attention(
        &self,
        x: &Tensor,
        mask: &Tensor,
        first_only: bool,
    ) -> candle_core::Result<Tensor> {
        let (b, s, h) = x.dims3()?;
        let d = h / self.heads;
        // (b, s, 3h) -> (3, b, heads, s, d)
        let qkv = self
            .qkv
            .forward(x)?
            .reshape((b, s, 3, self.heads, d))?
            .permute((2, 0, 3, 1, 4))?;
        let q = qkv.get(0)?;
        let q = if first_only { q.narrow(2, 0, 1)? } else { q };
        let q = (q.contiguous()? * (1.0 / (d as f64).sqrt()))?;
        let k = qkv.get(1)?.contiguous()?;
        let v = qkv.get(2)?.contiguous()?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs.matmul(&v)?; // (b, heads, q_len, d)
        let q_len = context.dim(2)?;
        context.transpose(1, 2)?.reshape((b, q_len, h))
    }
}
