//! Project automation for the AvePoint seats workspace.
//!
//! * `cargo xtask codegen [--check]`: generate the raw client from `openapi/`.

use std::path::{Path, PathBuf};

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
        _ => Err(anyhow::anyhow!(
            "usage: cargo xtask <command>\n\ncommands:\n  codegen [--check]   generate crates/avepoint-graph-raw from openapi/"
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
