//! `avepoint seats`: the concurrent fan-out over the reports (customer x tenant type),
//! sharing one client (and so one token per scope set), with results written as they
//! arrive. The customers come from `--customer`/`--customers-file` ([`crate::input`]) or
//! from the customers listing (`--all-customers`, [`crate::fleet`]).

use std::collections::BTreeMap;
use std::io::{self, BufWriter};

use avepoint_graph::{Client, SeatStatus, TenantSeats, TenantType};
use futures::stream::FuturesUnordered;
use futures::{Stream, StreamExt as _};
use indicatif::ProgressBar;

use crate::cli::{Endpoint, Order, SeatsArgs};
use crate::connect;
use crate::demo::Demo;
use crate::exit::{Fatal, Status};
use crate::fleet;
use crate::history;
use crate::input::{Item, Source};
use crate::output::{self, Layout, Sink};
use crate::progress::{self, quiet};
use crate::work::{CustomerRef, Target, Work, per_type};

/// The fan-out's input.
type WorkStream = Box<dyn Stream<Item = Work> + Send + Unpin>;

/// Runs `avepoint seats`. `verbose` turns the progress bar off (it would fight the logs).
pub(crate) async fn run(args: SeatsArgs, verbose: u8) -> Result<Status, Fatal> {
    if args.status.is_some() && args.endpoint == Endpoint::Batch {
        return Err(Fatal::usage(
            "--status needs --endpoint users: the tenants/batch report has no seat-status filter",
        ));
    }
    let history = history::recorder::Plan::of(&args);
    let types = args.tenant_types();
    let unit = if types.len() == 1 {
        "customers"
    } else {
        "reports"
    };
    let demo = if args.demo {
        Some(Demo::start().await?)
    } else {
        None
    };
    let source = if args.all_customers {
        None
    } else {
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
                "no customers: pass --customer ID (repeatable), --customers-file PATH (- for stdin) or --all-customers",
            ));
        }
        Some(source)
    };
    let client = connect::client(demo.as_ref(), &args.connection)?;
    // The history database is checked before anything goes over the network.
    let history = history.map(history::recorder::Plan::open).transpose()?;
    // The tokens for the whole run, fetched up front: bad credentials fail once, here.
    if args.all_customers {
        connect::authenticate_customers(&client).await?;
    }
    connect::authenticate_seats(&client).await?;
    let mut recorder = history.map(|h| h.start(&client)).transpose()?;

    let types_len = types.len() as u64;
    let (input, progress): (WorkStream, _) = match source {
        Some(source) => {
            let len = source.known_len().map(|n| n.saturating_mul(types_len));
            let progress = progress::start(len, unit, verbose);
            (Box::new(given_customers(source, types.clone())), progress)
        }
        None => {
            let progress = progress::start(None, unit, verbose);
            let input = fleet::work(&client, types.clone(), progress.clone(), unit);
            (Box::new(input), progress)
        }
    };
    let stdout = BufWriter::new(io::stdout());
    let layout = Layout {
        organization: args.all_customers,
        types: types.clone(),
    };
    let mut sink = output::sink(args.output, layout, stdout);
    let job = Job {
        client,
        status: args.status,
        endpoint: args.endpoint,
        concurrency: usize::from(args.concurrency),
        order: args.order,
        several_types: types.len() > 1,
    };
    let result = match recorder.as_mut() {
        Some(recorder) => {
            let mut recorded = recorder.sink(sink.as_mut());
            job.run(input, &mut recorded, progress.as_ref()).await
        }
        None => job.run(input, sink.as_mut(), progress.as_ref()).await,
    };
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    drop(demo);
    match recorder {
        Some(recorder) => recorder.finish(result),
        None => result,
    }
}

