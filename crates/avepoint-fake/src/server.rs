//! The HTTP server: configuration, routing, the accept loop, and the handles that start,
//! control and stop it.
//!
//! Connections are accepted by a hand-written loop (not `axum::serve`) so that each one can
//! be counted ([`crate::CountersSnapshot::connections`]) and closed on demand: every request
//! carries a per-connection kill switch in its extensions, which
//! [`Fault::DropConnection`] pulls to close the TCP connection without writing a response
//! (over HTTP/2 that ends every stream of the connection). [`FakeControl::refuse_connections`]
//! closes connections even earlier, right after accept.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot};
use tokio::task::JoinHandle;
use tower::ServiceExt as _;

use crate::FakeError;
use crate::clients::RegisteredClient;
use crate::counters::{Counters, CountersSnapshot};
use crate::customers::{self, CUSTOMERS_ROUTE};
use crate::dataset::Dataset;
use crate::faults::{Fault, FaultConfig, FaultState, FaultTarget, RandomFaults, RetryAfter};
use crate::licensing;
use crate::paging::{PagingFault, PagingFaults};
use crate::rate_limit::RateLimit;
use crate::responses::{api_error, json_bytes};
use crate::seats::{self, SEATS_ROUTE};
use crate::tenants_batch::{self, TENANTS_BATCH_ROUTE};
use crate::token::{self, TOKEN_PATH};

/// The default port of the `avepoint-fake` command (in-process servers use an ephemeral
/// port).
pub const DEFAULT_PORT: u16 = 7878;

/// The default access token lifetime (the real service's: one hour).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long [`FakeServer::shutdown`] waits for in-flight requests.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Everything a fake server is started with.
#[derive(Clone, Debug)]
pub struct FakeConfig {
    /// The customers served.
    pub dataset: Arc<Dataset>,
    /// The registered apps.
    pub clients: Vec<RegisteredClient>,
    /// Lifetime of issued access tokens (`expires_in` is its whole seconds).
    pub token_lifetime: Duration,
    /// Faults from the start.
    pub faults: FaultConfig,
    /// Tolerated clock difference for client assertion times.
    pub clock_skew: Duration,
    /// Longest accepted client assertion lifetime (from now to `exp`).
    pub max_assertion_lifetime: Duration,
}

impl Default for FakeConfig {
    /// The demo configuration: [`Dataset::demo`], [`RegisteredClient::demo_clients`], one-hour
    /// tokens, no faults, 60 s clock skew, assertions valid at most one hour.
    fn default() -> Self {
        Self {
            dataset: Arc::new(Dataset::demo()),
            clients: RegisteredClient::demo_clients(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            faults: FaultConfig::default(),
            clock_skew: Duration::from_secs(60),
            max_assertion_lifetime: Duration::from_secs(3600),
        }
    }
}

impl FakeConfig {
    /// The demo configuration (same as [`FakeConfig::default`]).
    pub fn demo() -> Self {
        Self::default()
    }

    /// Replaces the dataset.
    pub fn with_dataset(mut self, dataset: Dataset) -> Self {
        self.dataset = Arc::new(dataset);
        self
    }

    /// Registers another client (replacing one with the same client id).
    pub fn with_client(mut self, client: RegisteredClient) -> Self {
        self.clients.retain(|c| c.client_id != client.client_id);
        self.clients.push(client);
        self
    }

    /// Sets the access token lifetime.
    pub fn with_token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Sets the faults from the start.
    pub fn with_faults(mut self, faults: FaultConfig) -> Self {
        self.faults = faults;
        self
    }
}

/// State shared by the handlers and the control handle.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) dataset: Arc<Dataset>,
    pub(crate) clients: HashMap<String, RegisteredClient>,
    pub(crate) tokens: token::TokenStore,
    pub(crate) faults: FaultState,
    pub(crate) paging_faults: PagingFaults,
    pub(crate) counters: Counters,
    /// Connections still to close right after accept.
    pub(crate) refuse_connections: AtomicU64,
    pub(crate) base_url: String,
    pub(crate) clock_skew: Duration,
    pub(crate) max_assertion_lifetime: Duration,
}

/// Run-time control of a running server: counters, faults, tokens. Cheap to clone; every
/// clone controls the same server, from any thread.
#[derive(Clone, Debug)]
pub struct FakeControl {
    shared: Arc<Shared>,
}

impl FakeControl {
    /// A copy of the counters.
    pub fn counters(&self) -> CountersSnapshot {
        self.shared.counters.snapshot()
    }

    /// Sets every counter to zero.
    pub fn reset_counters(&self) {
        self.shared.counters.reset();
    }

