//! `avepoint-bench`: the benchmark suite (`suite`) and the per-measurement runner of the Rust
//! clients (`client`). Normally started by `cargo xtask bench`.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use avepoint_bench::measure::{Mode, Plan};
use avepoint_bench::runner::{self, RustClient};
use avepoint_bench::suite::{self, SuiteArgs};
use avepoint_bench::{Target, Workload, table};
use clap::{Parser, Subcommand};

/// Benchmarks of the avepoint-graph SDK against a bare reqwest client and Python requests.
#[derive(Debug, Parser)]
#[command(name = "avepoint-bench", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The whole benchmark: fake service, interleaved clients, CLI fan-out, report.
    Suite(Box<SuiteArgs>),
    /// One measurement of one Rust client; prints one JSON result on stdout.
    Client(ClientArgs),
}

/// `avepoint-bench client`: connection settings come from the environment.
#[derive(Debug, clap::Args)]
struct ClientArgs {
    /// The client to measure.
    #[arg(long, value_enum)]
    client: RustClient,
    /// The workload file written by the suite.
    #[arg(long)]
    workload: PathBuf,
    /// Latency (sequential) or throughput (concurrent).
    #[arg(long, value_enum)]
    mode: Mode,
    /// Timed calls.
    #[arg(long)]
    calls: usize,
    /// Calls in flight (throughput mode).
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Untimed calls first.
    #[arg(long, default_value_t = 0)]
    warmup: usize,
    /// API base URL (the secret is read from AVEPOINT_CLIENT_SECRET only).
    #[arg(long, env = "AVEPOINT_BASE_URL", hide_env_values = true)]
    base_url: String,
    /// Token endpoint URL.
    #[arg(long, env = "AVEPOINT_TOKEN_URL", hide_env_values = true)]
    token_url: String,
    /// OAuth client id.
    #[arg(long, env = "AVEPOINT_CLIENT_ID", hide_env_values = true)]
    client_id: String,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Client(args) => client(args),
        Command::Suite(args) => run_suite(&args),
    };
    match outcome {
        Ok(code) => code,
        Err(e) => {
            eprintln!("avepoint-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn client(args: ClientArgs) -> Result<ExitCode> {
    let target = Target {
        base_url: args.base_url,
        token_url: args.token_url,
        client_id: args.client_id,
        client_secret: std::env::var("AVEPOINT_CLIENT_SECRET")
            .context("AVEPOINT_CLIENT_SECRET is not set")?,
    };
    let workload = Arc::new(Workload::load(&args.workload)?);
    let plan = Plan {
        mode: args.mode,
        calls: args.calls,
        concurrency: args.concurrency,
        warmup: args.warmup,
    };
    // The runtime a typical user program has: `#[tokio::main]` (multi-threaded).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let result = runtime.block_on(runner::run(args.client, &target, workload, plan))?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer(&mut stdout, &result)?;
    writeln!(stdout)?;
    Ok(ExitCode::SUCCESS)
}

fn run_suite(args: &SuiteArgs) -> Result<ExitCode> {
    let report = suite::run(args)?;
    let text = table::render(&report);
    let path = args.out_dir.join("latest.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
        .with_context(|| format!("writing {}", path.display()))?;
    let mut stdout = std::io::stdout().lock();
    write!(stdout, "{text}")?;
    writeln!(stdout, "\nreport: {}", path.display())?;
    Ok(if report.correct() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "avepoint-bench: some answers were wrong or runs failed (see the problems above)"
        );
        ExitCode::FAILURE
    })
}