/// The reports of the given customer IDs: each ID once per type, in input order.
fn given_customers(
    source: Source,
    types: Vec<TenantType>,
) -> impl Stream<Item = Work> + Send + Unpin + 'static {
    source.into_stream().flat_map(move |item| {
        futures::stream::iter(match item {
            Item::Customer(id) => per_type(
                CustomerRef {
                    id,
                    organization: None,
                },
                &types,
            ),
            Item::Invalid(message) => vec![Work::Invalid(message)],
        })
    })
}

/// What every call shares.
struct Job {
    client: Client,
    status: Option<SeatStatus>,
    endpoint: Endpoint,
    concurrency: usize,
    order: Order,
    several_types: bool,
}

/// How many finished reports may wait for an earlier, slower one in `--order input`, per
/// unit of concurrency. Bounds memory while keeping every slot busy behind a slow customer.
const REORDER_WINDOW_PER_SLOT: u64 = 64;

/// The outcome of one input entry; `seq` is its position in the input (from 0).
enum Done {
    Report {
        seq: u64,
        target: Target,
        result: Result<Vec<TenantSeats>, avepoint_graph::Error>,
    },
    Invalid {
        seq: u64,
        message: String,
    },
    ListingFailed {
        seq: u64,
        error: avepoint_graph::Error,
        listed: u64,
    },
}

impl Done {
    fn seq(&self) -> u64 {
        match self {
            Self::Report { seq, .. }
            | Self::Invalid { seq, .. }
            | Self::ListingFailed { seq, .. } => *seq,
        }
    }
}

/// What has been reported so far.
struct Tally<'a> {
    sink: &'a mut dyn Sink,
    progress: Option<&'a ProgressBar>,
    several_types: bool,
    status: Status,
    total: u64,
    failed: u64,
    /// The customers listed before the listing failed, when it did.
    listing_stopped: Option<u64>,
    interrupted: bool,
}

impl Tally<'_> {
    /// Writes one finished entry: rows to the sink, a failure to stderr.
    fn report(&mut self, done: Done) -> io::Result<()> {
        let progress = self.progress;
        match done {
            Done::Report {
                seq,
                target,
                result: Ok(tenants),
            } => {
                self.total += 1;
                let sink = &mut *self.sink;
                quiet(progress, || sink.report(seq, &target, &tenants))?;
            }
            Done::Report {
                seq,
                target,
                result: Err(e),
            } => {
                self.total += 1;
                self.failed += 1;
                self.status = self.status.max(Status::of_call_error(&e));
                let what = describe(&target, self.several_types);
                quiet(progress, || eprintln!("error: customer {what}: {e}"));
                self.sink.failed(seq, &target, &e)?;
            }
            Done::Invalid { message, .. } => {
                self.total += 1;
                self.failed += 1;
                self.status = self.status.max(Status::SomeFailed);
                quiet(progress, || eprintln!("error: {message}"));
                self.sink.incomplete(&message)?;
            }
            Done::ListingFailed { error, listed, .. } => {
                self.status = self.status.max(Status::of_listing_error(&error, listed));
                self.listing_stopped = Some(listed);
                self.sink.incomplete(&format!(
                    "the customers listing failed after {listed} customer(s): {error}"
                ))?;
                quiet(progress, || {
                    if listed == 0 {
                        eprintln!("error: could not list the customers: {error}");
                    } else {
                        eprintln!(
                            "error: the customers listing failed after {listed} customer(s): {error}"
                        );
                    }
                });
            }
        }
        Ok(())
    }
}

/// A report in an error line: the customer ID (escaped), its organization when known, and
/// the type when the run asked for several.
pub(crate) fn describe(target: &Target, several_types: bool) -> String {
    let mut what = target.customer.id.escape_debug().to_string();
    if let Some(name) = &target.customer.organization {
        what.push_str(&format!(" ({})", name.escape_debug()));
    }
    if several_types {
        what.push(' ');
        what.push_str(target.tenant_type.short_name());
    }
    what
}

