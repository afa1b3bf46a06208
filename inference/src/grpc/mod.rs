//! The gRPC surface on one port: the Inference service, the Open Inference Protocol's
//! `inference.GRPCInferenceService` (see [`crate::oip`]), `grpc.health.v1.Health`, and server
//! reflection (v1 and v1alpha, so both current and older `grpcurl` builds can list and describe).

mod convert;
mod health;
mod service;
mod validate;

use std::future::Future;

pub use convert::model_kind;
pub use health::Readiness;
use moodtracker_proto::inference::v1::{FILE_DESCRIPTOR_SET, inference_server::InferenceServer};
pub use service::{InferenceService, STREAM_CONCURRENCY};
use tokio::net::TcpListener;
use tonic::transport::{Server, server::TcpIncoming};

use crate::{Error, oip::OipService, telemetry};

/// Serves until `shutdown` resolves, then stops accepting and waits for in-flight calls (the
/// caller bounds that wait with its drain deadline).
pub async fn serve(
    listener: TcpListener,
    inference: InferenceService,
    oip: OipService,
    health: tonic_health::pb::health_server::HealthServer<
        impl tonic_health::pb::health_server::Health,
    >,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), Error> {
    // Both reflection versions describe the inference, OIP and health packages.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(moodtracker_proto::oip::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection().build_v1().map_err(reflection_error)?;
    let reflection_v1alpha = reflection().build_v1alpha().map_err(reflection_error)?;
    Server::builder()
        .trace_fn(telemetry::grpc_span)
        .add_service(health)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(InferenceServer::new(inference))
        .add_service(oip.into_server())
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await
        .map_err(|e| Error::Internal(format!("gRPC server: {e}")))
}

fn reflection_error(e: tonic_reflection::server::Error) -> Error {
    Error::Internal(format!("reflection descriptors: {e}"))
}
