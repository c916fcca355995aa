//! `POST /partner/external/v3/general/customers/batch`: the partner's customers, paginated.
//!
//! Checks, in order (the first failure answers):
//! 1. the bearer token is valid (`401`) and has the scope `elements.customers.read.all`
//!    (`403`);
//! 2. the body is empty, or a JSON object whose only member is `customerIds` (an array of
//!    strings, or `null`), sent as `application/json` (`400`);
//! 3. `pageIndex` (default 1) and `pageSize` (default 50, at most 100) are positive decimal
//!    integers (`400`).
//!
//! Then `200` with the page: every customer in dataset order, or with `customerIds` those
//! that exist, in the order given. Generated customers are built for the page only, so a
//! page of a 100,000-customer dataset costs the same as a page of the demo one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::demo::SCOPE_CUSTOMERS_READ_ALL;
use crate::paging::{metadata, parse_page_params, served_page};
use crate::request::{authorized_body, optional_object_body, string_list};
use crate::responses::{api_error, json};
use crate::server::Shared;

/// The route of the customers listing.
pub const CUSTOMERS_ROUTE: &str = "/partner/external/v3/general/customers/batch";

/// Handles the customers listing.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match authorized_body(&shared, &headers, SCOPE_CUSTOMERS_READ_ALL, body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let ids = match optional_object_body(&headers, &body, &["customerIds"])
        .and_then(|object| string_list(object.as_ref(), "customerIds"))
    {
        Ok(ids) => ids,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let requested = match parse_page_params(uri.query()) {
        Ok(params) => params,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let fault = shared.paging_faults.next();
    let page = served_page(requested, fault);
    let (customers, total) =
        shared
            .dataset
            .customers_page(&ids, page.offset(), u64::from(page.size));
    json(
        StatusCode::OK,
        &serde_json::json!({
            "data": customers.iter().map(|c| c.to_wire_json()).collect::<Vec<_>>(),
            "metadata": metadata(page, total, fault),
        }),
    )
}
