//! A thin typed client for the inference service (`moodtracker.inference.v1.Inference`).
//!
//! It wraps the generated tonic client so the rest of the gateway never sees protobuf types or
//! `tonic::Status`: calls take [`Model`]s and texts and return [`Classification`]s or an
//! [`InferenceError`]. The channel connects lazily, so the gateway starts (and stays ready)
//! while inference is down; every call has a connect timeout and an end-to-end deadline, which
//! is also sent to the server as `grpc-timeout`. Calls are balanced over every address the
//! URL's host resolves to, re-resolved periodically (see [`discovery`]), so a headless Service
//! spreads them over every inference replica; with no address known, calls fail fast as
//! `Unavailable`. Trace context crosses the hop through an
//! injectable [`TraceInjector`], which telemetry sets; without one nothing is injected.

use std::{
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use moodtracker_proto::inference::v1::{
    self as pb, ClassifyRequest, ExplainRequest, ListModelsRequest, ModelKind, inference_client,
};
use tonic::transport::{Channel, Uri};

mod discovery;

pub use discovery::{Resolver, dns_resolver};

/// How often [`InferenceClient::new`] re-resolves the URL's host (`INFERENCE_RESOLVE_INTERVAL_SECS`
/// sets it for the gateway).
pub const DEFAULT_RESOLVE_INTERVAL: Duration = Duration::from_secs(5);

/// How long the list of loaded models is trusted before it is asked for again: short enough
/// that a model coming up is noticed quickly, long enough that no request pays for it.
const MODELS_TTL: Duration = Duration::from_secs(15);

/// Writes trace context (for example W3C `traceparent`) into an outgoing call's metadata.
pub type TraceInjector = Arc<dyn Fn(&mut tonic::metadata::MetadataMap) + Send + Sync>;

/// The two model families the service may load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Model {
    Roberta,
    Lstm,
}

impl Model {
    /// The name the API uses for this model (`roberta`, `lstm`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Roberta => "roberta",
            Self::Lstm => "lstm",
        }
    }
    /// The message of a 503 or a `null` result when this model is not loaded.
    pub fn not_loaded_message(self) -> &'static str {
        match self {
            Self::Roberta => "RoBERTa model not loaded",
            Self::Lstm => "LSTM model not loaded",
        }
    }
    fn to_proto(self) -> i32 {
        match self {
            Self::Roberta => ModelKind::Roberta as i32,
            Self::Lstm => ModelKind::Lstm as i32,
        }
    }
    fn from_proto(kind: ModelKind) -> Option<Self> {
        match kind {
            ModelKind::Roberta => Some(Self::Roberta),
            ModelKind::Lstm => Some(Self::Lstm),
            ModelKind::Unspecified => None,
        }
    }
}

/// One loaded model, as `ListModels` describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelDescription {
    pub model: Model,
    pub name: String,
    /// A hash of the weights: caches key results by it.
    pub version: String,
    /// Labels in id order.
    pub labels: Vec<String>,
    /// Each label's valence on the 0-10 mood scale, in id order.
    pub valences: Vec<f32>,
    pub architecture: String,
    pub device: String,
}

/// One model's verdict on one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Classification {
    pub model: Model,
    pub label: String,
    pub confidence: f32,
    /// `(label, probability)` in the model's label-id order.
    pub scores: Vec<(String, f32)>,
    pub mood_score: f32,
}

/// One model's explanation of a text by leaving one word out (the proto's `ModelExplanation`).
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    pub model: Model,
    /// The model's top label on the whole text; every attribution refers to it.
    pub label: String,
    /// That label's score on the whole text.
    pub score: f32,
    pub mood_score: f32,
    /// Every word of the text, in text order.
    pub words: Vec<WordAttribution>,
}

/// One word and what leaving it out changed (the proto's `WordAttribution`).
#[derive(Debug, Clone, PartialEq)]
pub struct WordAttribution {
    pub word: String,
    /// Unicode code-point offsets into the text, half-open.
    pub start: u32,
    pub end: u32,
    /// Positive: the word supported the label.
    pub attribution: f32,
    /// Positive: the word raised the mood.
    pub mood_delta: f32,
    /// Past the model's token limit: never seen, attribution 0.
    pub beyond_limit: bool,
}

/// Why a call to the inference service failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum InferenceError {
    /// `INFERENCE_URL` is not a valid URI (a start-up error).
    #[error("INFERENCE_URL is not a valid URI: {0}")]
    InvalidUrl(String),
    /// The call did not finish within `INFERENCE_TIMEOUT_MS`.
    #[error("inference call timed out")]
    Timeout,
    /// The service answered with (or the transport produced) a gRPC error status.
    #[error("inference returned {code:?}: {message}", code = .0.code(), message = .0.message())]
    Status(tonic::Status),
    /// The service broke the proto's promises, for example one result per text.
    #[error("malformed inference response: {0}")]
    Malformed(String),
}

