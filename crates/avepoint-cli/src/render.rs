//! The building blocks every output format of the tool is made of, shared by `seats` and
//! `customers`: a JSON array streamed element by element ([`JsonArray`]), CSV records
//! ([`CsvRecords`]) and aligned table text ([`Table`], [`cell`]).

use std::io::{self, Write};

use serde::Serialize;
use unicode_width::UnicodeWidthStr as _;

/// A JSON array written element by element: `[`, then one element per line, then `]`, so
/// a consumer sees elements as they come and memory does not grow with their number.
pub(crate) struct JsonArray<W: Write> {
    out: W,
    items: u64,
}

impl<W: Write> JsonArray<W> {
    /// An array over `out` (nothing written yet).
    pub(crate) fn new(out: W) -> Self {
        Self { out, items: 0 }
    }

    /// Opens the array.
    pub(crate) fn begin(&mut self) -> io::Result<()> {
        self.out.write_all(b"[")?;
        self.out.flush()
    }

    /// Writes one element (call [`JsonArray::flush`] to hand it over).
    pub(crate) fn item(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out
            .write_all(if self.items == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut self.out, value)?;
        self.items += 1;
        Ok(())
    }

    /// Hands what was written over to the reader.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }

    /// Closes the array (valid JSON whatever was written before).
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.out
            .write_all(if self.items == 0 { b"]\n" } else { b"\n]\n" })?;
        self.out.flush()
    }
}

/// CSV records (RFC 4180 quoting where needed); the caller writes the header row.
pub(crate) struct CsvRecords<W: Write> {
    out: csv::Writer<W>,
}

impl<W: Write> CsvRecords<W> {
    /// Records over `out`.
    pub(crate) fn new(out: W) -> Self {
        Self {
            out: csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(out),
        }
    }

    /// Writes one record of plain fields.
    pub(crate) fn record<I, T>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<[u8]>,
    {
        self.out.write_record(fields).map_err(csv_error)
    }

    /// Writes one record from a struct's fields, in declaration order.
    pub(crate) fn serialize(&mut self, value: &impl Serialize) -> io::Result<()> {
        self.out.serialize(value).map_err(csv_error)
    }

    /// Hands what was written over to the reader.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn csv_error(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// Text in aligned columns, for people: a header row, then rows; numbers right-aligned.
/// Columns are aligned by display width, so wide characters (CJK, emoji) take two cells.
pub(crate) struct Table {
    rows: Vec<Vec<String>>,
    right: Vec<bool>,
}

impl Table {
    /// A table with these column headers; `right[i]` right-aligns column `i`.
    pub(crate) fn new(headers: &[&str], right: &[bool]) -> Self {
        Self {
            rows: vec![headers.iter().map(|h| (*h).to_owned()).collect()],
            right: right.to_vec(),
        }
    }

    /// Adds a row (cells made safe with [`cell`] where they hold service data).
    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// Writes the table, columns two spaces apart, without trailing blanks.
    pub(crate) fn write_to(&self, out: &mut impl Write) -> io::Result<()> {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in &self.rows {
            for (w, v) in widths.iter_mut().zip(row) {
                *w = (*w).max(v.width());
            }
        }
        for row in &self.rows {
            let mut line = String::new();
            for (i, v) in row.iter().enumerate() {
                if i > 0 {
                    line.push_str("  ");
                }
                let pad = widths[i].saturating_sub(v.width());
                if self.right.get(i).copied().unwrap_or(false) {
                    line.extend(std::iter::repeat_n(' ', pad));
                    line.push_str(v);
                } else {
                    line.push_str(v);
                    line.extend(std::iter::repeat_n(' ', pad));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        out.flush()
    }
}

/// Makes a value safe for one table cell: control characters (line breaks, escapes), line
/// separators and bidirectional overrides are shown escaped so they cannot break the layout,
/// reorder the text or drive the terminal.
pub(crate) fn cell(s: &str) -> String {
    avepoint_graph::escape_control(s).into_owned()
}

/// `n thing` or `n things`.
pub(crate) fn count(n: u64, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// A `Write` whose bytes the test can read after handing it to a writer.
    #[derive(Clone, Default)]
    pub(crate) struct Shared(Rc<RefCell<Vec<u8>>>);

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
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.borrow().clone()).expect("utf-8")
        }
    }

    #[test]
    fn table_aligns_and_escapes() {
        let mut t = Table::new(&["A", "NUM"], &[false, true]);
        t.push(vec![cell("x\ny"), "1".into()]);
        t.push(vec!["long value".into(), "12345".into()]);
        let out = Shared::default();
        t.write_to(&mut out.clone()).expect("written");
        assert_eq!(
            out.text(),
            "A             NUM\nx\\ny            1\nlong value  12345\n"
        );
    }

    #[test]
    fn wide_characters_are_aligned_by_display_width() {
        let mut t = Table::new(&["TENANT", "SEATS"], &[false, true]);
        t.push(vec![cell("東京テナント"), "5".into()]);
        t.push(vec![cell("contoso"), "12".into()]);
        t.push(vec![cell("🚀 rocket"), "7".into()]);
        let out = Shared::default();
        t.write_to(&mut out.clone()).expect("written");
        assert_eq!(
            out.text(),
            "TENANT        SEATS\n東京テナント      5\ncontoso          12\n🚀 rocket         7\n"
        );
        // Every line ends in the same terminal column.
        let widths: Vec<usize> = out.text().lines().map(|l| l.width()).collect();
        assert_eq!(widths, [19, 19, 19, 19]);
    }

    #[test]
    fn cells_escape_bidirectional_overrides() {
        assert_eq!(cell("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
    }

    #[test]
    fn json_array_is_valid_empty_or_not() {
        let out = Shared::default();
        let mut a = JsonArray::new(out.clone());
        a.begin().expect("begin");
        a.finish().expect("finish");
        assert_eq!(out.text(), "[]\n");
        let out = Shared::default();
        let mut a = JsonArray::new(out.clone());
        a.begin().expect("begin");
        a.item(&1).expect("item");
        a.item(&"two").expect("item");
        a.finish().expect("finish");
        assert_eq!(out.text(), "[\n  1,\n  \"two\"\n]\n");
    }
}
