//! Redaction of credentials from text a server sent back.
//!
//! A hostile or careless identity service or API may echo what it received: the form body of
//! a token request (the client secret form-urlencoded, or the client assertion), or the
//! request's `Authorization` header. Everything built from a response body (error snippets,
//! messages, OAuth `error_description`s, decode errors) goes through a [`Redactor`] that
//! knows every credential the client sends and removes each of them in every encoding it may
//! come back in: raw, form-urlencoded, percent-encoded (upper- or lower-case hex, with or
//! without the unreserved characters encoded), JSON-escaped and base64 (standard and URL-safe,
//! with and without padding; a JWT's segments one by one), plus anything of the form
//! `Bearer <credential>` or `Basic <credential>`.
//!
//! Redaction runs on the whole text before it is cut to a snippet, so a credential that
//! straddles the cut cannot leak its start; [`Redactor::snippet`] also drops a trailing
//! partial match when the body had been cut while it was read.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::auth::Secret;
use crate::error::BODY_SNIPPET_LIMIT;

/// What stands in for a credential.
pub(crate) const REDACTED: &str = "[redacted]";

/// Characters RFC 3986 leaves unencoded in a component (`-._~` and alphanumerics).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The shortest JWT segment redacted on its own (header and payload segments of a client
/// assertion are long; short segments would match ordinary text).
const MIN_SEGMENT: usize = 16;

/// Removes known credentials, in every encoding, from server text. Cheap to build and clone:
/// the encodings are only computed when text is scrubbed (an error path).
#[derive(Clone, Debug, Default)]
pub(crate) struct Redactor {
    secrets: Vec<Secret>,
}

impl Redactor {
    /// A redactor that knows no credential yet (it still removes `Bearer <credential>`).
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Also redacts `secret` (ignored when empty).
    pub(crate) fn with(mut self, secret: &Secret) -> Self {
        self.add(secret);
        self
    }

    /// Also redacts `secret` (ignored when empty).
    pub(crate) fn add(&mut self, secret: &Secret) {
        if !secret.is_empty() && !self.secrets.contains(secret) {
            self.secrets.push(secret.clone());
        }
    }

    /// Every form in which the known credentials may come back, longest first (so a longer
    /// encoding is replaced before a shorter one inside it).
    fn variants(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for secret in &self.secrets {
            let raw = secret.expose();
            let mut forms = vec![raw.to_owned()];
            let form: String = url::form_urlencoded::byte_serialize(raw.as_bytes()).collect();
            forms.push(form.replace('+', "%20"));
            forms.push(form);
            forms.push(utf8_percent_encode(raw, NON_ALPHANUMERIC).to_string());
            forms.push(utf8_percent_encode(raw, COMPONENT).to_string());
            if let Ok(json) = serde_json::to_string(raw) {
                let json = json.trim_matches('"').to_owned();
                forms.push(json.replace('/', "\\/"));
                forms.push(json);
            }
            for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
                forms.push(engine.encode(raw));
            }
            // A JWT (the client assertion, an access token): each long segment on its own.
            if raw.matches('.').count() == 2 {
                forms.extend(
                    raw.split('.')
                        .filter(|s| s.len() >= MIN_SEGMENT)
                        .map(str::to_owned),
                );
            }
            for form in forms {
                // Percent-encodings in lower-case hex too.
                if form.contains('%') {
                    out.push(lower_hex(&form));
                }
                out.push(form);
            }
        }
        out.sort_by_key(|v| std::cmp::Reverse(v.len()));
        out.dedup();
        out
    }

    /// `text` without any known credential (in any encoding) and without the credential of
    /// any `Bearer`/`Basic` authorization.
    pub(crate) fn scrub(&self, text: &str) -> String {
        let mut text = Cow::Borrowed(text);
        for variant in self.variants() {
            if !variant.is_empty() && text.contains(variant.as_str()) {
                text = Cow::Owned(text.replace(variant.as_str(), REDACTED));
            }
        }
        scrub_authorization(&text)
    }

    /// [`Redactor::scrub`] of an optional string.
    pub(crate) fn scrub_opt(&self, text: Option<String>) -> Option<String> {
        text.map(|t| self.scrub(&t))
    }

    /// A bounded, redacted snippet of a body: redacted first, then cut to at most
    /// [`BODY_SNIPPET_LIMIT`] bytes on a character boundary. `truncated` says the body was
    /// already cut while it was read: then a credential may straddle that cut, so the tail
    /// where a partial credential could sit is dropped as well.
    pub(crate) fn snippet(&self, body: &[u8], truncated: bool) -> String {
        let text = String::from_utf8_lossy(body);
        let mut scrubbed = self.scrub(&text);
        if truncated {
            let longest = self.variants().first().map_or(0, String::len);
            let keep = scrubbed.len().saturating_sub(longest.max(REDACTED.len()));
            cut_at(&mut scrubbed, keep);
        }
        let cut = scrubbed.len() > BODY_SNIPPET_LIMIT || truncated;
        cut_at(&mut scrubbed, BODY_SNIPPET_LIMIT);
        if cut {
            scrubbed.push('…');
        }
        scrubbed
    }
}

/// Cuts `s` to at most `max` bytes on a character boundary.
fn cut_at(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
}

