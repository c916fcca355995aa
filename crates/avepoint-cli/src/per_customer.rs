//! The run every licensing command shares (`overview`, `products`, `services`,
//! `reconcile`): the customers of the selection (given IDs or the whole listing, as for
//! `seats`), one unit of work per customer on the shared fan-out ([`crate::fanout`]), each
//! customer's rows written as its turn comes, failures named on stderr, and the exit status.
//!
//! A command says what a customer's rows are ([`Licensing`]); all of a customer's calls
//! must succeed for its rows to be written (a customer is reported whole or named as
//! failed). Calls are bounded by `--concurrency` across all customers, so a customer with
//! many calls runs them in parallel without exceeding it.

use std::future::Future;
use std::io::{self, BufWriter};
use std::sync::Arc;

use avepoint_graph::Client;
use futures::Stream;
use indicatif::ProgressBar;
use serde_json::Value;
use tokio::sync::Semaphore;

use crate::connect;
use crate::demo::Demo;
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::fanout::{self, Ended, Flow};
use crate::fleet;
use crate::input::Source;
use crate::progress::{self, quiet};
use crate::rows::{self, Column, Footer, Row, RowSink};
use crate::sdk_error::Described;
use crate::seats::write_failed;
use crate::selection::SelectionArgs;
use crate::work::{self, CustomerRef, Work};

/// What a customer's run produced: its rows, and warnings to print (values kept as sent).
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// The rows, `customerId` first.
    pub(crate) rows: Vec<Row>,
    /// Warnings about this customer's data (printed to stderr, not failures).
    pub(crate) warnings: Vec<String>,
}

/// A licensing command: its columns and how one customer's rows are fetched.
pub(crate) trait Licensing: Sync {
    /// The columns, `customerId` first (an `organization` column is inserted after it with
    /// `--all-customers` when [`Licensing::listing_organization`] is true).
    fn columns(&self) -> Vec<Column>;

    /// Whether `--all-customers` adds the listing's organization column (default yes).
    fn listing_organization(&self) -> bool {
        true
    }

    /// The rows of one customer; `calls` runs each API call within the concurrency bound.
    fn fetch<'a>(
        &'a self,
        calls: &'a Calls,
        customer: &'a CustomerRef,
    ) -> impl Future<Output = Result<Rows, avepoint_graph::Error>> + 'a;

    /// The lines after the table (default none).
    fn footer(&self) -> Footer {
        Box::new(|_, _| Vec::new())
    }

    /// Whether a row is a finding that fails the run with exit code 4 (`--fail-on`).
    fn is_finding(&self, _columns: &[Column], _row: &Row) -> bool {
        false
    }
}

/// The client of the run, with the bound on calls in flight.
pub(crate) struct Calls {
    /// The client (one token for the whole run).
    pub(crate) client: Client,
    permits: Semaphore,
}

impl Calls {
    /// Runs one API call once a slot of `--concurrency` is free.
    pub(crate) async fn call<T>(&self, call: impl Future<Output = T>) -> T {
        // The semaphore is never closed, so acquiring only waits.
        let _permit = self.permits.acquire().await.ok();
        call.await
    }
}

/// The outcome of one input entry.
enum Done {
    Customer {
        customer: Arc<CustomerRef>,
        result: Result<Rows, avepoint_graph::Error>,
    },
    Invalid(String),
    ListingFailed {
        error: avepoint_graph::Error,
        listed: u64,
    },
}

