//! The one error type of the SDK.
//!
//! Every variant says what happened and what to try. The variants are chosen so that a caller
//! can decide what to do without parsing messages: [`Error::Api`] carries the HTTP status and
//! the request id support needs, [`Error::Authentication`] the identity service's answer,
//! [`Error::RetriesExhausted`] how many attempts were made. Nothing here ever holds a secret:
//! bodies are cut to a bounded snippet, and credentials live in redacting types.
//!
//! How the texts are written:
//!
//! * `Display` is one level: what happened, then what to do, in words that fit a program
//!   and a command line alike (settings are named in plain words, e.g. "the maximum
//!   attempts", never as a Rust method). A front end that has its own knob for a setting
//!   finds it with [`GiveUpReason::limit`].
//! * Causes are reached through [`std::error::Error::source`] only, never repeated in the
//!   text: the error of the last attempt under [`Error::RetriesExhausted`], the HTTP
//!   client's error under [`Error::Transport`]. Print the whole chain with anyhow's `{:#}`
//!   or by walking `source()`.
//! * Durations are rounded ([`DisplayDuration`]); only [`Error::RetriesExhausted`] speaks of
//!   retries, and it says how many attempts were really made.

use std::time::Duration;

use crate::escape::escape_control;
use crate::operation::StatusHints;
use crate::redact::Redactor;

/// How many bytes of a response body an error keeps.
pub const BODY_SNIPPET_LIMIT: usize = 512;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong when calling the AvePoint Graph API.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The API answered with an error status.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The identity service refused to issue an access token, or its answer was unusable.
    #[error("{0}")]
    Authentication(Box<AuthenticationError>),

    /// The request never got an HTTP answer: DNS, connection, TLS or a timed-out attempt.
    /// The HTTP client's own error, when there is one, is the [`source`](std::error::Error::source).
    #[error("could not reach {url}: {message}; {}", transport_hint(*timed_out))]
    Transport {
        /// The URL (without query) that was called.
        url: String,
        /// What failed, in a few words, e.g. "the connection failed" or "attempt 2 of
        /// retrieve_customer_tenant_user_seats timed out after 30s" (the details are in the
        /// source).
        message: String,
        /// Whether the attempt timed out (as opposed to failing outright).
        timed_out: bool,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A successful response whose body is not what the API documents.
    #[error(
        "the response of {operation} could not be decoded: {}; body starts with: {snippet:?}. The service may have changed; report it with this message",
        escape_control(message)
    )]
    Decode {
        /// The operation whose response failed to decode.
        operation: &'static str,
        /// What the decoder said.
        message: String,
        /// The first bytes of the body (at most [`BODY_SNIPPET_LIMIT`]).
        snippet: String,
    },

    /// An argument was refused before anything was sent.
    #[error("invalid input: {0}")]
    InvalidInput(String),

    /// The client is configured in a way that cannot work (URL, credentials, certificate).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// A paginated listing could not be walked to its end: the service repeated a page, or
    /// kept returning pages well past the `totalCount` it announced. The items yielded before
    /// this error are valid; the listing is incomplete.
    #[error(
        "paging {operation} stopped: {message}; the listing is incomplete. Retry later, or use a different page size; if it persists, report it to AvePoint support"
    )]
    Paging {
        /// The paginated operation.
        operation: &'static str,
        /// What went wrong, with the page index and counts involved.
        message: String,
    },

    /// A response body was larger than the client's cap
    /// ([`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes)): it
    /// was not read to the end. Not retried: the service would send the same again.
    #[error(
        "the response of {operation} is larger than the {limit}-byte cap{}, far more than any real page, so it was not read to the end; report it to AvePoint support",
        DisplayBytes(*limit)
    )]
    ResponseTooLarge {
        /// The operation whose response was too large.
        operation: &'static str,
        /// The cap, in bytes.
        limit: usize,
    },

    /// The call failed with a transient error and the retry policy allowed no further
    /// attempt: the attempts, the deadline, the retry budget ran out, or the server asked
    /// to wait too long. `attempts` is 1 when no retry was made at all. The error of the last
    /// attempt is the [`source`](std::error::Error::source).
    #[error("{} ({reason})", GaveUp::new(*attempts, *elapsed))]
    RetriesExhausted {
        /// Attempts made, the first one included.
        attempts: u32,
        /// Time spent on the whole call, waits included.
        elapsed: Duration,
        /// Why no further attempt was made.
        reason: GiveUpReason,
        /// The error of the last attempt.
        #[source]
        last: Box<Error>,
    },
}

