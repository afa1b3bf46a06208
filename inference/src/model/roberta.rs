//! Sequence classification with a BERT-family encoder: Hugging Face's
//! `RobertaForSequenceClassification` (also XLM-RoBERTa and CamemBERT, which share it) and
//! `BertForSequenceClassification`, loaded from a local checkpoint directory.

use std::path::Path;
use std::sync::Arc;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Linear, VarBuilder};
use serde::Deserialize;

use super::checkpoint::{LabelConfig, device_name, load_error, read_config, read_weights};
use super::tokenize::HfEncoder;
#[cfg(feature = "candle-transformers")]
use super::transformer::upstream::Upstream;
use super::transformer::{Batch, Encoder, EncoderConfig, cpu::CpuEncoder};
use super::{
    BACKEND_CANDLE, BACKEND_CPU_KERNELS, Classifier, Encoding, Kind, LoadOptions, ModelInfo,
    TextEncoder,
};
use crate::Error;

/// `config.json` as this module reads it.
#[derive(Debug, Deserialize)]
struct Config {
    #[serde(flatten)]
    encoder: EncoderConfig,
    #[serde(flatten)]
    labels: LabelConfig,
}

/// What sits on top of the encoder's first-token state.
#[derive(Debug)]
enum Head {
    /// RobertaClassificationHead: dense, tanh, out_proj (dropout is off at inference).
    Roberta { dense: Linear, out_proj: Linear },
    /// BERT's pooler (dense, tanh) then `classifier`.
    Bert { pooler: Linear, classifier: Linear },
}

impl Head {
    fn load(
        config: &EncoderConfig,
        labels: usize,
        vb: &VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let h = config.hidden_size;
        if config.offsets_positions() {
            Ok(Self::Roberta {
                dense: candle_nn::linear(h, h, vb.pp("classifier.dense"))?,
                out_proj: candle_nn::linear(h, labels, vb.pp("classifier.out_proj"))?,
            })
        } else {
            Ok(Self::Bert {
                pooler: candle_nn::linear(h, h, vb.pp("pooler.dense"))?,
                classifier: candle_nn::linear(h, labels, vb.pp("classifier"))?,
            })
        }
    }

    fn forward(&self, first_token: &Tensor) -> candle_core::Result<Tensor> {
        let (dense, out) = match self {
            Self::Roberta { dense, out_proj } => (dense, out_proj),
            Self::Bert { pooler, classifier } => (pooler, classifier),
        };
        out.forward(&dense.forward(first_token)?.tanh()?)
    }
}

/// Where the encoder runs.
#[derive(Debug)]
enum Backbone {
    /// candle-transformers' encoder on candle's tensors, op by op: CUDA, or the CPU when asked.
    #[cfg(feature = "candle-transformers")]
    Upstream(Upstream),
    /// Our encoder on candle's tensors, op by op: CUDA, or the CPU when asked.
    Candle(Encoder),
    /// The fused CPU kernels over packed rows.
    Cpu(CpuEncoder),
}

impl Backbone {
    fn load(
        config: &EncoderConfig,
        vb: VarBuilder<'_>,
        opts: &LoadOptions,
    ) -> candle_core::Result<Self> {
        let mut ours = None;
        if opts.device.is_cpu() && opts.cpu_kernels && opts.dtype == DType::F32 {
            let encoder = Encoder::load(config, vb.clone())?;
            match CpuEncoder::new(&encoder, config)? {
                Some(cpu) => return Ok(Self::Cpu(cpu)),
                // An activation the kernels lack: candle's path serves it.
                None => ours = Some(encoder),
            }
        }
        #[cfg(feature = "candle-transformers")]
        if opts.upstream_encoders
            && let Some(upstream) = Upstream::load(config, opts.dtype, vb.clone())?
        {
            return Ok(Self::Upstream(upstream));
        }
        match ours {
            Some(encoder) => Ok(Self::Candle(encoder)),
            None => Ok(Self::Candle(Encoder::load(config, vb)?)),
        }
    }

    /// `(batch, hidden)`: each row's last-layer state at its first token.
    fn first_token(
        &self,
        rows: &[&[u32]],
        config: &EncoderConfig,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        match self {
            #[cfg(feature = "candle-transformers")]
            Self::Upstream(encoder) => encoder.first_token(rows, config.pad_token_id, device),
            Self::Candle(encoder) => {
                encoder.first_token(&Batch::new(rows, config, device, encoder.dtype())?)
            }
            Self::Cpu(encoder) => Tensor::from_vec(
                encoder.first_token(rows),
                (rows.len(), config.hidden_size),
                device,
            ),
        }
    }
}