impl InferenceError {
    /// The gRPC code, for the gateway's one status table (`error::status_for_grpc`).
    pub fn code(&self) -> Option<tonic::Code> {
        match self {
            Self::Timeout => Some(tonic::Code::DeadlineExceeded),
            Self::Status(status) => Some(status.code()),
            Self::InvalidUrl(_) | Self::Malformed(_) => Some(tonic::Code::Internal),
        }
    }

    /// Whether the service is unreachable or overloaded, as opposed to refusing this input:
    /// the case where a journal entry is saved pending and retried later.
    pub fn is_transient(&self) -> bool {
        use tonic::Code;
        matches!(
            self.code(),
            Some(
                Code::Unavailable
                    | Code::DeadlineExceeded
                    | Code::ResourceExhausted
                    | Code::Cancelled
                    | Code::Aborted
                    | Code::Unknown
                    | Code::Internal
            )
        )
    }

    /// Whether the service is down, overloaded or too slow for everyone, as opposed to failing
    /// on the texts of this call: the one case where trying each text alone cannot help.
    pub fn is_outage(&self) -> bool {
        use tonic::Code;
        matches!(
            self.code(),
            Some(
                Code::Unavailable
                    | Code::DeadlineExceeded
                    | Code::ResourceExhausted
                    | Code::Cancelled
                    | Code::Aborted
            )
        )
    }

    /// Whether the service refused the text itself (it will refuse it again).
    pub fn is_refusal(&self) -> bool {
        use tonic::Code;
        matches!(self.code(), Some(Code::InvalidArgument | Code::OutOfRange))
    }

    /// What a client may read: a fixed text per status. The service's own messages speak of
    /// its request (`texts[3]`), not of anything the user sent, so none reaches a user.
    pub fn public_message(&self, status: http::StatusCode) -> String {
        match status.as_u16() {
            400 => "The model could not analyse this text".to_owned(),
            429 => "Inference service is overloaded; retry shortly".to_owned(),
            504 => "Inference timed out".to_owned(),
            503 => "Inference service unavailable".to_owned(),
            _ => "Inference service error".to_owned(),
        }
    }
}

/// The model list and when it was fetched.
type CachedModels = (Instant, Arc<[ModelDescription]>);

/// The typed client. Cheap to clone: clones share the channel and the models cache.
#[derive(Clone)]
pub struct InferenceClient {
    client: inference_client::InferenceClient<Channel>,
    timeout: Duration,
    models: Arc<RwLock<Option<CachedModels>>>,
    trace: Option<TraceInjector>,
    endpoints: discovery::EndpointCount,
}

