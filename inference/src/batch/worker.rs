//! One model's worker: a plain OS thread that loads the model, proves it with a warm-up pass,
//! then gathers queued jobs into batches and runs their forward passes. The async runtime never
//! waits on a forward pass; it only awaits each job's oneshot reply.

use std::{
    panic::AssertUnwindSafe,
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use tokio::sync::oneshot;

use super::plan;
use crate::{
    Error,
    config::BatchLimits,
    metrics::{METRICS, model_label},
    model::{Classifier, Encoding, Kind, ModelInfo, TextEncoder},
};

/// One request's texts for one model, already tokenized.
pub(super) struct Job {
    pub encodings: Vec<Encoding>,
    /// Keep these texts in one forward pass of their own, whatever the batch limits: an
    /// explanation's variants, which the API promises cost one pass (the word limit bounds it).
    pub whole: bool,
    pub enqueued: Instant,
    /// Logits per text, in the order of `encodings`.
    pub reply: oneshot::Sender<Result<Vec<Vec<f32>>, Error>>,
}

/// What the thread hands back once its model is loaded and warm.
pub(super) struct Ready {
    pub info: ModelInfo,
    pub encoder: Arc<dyn TextEncoder>,
    /// A std channel: the worker blocks on it, and sending never blocks (admission control
    /// bounds how much can be in it).
    pub jobs: mpsc::Sender<Job>,
}

/// A worker that is loading its model; answers once it is ready or has failed.
pub(super) type Starting = oneshot::Receiver<Result<Ready, Error>>;

/// Starts the worker thread for `kind`: it runs `load`, then a warm-up pass; the receiver
/// answers once the model is ready or has failed.
pub(super) fn start<F>(kind: Kind, limits: BatchLimits, load: F) -> Result<Starting, Error>
where
    F: FnOnce() -> Result<Box<dyn Classifier>, Error> + Send + 'static,
{
    let (ready_tx, ready_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name(format!("model-{}", model_label(kind)))
        .spawn(move || match load().and_then(warm_up) {
            Ok(classifier) => {
                let (jobs, queue) = mpsc::channel();
                let ready = Ready {
                    info: classifier.info().clone(),
                    encoder: classifier.encoder(),
                    jobs,
                };
                if ready_tx.send(Ok(ready)).is_ok() {
                    Worker::new(classifier, limits).run(&queue);
                }
            }
            Err(e) => drop(ready_tx.send(Err(e))),
        })
        .map_err(|e| Error::Internal(format!("cannot start the model thread: {e}")))?;
    Ok(ready_rx)
}

/// Runs one forward pass, so a broken checkpoint fails start-up rather than the first request.
fn warm_up(classifier: Box<dyn Classifier>) -> Result<Box<dyn Classifier>, Error> {
    let started = Instant::now();
    let encoding = classifier
        .encoder()
        .encode("Warming up: how are you feeling today?")?;
    classifier.forward(&[&encoding])?;
    let info = classifier.info();
    tracing::info!(
        model = model_label(info.kind),
        name = %info.name,
        version = %info.version,
        device = %info.device,
        backend = info.backend,
        warm_up_ms = started.elapsed().as_millis() as u64,
        "model loaded and warmed up"
    );
    Ok(classifier)
}

struct Worker {
    classifier: Box<dyn Classifier>,
    limits: BatchLimits,
    model: &'static str,
    /// A job that did not fit the last batch; it opens the next one.
    carried: Option<Job>,
}

impl Worker {
    fn new(classifier: Box<dyn Classifier>, limits: BatchLimits) -> Self {
        let model = model_label(classifier.info().kind);
        Self {
            classifier,
            limits,
            model,
            carried: None,
        }
    }

    /// Runs batches until every sender is gone (the service was dropped after the drain).
    fn run(mut self, queue: &mpsc::Receiver<Job>) {
        while let Some(first) = self.carried.take().or_else(|| self.take(queue.recv().ok())) {
            let jobs = self.gather(first, queue);
            self.run_batch(jobs);
        }
        tracing::debug!(model = self.model, "model worker stopped");
    }

    /// Takes a job off the queue, keeping the depth gauge in step.
    fn take(&self, job: Option<Job>) -> Option<Job> {
        if job.is_some() {
            METRICS.queue_depth.with_label_values(&[self.model]).dec();
        }
        job
    }

    /// Adds queued jobs to `first` until the batch is full, the token budget is reached or the
    /// first job has waited `max_wait`.
    fn gather(&mut self, first: Job, queue: &mpsc::Receiver<Job>) -> Vec<Job> {
        let deadline = first.enqueued + self.limits.max_wait;
        let (mut texts, mut longest) = (first.encodings.len(), longest_of(&first));
        let mut jobs = vec![first];
        while texts < self.limits.max_batch_size {
            let wait = deadline.saturating_duration_since(Instant::now());
            let Some(job) = self.take(receive(queue, wait)) else {
                break;
            };
            let (t, l) = (texts + job.encodings.len(), longest.max(longest_of(&job)));
            if t > self.limits.max_batch_size
                || plan::padded_tokens(t, l) > self.limits.max_batch_tokens
            {
                self.carried = Some(job);
                break;
            }
            (texts, longest) = (t, l);
            jobs.push(job);
        }
        jobs
    }

    /// Runs the batch's texts in passes and answers each job with its own logits, in order.
    fn run_batch(&self, jobs: Vec<Job>) {
        let started = Instant::now();
        for job in &jobs {
            METRICS
                .queue_seconds
                .with_label_values(&[self.model])
                .observe(started.duration_since(job.enqueued).as_secs_f64());
        }
        let texts: Vec<(usize, &Encoding)> = jobs
            .iter()
            .enumerate()
            .flat_map(|(j, job)| job.encodings.iter().map(move |e| (j, e)))
            .collect();
        let mut logits: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        let mut failed: Vec<Option<String>> = vec![None; jobs.len()];
        for pass in self.passes(&jobs, &texts) {
            let batch: Vec<&Encoding> = pass.iter().map(|&i| texts[i].1).collect();
            match self.forward(&batch) {
                Ok(out) => pass.iter().zip(out).for_each(|(&i, l)| logits[i] = Some(l)),
                Err(e) => pass
                    .iter()
                    .for_each(|&i| failed[texts[i].0] = Some(e.clone())),
            }
        }
        self.reply(jobs, logits, failed);
    }

    /// Each whole job's texts as a pass of their own, then the other texts cut by the limits.
    fn passes(&self, jobs: &[Job], texts: &[(usize, &Encoding)]) -> Vec<Vec<usize>> {
        let (whole, loose): (Vec<usize>, Vec<usize>) =
            (0..texts.len()).partition(|&i| jobs[texts[i].0].whole);
        let mut passes: Vec<Vec<usize>> = whole
            .chunk_by(|&a, &b| texts[a].0 == texts[b].0)
            .map(<[usize]>::to_vec)
            .collect();
        let lengths: Vec<usize> = loose.iter().map(|&i| texts[i].1.ids.len()).collect();
        let cut = plan::chunks(&lengths, &self.limits);
        passes.extend(
            cut.into_iter()
                .map(|p| p.into_iter().map(|k| loose[k]).collect()),
        );
        passes
    }

    /// One forward pass. A panic in the model is caught so it fails this batch, not the thread.
    fn forward(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, String> {
        let started = Instant::now();
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| self.classifier.forward(batch)));
        let longest = batch.iter().map(|e| e.ids.len()).max().unwrap_or(0);
        let model = &[self.model];
        METRICS
            .forward_seconds
            .with_label_values(model)
            .observe(started.elapsed().as_secs_f64());
        METRICS
            .batch_size
            .with_label_values(model)
            .observe(batch.len() as f64);
        METRICS
            .batch_tokens
            .with_label_values(model)
            .observe(plan::padded_tokens(batch.len(), longest) as f64);
        let outcome = match result {
            Ok(Ok(out)) if out.len() == batch.len() => return Ok(out),
            Ok(Ok(out)) => format!("{} logit rows for {} texts", out.len(), batch.len()),
            Ok(Err(e)) => e.to_string(),
            Err(_) => "the forward pass panicked".to_string(),
        };
        tracing::error!(model = self.model, texts = batch.len(), error = %outcome, "forward pass failed");
        Err(outcome)
    }

    fn reply(&self, jobs: Vec<Job>, logits: Vec<Option<Vec<f32>>>, failed: Vec<Option<String>>) {
        let mut logits = logits.into_iter();
        for (job, failure) in jobs.into_iter().zip(failed) {
            let mine: Vec<Option<Vec<f32>>> = logits.by_ref().take(job.encodings.len()).collect();
            let result = match failure {
                Some(e) => Err(Error::Internal(format!("{} forward pass: {e}", self.model))),
                None => Ok(mine.into_iter().flatten().collect()),
            };
            // The caller may have gone (cancelled RPC); nothing to do then.
            let _ = job.reply.send(result);
        }
    }
}

fn receive(queue: &mpsc::Receiver<Job>, wait: Duration) -> Option<Job> {
    if wait.is_zero() {
        return queue.try_recv().ok();
    }
    queue.recv_timeout(wait).ok()
}

fn longest_of(job: &Job) -> usize {
    job.encodings.iter().map(|e| e.ids.len()).max().unwrap_or(0)
}
