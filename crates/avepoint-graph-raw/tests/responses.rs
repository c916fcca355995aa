//! Snapshot tests of how the generated client decodes responses.
//!
//! Bodies are served by a `wiremock` server on loopback and decoded by the generated
//! `Client`; successful results are snapshotted as the typed `Vec<types::TenantUserSeats>`
//! (and checked against a direct `serde_json` decode), errors as the `Error` variant with the
//! status, the headers a caller needs (`Retry-After`, `X-Request-Id`) and the body.

mod support;

use avepoint_graph_raw::{ByteStream, Error, ResponseValue, types};
use futures::TryStreamExt as _;
use serde::Serialize;
use support::{CUSTOMER_ID, client_for, customer_id, received, server_responding, tenant_type};
use wiremock::ResponseTemplate;

/// The response sample of the seed document, with its `//` comments, as published.
const SEED_SAMPLE: &str = include_str!("fixtures/seed-response-sample.jsonc");

/// Removes `//` line comments that are outside JSON strings (the seed's sample annotates
/// each field that way, which is not JSON).
fn strip_line_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut end = line.len();
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if in_string {
                match c {
                    _ if escaped => escaped = false,
                    '\\' => escaped = true,
                    '"' => in_string = false,
                    _ => {}
                }
            } else if c == '"' {
                in_string = true;
            } else if c == '/' && chars.peek().is_some_and(|&(_, next)| next == '/') {
                end = i;
                break;
            }
        }
        out.push_str(line[..end].trim_end());
        out.push('\n');
    }
    out
}

/// Serves `body` as a `200 application/json` response and returns what the client decoded.
async fn decode_via_client(body: &str) -> Vec<types::TenantUserSeats> {
    let server = server_responding(
        ResponseTemplate::new(200)
            .insert_header("x-request-id", "req-200")
            .set_body_raw(body.to_owned(), "application/json"),
    )
    .await;
    let response = client_for(&server)
        .retrieve_customer_tenant_user_seats(
            &customer_id(CUSTOMER_ID),
            &tenant_type(0),
            &types::UserSeatsRequest::default(),
        )
        .await
        .expect("a 200 with a valid body decodes");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-200");
    assert_eq!(received(&server).await.len(), 1, "one request, no retry");
    let seats = response.into_inner();
    let direct: Vec<types::TenantUserSeats> =
        serde_json::from_str(body).expect("the body decodes with serde_json too");
    assert_eq!(seats, direct, "client and serde_json agree");
    seats
}

/// Calls the operation against a server answering `response` and returns the error.
async fn call_expecting_error(response: ResponseTemplate) -> Error<ByteStream> {
    let server = server_responding(response).await;
    client_for(&server)
        .retrieve_customer_tenant_user_seats(
            &customer_id(CUSTOMER_ID),
            &tenant_type(0),
            &types::UserSeatsRequest::default(),
        )
        .await
        .expect_err("the call fails")
}

/// An error response in the shape the snapshots show.
#[derive(Serialize)]
struct ErrorShape {
    variant: &'static str,
    status: Option<u16>,
    retryable: bool,
    retry_after: Option<String>,
    request_id: Option<String>,
    body: String,
    /// Why a `200` body did not decode (`InvalidResponsePayload` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    decode_error: Option<String>,
}

impl ErrorShape {
    async fn from_error(err: Error<ByteStream>) -> Self {
        let status = err.status().map(|s| s.as_u16());
        let retryable = err.is_retryable();
        match err {
            Error::ErrorResponse(value) => {
                let (retry_after, request_id) = known_headers(value.headers());
                Self {
                    variant: "ErrorResponse",
                    status,
                    retryable,
                    retry_after,
                    request_id,
                    body: read_body(value).await,
                    decode_error: None,
                }
            }
            Error::UnexpectedResponse(response) => {
                let (retry_after, request_id) = known_headers(response.headers());
                Self {
                    variant: "UnexpectedResponse",
                    status,
                    retryable,
                    retry_after,
                    request_id,
                    body: response.text().await.expect("a readable body"),
                    decode_error: None,
                }
            }
            // progenitor keeps neither the status nor the headers of a `200` it cannot decode.
            Error::InvalidResponsePayload(bytes, json_error) => Self {
                variant: "InvalidResponsePayload",
                status,
                retryable,
                retry_after: None,
                request_id: None,
                body: String::from_utf8_lossy(&bytes).into_owned(),
                decode_error: Some(json_error.to_string()),
            },
            other => panic!("unexpected error variant: {other:?}"),
        }
    }
}

fn known_headers(headers: &reqwest::header::HeaderMap) -> (Option<String>, Option<String>) {
    let get = |name: &str| {
        headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    };
    (get("retry-after"), get("x-request-id"))
}

