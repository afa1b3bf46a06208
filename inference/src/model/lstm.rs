//! The project's LSTM classifier (reference: `training/moodtracker_models/lstm.py`) on candle.
//!
//! PyTorch packs each batch by true lengths; here the whole padded batch steps together and a
//! per-step mask freezes each text's state once its own tokens run out. The forward direction
//! therefore ends at each text's last token and the backward direction, starting from zero state
//! over padding, begins there: the same final hidden states packing gives, with one GEMM per step
//! for the batch instead of one per text. candle-nn's `lstm` has the gate order and weight names
//! but neither masking nor a reverse direction, so the recurrence lives here.

use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, Linear, VarBuilder};
use moodtracker_kernels::{LstmDirection, lstm::run_layer, on_pool, packed_spans};
use serde::Deserialize;

use super::checkpoint::{LabelConfig, device_name, load_error, read_config, read_weights};
use super::roberta::{check_batch, model_name};
use super::tokenize::HfEncoder;
use super::{
    BACKEND_CANDLE, BACKEND_CPU_KERNELS, Classifier, Encoding, Kind, LoadOptions, ModelInfo,
    TextEncoder,
};
use crate::Error;

const MODEL_TYPE: &str = "lstm_classifier";

/// `config.json` of an LSTM model directory.
#[derive(Debug, Deserialize)]
struct Config {
    model_type: String,
    vocab_size: usize,
    embed_dim: usize,
    hidden_size: usize,
    num_layers: usize,
    bidirectional: bool,
    pad_token_id: u32,
    /// Most tokens per text, special tokens included.
    max_length: usize,
    #[serde(flatten)]
    labels: LabelConfig,
}

/// One direction of one layer: PyTorch's `weight_ih_l{k}[_reverse]` and friends, with the two
/// biases summed once at load since they are only ever added together.
#[derive(Debug)]
struct Direction {
    /// `weight_ih` `(4H, input)` with both biases; gates in PyTorch's order i, f, g, o.
    input: Linear,
    /// `(H, 4H)`: `weight_hh` transposed once so each step is a plain matmul.
    w_hh_t: Tensor,
    reverse: bool,
}

impl Direction {
    fn load(
        vb: &VarBuilder<'_>,
        layer: usize,
        input: usize,
        h: usize,
        reverse: bool,
    ) -> candle_core::Result<Self> {
        let suffix = if reverse { "_reverse" } else { "" };
        let name = |what: &str| format!("{what}_l{layer}{suffix}");
        let bias = (vb.get(4 * h, &name("bias_ih"))? + vb.get(4 * h, &name("bias_hh"))?)?;
        Ok(Self {
            input: Linear::new(vb.get((4 * h, input), &name("weight_ih"))?, Some(bias)),
            w_hh_t: vb.get((4 * h, h), &name("weight_hh"))?.t()?.contiguous()?,
            reverse,
        })
    }

    /// Runs over `x` `(batch, seq, input)` with `mask` `(seq, batch, 1)` (1 for real tokens).
    /// Returns the output at every step `(batch, seq, H)` and the final hidden state
    /// `(batch, H)`. Padded steps leave the state untouched, so their outputs are never read.
    fn run(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let (b, s, _) = x.dims3()?;
        let hidden = self.w_hh_t.dim(0)?;
        // The input projection for all steps at once, laid out step-major so each step's slice
        // is contiguous.
        let xw = self.input.forward(x)?.transpose(0, 1)?.contiguous()?;
        let mut h = Tensor::zeros((b, hidden), x.dtype(), x.device())?;
        let mut c = h.clone();
        let mut outputs = vec![h.clone(); s];
        let steps: Box<dyn Iterator<Item = usize>> = if self.reverse {
            Box::new((0..s).rev())
        } else {
            Box::new(0..s)
        };
        for t in steps {
            let (h_new, c_new) = self.cell(&xw.get(t)?, &h, &c)?;
            let m = mask.get(t)?;
            h = blend(&m, &h_new, &h)?;
            c = blend(&m, &c_new, &c)?;
            outputs[t] = h.clone();
        }
        Ok((Tensor::stack(&outputs, 1)?, h))
    }

