//! Domain results to protobuf messages: logits become scored outputs, `ModelInfo` becomes the
//! `ListModels` description.

use moodtracker_proto::inference::v1 as pb;

use crate::{
    batch::{ModelRun, Models},
    explain::{Explanation, Word},
    model::{self, Kind, ModelInfo, ProblemType},
};

/// One result per text, in text order; within it one output per run, in request order.
pub fn classify_response(
    runs: &[ModelRun],
    models: &Models,
    include_logits: bool,
) -> pb::ClassifyResponse {
    let texts = runs.first().map_or(0, |run| run.logits.len());
    let results = (0..texts)
        .map(|i| text_result(runs, models, i, include_logits))
        .collect();
    pb::ClassifyResponse { results }
}

fn text_result(
    runs: &[ModelRun],
    models: &Models,
    i: usize,
    include_logits: bool,
) -> pb::TextResult {
    let outputs = runs
        .iter()
        .map(|run| model_output(run, labels_of(models, run.kind), i, include_logits))
        .collect();
    pb::TextResult {
        outputs,
        tokens: runs.iter().map(|r| r.tokens[i].0).max().unwrap_or(0) as u32,
        truncated: runs.iter().any(|r| r.tokens[i].1),
    }
}

fn labels_of(models: &Models, kind: Kind) -> &model::Labels {
    let info = models.infos().find(|info| info.kind == kind);
    &info.expect("a run only exists for a loaded model").labels
}

fn model_output(
    run: &ModelRun,
    labels: &model::Labels,
    i: usize,
    include_logits: bool,
) -> pb::ModelOutput {
    let logits = &run.logits[i];
    let scored = model::scores(labels, logits);
    let scores = labels
        .names
        .iter()
        .zip(&scored.probabilities)
        .map(|(label, &score)| pb::LabelScore {
            label: label.clone(),
            score,
        })
        .collect();
    pb::ModelOutput {
        model: model_kind(run.kind) as i32,
        label: scored.label,
        confidence: scored.confidence,
        scores,
        logits: if include_logits {
            logits.clone()
        } else {
            Vec::new()
        },
        mood_score: scored.mood_score,
    }
}

/// One explanation per model, in the order they were run; each lists every word in text order.
pub fn explain_response(
    words: &[Word],
    explanations: &[(Kind, Explanation)],
) -> pb::ExplainResponse {
    pb::ExplainResponse {
        explanations: explanations
            .iter()
            .map(|(kind, e)| model_explanation(*kind, words, e))
            .collect(),
        words: words.len() as u32,
    }
}

fn model_explanation(
    kind: Kind,
    words: &[Word],
    explanation: &Explanation,
) -> pb::ModelExplanation {
    let words = words
        .iter()
        .zip(&explanation.words)
        .map(|(word, a)| pb::WordAttribution {
            word: word.text.clone(),
            start: word.start as u32,
            end: word.end as u32,
            attribution: a.attribution,
            mood_delta: a.mood_delta,
            beyond_limit: a.beyond_limit,
        })
        .collect();
    pb::ModelExplanation {
        model: model_kind(kind) as i32,
        label: explanation.label.clone(),
        score: explanation.score,
        mood_score: explanation.mood_score,
        words,
    }
}

pub fn model_kind(kind: Kind) -> pb::ModelKind {
    match kind {
        Kind::Roberta => pb::ModelKind::Roberta,
        Kind::Lstm => pb::ModelKind::Lstm,
    }
}

pub fn list_models_response(models: &Models) -> pb::ListModelsResponse {
    pb::ListModelsResponse {
        models: models.infos().map(model_info).collect(),
    }
}

fn model_info(info: &ModelInfo) -> pb::ModelInfo {
    let problem_type = match info.labels.problem_type {
        ProblemType::SingleLabel => pb::ProblemType::SingleLabelClassification,
        ProblemType::MultiLabel => pb::ProblemType::MultiLabelClassification,
    };
    pb::ModelInfo {
        kind: model_kind(info.kind) as i32,
        name: info.name.clone(),
        version: info.version.clone(),
        labels: info.labels.names.clone(),
        problem_type: problem_type as i32,
        max_input_tokens: info.max_input_tokens as u32,
        device: info.device.clone(),
        dtype: info.dtype.clone(),
        valences: info.labels.valences.clone(),
        architecture: info.architecture.clone(),
        backend: info.backend.into(),
    }
}
