//! `avepoint seats --record`: the run is written to the history database while it streams.
//!
//! [`Pending::open`] checks and opens the database before anything goes over the network
//! (a bad path fails the run at once, with exit 2). [`Pending::start`] inserts the run
//! (`running`) once the tokens are there, and hands the connection to a writer thread fed
//! by a bounded channel: the fan-out only queues each report (and waits when the writer is
//! 1,024 reports behind, so memory stays flat), the thread writes them in batched
//! `BEGIN IMMEDIATE` transactions. [`Recorder::sink`] tees the output into it; at the end
//! [`Recorder::finish`] marks the run `complete`, `partial` or `interrupted`.
//!
//! A run killed outright (SIGKILL, power loss) keeps the state `running`: whatever was
//! committed stays readable, and the run is never taken for a finished one. When a write
//! fails (e.g. the disk is full), the batch is rolled back, nothing more is written for the
//! run, the output goes on, and the run is marked `partial` with the error (earlier runs
//! are untouched).

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use avepoint_graph::{Client, TenantSeats, TenantType};
use rusqlite::{Connection, TransactionBehavior, params};
use serde::Serialize;

use super::customer_tally::CustomerTally;
use super::location::DbLocation;
use super::reserve::Reserve;
use super::store::{self, RunState, to_sql_int};
use super::tenants_blob;
use crate::cli::{Endpoint, SeatsArgs};
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::output::Sink;
use crate::work::{CustomerRef, Target};

/// Reports queued for the writer before the fan-out waits for it.
const CHANNEL_CAPACITY: usize = 1024;

/// Reports one `INSERT` writes (a batch's last few are inserted one by one): a statement
/// of many rows saves the per-statement work of each, and its cursor stays on the table's
/// last page from one row to the next (the rows are appended in key order).
const ROWS_PER_INSERT: usize = 32;

/// Parameters of one report in an `INSERT` (see [`bind_report`]).
const REPORT_PARAMS: usize = 9;

/// Most reports written in one transaction.
const BATCH_MAX: usize = 2048;

/// How long the writer gathers reports into a batch after the first one arrives: a
/// transaction per report would cost a WAL write per report; this bounds the commits to
/// about 100 a second (each costs a few pages more than its rows), and both what a crash
/// can lose and what is left to write when the fan-out ends to the last 10 ms of reports.
const BATCH_WINDOW: Duration = Duration::from_millis(10);

/// How long the writer naps between draining the queue while it gathers a batch. Waiting
/// on the queue instead would have every report wake the writer (a futex wake by the
/// fan-out and a context switch per report, the bulk of the recording's CPU); napping costs
/// one wake per nap, and the queue holds far more than a nap's worth of reports.
const GATHER_NAP: Duration = Duration::from_millis(2);

/// The writer's page cache, in KiB (a negative `cache_size`; SQLite's default is 2,000):
/// rows are appended in key order, so only the right edge of each table is touched.
const WRITER_CACHE_KIB: i64 = -512;

/// WAL pages after which a commit checkpoints them into the database (SQLite's default is
/// 1,000): the writer copies the WAL back while the fan-out still runs, so the checkpoint
/// when the database closes at the end has only the last pages left to copy and sync.
const WAL_CHECKPOINT_PAGES: i64 = 256;

/// The page cache while the run's counts are taken, in KiB (a negative `cache_size`).
const COUNTING_CACHE_KIB: i64 = -256;

/// The current time as stored: RFC 3339 in UTC with milliseconds.
pub(crate) const NOW_SQL: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

/// What a run asked for, as stored in `runs.selection` (never a secret: no credentials,
/// no client id).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Selection {
    /// `given` (`--customer`/`--customers-file`), `all` (`--all-customers`) or `demo`
    /// (every demo customer).
    customers: &'static str,
    /// How many `--customer` flags.
    customer_flags: usize,
    /// `--customers-file`, if any.
    customers_file: Option<String>,
    /// The tenant types, in order.
    tenant_types: Vec<&'static str>,
    /// `users` or `batch`.
    endpoint: &'static str,
    /// `--status`, if any.
    status: Option<&'static str>,
    /// `--demo`.
    demo: bool,
}