/// Why the retry loop stopped before a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum GiveUpReason {
    /// The maximum number of attempts was reached.
    MaxAttempts,
    /// The next wait would pass the overall deadline of the call.
    Deadline,
    /// The server asked to wait (`Retry-After`) longer than the configured cap.
    RetryAfterTooLong {
        /// What the server asked for.
        requested: Duration,
        /// The configured cap ([`crate::RetryPolicy::max_retry_after`]).
        cap: Duration,
    },
    /// The client-wide retry budget is spent: the service has been failing for many calls.
    BudgetExhausted,
}

/// What happened, then what to do, in plain words: [`GiveUpReason::summary`] and the
/// advice for its [`GiveUpReason::limit`].
impl std::fmt::Display for GiveUpReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.summary())?;
        match self.limit() {
            Some(limit) => write!(f, "; {}", limit.advice()),
            None => Ok(()),
        }
    }
}

/// "gave up after 3 attempts in 1.2s", or "gave up after 1 attempt in 5ms, without a retry":
/// the head of [`Error::RetriesExhausted`]'s text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GaveUp {
    /// Attempts made, the first one included.
    pub attempts: u32,
    /// Time spent on the whole call.
    pub elapsed: Duration,
}

impl GaveUp {
    /// The head of the text of a call that gave up after `attempts` attempts in `elapsed`.
    pub fn new(attempts: u32, elapsed: Duration) -> Self {
        Self { attempts, elapsed }
    }
}

impl std::fmt::Display for GaveUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let elapsed = DisplayDuration(self.elapsed);
        match self.attempts {
            1 => write!(f, "gave up after 1 attempt in {elapsed}, without a retry"),
            n => write!(f, "gave up after {n} attempts in {elapsed}"),
        }
    }
}

/// The advice of [`Error::Transport`]'s text.
fn transport_hint(timed_out: bool) -> &'static str {
    if timed_out {
        "try again later, or check the network and the URL"
    } else {
        "check the network, a proxy and the URL"
    }
}

/// A byte count in binary units, in parentheses, when it is a whole number of them:
/// ` (8 MiB)`, ` (64 KiB)`; nothing otherwise (the exact count is shown beside it).
struct DisplayBytes(usize);

impl std::fmt::Display for DisplayBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const KIB: usize = 1024;
        const MIB: usize = 1024 * 1024;
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, " ({} MiB)", n / MIB),
            n if n >= KIB && n % KIB == 0 => write!(f, " ({} KiB)", n / KIB),
            _ => Ok(()),
        }
    }
}

impl Error {
    /// A transport error of a call to `url`: a few words on what failed in the text, the
    /// HTTP client's error (and its causes) as the source, once.
    pub(crate) fn transport(url: &str, err: reqwest::Error) -> Self {
        let message = if err.is_timeout() {
            "the request timed out"
        } else if err.is_connect() {
            "the connection failed"
        } else if err.is_body() || err.is_decode() {
            "the response broke off"
        } else if err.is_redirect() {
            "a redirect failed"
        } else {
            "the request failed"
        };
        Self::Transport {
            url: url.to_owned(),
            message: message.to_owned(),
            timed_out: err.is_timeout(),
            source: Some(Box::new(err)),
        }
    }
}

/// An error and its causes on one line, joined with `": "` (what anyhow's `{:#}` prints),
/// for logs.
pub(crate) struct Chain<'a>(pub(crate) &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

/// An error status from the API.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ApiError {
    /// The operation that failed.
    pub operation: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// The request id header of the response, for AvePoint support.
    pub request_id: Option<String>,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
    /// A message from the body (`message`, `error_description` or `error`), when it has one.
    pub message: Option<String>,
    /// The first bytes of the body (at most [`BODY_SNIPPET_LIMIT`]).
    pub body_snippet: String,
    /// What this operation's statuses mean (from its descriptor).
    pub(crate) hints: &'static StatusHints,
}

impl ApiError {
    /// Whether a later attempt may succeed (429, 500, 502, 503, 504, 408).
    pub fn is_transient(&self) -> bool {
        matches!(self.status, 408 | 429 | 500 | 502 | 503 | 504)
    }

