//! Snapshot tests of the requests the generated client sends.
//!
//! Each test calls `avepoint_graph_raw::Client` against a `wiremock` server on loopback and
//! snapshots what the server received: method, path (percent-encoded, as sent), query, the
//! headers that matter and the JSON body. The token is shown as `[token]`; header values
//! that vary between runs (the host's port) are not part of the snapshots.

mod support;

use std::collections::BTreeMap;

use avepoint_graph_raw::{ByteStream, Client, Error, RequestContext, ResponseValue, types};
use serde::Serialize;
use support::{
    CUSTOMER_ID, TOKEN, client_for, customer_id, http_client, received, server_responding,
    tenant_type,
};
use wiremock::{MockServer, ResponseTemplate};

/// The headers each snapshot shows, present or not. `api-version` is listed to show that
/// progenitor's header is not sent (`cargo xtask codegen` removes it): the service does not
/// document it.
const HEADERS: [&str; 5] = [
    "accept",
    "api-version",
    "authorization",
    "content-length",
    "content-type",
];

/// What the server received, in the shape the snapshots show.
#[derive(Serialize)]
struct RecordedRequest {
    method: String,
    path: String,
    query: Option<String>,
    /// Each of [`HEADERS`]: `null` when absent, a string when sent once, a list when repeated.
    headers: BTreeMap<&'static str, serde_json::Value>,
    /// The body parsed as JSON; `null` when empty.
    body: serde_json::Value,
}

impl RecordedRequest {
    fn from_wiremock(request: &wiremock::Request) -> Self {
        let headers = HEADERS
            .into_iter()
            .map(|name| {
                let mut values: Vec<serde_json::Value> = request
                    .headers
                    .get_all(name)
                    .iter()
                    .map(|v| {
                        let text = v.to_str().expect("visible ASCII header value");
                        serde_json::Value::String(text.replace(TOKEN, "[token]"))
                    })
                    .collect();
                let value = match values.len() {
                    0 => serde_json::Value::Null,
                    1 => values.remove(0),
                    _ => serde_json::Value::Array(values),
                };
                (name, value)
            })
            .collect();
        let body = if request.body.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&request.body).expect("the request body is JSON")
        };
        Self {
            method: request.method.to_string(),
            path: request.url.path().to_owned(),
            query: request.url.query().map(str::to_owned),
            headers,
            body,
        }
    }
}

/// A server that answers `200 []`.
async fn empty_ok_server() -> MockServer {
    server_responding(ResponseTemplate::new(200).set_body_raw("[]", "application/json")).await
}

/// Calls the operation once through `client` and returns the one request `server` received.
async fn send_and_record(
    server: &MockServer,
    client: &Client,
    customer: &str,
    tenant: i32,
    body: &types::UserSeatsRequest,
) -> RecordedRequest {
    let seats = client
        .retrieve_customer_tenant_user_seats(&customer_id(customer), &tenant_type(tenant), body)
        .await
        .expect("the call succeeds");
    assert!(seats.is_empty());
    let requests = received(server).await;
    assert_eq!(requests.len(), 1, "exactly one request reaches the server");
    RecordedRequest::from_wiremock(&requests[0])
}

/// [`send_and_record`] for customer `id`, tenant type 0 and no filter.
async fn record_unfiltered(server: &MockServer, client: &Client, id: &str) -> RecordedRequest {
    send_and_record(server, client, id, 0, &types::UserSeatsRequest::default()).await
}

/// The seats of customer `id` for tenant type 0, without a filter.
async fn call_unfiltered(
    client: &Client,
    id: &str,
) -> Result<ResponseValue<Vec<types::TenantUserSeats>>, Error<ByteStream>> {
    client
        .retrieve_customer_tenant_user_seats(
            &customer_id(id),
            &tenant_type(0),
            &types::UserSeatsRequest::default(),
        )
        .await
}

fn status_filter(value: Option<i32>) -> types::UserSeatsRequest {
    types::UserSeatsRequest {
        license_assigned_status: value
            .map(|v| types::LicenseAssignedStatus::try_from(v).expect("0 or 1")),
    }
}

