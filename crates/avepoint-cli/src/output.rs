//! The output formats of `avepoint seats`: `table` for people, `json` and `csv` for scripts.
//!
//! Every writer gets the reports one at a time, in output order. [`JsonWriter`] and
//! [`CsvWriter`] write and flush each report's rows at once, so their memory does not grow
//! with the number of customers and a consumer sees rows as they come; the JSON array is
//! closed in [`Sink::finish`], so the output is valid JSON whatever happened to individual
//! customers. [`TableWriter`] keeps every row until the end to align the columns and add
//! the totals.
//!
//! The columns depend on the run ([`Layout`]): with `--all-customers` an `organization`
//! column follows `customerId`; runs over given customer IDs keep the original six columns.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use avepoint_graph::{TenantSeats, TenantType};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::render::{CsvRecords, JsonArray, Table, cell, count};
use crate::work::Target;

/// The column names of `json` and `csv` without the organization, in order.
pub(crate) const COLUMNS: [&str; 6] = [
    "customerId",
    "tenantType",
    "tenantId",
    "tenantName",
    "availableUserSeat",
    "assignedUserSeat",
];

/// The column added after `customerId` when the customers come from the listing.
pub(crate) const ORGANIZATION_COLUMN: &str = "organization";

/// What a run's output holds, decided before the first row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Whether rows carry the customer's organization name (`--all-customers`).
    pub(crate) organization: bool,
    /// The tenant types requested, in order (the table totals each when there are several).
    pub(crate) types: Vec<TenantType>,
}

impl Layout {
    /// The `json`/`csv` column names, in order.
    pub(crate) fn columns(&self) -> Vec<&'static str> {
        let mut columns = COLUMNS.to_vec();
        if self.organization {
            columns.insert(1, ORGANIZATION_COLUMN);
        }
        columns
    }
}

/// One output row: a tenant of a customer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Row<'a> {
    customer_id: &'a str,
    /// Absent without the organization column; `Some(None)` is a listed customer without a
    /// name (`null` in json, empty in csv).
    #[serde(skip_serializing_if = "Option::is_none")]
    organization: Option<Option<&'a str>>,
    tenant_type: &'static str,
    tenant_id: &'a str,
    tenant_name: &'a str,
    available_user_seat: u64,
    assigned_user_seat: u64,
}

impl<'a> Row<'a> {
    fn new(layout: &Layout, target: &'a Target, t: &'a TenantSeats) -> Self {
        Self {
            customer_id: &target.customer.id,
            organization: layout
                .organization
                .then_some(target.customer.organization.as_deref()),
            tenant_type: target.tenant_type.short_name(),
            tenant_id: &t.tenant_id,
            tenant_name: &t.tenant_name,
            available_user_seat: t.available_seats,
            assigned_user_seat: t.assigned_seats,
        }
    }
}

/// Where the reports go.
pub(crate) trait Sink {
    /// Called once before any report.
    fn begin(&mut self) -> io::Result<()>;

    /// One customer's tenants of one type; `seq` is the report's position in the input
    /// (from 0).
    fn report(&mut self, seq: u64, target: &Target, tenants: &[TenantSeats]) -> io::Result<()>;

    /// One customer's report of one type failed (the error is already on stderr); `seq` as
    /// in [`Sink::report`]. The output formats ignore it.
    fn failed(
        &mut self,
        _seq: u64,
        _target: &Target,
        _error: &avepoint_graph::Error,
    ) -> io::Result<()> {
        Ok(())
    }

    /// Some of the run's input could not be covered (an unusable customers-file line, a
    /// customers listing that failed); `message` says what. The output formats ignore it.
    fn incomplete(&mut self, _message: &str) -> io::Result<()> {
        Ok(())
    }

    /// Called once at the end (also when some customers failed).
    fn finish(&mut self) -> io::Result<()>;
}

/// The writer of `format` over `out`.
pub(crate) fn sink<W: Write + 'static>(
    format: OutputFormat,
    layout: Layout,
    out: W,
) -> Box<dyn Sink> {
    match format {
        OutputFormat::Table => Box::new(TableWriter::new(layout, out)),
        OutputFormat::Json => Box::new(JsonWriter::new(layout, out)),
        OutputFormat::Csv => Box::new(CsvWriter::new(layout, out)),
    }
}

/// A JSON array of row objects, one per line.
pub(crate) struct JsonWriter<W: Write> {
    layout: Layout,
    out: JsonArray<W>,
}

impl<W: Write> JsonWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(layout: Layout, out: W) -> Self {
        Self {
            layout,
            out: JsonArray::new(out),
        }
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.begin()
    }

    fn report(&mut self, _seq: u64, target: &Target, tenants: &[TenantSeats]) -> io::Result<()> {
        for t in tenants {
            self.out.item(&Row::new(&self.layout, target, t))?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.finish()
    }
}