    /// What to do: the operation's own hint for the statuses whose meaning depends on the
    /// operation (its descriptor's `StatusHints`), else the status's general one.
    fn hint(&self) -> &'static str {
        match self.status {
            400 => self.hints.bad_request,
            401 => "the access token was refused; check the client id and credentials",
            403 => self.hints.forbidden,
            404 => self.hints.not_found,
            429 => "rate limited; slow down or retry later",
            500 | 502 | 504 => {
                "the service failed; retry later and quote the request id to AvePoint support"
            }
            503 => "the service is unavailable (maintenance or overload); retry later",
            _ => "unexpected status; quote the request id to AvePoint support",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} failed with HTTP {}", self.operation, self.status)?;
        if let Some(id) = &self.request_id {
            write!(f, " (request id {})", escape_control(id))?;
        }
        match &self.message {
            Some(m) => write!(f, ": {}", escape_control(m))?,
            None if !self.body_snippet.is_empty() => write!(f, ": {:?}", self.body_snippet)?,
            None => {}
        }
        if let Some(wait) = self.retry_after {
            write!(
                f,
                " (the server asked to retry after {})",
                DisplayDuration(wait)
            )?;
        }
        write!(f, "; {}", self.hint())
    }
}

/// The identity service refused to issue a token, or its answer was unusable.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct AuthenticationError {
    /// The token URL that was called.
    pub token_url: String,
    /// The HTTP status of the identity service's answer, when there was one.
    pub status: Option<u16>,
    /// The OAuth `error` code (`invalid_client`, `invalid_scope`, ...).
    pub error: Option<String>,
    /// The OAuth `error_description`.
    pub error_description: Option<String>,
    /// The request id header of the answer, when present.
    pub request_id: Option<String>,
    /// The server's `Retry-After`, when it sent one.
    pub retry_after: Option<Duration>,
    /// What went wrong when there is no OAuth error (e.g. an undecodable answer).
    pub detail: Option<String>,
}

impl AuthenticationError {
    /// Whether a later attempt may succeed (the identity service was rate limited or failing).
    pub fn is_transient(&self) -> bool {
        matches!(self.status, Some(408 | 429 | 500 | 502 | 503 | 504))
    }

    fn hint(&self) -> &'static str {
        match self.error.as_deref() {
            Some("invalid_client") => {
                "check the client id and the client secret or certificate registered in Elements (Settings > API app registration)"
            }
            Some("invalid_scope") => {
                "the app is not granted the requested scope; check its permissions in Elements or the configured scopes"
            }
            Some("unauthorized_client") => "the app may not use the client credentials grant",
            _ if self.is_transient() => "the identity service is failing; retry later",
            _ => "check the token URL, the data center and the app registration",
        }
    }
}

impl std::fmt::Display for AuthenticationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "authentication failed at {}", self.token_url)?;
        if let Some(status) = self.status {
            write!(f, " (HTTP {status}")?;
            if let Some(id) = &self.request_id {
                write!(f, ", request id {}", escape_control(id))?;
            }
            f.write_str(")")?;
        }
        // Server text: escaped, so it cannot drive a terminal or forge a log line.
        for text in [&self.error, &self.error_description, &self.detail]
            .into_iter()
            .flatten()
        {
            write!(f, ": {}", escape_control(text))?;
        }
        write!(f, "; {}", self.hint())
    }
}

impl Error {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(e) => e.is_transient(),
            Self::Authentication(e) => e.is_transient(),
            Self::Transport { .. } => true,
            Self::Decode { .. }
            | Self::Paging { .. }
            | Self::ResponseTooLarge { .. }
            | Self::InvalidInput(_)
            | Self::Config(_)
            | Self::RetriesExhausted { .. } => false,
        }
    }

    /// The wait the server asked for with `Retry-After`, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Api(e) => e.retry_after,
            Self::Authentication(e) => e.retry_after,
            _ => None,
        }
    }

    /// The HTTP status behind this error, when there is one (looking through retries).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api(e) => Some(e.status),
            Self::Authentication(e) => e.status,
            Self::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// The request id of the response behind this error, for AvePoint support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api(e) => e.request_id.as_deref(),
            Self::Authentication(e) => e.request_id.as_deref(),
            Self::RetriesExhausted { last, .. } => last.request_id(),
            _ => None,
        }
    }

    /// Whether this is (or, after retries, ended in) an authentication failure.
    pub fn is_authentication(&self) -> bool {
        match self {
            Self::Authentication(_) => true,
            Self::RetriesExhausted { last, .. } => last.is_authentication(),
            _ => false,
        }
    }
}

