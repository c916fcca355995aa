//! `avepoint history diff`: what changed between two runs, tenant by tenant.
//!
//! Only customer x type pairs that succeeded in both runs are compared (when a pair was
//! reported more than once in a run, its last success counts); the others are named on
//! stderr as not compared, never reported as removed. Both runs' pairs and rows are read
//! sorted by (customer, type code, tenant id) and merged, one pair at a time, so memory
//! does not grow with the runs: a tenant only in `--to` is `added`, only in `--from`
//! `removed`, in both with other seat counts `changed`. json and csv stream; the table
//! buffers its rows and ends with the available and assigned deltas per tenant type.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufWriter, Write};

use avepoint_graph::TenantType;
use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use super::args::DiffArgs;
use super::store::to_sql_int;
use super::{Database, Failure, RunMeta, escaped, tenants_blob};
use crate::cli::OutputFormat;
use crate::diag::diag;
use crate::exit::{Fatal, Status};
use crate::render::{CsvRecords, JsonArray, Table, cell, count};

/// The json keys (and csv header) of a diff row, in order.
pub(crate) const DIFF_COLUMNS: [&str; 9] = [
    "customerId",
    "tenantType",
    "tenantId",
    "tenantName",
    "change",
    "availableBefore",
    "availableAfter",
    "assignedBefore",
    "assignedAfter",
];

/// One tenant's seats in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Side {
    customer_id: String,
    tenant_type: i32,
    tenant_id: String,
    tenant_name: String,
    available: i64,
    assigned: i64,
}

impl Side {
    fn key(&self) -> (&str, i32, &str) {
        (&self.customer_id, self.tenant_type, &self.tenant_id)
    }
}

/// One reported change.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct Change {
    #[serde(skip)]
    type_code: i32,
    customer_id: String,
    tenant_type: &'static str,
    tenant_id: String,
    tenant_name: String,
    change: &'static str,
    available_before: Option<i64>,
    available_after: Option<i64>,
    assigned_before: Option<i64>,
    assigned_after: Option<i64>,
}

/// The change between a tenant's two sides, if any.
fn compare(before: Option<Side>, after: Option<Side>) -> Option<Change> {
    let (change, named) = match (&before, &after) {
        (Some(b), Some(a)) if b.available == a.available && b.assigned == a.assigned => {
            return None;
        }
        (Some(_), Some(a)) => ("changed", a),
        (None, Some(a)) => ("added", a),
        (Some(b), None) => ("removed", b),
        (None, None) => return None,
    };
    Some(Change {
        type_code: named.tenant_type,
        customer_id: named.customer_id.clone(),
        tenant_type: type_name(named.tenant_type),
        tenant_id: named.tenant_id.clone(),
        tenant_name: named.tenant_name.clone(),
        change,
        available_before: before.as_ref().map(|s| s.available),
        available_after: after.as_ref().map(|s| s.available),
        assigned_before: before.as_ref().map(|s| s.assigned),
        assigned_after: after.as_ref().map(|s| s.assigned),
    })
}

/// Each customer x type pair of a run, sorted: whether any of its reports succeeded, and
/// the error of a failed one.
const PAIRS_SQL: &str = "
SELECT customer_id, tenant_type, max(ok), max(CASE WHEN ok = 0 THEN error END)
FROM reports WHERE run_id = ?1
GROUP BY customer_id, tenant_type
ORDER BY customer_id, tenant_type";

/// A run's successful reports with tenants, sorted by pair, the latest report of a pair
/// first.
const ROWS_SQL: &str = "
SELECT customer_id, tenant_type, tenants
FROM reports
WHERE run_id = ?1 AND ok = 1 AND tenant_count > 0
ORDER BY customer_id, tenant_type, seq DESC";

/// Runs `avepoint history diff`.
pub(crate) fn run(db: &Database, args: &DiffArgs) -> Result<Status, Fatal> {
    match diff(db, args) {
        Ok(0) => Ok(Status::Success),
        Ok(_) if args.fail_on_change => Ok(Status::Findings),
        Ok(_) => Ok(Status::Success),
        Err(failure) => failure.into_result(),
    }
}