/// Runs `command` over the customers of `selection`. `verbose` turns the progress bar off.
pub(crate) async fn run<C: Licensing>(
    selection: SelectionArgs,
    command: C,
    verbose: u8,
) -> Result<Status, Fatal> {
    let demo = if selection.demo {
        Some(Demo::start().await?)
    } else {
        None
    };
    let source = if selection.all_customers {
        None
    } else {
        let mut ids = selection.customers;
        if let Some(demo) = &demo
            && ids.is_empty()
            && selection.customers_file.is_none()
        {
            ids = demo.customer_ids();
        }
        let source = Source::open(ids, selection.customers_file.as_deref())?;
        if source.is_empty() {
            return Err(Fatal::usage(
                "no customers: pass --customer ID (repeatable), --customers-file PATH (- for stdin) or --all-customers",
            ));
        }
        Some(source)
    };
    let client = connect::client(demo.as_ref(), &selection.connection)?;
    // The tokens for the whole run, fetched up front: bad credentials fail once, here.
    if selection.all_customers {
        connect::authenticate_customers(&client).await?;
    }
    connect::authenticate_seats(&client).await?;

    let one = |customer: CustomerRef| vec![Work::Report(Arc::new(customer))];
    type Input = Box<dyn Stream<Item = Work<Arc<CustomerRef>>> + Send + Unpin>;
    let (input, progress): (Input, _) = match source {
        Some(source) => {
            let progress = progress::start(source.known_len(), "customers", verbose);
            (Box::new(work::given(source, one)), progress)
        }
        None => {
            let progress = progress::start(None, "customers", verbose);
            let input = fleet::listing(&client, one, 1, progress.clone(), "customers");
            (Box::new(input), progress)
        }
    };

    let organization = selection.all_customers && command.listing_organization();
    let mut columns = command.columns();
    if organization {
        columns.insert(1, Column::text("organization", "ORGANIZATION"));
    }
    let stdout = BufWriter::new(io::stdout());
    let mut sink = rows::sink(selection.output, columns.clone(), command.footer(), stdout);
    let calls = Calls {
        client,
        permits: Semaphore::new(usize::from(selection.concurrency)),
    };
    let mut tally = Tally {
        command: &command,
        columns: &columns,
        organization,
        sink: sink.as_mut(),
        progress: progress.as_ref(),
        status: Status::Success,
        total: 0,
        failed: 0,
        findings: 0,
        unusable_lines: 0,
        listing_stopped: None,
    };
    let result = tally
        .run(input, &calls, selection.concurrency, selection.order)
        .await;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    if verbose > 0 {
        diag!("{}", crate::throttling::summary(&calls.client.rate_limit()));
    }
    drop(demo);
    result
}

/// What has been reported so far.
struct Tally<'a, C> {
    command: &'a C,
    columns: &'a [Column],
    organization: bool,
    sink: &'a mut dyn RowSink,
    progress: Option<&'a ProgressBar>,
    status: Status,
    total: u64,
    failed: u64,
    findings: u64,
    /// Lines of the customers file that could not be used (not customers: never counted in
    /// `total` or `failed`).
    unusable_lines: u64,
    listing_stopped: Option<u64>,
}

