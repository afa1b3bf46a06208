//! Text classifiers behind one synchronous trait, so the batcher can drive any of them on its
//! own thread without knowing the architecture.
//!
//! The flow for one text: [`TextEncoder::encode`] (on a blocking thread, so the batcher knows
//! each request's token count before it queues), then [`Classifier::forward`] on a batch of
//! encodings (on the model's worker thread), then [`Labels::scores`] turns logits into
//! probabilities and a mood score.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

mod checkpoint;
pub mod labels;
pub mod lstm;
pub mod roberta;
pub mod tokenize;
pub mod transformer;

pub use labels::{Scored, scores};

/// What a model was asked to classify, after tokenization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoding {
    /// Token ids including the special tokens the tokenizer's post-processor adds, already cut
    /// to the model's `max_input_tokens`.
    pub ids: Vec<u32>,
    /// Whether the text had to be cut to fit.
    pub truncated: bool,
}

/// Which of the two model families a classifier is; mirrors the proto's `ModelKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Roberta,
    Lstm,
}

/// How logits become scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemType {
    /// Softmax over labels.
    SingleLabel,
    /// A sigmoid per label (`problem_type: "multi_label_classification"`).
    MultiLabel,
}

/// Everything `ListModels` reports about a loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub kind: Kind,
    pub name: String,
    /// Hex digest of `model.safetensors`.
    pub version: String,
    /// The model's `architecture` as its config names it ("roberta", "bert", "lstm_classifier").
    pub architecture: String,
    pub labels: Labels,
    pub max_input_tokens: usize,
    /// "cpu" or "cuda:N".
    pub device: String,
    /// "f32", "f16", "bf16".
    pub dtype: String,
    /// What runs the forward pass: [`BACKEND_CPU_KERNELS`], [`BACKEND_CANDLE_TRANSFORMERS`] or
    /// [`BACKEND_CANDLE`].
    pub backend: &'static str,
}

/// [`ModelInfo::backend`] of a model on the fused CPU kernels (`moodtracker-kernels`).
pub const BACKEND_CPU_KERNELS: &str = "cpu-kernels";
/// [`ModelInfo::backend`] of a model on candle's tensor ops, in our own layers.
pub const BACKEND_CANDLE: &str = "candle";
/// [`ModelInfo::backend`] of a transformer on candle's tensor ops through candle-transformers'
/// encoder: a build with the `candle-transformers` feature (`model::transformer::upstream` says
/// for which models and dtypes).
pub const BACKEND_CANDLE_TRANSFORMERS: &str = "candle-transformers";

/// A model's labels in id order, how to score them, and each label's valence for `mood_score`.
#[derive(Debug, Clone, PartialEq)]
pub struct Labels {
    pub names: Vec<String>,
    pub problem_type: ProblemType,
    pub valences: Vec<f32>,
}

/// Turns text into token ids for one model. Shared by the tokenization threads, hence `Sync`.
pub trait TextEncoder: Send + Sync {
    fn encode(&self, text: &str) -> Result<Encoding, crate::Error>;

    /// Where the model stops reading `text` once it is cut to the input limit: the code-point
    /// offset just past the last kept token, or `None` when the whole text fits. Explanations
    /// use it to mark the words the model never sees. The default suits an encoder that never
    /// truncates.
    fn seen_chars(&self, text: &str) -> Result<Option<usize>, crate::Error> {
        let _ = text;
        Ok(None)
    }
}

/// A loaded model. Runs on one worker thread; never called from the async runtime.
pub trait Classifier: Send {
    fn info(&self) -> &ModelInfo;
    /// The encoder matching this model's tokenizer and input limit.
    fn encoder(&self) -> Arc<dyn TextEncoder>;
    /// Logits for each encoding, in order, each `info().labels.names.len()` long. Padding a
    /// batch must not change any text's logits.
    fn forward(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, crate::Error>;
}

/// How to load a model: where it runs and how its labels map to mood.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where the weights live and the forward pass runs.
    pub device: candle_core::Device,
    /// Label name (case-insensitive) to valence for `mood_score`; `None`, or a label missing
    /// from the map, falls back to [`labels::default_valence`].
    pub valences: Option<HashMap<String, f32>>,
    /// On the CPU, run the transformer and the LSTM on the fused kernels of
    /// `moodtracker-kernels` (the default). `false` keeps candle's op-by-op path, the one a GPU runs; the parity tests
    /// check both.
    pub cpu_kernels: bool,
    /// The weights' and activations' type. Half precision needs candle's path (the fused CPU
    /// kernels are f32 only; the service's config refuses that pairing); logits come back f32.
    pub dtype: candle_core::DType,
    /// On candle's path, run a transformer through candle-transformers' encoder where it matches
    /// transformers. Only in a build with the `candle-transformers` feature, where it is the
    /// default; without the feature our own layers always serve. The parity tests check both, and
    /// the throughput benchmark times both.
    pub upstream_encoders: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            device: candle_core::Device::Cpu,
            valences: None,
            cpu_kernels: true,
            dtype: candle_core::DType::F32,
            upstream_encoders: cfg!(feature = "candle-transformers"),
        }
    }
}

/// Loads the model of `kind` from a local directory holding `config.json`, `model.safetensors`
/// and `tokenizer.json`. Nothing is downloaded. `Kind::Roberta` also takes BERT and
/// XLM-RoBERTa sequence-classification checkpoints (chosen by the config's `model_type`).
pub fn load(
    kind: Kind,
    dir: &Path,
    opts: &LoadOptions,
) -> Result<Box<dyn Classifier>, crate::Error> {
    match kind {
        Kind::Roberta => Ok(Box::new(roberta::RobertaClassifier::load(dir, opts)?)),
        Kind::Lstm => Ok(Box::new(lstm::LstmClassifier::load(dir, opts)?)),
    }
}
