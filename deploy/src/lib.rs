//! What a kubelet would do with the rendered manifests, done on this machine against the real
//! binaries: resolve each container's environment, ports and probes ([`manifest`]), read its
//! image's entrypoint and environment from the Dockerfile ([`dockerfile`]), start it ([`launch`])
//! and probe it the way the kubelet does ([`probe`]). The test in `tests/chart_probes.rs` uses it
//! to show that the Helm chart and the kustomize manifests agree with the binaries.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

pub mod dockerfile;
pub mod launch;
pub mod manifest;
pub mod probe;

/// Why a rendering could not be turned into a running, probed process.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifests lack something a kubelet would need, or use what this crate cannot model.
    #[error("manifest: {0}")]
    Manifest(String),
    /// The Dockerfile has no such target, or an instruction this crate cannot read.
    #[error("Dockerfile: {0}")]
    Dockerfile(String),
    /// The process could not be started or a port was not mapped.
    #[error("launch: {0}")]
    Launch(String),
}
