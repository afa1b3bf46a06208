//! From validated texts to logits: admission control, tokenization on the blocking pool, and a
//! queue per model feeding that model's worker thread, which batches concurrent requests.
//!
//! A request holds an admission permit from the moment it is accepted until it is answered, so
//! `INFERENCE_MAX_QUEUE` bounds everything in flight; past it a request is refused at once with
//! RESOURCE_EXHAUSTED (TEI's "overloaded" answer) instead of queueing without bound.

mod plan;
#[cfg(test)]
pub(crate) mod tests;
mod worker;

use std::{
    sync::{Arc, mpsc},
    time::Instant,
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{
    Error,
    config::Config,
    explain::{self, Explanation, Word},
    metrics::{METRICS, model_label},
    model::{self, Encoding, Kind, LoadOptions, ModelInfo, TextEncoder},
};

/// The loaded models and the queue in front of them. Dropping it closes the queues, which ends
/// the worker threads once they finish their current batch.
pub struct Models {
    /// In `Kind` order, which is also the order of outputs when a request names no models.
    models: Vec<Model>,
    /// Tokio's semaphore, not a counter: `try_acquire_owned` is the atomic "admit or refuse",
    /// and the permit releases itself however the request ends (answer, error, cancellation).
    admission: Arc<Semaphore>,
    max_queue: usize,
}

impl std::fmt::Debug for Models {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Models")
            .field("models", &self.infos().map(|i| &i.name).collect::<Vec<_>>())
            .field("max_queue", &self.max_queue)
            .finish()
    }
}

struct Model {
    info: ModelInfo,
    encoder: Arc<dyn TextEncoder>,
    jobs: mpsc::Sender<worker::Job>,
}

/// One model's answer for a request's texts, in text order.
#[derive(Debug)]
pub struct ModelRun {
    pub kind: Kind,
    /// Per text: tokens the model saw (special tokens included) and whether it was truncated.
    pub tokens: Vec<(usize, bool)>,
    pub logits: Vec<Vec<f32>>,
}

impl Models {
    /// Loads both models in parallel, each on its own worker thread, and waits until both have
    /// passed their warm-up forward pass.
    pub async fn load(config: &Config) -> Result<Self, Error> {
        let options = LoadOptions {
            device: config.device.open()?,
            valences: config.valences.clone(),
            cpu_kernels: config.cpu_kernels,
            dtype: config.dtype,
            ..LoadOptions::default()
        };
        let loading = [
            (Kind::Roberta, config.roberta_model.clone()),
            (Kind::Lstm, config.lstm_model.clone()),
        ]
        .map(|(kind, dir)| {
            let options = options.clone();
            worker::start(kind, config.batch, move || {
                model::load(kind, &dir, &options)
            })
        });
        Self::start(loading, config.limits.max_queue).await
    }

    /// Waits for each started worker to report ready.
    async fn start(
        loading: impl IntoIterator<Item = Result<worker::Starting, Error>>,
        max_queue: usize,
    ) -> Result<Self, Error> {
        let mut models = Vec::new();
        for ready in loading {
            let ready = ready?;
            let ready = ready
                .await
                .map_err(|_| Error::Internal("a model thread died while loading".into()))??;
            models.push(Model {
                info: ready.info,
                encoder: ready.encoder,
                jobs: ready.jobs,
            });
        }
        Ok(Self::new(models, max_queue))
    }

    fn new(mut models: Vec<Model>, max_queue: usize) -> Self {
        models.sort_by_key(|m| m.info.kind);
        Self {
            models,
            admission: Arc::new(Semaphore::new(max_queue)),
            max_queue,
        }
    }

    /// Every loaded model, in kind order.
    pub fn infos(&self) -> impl Iterator<Item = &ModelInfo> {
        self.models.iter().map(|m| &m.info)
    }

    pub fn is_loaded(&self, kind: Kind) -> bool {
        self.model(kind).is_some()
    }

    fn model(&self, kind: Kind) -> Option<&Model> {
        self.models.iter().find(|m| m.info.kind == kind)
    }

    /// Admits one request or refuses it at once when `max_queue` are already in flight.
    pub fn admit(&self) -> Result<Admitted, Error> {
        let Ok(permit) = self.admission.clone().try_acquire_owned() else {
            METRICS.rejected.inc();
            return Err(Error::Overloaded {
                queued: self.max_queue,
            });
        };
        METRICS.in_flight.inc();
        Ok(Admitted { _permit: permit })
    }

    fn loaded(&self, kind: Kind) -> Result<&Model, Error> {
        self.model(kind).ok_or_else(|| {
            Error::InvalidArgument(format!("model {} is not loaded", model_label(kind)))
        })
    }

    /// Tokenizes `texts` for each of `kinds` and queues them for the models' batchers; the
    /// caller holds an [`Admitted`] permit. Texts must already be validated.
    pub async fn classify(
        &self,
        texts: Arc<[String]>,
        kinds: &[Kind],
    ) -> Result<Vec<ModelRun>, Error> {
        let mut pending = Vec::with_capacity(kinds.len());
        for &kind in kinds {
            let model = self.loaded(kind)?;
            let encodings = tokenize(kind, model.encoder.clone(), texts.clone()).await?;
            pending.push(model.enqueue(encodings, false)?);
        }
        let mut runs = Vec::with_capacity(kinds.len());
        for pending in pending {
            runs.push(answer(pending).await?);
        }
        Ok(runs)
    }