    /// Queues `fault` for the next `times` requests of `target` (after the faults already
    /// queued).
    pub fn inject(&self, target: FaultTarget, fault: Fault, times: u32) {
        self.shared.faults.inject(target, fault, times);
    }

    /// Queues `fault` for the next `times` requests of the API (every API route: the seats
    /// reports and the customers listing).
    pub fn inject_api(&self, fault: Fault, times: u32) {
        self.inject(FaultTarget::Api, fault, times);
    }

    /// Queues `fault` for the next `times` requests of the token endpoint.
    pub fn inject_token(&self, fault: Fault, times: u32) {
        self.inject(FaultTarget::Token, fault, times);
    }

    /// Queues a paging fault for the next `times` successful page responses of the
    /// paginated routes (customers listing, `tenants/batch`), after those already queued.
    /// See [`crate::paging`].
    pub fn inject_paging(&self, fault: PagingFault, times: u32) {
        self.shared.paging_faults.inject(fault, times);
    }

    /// Number of page responses that queued paging faults will still hit.
    pub fn pending_paging_faults(&self) -> u64 {
        self.shared.paging_faults.pending()
    }

    /// Number of requests of `target` that queued faults will still hit.
    pub fn pending_faults(&self, target: FaultTarget) -> u64 {
        self.shared.faults.pending(target)
    }

    /// Sets the delay added to every request of `target`.
    pub fn set_latency(&self, target: FaultTarget, latency: Duration) {
        self.shared.faults.set_latency(target, latency);
    }

    /// Answers every `n`-th request of `target` (counted from now) with `429`; `None` stops.
    pub fn set_rate_limit_every(&self, target: FaultTarget, n: Option<NonZeroU32>) {
        self.shared.faults.set_rate_limit_every(target, n);
    }

    /// Sets (or with `None` stops) random faults on `target`.
    pub fn set_random_faults(&self, target: FaultTarget, random: Option<RandomFaults>) {
        self.shared.faults.set_random(target, random);
    }

    /// Sets (or with `None` lifts) the API's rate limit per client id; every client's bucket
    /// starts full. See [`crate::rate_limit`].
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.faults.rate_limit.set(limit);
    }

    /// Sets the `Retry-After` of the periodic rate limiting.
    pub fn set_retry_after(&self, retry_after: RetryAfter) {
        self.shared.faults.set_retry_after(retry_after);
    }

    /// Closes the next `n` accepted TCP connections at once, before reading any request
    /// (whatever endpoint they were meant for); adds to connections still to refuse.
    pub fn refuse_connections(&self, n: u64) {
        self.shared
            .refuse_connections
            .fetch_add(n, Ordering::Relaxed);
    }

    /// Removes every fault and latency of both endpoints, the rate limit, paging faults, and
    /// connections still to refuse.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
        self.shared.paging_faults.clear();
        self.shared.refuse_connections.store(0, Ordering::Relaxed);
    }

    /// Makes every access token issued so far expired (the API then answers `401`).
    pub fn expire_tokens(&self) {
        self.shared.tokens.expire_all();
    }

    /// Number of issued access tokens that have not expired.
    pub fn live_tokens(&self) -> usize {
        self.shared.tokens.live_tokens()
    }

    /// Sets the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.shared.tokens.set_lifetime(lifetime);
    }

    /// Serves the customers as of `revision` from now on: each revision after 0 changes
    /// some customers' seats and tenants (see [`crate::revision`]).
    pub fn set_revision(&self, revision: u64) {
        self.shared.dataset.set_revision(revision);
    }

    /// The dataset served.
    pub fn dataset(&self) -> &Dataset {
        &self.shared.dataset
    }

    /// The base URL of the server.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }
}