impl<C: Licensing> Tally<'_, C> {
    async fn run(
        &mut self,
        input: impl Stream<Item = Work<Arc<CustomerRef>>> + Unpin,
        calls: &Calls,
        concurrency: u16,
        order: crate::cli::Order,
    ) -> Result<Status, Fatal> {
        let progress = self.progress;
        if let Err(e) = quiet(progress, || self.sink.begin()) {
            return write_failed(&e, self.status);
        }
        let command = self.command;
        let outcome = fanout::run(
            input,
            usize::from(concurrency),
            order,
            |_, work| async move {
                match work {
                    Work::Report(customer) => {
                        let result = command.fetch(calls, &customer).await;
                        Done::Customer { customer, result }
                    }
                    Work::Invalid(message) => Done::Invalid(message),
                    Work::ListingFailed { error, listed } => Done::ListingFailed { error, listed },
                }
            },
            |work| match work {
                Work::Report(customer) => Some(describe(customer)),
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
                if let Done::Customer { result: Err(e), .. } = done
                    && Status::of_call_error(e) == Status::Authentication
                {
                    Flow::Halt
                } else {
                    Flow::Continue
                }
            },
            |done| self.report(done),
        )
        .await;
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => return write_failed(&e, self.status),
        };
        if let Err(e) = quiet(progress, || self.sink.finish()) {
            return write_failed(&e, self.status);
        }
        let (failed, total) = (self.failed, self.total);
        quiet(progress, || {
            if failed > 0 {
                diag!(
                    "error: {failed} of {total} customer{} failed",
                    if total == 1 { "" } else { "s" }
                );
            }
        });
        let unusable_lines = self.unusable_lines;
        if unusable_lines > 0 {
            quiet(progress, || {
                diag!(
                    "error: {unusable_lines} input line{} of the customers file could not be used and {} skipped",
                    if unusable_lines == 1 { "" } else { "s" },
                    if unusable_lines == 1 { "was" } else { "were" }
                );
            });
        }
        if let Some(listed) = self.listing_stopped.filter(|&n| n > 0) {
            quiet(progress, || {
                diag!(
                    "error: the customers listing is incomplete; the output holds the {listed} customer(s) listed"
                );
            });
        }
        let mut status = self.status;
        if self.findings > 0 {
            status = status.max(Status::Findings);
        }
        let why = match outcome.ended {
            Ended::Complete => None,
            Ended::Stopped(stop) => {
                quiet(progress, || {
                    diag!(
                        "error: {} after {total} customer(s); the output holds those",
                        stop.describe()
                    )
                });
                status = stop.status();
                Some(stop.describe())
            }
            Ended::Halted => {
                quiet(progress, || {
                    diag!(
                        "error: stopped early: the API refused the access token even after a refresh; check the app's credentials and permissions in Elements"
                    )
                });
                Some("the run stopped early")
            }
        };
        if let Some(why) = why {
            quiet(progress, || {
                for what in &outcome.unreported {
                    diag!("error: customer {what}: not reported ({why} before its answer arrived)");
                }
            });
        }
        tracing::info!(customers = total, failed, findings = self.findings, "done");
        Ok(status)
    }

    /// Writes one finished entry: rows to the sink, a failure to stderr.
    fn report(&mut self, done: Done) -> io::Result<()> {
        let progress = self.progress;
        match done {
            Done::Customer {
                customer,
                result: Ok(mut rows),
            } => {
                self.total += 1;
                let what = describe(&customer);
                quiet(progress, || {
                    for warning in &rows.warnings {
                        diag!("warning: customer {what}: {warning}");
                    }
                });
                if self.organization {
                    let name = customer
                        .organization
                        .as_deref()
                        .map_or(Value::Null, |n| Value::String(n.to_owned()));
                    for row in &mut rows.rows {
                        row.insert(1, name.clone());
                    }
                }
                self.findings += rows
                    .rows
                    .iter()
                    .filter(|row| self.command.is_finding(self.columns, row))
                    .count() as u64;
                let sink = &mut *self.sink;
                quiet(progress, || sink.rows(&rows.rows))?;
            }
            Done::Customer {
                customer,
                result: Err(e),
            } => {
                self.total += 1;
                self.failed += 1;
                self.status = self.status.max(Status::of_call_error(&e));
                let what = describe(&customer);
                quiet(progress, || {
                    diag!("error: customer {what}: {}", Described(&e))
                });
            }
            Done::Invalid(message) => {
                self.unusable_lines += 1;
                self.status = self.status.max(Status::SomeFailed);
                quiet(progress, || diag!("error: {message}"));
            }
            Done::ListingFailed { error, listed } => {
                self.status = self.status.max(Status::of_listing_error(&error, listed));
                self.listing_stopped = Some(listed);
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

/// A customer in a message: its ID (escaped) and organization when known.
fn describe(customer: &CustomerRef) -> String {
    let mut what = customer.id.clone();
    if let Some(name) = &customer.organization {
        what.push_str(&format!(" ({name})"));
    }
    what
}

/// The value of column `key` of `row`.
pub(crate) fn value<'a>(columns: &[Column], row: &'a Row, key: &str) -> Option<&'a Value> {
    columns
        .iter()
        .position(|c| c.key == key)
        .and_then(|i| row.get(i))
}

/// Whether an SDK error is a `404 Not Found` answer.
pub(crate) fn is_not_found(e: &avepoint_graph::Error) -> bool {
    e.status() == Some(404)
}

/// `result`, with a `404 Not Found` answer turned into `None` when `skip_not_found` is set
/// (the item does not exist for this customer); any other error stays an error.
pub(crate) fn found<T>(
    result: Result<T, avepoint_graph::Error>,
    skip_not_found: bool,
) -> Result<Option<T>, avepoint_graph::Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if skip_not_found && is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}
