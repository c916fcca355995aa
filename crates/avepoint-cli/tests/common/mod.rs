//! What the end-to-end tests share: the built `avepoint` binary with a clean environment,
//! pointed at an in-process fake AvePoint service (real HTTP on loopback), and its output.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use assert_cmd::Command;
use avepoint_fake::{BackgroundFakeServer, demo};

/// Every variable the tool reads, removed from the inherited environment.
pub const ENV_VARS: [&str; 13] = [
    "AVEPOINT_CLIENT_ID",
    "AVEPOINT_CLIENT_SECRET",
    "AVEPOINT_CERTIFICATE",
    "AVEPOINT_CERTIFICATE_PASSWORD",
    "AVEPOINT_REGION",
    "AVEPOINT_BASE_URL",
    "AVEPOINT_TOKEN_URL",
    "AVEPOINT_SCOPE",
    "AVEPOINT_CUSTOMERS_SCOPE",
    "AVEPOINT_FAKE_PORT",
    "AVEPOINT_FAKE_BIND",
    "RUST_LOG",
    "AVEPOINT_RATE_LIMIT",
];

/// The binary with a clean environment (no credentials, no endpoints).
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_avepoint"));
    for var in ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.timeout(Duration::from_secs(120));
    cmd
}

/// The binary pointed at `server` with the demo client secret.
pub fn avepoint(server: &BackgroundFakeServer) -> Command {
    let mut cmd = bare();
    cmd.env("AVEPOINT_BASE_URL", server.base_url())
        .env("AVEPOINT_TOKEN_URL", server.token_url())
        .env("AVEPOINT_CLIENT_ID", demo::CLIENT_ID)
        .env("AVEPOINT_CLIENT_SECRET", demo::CLIENT_SECRET);
    cmd
}

/// A finished run.
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to the end.
pub fn run(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("the binary runs");
    Run {
        code: out.status.code(),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

/// The elements of the JSON array on stdout.
pub fn json(stdout: &str) -> Vec<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(stdout).expect("stdout is valid JSON");
    value.as_array().expect("a JSON array").clone()
}