/// Parses a `Retry-After` header value: delay seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Header names that carry a request id, in the order they are looked for.
pub(crate) const REQUEST_ID_HEADERS: [&str; 5] = [
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-ms-request-id",
    "traceparent",
];

/// Finds the request id in response headers.
pub(crate) fn request_id(headers: &reqwest::header::HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        headers
            .get(*name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.chars().take(128).collect())
    })
}

/// Finds and parses `Retry-After` (and the millisecond variants some gateways send).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    for name in ["retry-after-ms", "x-ms-retry-after-ms"] {
        if let Some(ms) = headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(Duration::from_millis(ms));
        }
    }
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, std::time::SystemTime::now()))
}

/// Pulls a human-readable message out of an error body, if it is JSON and has one: redacted
/// of every known credential (after JSON unescaping, before the cut), then bounded.
pub(crate) fn message_from_body(body: &[u8], redactor: &Redactor) -> Option<String> {
    let parsed: avepoint_graph_raw::types::Error = serde_json::from_slice(body).ok()?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => {
            o.get("message").and_then(|m| m.as_str()).map(str::to_owned)
        }
        _ => None,
    };
    let message = parsed
        .message
        .or(parsed.error_description)
        .or_else(|| parsed.error.as_ref().and_then(text))
        .or_else(|| parsed.code.as_ref().and_then(text))?;
    Some(
        redactor
            .scrub(&message)
            .chars()
            .take(BODY_SNIPPET_LIMIT)
            .collect(),
    )
}

/// A retry setting of [`crate::RetryPolicy`] that stopped a call, so that a front end (a
/// command-line flag, a configuration key) can point to its own knob; [`GiveUpReason`]'s
/// `Display` names it in plain words ([`RetryLimit::advice`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryLimit {
    /// The number of attempts ([`crate::RetryPolicy::max_attempts`]).
    MaxAttempts,
    /// The deadline of the whole call ([`crate::RetryPolicy::deadline`]).
    Deadline,
    /// The longest `Retry-After` obeyed ([`crate::RetryPolicy::max_retry_after`]).
    MaxRetryAfter,
}

impl RetryLimit {
    /// What to do about this limit, in plain words that fit any front end, e.g. "raise the
    /// maximum attempts to try longer".
    pub fn advice(&self) -> &'static str {
        match self {
            Self::MaxAttempts => "raise the maximum attempts to try longer",
            Self::Deadline => "allow a longer deadline to wait longer",
            Self::MaxRetryAfter => {
                "try again later, or raise the longest Retry-After the client obeys"
            }
        }
    }
}

impl GiveUpReason {
    /// The setting whose limit was reached, when raising it would have allowed more
    /// retries (`None` when the client-wide retry budget ran out: no setting of one call
    /// helps then).
    pub fn limit(&self) -> Option<RetryLimit> {
        match self {
            Self::MaxAttempts => Some(RetryLimit::MaxAttempts),
            Self::Deadline => Some(RetryLimit::Deadline),
            Self::RetryAfterTooLong { .. } => Some(RetryLimit::MaxRetryAfter),
            Self::BudgetExhausted => None,
        }
    }

    /// What happened, without advice about a setting (durations rounded), e.g. "maximum
    /// attempts reached" or "the server asked to wait 2m, more than the 60s cap". Pair it
    /// with [`GiveUpReason::limit`] to name the caller's own knob.
    pub fn summary(&self) -> String {
        match self {
            Self::MaxAttempts => "maximum attempts reached".to_owned(),
            Self::Deadline => "the call's deadline would pass".to_owned(),
            Self::RetryAfterTooLong { requested, cap } => format!(
                "the server asked to wait {}, more than the {} cap",
                DisplayDuration(*requested),
                DisplayDuration(*cap)
            ),
            Self::BudgetExhausted => "the client's retry budget is spent because many calls failed; the service looks unhealthy, try again later".to_owned(),
        }
    }
}

/// A duration rounded for people: `0ms`, `250ms`, `1.3s`, `7s`, `42s`, `90s`, `2m 5s`, `1h`,
/// `3h 20m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisplayDuration(pub Duration);

