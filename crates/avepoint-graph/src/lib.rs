//! Rust SDK for the AvePoint Graph API partner endpoints: how many user seats of each
//! customer's Microsoft 365, Salesforce, Google and Dynamics 365 tenants are assigned and
//! available.
//!
//! Built for managed-service providers who bill and reconcile licenses per customer. The
//! crate wraps the client generated from the project's OpenAPI spec (`avepoint-graph-raw`)
//! and adds what production use needs:
//!
//! * typed values: [`TenantType`], [`SeatStatus`], [`TenantSeats`], [`DataCenter`], and for
//!   the newer operations [`Customer`], [`JobStatus`], [`ManagementMode`],
//!   [`TenantSeatsRecord`] (codes the service adds later are kept, not refused);
//! * the paginated operations as lazy streams ([`PageStream`]): the customers listing
//!   ([`Client::customers`]) and the paginated seats report ([`Client::tenant_seats_batch`]),
//!   guarded against a service that repeats pages or never ends;
//! * OAuth 2.0 client credentials with a client secret or a certificate (RS256 client
//!   assertion, PEM or password-protected PKCS#12), a static token, or your own
//!   [`TokenProvider`]; tokens are cached per scope set and refreshed ahead of expiry, one
//!   refresh at a time;
//! * retries of transient failures with capped, jittered backoff that honours `Retry-After`,
//!   bounded by attempts and an overall deadline ([`RetryPolicy`]);
//! * one [`Error`] type whose variants tell what to do, and which never contains a secret;
//! * the licensing family: a customer's seat overview per tenant type
//!   ([`Client::seat_overview`]), the seats it holds of an AvePoint product
//!   ([`Client::product_seats`], [`ProductType`] with the backup product of each tenant
//!   type) and its services ([`Client::services`], every field kept as sent next to its
//!   parsed value);
//! * `tracing` spans per call and per attempt.
//!
//! # Example
//!
//! ```no_run
//! use avepoint_graph::{Client, Credentials, DataCenter, SeatStatus, TenantType};
//!
//! # async fn run() -> Result<(), avepoint_graph::Error> {
//! let client = Client::builder()
//!     .data_center(DataCenter::Commercial)
//!     .credentials(Credentials::client_secret(
//!         "my-app-client-id",
//!         std::env::var("AVEPOINT_CLIENT_SECRET").unwrap_or_default(),
//!     ))
//!     .build()?;
//!
//! let tenants = client
//!     .tenant_user_seats("f162a7c1-b9d4-4e0b-a165-97db3c2afc15", TenantType::Microsoft365)
//!     .status(SeatStatus::Assigned)
//!     .send()
//!     .await?;
//! for t in tenants {
//!     println!("{}: {} assigned, {} available", t.tenant_name, t.assigned_seats, t.available_seats);
//! }
//! # Ok(()) }
//! ```
//!
//! Every customer, then each one's Microsoft 365 seats from the paginated report:
//!
//! ```no_run
//! use avepoint_graph::{Client, TenantSeats, TenantType};
//! use futures::TryStreamExt as _;
//!
//! # async fn run(client: Client) -> Result<(), avepoint_graph::Error> {
//! let mut customers = client.customers().page_size(100).stream();
//! while let Some(customer) = customers.try_next().await? {
//!     // Known once the first page has arrived.
//!     let total = customers.total_count().unwrap_or(0);
//!     let seats: Vec<TenantSeats> = client
//!         .tenant_seats_batch(&customer.id, TenantType::Microsoft365)
//!         .collect_all()
//!         .await?
//!         .into_iter()
//!         .map(TenantSeats::from)
//!         .collect();
//!     println!("{} (of {total}): {} tenants", customer.display_name(), seats.len());
//! }
//! # Ok(()) }
//! ```
//!
//! # Paging
//!
//! The paginated operations take `pageIndex` (from 1) and `pageSize` (1 to
//! [`MAX_PAGE_SIZE`]) and answer one [`Page`] of items with the size of the whole result. A
//! [`PageStream`] fetches page 1 when first polled, yields its items, and fetches the next page
//! only once those are consumed; every page fetch is one call of the client, with its retries
//! and its 401 refresh. An item already yielded (same key, e.g. the customer id) is skipped, so
//! each appears once even when the list changes during the walk.
//!
//! The walk ends with [`Error::Paging`] (after the items already yielded) when the service
//! misbehaves: it keeps repeating a page (the page is fetched again twice first), the walk
//! would go past twice the pages the first `totalCount` needs (and never past
//! [`DEFAULT_MAX_PAGES`] or the request's `max_pages`), or the time spent waiting for pages
//! passes the walk's budget ([`DEFAULT_TIME_BUDGET`], [`PageStream::time_budget`]).
//!
//! # Rate limiting
//!
//! Every clone of a [`Client`] shares one client-side limiter:
//!
//! * **Hard cap** ([`ClientBuilder::max_requests_per_second`]): API requests are spaced at
//!   least `1 / cap` apart, retries included.
//! * **Adaptive** ([`ClientBuilder::adaptive_rate_limit`], on by default): nothing is paced
//!   until the service answers `429` or `503`. Then the limiter paces every request of the
//!   client at a send rate it lowers on each throttling response and grows back along the
//!   CUBIC curve (β = 0.7, C = 0.4) toward the last rate that throttled, probing above it
//!   later. [`Client::rate_limit`] tells what it did.
//!
//! Waits for the limiter count toward the call's deadline ([`RetryPolicy::deadline`]): a call
//! whose slot would come after its deadline fails at once instead of waiting. Changes of the
//! rate are traced at debug level (target `avepoint_graph::rate_limit`).