    /// One LSTM step from the precomputed input projection `xw_t` `(batch, 4H)`.
    fn cell(&self, xw_t: &Tensor, h: &Tensor, c: &Tensor) -> candle_core::Result<(Tensor, Tensor)> {
        let gates = (xw_t + h.matmul(&self.w_hh_t)?)?;
        let chunks = gates.chunk(4, 1)?;
        let i = candle_nn::ops::sigmoid(&chunks[0])?;
        let f = candle_nn::ops::sigmoid(&chunks[1])?;
        let g = chunks[2].tanh()?;
        let o = candle_nn::ops::sigmoid(&chunks[3])?;
        let c = ((f * c)? + (i * g)?)?;
        let h = (o * c.tanh()?)?;
        Ok((h, c))
    }
}

/// Where the recurrence runs.
#[derive(Debug)]
enum Recurrence {
    /// candle, op by op, over the padded batch with a mask: CUDA, or the CPU when asked.
    Candle {
        embedding: Embedding,
        layers: Vec<Vec<Direction>>,
    },
    /// The CPU kernels over packed texts.
    Cpu {
        /// `(vocab, embed_dim)` row-major.
        embedding: Vec<f32>,
        layers: Vec<Vec<LstmDirection>>,
    },
}

impl Recurrence {
    fn new(
        embedding: Embedding,
        layers: Vec<Vec<Direction>>,
        opts: &LoadOptions,
    ) -> candle_core::Result<Self> {
        if !(opts.device.is_cpu() && opts.cpu_kernels && opts.dtype == DType::F32) {
            return Ok(Self::Candle { embedding, layers });
        }
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let direction = |d: &Direction| -> candle_core::Result<LstmDirection> {
            let (gates, input) = d.input.weight().dims2()?;
            let bias = d.input.bias().map(flat).transpose()?;
            Ok(LstmDirection::new(
                &flat(d.input.weight())?,
                &flat(&d.w_hh_t.t()?.contiguous()?)?,
                bias.unwrap_or_else(|| vec![0.0; gates]),
                input,
                gates / 4,
                d.reverse,
            ))
        };
        Ok(Self::Cpu {
            embedding: flat(embedding.embeddings())?,
            layers: layers
                .iter()
                .map(|layer| layer.iter().map(direction).collect())
                .collect::<candle_core::Result<_>>()?,
        })
    }
}

/// `new` where `mask` is 1, `old` where it is 0.
fn blend(mask: &Tensor, new: &Tensor, old: &Tensor) -> candle_core::Result<Tensor> {
    old + (new - old)?.broadcast_mul(mask)?
}

/// A loaded LSTM classifier.
#[derive(Debug)]
pub struct LstmClassifier {
    info: ModelInfo,
    vocab_size: usize,
    pad_token_id: u32,
    /// The embedding and, per layer, the forward direction then (if bidirectional) the
    /// backward one.
    recurrence: Recurrence,
    classifier: Linear,
    tokenizer: Arc<HfEncoder>,
    device: Device,
}

impl LstmClassifier {
    /// Loads `config.json`, `model.safetensors` (the module's state dict) and `tokenizer.json`.
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self, Error> {
        let config: Config = read_config(dir)?;
        if config.model_type != MODEL_TYPE {
            let msg = format!(
                "model_type is {:?}, expected {MODEL_TYPE:?}",
                config.model_type
            );
            return Err(load_error(dir, msg));
        }
        let labels = config.labels.labels(dir, opts.valences.as_ref())?;
        let weights = read_weights(dir, &[], &opts.device, opts.dtype)?;
        let vb = VarBuilder::from_tensors(weights.tensors, opts.dtype, &opts.device);
        let bad = |e: candle_core::Error| load_error(dir, format!("model.safetensors: {e}"));
        let directions = if config.bidirectional { 2 } else { 1 };
        let classifier = candle_nn::linear(
            config.hidden_size * directions,
            labels.names.len(),
            vb.pp("classifier"),
        )
        .map_err(bad)?;
        let embedding =
            candle_nn::embedding(config.vocab_size, config.embed_dim, vb.pp("embedding"))
                .map_err(bad)?;
        let layers = load_layers(&config, &vb.pp("lstm")).map_err(bad)?;
        let recurrence = Recurrence::new(embedding, layers, opts).map_err(bad)?;
        let info = ModelInfo {
            kind: Kind::Lstm,
            name: model_name(dir),
            version: weights.version,
            architecture: MODEL_TYPE.into(),
            labels,
            max_input_tokens: config.max_length,
            device: device_name(&opts.device),
            dtype: opts.dtype.as_str().into(),
            backend: match recurrence {
                Recurrence::Cpu { .. } => BACKEND_CPU_KERNELS,
                Recurrence::Candle { .. } => BACKEND_CANDLE,
            },
        };
        Ok(Self {
            info,
            vocab_size: config.vocab_size,
            pad_token_id: config.pad_token_id,
            recurrence,
            classifier,
            tokenizer: Arc::new(HfEncoder::from_dir(dir, config.max_length)?),
            device: opts.device.clone(),
        })
    }

