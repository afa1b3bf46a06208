//! How the loaded models look through the protocol: their names (`roberta`, `lstm`), their one
//! version (the weights hash), their input `text` and their four outputs.

use crate::{Error, batch::Models, metrics::model_label, model::ModelInfo};

/// The one input every model takes: the texts to classify.
pub const INPUT: &str = "text";
/// Triton's datatype names for the tensors served here.
pub const BYTES: &str = "BYTES";
pub const FP32: &str = "FP32";

/// The outputs every model gives, in the order returned when a request names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The top label per text, BYTES `[N]`.
    Label,
    /// Every label's score per text in label-id order, FP32 `[N, L]`.
    Scores,
    /// The mood on the 0-10 scale per text, FP32 `[N]`.
    MoodScore,
    /// Raw logits per text in label-id order, FP32 `[N, L]`.
    Logits,
}

impl Output {
    pub const ALL: [Output; 4] = [
        Output::Label,
        Output::Scores,
        Output::MoodScore,
        Output::Logits,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Output::Label => "label",
            Output::Scores => "scores",
            Output::MoodScore => "mood_score",
            Output::Logits => "logits",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == name)
    }

    pub fn datatype(self) -> &'static str {
        match self {
            Output::Label => BYTES,
            Output::Scores | Output::MoodScore | Output::Logits => FP32,
        }
    }

    /// The shape for `texts` texts and `labels` labels; `-1` texts describes any count.
    pub fn shape(self, texts: i64, labels: usize) -> Vec<i64> {
        match self {
            Output::Label | Output::MoodScore => vec![texts],
            Output::Scores | Output::Logits => vec![texts, labels as i64],
        }
    }
}

/// The loaded model a request names; a given `version` must be the model's weights hash.
pub fn find<'a>(models: &'a Models, name: &str, version: &str) -> Result<&'a ModelInfo, Error> {
    let info = models
        .infos()
        .find(|info| model_label(info.kind) == name)
        .ok_or_else(|| {
            Error::NotFound(format!(
                "unknown model {name:?}; this server serves {}",
                names(models)
            ))
        })?;
    if !version.is_empty() && version != info.version {
        return Err(Error::NotFound(format!(
            "model {name:?} has no version {version:?}; its one version is {:?}",
            info.version
        )));
    }
    Ok(info)
}

/// The protocol's name of a model.
pub fn name(info: &ModelInfo) -> &'static str {
    model_label(info.kind)
}

/// `moodtracker_<architecture>`, for example `moodtracker_roberta`.
pub fn platform(info: &ModelInfo) -> String {
    format!("moodtracker_{}", info.architecture)
}

fn names(models: &Models) -> String {
    let names: Vec<String> = models
        .infos()
        .map(|info| format!("{:?}", name(info)))
        .collect();
    names.join(" and ")
}
