//! The client: configuration ([`ClientBuilder`]) and the one call path every operation takes
//! ([`Client::call_raw`]): how one attempt is made and its outcome mapped onto [`Error`].
//!
//! Every call goes through the one generated raw client (`avepoint-graph-raw`) the client
//! builds; this module adds the token (from the cache of the scope set the operation's
//! descriptor names, handed to the raw client per call), the retry loop, the 401
//! refresh-and-replay, per-attempt timeouts and the `attempt` spans. Each operation's module
//! (`crate::seats`, `crate::customers`, ...) holds its descriptor and typed request.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use avepoint_graph_raw as raw;
use futures::StreamExt as _;
use tracing::Instrument as _;

use crate::auth::{AccessToken, CUSTOMERS_READ_SCOPE, Credentials, LICENSE_READ_SCOPE, TokenCache};
use crate::body::{self, DEFAULT_MAX_RESPONSE_BYTES};
use crate::clock::{Clock, TokioClock};
use crate::environment::{DataCenter, Endpoints};
use crate::error::{self, ApiError, Error};
use crate::operation::{Operation, Scopes};
use crate::rate_limit::{RateLimitConfig, RateLimitStats};
use crate::redact::Redactor;
use crate::retry::{self, RetryPolicy, RetryRuntime};
use crate::seats::TenantUserSeatsRequest;
use crate::types::TenantType;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("avepoint-graph/", env!("CARGO_PKG_VERSION"), " (rust)");

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default timeout of one attempt (request sent, response read).
pub const DEFAULT_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

/// How much of an error body is read (the rest is discarded), and how much of an undecodable
/// successful body is scrubbed for its snippet.
const ERROR_BODY_READ_LIMIT: usize = 16 * 1024;

/// A client of the AvePoint Graph API partner endpoints.
///
/// Cheap to clone: clones share one connection pool, the token caches (one per scope set,
/// see [`ClientBuilder::scopes`]) and one retry budget.
/// Build one with [`Client::builder`].
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

// Aligned to two cache lines, so that the `Arc`'s reference count (written by every call's
// clone of the client, from every worker thread) does not share a cache line with the fields
// every call reads: otherwise each clone would evict them from the other cores' caches.
#[repr(align(128))]
struct Inner {
    /// The one raw client (and connection pool) of every call and clone; tokens are given
    /// per call and only sent to the API origin.
    raw: raw::Client,
    endpoints: Endpoints,
    /// The token cache of the license operations' scopes (seats reports).
    license_tokens: Arc<TokenCache>,
    /// The token cache of the customers listing's scopes (the same cache when the scope
    /// sets are equal).
    customers_tokens: Arc<TokenCache>,
    retry: RetryRuntime,
    /// Removes the credentials the client sends (secret, certificate password) from server
    /// text; the current token is added per call.
    redactor: Redactor,
    /// The cap on one response body.
    max_response_bytes: usize,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("api_base", &self.inner.endpoints.api_base())
            .field("token_url", &self.inner.endpoints.token_url().as_str())
            .field("retry", &self.inner.retry.policy)
            .field("attempt_timeout", &self.inner.retry.attempt_timeout)
            .field("max_response_bytes", &self.inner.max_response_bytes)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
#[must_use]
pub struct ClientBuilder {
    endpoints: Endpoints,
    api_base: Option<String>,
    token_url: Option<String>,
    credentials: Option<Credentials>,
    scopes: Vec<String>,
    customers_scopes: Vec<String>,
    retry: RetryPolicy,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    http: Option<reqwest::Client>,
    clock: Arc<dyn Clock>,
    refresh_margin: Duration,
    min_token_lifetime: Duration,
    max_response_bytes: usize,
    rate_limit: RateLimitConfig,
    pool_first: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("endpoints", &self.endpoints)
            .field("api_base", &self.api_base)
            .field("token_url", &self.token_url)
            .field("credentials", &self.credentials)
            .field("scopes", &self.scopes)
            .field("customers_scopes", &self.customers_scopes)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            endpoints: Endpoints::default(),
            api_base: None,
            token_url: None,
            credentials: None,
            scopes: vec![LICENSE_READ_SCOPE.to_owned()],
            customers_scopes: vec![CUSTOMERS_READ_SCOPE.to_owned()],
            retry: RetryPolicy::default(),
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            attempt_timeout: DEFAULT_ATTEMPT_TIMEOUT,
            http: None,
            clock: Arc::new(TokioClock),
            refresh_margin: crate::auth::DEFAULT_REFRESH_MARGIN,
            min_token_lifetime: crate::auth::MIN_TRUSTED_LIFETIME,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            rate_limit: RateLimitConfig::default(),
            pool_first: false,
        }
    }
}

