//! Scoring texts with the inference service, and the background task that scores journal
//! entries saved while inference was down.
//!
//! [`score_texts`] is the one place the gateway asks for model results (the model-result cache
//! belongs here). It asks only for loaded models: a model that is not loaded is `None`, never a
//! made-up score. [`score_each`] scores a batch so that one text the service fails on fails
//! alone: the re-scorer and the CSV upload use it.
//!
//! The re-scorer retries a batch that failed (for any reason but an outage) entry by entry. An
//! entry inference refuses (`INVALID_ARGUMENT`, `OUT_OF_RANGE`) is marked `failed` at once; one it
//! fails on otherwise (`INTERNAL`, `UNKNOWN`) after [`GIVE_UP_AFTER`] rounds. Its owner sees
//! `status: "failed"` and editing the entry makes it pending again; no entry is retried forever
//! or holds up the ones after it.

use std::collections::HashMap;

use crate::{
    domain::sentiment::{self, SentimentResult},
    inference::{InferenceError, Model, ModelDescription},
    state::AppState,
    store::journal::{self, StoredScore},
};

/// Pending entries scored per round, in one inference call.
const RESCORE_BATCH: i64 = 16;
/// Rounds in which inference may fail on one entry alone before the entry is marked failed.
pub const GIVE_UP_AFTER: i64 = 3;

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
    if texts.is_empty() {
        // The service refuses a call without texts; there is nothing to ask it.
        return Ok(Vec::new());
    }
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

/// Scores `texts` in one call and, when that call fails for anything but an outage, each text
/// alone, so that a text the service fails on gets its own error and the rest their results.
/// `Err` only for an outage, when retrying text by text cannot help.
pub async fn score_each(
    state: &AppState,
    texts: Vec<String>,
    wanted: &[Model],
) -> Result<Vec<Result<Scored, InferenceError>>, InferenceError> {
    let failure = match score_texts(state, texts.clone(), wanted).await {
        Ok(scored) => return Ok(scored.into_iter().map(Ok).collect()),
        Err(e) if e.is_outage() => return Err(e),
        Err(e) => e,
    };
    if texts.len() == 1 {
        return Ok(vec![Err(failure)]);
    }
    let mut results = Vec::with_capacity(texts.len());
    for text in texts {
        let result = score_texts(state, vec![text], wanted).await;
        match result {
            Err(e) if e.is_outage() => return Err(e),
            Ok(mut scored) => results.push(scored.pop().ok_or_else(malformed)),
            Err(e) => results.push(Err(e)),
        }
    }
    Ok(results)
}

fn malformed() -> InferenceError {
    InferenceError::Malformed("no result for a text".into())
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

/// Scores one batch of pending entries. `Ok(true)` when a full batch left the pending state
/// (there may be more); `Ok(false)` when there is nothing left, inference cannot score now, or
/// some entry stays pending until the next round.
async fn rescore_batch(state: &AppState) -> Result<bool, ()> {
    let pending = journal::pending(&state.db, RESCORE_BATCH)
        .await
        .map_err(|e| tracing::warn!(error = %e, "cannot read pending journal entries"))?;
    if pending.is_empty() {
        return Ok(false);
    }
    let texts = pending.iter().map(|(_, text, _)| text.clone()).collect();
    let results = match score_each(state, texts, &[Model::Roberta, Model::Lstm]).await {
        Ok(results) => results,
        Err(e) => {
            tracing::debug!(error = %e, pending = pending.len(), "inference still unavailable");
            return Ok(false);
        }
    };
    let mut settled = 0;
    for ((id, _, read_at), result) in pending.iter().zip(results) {
        if settle(state, *id, read_at, result).await {
            settled += 1;
        }
    }
    tracing::info!(settled, "re-scored pending journal entries");
    Ok(settled as i64 == RESCORE_BATCH)
}

/// Stores one pending entry's outcome; `true` when it left the pending state.
async fn settle(
    state: &AppState,
    id: i64,
    read_at: &str,
    result: Result<Scored, InferenceError>,
) -> bool {
    let stored = match result {
        // No model loaded at all: leave the entry pending rather than mark it scored.
        Ok(scored) => match stored_score(&scored) {
            Some(score) => journal::complete_pending(&state.db, id, read_at, &score).await,
            None => return false,
        },
        Err(e) => {
            let give_up_at = if e.is_refusal() { 1 } else { GIVE_UP_AFTER };
            tracing::warn!(entry = id, error = %e, "inference failed on a pending entry");
            journal::record_failed_attempt(&state.db, id, read_at, give_up_at).await
        }
    };
    stored
        .inspect_err(|e| tracing::warn!(entry = id, error = %e, "cannot store a re-score"))
        .unwrap_or(false)
}
