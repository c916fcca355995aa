//! The output formats: `table` for people, `json` and `csv` for scripts.
//!
//! Every writer gets the customers' answers one at a time, in the order they arrive.
//! [`JsonWriter`] and [`CsvWriter`] write and flush each customer's rows at once, so their
//! memory does not grow with the number of customers and a consumer sees rows as they come;
//! the JSON array is closed in [`Sink::finish`], so the output is valid JSON whatever
//! happened to individual customers. [`TableWriter`] keeps every row until the end to align
//! the columns.

use std::io::{self, Write};

use avepoint_graph::{TenantSeats, TenantType};
use serde::Serialize;

use crate::cli::OutputFormat;

/// The column names of `json` and `csv`, in order.
pub(crate) const COLUMNS: [&str; 6] = [
    "customerId",
    "tenantType",
    "tenantId",
    "tenantName",
    "availableUserSeat",
    "assignedUserSeat",
];

/// One output row: a tenant of a customer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Row<'a> {
    customer_id: &'a str,
    tenant_type: &'static str,
    tenant_id: &'a str,
    tenant_name: &'a str,
    available_user_seat: u64,
    assigned_user_seat: u64,
}

impl<'a> Row<'a> {
    fn new(customer_id: &'a str, tenant_type: TenantType, t: &'a TenantSeats) -> Self {
        Self {
            customer_id,
            tenant_type: tenant_type.short_name(),
            tenant_id: &t.tenant_id,
            tenant_name: &t.tenant_name,
            available_user_seat: t.available_seats,
            assigned_user_seat: t.assigned_seats,
        }
    }
}

/// Where the customers' answers go.
pub(crate) trait Sink {
    /// Called once before any customer.
    fn begin(&mut self) -> io::Result<()>;

    /// One customer's tenants; `seq` is the customer's position in the input (from 0).
    fn customer(
        &mut self,
        seq: u64,
        customer_id: &str,
        tenant_type: TenantType,
        tenants: &[TenantSeats],
    ) -> io::Result<()>;

    /// Called once at the end (also when some customers failed).
    fn finish(&mut self) -> io::Result<()>;
}

/// The writer of `format` over `out`.
pub(crate) fn sink<W: Write + 'static>(format: OutputFormat, out: W) -> Box<dyn Sink> {
    match format {
        OutputFormat::Table => Box::new(TableWriter::new(out)),
        OutputFormat::Json => Box::new(JsonWriter::new(out)),
        OutputFormat::Csv => Box::new(CsvWriter::new(out)),
    }
}

/// A JSON array written element by element: `[`, then one object per line, then `]`.
pub(crate) struct JsonWriter<W: Write> {
    out: W,
    rows: u64,
}

impl<W: Write> JsonWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(out: W) -> Self {
        Self { out, rows: 0 }
    }
}