/// A loaded RoBERTa/BERT sequence classifier.
#[derive(Debug)]
pub struct RobertaClassifier {
    info: ModelInfo,
    config: EncoderConfig,
    backbone: Backbone,
    head: Head,
    tokenizer: Arc<HfEncoder>,
    device: Device,
}

impl RobertaClassifier {
    /// Loads `config.json`, `model.safetensors` (task prefix `roberta.`/`bert.` optional) and
    /// `tokenizer.json` from `dir`.
    pub fn load(dir: &Path, opts: &LoadOptions) -> Result<Self, Error> {
        let config: Config = read_config(dir)?;
        let enc = config.encoder;
        check_supported(dir, &enc)?;
        let labels = config.labels.labels(dir, opts.valences.as_ref())?;
        let weights = read_weights(dir, &["roberta.", "bert."], &opts.device, opts.dtype)?;
        let vb = VarBuilder::from_tensors(weights.tensors, opts.dtype, &opts.device);
        let bad_weights =
            |e: candle_core::Error| load_error(dir, format!("model.safetensors: {e}"));
        let backbone = Backbone::load(&enc, vb.clone(), opts).map_err(bad_weights)?;
        let head = Head::load(&enc, labels.names.len(), &vb).map_err(bad_weights)?;
        let tokenizer = Arc::new(HfEncoder::from_dir(dir, enc.max_input_tokens())?);
        let info = ModelInfo {
            kind: Kind::Roberta,
            name: model_name(dir),
            version: weights.version,
            architecture: enc.model_type.clone(),
            labels,
            max_input_tokens: enc.max_input_tokens(),
            device: device_name(&opts.device),
            dtype: opts.dtype.as_str().into(),
            backend: match backbone {
                Backbone::Cpu(_) => BACKEND_CPU_KERNELS,
                #[cfg(feature = "candle-transformers")]
                Backbone::Upstream(_) => super::BACKEND_CANDLE_TRANSFORMERS,
                Backbone::Candle(_) => BACKEND_CANDLE,
            },
        };
        Ok(Self {
            info,
            config: enc,
            backbone,
            head,
            tokenizer,
            device: opts.device.clone(),
        })
    }
}

/// Refuses what would load but compute something else than transformers.
fn check_supported(dir: &Path, config: &EncoderConfig) -> Result<(), Error> {
    let known = ["roberta", "xlm-roberta", "camembert", "bert"];
    if !known.contains(&config.model_type.as_str()) {
        let msg = format!("model_type {:?} is not one of {known:?}", config.model_type);
        return Err(load_error(dir, msg));
    }
    match config.position_embedding_type.as_deref() {
        None | Some("absolute") => {}
        Some(other) => {
            return Err(load_error(
                dir,
                format!("position_embedding_type {other:?}"),
            ));
        }
    }
    if !config
        .hidden_size
        .is_multiple_of(config.num_attention_heads)
    {
        return Err(load_error(
            dir,
            "hidden_size is not a multiple of num_attention_heads",
        ));
    }
    Ok(())
}

/// The directory's name: what an operator pointed the service at.
pub(crate) fn model_name(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| dir.display().to_string())
}

/// Checks a batch before it reaches a kernel: an out-of-range id or an over-long row would
/// otherwise fail deep inside candle with a message about tensors, not inputs.
pub(crate) fn check_batch(
    batch: &[&Encoding],
    max_tokens: usize,
    vocab: usize,
) -> Result<(), Error> {
    for (i, e) in batch.iter().enumerate() {
        if e.ids.is_empty() || e.ids.len() > max_tokens {
            let msg = format!(
                "text {i} has {} tokens; 1 to {max_tokens} allowed",
                e.ids.len()
            );
            return Err(Error::InvalidArgument(msg));
        }
        if let Some(id) = e.ids.iter().find(|&&id| id as usize >= vocab) {
            return Err(Error::InvalidArgument(format!(
                "text {i}: token id {id} >= vocabulary {vocab}"
            )));
        }
    }
    Ok(())
}

impl Classifier for RobertaClassifier {
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
        check_batch(batch, self.info.max_input_tokens, self.config.vocab_size)?;
        let rows: Vec<&[u32]> = batch.iter().map(|e| e.ids.as_slice()).collect();
        let first = self
            .backbone
            .first_token(&rows, &self.config, &self.device)?;
        let logits = self.head.forward(&first)?;
        Ok(logits.to_dtype(DType::F32)?.to_vec2()?)
    }
}