/// A customer x type pair of one run.
#[derive(Debug)]
struct Pair {
    customer_id: String,
    tenant_type: i32,
    ok: bool,
    error: Option<String>,
}

impl Pair {
    fn key(&self) -> (&str, i32) {
        (&self.customer_id, self.tenant_type)
    }
}

/// One stored report with tenants.
struct Stored {
    customer_id: String,
    tenant_type: i32,
    tenants: Option<Vec<u8>>,
}

/// A run's reports, read in [`ROWS_SQL`] order, one pair at a time.
struct RowCursor<'s> {
    rows: rusqlite::Rows<'s>,
    peeked: Option<Stored>,
}

impl<'s> RowCursor<'s> {
    fn new(
        db: &Database,
        stmt: &'s mut rusqlite::Statement<'_>,
        run: i64,
    ) -> Result<Self, Failure> {
        let rows = stmt.query(params![run]).map_err(|e| db.failed(&e))?;
        let mut cursor = Self { rows, peeked: None };
        cursor.advance(db)?;
        Ok(cursor)
    }

    fn advance(&mut self, db: &Database) -> Result<(), Failure> {
        self.peeked = match self.rows.next().map_err(|e| db.failed(&e))? {
            None => None,
            Some(row) => Some(
                (|| {
                    Ok::<_, rusqlite::Error>(Stored {
                        customer_id: row.get(0)?,
                        tenant_type: row.get(1)?,
                        tenants: row.get(2)?,
                    })
                })()
                .map_err(|e| db.failed(&e))?,
            ),
        };
        Ok(())
    }

    /// The tenants of pair `key` in its latest successful report with tenants, sorted by
    /// tenant id (then in the order of the answer); reports of pairs before `key` (not
    /// compared) and older reports are skipped.
    fn take(&mut self, db: &Database, key: (&str, i32)) -> Result<Vec<Side>, Failure> {
        let mut tenants = None;
        while let Some(stored) = &self.peeked {
            match (stored.customer_id.as_str(), stored.tenant_type).cmp(&key) {
                Ordering::Less => {}
                Ordering::Greater => break,
                Ordering::Equal if tenants.is_none() => {
                    let decoded = tenants_blob::decode(stored.tenants.as_deref())
                        .map_err(|e| db.damaged(&e))?;
                    let mut sides: Vec<Side> = decoded
                        .into_iter()
                        .map(|t| Side {
                            customer_id: stored.customer_id.clone(),
                            tenant_type: stored.tenant_type,
                            tenant_id: t.tenant_id,
                            tenant_name: t.tenant_name,
                            available: to_sql_int(t.available_seats),
                            assigned: to_sql_int(t.assigned_seats),
                        })
                        .collect();
                    // Stable: tenants with the same id stay in the order of the answer.
                    sides.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
                    tenants = Some(sides);
                }
                Ordering::Equal => {}
            }
            self.advance(db)?;
        }
        Ok(tenants.unwrap_or_default())
    }
}

fn next_pair(db: &Database, rows: &mut rusqlite::Rows<'_>) -> Result<Option<Pair>, Failure> {
    let Some(row) = rows.next().map_err(|e| db.failed(&e))? else {
        return Ok(None);
    };
    let pair = (|| {
        Ok::<_, rusqlite::Error>(Pair {
            customer_id: row.get(0)?,
            tenant_type: row.get(1)?,
            ok: row.get(2)?,
            error: row.get(3)?,
        })
    })()
    .map_err(|e| db.failed(&e))?;
    Ok(Some(pair))
}

