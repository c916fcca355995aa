//! `avepoint-fake`: runs the fake AvePoint identity service and user-seats endpoint.
//! Logs go to stderr (`RUST_LOG`, default `info,avepoint_fake=debug`: one line per request); the URLs and credentials to stdout.

use clap::Parser;

/// A local fake of the AvePoint Graph API partner user-seats endpoint and its identity
/// service, with demo data and demo credentials. For tests and demos only.
#[derive(Debug, Parser)]
#[command(name = "avepoint-fake", version)]
struct Cli {
    #[command(flatten)]
    args: avepoint_fake::FakeServerArgs,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,avepoint_fake=debug")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match avepoint_fake::run(cli.args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("avepoint-fake: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