impl ClientBuilder {
    /// Uses a data center's API and identity URLs (default: [`DataCenter::Commercial`]).
    pub fn data_center(mut self, dc: DataCenter) -> Self {
        self.endpoints = Endpoints::for_data_center(dc);
        self
    }

    /// Uses explicit endpoints.
    pub fn endpoints(mut self, endpoints: Endpoints) -> Self {
        self.endpoints = endpoints;
        self
    }

    /// Overrides the API base URL (checked in [`ClientBuilder::build`]).
    pub fn api_base_url(mut self, url: impl Into<String>) -> Self {
        self.api_base = Some(url.into());
        self
    }

    /// Overrides the identity service's token URL (checked in [`ClientBuilder::build`]).
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = Some(url.into());
        self
    }

    /// How the client authenticates (required).
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// The OAuth scopes requested for the license operations: the seats reports
    /// ([`Client::tenant_user_seats`], [`Client::tenant_seats_batch`]) and
    /// [`Client::authenticate`]. Default: `elements.license.read.all`.
    ///
    /// Each operation asks for its own scopes and the client keeps one cached token per
    /// distinct scope set: the customers listing uses [`ClientBuilder::customers_scopes`].
    /// Give the same list to both to use a single token for everything (the app must be
    /// granted every scope in it).
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The OAuth scopes requested for the customers listing ([`Client::customers`]).
    /// Default: `elements.customers.read.all`. See [`ClientBuilder::scopes`].
    pub fn customers_scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.customers_scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// The retry policy (default: [`RetryPolicy::default`]; [`RetryPolicy::disabled`] turns
    /// retries off).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The connect timeout (default 5 s). Ignored with [`ClientBuilder::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The timeout of one attempt, from sending the request to reading the response
    /// (default 30 s).
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// Uses a ready `reqwest::Client` (its own TLS, proxy and timeout settings) instead of
    /// building one.
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())`: the SDK's own client never
    /// follows redirects, so credentials and tokens cannot be re-sent to another host by a
    /// 307/308; a client that follows redirects gives up that guarantee. Start it with
    /// [`crate::raw::http_client_builder`]: this crate's `reqwest` has no built-in TLS crypto
    /// provider, and that function installs rustls's `ring` provider (unless the program
    /// installed one) before `reqwest` needs it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// How long before expiry a cached token is refreshed (default 5 minutes, at most half
    /// the token's lifetime).
    pub fn token_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The shortest lifetime a token is trusted for, whatever the identity service says
    /// (default [`MIN_TRUSTED_LIFETIME`](crate::MIN_TRUSTED_LIFETIME), one minute): a service
    /// that issues tokens with `expires_in: 0` would otherwise make every call wait for a
    /// token request first. A token the API refuses is still replaced at once (401 refresh).
    pub fn min_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.min_token_lifetime = lifetime;
        self
    }

    /// The most bytes read from one response body (default [`DEFAULT_MAX_RESPONSE_BYTES`],
    /// 8 MiB, far above the largest real page). A larger or endless body fails the call with
    /// [`Error::ResponseTooLarge`], which is not retried; memory stays bounded whatever the
    /// service sends.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The clock of every wait and deadline of the client: retry backoff, `Retry-After`,
    /// attempt timeouts, the call's deadline, rate-limit pacing and token expiry (default:
    /// [`TokioClock`]). Tests pass a [`TestClock`](crate::TestClock) to record and skip waits.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// A hard cap on API requests per second (retries included), shared by every clone of
    /// the client: requests are spaced at least `1 / rps` apart. Off by default. Must be
    /// positive and finite.
    pub fn max_requests_per_second(mut self, rps: f64) -> Self {
        self.rate_limit.max_requests_per_second = Some(rps);
        self
    }

    /// Adaptive client-side rate limiting (default on): after the first `429` or `503` the
    /// client paces its API requests, lowering the rate on each throttling response and
    /// growing it back along the CUBIC curve (see [rate limiting](crate#rate-limiting)). A client that is
    /// never throttled is never paced.
    pub fn adaptive_rate_limit(mut self, on: bool) -> Self {
        self.rate_limit.adaptive = on;
        self
    }

    /// Opens a new HTTP/1.1 connection only when the pool has none to give back (default
    /// off). Ignored with [`ClientBuilder::http_client`].
    ///
    /// Under concurrency, hyper's pool opens surplus connections: a caller that sends its next
    /// request at once often finds its last connection not yet back in the pool, starts a
    /// connect, and the connection that comes back a moment later is parked idle beside the
    /// new one (see the README's Performance section). With this option a connect first
    /// leaves the pool a few turns of the scheduler and is dropped when the request was
    /// served by a returning connection, so the connections stay near the number of calls in
    /// flight. Worth it where a connection is expensive (HTTP/1.1 over TLS, a service that
    /// limits connections); it costs every request about 20 small allocations (the HTTP
    /// client copies its layered connector per request), which is why it is off by default.
    /// Over HTTP/2 every call shares one connection anyway.
    pub fn pool_first_connections(mut self, on: bool) -> Self {
        self.pool_first = on;
        self
    }

    /// Checks the configuration and builds the client.
    pub fn build(self) -> Result<Client, Error> {
        let mut endpoints = self.endpoints;
        if let Some(url) = &self.api_base {
            endpoints = endpoints.with_api_base(url)?;
        }
        if let Some(url) = &self.token_url {
            endpoints = endpoints.with_token_url(url)?;
        }
        let credentials = self.credentials.ok_or_else(|| {
            Error::Config(
                "no credentials: call ClientBuilder::credentials with a client secret, a certificate or a token"
                    .to_owned(),
            )
        })?;
        credentials.validate()?;
        let redactor = credentials.redactor();
        if self.max_response_bytes == 0 {
            return Err(Error::Config(
                "the response body cap is 0 bytes; no response could be read".to_owned(),
            ));
        }
        if self.scopes.is_empty() || self.scopes.iter().any(|s| s.trim().is_empty()) {
            return Err(Error::Config(
                "the scope list is empty; the seats endpoint needs elements.license.read.all"
                    .to_owned(),
            ));
        }
        if self.customers_scopes.is_empty()
            || self.customers_scopes.iter().any(|s| s.trim().is_empty())
        {
            return Err(Error::Config(
                "the customers scope list is empty; the customers listing needs elements.customers.read.all"
                    .to_owned(),
            ));
        }
        let http = match self.http {
            Some(http) => http,
            None => {
                let builder = avepoint_graph_raw::http_client_builder()
                    // Static: cloned into every request without touching a shared count.
                    .user_agent(reqwest::header::HeaderValue::from_static(USER_AGENT))
                    .connect_timeout(self.connect_timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    // The SDK's retry loop is the one retry layer (reqwest's own would
                    // copy every request in case it replays one).
                    .retry(reqwest::retry::never().max_retries_per_request(0))
                    .tls_version_min(reqwest::tls::Version::TLS_1_2);
                // Keeps hyper's pool from opening surplus connections (see `pool_first`).
                let builder = if self.pool_first {
                    builder.connector_layer(crate::pool_first::PoolFirst)
                } else {
                    builder
                };
                builder
                    .build()
                    .map_err(|e| Error::Config(format!("could not build the HTTP client: {e}")))?
            }
        };
        // The attempt timeout is enforced by the retry loop (one timer per attempt, for
        // API and token requests alike, whatever `reqwest::Client` is used).
        let limiter = self.rate_limit.build(self.clock.clone())?;
        let retry = RetryRuntime::new(self.retry, self.clock.clone())
            .with_attempt_timeout(Some(self.attempt_timeout));
        let provider =
            credentials.into_provider(endpoints.token_url(), http.clone(), retry.clone());
        let cache = |scopes: &[String]| {
            let mut requested: Vec<String> = Vec::with_capacity(scopes.len());
            for scope in scopes {
                if !requested.contains(scope) {
                    requested.push(scope.clone());
                }
            }
            Arc::new(
                TokenCache::new(provider.clone(), requested, self.refresh_margin)
                    .with_floor(self.min_token_lifetime)
                    .with_clock(self.clock.clone()),
            )
        };
        let license_tokens = cache(&self.scopes);
        // One token for both when the sets are equal (order and repeats do not matter).
        let same_set = |a: &[String], b: &[String]| {
            a.iter().all(|s| b.contains(s)) && b.iter().all(|s| a.contains(s))
        };
        let customers_tokens = if same_set(&self.scopes, &self.customers_scopes) {
            license_tokens.clone()
        } else {
            cache(&self.customers_scopes)
        };
        let context = raw::RequestContext::for_origin(endpoints.api_base())
            .map_err(|e| Error::Config(e.to_string()))?
            .with_body_limit(self.max_response_bytes);
        Ok(Client {
            inner: Arc::new(Inner {
                raw: raw::Client::new_with_client(endpoints.api_base(), http, context),
                license_tokens,
                customers_tokens,
                endpoints,
                // Only API calls are paced: the limiter learns the API's rate limit.
                retry: retry.with_limiter(limiter),
                redactor,
                max_response_bytes: self.max_response_bytes,
            }),
        })
    }
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The clock of every wait, deadline and budget of this client.
    pub(crate) fn clock(&self) -> Arc<dyn Clock> {
        self.inner.retry.clock.clone()
    }

    /// The endpoints this client talks to.
    pub fn endpoints(&self) -> &Endpoints {
        &self.inner.endpoints
    }

    /// The client-side rate limiter's counters and current rate (shared by all clones).
    pub fn rate_limit(&self) -> RateLimitStats {
        self.inner
            .retry
            .limiter
            .as_ref()
            .map(|l| l.stats())
            .unwrap_or_default()
    }

    /// Prepares a "retrieve customer tenant assigned user seats" call: the seats of every
    /// tenant of `tenant_type` that customer `customer_id` has. Add a filter with
    /// [`TenantUserSeatsRequest::status`], run it with [`TenantUserSeatsRequest::send`].
    pub fn tenant_user_seats(
        &self,
        customer_id: impl Into<String>,
        tenant_type: TenantType,
    ) -> TenantUserSeatsRequest {
        TenantUserSeatsRequest::new(self.clone(), customer_id.into(), tenant_type)
    }

    /// Fetches a token for the license operations now (e.g. to check credentials at
    /// start-up); later seats calls reuse it. See [`Client::authenticate_customers`] for the
    /// customers listing's token.
    pub async fn authenticate(&self) -> Result<(), Error> {
        self.authenticate_scopes(Scopes::License).await
    }

    /// Fetches the token of the customers listing now (scope `elements.customers.read.all`
    /// unless overridden with [`ClientBuilder::customers_scopes`]); later listings reuse it.
    pub async fn authenticate_customers(&self) -> Result<(), Error> {
        self.authenticate_scopes(Scopes::Customers).await
    }

    async fn authenticate_scopes(&self, scopes: Scopes) -> Result<(), Error> {
        self.tokens_for(scopes).token().await.map(|_| ())
    }

    /// The API base URL without a trailing slash, as the raw client holds it (the
    /// endpoints' `api_base` trims it on every call).
    fn api_base(&self) -> &str {
        raw::ClientInfo::baseurl(&self.inner.raw)
    }

    /// The token cache of a scope set.
    fn tokens_for(&self, scopes: Scopes) -> &TokenCache {
        match scopes {
            Scopes::License => &self.inner.license_tokens,
            Scopes::Customers => &self.inner.customers_tokens,
        }
    }

    /// Runs one call of `operation`: `send` makes the generated call on the client's one
    /// raw client, which sends the token of the operation's scope set (handed over per
    /// attempt, to the API origin only). Each attempt runs under the attempt timeout, inside
    /// the retry loop and the 401 refresh-and-replay of [`Client::call`].
    pub(crate) async fn call_raw<'c, T, F, Fut>(
        &'c self,
        operation: &'static Operation,
        send: F,
    ) -> Result<T, Error>
    where
        F: Fn(&'c raw::Client) -> Fut,
        Fut: std::future::Future<Output = Result<raw::ResponseValue<T>, raw::Error<raw::ByteStream>>>,
    {
        let client = &self.inner.raw;
        self.call(operation, |token, attempt| {
            let send = &send;
            async move {
                let authorization = token.authorization()?;
                let scrub = Scrub {
                    redactor: &self.inner.redactor,
                    token: token.secret(),
                    body_limit: self.inner.max_response_bytes,
                };
                attempt_once(
                    operation,
                    self.api_base(),
                    attempt,
                    // Boxed: the generated call's state (over 1.5 KiB) would otherwise be
                    // copied by every layer above it (the attempt's span, its timeout, the
                    // retry loop, the caller's future) at every move.
                    Box::pin(raw::with_authorization(authorization, send(client))),
                    scrub,
                )
                .await
            }
        })
        .await
    }

    /// Runs `attempt` with a cached token (of the scopes of `kind`) inside the retry loop; a
    /// 401 triggers one forced token refresh and one replay per call. When the replay is
    /// refused too, the token cache stops refreshing for a while and fails other calls at
    /// once with the same error (see `TokenCache::refused`).
    async fn call<T, F, Fut>(&self, operation: &'static Operation, attempt: F) -> Result<T, Error>
    where
        F: Fn(AccessToken, u32) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let replayed = AtomicBool::new(false);
        let tokens = self.tokens_for(operation.scopes);
        let target = self.api_base();
        retry::run(&self.inner.retry, operation.name, target, |n| {
            let attempt = &attempt;
            let replayed = &replayed;
            async move {
                let token = tokens.token().await?;
                match attempt(token.clone(), n).await {
                    Err(Error::Api(e))
                        if e.status == 401 && !replayed.swap(true, Ordering::SeqCst) =>
                    {
                        tracing::info!(
                            operation = operation.name,
                            "the API rejected the access token; refreshing it once and replaying"
                        );
                        // Boxed, like the error mapping: rare paths keep the call's future small.
                        let token = Box::pin(tokens.refresh_after_rejection(&token)).await?;
                        match attempt(token, n).await {
                            Err(Error::Api(e)) if e.status == 401 => {
                                tokens.refused(&e);
                                Err(Error::Api(e))
                            }
                            other => other,
                        }
                    }
                    other => other,
                }
            }
        })
        .await
    }
}

/// Checks a customer id and converts it to the generated path-parameter type.
///
/// Refused before anything is sent: an empty id, and the ids `.` and `..`, which URL path
/// normalisation would silently turn into another path (a different resource). The id is
/// moved into the path type, not copied.
pub(crate) fn checked_customer_id<T: TryFrom<String>>(id: String) -> Result<T, Error> {
    if matches!(id.as_str(), "." | "..") {
        return Err(Error::InvalidInput(format!(
            "the customer id `{id}` cannot be sent: URL path normalisation would change it; pass the customer's ID from Elements"
        )));
    }
    T::try_from(id).map_err(|_| {
        Error::InvalidInput(
            "the customer id is empty; pass the customer's ID from Elements".to_owned(),
        )
    })
}

/// What an attempt needs to make server text safe: the client's credentials, the token of
/// the attempt, and the body cap (to name it in an error).
#[derive(Clone, Copy)]
struct Scrub<'a> {
    redactor: &'a Redactor,
    token: &'a crate::Secret,
    body_limit: usize,
}

impl Scrub<'_> {
    /// The redactor of this attempt (built on the error path only).
    fn redactor(&self) -> Redactor {
        self.redactor.clone().with(self.token)
    }
}

/// Runs one attempt of a generated operation (the retry loop bounds its time) in an
/// `attempt` span that records status, latency and request id, and maps progenitor's error
/// onto [`Error`].
///
/// Not an `async fn`: it returns the instrumented future itself, one state machine fewer
/// around every attempt.
fn attempt_once<T, Fut>(
    operation: &'static Operation,
    base_url: &str,
    attempt: u32,
    call: Fut,
    scrub: Scrub<'_>,
) -> impl std::future::Future<Output = Result<T, Error>>
where
    Fut: std::future::Future<Output = Result<raw::ResponseValue<T>, raw::Error<raw::ByteStream>>>,
{
    let span = tracing::debug_span!(
        "attempt",
        operation = operation.name,
        paged = operation.paged,
        attempt,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
        request_id = tracing::field::Empty,
    );
    let recorder = span.clone();
    async move {
        let span = recorder;
        // Timed only when the span is recorded.
        let started = (!span.is_disabled()).then(Instant::now);
        let outcome = match call.await {
            Ok(value) => {
                if !span.is_disabled() {
                    span.record("status", value.status().as_u16());
                    if let Some(id) = error::request_id(value.headers()) {
                        span.record("request_id", id.as_str());
                    }
                }
                Ok(value.into_inner())
            }
            // Boxed: reading an error body is the rare path; its state would otherwise
            // be part of every call's future.
            Err(e) => Err(Box::pin(map_raw_error(operation, base_url, e, scrub)).await),
        };
        if let Some(started) = started {
            span.record("latency_ms", started.elapsed().as_millis() as u64);
        }
        if let Err(e) = &outcome {
            if let Some(status) = e.status() {
                span.record("status", status);
            }
            if let Some(id) = e.request_id() {
                span.record("request_id", id);
            }
            tracing::debug!(error = %error::Chain(e), "attempt failed");
        } else {
            tracing::debug!("attempt succeeded");
        }
        outcome
    }
    .instrument(span)
}

/// Maps progenitor's error of one attempt onto [`Error`], reading a bounded part of error
/// bodies.
async fn map_raw_error(
    operation: &'static Operation,
    base_url: &str,
    e: raw::Error<raw::ByteStream>,
    scrub: Scrub<'_>,
) -> Error {
    match e {
        raw::Error::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let headers = rv.headers().clone();
            let body = read_error_body(rv.into_inner().into_inner()).await;
            api_error(operation, status, &headers, body, &scrub.redactor())
        }
        raw::Error::UnexpectedResponse(resp) => {
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            let body = read_error_body(resp.bytes_stream()).await;
            api_error(operation, status, &headers, body, &scrub.redactor())
        }
        raw::Error::InvalidResponsePayload(bytes, err) => {
            let redactor = scrub.redactor();
            let seen = &bytes[..bytes.len().min(ERROR_BODY_READ_LIMIT)];
            Error::Decode {
                operation: operation.name,
                // serde's message may quote a value of the body.
                message: redactor.scrub(&err.to_string()),
                snippet: redactor.snippet(seen, seen.len() < bytes.len()),
            }
        }
        raw::Error::ResponseBodyError(err) if raw::exceeded_body_limit(&err) => {
            Error::ResponseTooLarge {
                operation: operation.name,
                limit: scrub.body_limit,
            }
        }
        raw::Error::CommunicationError(err)
        | raw::Error::ResponseBodyError(err)
        | raw::Error::InvalidUpgrade(err) => transport_error(base_url, err),
        raw::Error::InvalidRequest(message) => Error::InvalidInput(message),
        raw::Error::Custom(message) => Error::InvalidInput(message),
    }
}

fn api_error(
    operation: &'static Operation,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    (body, truncated): (Vec<u8>, bool),
    redactor: &Redactor,
) -> Error {
    Error::Api(Box::new(ApiError {
        operation: operation.name,
        status,
        request_id: error::request_id(headers),
        retry_after: error::retry_after(headers),
        message: error::message_from_body(&body, redactor),
        body_snippet: redactor.snippet(&body, truncated),
        hints: &operation.hints,
    }))
}

/// The transport error of a call to `base_url`: it names the URL the HTTP client called
/// (without its query, which does not belong in errors and logs), and the HTTP client's
/// error, stripped of that URL so that it is not printed twice, is its source.
pub(crate) fn transport_error(base_url: &str, err: reqwest::Error) -> Error {
    let url = err.url().cloned().map(|mut url| {
        url.set_query(None);
        url.to_string()
    });
    Error::transport(url.as_deref().unwrap_or(base_url), err.without_url())
}

/// Reads at most [`ERROR_BODY_READ_LIMIT`] bytes of an error body; `true` when it was cut.
/// A body that fails part-way keeps what arrived (an error about an error is not useful).
async fn read_error_body<S, B>(stream: S) -> (Vec<u8>, bool)
where
    S: futures::Stream<Item = Result<B, reqwest::Error>> + Unpin,
    B: AsRef<[u8]>,
{
    let chunks = stream
        .take_while(|chunk| std::future::ready(chunk.is_ok()))
        .filter_map(|chunk| std::future::ready(chunk.ok().map(Ok::<B, std::convert::Infallible>)));
    match body::read_capped(chunks, ERROR_BODY_READ_LIMIT).await {
        Ok(read) => read,
        Err(never) => match never {},
    }
}