/// Picks the runs, writes the changes and names the pairs not compared; returns how many
/// changes.
fn diff(db: &Database, args: &DiffArgs) -> Result<u64, Failure> {
    let (from, to) = pick_runs(db, args)?;
    let Some(conn) = &db.conn else {
        return Ok(0);
    };
    for run in [&from, &to] {
        if run.state != "complete" {
            diag!(
                "warning: run {} is {}: only the pairs it reported successfully are compared",
                run.id,
                run.state
            );
        }
    }
    let prepare = |sql| conn.prepare(sql).map_err(|e| db.failed(&e));
    let (mut pairs_from, mut pairs_to) = (prepare(PAIRS_SQL)?, prepare(PAIRS_SQL)?);
    let (mut rows_from, mut rows_to) = (prepare(ROWS_SQL)?, prepare(ROWS_SQL)?);
    let mut before_pairs = pairs_from
        .query(params![from.id])
        .map_err(|e| db.failed(&e))?;
    let mut after_pairs = pairs_to.query(params![to.id]).map_err(|e| db.failed(&e))?;
    let mut before_rows = RowCursor::new(db, &mut rows_from, from.id)?;
    let mut after_rows = RowCursor::new(db, &mut rows_to, to.id)?;
    let mut writer = DiffWriter::new(args.output, BufWriter::new(io::stdout().lock()));
    writer.begin().map_err(Failure::Output)?;
    let mut compared_types = BTreeSet::new();
    let mut changes = 0u64;
    let mut next_before = next_pair(db, &mut before_pairs)?;
    let mut next_after = next_pair(db, &mut after_pairs)?;
    loop {
        let order = match (&next_before, &next_after) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(b), Some(a)) => b.key().cmp(&a.key()),
        };
        let (b, a) = match order {
            Ordering::Less => (next_before.take(), None),
            Ordering::Greater => (None, next_after.take()),
            Ordering::Equal => (next_before.take(), next_after.take()),
        };
        if b.is_some() {
            next_before = next_pair(db, &mut before_pairs)?;
        }
        if a.is_some() {
            next_after = next_pair(db, &mut after_pairs)?;
        }
        match (&b, &a) {
            (Some(pb), Some(pa)) if pb.ok && pa.ok => {
                compared_types.insert(pb.tenant_type);
                let before = before_rows.take(db, pb.key())?;
                let after = after_rows.take(db, pa.key())?;
                for change in merge(before, after) {
                    changes += 1;
                    writer.row(change).map_err(Failure::Output)?;
                }
            }
            _ => not_compared(b.as_ref(), from.id, a.as_ref(), to.id),
        }
    }
    let types: Vec<i32> = compared_types.into_iter().collect();
    writer.finish(&types).map_err(Failure::Output)?;
    Ok(changes)
}

/// The changes between one pair's tenants in the two runs (both sorted by tenant id).
fn merge(before: Vec<Side>, after: Vec<Side>) -> Vec<Change> {
    let mut changes = Vec::new();
    let mut before = before.into_iter().peekable();
    let mut after = after.into_iter().peekable();
    loop {
        let order = match (before.peek(), after.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(b), Some(a)) => b.key().cmp(&a.key()),
        };
        let (b, a) = match order {
            Ordering::Less => (before.next(), None),
            Ordering::Greater => (None, after.next()),
            Ordering::Equal => (before.next(), after.next()),
        };
        changes.extend(compare(b, a));
    }
    changes
}

/// Names a pair not compared on stderr, with why.
fn not_compared(before: Option<&Pair>, from: i64, after: Option<&Pair>, to: i64) {
    let Some(pair) = before.or(after) else {
        return;
    };
    let side = |run: i64, pair: Option<&Pair>| match pair {
        Some(p) if p.ok => None,
        Some(p) => Some(format!(
            "failed in run {run} ({})",
            escaped(p.error.as_deref().unwrap_or("unknown error"))
        )),
        None => Some(format!("missing from run {run}")),
    };
    let reasons: Vec<String> = [side(from, before), side(to, after)]
        .into_iter()
        .flatten()
        .collect();
    diag!(
        "warning: not compared: customer {} {}: {}",
        escaped(&pair.customer_id),
        type_name(pair.tenant_type),
        reasons.join(", ")
    );
}

