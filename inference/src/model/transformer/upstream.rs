//! candle-transformers' encoders on candle's op-by-op path (what a GPU runs), in a build with the
//! `candle-transformers` feature, for the models and dtypes where they compute what transformers
//! does; our own [`Encoder`](super::Encoder) serves the rest, and every model without the feature.
//!
//! Upstream's `xlm_roberta::XLMRobertaModel` serves the RoBERTa family (RoBERTa, XLM-RoBERTa and
//! CamemBERT share one architecture) and `bert::BertModel` serves BERT. [`Upstream::load`]
//! declines, so our encoder runs instead, where upstream differs from transformers:
//!
//! - **BERT in f16 and bf16.** `bert::get_extended_attention_mask` multiplies `1 - mask` by
//!   `f32::MIN` cast to the dtype, which is minus infinity there: `0 × -inf` is NaN at every real
//!   token, so every logit is NaN. Ours adds the dtype's lowest finite value instead, as
//!   transformers does (`torch.finfo(dtype).min`).
//! - **The RoBERTa family in bf16.** `XLMRobertaEmbeddings` numbers positions with a cumulative
//!   sum in the model's dtype; bf16 holds integers exactly only up to 256, so in a longer text
//!   tokens past that read a neighbour's position embedding (the bundled model takes 512 tokens).
//!   Ours counts positions as integers.
//! - **BERT activations other than `gelu`, `gelu_new` and `relu`**, which upstream's `HiddenAct`
//!   lacks.
//!
//! What upstream also lacks, and costs time rather than correctness: one fused QKV projection
//! and a last layer that computes only the first token (the classifier reads nothing else). On a
//! MiniLM-shaped BERT on the CPU it runs 0.62x (1x64) to 0.85x (1x128) as fast as ours, which is
//! why the feature is off by default:
//!
//!     cargo bench -p moodtracker-inference --features candle-transformers --bench throughput

use candle_core::{DType, Device, Tensor};
use candle_nn::{Activation, VarBuilder};
use candle_transformers::models::{bert, xlm_roberta};

use super::EncoderConfig;

/// A candle-transformers encoder, loaded from the encoder's root (`embeddings.*`, `encoder.*`).
pub enum Upstream {
    /// RoBERTa, XLM-RoBERTa and CamemBERT.
    XlmRoberta(xlm_roberta::XLMRobertaModel),
    Bert(bert::BertModel),
}

impl std::fmt::Debug for Upstream {
    // Upstream's models implement no `Debug`; their weights would be noise anyway.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::XlmRoberta(_) => "Upstream::XlmRoberta",
            Self::Bert(_) => "Upstream::Bert",
        })
    }
}

impl Upstream {
    /// Upstream's encoder for `config` in `dtype`, or `None` where it would not match
    /// transformers (the module header lists where, and why).
    pub fn load(
        config: &EncoderConfig,
        dtype: DType,
        vb: VarBuilder<'_>,
    ) -> candle_core::Result<Option<Self>> {
        if config.offsets_positions() {
            if dtype == DType::BF16 {
                return Ok(None);
            }
            let model = xlm_roberta::XLMRobertaModel::new(&xlm_roberta_config(config), vb)?;
            return Ok(Some(Self::XlmRoberta(model)));
        }
        if dtype != DType::F32 {
            return Ok(None);
        }
        let Some(config) = bert_config(config) else {
            return Ok(None);
        };
        Ok(Some(Self::Bert(bert::BertModel::load(vb, &config)?)))
    }

    /// `(batch, hidden)`: the last layer's state at each row's first token. `rows` are padded
    /// to the longest with `pad` and masked out of attention.
    pub fn first_token(
        &self,
        rows: &[&[u32]],
        pad: u32,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let (ids, mask) = padded(rows, pad, device)?;
        // Single-text inputs are all token type 0.
        let types = ids.zeros_like()?;
        let states = match self {
            Self::XlmRoberta(model) => model.forward(&ids, &mask, &types, None, None, None)?,
            Self::Bert(model) => model.forward(&ids, &types, Some(&mask))?,
        };
        states.get_on_dim(1, 0)
    }
}

/// `(batch, seq)` u32 ids right-padded with `pad`, and the `(batch, seq)` u32 mask, 1 at a real
/// token, the form upstream's models take.
fn padded(rows: &[&[u32]], pad: u32, device: &Device) -> candle_core::Result<(Tensor, Tensor)> {
    let width = rows.iter().map(|r| r.len()).max().unwrap_or(0);
    let (mut ids, mut mask) = (Vec::new(), Vec::new());
    for row in rows {
        ids.extend(
            row.iter()
                .copied()
                .chain(std::iter::repeat(pad))
                .take(width),
        );
        mask.extend((0..width).map(|i| u32::from(i < row.len())));
    }
    let shape = (rows.len(), width);
    Ok((
        Tensor::from_vec(ids, shape, device)?,
        Tensor::from_vec(mask, shape, device)?,
    ))
}