async fn read_body(value: ResponseValue<ByteStream>) -> String {
    let chunks: Vec<_> = value
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .expect("a readable body");
    String::from_utf8(chunks.concat()).expect("a UTF-8 body")
}

#[test]
fn comment_stripping_keeps_slashes_inside_strings() {
    let text = "{\"url\": \"https://x/y\", // a comment\n \"q\": \"a\\\"//b\" // another\n}";
    assert_eq!(
        strip_line_comments(text),
        "{\"url\": \"https://x/y\",\n \"q\": \"a\\\"//b\"\n}\n"
    );
}

/// The response sample of the seed document decodes once its `//` comments are stripped.
#[tokio::test]
async fn seed_sample_response() {
    assert!(
        serde_json::from_str::<serde_json::Value>(SEED_SAMPLE).is_err(),
        "the published sample is not JSON as it stands"
    );
    let seats = decode_via_client(&strip_line_comments(SEED_SAMPLE)).await;
    insta::assert_debug_snapshot!("seed_sample", seats);
}

#[tokio::test]
async fn empty_array() {
    let seats = decode_via_client("[]").await;
    insta::assert_debug_snapshot!("empty_array", seats);
}

/// Fields the spec does not know (such as those of the newer `tenants/batch` endpoint) are
/// ignored, at any depth and of any JSON type.
#[tokio::test]
async fn unknown_fields_are_ignored() {
    let body = r#"[
        {
            "id": "0c9f6f0e-2f7a-4b0e-9a53-3d1f0b7e2a11",
            "name": "Contoso Salesforce",
            "availableUserSeat": 0,
            "assignedUserSeat": 9007199254740993,
            "type": 1,
            "tenantId": "00Dxx0000001gPL",
            "region": null,
            "tags": ["prod", "emea"],
            "license": {"sku": "enterprise", "expires": "2027-01-31T00:00:00Z"}
        },
        {
            "name": "Fabrikam",
            "assignedUserSeat": 3,
            "availableUserSeat": 47,
            "id": "fabrikam.onmicrosoft.com",
            "isTrial": true
        }
    ]"#;
    let seats = decode_via_client(body).await;
    insta::assert_debug_snapshot!("unknown_fields_ignored", seats);
}

/// A documented error status gives `Error::ErrorResponse` whose status, headers and body are
/// readable: enough for a caller to honour `Retry-After` and quote the request id.
#[tokio::test]
async fn too_many_requests_exposes_retry_after() {
    let err = call_expecting_error(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "120")
            .insert_header("x-request-id", "req-429")
            .set_body_raw(r#"{"message":"Rate limit exceeded"}"#, "application/json"),
    )
    .await;
    assert!(matches!(err, Error::ErrorResponse(_)), "{err:?}");
    let shape = ErrorShape::from_error(err).await;
    insta::assert_json_snapshot!("error_429_retry_after", shape);
}

/// A `503` with no body (and an HTTP-date `Retry-After`) still gives its status.
#[tokio::test]
async fn service_unavailable_with_empty_body() {
    let err = call_expecting_error(
        ResponseTemplate::new(503).insert_header("retry-after", "Wed, 21 Oct 2026 07:28:00 GMT"),
    )
    .await;
    assert!(matches!(err, Error::ErrorResponse(_)), "{err:?}");
    let shape = ErrorShape::from_error(err).await;
    insta::assert_json_snapshot!("error_503_empty_body", shape);
}

/// A status the spec does not list gives `Error::UnexpectedResponse`, status still readable.
#[tokio::test]
async fn undocumented_status_is_unexpected_response() {
    let err = call_expecting_error(
        ResponseTemplate::new(502)
            .insert_header("x-request-id", "req-502")
            .set_body_raw("<html>Bad Gateway</html>", "text/html"),
    )
    .await;
    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    let shape = ErrorShape::from_error(err).await;
    insta::assert_json_snapshot!("error_502_undocumented", shape);
}