/// A running fake server on a Tokio runtime. Stops on [`FakeServer::shutdown`] or when
/// dropped (then without waiting).
#[derive(Debug)]
pub struct FakeServer {
    addr: SocketAddr,
    control: FakeControl,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl FakeServer {
    /// Starts a server on `127.0.0.1` with an ephemeral port.
    pub async fn start(config: FakeConfig) -> Result<Self, FakeError> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config).await
    }

    /// Starts a server on `addr` (port `0` picks an ephemeral port).
    pub async fn start_on(addr: SocketAddr, config: FakeConfig) -> Result<Self, FakeError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| FakeError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| FakeError::Bind { addr, source })?;
        let shared = Arc::new(Shared {
            dataset: config.dataset,
            clients: config
                .clients
                .into_iter()
                .map(|c| (c.client_id.clone(), c))
                .collect(),
            tokens: token::TokenStore::new(config.token_lifetime),
            faults: FaultState::new(&config.faults),
            paging_faults: PagingFaults::new(&config.faults.paging),
            counters: Counters::default(),
            refuse_connections: AtomicU64::new(config.faults.refuse_connections),
            base_url: base_url_for(addr),
            clock_skew: config.clock_skew,
            max_assertion_lifetime: config.max_assertion_lifetime,
        });
        let app = router(shared.clone());
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(accept_loop(listener, app, shared.clone(), stopped));
        tracing::info!(base_url = %shared.base_url, "fake AvePoint service listening");
        Ok(Self {
            addr,
            control: FakeControl { shared },
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL, e.g. `http://127.0.0.1:41234` (no trailing slash). A server bound
    /// to an unspecified address (`0.0.0.0`, `::`) reports the loopback address.
    pub fn base_url(&self) -> &str {
        self.control.base_url()
    }

    /// The token endpoint URL: `{base_url}/connect/token` (also the `aud` client assertions
    /// must carry).
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url())
    }

    /// The run-time control handle.
    pub fn control(&self) -> &FakeControl {
        &self.control
    }

    /// A copy of the counters.
    pub fn counters(&self) -> CountersSnapshot {
        self.control.counters()
    }

    /// Stops accepting connections, lets in-flight requests finish (at most 5 s) and waits
    /// for the server to stop.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::warn!("the fake server task failed: {e}");
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A fake server running on its own thread and Tokio runtime, for synchronous code (for
/// example tests that run a command-line binary against it). Stops when dropped.
#[derive(Debug)]
pub struct BackgroundFakeServer {
    addr: SocketAddr,
    base_url: String,
    control: FakeControl,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundFakeServer {
    /// Starts a server with `config` on `127.0.0.1` and an ephemeral port, on a new thread.
    pub fn start(config: FakeConfig) -> Result<Self, FakeError> {
        Self::start_on(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), config)
    }

    /// Starts a server with `config` on `addr`, on a new thread.
    pub fn start_on(addr: SocketAddr, config: FakeConfig) -> Result<Self, FakeError> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("avepoint-fake".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(FakeError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let server = match FakeServer::start_on(addr, config).await {
                        Ok(server) => server,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    let info = (
                        server.addr(),
                        server.base_url().to_owned(),
                        server.control().clone(),
                    );
                    if ready_tx.send(Ok(info)).is_err() {
                        return;
                    }
                    // Wait on a blocking channel without blocking the runtime.
                    let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
                    server.shutdown().await;
                });
            })
            .map_err(FakeError::Runtime)?;
        let (addr, base_url, control) = ready_rx
            .recv()
            .map_err(|_| FakeError::Runtime(std::io::Error::other("the server thread exited")))??;
        Ok(Self {
            addr,
            base_url,
            control,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// The socket address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API base URL (see [`FakeServer::base_url`]).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> String {
        format!("{}{TOKEN_PATH}", self.base_url)
    }

    /// The run-time control handle.
    pub fn control(&self) -> &FakeControl {
        &self.control
    }

    /// A copy of the counters.
    pub fn counters(&self) -> CountersSnapshot {
        self.control.counters()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for BackgroundFakeServer {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

fn base_url_for(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// The per-connection kill switch a request carries in its extensions.
#[derive(Clone, Debug)]
struct ConnectionKill(Arc<Notify>);

fn router(shared: Arc<Shared>) -> Router {
    let token_routes = Router::new()
        .route(TOKEN_PATH, post(token::issue).fallback(method_not_allowed))
        .route_layer(middleware::from_fn_with_state(
            (shared.clone(), FaultTarget::Token),
            fault_gate,
        ));
    let api_routes = Router::new()
        .route(
            SEATS_ROUTE,
            post(seats::report).fallback(method_not_allowed),
        )
        .route(
            TENANTS_BATCH_ROUTE,
            post(tenants_batch::report).fallback(method_not_allowed),
        )
        .route(
            CUSTOMERS_ROUTE,
            post(customers::list).fallback(method_not_allowed),
        )
        .route(
            licensing::OVERVIEW_ROUTE,
            get(licensing::overview).fallback(licensing::get_only),
        )
        .route(
            licensing::PRODUCT_SEATS_ROUTE,
            get(licensing::product_seats).fallback(licensing::get_only),
        )
        .route(
            licensing::SERVICES_ROUTE,
            get(licensing::services_of).fallback(licensing::get_only),
        )
        .route_layer(middleware::from_fn_with_state(
            (shared.clone(), FaultTarget::Api),
            fault_gate,
        ));
    Router::new()
        .merge(token_routes)
        .merge(api_routes)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            request_envelope,
        ))
        .with_state(shared)
}

async fn not_found(State(shared): State<Arc<Shared>>) -> Response {
    Counters::bump(&shared.counters.other_requests);
    api_error(StatusCode::NOT_FOUND, "no such resource")
}

async fn method_not_allowed() -> Response {
    let mut response = api_error(StatusCode::METHOD_NOT_ALLOWED, "use POST");
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// Outermost layer: request id, status counters, access log.
async fn request_envelope(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let request_id = new_request_id();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let started = Instant::now();
    let mut response = next.run(request).await;
    let status = response.status();
    shared.counters.record_status(status.as_u16());
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    tracing::debug!(
        request_id,
        %method,
        path,
        status = status.as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

/// A fresh request id: a random (version 4) GUID.
fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Per-endpoint layer: counts the request and applies latency and faults.
async fn fault_gate(
    State((shared, target)): State<(Arc<Shared>, FaultTarget)>,
    request: Request,
    next: Next,
) -> Response {
    let counters = &shared.counters;
    Counters::bump(match target {
        FaultTarget::Token => &counters.token_requests,
        FaultTarget::Api => &counters.api_requests,
    });
    let decision = shared.faults.next(target);
    if !decision.latency.is_zero() {
        tokio::time::sleep(decision.latency).await;
    }
    if target == FaultTarget::Api
        && let Some(seconds) = shared.faults.rate_limit.check(
            &crate::rate_limit::client_key(&shared, request.headers()),
            Instant::now(),
        )
    {
        Counters::bump(&counters.rate_limited);
        return with_retry_after(
            api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded; retry later.",
            ),
            Some(RetryAfter::Seconds(seconds)),
        );
    }
    let Some(fault) = decision.fault else {
        return next.run(request).await;
    };
    Counters::bump(&counters.faults_injected);
    tracing::debug!(?target, ?fault, "injecting a fault");
    match fault {
        Fault::TooManyRequests { retry_after } => with_retry_after(
            api_error(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded; retry later.",
            ),
            retry_after,
        ),
        Fault::ServiceUnavailable { retry_after } => with_retry_after(
            api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service is temporarily unavailable; retry later.",
            ),
            retry_after,
        ),
        Fault::InternalServerError => api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An internal error occurred (injected).",
        ),
        Fault::MalformedJson => {
            let real = next.run(request).await;
            let body = axum::body::to_bytes(real.into_body(), 16 * 1024 * 1024)
                .await
                .unwrap_or_default();
            let cut = if body.len() >= 4 {
                body.slice(..body.len() / 2).to_vec()
            } else {
                br#"[{"id":"f04d7aee-1c2b-4d3e"#.to_vec()
            };
            json_bytes(StatusCode::OK, cut)
        }
        Fault::DropConnection => {
            Counters::bump(&counters.dropped_requests);
            match request.extensions().get::<ConnectionKill>() {
                Some(kill) => {
                    kill.0.notify_one();
                    // The connection task drops this future with the connection.
                    std::future::pending().await
                }
                None => api_error(StatusCode::SERVICE_UNAVAILABLE, "connection dropped"),
            }
        }
        Fault::Delay(extra) => {
            tokio::time::sleep(extra).await;
            next.run(request).await
        }
    }
}

fn with_retry_after(mut response: Response, retry_after: Option<RetryAfter>) -> Response {
    if let Some(value) = retry_after
        .map(|r| r.header_value(SystemTime::now()))
        .and_then(|v| HeaderValue::from_str(&v).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

async fn accept_loop(
    listener: TcpListener,
    app: Router,
    shared: Arc<Shared>,
    mut stop: oneshot::Receiver<()>,
) {
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
    loop {
        let (stream, peer) = tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        Counters::bump(&shared.counters.connections);
        if shared
            .refuse_connections
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            Counters::bump(&shared.counters.refused_connections);
            tracing::debug!(%peer, "connection refused (injected fault)");
            drop(stream);
            continue;
        }
        let kill = ConnectionKill(Arc::new(Notify::new()));
        let for_requests = kill.clone();
        let service =
            app.clone()
                .map_request(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(for_requests.clone());
                    request
                });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            tokio::select! {
                result = connection => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, "connection ended with an error: {e}");
                    }
                }
                _ = kill.0.notified() => tracing::debug!(%peer, "connection dropped (injected fault)"),
            }
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => tracing::warn!("in-flight requests did not finish in time"),
    }
}
