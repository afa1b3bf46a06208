//! `Explain` checked against its definition: for every fixture model (transformer and LSTM,
//! single- and multi-label), each word's attribution and mood delta must equal what independent
//! `Classify` calls on the whole text and on the text without that word give, to 1e-5.
//!
//! The service runs in process through `run` on port 0, with the fixture models; the variants
//! are built here from the definition, not with the service's own helpers.

use std::{path::PathBuf, time::Duration};

use moodtracker_inference::{
    Config,
    model::{self, Kind, LoadOptions},
    run,
};
use moodtracker_proto::inference::v1::{
    ClassifyRequest, ExplainRequest, ExplainResponse, ListModelsRequest, ModelExplanation,
    ModelKind, ModelOutput, inference_client::InferenceClient,
};
use tokio::{net::TcpListener, sync::oneshot};
use tonic::{Code, transport::Channel};

const TOLERANCE: f32 = 1e-5;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A running service; dropping it stops the server.
struct Service {
    client: InferenceClient<Channel>,
    metrics: std::net::SocketAddr,
    _stop: oneshot::Sender<()>,
}

/// Serves the `roberta` and `lstm` fixtures with `settings` on top, and waits until ready.
async fn serve(roberta: &str, lstm: &str, settings: &[(&str, &str)]) -> Service {
    let mut vars = vec![
        ("INFERENCE_ROBERTA_MODEL".to_string(), path(roberta)),
        ("INFERENCE_LSTM_MODEL".to_string(), path(lstm)),
        ("INFERENCE_MAX_BATCH_WAIT_MS".to_string(), "0".to_string()),
    ];
    vars.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let config = Config::from_iter(vars).unwrap();
    let grpc = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (grpc_addr, metrics_addr) = (grpc.local_addr().unwrap(), metrics.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(run(config, grpc, metrics, async {
        let _ = stopped.await;
    }));
    let channel = Channel::from_shared(format!("http://{grpc_addr}"))
        .unwrap()
        .connect_lazy();
    let client = InferenceClient::new(channel);
    wait_until_loaded(client.clone()).await;
    Service {
        client,
        metrics: metrics_addr,
        _stop: stop,
    }
}

fn path(fixture_name: &str) -> String {
    fixture(fixture_name).to_string_lossy().into_owned()
}

/// ListModels answers UNAVAILABLE (or cannot connect) until both models are warm.
async fn wait_until_loaded(mut client: InferenceClient<Channel>) {
    for _ in 0..600 {
        if client.list_models(ListModelsRequest {}).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service never loaded its models");
}

impl Service {
    async fn explain(
        &self,
        text: &str,
        models: &[ModelKind],
    ) -> Result<ExplainResponse, tonic::Status> {
        let request = ExplainRequest {
            text: text.into(),
            models: models.iter().map(|&m| m as i32).collect(),
        };
        self.client
            .clone()
            .explain(request)
            .await
            .map(|r| r.into_inner())
    }

    /// One independent Classify call for one text and one model.
    async fn classify(&self, text: &str, model: i32) -> (ModelOutput, bool) {
        let request = ClassifyRequest {
            texts: vec![text.into()],
            models: vec![model],
            include_logits: false,
        };
        let response = self.client.clone().classify(request).await.unwrap();
        let result = response.into_inner().results.remove(0);
        (result.outputs[0].clone(), result.truncated)
    }
}

/// The definition: the text's words (Unicode whitespace) without word `i`, joined by spaces.
fn variant(text: &str, i: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    [&words[..i], &words[i + 1..]].concat().join(" ")
}

fn score_of(output: &ModelOutput, label: &str) -> f32 {
    output
        .scores
        .iter()
        .find(|s| s.label == label)
        .unwrap()
        .score
}

/// Checks one model's explanation of `text` word by word against Classify; returns how many
/// words were beyond the model's limit. A word the model read must match Classify exactly; a
/// word past the limit is 0 by definition, which Classify confirms when the text is already in
/// the variants' form (single spaces, no outer whitespace): then leaving out an unseen word
/// leaves what the model sees unchanged.
async fn check_against_classify(
    service: &Service,
    text: &str,
    explanation: &ModelExplanation,
) -> usize {
    let (whole, truncated) = service.classify(text, explanation.model).await;
    assert_eq!(explanation.label, whole.label, "{text:?}");
    assert!((explanation.score - whole.confidence).abs() < TOLERANCE);
    assert!((explanation.mood_score - whole.mood_score).abs() < TOLERANCE);
    let chars: Vec<char> = text.chars().collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    let normalised = words.join(" ") == text;
    assert_eq!(explanation.words.len(), words.len(), "{text:?}");
    for (i, word) in explanation.words.iter().enumerate() {
        let span: String = chars[word.start as usize..word.end as usize]
            .iter()
            .collect();
        assert_eq!((word.word.as_str(), span.as_str()), (words[i], words[i]));
        let context = format!(
            "{text:?}, model {}, word {i} {:?}",
            explanation.model, word.word
        );
        if word.beyond_limit {
            assert_eq!((word.attribution, word.mood_delta), (0.0, 0.0), "{context}");
            if !normalised {
                continue;
            }
        }
        let (without, _) = service.classify(&variant(text, i), explanation.model).await;
        let attribution = score_of(&whole, &whole.label) - score_of(&without, &whole.label);
        let mood_delta = whole.mood_score - without.mood_score;
        let (got, want) = (
            (word.attribution, word.mood_delta),
            (attribution, mood_delta),
        );
        assert!(
            (got.0 - want.0).abs() < TOLERANCE,
            "{context}: {got:?} vs {want:?}"
        );
        assert!(
            (got.1 - want.1).abs() < TOLERANCE,
            "{context}: {got:?} vs {want:?}"
        );
    }
    let beyond: Vec<bool> = explanation.words.iter().map(|w| w.beyond_limit).collect();
    assert!(
        beyond.is_sorted(),
        "only a suffix can be beyond the limit: {beyond:?}"
    );
    let beyond = beyond.iter().filter(|&&b| b).count();
    assert!(
        truncated || beyond == 0,
        "{text:?}: a text that fits has no unseen word"
    );
    beyond
}

const TEXTS: &[&str] = &[
    "Work was awful but dinner with Sam made up for it",
    "  Café naïve, Ünïcödé et 日本語のテキスト ok  ",
    "great great great, then terrible 😞 but 🎉🎉 later\n",
    "\tno no no no yes\u{a0}maybe ",
];

async fn check_every_text(service: &Service) {
    for text in TEXTS {
        let response = service.explain(text, &[]).await.unwrap();
        assert_eq!(response.words as usize, text.split_whitespace().count());
        let models: Vec<i32> = response.explanations.iter().map(|e| e.model).collect();
        assert_eq!(
            models,
            vec![ModelKind::Roberta as i32, ModelKind::Lstm as i32]
        );
        for explanation in &response.explanations {
            check_against_classify(service, text, explanation).await;
        }
    }
}

#[tokio::test]
async fn single_label_explanations_equal_classify_on_every_variant() {
    let service = serve("roberta-tiny", "lstm-tiny", &[]).await;
    check_every_text(&service).await;
}

#[tokio::test]
async fn multi_label_explanations_equal_classify_on_every_variant() {
    let service = serve("roberta-multi", "lstm-multi", &[]).await;
    check_every_text(&service).await;
}

#[tokio::test]
async fn words_past_the_token_limit_are_marked_and_attributed_zero() {
    let service = serve("roberta-tiny", "lstm-tiny", &[]).await;
    // 45 words: past the LSTM's 32 tokens and the transformer's 64. Single spaces, so leaving
    // out an unseen word leaves what the model sees unchanged and Classify agrees on 0.
    let text = (0..45)
        .map(|i| ["calm", "storm", "sunny", "gloomy", "day"][i % 5])
        .collect::<Vec<_>>()
        .join(" ");

    let response = service.explain(&text, &[]).await.unwrap();

    for explanation in &response.explanations {
        assert!(
            service.classify(&text, explanation.model).await.1,
            "the text is truncated"
        );
        let beyond = check_against_classify(&service, &text, explanation).await;
        assert!(
            beyond > 0 && beyond < 45,
            "model {}: {beyond} words beyond",
            explanation.model
        );
    }
}

#[tokio::test]
async fn a_one_word_text_is_explained_against_the_special_tokens_alone() {
    let service = serve("roberta-tiny", "lstm-tiny", &[]).await;

    let response = service.explain("  wonderful ", &[]).await.unwrap();

    for (explanation, kind, dir) in [
        (&response.explanations[0], Kind::Roberta, "roberta-tiny"),
        (&response.explanations[1], Kind::Lstm, "lstm-tiny"),
    ] {
        // Classify refuses the empty text, so the model scores it directly here.
        let model = model::load(kind, &fixture(dir), &LoadOptions::default()).unwrap();
        let encoder = model.encoder();
        let whole = model
            .forward(&[&encoder.encode("  wonderful ").unwrap()])
            .unwrap();
        let empty = model.forward(&[&encoder.encode("").unwrap()]).unwrap();
        let labels = &model.info().labels;
        let (whole, empty) = (labels.scores(&whole[0]), labels.scores(&empty[0]));
        let word = &explanation.words[0];
        assert_eq!(
            (word.word.as_str(), word.start, word.end),
            ("wonderful", 2, 11)
        );
        let attribution = whole.confidence - empty.probabilities[whole.index];
        assert!(
            (word.attribution - attribution).abs() < TOLERANCE,
            "{kind:?}"
        );
        assert!((word.mood_delta - (whole.mood_score - empty.mood_score)).abs() < TOLERANCE);
    }
}

#[tokio::test]
async fn refuses_texts_past_the_word_or_character_limit_naming_the_limit() {
    let settings = [
        ("INFERENCE_MAX_EXPLAIN_WORDS", "4"),
        ("INFERENCE_MAX_TEXT_CHARS", "40"),
    ];
    let service = serve("roberta-tiny", "lstm-tiny", &settings).await;

    let words = service
        .explain("one two three four five", &[])
        .await
        .unwrap_err();
    let chars = service.explain(&"x".repeat(41), &[]).await.unwrap_err();
    let empty = service.explain(" \n ", &[]).await.unwrap_err();
    let unspecified = service
        .explain("fine", &[ModelKind::Unspecified])
        .await
        .unwrap_err();

    assert_eq!(words.code(), Code::InvalidArgument);
    assert!(
        words
            .message()
            .contains("5 words, at most 4 (INFERENCE_MAX_EXPLAIN_WORDS)"),
        "{words:?}"
    );
    assert!(
        chars.message().contains("41 characters, at most 40"),
        "{chars:?}"
    );
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert_eq!(unspecified.code(), Code::InvalidArgument);
    let only_lstm = service
        .explain("one two", &[ModelKind::Lstm])
        .await
        .unwrap();
    assert_eq!(only_lstm.explanations.len(), 1);
    assert_eq!(only_lstm.explanations[0].model, ModelKind::Lstm as i32);
}

#[tokio::test]
async fn explanations_are_counted_under_method_explain() {
    let service = serve("roberta-tiny", "lstm-tiny", &[]).await;

    service
        .explain("a good day", &[ModelKind::Lstm])
        .await
        .unwrap();

    let metrics = scrape(service.metrics).await;
    let sample = "moodtracker_inference_requests_total{api=\"native\",code=\"OK\",method=\"explain\",model=\"lstm\",rpc=\"Explain\"}";
    assert!(
        metrics.contains(sample),
        "{sample} missing from:\n{metrics}"
    );
}

/// `GET /metrics` over a bare socket (the crate has no HTTP client).
async fn scrape(addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}