impl std::fmt::Display for DisplayDuration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        if d < Duration::from_micros(999_500) {
            // Round to the nearest millisecond, but never show a non-zero wait as 0ms.
            let ms = (d.as_micros() + 500) / 1000;
            return write!(f, "{}ms", if ms == 0 && !d.is_zero() { 1 } else { ms });
        }
        if d < Duration::from_millis(9_950) {
            let tenths = (d.as_millis() + 50) / 100;
            return match tenths % 10 {
                0 => write!(f, "{}s", tenths / 10),
                t => write!(f, "{}.{t}s", tenths / 10),
            };
        }
        let secs = (d.as_millis() + 500) / 1000;
        match secs {
            0..120 => write!(f, "{secs}s"),
            120..3600 => match secs % 60 {
                0 => write!(f, "{}m", secs / 60),
                s => write!(f, "{}m {s}s", secs / 60),
            },
            _ => match (secs % 3600) / 60 {
                0 => write!(f, "{}h", secs / 3600),
                m => write!(f, "{}h {m}m", secs / 3600),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_parses_seconds_and_dates() {
        let now = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(parse_retry_after(&earlier, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn message_is_taken_from_common_fields() {
        assert_eq!(
            message_from_body(br#"{"message":"customer not found"}"#, &Redactor::new()).as_deref(),
            Some("customer not found")
        );
        assert_eq!(
            message_from_body(br#"{"error":{"message":"nested"}}"#, &Redactor::new()).as_deref(),
            Some("nested")
        );
        assert_eq!(message_from_body(b"<html>", &Redactor::new()), None);
    }
    #[test]
    fn durations_are_rounded_for_people() {
        let shown = |d: Duration| DisplayDuration(d).to_string();
        assert_eq!(shown(Duration::ZERO), "0ms");
        assert_eq!(shown(Duration::from_nanos(1)), "1ms");
        assert_eq!(shown(Duration::from_nanos(249_600_001)), "250ms");
        assert_eq!(shown(Duration::from_micros(999_700)), "1s");
        assert_eq!(shown(Duration::from_nanos(1_251_234_567)), "1.3s");
        assert_eq!(shown(Duration::from_millis(7_020)), "7s");
        assert_eq!(shown(Duration::from_millis(9_960)), "10s");
        assert_eq!(shown(Duration::from_millis(42_400)), "42s");
        assert_eq!(shown(Duration::from_secs(60)), "60s");
        assert_eq!(shown(Duration::from_secs(125)), "2m 5s");
        assert_eq!(shown(Duration::from_secs(600)), "10m");
        assert_eq!(shown(Duration::from_secs(3600)), "1h");
        assert_eq!(
            shown(Duration::from_secs(3 * 3600 + 20 * 60 + 59)),
            "3h 20m"
        );
    }

    #[test]
    fn caps_are_shown_exactly_and_in_binary_units() {
        let text = |limit| {
            Error::ResponseTooLarge {
                operation: "op",
                limit,
            }
            .to_string()
        };
        assert!(text(8 * 1024 * 1024).contains("the 8388608-byte cap (8 MiB),"));
        assert!(text(65536).contains("the 65536-byte cap (64 KiB),"));
        assert!(text(1000).contains("the 1000-byte cap,"));
    }

    #[test]
    fn give_up_reasons_name_their_limit_neutrally() {
        let too_long = GiveUpReason::RetryAfterTooLong {
            requested: Duration::from_millis(120_400),
            cap: Duration::from_secs(60),
        };
        assert_eq!(too_long.limit(), Some(RetryLimit::MaxRetryAfter));
        assert_eq!(
            too_long.summary(),
            "the server asked to wait 2m, more than the 60s cap"
        );
        assert_eq!(
            GiveUpReason::MaxAttempts.limit(),
            Some(RetryLimit::MaxAttempts)
        );
        assert_eq!(GiveUpReason::BudgetExhausted.limit(), None);
        for reason in [GiveUpReason::MaxAttempts, GiveUpReason::Deadline, too_long] {
            assert!(!reason.summary().contains("RetryPolicy"), "{reason:?}");
        }
        let error = Error::RetriesExhausted {
            attempts: 4,
            elapsed: Duration::from_nanos(1_234_567_891),
            reason: GiveUpReason::MaxAttempts,
            last: Box::new(Error::InvalidInput("x".into())),
        };
        assert_eq!(
            error.to_string(),
            "gave up after 4 attempts in 1.2s (maximum attempts reached; raise the maximum attempts to try longer)"
        );
        for reason in [GiveUpReason::MaxAttempts, GiveUpReason::Deadline, too_long] {
            let text = reason.to_string();
            assert!(
                !text.contains("::") && !text.contains("RetryPolicy"),
                "{text}"
            );
            let advice = reason.limit().expect("a limit").advice();
            assert!(text.ends_with(advice), "{text}");
        }
    }
}
