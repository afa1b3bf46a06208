//! The batcher driven through a small in-process `Classifier`: a trait implementation whose
//! logits reveal which text they came from, and which records the size of every forward pass.

use std::{
    sync::{Arc, Mutex, mpsc},
    time::Duration,
};

use super::{Models, worker};
use crate::{
    Error,
    config::BatchLimits,
    explain,
    model::{Classifier, Encoding, Kind, Labels, ModelInfo, ProblemType, TextEncoder},
};

/// One token per word, the token being the word's length; logits are `[tokens, first token]`.
struct WordLengths {
    info: ModelInfo,
    passes: Arc<Mutex<Vec<usize>>>,
    /// Held by a pass whose first text starts with a nine-letter word, once.
    gate: Arc<Mutex<Option<Gate>>>,
}

/// Holds one forward pass open: says when it has begun and waits to be released, so a test
/// can queue requests while the worker is busy.
struct Gate {
    entered: tokio::sync::oneshot::Sender<()>,
    release: mpsc::Receiver<()>,
}

impl TextEncoder for WordLengths {
    fn encode(&self, text: &str) -> Result<Encoding, Error> {
        let ids = text.split_whitespace().map(|w| w.len() as u32).collect();
        Ok(Encoding {
            ids,
            truncated: false,
        })
    }
}

impl Classifier for WordLengths {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn encoder(&self) -> Arc<dyn TextEncoder> {
        Arc::new(WordLengths {
            info: self.info.clone(),
            passes: self.passes.clone(),
            gate: self.gate.clone(),
        })
    }

    fn forward(&self, batch: &[&Encoding]) -> Result<Vec<Vec<f32>>, Error> {
        self.passes.lock().unwrap().push(batch.len());
        if batch.iter().any(|e| e.ids.first() == Some(&9)) {
            let gate = self.gate.lock().unwrap().take();
            if let Some(gate) = gate {
                let _ = gate.entered.send(());
                let _ = gate.release.recv();
            }
        }
        if batch.iter().any(|e| e.ids.first() == Some(&4)) {
            return Err(Error::Internal("four-letter word".into()));
        }
        Ok(batch
            .iter()
            .map(|e| vec![e.ids.len() as f32, e.ids[0] as f32])
            .collect())
    }
}

fn info() -> ModelInfo {
    ModelInfo {
        kind: Kind::Lstm,
        name: "word-lengths".into(),
        version: "0".into(),
        architecture: "test".into(),
        labels: Labels {
            names: vec!["short".into(), "long".into()],
            problem_type: ProblemType::SingleLabel,
            valences: vec![2.0, 10.0],
        },
        max_input_tokens: 64,
        device: "cpu".into(),
        dtype: "f32".into(),
        backend: "test",
    }
}

/// An LSTM-only `Models` (no RoBERTa loaded), also used by the validation tests.
pub(crate) async fn models(
    max_batch_size: usize,
    max_wait_ms: u64,
    max_queue: usize,
) -> (Models, Arc<Mutex<Vec<usize>>>) {
    gated_models(max_batch_size, max_wait_ms, max_queue, None).await
}

async fn gated_models(
    max_batch_size: usize,
    max_wait_ms: u64,
    max_queue: usize,
    gate: Option<Gate>,
) -> (Models, Arc<Mutex<Vec<usize>>>) {
    let passes = Arc::new(Mutex::new(Vec::new()));
    let limits = BatchLimits {
        max_batch_size,
        max_batch_tokens: 1000,
        max_wait: Duration::from_millis(max_wait_ms),
    };
    let classifier = WordLengths {
        info: info(),
        passes: passes.clone(),
        gate: Arc::new(Mutex::new(gate)),
    };
    let starting = worker::start(Kind::Lstm, limits, move || {
        Ok(Box::new(classifier) as Box<dyn Classifier>)
    });
    let models = Models::start([starting], max_queue).await.unwrap();
    passes.lock().unwrap().clear(); // forget the warm-up pass
    (models, passes)
}

fn texts(texts: &[&str]) -> Arc<[String]> {
    texts.iter().map(|t| t.to_string()).collect()
}

#[tokio::test]
async fn answers_in_input_order_across_several_forward_passes() {
    let (models, passes) = models(2, 0, 4).await;
    let input = texts(&["a bb ccc", "zzzzzzz", "a a", "bb", "ccc ccc ccc ccc ccc"]);

    let runs = models.classify(input, &[Kind::Lstm]).await.unwrap();

    let firsts: Vec<f32> = runs[0].logits.iter().map(|l| l[1]).collect();
    assert_eq!(firsts, vec![1.0, 7.0, 1.0, 2.0, 3.0]);
    assert_eq!(
        runs[0].tokens,
        vec![(3, false), (1, false), (2, false), (1, false), (5, false)]
    );
    assert_eq!(*passes.lock().unwrap(), vec![2, 2, 1]);
}

