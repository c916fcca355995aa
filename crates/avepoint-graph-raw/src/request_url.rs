//! The URL of an operation, built from path segments: `Client::request_url`, which the
//! generated operations call (`cargo xtask codegen` rewrites progenitor's `format!` of the
//! URL into it).
//!
//! The base URL is parsed once per context; each path parameter is percent-encoded into
//! exactly one segment, from the text or integer inside the generated parameter type
//! ([`AsSegment`]), so building a URL allocates nothing but the URL itself.

use progenitor_client::{ClientInfo as _, Error};

use crate::{Client, ParsedBase};

/// One path segment of a request URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Segment<'a> {
    /// Text, percent-encoded as one segment.
    Text(&'a str),
    /// An integer, in decimal.
    Integer(i64),
}

/// A value that is sent as one path segment.
///
/// The generated operations call `parameter.as_segment()`. Method-call auto-deref reaches the
/// `String` or integer inside progenitor's parameter newtypes (which `Deref` to it), the same
/// value their `to_string()` formatted before; a parameter type that reaches neither does not
/// compile, so a new kind of path parameter cannot be sent wrongly.
pub(crate) trait AsSegment {
    /// The value as one path segment.
    fn as_segment(&self) -> Segment<'_>;
}

impl AsSegment for str {
    fn as_segment(&self) -> Segment<'_> {
        Segment::Text(self)
    }
}

impl AsSegment for String {
    fn as_segment(&self) -> Segment<'_> {
        Segment::Text(self)
    }
}

impl AsSegment for i32 {
    fn as_segment(&self) -> Segment<'_> {
        Segment::Integer(i64::from(*self))
    }
}

impl AsSegment for i64 {
    fn as_segment(&self) -> Segment<'_> {
        Segment::Integer(*self)
    }
}

/// The text of a [`Segment`], as `PathSegmentsMut::extend` takes it.
enum SegmentText<'a> {
    Borrowed(&'a str),
    Decimal(Decimal),
}

impl AsRef<str> for SegmentText<'_> {
    fn as_ref(&self) -> &str {
        match self {
            SegmentText::Borrowed(text) => text,
            SegmentText::Decimal(decimal) => decimal.as_str(),
        }
    }
}

/// An `i64` in decimal, on the stack (at most 20 characters, with the sign).
struct Decimal {
    bytes: [u8; 20],
    len: usize,
}

impl Decimal {
    fn new(n: i64) -> Self {
        let mut buffer = itoa::Buffer::new();
        let text = buffer.format(n).as_bytes();
        let mut bytes = [0; 20];
        bytes[..text.len()].copy_from_slice(text);
        Self {
            bytes,
            len: text.len(),
        }
    }

    fn as_str(&self) -> &str {
        // Always ASCII digits and `-`.
        std::str::from_utf8(&self.bytes[..self.len]).unwrap_or_default()
    }
}

impl Client {
    /// The URL of an operation: the base URL with `segments` appended, each percent-encoded
    /// as one path segment (a `/`, `\`, `%`, `?` or `#` in a parameter stays inside its
    /// segment). Called by the generated operations.
    ///
    /// Fails when the base URL cannot take a path (not an absolute URL, or one such as
    /// `mailto:`), or when a segment is `.` or `..`, which URL normalisation would remove.
    // The generated operations return progenitor's `Error`; this is their `?`.
    #[allow(clippy::result_large_err)]
    pub(crate) fn request_url<E>(
        &self,
        segments: &[Segment<'_>],
    ) -> Result<reqwest::Url, Error<E>> {
        let dots = segments.iter().find_map(|segment| match segment {
            Segment::Text(text @ ("." | "..")) => Some(*text),
            _ => None,
        });
        if let Some(dots) = dots {
            return Err(Error::InvalidRequest(format!(
                "the path parameter `{dots}` cannot be sent: URL normalisation would remove it"
            )));
        }
        let mut url = self.base_url().map_err(Error::InvalidRequest)?;
        // One `extend`: `url` re-checks the URL once per call, not once per segment.
        url.path_segments_mut()
            .map_err(|()| Error::InvalidRequest(cannot_take_a_path(self.baseurl())))?
            .pop_if_empty()
            .extend(segments.iter().map(|segment| match *segment {
                Segment::Text(text) => SegmentText::Borrowed(text),
                Segment::Integer(n) => SegmentText::Decimal(Decimal::new(n)),
            }));
        Ok(url)
    }

    /// The parsed base URL (parsed once per context, unless a context is shared by clients
    /// of different base URLs).
    fn base_url(&self) -> Result<reqwest::Url, String> {
        let text = self.baseurl();
        if let Some(parsed) = self.inner.base.get().filter(|p| p.text == text) {
            return Ok(parsed.url.clone());
        }
        let url =
            reqwest::Url::parse(text).map_err(|e| format!("{}: {e}", cannot_take_a_path(text)))?;
        if url.cannot_be_a_base() {
            return Err(cannot_take_a_path(text));
        }
        let _ = self.inner.base.set(ParsedBase {
            text: text.to_owned(),
            url: url.clone(),
        });
        Ok(url)
    }
}

fn cannot_take_a_path(base: &str) -> String {
    format!("the base URL {base:?} is not an absolute URL that paths can be added to")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types;

    /// The text of a segment, as `request_url` encodes it.
    fn text(segment: Segment<'_>) -> String {
        match segment {
            Segment::Text(text) => text.to_owned(),
            Segment::Integer(n) => n.to_string(),
        }
    }

    /// Every path parameter type of the generated operations: its segment is the text its
    /// `to_string` gave (what progenitor put in the URL).
    #[test]
    fn a_segment_is_what_to_string_gave() {
        let id = "a/b\\c d%";
        let ids = [
            types::RetrieveCustomerTenantUserSeatsCustomerId::try_from(id)
                .map(|p| (p.to_string(), text(p.as_segment()))),
            types::RetrieveCustomerTenantsBatchCustomerId::try_from(id)
                .map(|p| (p.to_string(), text(p.as_segment()))),
            types::RetrieveCustomerTenantSeatOverviewCustomerId::try_from(id)
                .map(|p| (p.to_string(), text(p.as_segment()))),
            types::RetrieveCustomerProductSeatsCustomerId::try_from(id)
                .map(|p| (p.to_string(), text(p.as_segment()))),
            types::RetrieveCustomerServicesCustomerId::try_from(id)
                .map(|p| (p.to_string(), text(p.as_segment()))),
        ];
        for pair in ids {
            let (to_string, segment) = pair.expect("a valid id");
            assert_eq!(segment, to_string);
            assert_eq!(segment, id);
        }
        for n in [0, -1, 42, i64::MIN, i64::MAX] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
        }
        for code in [0, 1, 2, 3] {
            let tenant_type = types::TenantType::try_from(code).expect("a tenant type");
            assert_eq!(text(tenant_type.as_segment()), tenant_type.to_string());
            // A product type is a plain `i64` parameter.
            let product_type = i64::from(code) * 3;
            assert_eq!(text(product_type.as_segment()), product_type.to_string());
        }
    }
}