/// Every tenant type (0 Microsoft 365, 1 Salesforce, 2 Google, 3 Dynamics 365), each without
/// a filter (`UserSeatsRequest::default()` sends `{}`) and with `licenseAssignedStatus` 0
/// (available seats) and 1 (assigned seats).
#[tokio::test]
async fn every_tenant_type_with_and_without_a_filter() {
    let filters = [
        ("no_filter", None),
        ("available_seats", Some(0)),
        ("assigned_seats", Some(1)),
    ];
    for tenant in 0..=3 {
        for (filter_name, filter) in filters {
            let server = empty_ok_server().await;
            let client = client_for(&server);
            let recorded = send_and_record(
                &server,
                &client,
                CUSTOMER_ID,
                tenant,
                &status_filter(filter),
            )
            .await;
            insta::assert_json_snapshot!(format!("type_{tenant}__{filter_name}"), recorded);
        }
    }
}

/// `customerId` is opaque: every character that is not allowed in a path segment is
/// percent-encoded, so the id stays one segment and nothing leaks into query or fragment.
#[tokio::test]
async fn customer_id_is_percent_encoded() {
    let server = empty_ok_server().await;
    let client = client_for(&server);
    let recorded = record_unfiltered(&server, &client, "a/b c?#%").await;
    assert_eq!(
        recorded.path,
        "/partner/external/v3/general/customers/a%2Fb%20c%3F%23%25/3rd-party-products/type/0/users"
    );
    assert_eq!(recorded.query, None);
    insta::assert_json_snapshot!("customer_id_percent_encoded", recorded);
}

/// A `\` in a parameter is percent-encoded like any other character that is not allowed in
/// a path segment, not read as a path separator (which URL parsing does for `http` and
/// `https`), so an id such as `a\..\..\x` cannot climb out of its segment.
#[tokio::test]
async fn customer_id_with_backslashes_stays_one_segment() {
    let server = empty_ok_server().await;
    let client = client_for(&server);
    let recorded = record_unfiltered(&server, &client, "a\\..\\..\\x").await;
    assert_eq!(
        recorded.path,
        "/partner/external/v3/general/customers/a%5C..%5C..%5Cx/3rd-party-products/type/0/users"
    );
}

/// A parameter that is `.` or `..` would be removed by URL normalisation (the request would
/// go to another path), so it is refused before anything is sent.
#[tokio::test]
async fn dot_segments_are_refused() {
    let server = empty_ok_server().await;
    let client = client_for(&server);
    for id in [".", ".."] {
        let err = call_unfiltered(&client, id)
            .await
            .expect_err("a dot segment is refused");
        assert!(matches!(err, Error::InvalidRequest(_)), "{id}: {err:?}");
        assert!(err.to_string().contains("normalisation"), "{id}: {err}");
    }
    assert!(received(&server).await.is_empty(), "nothing is sent");
}

/// The operation's path goes after the base URL's own path, with one `/` between them
/// whether or not the base ends with one.
#[tokio::test]
async fn base_url_with_a_path_stem() {
    for stem in ["/api", "/api/"] {
        let server = empty_ok_server().await;
        let base = format!("{}{stem}", server.uri());
        let ctx = RequestContext::with_bearer(TOKEN.to_owned(), &base).expect("a valid origin");
        let client = Client::new_with_client(&base, http_client(), ctx);
        let recorded = record_unfiltered(&server, &client, CUSTOMER_ID).await;
        assert_eq!(
            recorded.path,
            format!(
                "/api/partner/external/v3/general/customers/{CUSTOMER_ID}/3rd-party-products/type/0/users"
            ),
            "base {base}"
        );
    }
}

/// A context keeps its client's parsed base URL; clients of other base URLs that share the
/// context still send to their own.
#[tokio::test]
async fn clients_sharing_a_context_keep_their_base_urls() {
    let (first, second) = (empty_ok_server().await, empty_ok_server().await);
    let ctx = RequestContext::anonymous();
    let clients = [
        Client::new_with_client(&first.uri(), http_client(), ctx.clone()),
        Client::new_with_client(&second.uri(), http_client(), ctx),
    ];
    for _ in 0..2 {
        for client in &clients {
            call_unfiltered(client, CUSTOMER_ID)
                .await
                .expect("the call succeeds");
        }
    }
    assert_eq!(received(&first).await.len(), 2);
    assert_eq!(received(&second).await.len(), 2);
}