/// A `200` whose body does not decode gives `Error::InvalidResponsePayload` with the bytes
/// and the decoding error: malformed JSON, a missing required field, a count of the wrong type.
#[tokio::test]
async fn invalid_success_payloads() {
    let cases = [
        ("malformed_json", r#"[{"id": "t1", "name": "#),
        (
            "missing_field",
            r#"[{"id": "t1", "name": "T", "availableUserSeat": 1}]"#,
        ),
        (
            "count_is_a_string",
            r#"[{"id": "t1", "name": "T", "availableUserSeat": "25", "assignedUserSeat": 0}]"#,
        ),
    ];
    for (name, body) in cases {
        let err = call_expecting_error(
            ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
        )
        .await;
        assert!(
            matches!(err, Error::InvalidResponsePayload(..)),
            "{name}: {err:?}"
        );
        let shape = ErrorShape::from_error(err).await;
        insta::assert_json_snapshot!(format!("invalid_payload__{name}"), shape);
    }
}

/// Serves `body` as a `200 application/json` page of the customers listing and returns what
/// the client decoded (checked against a direct `serde_json` decode).
async fn decode_customers_page(body: &str) -> types::CustomersPage {
    let server = server_responding(
        ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
    )
    .await;
    let page = client_for(&server)
        .list_customers_batch(None, None, &types::CustomersBatchRequest::default())
        .await
        .expect("a 200 with a valid body decodes")
        .into_inner();
    let direct: types::CustomersPage =
        serde_json::from_str(body).expect("the body decodes with serde_json too");
    assert_eq!(page, direct, "client and serde_json agree");
    page
}

/// Serves `body` as a page of the tenants report and returns what the client decoded.
async fn decode_tenants_page(body: &str) -> types::TenantSeatsPage {
    let server = server_responding(
        ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
    )
    .await;
    let customer: types::RetrieveCustomerTenantsBatchCustomerId =
        CUSTOMER_ID.parse().expect("a non-empty customer id");
    let page = client_for(&server)
        .retrieve_customer_tenants_batch(
            &customer,
            &tenant_type(0),
            None,
            None,
            &types::TenantsBatchRequest::default(),
        )
        .await
        .expect("a 200 with a valid body decodes")
        .into_inner();
    let direct: types::TenantSeatsPage =
        serde_json::from_str(body).expect("the body decodes with serde_json too");
    assert_eq!(page, direct, "client and serde_json agree");
    page
}

/// A customers page: every field present, optional fields missing or `null`, `tenants`
/// missing or `null`, and `jobStatus`/`managementMode` values the spec does not know yet
/// (they are plain integers, so they still decode).
#[tokio::test]
async fn customers_page() {
    let body = r#"{
        "data": [
            {
                "id": "f162a7c1-b9d4-4e0b-a165-97db3c2afc15",
                "organization": "Contoso Ltd",
                "ownerEmail": "admin@contoso.com",
                "jobStatus": 1,
                "countryOrRegion": "United States",
                "managementMode": 1,
                "tenants": [
                    {"id": "f04d7aee-1c2b-4d3e-8f9a-65215f92e596", "name": "contoso.onmicrosoft.com"}
                ]
            },
            {
                "id": "3b9e4d2a-6c1f-4a8e-9d7b-2e5f8a1c0b34",
                "organization": null,
                "jobStatus": 0,
                "managementMode": 2,
                "tenants": null
            },
            {
                "id": "8d2c6f1e-0a4b-4c9d-b3e7-5f1a9c2d8e60",
                "jobStatus": 42,
                "managementMode": 7,
                "futureField": {"nested": true}
            }
        ],
        "metadata": {"pageIndex": 1, "pageSize": 50, "totalCount": 3}
    }"#;
    let page = decode_customers_page(body).await;
    insta::assert_debug_snapshot!("customers_page", page);
}

/// A tenants page, including a tenant type the spec does not know yet.
#[tokio::test]
async fn tenants_page() {
    let body = r#"{
        "data": [
            {"type": 0, "tenantId": "f04d7aee-1c2b-4d3e-8f9a-65215f92e596", "tenantName": "TenantABC", "availableUserSeat": 25, "assignedUserSeat": 25},
            {"type": 9, "tenantId": "t-9", "tenantName": "Future product", "availableUserSeat": 0, "assignedUserSeat": 3}
        ],
        "metadata": {"pageIndex": 2, "pageSize": 2, "totalCount": 4}
    }"#;
    let page = decode_tenants_page(body).await;
    insta::assert_debug_snapshot!("tenants_page", page);
}

/// An empty last page decodes.
#[tokio::test]
async fn empty_pages() {
    let body = r#"{"data": [], "metadata": {"pageIndex": 1, "pageSize": 50, "totalCount": 0}}"#;
    assert!(decode_customers_page(body).await.data.is_empty());
    assert!(decode_tenants_page(body).await.data.is_empty());
}

/// A page without `metadata`, or a customer without its required `jobStatus`, is an
/// `InvalidResponsePayload`.
#[tokio::test]
async fn invalid_pages() {
    let cases = [
        ("page_without_metadata", r#"{"data": []}"#),
        (
            "customer_without_job_status",
            r#"{"data": [{"id": "c", "managementMode": 0}], "metadata": {"pageIndex": 1, "pageSize": 50, "totalCount": 1}}"#,
        ),
    ];
    for (name, body) in cases {
        let server = server_responding(
            ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json"),
        )
        .await;
        let err = client_for(&server)
            .list_customers_batch(None, None, &types::CustomersBatchRequest::default())
            .await
            .expect_err("the body does not decode");
        assert!(
            matches!(err, Error::InvalidResponsePayload(..)),
            "{name}: {err:?}"
        );
        let shape = ErrorShape::from_error(err).await;
        insta::assert_json_snapshot!(format!("invalid_page__{name}"), shape);
    }
}