#[tokio::test]
async fn concurrent_requests_share_one_forward_pass() {
    let (models, passes) = models(8, 200, 4).await;

    let (a, b) = tokio::join!(
        models.classify(texts(&["a"]), &[Kind::Lstm]),
        models.classify(texts(&["bb", "ccc"]), &[Kind::Lstm]),
    );

    assert_eq!(a.unwrap()[0].logits, vec![vec![1.0, 1.0]]);
    assert_eq!(b.unwrap()[0].logits, vec![vec![1.0, 2.0], vec![1.0, 3.0]]);
    assert_eq!(*passes.lock().unwrap(), vec![3]);
}

/// The default (no wait): a lone request on an idle worker runs at once, in a pass of its own,
/// and the requests that arrive while that pass runs form the next batch together.
#[tokio::test]
async fn an_idle_worker_runs_at_once_and_arrivals_during_a_pass_batch_together() {
    let (entered, entered_rx) = tokio::sync::oneshot::channel();
    let (release, release_rx) = mpsc::channel();
    let gate = Gate {
        entered,
        release: release_rx,
    };
    let (models, passes) = gated_models(8, 0, 8, Some(gate)).await;

    let lone = models.classify(texts(&["wait-here"]), &[Kind::Lstm]);
    tokio::pin!(lone);
    tokio::select! {
        _ = &mut lone => panic!("the held pass answered before its release"),
        entered = entered_rx => entered.unwrap(),
    }
    // The worker is inside the lone request's pass: queue two more behind it, then let it go.
    let model = models.loaded(Kind::Lstm).unwrap();
    let word = |len: u32| Encoding {
        ids: vec![len],
        truncated: false,
    };
    let (_, _, second) = model.enqueue(vec![word(2)], false).unwrap();
    let (_, _, third) = model.enqueue(vec![word(3)], false).unwrap();
    release.send(()).unwrap();

    assert_eq!(lone.await.unwrap()[0].logits, vec![vec![1.0, 9.0]]);
    assert_eq!(second.await.unwrap().unwrap(), vec![vec![1.0, 2.0]]);
    assert_eq!(third.await.unwrap().unwrap(), vec![vec![1.0, 3.0]]);
    assert_eq!(*passes.lock().unwrap(), vec![1, 2]);
}

#[tokio::test]
async fn an_explanation_runs_the_text_and_every_variant_in_one_pass_past_the_batch_size() {
    let (models, passes) = models(2, 0, 4).await;
    let text = "a bb ccc eeeee";

    let explained = models
        .explain(text.into(), explain::words(text).into(), &[Kind::Lstm])
        .await
        .unwrap();

    assert_eq!(*passes.lock().unwrap(), vec![5], "one pass of 1 + 4 texts");
    let (kind, explanation) = &explained[0];
    assert_eq!(*kind, Kind::Lstm);
    assert_eq!(explanation.words.len(), 4);
    // Logits are [tokens, first word's length]: the text is [4, 1], without "a" [3, 2].
    let labels = &info().labels;
    let (whole, variant) = (labels.scores(&[4.0, 1.0]), labels.scores(&[3.0, 2.0]));
    assert_eq!(explanation.label, whole.label);
    let expected = whole.confidence - variant.probabilities[whole.index];
    assert!((explanation.words[0].attribution - expected).abs() < 1e-6);
}

#[tokio::test]
async fn refuses_admission_past_the_queue_limit_until_a_place_frees() {
    let (models, _) = models(8, 0, 1).await;

    let first = models.admit().unwrap();
    assert!(matches!(
        models.admit(),
        Err(Error::Overloaded { queued: 1 })
    ));
    drop(first);
    assert!(models.admit().is_ok());
}

#[tokio::test]
async fn a_failed_forward_pass_fails_only_its_own_requests() {
    let (models, _) = models(1, 0, 4).await;

    let (bad, good) = tokio::join!(
        models.classify(texts(&["four"]), &[Kind::Lstm]),
        models.classify(texts(&["ok words"]), &[Kind::Lstm]),
    );

    assert!(matches!(bad, Err(Error::Internal(_))));
    assert_eq!(good.unwrap()[0].logits, vec![vec![2.0, 2.0]]);
}

#[tokio::test]
async fn a_model_that_fails_to_load_fails_start_up() {
    let limits = BatchLimits {
        max_batch_size: 1,
        max_batch_tokens: 1,
        max_wait: Duration::ZERO,
    };
    let starting = worker::start(Kind::Lstm, limits, || {
        Err(Error::Load {
            dir: "nowhere".into(),
            reason: "no config.json".into(),
        })
    });

    let err = Models::start([starting], 4).await.unwrap_err();

    assert!(err.to_string().contains("no config.json"), "{err}");
}
