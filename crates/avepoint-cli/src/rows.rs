//! The output of the licensing commands (`overview`, `products`, `services`, `reconcile`):
//! rows of named columns as `json` (an array of objects, keys in column order), `csv` (a
//! header row of the keys, then the rows) or `table` (the columns marked for people,
//! aligned, with a totals row and the command's own closing lines).
//!
//! `json` and `csv` write and flush each customer's rows at once; `table` buffers them.
//! Built from the same blocks as the seats output ([`crate::render`]).

use std::io::{self, Write};

use serde::Serialize;
use serde::ser::SerializeMap as _;
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::render::{CsvRecords, JsonArray, Table, cell};

/// One column of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The `json` key and `csv` header.
    pub(crate) key: &'static str,
    /// The table header; `None` leaves the column out of the table.
    pub(crate) header: Option<&'static str>,
    /// Right-aligned in the table (numbers).
    pub(crate) right: bool,
    /// Summed in the table's totals row.
    pub(crate) sum: bool,
}

impl Column {
    /// A text column shown in the table under `header`.
    pub(crate) const fn text(key: &'static str, header: &'static str) -> Self {
        Self {
            key,
            header: Some(header),
            right: false,
            sum: false,
        }
    }

    /// A number column shown right-aligned under `header`, not summed.
    pub(crate) const fn number(key: &'static str, header: &'static str) -> Self {
        Self {
            key,
            header: Some(header),
            right: true,
            sum: false,
        }
    }

    /// A number column shown right-aligned under `header` and summed in the totals row.
    pub(crate) const fn count(key: &'static str, header: &'static str) -> Self {
        Self {
            key,
            header: Some(header),
            right: true,
            sum: true,
        }
    }

    /// A column of `json` and `csv` only.
    pub(crate) const fn data(key: &'static str) -> Self {
        Self {
            key,
            header: None,
            right: false,
            sum: false,
        }
    }
}

/// One row: a value per column, in column order.
pub(crate) type Row = Vec<Value>;

/// The lines a command adds after its table (e.g. counts per status).
pub(crate) type Footer = Box<dyn Fn(&[Column], &[Row]) -> Vec<String> + Send>;

/// Where the rows go.
pub(crate) trait RowSink {
    /// Called once before any row.
    fn begin(&mut self) -> io::Result<()>;
    /// One customer's rows.
    fn rows(&mut self, rows: &[Row]) -> io::Result<()>;
    /// Called once at the end (also when some customers failed).
    fn finish(&mut self) -> io::Result<()>;
}

/// The writer of `format` over `out`; `footer` adds lines after the table.
pub(crate) fn sink<W: Write + 'static>(
    format: OutputFormat,
    columns: Vec<Column>,
    footer: Footer,
    out: W,
) -> Box<dyn RowSink> {
    match format {
        OutputFormat::Json => Box::new(JsonRows {
            columns,
            out: JsonArray::new(out),
        }),
        OutputFormat::Csv => Box::new(CsvRows {
            columns,
            out: CsvRecords::new(out),
        }),
        OutputFormat::Table => Box::new(TableRows {
            columns,
            footer,
            rows: Vec::new(),
            out,
        }),
    }
}

/// A row as a JSON object, keys in column order.
struct Object<'a>(&'a [Column], &'a Row);

impl Serialize for Object<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (column, value) in self.0.iter().zip(self.1) {
            map.serialize_entry(column.key, value)?;
        }
        map.end()
    }
}

struct JsonRows<W: Write> {
    columns: Vec<Column>,
    out: JsonArray<W>,
}

impl<W: Write> RowSink for JsonRows<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.begin()
    }

    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        for row in rows {
            self.out.item(&Object(&self.columns, row))?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.finish()
    }
}

/// A value as CSV or table text: `null` is empty, strings as they are.
pub(crate) fn text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct CsvRows<W: Write> {
    columns: Vec<Column>,
    out: CsvRecords<W>,
}

