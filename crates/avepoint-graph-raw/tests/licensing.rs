//! Snapshot tests of the licensing family's three GET operations: the tenant seat overview,
//! the AvePoint product seats and the customer's services.
//!
//! Each test serves a body from a `wiremock` server on loopback, calls the generated client
//! and snapshots the request the server received (method, path as sent, query, the headers
//! that matter, body) together with what the client decoded.

#[allow(dead_code)] // not every helper is used by this file
mod support;

use std::collections::BTreeMap;

use avepoint_graph_raw::{Error, types};
use serde::Serialize;
use support::{CUSTOMER_ID, TOKEN, client_for, received, server_responding, tenant_type};
use wiremock::{MockServer, ResponseTemplate};

/// What the server received and what the client made of the answer.
#[derive(Serialize)]
struct Exchange<T: Serialize> {
    method: String,
    path: String,
    query: Option<String>,
    /// `accept`, `authorization` (token shown as `[token]`), `content-type`, `content-length`.
    headers: BTreeMap<&'static str, Option<String>>,
    /// The request body; GETs send none.
    body: Option<String>,
    decoded: T,
}

async fn exchange<T: Serialize>(server: &MockServer, decoded: T) -> Exchange<T> {
    let requests = received(server).await;
    assert_eq!(requests.len(), 1, "exactly one request reaches the server");
    let request = &requests[0];
    let headers = ["accept", "authorization", "content-type", "content-length"]
        .into_iter()
        .map(|name| {
            let value = request.headers.get(name).map(|v| {
                v.to_str()
                    .expect("visible ASCII header value")
                    .replace(TOKEN, "[token]")
            });
            (name, value)
        })
        .collect();
    Exchange {
        method: request.method.to_string(),
        path: request.url.path().to_owned(),
        query: request.url.query().map(str::to_owned),
        headers,
        body: (!request.body.is_empty()).then(|| String::from_utf8_lossy(&request.body).into()),
        decoded,
    }
}

fn ok_json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "application/json")
}

#[tokio::test]
async fn tenant_seat_overview() {
    let body = r#"{"type": 0, "availableUserSeat": 25, "assignedUserSeat": 20}"#;
    let server = server_responding(ok_json(body)).await;
    let customer: types::RetrieveCustomerTenantSeatOverviewCustomerId =
        "a/b c".parse().expect("non-empty");
    let decoded = client_for(&server)
        .retrieve_customer_tenant_seat_overview(&customer, &tenant_type(0))
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(
        decoded,
        serde_json::from_str::<types::TenantSeatOverview>(body).expect("serde_json agrees")
    );
    insta::assert_json_snapshot!("overview__m365", exchange(&server, decoded).await);
}

/// Serves `body` for the product seats of `product` and returns the exchange.
async fn product_seats(product: i64, body: &str) -> Exchange<types::ProductSeatOverview> {
    let server = server_responding(ok_json(body)).await;
    let customer: types::RetrieveCustomerProductSeatsCustomerId =
        CUSTOMER_ID.parse().expect("non-empty");
    let decoded = client_for(&server)
        .retrieve_customer_product_seats(&customer, product)
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(
        decoded,
        serde_json::from_str::<types::ProductSeatOverview>(body).expect("serde_json agrees")
    );
    exchange(&server, decoded).await
}

