//! One measurement of one Rust client: what `avepoint-bench client` runs in its own process.

use std::sync::Arc;

use anyhow::Result;

use crate::bare::BareClient;
use crate::measure::{self, Plan, RunResult};
use crate::raw::RawCaller;
use crate::sdk::SdkCaller;
use crate::target::Target;
use crate::workload::Workload;

/// The Rust clients the runner measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum RustClient {
    /// The `avepoint-graph` SDK.
    Sdk,
    /// The SDK with adaptive rate limiting off (retries only).
    SdkRetriesOnly,
    /// The bare `reqwest` + `serde` baseline.
    Bare,
    /// The generated (`avepoint-graph-raw`) client alone, with one fixed token.
    Raw,
}

impl RustClient {
    /// `sdk` or `bare`.
    pub fn as_str(self) -> &'static str {
        match self {
            RustClient::Sdk => "sdk",
            RustClient::SdkRetriesOnly => "sdk-retries-only",
            RustClient::Bare => "bare",
            RustClient::Raw => "raw",
        }
    }
}

/// Builds `client` against `target` and runs `plan` over `workload`. Building the client
/// (and, for the bare client, its one token request) is not timed; the SDK fetches its token
/// during the warm-up calls, as in a user's program.
pub async fn run(
    client: RustClient,
    target: &Target,
    workload: Arc<Workload>,
    plan: Plan,
) -> Result<RunResult> {
    let tenant_type = workload.tenant_type;
    Ok(match client {
        RustClient::Sdk => {
            let caller = SdkCaller::new(target, tenant_type)?;
            measure::run(client.as_str(), caller, workload, plan).await
        }
        RustClient::SdkRetriesOnly => {
            let caller = SdkCaller::with_adaptive(target, tenant_type, false)?;
            measure::run(client.as_str(), caller, workload, plan).await
        }
        RustClient::Bare => {
            let caller = BareClient::connect(target, tenant_type).await?;
            measure::run(client.as_str(), caller, workload, plan).await
        }
        RustClient::Raw => {
            let caller = RawCaller::connect(target, tenant_type).await?;
            measure::run(client.as_str(), caller, workload, plan).await
        }
    })
}

/// Runs `plan` for the client named `client` (a [`RustClient::as_str`] name) in a fresh
/// `runner client` process (the suite's and the service-limit scenarios' one way to measure
/// a Rust client) and returns its result.
pub fn spawn(
    runner: &std::path::Path,
    client: &str,
    workload: &std::path::Path,
    target: &Target,
    plan: Plan,
) -> Result<RunResult> {
    let mut command = std::process::Command::new(runner);
    command.arg("client").args(["--client", client]);
    measure::run_process(
        command,
        &format!("{client} client ({})", runner.display()),
        workload,
        target,
        plan,
    )
}
