//! `POST /partner/external/v3/general/customers/{customerId}/3rd-party-products/type/{type}/users`.
//!
//! Checks, in order (the first failure answers):
//! 1. `Authorization: Bearer <token>` names a token this server issued that has not expired,
//!    else `401` with `WWW-Authenticate: Bearer error="invalid_token"`;
//! 2. the token has the scope `elements.license.read.all`, else `403` with
//!    `WWW-Authenticate: Bearer error="insufficient_scope"`;
//! 3. `type` is a decimal integer in `0..=3`, else `400`;
//! 4. the body is empty (or only whitespace), or a JSON object whose only member is
//!    `licenseAssignedStatus` with value `0` or `1` (not `null`: the spec does not make it
//!    nullable), sent as `application/json`,
//!    else `400` (unknown members are refused to catch client typos);
//! 5. the customer exists (its id is percent-decoded from the raw path, so `%2F` in an id is
//!    a `/` of the id, not a path separator), else `404`.
//!
//! Then `200` with the customer's tenants of that type, filtered as [`SeatFilter`] says.

use std::sync::Arc;

use avepoint_graph_raw::types::UserSeatsRequest;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;

use crate::dataset::SeatFilter;
use crate::demo::SCOPE_LICENSE_READ_ALL;
use crate::request::{authorized_body, customer_and_type, json_media_type};
use crate::responses::{api_error, json};
use crate::server::Shared;

/// The route of the seats endpoint, in axum's syntax.
pub const SEATS_ROUTE: &str =
    "/partner/external/v3/general/customers/{customer_id}/3rd-party-products/type/{type}/users";

/// The path of the seats report of `customer_id` (percent-encoded here) and tenant type
/// `tenant_type`.
pub fn seats_path(customer_id: &str, tenant_type: i32) -> String {
    let encoded = percent_encoding::utf8_percent_encode(customer_id, PATH_SEGMENT);
    format!(
        "/partner/external/v3/general/customers/{encoded}/3rd-party-products/type/{tenant_type}/users"
    )
}

/// Characters percent-encoded in a path segment by [`seats_path`]: everything but RFC 3986
/// unreserved characters.
pub(crate) const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Handles the seats endpoint.
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
    let filter = match parse_body(&headers, &body) {
        Ok(filter) => filter,
        Err(message) => return api_error(StatusCode::BAD_REQUEST, message),
    };
    match shared.dataset.seats(&customer_id, kind, filter) {
        Some(seats) => json(StatusCode::OK, &seats),
        None => api_error(
            StatusCode::NOT_FOUND,
            format!("customer `{customer_id}` was not found"),
        ),
    }
}

/// The seat filter of the request body.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<SeatFilter, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(SeatFilter::All);
    }
    if !json_media_type(headers) {
        return Err("a request body must be sent as Content-Type: application/json".into());
    }
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not valid JSON: {e}"))?;
    let Some(object) = value.as_object() else {
        return Err("the request body must be a JSON object".into());
    };
    if let Some(unknown) = object.keys().find(|k| *k != "licenseAssignedStatus") {
        return Err(format!(
            "unknown member `{unknown}` in the request body (only licenseAssignedStatus is allowed)"
        ));
    }
    // The spec does not mark the member nullable: `null` is refused like any other
    // non-member of the enum.
    if object.get("licenseAssignedStatus") == Some(&serde_json::Value::Null) {
        return Err("licenseAssignedStatus must be 0 (available) or 1 (assigned), not null".into());
    }
    let request: UserSeatsRequest = serde_json::from_value(value)
        .map_err(|_| "licenseAssignedStatus must be 0 (available) or 1 (assigned)".to_owned())?;
    Ok(SeatFilter::from(request.license_assigned_status.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderValue, header};

    #[test]
    fn bodies() {
        let mut h = HeaderMap::new();
        assert_eq!(parse_body(&h, b""), Ok(SeatFilter::All));
        assert!(parse_body(&h, b"{}").is_err(), "content type required");
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert_eq!(parse_body(&h, b" {} "), Ok(SeatFilter::All));
        assert_eq!(
            parse_body(&h, br#"{"licenseAssignedStatus":0}"#),
            Ok(SeatFilter::Available)
        );
        assert_eq!(
            parse_body(&h, br#"{"licenseAssignedStatus":1}"#),
            Ok(SeatFilter::Assigned)
        );
        for bad in [
            &br#"{"licenseAssignedStatus":2}"#[..],
            br#"{"licenseAssignedStatus":"1"}"#,
            br#"{"licenseAssignedStatus":1.5}"#,
            br#"{"licenseAssignedStatus":null}"#,
            br#"{"status":1}"#,
            b"[]",
            b"null",
            b"{",
        ] {
            assert!(
                parse_body(&h, bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn paths_encode_reserved_characters() {
        assert_eq!(
            seats_path("a/b c?#%", 2),
            "/partner/external/v3/general/customers/a%2Fb%20c%3F%23%25/3rd-party-products/type/2/users"
        );
    }
}
