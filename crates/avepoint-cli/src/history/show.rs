//! `avepoint history show RUN`: a recorded run's rows, written by the very writers of
//! `avepoint seats` ([`crate::output`]) with the run's own layout (its tenant types, and
//! the organization column when it listed every customer), in input order. Reports that
//! failed in the run are named on stderr.

use std::io::{self, BufWriter};
use std::sync::Arc;

use avepoint_graph::{TenantSeats, TenantType};
use rusqlite::params;
use rusqlite::types::Type;

use super::args::ShowArgs;
use super::{Database, Failure, RunMeta, escaped, tenants_blob};
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::output::{self, Layout, Sink};
use crate::seats::describe;
use crate::work::{CustomerRef, Target};

/// Runs `avepoint history show`.
pub(crate) fn run(db: &Database, args: &ShowArgs) -> Result<Status, Fatal> {
    show(db, args).map_or_else(Failure::into_result, |()| Ok(Status::Success))
}

/// The layout of `run`'s output.
pub(crate) fn layout(run: &RunMeta) -> Layout {
    Layout {
        organization: run.organization,
        types: tenant_types(&run.tenant_types),
    }
}

/// Stored type codes (`0,2`) as types.
pub(crate) fn tenant_types(codes: &str) -> Vec<TenantType> {
    codes
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .filter_map(TenantType::from_code)
        .collect()
}

/// One stored report being put back together.
struct Report {
    seq: i64,
    target: Target,
    ok: bool,
    error: Option<String>,
    tenants: Vec<TenantSeats>,
}

fn show(db: &Database, args: &ShowArgs) -> Result<(), Failure> {
    let run = db.run_meta(args.run)?;
    let Some(conn) = &db.conn else {
        return Ok(());
    };
    if run.state != "complete" {
        let why = match run.state.as_str() {
            "running" => {
                "is still running, or was killed before it ended: these are the rows it recorded"
            }
            "interrupted" => "was interrupted: these are the rows fetched before it stopped",
            _ => "is partial: some customers failed",
        };
        let error = run
            .error
            .as_deref()
            .map(|e| format!(" ({})", escaped(e)))
            .unwrap_or_default();
        diag!("warning: run {} {why}{error}", run.id);
    }
    let layout = layout(&run);
    let several_types = layout.types.len() > 1;
    let mut sink = output::sink(args.output, layout, BufWriter::new(io::stdout()));
    sink.begin().map_err(Failure::Output)?;
    let mut stmt = conn
        .prepare(
            "SELECT seq, customer_id, organization, tenant_type, ok, error, tenants
             FROM reports WHERE run_id = ?1 ORDER BY seq",
        )
        .map_err(|e| db.failed(&e))?;
    let mut rows = stmt.query(params![run.id]).map_err(|e| db.failed(&e))?;
    while let Some(row) = rows.next().map_err(|e| db.failed(&e))? {
        let report = read_report(row).map_err(|e| db.failed(&e))?;
        emit(sink.as_mut(), report, run.id, several_types)?;
    }
    sink.finish().map_err(Failure::Output)
}

/// One stored report, its tenants decoded.
fn read_report(row: &rusqlite::Row<'_>) -> rusqlite::Result<Report> {
    let code: i32 = row.get(3)?;
    let blob = row.get_ref(6)?.as_blob_or_null()?;
    let tenants = tenants_blob::decode(blob)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(6, Type::Blob, Box::new(e)))?;
    Ok(Report {
        seq: row.get(0)?,
        target: Target {
            customer: Arc::new(CustomerRef {
                id: row.get(1)?,
                organization: row.get(2)?,
            }),
            tenant_type: TenantType::from_code(code).unwrap_or(TenantType::Microsoft365),
        },
        ok: row.get(4)?,
        error: row.get(5)?,
        tenants,
    })
}

/// Writes a report's rows, or names its failure on stderr.
fn emit(sink: &mut dyn Sink, report: Report, run: i64, several_types: bool) -> Result<(), Failure> {
    if report.ok {
        let seq = report.seq.max(0).unsigned_abs();
        sink.report(seq, &report.target, &report.tenants)
            .map_err(Failure::Output)
    } else {
        let what = describe(&report.target, several_types);
        let error = escaped(report.error.as_deref().unwrap_or("unknown error"));
        diag!("warning: customer {what} failed in run {run}: {error}");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_types_parse_in_order_and_skip_junk() {
        assert_eq!(
            tenant_types("2,0"),
            [TenantType::Google, TenantType::Microsoft365]
        );
        assert_eq!(
            tenant_types("0,x,9,3"),
            [TenantType::Microsoft365, TenantType::Dynamics365]
        );
        assert!(tenant_types("").is_empty());
    }
}
