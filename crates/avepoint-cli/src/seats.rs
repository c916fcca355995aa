//! `avepoint seats`: the concurrent fan-out over the reports (customer x tenant type),
//! sharing one client (and so one token per scope set), with results written as they
//! arrive. The customers come from `--customer`/`--customers-file` ([`crate::input`]) or
//! from the customers listing (`--all-customers`, [`crate::fleet`]).

use std::io::{self, BufWriter};

use avepoint_graph::{Client, SeatStatus, TenantSeats};
use futures::Stream;
use indicatif::ProgressBar;

use crate::cli::{Endpoint, Order, SeatsArgs};
use crate::connect;
use crate::demo::Demo;
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::fanout;
use crate::fleet;
use crate::history;
use crate::input::Source;
use crate::output::{self, Layout, Sink};
use crate::progress::{self, quiet};
use crate::sdk_error::Described;
use crate::shutdown::Stop;
use crate::work::{self, Target, Work, per_type};

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
    // Usage errors (an unopenable customers file, no customers) come before the demo
    // service starts and says so.
    let source = if args.all_customers {
        None
    } else {
        let source = Source::open(args.customers, args.customers_file.as_deref())?;
        if source.is_empty() && !args.demo {
            return Err(Fatal::usage(
                "no customers: pass --customer ID (repeatable), --customers-file PATH (- for stdin) or --all-customers",
            ));
        }
        Some(source)
    };
    let demo = if args.demo {
        Some(Demo::start().await?)
    } else {
        None
    };
    // A demo run without customers queries every demo customer.
    let source = match (source, &demo) {
        (Some(source), Some(demo)) if source.is_empty() => {
            Some(Source::open(demo.customer_ids(), None)?)
        }
        (source, _) => source,
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
            let types = types.clone();
            let input = work::given(source, move |customer| per_type(customer, &types));
            (Box::new(input), progress)
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
    if verbose > 0 {
        diag!("{}", crate::throttling::summary(&job.client.rate_limit()));
    }
    drop(demo);
    match recorder {
        Some(recorder) => recorder.finish(result),
        None => result,
    }
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

/// The outcome of one input entry; a report's `seq` is its position in the input (from 0).
enum Done {
    Report {
        seq: u64,
        target: Target,
        result: Result<Vec<TenantSeats>, avepoint_graph::Error>,
    },
    Invalid {
        message: String,
    },
    ListingFailed {
        error: avepoint_graph::Error,
        listed: u64,
    },
}

/// What has been reported so far.
struct Tally<'a> {
    sink: &'a mut dyn Sink,
    progress: Option<&'a ProgressBar>,
    several_types: bool,
    status: Status,
    total: u64,
    failed: u64,
    /// Lines of the customers file that could not be used (not customers: never counted in
    /// `total` or `failed`).
    unusable_lines: u64,
    /// The customers listed before the listing failed, when it did.
    listing_stopped: Option<u64>,
    /// The signal that stopped the run, when one did.
    stopped: Option<Stop>,
    /// Whether the API refused the token (after the SDK's refresh): the run stops early.
    refused: bool,
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
                quiet(progress, || {
                    diag!("error: customer {what}: {}", Described(&e))
                });
                self.sink.failed(seq, &target, &e)?;
            }
            Done::Invalid { message, .. } => {
                self.unusable_lines += 1;
                self.status = self.status.max(Status::SomeFailed);
                quiet(progress, || diag!("error: {message}"));
                self.sink.incomplete(&message)?;
            }
            Done::ListingFailed { error, listed, .. } => {
                self.status = self.status.max(Status::of_listing_error(&error, listed));
                self.listing_stopped = Some(listed);
                self.sink.incomplete(&format!(
                    "the customers listing failed after {listed} customer(s): {}",
                    Described(&error)
                ))?;
                quiet(progress, || {
                    if listed == 0 {
                        diag!("error: could not list the customers: {}", Described(&error));
                    } else {
                        diag!(
                            "error: the customers listing failed after {listed} customer(s): {}",
                            Described(&error)
                        );
                    }
                });
            }
        }
        Ok(())
    }
}

