//! The `moodtracker.inference.v1.Inference` service: validate, admit, classify (or explain),
//! convert.
//!
//! `ClassifyStream` answers each request message exactly as a unary `Classify` would, one
//! response per message and in message order; up to [`STREAM_CONCURRENCY`] messages are in
//! flight at once so a pipelining client shares forward passes with itself. The first message
//! that fails (invalid, overloaded, ...) ends the stream with that message's status; responses
//! for the messages before it have already been sent, and later messages are not answered.

use std::{
    pin::Pin,
    sync::{Arc, OnceLock},
    time::Instant,
};

use futures::{Stream, StreamExt, future};
use moodtracker_proto::inference::v1::{
    ClassifyRequest, ClassifyResponse, ExplainRequest, ExplainResponse, ListModelsRequest,
    ListModelsResponse, inference_server::Inference,
};
use tonic::{Request, Response, Status, Streaming};

use super::{convert, validate};
use crate::{
    Error,
    batch::Models,
    config::RequestLimits,
    metrics::{Api, record_request},
    model::Kind,
    stats::Statistics,
};

/// Messages of one `ClassifyStream` call that may be in flight at once.
pub const STREAM_CONCURRENCY: usize = 8;

/// Cheap to clone: tonic clones the service per connection.
#[derive(Debug, Clone)]
pub struct InferenceService {
    /// Empty until both models are loaded and warm; requests before that get UNAVAILABLE.
    models: Arc<OnceLock<Models>>,
    limits: RequestLimits,
    /// Per-model counts for the Open Inference Protocol's `ModelStatistics`, fed by both APIs.
    stats: Arc<Statistics>,
}

impl InferenceService {
    pub fn new(models: Arc<OnceLock<Models>>, limits: RequestLimits) -> Self {
        Self {
            models,
            limits,
            stats: Arc::default(),
        }
    }

    /// The loaded models, or UNAVAILABLE while they load.
    pub(crate) fn models(&self) -> Result<&Models, Error> {
        self.models
            .get()
            .ok_or_else(|| Error::Unavailable("the models are still loading; retry shortly".into()))
    }

    pub(crate) fn stats(&self) -> &Statistics {
        &self.stats
    }

    /// Answers one classification and counts it under each model it asked for. Both APIs come
    /// through here, so they share validation, limits, batching and admission control.
    /// `named`: the models the caller's protocol already named, counted when validation fails
    /// (the native API names none until its request is valid).
    pub(crate) async fn answer(
        &self,
        api: Api,
        rpc: &'static str,
        request: ClassifyRequest,
        named: &[Kind],
    ) -> Result<ClassifyResponse, Status> {
        let started = Instant::now();
        let texts = request.texts.len();
        let mut kinds = named.to_vec();
        let result = self
            .classify_one(request, &mut kinds)
            .await
            .map_err(Status::from);
        self.record(api, rpc, &kinds, texts, result.as_ref().err(), started);
        result
    }

    /// Counts one answered request in the metrics and the per-model statistics.
    pub(crate) fn record(
        &self,
        api: Api,
        rpc: &'static str,
        kinds: &[Kind],
        texts: usize,
        error: Option<&Status>,
        started: Instant,
    ) {
        let elapsed = started.elapsed();
        let code = error.map_or(tonic::Code::Ok, Status::code);
        record_request(api, rpc, kinds, code, elapsed);
        self.stats.record(kinds, texts, error.is_none(), elapsed);
    }

    /// `kinds` receives the validated models, so the metric can name them even on failure.
    async fn classify_one(
        &self,
        request: ClassifyRequest,
        kinds: &mut Vec<Kind>,
    ) -> Result<ClassifyResponse, Error> {
        let models = self.models()?;
        let valid = validate::classify_request(request, &self.limits, models)?;
        kinds.clone_from(&valid.kinds);
        let _admitted = models.admit()?;
        let runs = models.classify(valid.texts.clone(), &valid.kinds).await?;
        Ok(convert::classify_response(
            &runs,
            models,
            valid.include_logits,
        ))
    }

    /// `kinds` receives the validated models, as in [`Self::classify_one`].
    async fn explain_one(
        &self,
        request: ExplainRequest,
        kinds: &mut Vec<Kind>,
    ) -> Result<ExplainResponse, Error> {
        let models = self.models()?;
        let valid = validate::explain_request(request, &self.limits, models)?;
        kinds.clone_from(&valid.kinds);
        let _admitted = models.admit()?;
        let explanations = models
            .explain(valid.text, valid.words.clone(), &valid.kinds)
            .await?;
        Ok(convert::explain_response(&valid.words, &explanations))
    }
}

type ResponseStream = Pin<Box<dyn Stream<Item = Result<ClassifyResponse, Status>> + Send>>;

#[tonic::async_trait]
impl Inference for InferenceService {
    async fn classify(
        &self,
        request: Request<ClassifyRequest>,
    ) -> Result<Response<ClassifyResponse>, Status> {
        self.answer(Api::Native, "Classify", request.into_inner(), &[])
            .await
            .map(Response::new)
    }

    type ClassifyStreamStream = ResponseStream;

    async fn classify_stream(
        &self,
        request: Request<Streaming<ClassifyRequest>>,
    ) -> Result<Response<ResponseStream>, Status> {
        let service = self.clone();
        let responses = request
            .into_inner()
            .map(move |message| {
                let service = service.clone();
                async move {
                    service
                        .answer(Api::Native, "ClassifyStream", message?, &[])
                        .await
                }
            })
            .buffered(STREAM_CONCURRENCY)
            .scan(false, |failed, item| {
                // Yield the first error, then end the stream.
                let done = *failed;
                *failed = item.is_err();
                future::ready((!done).then_some(item))
            });
        Ok(Response::new(Box::pin(responses)))
    }

    async fn explain(
        &self,
        request: Request<ExplainRequest>,
    ) -> Result<Response<ExplainResponse>, Status> {
        let started = Instant::now();
        let mut kinds = Vec::new();
        let result = self
            .explain_one(request.into_inner(), &mut kinds)
            .await
            .map_err(Status::from);
        let code = result
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok);
        record_request(Api::Native, "Explain", &kinds, code, started.elapsed());
        result.map(Response::new)
    }

    async fn list_models(
        &self,
        _: Request<ListModelsRequest>,
    ) -> Result<Response<ListModelsResponse>, Status> {
        let started = Instant::now();
        let result = self
            .models()
            .map(convert::list_models_response)
            .map_err(Status::from);
        let code = result
            .as_ref()
            .map_or_else(Status::code, |_| tonic::Code::Ok);
        record_request(Api::Native, "ListModels", &[], code, started.elapsed());
        result.map(Response::new)
    }
}