    /// Explains `text` (split into `words`) with each of `kinds` by leaving one word out: the
    /// whole text and the variant without each word the model reads go to the model's batcher
    /// as one job, which runs them in one forward pass. The caller holds an [`Admitted`]
    /// permit; the text must already be validated.
    pub async fn explain(
        &self,
        text: Arc<str>,
        words: Arc<[Word]>,
        kinds: &[Kind],
    ) -> Result<Vec<(Kind, Explanation)>, Error> {
        let mut pending = Vec::with_capacity(kinds.len());
        for &kind in kinds {
            let model = self.loaded(kind)?;
            let encoder = model.encoder.clone();
            let (text, words) = (text.clone(), words.clone());
            let encodings = on_tokenizer_pool(kind, move || {
                let seen = explain::seen(&words, encoder.seen_chars(&text)?);
                let texts = explain::texts(&text, &words, seen);
                texts.iter().map(|t| encoder.encode(t)).collect()
            })
            .await?;
            pending.push(model.enqueue(encodings, true)?);
        }
        let mut explanations = Vec::with_capacity(kinds.len());
        for pending in pending {
            let run = answer(pending).await?;
            let labels = &self.loaded(run.kind)?.info.labels;
            let explanation = explain::explain(labels, words.len(), &run.logits);
            explanations.push((run.kind, explanation));
        }
        Ok(explanations)
    }
}

/// Waits for a queued job's logits.
async fn answer((kind, tokens, reply): Pending) -> Result<ModelRun, Error> {
    let logits = reply.await.map_err(|_| {
        Error::Internal(format!(
            "the {} worker dropped a request",
            model_label(kind)
        ))
    })??;
    Ok(ModelRun {
        kind,
        tokens,
        logits,
    })
}

type Pending = (
    Kind,
    Vec<(usize, bool)>,
    tokio::sync::oneshot::Receiver<Result<Vec<Vec<f32>>, Error>>,
);

impl Model {
    /// Queues one job; `whole` keeps its texts in one forward pass (see [`worker::Job`]).
    fn enqueue(&self, encodings: Vec<Encoding>, whole: bool) -> Result<Pending, Error> {
        let kind = self.info.kind;
        let tokens = encodings
            .iter()
            .map(|e| (e.ids.len(), e.truncated))
            .collect();
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job = worker::Job {
            encodings,
            whole,
            enqueued: Instant::now(),
            reply,
        };
        // Counted before sending, so the worker's decrement can never run first.
        let depth = METRICS.queue_depth.with_label_values(&[model_label(kind)]);
        depth.inc();
        self.jobs.send(job).map_err(|_| {
            depth.dec();
            Error::Internal(format!("the {} worker has stopped", model_label(kind)))
        })?;
        Ok((kind, tokens, rx))
    }
}

/// Tokenizes on the blocking pool: a long text takes milliseconds of CPU, which would stall
/// every other request on an async worker thread.
async fn tokenize(
    kind: Kind,
    encoder: Arc<dyn TextEncoder>,
    texts: Arc<[String]>,
) -> Result<Vec<Encoding>, Error> {
    let bytes: usize = texts.iter().map(String::len).sum();
    if bytes <= TOKENIZE_INLINE_BYTES {
        // A journal-entry-sized request tokenizes in tens of microseconds, less than the hop to
        // the blocking pool and back costs; it runs here, well within what an async task may
        // hold its thread for.
        let started = Instant::now();
        let encodings = texts.iter().map(|t| encoder.encode(t)).collect();
        record_tokenize(kind, started);
        return encodings;
    }
    on_tokenizer_pool(kind, move || {
        texts.iter().map(|t| encoder.encode(t)).collect()
    })
    .await
}

/// Requests up to this many bytes of text are tokenized on the calling task (see [`tokenize`]).
const TOKENIZE_INLINE_BYTES: usize = 1024;

/// Runs `tokenize` on the blocking pool, timing it as the model's tokenization.
async fn on_tokenizer_pool(
    kind: Kind,
    tokenize: impl FnOnce() -> Result<Vec<Encoding>, Error> + Send + 'static,
) -> Result<Vec<Encoding>, Error> {
    let started = Instant::now();
    let encodings = tokio::task::spawn_blocking(tokenize)
        .await
        .map_err(|e| Error::Internal(format!("tokenizer task: {e}")))??;
    record_tokenize(kind, started);
    Ok(encodings)
}

fn record_tokenize(kind: Kind, started: Instant) {
    METRICS
        .tokenize_seconds
        .with_label_values(&[model_label(kind)])
        .observe(started.elapsed().as_secs_f64());
}

/// An admitted request's place in the queue; dropping it frees the place.
#[derive(Debug)]
pub struct Admitted {
    _permit: OwnedSemaphorePermit,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        METRICS.in_flight.dec();
    }
}