/// A base URL that cannot take a path fails the call with a message naming it.
#[tokio::test]
async fn base_url_that_cannot_take_a_path() {
    for base in ["mailto:partner@example.com", "not a url"] {
        let client = Client::new_with_client(base, http_client(), RequestContext::anonymous());
        let err = call_unfiltered(&client, CUSTOMER_ID)
            .await
            .expect_err("no request can be built");
        assert!(matches!(err, Error::InvalidRequest(_)), "{base}: {err:?}");
        assert!(
            err.to_string().contains("not an absolute URL"),
            "{base}: {err}"
        );
    }
}

/// An anonymous context sends no `Authorization` header (and still no `api-version`).
#[tokio::test]
async fn anonymous_context_sends_no_authorization() {
    let server = empty_ok_server().await;
    let client = Client::new_with_client(&server.uri(), http_client(), RequestContext::anonymous());
    let recorded = record_unfiltered(&server, &client, CUSTOMER_ID).await;
    assert_eq!(recorded.headers["authorization"], serde_json::Value::Null);
    insta::assert_json_snapshot!("anonymous_context", recorded);
}

/// The token's allowed origin is compared by scheme, host and port only: a path (or query)
/// on the allowed URL does not matter.
#[tokio::test]
async fn bearer_origin_ignores_path() {
    let server = empty_ok_server().await;
    let ctx = RequestContext::with_bearer(
        TOKEN.to_owned(),
        &format!("{}/partner/external?x=1", server.uri()),
    )
    .expect("a valid origin");
    let client = Client::new_with_client(&server.uri(), http_client(), ctx);
    let recorded = record_unfiltered(&server, &client, CUSTOMER_ID).await;
    assert_eq!(recorded.headers["authorization"], "Bearer [token]");
}

/// The token is only sent to its origin: a client whose base URL has another scheme, host or
/// port fails before anything is sent, although the server it points at is listening.
#[tokio::test]
async fn bearer_is_refused_for_another_origin() {
    let mut refusals = BTreeMap::new();
    for case in ["other_host", "other_port", "other_scheme"] {
        let server = empty_ok_server().await;
        let port = server.address().port();
        let allowed = match case {
            // `localhost` reaches the same server, but it is not the same origin.
            "other_host" => format!("http://localhost:{port}"),
            "other_port" => format!("http://127.0.0.1:{}", if port == 1 { 2 } else { 1 }),
            _ => format!("https://127.0.0.1:{port}"),
        };
        let ctx = RequestContext::with_bearer(TOKEN.to_owned(), &allowed).expect("valid origin");
        let client = Client::new_with_client(&server.uri(), http_client(), ctx);

        let err = call_unfiltered(&client, CUSTOMER_ID)
            .await
            .expect_err("the token must not go to another origin");

        assert!(matches!(err, Error::InvalidRequest(_)), "{case}: {err:?}");
        assert!(
            received(&server).await.is_empty(),
            "{case}: no request may reach the server"
        );
        let message = err.to_string();
        assert!(
            !message.contains(TOKEN),
            "{case}: the error leaks the token"
        );
        refusals.insert(case, message);
    }
    insta::with_settings!({filters => vec![(r":\d{2,5}\b", ":[port]")]}, {
        insta::assert_json_snapshot!("bearer_refused_for_other_origins", refusals);
    });
}