/// What `--record` will record, read from the arguments before anything is opened.
pub(crate) struct Plan {
    db: Option<PathBuf>,
    selection: String,
    types: Vec<TenantType>,
    organization: bool,
}

impl Plan {
    /// The recording `args` ask for (`--record`), if any.
    pub(crate) fn of(args: &SeatsArgs) -> Option<Self> {
        if !args.record.record {
            return None;
        }
        let customers = if args.all_customers {
            "all"
        } else if args.demo && args.customers.is_empty() && args.customers_file.is_none() {
            "demo"
        } else {
            "given"
        };
        let types = args.tenant_types();
        let selection = Selection {
            customers,
            customer_flags: args.customers.len(),
            customers_file: args
                .customers_file
                .as_ref()
                .map(|p| p.display().to_string()),
            tenant_types: types.iter().map(|t| t.short_name()).collect(),
            endpoint: match args.endpoint {
                Endpoint::Users => "users",
                Endpoint::Batch => "batch",
            },
            status: args.status.map(|s| s.short_name()),
            demo: args.demo,
        };
        Some(Self {
            db: args.record.db.clone(),
            selection: serde_json::to_string(&selection).unwrap_or_else(|_| "{}".to_owned()),
            types,
            organization: args.all_customers,
        })
    }

    /// Resolves and opens the database (exit 2 when it cannot be used).
    pub(crate) fn open(self) -> Result<Pending, Fatal> {
        let location = DbLocation::resolve(self.db.as_deref())?;
        let conn = store::open_for_writing(&location)?;
        Ok(Pending {
            conn,
            path: location.path,
            plan: self,
        })
    }
}

/// The database opened for a run that has not started yet.
pub(crate) struct Pending {
    conn: Connection,
    path: PathBuf,
    plan: Plan,
}

impl Pending {
    /// Inserts the run (`running`) and starts the writer.
    pub(crate) fn start(self, client: &Client) -> Result<Recorder, Fatal> {
        let plan = &self.plan;
        let types: Vec<String> = plan.types.iter().map(|t| t.code().to_string()).collect();
        let inserted = self.conn.execute(
            &format!(
                "INSERT INTO runs (started_at, state, selection, base_url, tenant_types, organization)
                 VALUES ({NOW_SQL}, ?1, ?2, ?3, ?4, ?5)"
            ),
            params![
                RunState::Running.as_str(),
                plan.selection,
                client.endpoints().api_base(),
                types.join(","),
                plan.organization
            ],
        );
        if let Err(e) = inserted {
            return Err(Fatal::usage(format!(
                "history database {}: cannot start recording: {e}",
                self.path.display()
            )));
        }
        let run_id = self.conn.last_insert_rowid();
        for (pragma, value) in [
            ("cache_size", WRITER_CACHE_KIB),
            ("wal_autocheckpoint", WAL_CHECKPOINT_PAGES),
        ] {
            if let Err(e) = self.conn.pragma_update(None, pragma, value) {
                tracing::debug!("could not set {pragma}: {e}");
            }
        }
        tracing::info!(run_id, path = %self.path.display(), "recording the run");
        let (sender, receiver) = sync_channel(CHANNEL_CAPACITY);
        let conn = self.conn;
        let reserve = Reserve::claim(&self.path);
        let thread = std::thread::Builder::new()
            .name("avepoint-history".into())
            .spawn(move || Writer::new(conn, run_id, reserve).run(&receiver))
            .map_err(|e| Fatal {
                status: Status::SomeFailed,
                message: format!("could not start the history writer: {e}"),
            })?;
        Ok(Recorder {
            run_id,
            path: self.path,
            sender: Some(sender),
            thread: Some(thread),
            failures: 0,
            output_finished: false,
            notes: Vec::new(),
        })
    }
}

/// What the writer is sent.
enum Message {
    /// One customer x type: its tenants (how many, and encoded as stored: one allocation on
    /// the fan-out's side, one insert on the writer's), or the error.
    Report {
        seq: u64,
        customer: Arc<CustomerRef>,
        tenant_type: TenantType,
        outcome: Result<(u64, Vec<u8>), String>,
    },
    /// The run is over.
    End {
        state: RunState,
        error: Option<String>,
    },
}

