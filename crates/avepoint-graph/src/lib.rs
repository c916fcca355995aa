//! Rust SDK for the AvePoint Graph API partner endpoints: how many user seats of each
//! customer's Microsoft 365, Salesforce, Google and Dynamics 365 tenants are assigned and
//! available.
//!
//! Built for managed-service providers who bill and reconcile licenses per customer. The
//! crate wraps the client generated from the project's OpenAPI spec (`avepoint-graph-raw`)
//! and adds what production use needs:
//!
//! * typed values: [`TenantType`], [`SeatStatus`], [`TenantSeats`], [`DataCenter`];
//! * OAuth 2.0 client credentials with a client secret or a certificate (RS256 client
//!   assertion, PEM or password-protected PKCS#12), a static token, or your own
//!   [`TokenProvider`]; tokens are cached and refreshed ahead of expiry, one refresh at a time;
//! * retries of transient failures with capped, jittered backoff that honours `Retry-After`,
//!   bounded by attempts and an overall deadline ([`RetryPolicy`]);
//! * one [`Error`] type whose variants tell what to do, and which never contains a secret;
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

pub mod auth;
mod client;
mod environment;
pub mod error;
pub mod retry;
mod types;

pub use auth::{AccessToken, ClientCertificate, Credentials, Secret, TokenProvider};
pub use client::{
    Client, ClientBuilder, DEFAULT_ATTEMPT_TIMEOUT, DEFAULT_CONNECT_TIMEOUT,
    TenantUserSeatsRequest, USER_AGENT,
};
pub use environment::{DataCenter, Endpoints};
pub use error::{ApiError, AuthenticationError, Error, GiveUpReason, Result};
pub use retry::{RetryPolicy, Sleeper};
pub use types::{ParseEnumError, SeatStatus, TenantSeats, TenantType};

/// The generated raw client this crate wraps, for operations or details the wrapper does not
/// cover.
pub use avepoint_graph_raw as raw;