fn xlm_roberta_config(c: &EncoderConfig) -> xlm_roberta::Config {
    xlm_roberta::Config {
        hidden_size: c.hidden_size,
        layer_norm_eps: c.layer_norm_eps,
        // Dropout is off at inference; upstream keeps the fields but never applies them.
        attention_probs_dropout_prob: 0.0,
        hidden_dropout_prob: 0.0,
        num_attention_heads: c.num_attention_heads,
        // The loader refuses every other kind (`roberta::check_supported`).
        position_embedding_type: "absolute".into(),
        intermediate_size: c.intermediate_size,
        hidden_act: c.hidden_act,
        num_hidden_layers: c.num_hidden_layers,
        vocab_size: c.vocab_size,
        max_position_embeddings: c.max_position_embeddings,
        type_vocab_size: c.type_vocab_size,
        pad_token_id: c.pad_token_id,
    }
}

/// Upstream BERT's config, or `None` for an activation its `HiddenAct` lacks.
fn bert_config(c: &EncoderConfig) -> Option<bert::Config> {
    let hidden_act = match c.hidden_act {
        // Both are transformers' exact, erf-based `gelu`.
        Activation::Gelu => bert::HiddenAct::Gelu,
        // transformers' `gelu_new` and `gelu_pytorch_tanh`: the tanh approximation.
        Activation::NewGelu | Activation::GeluPytorchTanh => bert::HiddenAct::GeluApproximate,
        Activation::Relu => bert::HiddenAct::Relu,
        _ => return None,
    };
    Some(bert::Config {
        vocab_size: c.vocab_size,
        hidden_size: c.hidden_size,
        num_hidden_layers: c.num_hidden_layers,
        num_attention_heads: c.num_attention_heads,
        intermediate_size: c.intermediate_size,
        hidden_act,
        hidden_dropout_prob: 0.0,
        max_position_embeddings: c.max_position_embeddings,
        type_vocab_size: c.type_vocab_size,
        initializer_range: 0.02,
        layer_norm_eps: c.layer_norm_eps,
        pad_token_id: c.pad_token_id as usize,
        position_embedding_type: bert::PositionEmbeddingType::Absolute,
        use_cache: false,
        classifier_dropout: None,
        model_type: Some(c.model_type.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(model_type: &str, act: Activation) -> EncoderConfig {
        EncoderConfig {
            model_type: model_type.into(),
            vocab_size: 16,
            hidden_size: 8,
            num_hidden_layers: 1,
            num_attention_heads: 2,
            intermediate_size: 16,
            hidden_act: act,
            max_position_embeddings: 16,
            type_vocab_size: 1,
            layer_norm_eps: 1e-5,
            pad_token_id: 1,
            position_embedding_type: None,
        }
    }

    /// Zero weights of every shape asked: enough to see which model `load` picks.
    fn zeros(dtype: DType) -> VarBuilder<'static> {
        VarBuilder::zeros(dtype, &Device::Cpu)
    }

    fn picked(model_type: &str, act: Activation, dtype: DType) -> Option<&'static str> {
        let config = config(model_type, act);
        Upstream::load(&config, dtype, zeros(dtype))
            .expect("loads")
            .map(|u| match u {
                Upstream::XlmRoberta(_) => "xlm-roberta",
                Upstream::Bert(_) => "bert",
            })
    }

    #[test]
    fn upstream_serves_only_where_it_matches_transformers() {
        for family in ["roberta", "xlm-roberta", "camembert"] {
            assert_eq!(
                picked(family, Activation::Gelu, DType::F32),
                Some("xlm-roberta")
            );
            assert_eq!(
                picked(family, Activation::Gelu, DType::F16),
                Some("xlm-roberta")
            );
            // Positions counted in bf16 go wrong past 256.
            assert_eq!(picked(family, Activation::Gelu, DType::BF16), None);
        }
        assert_eq!(picked("bert", Activation::Gelu, DType::F32), Some("bert"));
        assert_eq!(
            picked("bert", Activation::NewGelu, DType::F32),
            Some("bert")
        );
        // Its half-precision mask is NaN; its activations are three.
        assert_eq!(picked("bert", Activation::Gelu, DType::F16), None);
        assert_eq!(picked("bert", Activation::Gelu, DType::BF16), None);
        assert_eq!(picked("bert", Activation::Silu, DType::F32), None);
    }

    #[test]
    fn rows_are_padded_and_masked() {
        let (ids, mask) = padded(&[&[0, 5, 2], &[0, 2]], 1, &Device::Cpu).unwrap();
        assert_eq!(ids.to_vec2::<u32>().unwrap(), [[0, 5, 2], [0, 2, 1]]);
        assert_eq!(mask.to_vec2::<u32>().unwrap(), [[1, 1, 1], [1, 1, 0]]);
    }
}