/// How the writer ended.
#[derive(Debug, Default)]
struct WriterOutcome {
    /// The first write that failed.
    error: Option<String>,
    /// Whether the run's end (state, counts) was written.
    ended: bool,
}

/// A recording run: the writer thread and what the output told it.
pub(crate) struct Recorder {
    run_id: i64,
    path: PathBuf,
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<WriterOutcome>>,
    failures: u64,
    output_finished: bool,
    notes: Vec<String>,
}

impl Recorder {
    /// The output `inner`, teed into this recording.
    pub(crate) fn sink<'a>(&'a mut self, inner: &'a mut dyn Sink) -> RecordingSink<'a> {
        RecordingSink {
            inner,
            recorder: self,
        }
    }

    fn send(&mut self, message: Message) {
        if let Some(sender) = &self.sender
            && sender.send(message).is_err()
        {
            // The writer has stopped; its outcome says why.
            self.sender = None;
        }
    }

    /// Ends the recording after the fan-out returned `result`: marks the run and waits
    /// for the writer. A recording that failed turns a success into exit 1.
    pub(crate) fn finish(mut self, result: Result<Status, Fatal>) -> Result<Status, Fatal> {
        let (state, mut error) = match &result {
            Err(fatal) => (RunState::Partial, Some(fatal.message.clone())),
            Ok(_) if !self.output_finished => (
                RunState::Interrupted,
                Some("stopped early: the output was closed".to_owned()),
            ),
            Ok(Status::Interrupted | Status::Terminated) => (RunState::Interrupted, None),
            Ok(Status::Success) if self.failures == 0 => (RunState::Complete, None),
            Ok(_) => (RunState::Partial, None),
        };
        if !self.notes.is_empty() {
            let notes = self.notes.join("; ");
            error = Some(match error {
                Some(e) => format!("{e}; {notes}"),
                None => notes,
            });
        }
        self.send(Message::End { state, error });
        self.sender = None;
        let outcome = self
            .thread
            .take()
            .map(|t| {
                t.join().unwrap_or_else(|_| WriterOutcome {
                    error: Some("the history writer panicked".to_owned()),
                    ended: false,
                })
            })
            .unwrap_or_default();
        let Some(e) = outcome.error else {
            tracing::info!(run_id = self.run_id, state = state.as_str(), "run recorded");
            return result;
        };
        let marked = if outcome.ended {
            "the run is marked partial"
        } else {
            "the run could not be marked and stays `running`"
        };
        diag!(
            "error: could not record run {} in the history database {}: {e}; {marked} (the rows written before are kept)",
            self.run_id,
            self.path.display()
        );
        result.map(|status| status.max(Status::SomeFailed))
    }
}

/// An output that also records every report (see [`Recorder::sink`]).
pub(crate) struct RecordingSink<'a> {
    inner: &'a mut dyn Sink,
    recorder: &'a mut Recorder,
}

impl Sink for RecordingSink<'_> {
    fn begin(&mut self) -> io::Result<()> {
        self.inner.begin()
    }

    fn report(&mut self, seq: u64, target: &Target, tenants: &[TenantSeats]) -> io::Result<()> {
        self.recorder.send(Message::Report {
            seq,
            customer: Arc::clone(&target.customer),
            tenant_type: target.tenant_type,
            outcome: Ok((tenants.len() as u64, tenants_blob::encode(tenants))),
        });
        self.inner.report(seq, target, tenants)
    }

    fn failed(
        &mut self,
        seq: u64,
        target: &Target,
        error: &avepoint_graph::Error,
    ) -> io::Result<()> {
        self.recorder.failures += 1;
        self.recorder.send(Message::Report {
            seq,
            customer: Arc::clone(&target.customer),
            tenant_type: target.tenant_type,
            outcome: Err(crate::sdk_error::message(error)),
        });
        self.inner.failed(seq, target, error)
    }

    fn incomplete(&mut self, message: &str) -> io::Result<()> {
        self.recorder.failures += 1;
        // A handful at most is kept for the run's error (e.g. the listing's failure).
        if self.recorder.notes.len() < 5 {
            self.recorder.notes.push(message.to_owned());
        }
        self.inner.incomplete(message)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.recorder.output_finished = true;
        self.inner.finish()
    }
}

