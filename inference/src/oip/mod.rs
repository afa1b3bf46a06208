//! The Open Inference Protocol v2 (`inference.GRPCInferenceService`, the gRPC protocol of KServe
//! and Triton), served on the inference port beside the native service, so `tritonclient`,
//! KServe's clients and `perf_analyzer` work unchanged.
//!
//! A `ModelInfer` becomes a native `ClassifyRequest` for the one model it names, with logits,
//! and goes through [`InferenceService::answer`]: the same validation, limits, batching,
//! admission control, metrics (under `api="oip"`) and tracing as `Classify`, and so the same
//! numbers. `ModelStreamInfer` answers each message as `ModelInfer` would, in message order,
//! reporting a failed message in its response's `error_message` as Triton does, so one bad
//! request does not end the stream. RPCs of the protocol that are not declared in
//! `open_inference.proto` (model repository, shared memory, trace and log settings) get
//! UNIMPLEMENTED from the generated server.

mod describe;
mod infer;
mod models;
mod tensor;

use std::{pin::Pin, time::Instant};

use futures::{Stream, StreamExt};
use moodtracker_proto::{inference::v1 as native, oip as pb};
use pb::grpc_inference_service_server::{GrpcInferenceService, GrpcInferenceServiceServer};
use tokio::sync::watch;
use tonic::{Request, Response, Status, Streaming};

pub use describe::SERVER_NAME;

use crate::{
    batch::Models,
    grpc::{InferenceService, STREAM_CONCURRENCY, model_kind},
    metrics::Api,
    model::{Kind, ModelInfo},
};

/// Cheap to clone: tonic clones the service per connection.
#[derive(Debug, Clone)]
pub struct OipService {
    inference: InferenceService,
    /// The readiness latch the health service reports, for `ServerReady`.
    ready: watch::Receiver<bool>,
}

impl OipService {
    pub fn new(inference: InferenceService, ready: watch::Receiver<bool>) -> Self {
        Self { inference, ready }
    }

    /// The tonic server to mount next to the native service.
    pub fn into_server(self) -> GrpcInferenceServiceServer<Self> {
        GrpcInferenceServiceServer::new(self)
    }

    fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    fn models(&self) -> Result<&Models, Status> {
        Ok(self.inference.models()?)
    }

    fn model(&self, name: &str, version: &str) -> Result<&ModelInfo, Status> {
        Ok(models::find(self.models()?, name, version)?)
    }

    /// One inference; `rpc` names it in the metrics.
    async fn infer(
        &self,
        rpc: &'static str,
        request: pb::ModelInferRequest,
    ) -> Result<pb::ModelInferResponse, Status> {
        let started = Instant::now();
        let info = match self.model(&request.model_name, &request.model_version) {
            Ok(info) => info,
            Err(status) => return Err(self.refused(rpc, &[], &status, started)),
        };
        let id = request.id.clone();
        let parsed = match infer::parse(request) {
            Ok(parsed) => parsed,
            Err(e) => return Err(self.refused(rpc, &[info.kind], &e.into(), started)),
        };
        let classify = native::ClassifyRequest {
            texts: parsed.texts,
            models: vec![model_kind(info.kind) as i32],
            include_logits: true,
        };
        let named = [info.kind];
        let classified = self
            .inference
            .answer(Api::Oip, rpc, classify, &named)
            .await?;
        Ok(infer::response(info, id, &parsed.outputs, &classified))
    }

    /// Counts a request refused before it became a classification, and returns its status.
    fn refused(
        &self,
        rpc: &'static str,
        kinds: &[Kind],
        status: &Status,
        started: Instant,
    ) -> Status {
        self.inference
            .record(Api::Oip, rpc, kinds, 0, Some(status), started);
        status.clone()
    }
}

type StreamResponses =
    Pin<Box<dyn Stream<Item = Result<pb::ModelStreamInferResponse, Status>> + Send>>;

