//! The stored form of a report's tenants: one compact blob per customer x type report
//! (`reports.tenants`) instead of one SQL row per tenant, so that recording costs one insert
//! per report.
//!
//! Layout: a format byte ([`FORMAT`]), the tenant count, then per tenant in the order of the
//! answer: its id and its name (each a length and UTF-8 bytes), its available and its
//! assigned seats. Counts, lengths and seats are LEB128 varints. Seats are kept as SQLite
//! integers were (at most `i64::MAX`), so a run reads back the same whichever schema
//! version recorded it.

use std::fmt;

use avepoint_graph::TenantSeats;

use super::store::to_sql_int;

/// The format byte of the layout above.
const FORMAT: u8 = 1;

/// Why a stored blob could not be read (a damaged or foreign database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobError(&'static str);

impl fmt::Display for BlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "damaged tenants of a report: {}", self.0)
    }
}

impl std::error::Error for BlobError {}

/// Encodes `tenants` (in order).
pub(crate) fn encode(tenants: &[TenantSeats]) -> Vec<u8> {
    let size = 2 + tenants
        .iter()
        .map(|t| t.tenant_id.len() + t.tenant_name.len() + 8)
        .sum::<usize>();
    let mut out = Vec::with_capacity(size);
    out.push(FORMAT);
    put_varint(&mut out, tenants.len() as u64);
    for t in tenants {
        put_text(&mut out, &t.tenant_id);
        put_text(&mut out, &t.tenant_name);
        put_varint(&mut out, stored_seats(t.available_seats));
        put_varint(&mut out, stored_seats(t.assigned_seats));
    }
    out
}

/// Encodes tenants given as stored columns (id, name, available, assigned), for converting
/// rows of an older schema.
pub(crate) struct Encoder {
    out: Vec<u8>,
    count: u64,
}

impl Encoder {
    /// An empty list.
    pub(crate) fn new() -> Self {
        Self {
            out: Vec::new(),
            count: 0,
        }
    }

    /// Appends one tenant; negative seats (never written) read as 0, as they always did.
    pub(crate) fn push(&mut self, id: &str, name: &str, available: i64, assigned: i64) {
        put_text(&mut self.out, id);
        put_text(&mut self.out, name);
        put_varint(&mut self.out, available.max(0).unsigned_abs());
        put_varint(&mut self.out, assigned.max(0).unsigned_abs());
        self.count += 1;
    }

    /// How many tenants were pushed.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// The blob.
    pub(crate) fn finish(self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(self.out.len() + 10);
        blob.push(FORMAT);
        put_varint(&mut blob, self.count);
        blob.extend_from_slice(&self.out);
        blob
    }
}

/// Decodes a blob written by [`encode`] or [`Encoder`]; `None` (a failed report, or a
/// report without tenants converted from an older schema) is no tenants.
pub(crate) fn decode(blob: Option<&[u8]>) -> Result<Vec<TenantSeats>, BlobError> {
    let Some(blob) = blob else {
        return Ok(Vec::new());
    };
    let mut r = Reader { rest: blob };
    if r.byte()? != FORMAT {
        return Err(BlobError("unknown format"));
    }
    let count = r.varint()?;
    // Each tenant takes at least 4 bytes: a count past that is damage, not an allocation.
    if count > (r.rest.len() / 4) as u64 {
        return Err(BlobError("tenant count past its end"));
    }
    let mut tenants = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for _ in 0..count {
        let id = r.text()?;
        let name = r.text()?;
        let available = r.varint()?;
        let assigned = r.varint()?;
        tenants.push(TenantSeats::new(id, name, available, assigned));
    }
    if !r.rest.is_empty() {
        return Err(BlobError("bytes after its last tenant"));
    }
    Ok(tenants)
}

/// Seats as an SQLite integer holds them (see the module's documentation).
fn stored_seats(n: u64) -> u64 {
    to_sql_int(n).unsigned_abs()
}

fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Reads a blob front to back; every read is bounded by what is left.
struct Reader<'a> {
    rest: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, BlobError> {
        let (&first, rest) = self.rest.split_first().ok_or(BlobError("cut short"))?;
        self.rest = rest;
        Ok(first)
    }

    fn varint(&mut self) -> Result<u64, BlobError> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let part = u64::from(b & 0x7f);
            if shift == 63 && part > 1 {
                return Err(BlobError("number too large"));
            }
            n |= part << shift;
            if b & 0x80 == 0 {
                return Ok(n);
            }
        }
        Err(BlobError("number too long"))
    }

    fn text(&mut self) -> Result<String, BlobError> {
        let len = self.varint()?;
        let len = usize::try_from(len)
            .ok()
            .filter(|&l| l <= self.rest.len())
            .ok_or(BlobError("text past its end"))?;
        let (text, rest) = self.rest.split_at(len);
        self.rest = rest;
        String::from_utf8(text.to_vec()).map_err(|_| BlobError("text not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(id: &str, name: &str, available: u64, assigned: u64) -> TenantSeats {
        TenantSeats::new(id.to_owned(), name.to_owned(), available, assigned)
    }

    #[test]
    fn tenants_round_trip_in_order() {
        let tenants = vec![
            tenant("b-2", "zeta.example.com", 0, 127),
            tenant("a-1", "ütf-8 ✓ name", 128, 300_000),
            tenant("", "", u64::from(u32::MAX), i64::MAX.unsigned_abs()),
        ];
        assert_eq!(decode(Some(&encode(&tenants))), Ok(tenants));
        assert_eq!(decode(Some(&encode(&[]))), Ok(Vec::new()));
        assert_eq!(decode(None), Ok(Vec::new()));
    }

    #[test]
    fn seats_past_what_sqlite_holds_are_stored_as_they_were() {
        let blob = encode(&[tenant("t", "n", u64::MAX, 5)]);
        assert_eq!(
            decode(Some(&blob)),
            Ok(vec![tenant("t", "n", i64::MAX.unsigned_abs(), 5)])
        );
    }

    #[test]
    fn the_encoder_of_stored_columns_writes_the_same_blob() {
        let mut e = Encoder::new();
        e.push("a", "alpha", 3, 4);
        e.push("b", "beta", -1, 200);
        assert_eq!(e.count(), 2);
        assert_eq!(
            e.finish(),
            encode(&[tenant("a", "alpha", 3, 4), tenant("b", "beta", 0, 200)])
        );
        assert_eq!(Encoder::new().finish(), encode(&[]));
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let good = encode(&[tenant("id", "name", 1000, 2)]);
        for cut in 0..good.len() {
            assert!(decode(Some(&good[..cut])).is_err(), "cut at {cut}");
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(decode(Some(&trailing)).is_err());
        let mut other_format = good.clone();
        other_format[0] = 9;
        assert!(decode(Some(&other_format)).is_err());
        assert!(decode(Some(&[FORMAT, 0xff, 0xff, 0xff, 0xff, 0x0f])).is_err());
        assert!(
            decode(Some(&[
                FORMAT, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01
            ]))
            .is_err()
        );
        assert!(
            decode(Some(&[FORMAT, 1, 2, 0xc3, 0x28, 0, 0, 0])).is_err(),
            "not UTF-8"
        );
    }
}