    /// Logits `(batch, labels)` on the CPU kernels, for texts laid end to end.
    fn logits_packed(
        &self,
        embedding: &[f32],
        layers: &[Vec<LstmDirection>],
        batch: &[&Encoding],
    ) -> candle_core::Result<Tensor> {
        let dim = embedding.len() / self.vocab_size;
        let spans = packed_spans(batch.iter().map(|e| e.ids.len()));
        let mut x: Vec<f32> = batch
            .iter()
            .flat_map(|e| &e.ids)
            .flat_map(|&id| &embedding[id as usize * dim..][..dim])
            .copied()
            .collect();
        let finals = on_pool(|| {
            let mut finals = Vec::new();
            for layer in layers {
                (x, finals) = run_layer(layer, &x, &spans);
            }
            finals
        });
        let width = finals.len() / batch.len();
        let finals = Tensor::from_vec(finals, (batch.len(), width), &self.device)?;
        self.classifier.forward(&finals)
    }

    /// Logits `(batch, labels)` for right-padded `ids` `(batch, seq)` of true `lengths`.
    fn logits(
        &self,
        embedding: &Embedding,
        layers: &[Vec<Direction>],
        ids: &Tensor,
        lengths: &[usize],
    ) -> candle_core::Result<Tensor> {
        let seq = ids.dim(1)?;
        let mask: Vec<f32> = (0..seq)
            .flat_map(|t| {
                lengths
                    .iter()
                    .map(move |&len| if t < len { 1.0 } else { 0.0 })
            })
            .collect();
        let mask = Tensor::from_vec(mask, (seq, lengths.len(), 1), &self.device)?
            .to_dtype(embedding.embeddings().dtype())?;
        let mut x = embedding.forward(ids)?;
        let mut finals = Vec::new();
        for layer in layers {
            let runs = layer
                .iter()
                .map(|d| d.run(&x, &mask))
                .collect::<candle_core::Result<Vec<_>>>()?;
            let outputs: Vec<&Tensor> = runs.iter().map(|(out, _)| out).collect();
            x = Tensor::cat(&outputs, 2)?;
            finals = runs.into_iter().map(|(_, h)| h).collect();
        }
        self.classifier.forward(&Tensor::cat(&finals, 1)?)
    }
}

fn load_layers(config: &Config, vb: &VarBuilder<'_>) -> candle_core::Result<Vec<Vec<Direction>>> {
    let h = config.hidden_size;
    let directions = if config.bidirectional { 2 } else { 1 };
    (0..config.num_layers)
        .map(|layer| {
            let input = if layer == 0 {
                config.embed_dim
            } else {
                h * directions
            };
            (0..directions)
                .map(|d| Direction::load(vb, layer, input, h, d == 1))
                .collect()
        })
        .collect()
}

impl Classifier for LstmClassifier {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn encoder(&self) -> Arc<dyn TextEncoder> {
        self.tokenizer.clone()
    }

    fn forward(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, Error> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        check_batch(batch, self.info.max_input_tokens, self.vocab_size)?;
        let (embedding, layers) = match &self.recurrence {
            Recurrence::Cpu { embedding, layers } => {
                return Ok(self.logits_packed(embedding, layers, batch)?.to_vec2()?);
            }
            Recurrence::Candle { embedding, layers } => (embedding, layers),
        };
        let width = batch.iter().map(|e| e.ids.len()).max().unwrap_or(0);
        // What padding holds is never read (the mask freezes the state); the pad id is simply
        // the natural filler.
        let ids: Vec<u32> = batch
            .iter()
            .flat_map(|e| {
                e.ids
                    .iter()
                    .copied()
                    .chain(std::iter::repeat(self.pad_token_id))
                    .take(width)
            })
            .collect();
        let ids = Tensor::from_vec(ids, (batch.len(), width), &self.device)?;
        let lengths: Vec<usize> = batch.iter().map(|e| e.ids.len()).collect();
        let logits = self.logits(embedding, layers, &ids, &lengths)?;
        Ok(logits.to_dtype(DType::F32)?.to_vec2()?)
    }
}
