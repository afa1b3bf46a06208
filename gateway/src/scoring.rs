//! Scoring texts with the inference service, and the background task that scores journal
//! entries saved while inference was down.
//!
//! [`score_texts`] is the one place the gateway asks for model results (the model-result cache
//! belongs here). It asks only for loaded models: a model that is not loaded is `None`, never a
//! made-up score.

use std::collections::HashMap;

use crate::{
    domain::sentiment::{self, SentimentResult},
    inference::{InferenceError, Model, ModelDescription},
    state::AppState,
    store::journal::{self, StoredScore},
};

/// Pending entries scored per round, in one inference call.
const RESCORE_BATCH: i64 = 16;

/// Both models' results for one text; `None` for a model that is not loaded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scored {
    pub roberta: Option<SentimentResult>,
    pub lstm: Option<SentimentResult>,
}

impl Scored {
    pub fn get(&self, model: Model) -> Option<&SentimentResult> {
        match model {
            Model::Roberta => self.roberta.as_ref(),
            Model::Lstm => self.lstm.as_ref(),
        }
    }
    /// The primary result (LSTM, else RoBERTa).
    pub fn primary(&self) -> Option<&SentimentResult> {
        sentiment::primary(self.roberta.as_ref(), self.lstm.as_ref())
    }
    fn set(&mut self, model: Model, result: SentimentResult) {
        match model {
            Model::Roberta => self.roberta = Some(result),
            Model::Lstm => self.lstm = Some(result),
        }
    }
}

/// Which of `wanted` the service has loaded.
pub async fn loaded(state: &AppState, wanted: &[Model]) -> Result<Vec<Model>, InferenceError> {
    let models = state.inference.models().await?;
    Ok(wanted
        .iter()
        .copied()
        .filter(|w| models.iter().any(|m| m.model == *w))
        .collect())
}

/// Scores `texts` with those of `wanted` that are loaded; one [`Scored`] per text, in order.
/// With none of them loaded every result is empty and the service is not called.
pub async fn score_texts(
    state: &AppState,
    texts: Vec<String>,
    wanted: &[Model],
) -> Result<Vec<Scored>, InferenceError> {
    let models = state.inference.models().await?;
    let run: Vec<Model> = wanted
        .iter()
        .copied()
        .filter(|w| models.iter().any(|m| m.model == *w))
        .collect();
    if run.is_empty() {
        return Ok(vec![Scored::default(); texts.len()]);
    }
    let by_model: HashMap<Model, &ModelDescription> = models.iter().map(|m| (m.model, m)).collect();
    let outputs = state
        .inference
        .classify(texts, &run)
        .await
        .inspect_err(|e| {
            if e.is_transient() {
                // A restarted service may come back with other models.
                state.inference.forget_models();
            }
        })?;
    Ok(outputs
        .into_iter()
        .map(|per_text| {
            let mut scored = Scored::default();
            for c in per_text {
                let description = by_model.get(&c.model);
                let valences = description.map_or(&[][..], |d| &d.valences[..]);
                let mut result = sentiment::from_label_scores(&c.scores, valences, &c.label);
                result.model = description.map(|d| d.name.clone());
                result.architecture = description.map(|d| d.architecture.clone());
                scored.set(c.model, result);
            }
            scored
        })
        .collect())
}

/// The columns stored for `scored`; `None` when neither model produced a result.
pub fn stored_score(scored: &Scored) -> Option<StoredScore> {
    let primary = scored.primary()?;
    let json = |r: &Option<SentimentResult>| r.as_ref().and_then(|r| serde_json::to_string(r).ok());
    Some(StoredScore {
        sentiment: primary.sentiment.as_str().to_owned(),
        confidence: primary.confidence,
        mood_score: primary.mood_score,
        scores: serde_json::to_string(&primary.scores).unwrap_or_default(),
        roberta: json(&scored.roberta),
        lstm: json(&scored.lstm),
    })
}

/// Starts the background task that scores pending entries: every `RESCORE_INTERVAL_SECS`, or
/// at once when a new pending entry is saved, until shutdown.
pub fn spawn_rescorer(state: AppState) {
    tokio::spawn(async move {
        let interval = state.config.rescore_interval;
        loop {
            tokio::select! {
                () = state.lifecycle.draining() => break,
                () = state.rescore.notified() => {}
                () = tokio::time::sleep(interval) => {}
            }
            while let Ok(true) = rescore_batch(&state).await {}
        }
        tracing::debug!("pending-entry scorer stopped");
    });
}

/// Scores one batch of pending entries. `Ok(true)` when a full batch was scored (there may be
/// more); `Ok(false)` when there is nothing left or inference cannot score now.
async fn rescore_batch(state: &AppState) -> Result<bool, ()> {
    let pending = journal::pending(&state.db, RESCORE_BATCH)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot read pending journal entries"))?;
    if pending.is_empty() {
        return Ok(false);
    }
    let texts = pending.iter().map(|(_, text, _)| text.clone()).collect();
    let scored = match score_texts(state, texts, &[Model::Roberta, Model::Lstm]).await {
        Ok(scored) => scored,
        Err(e) => {
            tracing::debug!(error = %e, pending = pending.len(), "inference still unavailable");
            return Ok(false);
        }
    };
    let mut done = 0;
    for ((id, _, read_at), scored) in pending.iter().zip(&scored) {
        // No model loaded at all: leave the entry pending rather than mark it scored.
        let Some(score) = stored_score(scored) else {
            continue;
        };
        if journal::complete_pending(&state.db, *id, read_at, &score)
            .await
            .unwrap_or(false)
        {
            done += 1;
        }
    }
    tracing::info!(scored = done, "scored pending journal entries");
    Ok(done as i64 == RESCORE_BATCH)
}
