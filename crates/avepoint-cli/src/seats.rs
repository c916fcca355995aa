//! `avepoint seats`: the concurrent fan-out over the customers, sharing one client (and so
//! one token), with results written as they arrive.

use std::io::{self, BufWriter, IsTerminal as _};
use std::time::Duration;

use avepoint_graph::{Client, SeatStatus, TenantSeats, TenantType};
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::SeatsArgs;
use crate::config;
use crate::demo::Demo;
use crate::exit::{Fatal, Status};
use crate::input::{Item, Source};
use crate::output::{self, Sink};

/// Runs `avepoint seats`. `verbose` turns the progress bar off (it would fight the logs).
pub(crate) async fn run(args: SeatsArgs, verbose: u8) -> Result<Status, Fatal> {
    let demo = if args.demo {
        Some(Demo::start().await?)
    } else {
        None
    };
    let mut ids = args.customers;
    if let Some(demo) = &demo
        && ids.is_empty()
        && args.customers_file.is_none()
    {
        ids = demo.customer_ids();
    }
    let source = Source::open(ids, args.customers_file.as_deref())?;
    if source.is_empty() {
        return Err(Fatal::usage(
            "no customers: pass --customer ID (repeatable) or --customers-file PATH (- for stdin)",
        ));
    }
    let client = match &demo {
        Some(demo) => demo.client()?,
        None => config::build_client(&args.connection, &config::process_env)?,
    };
    // One token for the whole run, fetched up front: bad credentials fail once, here.
    client
        .authenticate()
        .await
        .map_err(|e| Fatal::authentication(&e))?;
    tracing::info!("authenticated");

    let progress = progress_bar(source.known_len(), verbose);
    let stdout = BufWriter::new(io::stdout());
    let mut sink = output::sink(args.output, stdout);
    let job = Job {
        client,
        tenant_type: args.tenant_type,
        status: args.status,
        concurrency: usize::from(args.concurrency),
    };
    let result = job.run(source, sink.as_mut(), progress.as_ref()).await;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    drop(demo);
    result
}

/// The progress bar, when stderr is a terminal and no logs are on.
fn progress_bar(len: Option<u64>, verbose: u8) -> Option<ProgressBar> {
    if verbose > 0 || !io::stderr().is_terminal() {
        return None;
    }
    let pb = match len {
        Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template(
                "{spinner} {pos}/{len} customers [{bar:30}] {elapsed} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        ),
        None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()).with_style(
            ProgressStyle::with_template("{spinner} {pos} customers {elapsed} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        ),
    };
    pb.enable_steady_tick(Duration::from_millis(120));
    Some(pb)
}

/// What every customer's call shares.
struct Job {
    client: Client,
    tenant_type: TenantType,
    status: Option<SeatStatus>,
    concurrency: usize,
}

/// The outcome of one input entry.
enum Done {
    Customer {
        seq: u64,
        id: String,
        result: Result<Vec<TenantSeats>, avepoint_graph::Error>,
    },
    Invalid {
        message: String,
    },
}

/// Runs `f` with the progress bar hidden, so output and messages do not mix with it.
fn quiet<T>(progress: Option<&ProgressBar>, f: impl FnOnce() -> T) -> T {
    match progress {
        Some(pb) => pb.suspend(f),
        None => f(),
    }
}

impl Job {
    /// Fetches every customer of `source`, at most `concurrency` at a time, writing each
    /// answer to `sink` as it arrives and each failure to stderr.
    async fn run(
        &self,
        source: Source,
        sink: &mut dyn Sink,
        progress: Option<&ProgressBar>,
    ) -> Result<Status, Fatal> {
        if let Err(e) = quiet(progress, || sink.begin()) {
            return write_failed(&e, Status::Success);
        }
        let mut results = source
            .into_stream()
            .map(|item| self.fetch(item))
            .buffer_unordered(self.concurrency);
        let mut status = Status::Success;
        let (mut total, mut failed) = (0u64, 0u64);
        while let Some(done) = results.next().await {
            total += 1;
            match done {
                Done::Customer {
                    seq,
                    id,
                    result: Ok(tenants),
                } => {
                    let written = quiet(progress, || {
                        sink.customer(seq, &id, self.tenant_type, &tenants)
                    });
                    if let Err(e) = written {
                        return write_failed(&e, status);
                    }
                }
                Done::Customer {
                    id, result: Err(e), ..
                } => {
                    failed += 1;
                    status = status.max(Status::of_call_error(&e));
                    let id = id.escape_debug();
                    quiet(progress, || eprintln!("error: customer {id}: {e}"));
                }
                Done::Invalid { message } => {
                    failed += 1;
                    status = status.max(Status::SomeFailed);
                    quiet(progress, || eprintln!("error: {message}"));
                }
            }
            if let Some(pb) = progress {
                pb.inc(1);
            }
        }
        drop(results);
        if let Err(e) = quiet(progress, || sink.finish()) {
            return write_failed(&e, status);
        }
        if failed > 0 {
            quiet(progress, || {
                eprintln!(
                    "error: {failed} of {total} customer{} failed",
                    if total == 1 { "" } else { "s" }
                );
            });
        }
        tracing::info!(customers = total, failed, "done");
        Ok(status)
    }

    /// Fetches one customer's tenants.
    async fn fetch(&self, item: Item) -> Done {
        match item {
            Item::Customer { seq, id } => {
                let mut request = self.client.tenant_user_seats(id.clone(), self.tenant_type);
                if let Some(status) = self.status {
                    request = request.status(status);
                }
                let result = request.send().await;
                Done::Customer { seq, id, result }
            }
            Item::Invalid { message, .. } => Done::Invalid { message },
        }
    }
}

/// A failed write to stdout: a closed pipe (`| head`) ends the run quietly with the status
/// so far; anything else is an error.
fn write_failed(e: &io::Error, status: Status) -> Result<Status, Fatal> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        tracing::debug!("stdout was closed; stopping");
        Ok(status)
    } else {
        Err(Fatal::output(e))
    }
}