// Every public item has one path: the crate root. The modules are private; what a user
// needs is re-exported below, and nothing else is reachable.
mod auth;
mod auto_traits;
mod body;
mod client;
mod clock;
mod customers;
mod environment;
mod error;
mod escape;
mod operation;
mod overview;
mod paging;
mod pool_first;
mod products;
mod rate_limit;
mod redact;
mod retry;
mod seats;
mod seats_batch;
mod services;
mod types;

pub use auth::{
    AccessToken, CUSTOMERS_READ_SCOPE, ClientCertificate, Credentials, LICENSE_READ_SCOPE,
    MIN_TRUSTED_LIFETIME, REFUSAL_COOLDOWN, Secret, TokenProvider,
};
pub use body::{DEFAULT_MAX_RESPONSE_BYTES, MAX_CREDENTIAL_FILE_BYTES};
pub use client::{
    Client, ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, USER_AGENT,
};
pub use clock::{Clock, TestClock, TokioClock};
pub use customers::{Customer, CustomerTenant, CustomersListing, JobStatus, ManagementMode};
pub use environment::{DataCenter, Endpoints, redact_url_text};
pub use error::{
    ApiError, AuthenticationError, BODY_SNIPPET_LIMIT, DisplayDuration, Error, GaveUp,
    GiveUpReason, Result, RetryLimit,
};
pub use escape::escape_control;
pub use overview::SeatOverview;
pub use paging::{
    DEFAULT_MAX_PAGES, DEFAULT_MAX_TENANT_PAGES, DEFAULT_PAGE_SIZE, DEFAULT_TIME_BUDGET,
    MAX_PAGE_SIZE, Page, PageStream, PagedOperation, PagedRequest,
};
pub use products::{ProductSeats, ProductType};
pub use rate_limit::RateLimitStats;
pub use retry::RetryPolicy;
pub use seats::TenantUserSeatsRequest;
pub use seats_batch::{TenantSeatsBatch, TenantSeatsRecord};
pub use services::{
    Capacity, CustomerServices, NOT_APPLICABLE, ServiceField, ServiceProduct, UnparsableField,
};
pub use types::{ParseEnumError, ReportedTenantType, SeatStatus, TenantSeats, TenantType};

/// The date type of customer services' dates ([`ServiceProduct::expiration_date`], ...).
pub use time::Date;

/// The generated raw client this crate wraps, for operations or details the wrapper does not
/// cover.
pub use avepoint_graph_raw as raw;

/// The README's Rust examples, compiled as doctests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;

/// The crate README's example (shown on crates.io), compiled as a doctest too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct CrateReadmeDoctests;
