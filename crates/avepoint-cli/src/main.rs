//! `avepoint`: user seats of AvePoint customers' Microsoft 365, Salesforce, Google and
//! Dynamics 365 tenants, for billing and license reconciliation.
//!
//! See `avepoint seats --help` and `avepoint customers --help` for flags, environment
//! variables, output formats and exit codes, and `avepoint seats --demo --all-customers
//! --all-types` to see it work without an account. `overview`, `products`, `services` and
//! `reconcile` cover the licensing family (`avepoint reconcile --demo --all-customers`).

mod cli;
mod completions;
mod config;
mod connect;
mod customers;
mod demo;
mod diag;
mod exit;
mod fanout;
mod fleet;
mod history;
mod input;
mod logging;
mod man_page;
mod output;
mod overview;
mod per_customer;
mod products;
mod progress;
mod reconcile;
mod render;
mod rows;
mod sdk_error;
mod seats;
mod selection;
mod services;
mod shutdown;
mod throttling;
mod work;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::exit::{Fatal, Status};

fn main() -> ExitCode {
    // Usage errors exit with 2 here; --help and --version with 0.
    let cli = Cli::try_parse().unwrap_or_else(|e| e.exit());
    logging::init(cli.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            diag::diag!("error: could not start the async runtime: {e}");
            return Status::SomeFailed.into();
        }
    };
    let verbose = cli.verbose;
    let outcome = runtime.block_on(async move {
        match cli.command {
            Command::Seats(args) => seats::run(*args, verbose).await,
            Command::Customers(args) => customers::run(*args).await,
            Command::Overview(args) => {
                let command = overview::Overview::new(args.tenant_type, args.all_types);
                per_customer::run(args.selection, command, verbose).await
            }
            Command::Products(args) => {
                let command = products::Products::new(args.products, args.all_products);
                per_customer::run(args.selection, command, verbose).await
            }
            Command::Services(args) => {
                let command = services::Services::new(args.expiring_within);
                per_customer::run(args.selection, command, verbose).await
            }
            Command::Reconcile(args) => {
                let command =
                    reconcile::Reconcile::new(args.tenant_type, args.idle_percent, args.fail_on);
                per_customer::run(args.selection, command, verbose).await
            }
            Command::History(args) => history::run(*args),
            Command::FakeServer(args) => fake_server(*args).await,
            Command::Completions(args) => completions::run(&args),
            Command::Man(args) => man_page::run(&args),
        }
    });
    // Do not wait for the customer-ID reader (it may be blocked on stdin) or idle tasks.
    runtime.shutdown_background();
    match outcome {
        Ok(status) => status.into(),
        Err(fatal) => {
            diag::diag!("error: {fatal}");
            fatal.status.into()
        }
    }
}

/// `avepoint fake-server`: the fake service as a command, until Ctrl-C.
async fn fake_server(args: avepoint_fake::FakeServerArgs) -> Result<Status, Fatal> {
    use avepoint_fake::FakeError;
    avepoint_fake::run(args).await.map_err(|e| Fatal {
        status: match e {
            FakeError::Bind { .. }
            | FakeError::InvalidConfig(_)
            | FakeError::InvalidCertificate(_) => Status::Usage,
            _ => Status::SomeFailed,
        },
        message: e.to_string(),
    })?;
    Ok(Status::Success)
}