impl<W: Write> Sink for JsonWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.write_all(b"[")?;
        self.out.flush()
    }

    fn customer(
        &mut self,
        _seq: u64,
        customer_id: &str,
        tenant_type: TenantType,
        tenants: &[TenantSeats],
    ) -> io::Result<()> {
        for t in tenants {
            self.out
                .write_all(if self.rows == 0 { b"\n  " } else { b",\n  " })?;
            serde_json::to_writer(&mut self.out, &Row::new(customer_id, tenant_type, t))?;
            self.rows += 1;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.rows == 0 { b"]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// CSV with a header row ([`COLUMNS`]), quoted where needed (RFC 4180).
pub(crate) struct CsvWriter<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(out: W) -> Self {
        Self {
            out: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out),
        }
    }
}

fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

impl<W: Write> Sink for CsvWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.write_record(COLUMNS).map_err(csv_error)?;
        self.out.flush()
    }

    fn customer(
        &mut self,
        _seq: u64,
        customer_id: &str,
        tenant_type: TenantType,
        tenants: &[TenantSeats],
    ) -> io::Result<()> {
        for t in tenants {
            self.out
                .serialize(Row::new(customer_id, tenant_type, t))
                .map_err(csv_error)?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// One customer's answer, kept for the table.
struct TableCustomer {
    seq: u64,
    customer_id: String,
    tenant_type: TenantType,
    tenants: Vec<TenantSeats>,
}

/// Aligned columns, sorted by input order, with a totals row; buffers everything until
/// [`Sink::finish`].
pub(crate) struct TableWriter<W: Write> {
    out: W,
    customers: Vec<TableCustomer>,
}

impl<W: Write> TableWriter<W> {
    /// A writer over `out`.
    pub(crate) fn new(out: W) -> Self {
        Self {
            out,
            customers: Vec::new(),
        }
    }
}

/// Makes a value safe for one table cell: control characters (line breaks, escapes) are
/// shown escaped so they cannot break the layout or drive the terminal.
fn cell(s: &str) -> String {
    if !s.chars().any(char::is_control) {
        return s.to_owned();
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

const HEADERS: [&str; 6] = [
    "CUSTOMER",
    "TYPE",
    "TENANT ID",
    "TENANT NAME",
    "AVAILABLE",
    "ASSIGNED",
];

/// Which columns are right-aligned (the numbers).
const RIGHT: [bool; 6] = [false, false, false, false, true, true];

impl<W: Write> Sink for TableWriter<W> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn customer(
        &mut self,
        seq: u64,
        customer_id: &str,
        tenant_type: TenantType,
        tenants: &[TenantSeats],
    ) -> io::Result<()> {
        self.customers.push(TableCustomer {
            seq,
            customer_id: customer_id.to_owned(),
            tenant_type,
            tenants: tenants.to_vec(),
        });
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.customers.sort_by_key(|c| c.seq);
        let mut rows: Vec<[String; 6]> = vec![HEADERS.map(str::to_owned)];
        let (mut available, mut assigned, mut tenants) = (0u64, 0u64, 0u64);
        for c in &self.customers {
            let id = cell(&c.customer_id);
            let kind = c.tenant_type.short_name().to_owned();
            if c.tenants.is_empty() {
                rows.push([
                    id.clone(),
                    kind.clone(),
                    "-".to_owned(),
                    format!("(no {} tenants)", c.tenant_type.short_name()),
                    "0".to_owned(),
                    "0".to_owned(),
                ]);
            }
            for t in &c.tenants {
                available = available.saturating_add(t.available_seats);
                assigned = assigned.saturating_add(t.assigned_seats);
                tenants += 1;
                rows.push([
                    id.clone(),
                    kind.clone(),
                    cell(&t.tenant_id),
                    cell(&t.tenant_name),
                    t.available_seats.to_string(),
                    t.assigned_seats.to_string(),
                ]);
            }
        }
        let customers = self.customers.len();
        rows.push([
            "TOTAL".to_owned(),
            String::new(),
            String::new(),
            format!(
                "{tenants} tenant{} of {customers} customer{}",
                if tenants == 1 { "" } else { "s" },
                if customers == 1 { "" } else { "s" }
            ),
            available.to_string(),
            assigned.to_string(),
        ]);
        let mut widths = [0usize; 6];
        for row in &rows {
            for (w, v) in widths.iter_mut().zip(row) {
                *w = (*w).max(v.chars().count());
            }
        }
        for row in &rows {
            let mut line = String::new();
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = widths[i] - v.chars().count();
                if RIGHT[i] {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(v);
                } else {
                    line.push_str(v);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(self.out, "{}", line.trim_end())?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A `Write` whose bytes the test can read after handing it to a writer.
    #[derive(Clone, Default)]
    struct Shared(Rc<RefCell<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.borrow_mut().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).expect("utf-8")
        }
    }

    fn seats(id: &str, name: &str, available: u64, assigned: u64) -> TenantSeats {
        TenantSeats {
            tenant_id: id.to_owned(),
            tenant_name: name.to_owned(),
            available_seats: available,
            assigned_seats: assigned,
        }
    }

    fn feed(sink: &mut dyn Sink) {
        sink.begin().expect("begin");
        sink.customer(
            1,
            "cust-b",
            TenantType::Salesforce,
            &[seats("t2", "Quote \"Inc\", Ltd\nline 2", 3, 4)],
        )
        .expect("row");
        sink.customer(
            0,
            "cust-a",
            TenantType::Salesforce,
            &[seats("t1", "alpha", 10, 20), seats("t3", "béta", 1, 0)],
        )
        .expect("row");
        sink.customer(2, "cust-c", TenantType::Salesforce, &[])
            .expect("row");
        sink.finish().expect("finish");
    }

    #[test]
    fn json_is_an_array_of_objects_in_arrival_order() {
        let out = Shared::default();
        feed(&mut JsonWriter::new(out.clone()));
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
        let mut w = JsonWriter::new(out.clone());
        w.begin().expect("begin");
        w.finish().expect("finish");
        assert_eq!(out.text(), "[]\n");
    }

    #[test]
    fn csv_round_trips_awkward_names() {
        let out = Shared::default();
        feed(&mut CsvWriter::new(out.clone()));
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
    fn table_is_aligned_sorted_and_totalled() {
        let out = Shared::default();
        feed(&mut TableWriter::new(out.clone()));
        let text = out.text();
        let expected = "\
CUSTOMER  TYPE        TENANT ID  TENANT NAME               AVAILABLE  ASSIGNED
cust-a    salesforce  t1         alpha                            10        20
cust-a    salesforce  t3         béta                              1         0
cust-b    salesforce  t2         Quote \"Inc\", Ltd\\nline 2          3         4
cust-c    salesforce  -          (no salesforce tenants)           0         0
TOTAL                            3 tenants of 3 customers         14        24
";
        assert_eq!(text, expected);
    }

    #[test]
    fn empty_table_has_a_header_and_zero_totals() {
        let out = Shared::default();
        let mut w = TableWriter::new(out.clone());
        w.begin().expect("begin");
        w.finish().expect("finish");
        assert_eq!(
            out.text(),
            "CUSTOMER  TYPE  TENANT ID  TENANT NAME               AVAILABLE  ASSIGNED\nTOTAL                      0 tenants of 0 customers          0         0\n"
        );
    }
}