/// `--from` and `--to`, defaulting to the two most recent complete runs.
fn pick_runs(db: &Database, args: &DiffArgs) -> Result<(RunMeta, RunMeta), Failure> {
    let to = match args.to {
        Some(id) => db.run_meta(id)?,
        None => latest_complete(db, None)?.ok_or_else(|| too_few(db))?,
    };
    let from = match args.from {
        Some(id) => db.run_meta(id)?,
        None => latest_complete(db, Some(to.id))?.ok_or_else(|| too_few(db))?,
    };
    Ok((from, to))
}

fn too_few(db: &Database) -> Failure {
    Failure::Db(Fatal::usage(format!(
        "history diff needs two complete runs to compare by default, and the history database {} has fewer: record another run, or choose the runs with --from and --to (see `avepoint history runs`)",
        db.path.display()
    )))
}

/// The most recent complete run (before run `before`, when given).
fn latest_complete(db: &Database, before: Option<i64>) -> Result<Option<RunMeta>, Failure> {
    let Some(conn) = &db.conn else {
        return Ok(None);
    };
    let id: Option<i64> = conn
        .query_row(
            "SELECT max(run_id) FROM runs WHERE state = 'complete' AND run_id < ?1",
            params![before.unwrap_or(i64::MAX)],
            |row| row.get(0),
        )
        .optional()
        .map_err(|e| db.failed(&e))?
        .flatten();
    id.map(|id| db.run_meta(id.max(0).unsigned_abs()))
        .transpose()
}

/// The deltas of one tenant type.
#[derive(Debug, Default)]
struct Totals {
    changes: u64,
    available: i64,
    assigned: i64,
}

/// The output of the diff in one of the formats.
enum DiffWriter<W: Write> {
    Json(JsonArray<W>),
    Csv(Box<CsvRecords<W>>),
    Table {
        out: W,
        rows: Vec<Change>,
        totals: BTreeMap<i32, Totals>,
    },
}

impl<W: Write> DiffWriter<W> {
    fn new(format: OutputFormat, out: W) -> Self {
        match format {
            OutputFormat::Json => Self::Json(JsonArray::new(out)),
            OutputFormat::Csv => Self::Csv(Box::new(CsvRecords::new(out))),
            OutputFormat::Table => Self::Table {
                out,
                rows: Vec::new(),
                totals: BTreeMap::new(),
            },
        }
    }

    fn begin(&mut self) -> io::Result<()> {
        match self {
            Self::Json(array) => array.begin(),
            Self::Csv(csv) => {
                csv.record(DIFF_COLUMNS)?;
                csv.flush()
            }
            Self::Table { .. } => Ok(()),
        }
    }

    fn row(&mut self, change: Change) -> io::Result<()> {
        match self {
            Self::Json(array) => array.item(&change),
            Self::Csv(csv) => csv.serialize(&change),
            Self::Table { rows, totals, .. } => {
                let t = totals.entry(change.type_code).or_default();
                t.changes += 1;
                t.available += delta(change.available_before, change.available_after);
                t.assigned += delta(change.assigned_before, change.assigned_after);
                rows.push(change);
                Ok(())
            }
        }
    }

    /// Ends the output; the table gets a totals row for each type of `compared_types` and
    /// each type with changes.
    fn finish(&mut self, compared_types: &[i32]) -> io::Result<()> {
        match self {
            Self::Json(array) => array.finish(),
            Self::Csv(csv) => csv.flush(),
            Self::Table { out, rows, totals } => {
                for code in compared_types {
                    totals.entry(*code).or_default();
                }
                table(rows, totals).write_to(out)
            }
        }
    }
}

/// After minus before, a missing side counting as 0.
fn delta(before: Option<i64>, after: Option<i64>) -> i64 {
    after.unwrap_or(0).saturating_sub(before.unwrap_or(0))
}