/// `with_bearer` rejects an allowed origin that is not an absolute URL and a token that cannot
/// be an HTTP header value; neither error message repeats the token.
#[test]
fn with_bearer_rejects_bad_input() {
    let err = RequestContext::with_bearer(TOKEN.to_owned(), "graph.avepointonlineservices.com")
        .expect_err("a relative URL is refused");
    assert!(err.to_string().contains("not an absolute URL"), "{err}");

    let bad_token = format!("{TOKEN}\r\nX-Injected: 1");
    let err = RequestContext::with_bearer(bad_token, "https://graph.avepointonlineservices.com")
        .expect_err("a token with CR LF is refused");
    assert!(!err.to_string().contains(TOKEN), "{err}");

    let ctx =
        RequestContext::with_bearer(TOKEN.to_owned(), "https://graph.avepointonlineservices.com")
            .expect("valid");
    let debug = format!("{ctx:?}");
    assert!(!debug.contains(TOKEN), "Debug leaks the token: {debug}");
}

/// A server that answers an empty page (`{"data": [], "metadata": ...}`).
async fn empty_page_server() -> MockServer {
    server_responding(ResponseTemplate::new(200).set_body_raw(
        r#"{"data":[],"metadata":{"pageIndex":1,"pageSize":50,"totalCount":0}}"#,
        "application/json",
    ))
    .await
}

/// One paging case: snapshot name, `pageIndex`, `pageSize`, the ids of the body filter.
type PagingCase = (&'static str, Option<u32>, Option<u32>, Vec<&'static str>);

fn page_param(value: u32) -> Option<std::num::NonZeroU32> {
    std::num::NonZeroU32::new(value)
}

/// The paginated tenants report: `pageIndex`/`pageSize` in the query (left out when `None`,
/// so the service's defaults apply), the tenant filter in the body (`{}` without one).
#[tokio::test]
async fn tenants_batch_requests() {
    let cases: [(PagingCase, i32); 3] = [
        (("tenants_batch__defaults", None, None, vec![]), 0),
        (
            ("tenants_batch__page_2_of_100", Some(2), Some(100), vec![]),
            1,
        ),
        (
            (
                "tenants_batch__tenant_filter",
                Some(1),
                Some(50),
                vec!["f04d7aee-1c2b-4d3e-8f9a-65215f92e596", "t/2"],
            ),
            3,
        ),
    ];
    for ((name, index, size, tenant_ids), tenant) in cases {
        let server = empty_page_server().await;
        let client = client_for(&server);
        let customer: types::RetrieveCustomerTenantsBatchCustomerId =
            CUSTOMER_ID.parse().expect("a non-empty customer id");
        let body = types::TenantsBatchRequest {
            tenant_ids: tenant_ids.into_iter().map(str::to_owned).collect(),
        };
        let page = client
            .retrieve_customer_tenants_batch(
                &customer,
                &tenant_type(tenant),
                index.and_then(page_param),
                size.and_then(page_param),
                &body,
            )
            .await
            .expect("the call succeeds")
            .into_inner();
        assert!(page.data.is_empty());
        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "{name}: exactly one request");
        insta::assert_json_snapshot!(name, RecordedRequest::from_wiremock(&requests[0]));
    }
}

/// The customers listing: the same paging parameters, the customer filter in the body.
#[tokio::test]
async fn customers_batch_requests() {
    let cases: [PagingCase; 3] = [
        ("customers_batch__defaults", None, None, vec![]),
        ("customers_batch__page_3_of_25", Some(3), Some(25), vec![]),
        (
            "customers_batch__customer_filter",
            Some(1),
            Some(100),
            vec![CUSTOMER_ID, "3b9e4d2a-6c1f-4a8e-9d7b-2e5f8a1c0b34"],
        ),
    ];
    for (name, index, size, customer_ids) in cases {
        let server = empty_page_server().await;
        let client = client_for(&server);
        let body = types::CustomersBatchRequest {
            customer_ids: customer_ids.into_iter().map(str::to_owned).collect(),
        };
        let page = client
            .list_customers_batch(index.and_then(page_param), size.and_then(page_param), &body)
            .await
            .expect("the call succeeds")
            .into_inner();
        assert_eq!(page.metadata.total_count, 0);
        let requests = received(&server).await;
        assert_eq!(requests.len(), 1, "{name}: exactly one request");
        insta::assert_json_snapshot!(name, RecordedRequest::from_wiremock(&requests[0]));
    }
}