impl std::fmt::Debug for InferenceClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferenceClient")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl InferenceClient {
    /// A client for `url` that connects on first use, resolving its host with the system
    /// resolver every [`DEFAULT_RESOLVE_INTERVAL`]. Must be called inside a tokio runtime.
    pub fn new(
        url: &str,
        connect_timeout: Duration,
        timeout: Duration,
    ) -> Result<Self, InferenceError> {
        Self::with_resolver(
            url,
            connect_timeout,
            timeout,
            DEFAULT_RESOLVE_INTERVAL,
            dns_resolver(),
        )
    }

    /// A client for `url` balanced over every address `resolver` gives for its host, asked
    /// again every `resolve_interval`. Must be called inside a tokio runtime.
    pub fn with_resolver(
        url: &str,
        connect_timeout: Duration,
        timeout: Duration,
        resolve_interval: Duration,
        resolver: Resolver,
    ) -> Result<Self, InferenceError> {
        let invalid = || InferenceError::InvalidUrl(url.to_owned());
        let origin: Uri = url.parse().map_err(|_| invalid())?;
        let target = discovery::Target {
            origin,
            connect_timeout,
        };
        let (channel, endpoints) =
            discovery::balanced(target, resolve_interval, resolver).ok_or_else(invalid)?;
        Ok(Self {
            client: inference_client::InferenceClient::new(channel),
            timeout,
            models: Arc::default(),
            trace: None,
            endpoints,
        })
    }

    /// The same client, injecting trace context into every call with `injector`.
    pub fn with_trace_injector(mut self, injector: TraceInjector) -> Self {
        self.trace = Some(injector);
        self
    }

    /// Classifies `texts` with `models`, returning per text one [`Classification`] per model
    /// the service ran (`models` empty: every loaded model).
    pub async fn classify(
        &self,
        texts: Vec<String>,
        models: &[Model],
    ) -> Result<Vec<Vec<Classification>>, InferenceError> {
        let count = texts.len();
        let message = ClassifyRequest {
            texts,
            models: models.iter().map(|m| m.to_proto()).collect(),
            include_logits: false,
        };
        let request = self.request(message);
        let mut client = self.client.clone();
        let response = self.deadline("Classify", client.classify(request)).await?;
        let results = response.into_inner().results;
        if results.len() != count {
            return Err(InferenceError::Malformed(format!(
                "{} results for {count} texts",
                results.len()
            )));
        }
        Ok(results
            .into_iter()
            .map(|r| r.outputs.into_iter().filter_map(classification).collect())
            .collect())
    }

    /// Explains `text` with `models` (empty: every loaded model), one [`Explanation`] per model
    /// the service ran, in the order asked.
    pub async fn explain(
        &self,
        text: String,
        models: &[Model],
    ) -> Result<Vec<Explanation>, InferenceError> {
        let message = ExplainRequest {
            text,
            models: models.iter().map(|m| m.to_proto()).collect(),
        };
        let request = self.request(message);
        let mut client = self.client.clone();
        let response = self.deadline("Explain", client.explain(request)).await?;
        let response = response.into_inner();
        let explanations: Vec<Explanation> = response
            .explanations
            .into_iter()
            .filter_map(explanation)
            .collect();
        if explanations
            .iter()
            .any(|e| e.words.len() != response.words as usize)
        {
            return Err(InferenceError::Malformed(format!(
                "an explanation does not list all {} words",
                response.words
            )));
        }
        Ok(explanations)
    }

    /// The loaded models, from a cache refreshed every few seconds.
    pub async fn models(&self) -> Result<Arc<[ModelDescription]>, InferenceError> {
        if let Some((at, models)) = self.models.read().expect("models lock").as_ref()
            && at.elapsed() < MODELS_TTL
        {
            return Ok(models.clone());
        }
        let mut client = self.client.clone();
        let request = self.request(ListModelsRequest {});
        let response = self
            .deadline("ListModels", client.list_models(request))
            .await?;
        let models: Arc<[ModelDescription]> = response
            .into_inner()
            .models
            .into_iter()
            .filter_map(description)
            .collect();
        *self.models.write().expect("models lock") = Some((Instant::now(), models.clone()));
        Ok(models)
    }

    /// Forgets the cached model list, so the next call asks the service again.
    pub fn forget_models(&self) {
        *self.models.write().expect("models lock") = None;
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.set_timeout(self.timeout);
        if let Some(inject) = &self.trace {
            inject(request.metadata_mut());
        }
        request
    }

    /// Runs a call under the end-to-end deadline, so a hung connection costs at most
    /// `INFERENCE_TIMEOUT_MS`.
    async fn deadline<T>(
        &self,
        method: &'static str,
        call: impl Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    ) -> Result<tonic::Response<T>, InferenceError> {
        let started = Instant::now();
        let checked = async {
            self.endpoints_known().await?;
            call.await.map_err(InferenceError::Status)
        };
        let result = tokio::time::timeout(self.timeout, checked)
            .await
            .unwrap_or(Err(InferenceError::Timeout));
        let outcome = match &result {
            Ok(_) => "ok".to_owned(),
            Err(e) => e
                .code()
                .map_or_else(|| "unknown".to_owned(), |c| format!("{c:?}")),
        };
        crate::metrics::record_inference(method, outcome, started.elapsed());
        result
    }
}

impl InferenceClient {
    /// Waits for the first resolution, then fails fast when it left no endpoint: the balancer
    /// would otherwise hold the call until its deadline.
    async fn endpoints_known(&self) -> Result<(), InferenceError> {
        let mut endpoints = self.endpoints.clone();
        let count = endpoints.wait_for(Option::is_some).await.map(|n| *n);
        match count {
            Ok(Some(n)) if n > 0 => Ok(()),
            _ => Err(InferenceError::Status(tonic::Status::unavailable(
                "no inference endpoint resolved",
            ))),
        }
    }
}

fn classification(output: pb::ModelOutput) -> Option<Classification> {
    let model = Model::from_proto(output.model())?;
    Some(Classification {
        model,
        scores: output
            .scores
            .into_iter()
            .map(|s| (s.label, s.score))
            .collect(),
        label: output.label,
        confidence: output.confidence,
        mood_score: output.mood_score,
    })
}

fn explanation(e: pb::ModelExplanation) -> Option<Explanation> {
    let model = Model::from_proto(e.model())?;
    let words = e
        .words
        .into_iter()
        .map(|w| WordAttribution {
            word: w.word,
            start: w.start,
            end: w.end,
            attribution: w.attribution,
            mood_delta: w.mood_delta,
            beyond_limit: w.beyond_limit,
        })
        .collect();
    Some(Explanation {
        model,
        label: e.label,
        score: e.score,
        mood_score: e.mood_score,
        words,
    })
}

fn description(info: pb::ModelInfo) -> Option<ModelDescription> {
    let model = Model::from_proto(info.kind())?;
    Some(ModelDescription {
        model,
        name: info.name,
        version: info.version,
        labels: info.labels,
        valences: info.valences,
        architecture: info.architecture,
        device: info.device,
    })
}
