//! The moodtracker gRPC API, generated from `moodtracker/inference/v1/inference.proto`, and the
//! Open Inference Protocol v2 from `inference/open_inference.proto`.
//!
//! `client` and `server` features select which halves tonic generates; both are on by default.
#![forbid(unsafe_code)]
#![allow(clippy::all, clippy::pedantic)] // generated code

/// Package `moodtracker.inference.v1`.
pub mod inference {
    pub mod v1 {
        tonic::include_proto!("moodtracker.inference.v1");

        /// The encoded `FileDescriptorSet` of this package, for gRPC server reflection.
        pub const FILE_DESCRIPTOR_SET: &[u8] =
            tonic::include_file_descriptor_set!("inference_descriptor");

        /// The fully qualified service name, as health checks and reflection name it.
        pub const SERVICE_NAME: &str = "moodtracker.inference.v1.Inference";
    }
}

/// The Open Inference Protocol v2 (KServe v2 / Triton), package `inference`, from
/// `inference/open_inference.proto`: the service `inference.GRPCInferenceService`.
pub mod oip {
    tonic::include_proto!("inference");

    /// The encoded `FileDescriptorSet` of package `inference`, for gRPC server reflection.
    pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("oip_descriptor");

    /// The fully qualified service name.
    pub const SERVICE_NAME: &str = "inference.GRPCInferenceService";
}