#[tonic::async_trait]
impl GrpcInferenceService for OipService {
    async fn server_live(
        &self,
        _: Request<pb::ServerLiveRequest>,
    ) -> Result<Response<pb::ServerLiveResponse>, Status> {
        // Answering at all is the proof of life, as the health service's "" entry.
        Ok(Response::new(pb::ServerLiveResponse { live: true }))
    }

    async fn server_ready(
        &self,
        _: Request<pb::ServerReadyRequest>,
    ) -> Result<Response<pb::ServerReadyResponse>, Status> {
        let ready = self.is_ready();
        Ok(Response::new(pb::ServerReadyResponse { ready }))
    }

    async fn model_ready(
        &self,
        request: Request<pb::ModelReadyRequest>,
    ) -> Result<Response<pb::ModelReadyResponse>, Status> {
        let request = request.into_inner();
        let ready = self.is_ready() && self.model(&request.name, &request.version).is_ok();
        Ok(Response::new(pb::ModelReadyResponse { ready }))
    }

    async fn server_metadata(
        &self,
        _: Request<pb::ServerMetadataRequest>,
    ) -> Result<Response<pb::ServerMetadataResponse>, Status> {
        Ok(Response::new(describe::server_metadata()))
    }

    async fn model_metadata(
        &self,
        request: Request<pb::ModelMetadataRequest>,
    ) -> Result<Response<pb::ModelMetadataResponse>, Status> {
        let request = request.into_inner();
        let info = self.model(&request.name, &request.version)?;
        Ok(Response::new(describe::model_metadata(info)))
    }

    async fn model_infer(
        &self,
        request: Request<pb::ModelInferRequest>,
    ) -> Result<Response<pb::ModelInferResponse>, Status> {
        self.infer("ModelInfer", request.into_inner())
            .await
            .map(Response::new)
    }

    type ModelStreamInferStream = StreamResponses;

    async fn model_stream_infer(
        &self,
        request: Request<Streaming<pb::ModelInferRequest>>,
    ) -> Result<Response<StreamResponses>, Status> {
        let service = self.clone();
        let responses = request
            .into_inner()
            .map(move |message| {
                let service = service.clone();
                async move { service.stream_response(message?).await }
            })
            .buffered(STREAM_CONCURRENCY);
        Ok(Response::new(Box::pin(responses)))
    }

    async fn model_config(
        &self,
        request: Request<pb::ModelConfigRequest>,
    ) -> Result<Response<pb::ModelConfigResponse>, Status> {
        let request = request.into_inner();
        let info = self.model(&request.name, &request.version)?;
        Ok(Response::new(describe::model_config(info)))
    }

    async fn model_statistics(
        &self,
        request: Request<pb::ModelStatisticsRequest>,
    ) -> Result<Response<pb::ModelStatisticsResponse>, Status> {
        let request = request.into_inner();
        let infos: Vec<&ModelInfo> = if request.name.is_empty() {
            self.models()?.infos().collect()
        } else {
            vec![self.model(&request.name, &request.version)?]
        };
        let stats = self.inference.stats();
        let model_stats = infos
            .into_iter()
            .map(|info| describe::model_statistics(info, stats.of(info.kind)))
            .collect();
        Ok(Response::new(pb::ModelStatisticsResponse { model_stats }))
    }
}

impl OipService {
    /// One stream message's answer: a failure travels in `error_message` (with the request's
    /// model and id, so a pipelining client can match it) instead of ending the stream.
    async fn stream_response(
        &self,
        request: pb::ModelInferRequest,
    ) -> Result<pb::ModelStreamInferResponse, Status> {
        let echo = pb::ModelInferResponse {
            model_name: request.model_name.clone(),
            model_version: request.model_version.clone(),
            id: request.id.clone(),
            ..Default::default()
        };
        Ok(match self.infer("ModelStreamInfer", request).await {
            Ok(response) => pb::ModelStreamInferResponse {
                error_message: String::new(),
                infer_response: Some(response),
            },
            Err(status) => pb::ModelStreamInferResponse {
                error_message: status.message().to_string(),
                infer_response: Some(echo),
            },
        })
    }
}