impl<W: Write> RowSink for CsvRows<W> {
    fn begin(&mut self) -> io::Result<()> {
        self.out.record(self.columns.iter().map(|c| c.key))?;
        self.out.flush()
    }

    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        for row in rows {
            self.out.record(row.iter().map(text))?;
        }
        self.out.flush()
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

struct TableRows<W: Write> {
    columns: Vec<Column>,
    footer: Footer,
    rows: Vec<Row>,
    out: W,
}

impl<W: Write> RowSink for TableRows<W> {
    fn begin(&mut self) -> io::Result<()> {
        Ok(())
    }

    fn rows(&mut self, rows: &[Row]) -> io::Result<()> {
        self.rows.extend_from_slice(rows);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let shown: Vec<(usize, &Column)> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.header.is_some())
            .collect();
        let headers: Vec<&str> = shown.iter().filter_map(|(_, c)| c.header).collect();
        let right: Vec<bool> = shown.iter().map(|(_, c)| c.right).collect();
        let mut table = Table::new(&headers, &right);
        for row in &self.rows {
            table.push(
                shown
                    .iter()
                    .map(|&(i, _)| match row.get(i) {
                        Some(Value::Null) | None => "-".to_owned(),
                        Some(value) => cell(&text(value)),
                    })
                    .collect(),
            );
        }
        if shown.iter().any(|(_, c)| c.sum) {
            let mut totals: Vec<String> = shown
                .iter()
                .map(|&(i, c)| {
                    if c.sum {
                        let sum: i64 = self
                            .rows
                            .iter()
                            .filter_map(|r| r.get(i).and_then(Value::as_i64))
                            .sum();
                        sum.to_string()
                    } else {
                        String::new()
                    }
                })
                .collect();
            if let Some(first) = totals.first_mut() {
                *first = format!(
                    "TOTAL ({} row{})",
                    self.rows.len(),
                    if self.rows.len() == 1 { "" } else { "s" }
                );
            }
            table.push(totals);
        }
        table.write_to(&mut self.out)?;
        for line in (self.footer)(&self.columns, &self.rows) {
            writeln!(self.out, "{line}")?;
        }
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::tests::Shared;
    use serde_json::json;

    fn columns() -> Vec<Column> {
        vec![
            Column::text("customerId", "CUSTOMER"),
            Column::data("hidden"),
            Column::count("seats", "SEATS"),
        ]
    }

    fn rows() -> Vec<Row> {
        vec![
            vec![json!("a,b"), json!(null), json!(3)],
            vec![json!("c\u{1b}[31m"), json!("x"), json!(4)],
        ]
    }

    fn write(format: OutputFormat) -> String {
        let out = Shared::default();
        let mut sink = sink(
            format,
            columns(),
            Box::new(|_, rows| vec![format!("{} rows", rows.len())]),
            out.clone(),
        );
        sink.begin().expect("begin");
        sink.rows(&rows()).expect("rows");
        sink.finish().expect("finish");
        out.text()
    }

    #[test]
    fn json_keeps_column_order_and_nulls() {
        assert_eq!(
            write(OutputFormat::Json),
            "[\n  {\"customerId\":\"a,b\",\"hidden\":null,\"seats\":3},\n  {\"customerId\":\"c\\u001b[31m\",\"hidden\":\"x\",\"seats\":4}\n]\n"
        );
    }

    #[test]
    fn csv_has_a_header_and_quotes() {
        assert_eq!(
            write(OutputFormat::Csv),
            "customerId,hidden,seats\n\"a,b\",,3\nc\u{1b}[31m,x,4\n"
        );
    }

    #[test]
    fn table_escapes_totals_and_footer() {
        assert_eq!(
            write(OutputFormat::Table),
            "CUSTOMER        SEATS\na,b                 3\nc\\u{1b}[31m         4\nTOTAL (2 rows)      7\n2 rows\n"
        );
    }
}
