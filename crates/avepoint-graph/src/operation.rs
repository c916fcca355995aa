//! API operations: one [`Operation`] descriptor per operation, and the call of a
//! single-response operation.
//!
//! Each operation's module holds its descriptor (`static OPERATION: Operation`): the name
//! errors and `tracing` spans show, the scope set its token is requested with, what its
//! error statuses mean for the caller, and whether it returns pages. Errors, spans and
//! token selection all read it, so adding an operation takes a spec change,
//! `cargo xtask codegen` and one small module with its descriptor and typed request.
//!
//! [`call`] runs one call of a single-response operation (the licensing family's GETs): the
//! customer id checked, the shared call path of [`Client::call_raw`] (token, retries, 401
//! refresh-and-replay, attempt timeouts, error mapping) under the caller's `avepoint.call`
//! span, and one log line with the outcome.

use std::time::Instant;

use avepoint_graph_raw as raw;
use tracing::Instrument as _;

use crate::client::{Client, checked_customer_id};
use crate::error::Error;

/// Everything the SDK knows about one API operation.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The operation id of the spec: the raw client's method, and the name errors
    /// ([`crate::ApiError::operation`]) and `tracing` spans show.
    pub(crate) name: &'static str,
    /// Which of the client's scope sets its token is requested with.
    pub(crate) scopes: Scopes,
    /// What its error statuses mean for the caller.
    pub(crate) hints: StatusHints,
    /// Whether it returns one page at a time (`pageIndex`, `pageSize`, `totalCount`).
    pub(crate) paged: bool,
}

/// The scope sets a client requests tokens for; it keeps one token per distinct set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scopes {
    /// The license operations (seats reports, the licensing family):
    /// [`ClientBuilder::scopes`](crate::ClientBuilder::scopes), default
    /// `elements.license.read.all`.
    License,
    /// The customers listing:
    /// [`ClientBuilder::customers_scopes`](crate::ClientBuilder::customers_scopes), default
    /// `elements.customers.read.all`.
    Customers,
}

/// What to check when an operation fails with a status that depends on the operation (the
/// other statuses mean the same for every operation; see `ApiError`'s hint).
pub(crate) struct StatusHints {
    /// 400 Bad Request.
    pub(crate) bad_request: &'static str,
    /// 403 Forbidden.
    pub(crate) forbidden: &'static str,
    /// 404 Not Found.
    pub(crate) not_found: &'static str,
}

impl std::fmt::Debug for StatusHints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The texts show in `Display`; `Debug` of an error stays short.
        f.debug_struct("StatusHints").finish_non_exhaustive()
    }
}

impl StatusHints {
    /// The hints of a license operation addressed by customer id and tenant type.
    pub(crate) const LICENSE: StatusHints = StatusHints {
        bad_request: "check the customer id, the tenant type and the seat status",
        forbidden: "the app lacks the permission (scope elements.license.read.all) or the customer is outside its customer scope; check the app registration in Elements",
        not_found: "no such customer for this partner; check the customer id and the data center",
    };
}

/// Runs `send` for `customer_id` (checked and converted to the generated path type `C`) as
/// `operation`, under `span`.
pub(crate) async fn call<'c, C, T, F, Fut>(
    client: &'c Client,
    operation: &'static Operation,
    customer_id: &str,
    span: tracing::Span,
    send: F,
) -> Result<T, Error>
where
    C: TryFrom<String> + Clone,
    F: Fn(&'c raw::Client, C) -> Fut,
    Fut: std::future::Future<Output = Result<raw::ResponseValue<T>, raw::Error<raw::ByteStream>>>,
{
    let customer: C = checked_customer_id(customer_id.to_owned())?;
    let started = outcome_clock(&span);
    let result = client
        .call_raw(operation, |raw| send(raw, customer.clone()))
        .instrument(span.clone())
        .await;
    record_outcome(&span, started, &result, None);
    result
}

/// The start of a call, read only when its outcome event can be recorded: the call's span
/// is recorded (a filter on the span enables the events inside it), or a `warn` event here
/// would be.
pub(crate) fn outcome_clock(span: &tracing::Span) -> Option<Instant> {
    (!span.is_disabled() || tracing::enabled!(tracing::Level::WARN)).then(Instant::now)
}

/// The outcome event of a call that started at `started` ([`outcome_clock`]), inside its
/// `span`: its duration, and the tenants it returned when it returns a list of them.
pub(crate) fn record_outcome<T>(
    span: &tracing::Span,
    started: Option<Instant>,
    result: &Result<T, Error>,
    tenants: Option<usize>,
) {
    let _enter = span.enter();
    // 0 when the clock was not read: nothing records it then.
    let elapsed_ms = started.map_or(0, |started| {
        u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
    });
    match result {
        Ok(_) => tracing::info!(tenants, elapsed_ms, "call succeeded"),
        Err(e) => tracing::warn!(error = %crate::error::Chain(e), elapsed_ms, "call failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation of the SDK, for the checks below.
    fn all() -> [&'static Operation; 6] {
        [
            &crate::seats::OPERATION,
            &crate::seats_batch::OPERATION,
            &crate::customers::OPERATION,
            &crate::overview::OPERATION,
            &crate::products::OPERATION,
            &crate::services::OPERATION,
        ]
    }

    #[test]
    fn names_are_the_raw_clients_operation_ids_and_unique() {
        let generated = include_str!("../../avepoint-graph-raw/src/generated.rs");
        let ops = all();
        for (i, op) in ops.iter().enumerate() {
            assert!(
                generated.contains(&format!("operation_id: \"{}\"", op.name)),
                "{} is not an operation of the raw client",
                op.name
            );
            assert!(
                ops[..i].iter().all(|other| other.name != op.name),
                "{} is described twice",
                op.name
            );
        }
    }

    #[test]
    fn paged_operations_point_to_the_paging_parameters() {
        for op in all() {
            assert_eq!(
                op.hints.bad_request.contains("paging parameters"),
                op.paged,
                "{}",
                op.name
            );
        }
    }

    #[test]
    fn only_the_customers_listing_uses_the_customers_scopes() {
        for op in all() {
            assert_eq!(
                op.scopes == Scopes::Customers,
                op.name == "list_customers_batch",
                "{}",
                op.name
            );
        }
    }
}
