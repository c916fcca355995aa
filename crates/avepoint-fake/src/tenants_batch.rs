//! `POST /partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/tenants/batch`:
//! the seats report of the `users` route, paginated and filterable by tenant id.
//!
//! Checks, in order (the first failure answers):
//! 1. the bearer token is valid (`401`) and has the scope `elements.license.read.all` (`403`);
//! 2. `type` is a decimal integer in `0..=3` (`400`);
//! 3. the body is empty, or a JSON object whose only member is `tenantIds` (an array of
//!    strings; not `null`), sent as `application/json` (`400`);
//! 4. `pageIndex` (default 1) and `pageSize` (default 50, at most 100) are positive decimal
//!    integers (`400`);
//! 5. the customer exists (`404`).
//!
//! Then `200` with the page of the customer's tenants of that type (every tenant, whatever
//! its seat counts; with `tenantIds` only those).

use std::sync::Arc;

use avepoint_graph_raw::types::TenantSeatsPage;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::demo::SCOPE_LICENSE_READ_ALL;
use crate::paging::{metadata, parse_page_params, served_page};
use crate::request::{authorized_body, customer_and_type, optional_object_body, string_list};
use crate::responses::{api_error, json};
use crate::seats::PATH_SEGMENT;
use crate::server::Shared;

/// The route of the paginated seats report, in axum's syntax.
pub const TENANTS_BATCH_ROUTE: &str = "/partner/external/v3/general/customers/{customer_id}/3rd-party-products/type/{type}/tenants/batch";

/// The path of the paginated seats report of `customer_id` (percent-encoded here) and
/// tenant type `tenant_type`.
pub fn tenants_batch_path(customer_id: &str, tenant_type: i32) -> String {
    let encoded = percent_encoding::utf8_percent_encode(customer_id, PATH_SEGMENT);
    format!(
        "/partner/external/v3/general/customers/{encoded}/3rd-party-products/type/{tenant_type}/tenants/batch"
    )
}

/// Handles the paginated seats report.
pub(crate) async fn report(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match authorized_body(&shared, &headers, SCOPE_LICENSE_READ_ALL, body) {
        Ok(body) => body,
        Err(response) => return *response,
    };
    let (customer_id, kind) = match customer_and_type(&uri) {
        Ok(parsed) => parsed,
        Err(response) => return *response,
    };
    let tenant_ids = match optional_object_body(&headers, &body, &["tenantIds"])
        .and_then(|object| string_list(object.as_ref(), "tenantIds"))
    {
        Ok(ids) => ids,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let requested = match parse_page_params(uri.query()) {
        Ok(params) => params,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    let Some(customer) = shared.dataset.customer(&customer_id) else {
        return api_error(
            StatusCode::NOT_FOUND,
            format!("customer `{customer_id}` was not found"),
        );
    };
    let fault = shared.paging_faults.next();
    let page = served_page(requested, fault);
    let all = customer.batch_seats(kind, &tenant_ids);
    let total = all.len() as u64;
    let data = all
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(page.size as usize)
        .collect();
    json(
        StatusCode::OK,
        &TenantSeatsPage {
            data,
            metadata: metadata(page, total, fault),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_reserved_characters() {
        assert_eq!(
            tenants_batch_path("a/b c?#%", 2),
            "/partner/external/v3/general/customers/a%2Fb%20c%3F%23%25/3rd-party-products/type/2/tenants/batch"
        );
    }
}
