//! `avepoint history runs`: one row per recorded run, oldest first.

use std::io::{self, BufWriter, Write};

use serde::Serialize;

use super::args::RunsArgs;
use super::{Database, Failure};
use crate::cli::OutputFormat;
use crate::exit::{Fatal, Status};
use crate::render::{CsvRecords, JsonArray, Table, cell};

/// The json keys (and csv header) of a run row, in order.
pub(crate) const RUN_COLUMNS: [&str; 7] = [
    "runId",
    "startedAt",
    "finishedAt",
    "state",
    "customers",
    "failedCustomers",
    "rows",
];

/// One run.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RunRow {
    /// The id `history show` and `history diff` take.
    pub(crate) run_id: i64,
    /// RFC 3339, UTC.
    pub(crate) started_at: String,
    /// RFC 3339, UTC; `None` while running (or when killed).
    pub(crate) finished_at: Option<String>,
    /// `running`, `complete`, `partial` or `interrupted`.
    pub(crate) state: String,
    /// Distinct customers reported (successfully or not).
    pub(crate) customers: i64,
    /// Distinct customers with at least one failed report.
    pub(crate) failed_customers: i64,
    /// Seat rows recorded.
    pub(crate) rows: i64,
}

/// The runs, oldest first. Ended runs carry their counts; those of a run still running
/// (or killed) are counted from what it wrote.
fn query(db: &Database, mut each: impl FnMut(RunRow) -> io::Result<()>) -> Result<(), Failure> {
    let Some(conn) = &db.conn else {
        return Ok(());
    };
    let mut stmt = conn
        .prepare(
            "SELECT run_id, started_at, finished_at, state,
                coalesce(customers, (SELECT count(DISTINCT customer_id) FROM reports r
                                     WHERE r.run_id = runs.run_id)),
                coalesce(failed_customers, (SELECT count(DISTINCT customer_id) FROM reports r
                                            WHERE r.run_id = runs.run_id AND r.ok = 0)),
                coalesce(seat_rows, (SELECT coalesce(sum(tenant_count), 0) FROM reports r
                                     WHERE r.run_id = runs.run_id))
             FROM runs ORDER BY run_id",
        )
        .map_err(|e| db.failed(&e))?;
    let mut rows = stmt.query([]).map_err(|e| db.failed(&e))?;
    while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
        let run = (|| {
            Ok::<_, rusqlite::Error>(RunRow {
                run_id: row.get(0)?,
                started_at: row.get(1)?,
                finished_at: row.get(2)?,
                state: row.get(3)?,
                customers: row.get(4)?,
                failed_customers: row.get(5)?,
                rows: row.get(6)?,
            })
        })()
        .map_err(|e| db.failed(&e))?;
        each(run).map_err(Failure::Output)?;
    }
    Ok(())
}

/// Runs `avepoint history runs`.
pub(crate) fn run(db: &Database, args: &RunsArgs) -> Result<Status, Fatal> {
    let mut out = BufWriter::new(io::stdout().lock());
    write(db, args.output, &mut out)
        .and_then(|()| out.flush().map_err(Failure::Output))
        .map_or_else(Failure::into_result, |()| Ok(Status::Success))
}

fn write(db: &Database, format: OutputFormat, out: &mut impl Write) -> Result<(), Failure> {
    match format {
        OutputFormat::Json => {
            let mut array = JsonArray::new(out);
            array.begin().map_err(Failure::Output)?;
            query(db, |run| array.item(&run))?;
            array.finish().map_err(Failure::Output)?;
        }
        OutputFormat::Csv => {
            let mut csv = CsvRecords::new(out);
            csv.record(RUN_COLUMNS).map_err(Failure::Output)?;
            query(db, |run| csv.serialize(&run))?;
            csv.flush().map_err(Failure::Output)?;
        }
        OutputFormat::Table => {
            let mut table = Table::new(
                &[
                    "RUN",
                    "STARTED",
                    "FINISHED",
                    "STATE",
                    "CUSTOMERS",
                    "FAILED",
                    "ROWS",
                ],
                &[true, false, false, false, true, true, true],
            );
            query(db, |run| {
                table.push(vec![
                    run.run_id.to_string(),
                    cell(&run.started_at),
                    cell(run.finished_at.as_deref().unwrap_or("-")),
                    cell(&run.state),
                    run.customers.to_string(),
                    run.failed_customers.to_string(),
                    run.rows.to_string(),
                ]);
                Ok(())
            })?;
            table.write_to(out).map_err(Failure::Output)?;
        }
    }
    Ok(())
}