/// `+5`, `-3`, `0`.
fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// `25 -> 20 (-5)`, `- -> 10 (+10)`, `40 -> - (-40)`.
fn transition(before: Option<i64>, after: Option<i64>) -> String {
    let side = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
    format!(
        "{} -> {} ({})",
        side(before),
        side(after),
        signed(delta(before, after))
    )
}

/// The table: one row per change, then the deltas per tenant type.
fn table(rows: &[Change], totals: &BTreeMap<i32, Totals>) -> Table {
    let mut table = Table::new(
        &[
            "CUSTOMER",
            "TYPE",
            "TENANT ID",
            "TENANT NAME",
            "CHANGE",
            "AVAILABLE",
            "ASSIGNED",
        ],
        &[false, false, false, false, false, true, true],
    );
    for c in rows {
        table.push(vec![
            cell(&c.customer_id),
            c.tenant_type.to_owned(),
            cell(&c.tenant_id),
            cell(&c.tenant_name),
            c.change.to_owned(),
            transition(c.available_before, c.available_after),
            transition(c.assigned_before, c.assigned_after),
        ]);
    }
    for (code, t) in totals {
        table.push(vec![
            "TOTAL".to_owned(),
            type_name(*code).to_owned(),
            String::new(),
            count(t.changes, "change"),
            String::new(),
            signed(t.available),
            signed(t.assigned),
        ]);
    }
    table
}

fn type_name(code: i32) -> &'static str {
    TenantType::from_code(code).map_or("unknown", TenantType::short_name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(tenant: &str, available: i64, assigned: i64) -> Side {
        Side {
            customer_id: "c1".to_owned(),
            tenant_type: 2,
            tenant_id: tenant.to_owned(),
            tenant_name: format!("{tenant}.example.com"),
            available,
            assigned,
        }
    }

    #[test]
    fn changes_are_added_removed_or_changed_seats_only() {
        assert_eq!(compare(Some(side("t", 1, 2)), Some(side("t", 1, 2))), None);
        let mut renamed = side("t", 1, 2);
        renamed.tenant_name = "renamed".to_owned();
        assert_eq!(compare(Some(side("t", 1, 2)), Some(renamed)), None);
        let changed = compare(Some(side("t", 1, 2)), Some(side("t", 3, 0))).expect("changed");
        assert_eq!(changed.change, "changed");
        assert_eq!(changed.tenant_type, "google");
        assert_eq!(
            (
                changed.available_before,
                changed.available_after,
                changed.assigned_before,
                changed.assigned_after
            ),
            (Some(1), Some(3), Some(2), Some(0))
        );
        let added = compare(None, Some(side("n", 5, 0))).expect("added");
        assert_eq!((added.change, added.available_before), ("added", None));
        let removed = compare(Some(side("o", 5, 7)), None).expect("removed");
        assert_eq!((removed.change, removed.assigned_after), ("removed", None));
        assert_eq!(removed.tenant_name, "o.example.com");
    }

    #[test]
    fn table_cells_show_both_sides_and_the_delta() {
        assert_eq!(transition(Some(25), Some(20)), "25 -> 20 (-5)");
        assert_eq!(transition(None, Some(10)), "- -> 10 (+10)");
        assert_eq!(transition(Some(40), None), "40 -> - (-40)");
        assert_eq!(transition(Some(3), Some(3)), "3 -> 3 (0)");
        let rows = [compare(Some(side("t", 1, 2)), Some(side("t", 4, 0))).expect("row")];
        let mut totals = BTreeMap::new();
        totals.insert(
            2,
            Totals {
                changes: 1,
                available: 3,
                assigned: -2,
            },
        );
        totals.insert(0, Totals::default());
        let mut out = Vec::new();
        table(&rows, &totals).write_to(&mut out).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert!(lines[1].contains("changed") && lines[1].contains("1 -> 4 (+3)"));
        assert!(lines[2].starts_with("TOTAL") && lines[2].contains("m365"));
        assert!(
            lines[3].contains("google") && lines[3].ends_with("+3           -2"),
            "{text}"
        );
    }
}
