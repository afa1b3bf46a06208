//! The moodtracker gRPC API, generated from `moodtracker/inference/v1/inference.proto`.
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
