//! One call of a single-response license operation (the licensing family's GETs): the
//! customer id checked, an `avepoint.call` span, the shared call path of
//! [`Client::call_raw`] (token, retries, 401 refresh-and-replay, attempt timeouts, error
//! mapping) and one log line with the outcome, as the seats report does.

use std::time::Instant;

use avepoint_graph_raw as raw;
use tracing::Instrument as _;

use crate::client::{Client, OperationScopes, checked_customer_id};
use crate::error::Error;

/// Runs `op` for `customer_id` (checked and converted to the generated path type `C`) as
/// `operation`, under `span`.
pub(crate) async fn call<C, T, F, Fut>(
    client: &Client,
    operation: &'static str,
    customer_id: &str,
    span: tracing::Span,
    op: F,
) -> Result<T, Error>
where
    C: std::str::FromStr + Clone,
    F: Fn(raw::Client, C) -> Fut,
    Fut: std::future::Future<Output = Result<raw::ResponseValue<T>, raw::Error<raw::ByteStream>>>,
{
    let customer: C = checked_customer_id(customer_id)?;
    let started = Instant::now();
    let result = client
        .call_raw(operation, OperationScopes::License, |raw| {
            op(raw, customer.clone())
        })
        .instrument(span.clone())
        .await;
    let _enter = span.enter();
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &result {
        Ok(_) => tracing::info!(elapsed_ms, "call succeeded"),
        Err(e) => tracing::warn!(error = %crate::error::Chain(e), elapsed_ms, "call failed"),
    }
    result
}