/// A report in an error line: the customer ID, its organization when known, and the type
/// when the run asked for several (the line is escaped when written, see [`diag!`]).
pub(crate) fn describe(target: &Target, several_types: bool) -> String {
    let mut what = target.customer.id.clone();
    if let Some(name) = &target.customer.organization {
        what.push_str(&format!(" ({name})"));
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
            unusable_lines: 0,
            listing_stopped: None,
            stopped: None,
            refused: false,
        };
        if let Err(e) = self.fan_out(input, &mut tally).await {
            return write_failed(&e, tally.status);
        }
        let Tally {
            sink,
            mut status,
            total,
            failed,
            unusable_lines,
            listing_stopped,
            stopped,
            refused,
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
                diag!(
                    "error: {failed} of {total} {unit}{} failed",
                    if total == 1 { "" } else { "s" }
                );
            });
        }
        if unusable_lines > 0 {
            quiet(progress, || {
                diag!(
                    "error: {unusable_lines} input line{} of the customers file could not be used and {} skipped",
                    if unusable_lines == 1 { "" } else { "s" },
                    if unusable_lines == 1 { "was" } else { "were" }
                );
            });
        }
        if let Some(listed) = listing_stopped.filter(|&n| n > 0) {
            quiet(progress, || {
                diag!(
                    "error: the customers listing is incomplete; the output holds the seats of the {listed} customer(s) listed"
                );
            });
        }
        if refused {
            quiet(progress, || {
                diag!(
                    "error: stopped early: the API refused the access token even after a refresh; check the app's credentials and permissions in Elements"
                )
            });
        }
        if let Some(stop) = stopped {
            quiet(progress, || {
                diag!(
                    "error: {} after {total} {unit}(s); the output holds those",
                    stop.describe()
                )
            });
            status = stop.status();
        }
        tracing::info!(reports = total, failed, unusable_lines, stopped = ?stopped, refused, "done");
        Ok(status)
    }

    /// The fan-out ([`fanout::run`]): at most `concurrency` calls in flight, each report
    /// handed to `tally` in the chosen order; the reports left unfinished when the run stops
    /// early are named.
    async fn fan_out(&self, input: WorkStream, tally: &mut Tally<'_>) -> io::Result<()> {
        let progress = tally.progress;
        let several_types = self.several_types;
        let outcome = fanout::run(
            input,
            self.concurrency,
            self.order,
            |seq, work| self.fetch(seq, work),
            |work| match work {
                Work::Report(target) => Some(describe(target, several_types)),
                _ => None,
            },
            |done| {
                if let Some(pb) = progress
                    && !matches!(done, Done::ListingFailed { .. })
                {
                    pb.inc(1);
                }
                // The API refused the token even after the SDK's refresh: every other call
                // would fail the same way, so the run stops here.
                if let Done::Report { result: Err(e), .. } = done
                    && Status::of_call_error(e) == Status::Authentication
                {
                    fanout::Flow::Halt
                } else {
                    fanout::Flow::Continue
                }
            },
            |done| tally.report(done),
        )
        .await?;
        match outcome.ended {
            fanout::Ended::Complete => {}
            fanout::Ended::Stopped(stop) => tally.stopped = Some(stop),
            fanout::Ended::Halted => tally.refused = true,
        }
        let why = match tally.stopped {
            Some(stop) => stop.describe(),
            None => "the run stopped early",
        };
        quiet(progress, || {
            for what in &outcome.unreported {
                diag!("error: customer {what}: not reported ({why} before its answer arrived)");
            }
        });
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
            Work::Invalid(message) => Done::Invalid { message },
            Work::ListingFailed { error, listed } => Done::ListingFailed { error, listed },
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
pub(crate) fn write_failed(e: &io::Error, status: Status) -> Result<Status, Fatal> {
    if e.kind() == io::ErrorKind::BrokenPipe {
        tracing::debug!("stdout was closed; stopping");
        Ok(status)
    } else {
        Err(Fatal::output(e))
    }
}
