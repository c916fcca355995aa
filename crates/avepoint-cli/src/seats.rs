//! `avepoint seats`: the concurrent fan-out over the customers, sharing one client (and so
//! one token), with results written as they arrive.

use std::io::{self, BufWriter, IsTerminal as _};
use std::time::Duration;

use avepoint_graph::{Client, SeatStatus, TenantSeats, TenantType};
use std::collections::BTreeMap;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Order, SeatsArgs};
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
        order: args.order,
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
    order: Order,
}

/// How many finished customers may wait for an earlier, slower one in `--order input`, per
/// unit of concurrency. Bounds memory while keeping every slot busy behind a slow customer.
const REORDER_WINDOW_PER_SLOT: u64 = 64;

/// The outcome of one input entry.
enum Done {
    Customer {
        seq: u64,
        id: String,
        result: Result<Vec<TenantSeats>, avepoint_graph::Error>,
    },
    Invalid {
        seq: u64,
        message: String,
    },
}

impl Done {
    fn seq(&self) -> u64 {
        match self {
            Self::Customer { seq, .. } | Self::Invalid { seq, .. } => *seq,
        }
    }
}

/// Runs `f` with the progress bar hidden, so output and messages do not mix with it.
fn quiet<T>(progress: Option<&ProgressBar>, f: impl FnOnce() -> T) -> T {
    match progress {
        Some(pb) => pb.suspend(f),
        None => f(),
    }
}

/// What has been reported so far.
struct Tally<'a> {
    sink: &'a mut dyn Sink,
    progress: Option<&'a ProgressBar>,
    tenant_type: TenantType,
    status: Status,
    total: u64,
    failed: u64,
    interrupted: bool,
}

impl Tally<'_> {
    /// Writes one finished entry: rows to the sink, a failure to stderr.
    fn report(&mut self, done: Done) -> io::Result<()> {
        self.total += 1;
        let progress = self.progress;
        match done {
            Done::Customer {
                seq,
                id,
                result: Ok(tenants),
            } => {
                let (sink, tenant_type) = (&mut *self.sink, self.tenant_type);
                quiet(progress, || sink.customer(seq, &id, tenant_type, &tenants))?;
            }
            Done::Customer {
                id, result: Err(e), ..
            } => {
                self.failed += 1;
                self.status = self.status.max(Status::of_call_error(&e));
                let id = id.escape_debug();
                quiet(progress, || eprintln!("error: customer {id}: {e}"));
            }
            Done::Invalid { message, .. } => {
                self.failed += 1;
                self.status = self.status.max(Status::SomeFailed);
                quiet(progress, || eprintln!("error: {message}"));
            }
        }
        Ok(())
    }
}

impl Job {
    /// Fetches every customer of `source`, at most `concurrency` at a time, writing each
    /// answer to `sink` as soon as its turn comes (`--order input`) or as it arrives
    /// (`--order arrival`), and each failure to stderr.
    async fn run(
        &self,
        source: Source,
        sink: &mut dyn Sink,
        progress: Option<&ProgressBar>,
    ) -> Result<Status, Fatal> {
        if let Err(e) = quiet(progress, || sink.begin()) {
            return write_failed(&e, Status::Success);
        }
        let mut tally = Tally {
            sink,
            progress,
            tenant_type: self.tenant_type,
            status: Status::Success,
            total: 0,
            failed: 0,
            interrupted: false,
        };
        if let Err(e) = self.fan_out(source, &mut tally).await {
            return write_failed(&e, tally.status);
        }
        let Tally {
            sink,
            mut status,
            total,
            failed,
            interrupted,
            ..
        } = tally;
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
        if interrupted {
            quiet(progress, || {
                eprintln!("error: interrupted after {total} customer(s); the output holds those")
            });
            status = Status::Interrupted;
        }
        tracing::info!(customers = total, failed, interrupted, "done");
        Ok(status)
    }

    /// The fan-out: at most `concurrency` calls in flight; in input order, finished entries
    /// wait in a bounded window for the earlier ones.
    async fn fan_out(&self, source: Source, tally: &mut Tally<'_>) -> io::Result<()> {
        let window = REORDER_WINDOW_PER_SLOT * self.concurrency as u64;
        let mut input = source.into_stream();
        let mut input_done = false;
        let mut in_flight = FuturesUnordered::new();
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        let (mut started, mut next_out) = (0u64, 0u64);
        // Ctrl-C stops the fan-out; what was fetched is written and the output is closed.
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        let mut watch_ctrl_c = true;
        loop {
            // Done: `else` below never fires while the Ctrl-C branch is still armed.
            if input_done && in_flight.is_empty() {
                break;
            }
            let room = in_flight.len() < self.concurrency
                && (self.order == Order::Arrival || started - next_out < window);
            tokio::select! {
                biased;
                Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                    if let Some(pb) = tally.progress {
                        pb.inc(1);
                    }
                    match self.order {
                        Order::Arrival => tally.report(done)?,
                        Order::Input => {
                            waiting.insert(done.seq(), done);
                            while let Some(done) = waiting.remove(&next_out) {
                                tally.report(done)?;
                                next_out += 1;
                            }
                        }
                    }
                }
                item = input.next(), if room && !input_done => match item {
                    Some(item) => {
                        started += 1;
                        in_flight.push(self.fetch(item));
                    }
                    None => input_done = true,
                },
                signal = &mut ctrl_c, if watch_ctrl_c => {
                    if signal.is_ok() {
                        tally.interrupted = true;
                        break;
                    }
                    // No signal handler: keep going without one.
                    watch_ctrl_c = false;
                }
                else => break,
            }
        }
        drop(in_flight);
        // Sequence numbers are contiguous, so nothing is left; flush defensively anyway.
        for (_, done) in std::mem::take(&mut waiting) {
            tally.report(done)?;
        }
        Ok(())
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
            Item::Invalid { seq, message } => Done::Invalid { seq, message },
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