/// CSV with a header row ([`Layout::columns`]), quoted where needed (RFC 4180).
pub(crate) struct CsvWriter<W: Write> {
    layout: Layout,
    out: CsvRecords<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(layout: Layout, out: W) -> Self {
        Self {
            layout,
            out: CsvRecords::new(out),
        }
    }
}

impl<W: Write> Sink for CsvWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.record(self.layout.columns())?;
        self.out.flush()
    }

    fn report(&mut self, _seq: u64, target: &Target, tenants: &[TenantSeats]) -> io::Result<()> {
        for t in tenants {
            self.out.serialize(&Row::new(&self.layout, target, t))?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One report, kept for the table.
struct TableReport {
    seq: u64,
    target: Target,
    tenants: Vec<TenantSeats>,
}

/// Aligned columns sorted by input order; ends with one totals row per tenant type when
/// several were requested, then the grand total. Buffers everything until [`Sink::finish`].
pub(crate) struct TableWriter<W: Write> {
    layout: Layout,
    out: W,
    reports: Vec<TableReport>,
}

impl<W: Write> TableWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(layout: Layout, out: W) -> Self {
        Self {
            layout,
            out,
            reports: Vec::new(),
        }
    }
}

/// Seats summed over some reports, with checked arithmetic: a sum past `u64::MAX` is
/// marked, never saturated or wrapped in silence.
#[derive(Default)]
struct Totals {
    tenants: u64,
    available: Sum,
    assigned: Sum,
    /// Every customer whose report came back.
    queried: HashSet<String>,
    /// The customers owning at least one of the tenants.
    owners: HashSet<String>,
}

/// A checked sum: `None` once it overflowed.
#[derive(Clone, Copy)]
struct Sum(Option<u64>);

impl Default for Sum {
    fn default() -> Self {
        Self(Some(0))
    }
}

impl Sum {
    fn add(&mut self, n: u64) {
        self.0 = self.0.and_then(|s| s.checked_add(n));
    }

    fn overflowed(self) -> bool {
        self.0.is_none()
    }

    /// The table cell: the sum, or `overflow`.
    fn cell(self) -> String {
        self.0
            .map_or_else(|| OVERFLOW.to_owned(), |s| s.to_string())
    }
}

/// What a total that overflowed shows.
const OVERFLOW: &str = "overflow";

impl Totals {
    fn add(&mut self, report: &TableReport) {
        let id = &report.target.customer.id;
        if !self.queried.contains(id) {
            self.queried.insert(id.clone());
        }
        if !report.tenants.is_empty() && !self.owners.contains(id) {
            self.owners.insert(id.clone());
        }
        for t in &report.tenants {
            self.tenants += 1;
            self.available.add(t.available_seats);
            self.assigned.add(t.assigned_seats);
        }
    }

    /// The description in the tenant name column: the tenants, the customers owning them
    /// and the customers queried, e.g. `4 tenants of 3 customers (6 queried)`.
    fn summary(&self) -> String {
        format!(
            "{} of {} ({} queried)",
            count(self.tenants, "tenant"),
            count(self.owners.len() as u64, "customer"),
            self.queried.len()
        )
    }
}

impl<W: Write> TableWriter<W> {
    /// A row of the table: the organization cell only in its layout.
    fn row(&self, customer: String, organization: String, rest: [String; 5]) -> Vec<String> {
        let mut row = vec![customer];
        if self.layout.organization {
            row.push(organization);
        }
        row.extend(rest);
        row
    }
}

impl<W: Write> Sink for TableWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn report(&mut self, seq: u64, target: &Target, tenants: &[TenantSeats]) -> io::Result<()> {
        self.reports.push(TableReport {
            seq,
            target: target.clone(),
            tenants: tenants.to_vec(),
        });
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.reports.sort_by_key(|r| r.seq);
        let mut headers = vec!["CUSTOMER"];
        let mut right = vec![false];
        if self.layout.organization {
            headers.push("ORGANIZATION");
            right.push(false);
        }
        headers.extend(["TYPE", "TENANT ID", "TENANT NAME", "AVAILABLE", "ASSIGNED"]);
        right.extend([false, false, false, true, true]);
        let mut table = Table::new(&headers, &right);
        let mut grand = Totals::default();
        let mut per_type: BTreeMap<i32, Totals> = self
            .layout
            .types
            .iter()
            .map(|t| (t.code(), Totals::default()))
            .collect();
        for r in &self.reports {
            grand.add(r);
            per_type
                .entry(r.target.tenant_type.code())
                .or_default()
                .add(r);
            let id = cell(&r.target.customer.id);
            let organization = cell(r.target.customer.organization.as_deref().unwrap_or(""));
            let kind = r.target.tenant_type.short_name();
            if r.tenants.is_empty() {
                table.push(self.row(
                    id.clone(),
                    organization.clone(),
                    [
                        kind.to_owned(),
                        "-".to_owned(),
                        format!("(no {kind} tenants)"),
                        "0".to_owned(),
                        "0".to_owned(),
                    ],
                ));
            }
            for t in &r.tenants {
                table.push(self.row(
                    id.clone(),
                    organization.clone(),
                    [
                        kind.to_owned(),
                        cell(&t.tenant_id),
                        cell(&t.tenant_name),
                        t.available_seats.to_string(),
                        t.assigned_seats.to_string(),
                    ],
                ));
            }
        }
        if per_type.len() > 1 {
            for (code, totals) in &per_type {
                let kind = TenantType::from_code(*code).map_or("", TenantType::short_name);
                table.push(self.row(
                    "TOTAL".to_owned(),
                    String::new(),
                    [
                        kind.to_owned(),
                        String::new(),
                        totals.summary(),
                        totals.available.cell(),
                        totals.assigned.cell(),
                    ],
                ));
            }
        }
        table.push(self.row(
            "TOTAL".to_owned(),
            String::new(),
            [
                String::new(),
                String::new(),
                grand.summary(),
                grand.available.cell(),
                grand.assigned.cell(),
            ],
        ));
        if grand.available.overflowed() || grand.assigned.overflowed() {
            crate::diag::diag!(
                "error: a seat total is larger than {} and cannot be shown; the TOTAL row says `{OVERFLOW}` (the service reported implausible seat counts; the rows above are as reported)",
                u64::MAX
            );
        }
        table.write_to(&mut self.out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::Shared;
    use crate::work::CustomerRef;
    use std::sync::Arc;

    fn seats(id: &str, name: &str, available: u64, assigned: u64) -> TenantSeats {
        TenantSeats::new(id, name, available, assigned)
    }

    fn target(id: &str, organization: Option<&str>, tenant_type: TenantType) -> Target {
        Target {
            customer: Arc::new(CustomerRef {
                id: id.to_owned(),
                organization: organization.map(str::to_owned),
            }),
            tenant_type,
        }
    }

    fn plain() -> Layout {
        Layout {
            organization: false,
            types: vec![TenantType::Salesforce],
        }
    }

    fn feed(sink: &mut dyn Sink) {
        let sf = TenantType::Salesforce;
        sink.begin().expect("begin");
        sink.report(
            1,
            &target("cust-b", None, sf),
            &[seats("t2", "Quote \"Inc\", Ltd\nline 2", 3, 4)],
        )
        .expect("row");
        sink.report(
            0,
            &target("cust-a", None, sf),
            &[seats("t1", "alpha", 10, 20), seats("t3", "béta", 1, 0)],
        )
        .expect("row");
        sink.report(2, &target("cust-c", None, sf), &[])
            .expect("row");
        sink.finish().expect("finish");
    }

    #[test]
    fn json_is_an_array_of_objects_in_arrival_order() {
        let out = Shared::default();
        feed(&mut JsonWriter::new(plain(), out.clone()));
        let text = out.text();
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        let rows = value.as_array().expect("array");
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[0],
            serde_json::json!({
                "customerId": "cust-b",
                "tenantType": "salesforce",
                "tenantId": "t2",
                "tenantName": "Quote \"Inc\", Ltd\nline 2",
                "availableUserSeat": 3,
                "assignedUserSeat": 4
            })
        );
        let keys: Vec<&str> = rows[1]
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = COLUMNS.to_vec();
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(text.lines().count(), 5, "one row per line:\n{text}");
    }

    #[test]
    fn empty_json_is_an_empty_array() {
        let out = Shared::default();
        let mut w = JsonWriter::new(plain(), out.clone());
        w.begin().expect("begin");
        w.finish().expect("finish");
        assert_eq!(out.text(), "[]\n");
    }

    #[test]
    fn csv_round_trips_awkward_names() {
        let out = Shared::default();
        feed(&mut CsvWriter::new(plain(), out.clone()));
        let text = out.text();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .expect("headers")
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(headers, COLUMNS);
        let records: Vec<csv::StringRecord> =
            reader.records().collect::<Result<_, _>>().expect("records");
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[0].iter().collect::<Vec<_>>(),
            [
                "cust-b",
                "salesforce",
                "t2",
                "Quote \"Inc\", Ltd\nline 2",
                "3",
                "4"
            ]
        );
        assert_eq!(&records[2][3], "béta");
    }

    #[test]
    fn organization_column_follows_the_customer_id() {
        let layout = Layout {
            organization: true,
            types: vec![TenantType::Google],
        };
        let named = target("c1", Some("Contoso, \"Ltd\""), TenantType::Google);
        let nameless = target("c2", None, TenantType::Google);
        let rows = [seats("t1", "g1", 1, 2)];
        let out = Shared::default();
        let mut csv = CsvWriter::new(layout.clone(), out.clone());
        csv.begin().expect("begin");
        csv.report(0, &named, &rows).expect("row");
        csv.report(1, &nameless, &rows).expect("row");
        csv.finish().expect("finish");
        assert_eq!(
            out.text(),
            "customerId,organization,tenantType,tenantId,tenantName,availableUserSeat,assignedUserSeat\n\
             c1,\"Contoso, \"\"Ltd\"\"\",google,t1,g1,1,2\n\
             c2,,google,t1,g1,1,2\n"
        );
        let out = Shared::default();
        let mut json = JsonWriter::new(layout, out.clone());
        json.begin().expect("begin");
        json.report(0, &named, &rows).expect("row");
        json.report(1, &nameless, &rows).expect("row");
        json.finish().expect("finish");
        let value: serde_json::Value = serde_json::from_str(&out.text()).expect("json");
        assert_eq!(value[0]["organization"], "Contoso, \"Ltd\"");
        assert!(value[1]["organization"].is_null());
        let keys: Vec<&str> = value[0]
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys.len(), 7);
    }

    #[test]
    fn table_is_aligned_sorted_and_totalled() {
        let out = Shared::default();
        feed(&mut TableWriter::new(plain(), out.clone()));
        let text = out.text();
        let expected = "\
CUSTOMER  TYPE        TENANT ID  TENANT NAME                           AVAILABLE  ASSIGNED
cust-a    salesforce  t1         alpha                                        10        20
cust-a    salesforce  t3         béta                                          1         0
cust-b    salesforce  t2         Quote \"Inc\", Ltd\\nline 2                      3         4
cust-c    salesforce  -          (no salesforce tenants)                       0         0
TOTAL                            3 tenants of 2 customers (3 queried)         14        24
";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_total_past_u64_max_says_overflow_instead_of_saturating() {
        let out = Shared::default();
        let mut w = TableWriter::new(plain(), out.clone());
        w.begin().expect("begin");
        let big = target("c", None, TenantType::Salesforce);
        w.report(
            0,
            &big,
            &[seats("t1", "a", u64::MAX, 1), seats("t2", "b", 1, 2)],
        )
        .expect("row");
        w.finish().expect("finish");
        let text = out.text();
        let total = text.lines().last().expect("TOTAL row");
        assert!(total.starts_with("TOTAL"), "{text}");
        assert!(total.ends_with("overflow         3"), "{total}");
        assert!(!total.contains(&u64::MAX.to_string()), "{total}");
    }

    #[test]
    fn several_types_get_a_totals_row_each() {
        let layout = Layout {
            organization: true,
            types: vec![TenantType::Microsoft365, TenantType::Google],
        };
        let out = Shared::default();
        let mut w = TableWriter::new(layout, out.clone());
        w.begin().expect("begin");
        let m365 = TenantType::Microsoft365;
        let google = TenantType::Google;
        w.report(
            0,
            &target("c1", Some("One"), m365),
            &[seats("t1", "a", 1, 2)],
        )
        .expect("row");
        w.report(1, &target("c1", Some("One"), google), &[])
            .expect("row");
        w.report(2, &target("c2", None, m365), &[seats("t2", "b", 10, 20)])
            .expect("row");
        w.finish().expect("finish");
        let expected = "\
CUSTOMER  ORGANIZATION  TYPE    TENANT ID  TENANT NAME                           AVAILABLE  ASSIGNED
c1        One           m365    t1         a                                             1         2
c1        One           google  -          (no google tenants)                           0         0
c2                      m365    t2         b                                            10        20
TOTAL                   m365               2 tenants of 2 customers (2 queried)         11        22
TOTAL                   google             0 tenants of 0 customers (1 queried)          0         0
TOTAL                                      2 tenants of 2 customers (2 queried)         11        22
";
        assert_eq!(out.text(), expected);
    }

    #[test]
    fn empty_table_has_a_header_and_zero_totals() {
        let out = Shared::default();
        let mut w = TableWriter::new(plain(), out.clone());
        w.begin().expect("begin");
        w.finish().expect("finish");
        assert_eq!(
            out.text(),
            "CUSTOMER  TYPE  TENANT ID  TENANT NAME                           AVAILABLE  ASSIGNED\nTOTAL                      0 tenants of 0 customers (0 queried)          0         0\n"
        );
    }
}
