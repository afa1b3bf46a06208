//! Compiles the protos with protox (pure Rust), so building needs nothing but cargo, and writes
//! each package's file descriptor set for gRPC reflection.

use std::{env, path::PathBuf};

/// (proto file, name of its descriptor set in OUT_DIR)
const PROTOS: [(&str, &str); 2] = [
    (
        "moodtracker/inference/v1/inference.proto",
        "inference_descriptor.bin",
    ),
    // The Open Inference Protocol, package `inference`.
    ("inference/open_inference.proto", "oip_descriptor.bin"),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(env::var("OUT_DIR")?);
    for (proto, descriptor) in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
        let descriptors = protox::compile([proto], ["."])?;
        std::fs::write(
            out.join(descriptor),
            prost::Message::encode_to_vec(&descriptors),
        )?;
        tonic_prost_build::configure()
            .build_client(cfg!(feature = "client"))
            .build_server(cfg!(feature = "server"))
            .compile_fds(descriptors)?;
    }
    Ok(())
}
