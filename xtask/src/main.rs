//! Project automation for the AvePoint seats workspace.
//!
//! * `cargo xtask codegen [--check]`: generate the raw client from `openapi/`.
//! * `cargo xtask bench [--quick] [--customers N ...]`: the benchmarks (SDK, bare `reqwest`,
//!   Python `requests`, the CLI's fan-out); see `bench.rs`.

use std::path::{Path, PathBuf};

mod bench;
mod codegen;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen::run(&args[1..], &root),
        Some("bench") => bench::run(&args[1..], &root),
        _ => Err(anyhow::anyhow!(
            "usage: cargo xtask <command>\n\ncommands:\n  codegen [--check]   generate crates/avepoint-graph-raw from openapi/\n  bench [--quick]     benchmarks: SDK vs bare reqwest vs Python, CLI fan-out (--help)"
        )),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