/// `s` with the hex digits of its percent-escapes in lower case.
fn lower_hex(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = 0;
    for c in s.chars() {
        if c == '%' {
            rest = 2;
            out.push(c);
        } else if rest > 0 {
            rest -= 1;
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `b` can be part of a credential after an authorization scheme (RFC 6750's
/// `b64token`, plus `%` for a percent-encoded one).
fn is_credential_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'%')
}

/// Whether a word after `Bearer`/`Basic` is a credential rather than prose ("Bearer tokens
/// are required"): long, holding a digit or a symbol of base64 or JWT text, or with a capital
/// letter inside (base64 text).
fn looks_like_credential(word: &[u8]) -> bool {
    word.len() >= 20
        || word.iter().any(|b| !b.is_ascii_alphabetic())
        || word.iter().skip(1).any(u8::is_ascii_uppercase)
}

/// Replaces the credential after every `Bearer` or `Basic` (any case, separated by spaces,
/// tabs, `+` or `%20`) with [`REDACTED`].
fn scrub_authorization(text: &str) -> String {
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(found) = ["bearer", "basic"]
        .iter()
        .filter_map(|scheme| {
            lower[search..]
                .find(scheme)
                .map(|at| (search + at, scheme.len()))
        })
        .min()
    {
        let (at, len) = found;
        let mut i = at + len;
        let mut separated = false;
        loop {
            if i < bytes.len() && matches!(bytes[i], b' ' | b'\t' | b'+') {
                i += 1;
                separated = true;
            } else if lower[i..].starts_with("%20") {
                i += 3;
                separated = true;
            } else {
                break;
            }
        }
        let start = i;
        while i < bytes.len() && is_credential_byte(bytes[i]) {
            i += 1;
        }
        // A sentence's full stop is not part of the credential.
        while i > start && bytes[i - 1] == b'.' {
            i -= 1;
        }
        if separated && looks_like_credential(&bytes[start..i]) {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = i;
        }
        search = i.max(at + len);
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Azure~style secret/with+specials=&é";

    fn redactor() -> Redactor {
        Redactor::new().with(&Secret::new(SECRET))
    }

    #[test]
    fn every_encoding_of_a_secret_is_removed() {
        let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
        let encodings = [
            SECRET.to_owned(),
            form.clone(),
            form.replace('+', "%20"),
            lower_hex(&form),
            utf8_percent_encode(SECRET, NON_ALPHANUMERIC).to_string(),
            utf8_percent_encode(SECRET, COMPONENT).to_string(),
            serde_json::to_string(SECRET).expect("json"),
            STANDARD.encode(SECRET),
            URL_SAFE_NO_PAD.encode(SECRET),
        ];
        for encoded in encodings {
            let text = format!("client_secret={encoded}&client_id=app");
            let scrubbed = redactor().scrub(&text);
            assert!(
                !scrubbed.contains(&encoded),
                "{encoded} survived: {scrubbed}"
            );
            assert!(!scrubbed.contains("Azure"), "{scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{scrubbed}");
            assert!(scrubbed.ends_with("&client_id=app"), "{scrubbed}");
        }
    }

    #[test]
    fn bearer_credentials_are_removed_whatever_the_token() {
        for text in [
            "Authorization: Bearer eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl",
            "authorization: bearer abc123~+/=",
            "header=Bearer%20abc123&x=1",
            r#"{"headers":{"authorization":"BEARER  abc123"}}"#,
            "Basic dXNlcjpwYXNz",
        ] {
            let scrubbed = Redactor::new().scrub(text);
            assert!(!scrubbed.contains("abc123"), "{scrubbed}");
            assert!(!scrubbed.contains("eyJ"), "{scrubbed}");
            assert!(!scrubbed.contains("dXNlcjpwYXNz"), "{scrubbed}");
            assert!(scrubbed.contains(REDACTED), "{scrubbed}");
        }
        // Prose is left alone.
        assert_eq!(
            Redactor::new().scrub("only Bearer tokens are supported. Use bearer auth."),
            "only Bearer tokens are supported. Use bearer auth."
        );
        assert_eq!(Redactor::new().scrub("Bearer"), "Bearer");
    }

    #[test]
    fn jwt_segments_are_removed_one_by_one() {
        let jwt =
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAiLCJzdWIiOiJhcHAifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
        let r = Redactor::new().with(&Secret::new(jwt));
        let scrubbed = r.scrub("signature c2lnbmF0dXJlLXNpZ25hdHVyZQ was bad");
        assert_eq!(scrubbed, "signature [redacted] was bad");
    }

    #[test]
    fn the_snippet_is_redacted_before_it_is_cut() {
        // The secret straddles the snippet limit: its start must not survive.
        let mut body = "x".repeat(BODY_SNIPPET_LIMIT - 5);
        body.push_str(&form_of(SECRET));
        let snippet = redactor().snippet(body.as_bytes(), false);
        assert!(!snippet.contains("Azure"), "{snippet}");
        assert!(snippet.ends_with('…'));
        assert!(snippet.len() <= BODY_SNIPPET_LIMIT + '…'.len_utf8());
    }

    #[test]
    fn a_credential_cut_by_the_reader_does_not_leak_its_start() {
        // Many redacted copies shrink the text; a partial copy at the read cut follows.
        let form = form_of(SECRET);
        let mut body = format!("{form} ").repeat(3);
        body.push_str(&form[..form.len() / 2]);
        let snippet = redactor().snippet(body.as_bytes(), true);
        assert!(!snippet.contains("Azure"), "{snippet}");
        assert!(snippet.ends_with('…'));
    }

    fn form_of(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }
}