/// `productType` decodes as a number, as a string (the docs' field table says string), and
/// a code no known product has still decodes.
#[tokio::test]
async fn product_seats_number_string_and_unknown_code() {
    let number = product_seats(2048, r#"{"productType": 2048, "availableUserSeat": 25}"#).await;
    assert_eq!(
        number.decoded.product_type,
        Some(types::ProductTypeCode::Int64(2048))
    );
    insta::assert_json_snapshot!("product_seats__number", number);

    let string = product_seats(32, r#"{"productType": "32", "availableUserSeat": 10}"#).await;
    assert_eq!(
        string.decoded.product_type,
        Some(types::ProductTypeCode::String("32".into()))
    );
    insta::assert_json_snapshot!("product_seats__string", string);

    let unknown = product_seats(
        2_147_483_648,
        r#"{"productType": 2147483648, "availableUserSeat": 3}"#,
    )
    .await;
    insta::assert_json_snapshot!("product_seats__unknown_code", unknown);
}

/// A seat count that is not an integer fails the decode (the raw layer is faithful to the
/// spec; the SDK turns this into a typed error).
#[tokio::test]
async fn product_seats_without_a_count_is_invalid() {
    let server = server_responding(ok_json(
        r#"{"productType": 2048, "availableUserSeat": "25"}"#,
    ))
    .await;
    let customer: types::RetrieveCustomerProductSeatsCustomerId =
        CUSTOMER_ID.parse().expect("non-empty");
    let err = client_for(&server)
        .retrieve_customer_product_seats(&customer, 2048)
        .await
        .expect_err("a string count is not an integer");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
}

const SERVICES: &str = r#"{
  "customerId": "f162a7c1-b9d4-4e0b-a165-97db3c2afc15",
  "organization": "Contoso Ltd",
  "customer": "admin@contoso.com",
  "products": [
    {
      "service": "Cloud Backup for Microsoft 365",
      "subscriptionModel": "User-based",
      "purchasedUserSeats": "25",
      "purchasedUnits": "N/A",
      "microsoftLicenseAssigned": "25",
      "microsoftLicenseAvailable": "0",
      "purchasedCapacity": "0/1 GB",
      "protectedCapacity": "0 GB",
      "storage": "AvePoint Storage",
      "retention": "N/A",
      "consumedStorage": "0 GB",
      "expirationDate": "2025/09/30",
      "change": "N/A",
      "source": "AvePoint subscription",
      "paymentType": "Prepaid",
      "subscriptionName": "N/A",
      "package": "N/A",
      "contractEndDate": "2025/09/30"
    },
    {
      "service": "N/A", "subscriptionModel": "N/A", "purchasedUserSeats": "N/A",
      "purchasedUnits": "N/A", "microsoftLicenseAssigned": "N/A",
      "microsoftLicenseAvailable": "N/A", "purchasedCapacity": "N/A",
      "protectedCapacity": "N/A", "storage": "N/A", "retention": "N/A",
      "consumedStorage": "N/A", "expirationDate": "N/A", "change": "N/A", "source": "N/A",
      "paymentType": "N/A", "subscriptionName": "N/A", "package": "N/A",
      "contractEndDate": "N/A"
    },
    {"service": "Fly", "expirationDate": null, "unknownField": 1}
  ]
}"#;

/// The services' fields stay strings (`"N/A"` included); absent and `null` fields decode as
/// `None`, unknown fields are ignored.
#[tokio::test]
async fn services_keep_strings_and_na() {
    let server = server_responding(ok_json(SERVICES)).await;
    let customer: types::RetrieveCustomerServicesCustomerId =
        CUSTOMER_ID.parse().expect("non-empty");
    let decoded = client_for(&server)
        .retrieve_customer_services(&customer)
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(
        decoded,
        serde_json::from_str::<types::CustomerServices>(SERVICES).expect("serde_json agrees")
    );
    let products = decoded.products.as_deref().unwrap_or_default();
    assert_eq!(products.len(), 3);
    assert_eq!(products[1].expiration_date.as_deref(), Some("N/A"));
    insta::assert_json_snapshot!("services__sample_and_na", exchange(&server, decoded).await);
}

/// A number where the spec says string is refused by the raw layer (services' fields are
/// strings on the wire).
#[tokio::test]
async fn services_with_a_number_field_is_invalid() {
    let server = server_responding(ok_json(r#"{"products": [{"purchasedUserSeats": 25}]}"#)).await;
    let customer: types::RetrieveCustomerServicesCustomerId =
        CUSTOMER_ID.parse().expect("non-empty");
    let err = client_for(&server)
        .retrieve_customer_services(&customer)
        .await
        .expect_err("a number is not a string");
    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
}

/// A 404 is a documented error response of each operation.
#[tokio::test]
async fn not_found_is_an_error_response() {
    let server =
        server_responding(ResponseTemplate::new(404).set_body_raw("{}", "application/json")).await;
    let customer: types::RetrieveCustomerProductSeatsCustomerId =
        CUSTOMER_ID.parse().expect("non-empty");
    let err = client_for(&server)
        .retrieve_customer_product_seats(&customer, 4)
        .await
        .expect_err("404");
    assert!(
        matches!(&err, Error::ErrorResponse(rv) if rv.status() == 404),
        "{err:?}"
    );
}
