//! Compiles `proto/*.proto` with protox (a protobuf compiler in Rust) and
//! generates the prost messages and tonic services from its descriptor
//! set, so building needs no system `protoc`.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?).join("proto");
    let files = [dir.join("raftbus.proto")];
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    let fds = protox::compile(&files, [&dir])?;
    tonic_prost_build::configure()
        // Payloads and snapshot chunks are opaque bytes: `Bytes` lets them
        // move between buffers without copying.
        .bytes(".")
        .compile_fds(fds)?;
    Ok(())
}
