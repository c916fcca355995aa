//! A faithful local stand-in for the AvePoint identity service and the partner user-seats
//! endpoint of the AvePoint Graph API: a real HTTP server (axum on Tokio) on loopback.
//!
//! It serves
//! * `POST /connect/token`: OAuth 2.0 client credentials with a client secret or an RS256
//!   JWT client assertion checked against a registered X.509 certificate ([`token`]);
//! * `POST /partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/users`
//!   exactly as `openapi/avepoint-graph.yaml` specifies ([`seats`]), from a deterministic
//!   [`Dataset`], with the generated wire types of `avepoint-graph-raw`;
//! * its paginated sibling `.../tenants/batch` ([`tenants_batch`]) and the customers listing
//!   `POST /partner/external/v3/general/customers/batch` ([`customers`], scope
//!   `elements.customers.read.all`), paged over the same dataset ([`paging`], with paging
//!   faults for tests);
//!
//! with scripted and random faults ([`faults`]), a per-client rate limit ([`rate_limit`]), counters ([`CountersSnapshot`]) and a
//! unique `X-Request-Id` on every response. The demo credentials are in [`demo`].
//!
//! ```no_run
//! # async fn example() -> Result<(), avepoint_fake::FakeError> {
//! use avepoint_fake::{FakeConfig, FakeServer, Fault, demo};
//!
//! let server = FakeServer::start(FakeConfig::demo()).await?;
//! // Point a client at server.base_url() / server.token_url() with
//! // demo::CLIENT_ID and demo::CLIENT_SECRET ...
//! server.control().inject_api(Fault::rate_limited(1), 2); // the next 2 API calls get 429
//! assert_eq!(server.counters().api_requests, 0);
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The `avepoint-fake` binary (and the CLI's `avepoint fake-server`) runs the same server
//! from the command line: see [`FakeServerArgs`] and [`run`].

mod assertion;
pub mod cli;
pub mod clients;
pub mod counters;
pub mod customers;
pub mod dataset;
pub mod demo;
pub mod faults;
pub mod licensing;
pub mod paging;
pub mod rate_limit;
mod request;
mod responses;
pub mod revision;
pub mod seats;
pub mod server;
pub mod tenants_batch;
pub mod token;

pub use cli::{FakeServerArgs, run};
pub use clients::{ClientCertificate, ClientCredential, RegisteredClient};
pub use counters::CountersSnapshot;
pub use dataset::{
    Customer, Dataset, MissingMembers, SPARSE_CUSTOMER_IDS, SeatFilter, Tenant, TenantKind,
};
pub use faults::{
    EndpointFaults, Fault, FaultConfig, FaultTarget, RandomFaults, RetryAfter, ScriptedFault,
};
pub use licensing::Subscription;
pub use paging::{PagingFault, ScriptedPagingFault};
pub use rate_limit::RateLimit;
pub use server::{
    BackgroundFakeServer, DEFAULT_PORT, DEFAULT_TOKEN_LIFETIME, FakeConfig, FakeControl, FakeServer,
};

/// Errors starting or configuring the fake service.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FakeError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// A client certificate could not be used.
    #[error("invalid client certificate: {0}")]
    InvalidCertificate(String),
    /// A setting is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A runtime, thread, signal or output error.
    #[error("{0}")]
    Runtime(#[from] std::io::Error),
}