/// `INSERT` of `rows` reports: a parameter per column of each, in [`bind_report`]'s order.
fn insert_sql(rows: usize) -> String {
    let mut sql = String::from(
        "INSERT INTO reports (run_id, seq, customer_id, organization, tenant_type, ok, error, \
         tenant_count, tenants) VALUES ",
    );
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?,?)");
    }
    sql
}

/// Binds `message`'s report to the [`REPORT_PARAMS`] parameters after `offset`; returns
/// its tenant count.
fn bind_report(
    stmt: &mut rusqlite::Statement<'_>,
    offset: usize,
    run_id: i64,
    message: &Message,
) -> rusqlite::Result<u64> {
    let Message::Report {
        seq,
        customer,
        tenant_type,
        outcome,
    } = message
    else {
        return Ok(0);
    };
    let (count, tenants, error) = match outcome {
        Ok((count, tenants)) => (*count, Some(tenants.as_slice()), None),
        Err(e) => (0, None, Some(e.as_str())),
    };
    stmt.raw_bind_parameter(offset + 1, run_id)?;
    stmt.raw_bind_parameter(offset + 2, to_sql_int(*seq))?;
    stmt.raw_bind_parameter(offset + 3, customer.id.as_str())?;
    stmt.raw_bind_parameter(offset + 4, customer.organization.as_deref())?;
    stmt.raw_bind_parameter(offset + 5, tenant_type.code())?;
    stmt.raw_bind_parameter(offset + 6, outcome.is_ok())?;
    stmt.raw_bind_parameter(offset + 7, error)?;
    stmt.raw_bind_parameter(offset + 8, to_sql_int(count))?;
    stmt.raw_bind_parameter(offset + 9, tenants)?;
    Ok(count)
}

/// The writer thread's state.
struct Writer {
    conn: Connection,
    run_id: i64,
    rows: u64,
    /// The customers of the reports written.
    customers: CustomerTally,
    /// [`insert_sql`] of [`ROWS_PER_INSERT`] reports, and of one.
    insert_many: String,
    insert_one: String,
    error: Option<String>,
    /// Room kept for marking the run's end on a full disk.
    reserve: Reserve,
}

impl Writer {
    fn new(conn: Connection, run_id: i64, reserve: Reserve) -> Self {
        Self {
            conn,
            run_id,
            rows: 0,
            customers: CustomerTally::new(),
            insert_many: insert_sql(ROWS_PER_INSERT),
            insert_one: insert_sql(1),
            error: None,
            reserve,
        }
    }

    /// Writes batches until the end message (or until the recorder is gone).
    fn run(mut self, receiver: &Receiver<Message>) -> WriterOutcome {
        let mut batch = Vec::with_capacity(BATCH_MAX);
        loop {
            let Ok(first) = receiver.recv() else {
                // The recorder went away without an end: the run stays `running`.
                return WriterOutcome {
                    error: self.error,
                    ended: false,
                };
            };
            let deadline = Instant::now() + BATCH_WINDOW;
            let mut ended = matches!(first, Message::End { .. });
            batch.push(first);
            while !ended && batch.len() < BATCH_MAX {
                match receiver.try_recv() {
                    Ok(message) => {
                        ended = matches!(message, Message::End { .. });
                        batch.push(message);
                    }
                    Err(TryRecvError::Empty) => {
                        let left = deadline.saturating_duration_since(Instant::now());
                        if left.is_zero() {
                            break;
                        }
                        std::thread::sleep(left.min(GATHER_NAP));
                    }
                    Err(TryRecvError::Disconnected) => break,
                }
            }
            let mut end = None;
            if let Some(Message::End { .. }) = batch.last()
                && let Some(Message::End { state, error }) = batch.pop()
            {
                end = Some((state, error));
            }
            if self.error.is_none()
                && !batch.is_empty()
                && let Err(e) = self.write(&batch)
            {
                tracing::warn!(run_id = self.run_id, "recording failed: {e}");
                self.error = Some(e.to_string());
            }
            batch.clear();
            if let Some((state, error)) = end {
                let ended = self.end(state, error);
                return WriterOutcome {
                    error: self.error,
                    ended,
                };
            }
        }
    }