impl Job {
    /// Fetches every report of `input`, at most `concurrency` at a time, writing each answer
    /// to `sink` as soon as its turn comes (`--order input`) or as it arrives (`--order
    /// arrival`), and each failure to stderr.
    async fn run(
        &self,
        input: WorkStream,
        sink: &mut dyn Sink,
        progress: Option<&ProgressBar>,
    ) -> Result<Status, Fatal> {
        if let Err(e) = quiet(progress, || sink.begin()) {
            return write_failed(&e, Status::Success);
        }
        let mut tally = Tally {
            sink,
            progress,
            several_types: self.several_types,
            status: Status::Success,
            total: 0,
            failed: 0,
            listing_stopped: None,
            interrupted: false,
        };
        if let Err(e) = self.fan_out(input, &mut tally).await {
            return write_failed(&e, tally.status);
        }
        let Tally {
            sink,
            mut status,
            total,
            failed,
            listing_stopped,
            interrupted,
            ..
        } = tally;
        if let Err(e) = quiet(progress, || sink.finish()) {
            return write_failed(&e, status);
        }
        let unit = if self.several_types {
            "report"
        } else {
            "customer"
        };
        if failed > 0 {
            quiet(progress, || {
                eprintln!(
                    "error: {failed} of {total} {unit}{} failed",
                    if total == 1 { "" } else { "s" }
                );
            });
        }
        if let Some(listed) = listing_stopped.filter(|&n| n > 0) {
            quiet(progress, || {
                eprintln!(
                    "error: the customers listing is incomplete; the output holds the seats of the {listed} customer(s) listed"
                );
            });
        }
        if interrupted {
            quiet(progress, || {
                eprintln!("error: interrupted after {total} {unit}(s); the output holds those")
            });
            status = Status::Interrupted;
        }
        tracing::info!(reports = total, failed, interrupted, "done");
        Ok(status)
    }

    /// The fan-out: at most `concurrency` calls in flight; in input order, finished entries
    /// wait in a bounded window for the earlier ones.
    async fn fan_out(&self, mut input: WorkStream, tally: &mut Tally<'_>) -> io::Result<()> {
        let window = REORDER_WINDOW_PER_SLOT * self.concurrency as u64;
        let mut input_done = false;
        let mut in_flight = FuturesUnordered::new();
        let mut waiting: BTreeMap<u64, Done> = BTreeMap::new();
        let (mut started, mut next_out) = (0u64, 0u64);
        // Ctrl-C (or SIGTERM) stops the fan-out; what was fetched is written and the output
        // is closed.
        let ctrl_c = crate::interrupt::requested();
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
                    if let Some(pb) = tally.progress
                        && !matches!(done, Done::ListingFailed { .. })
                    {
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
                // Cancel-safe: the input streams keep their pending read or page fetch.
                work = input.next(), if room && !input_done => match work {
                    Some(work) => {
                        in_flight.push(self.fetch(started, work));
                        started += 1;
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

    /// Runs one entry of the input.
    async fn fetch(&self, seq: u64, work: Work) -> Done {
        match work {
            Work::Report(target) => {
                let result = self.seats(&target).await;
                Done::Report {
                    seq,
                    target,
                    result,
                }
            }
            Work::Invalid(message) => Done::Invalid { seq, message },
            Work::ListingFailed { error, listed } => Done::ListingFailed { seq, error, listed },
        }
    }

    /// One customer's tenants of one type, from the chosen endpoint.
    async fn seats(&self, target: &Target) -> Result<Vec<TenantSeats>, avepoint_graph::Error> {
        let id = target.customer.id.clone();
        match self.endpoint {
            Endpoint::Users => {
                let mut request = self.client.tenant_user_seats(id, target.tenant_type);
                if let Some(status) = self.status {
                    request = request.status(status);
                }
                request.send().await
            }
            Endpoint::Batch => {
                let records = self
                    .client
                    .tenant_seats_batch(id, target.tenant_type)
                    .collect_all()
                    .await?;
                Ok(records.into_iter().map(TenantSeats::from).collect())
            }
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