    /// Writes one batch of reports in one transaction (rolled back on error).
    fn write(&mut self, batch: &[Message]) -> rusqlite::Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut rows = 0u64;
        {
            let reports: Vec<&Message> = batch
                .iter()
                .filter(|m| matches!(m, Message::Report { .. }))
                .collect();
            let mut chunks = reports.chunks_exact(ROWS_PER_INSERT);
            let mut many = tx.prepare_cached(&self.insert_many)?;
            for chunk in &mut chunks {
                for (i, report) in chunk.iter().enumerate() {
                    rows += bind_report(&mut many, i * REPORT_PARAMS, self.run_id, report)?;
                }
                many.raw_execute()?;
            }
            let mut one = tx.prepare_cached(&self.insert_one)?;
            for report in chunks.remainder() {
                rows += bind_report(&mut one, 0, self.run_id, report)?;
                one.raw_execute()?;
            }
        }
        tx.commit()?;
        self.rows += rows;
        for message in batch {
            if let Message::Report {
                customer, outcome, ..
            } = message
            {
                self.customers.add(&customer.id, outcome.is_err());
            }
        }
        Ok(())
    }

    /// Marks the run's end with its counts. After a failed write the run is `partial`
    /// with that error; when even this cannot be written (a full disk), it is tried again
    /// after freeing the room kept for it, then after checkpointing and truncating the WAL.
    fn end(&mut self, state: RunState, error: Option<String>) -> bool {
        let (state, error) = match &self.error {
            Some(e) => {
                let e = format!("recording failed: {e}");
                (
                    RunState::Partial,
                    Some(match error {
                        Some(other) => format!("{e}; {other}"),
                        None => e,
                    }),
                )
            }
            None => (state, error),
        };
        // The customer counts as the writer took them; unknown ones (`NULL`) are counted
        // from the reports (`coalesce` evaluates its second argument only then).
        let (customers, failed) = self
            .customers
            .counts()
            .map(|(c, f)| (to_sql_int(c), to_sql_int(f)))
            .unzip();
        let mark = |conn: &Connection, rows: u64, run_id: i64| {
            conn.execute(
                &format!(
                    "UPDATE runs SET finished_at = {NOW_SQL}, state = ?1, error = ?2, seat_rows = ?3,
                        customers = coalesce(?5, (SELECT count(*) FROM (SELECT customer_id
                            FROM reports WHERE run_id = ?4 GROUP BY customer_id))),
                        failed_customers = coalesce(?6, (SELECT count(*) FROM (SELECT customer_id
                            FROM reports WHERE run_id = ?4 AND ok = 0 GROUP BY customer_id)))
                     WHERE run_id = ?4"
                ),
                params![
                    state.as_str(),
                    error,
                    to_sql_int(rows),
                    run_id,
                    customers,
                    failed
                ],
            )
        };
        // Counting the customers sorts them; with a small page cache the sort spills to a
        // temporary file beyond it, so memory does not grow with the run.
        if customers.is_none()
            && let Err(e) = self
                .conn
                .pragma_update(None, "cache_size", COUNTING_CACHE_KIB)
        {
            tracing::debug!("could not shrink the page cache: {e}");
        }
        if mark(&self.conn, self.rows, self.run_id).is_ok() {
            self.reserve.release();
            return true;
        }
        // The room kept for this update, before a checkpoint could take it to grow the
        // database file.
        self.reserve.release();
        if mark(&self.conn, self.rows, self.run_id).is_ok() {
            return true;
        }
        let _ = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        match mark(&self.conn, self.rows, self.run_id) {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(run_id = self.run_id, "could not mark the run: {e}");
                if self.error.is_none() {
                    self.error = Some(e.to_string());
                }
                false
            }
        }
    }
}
