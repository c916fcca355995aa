//! The user-seats endpoint over real HTTP: data, filters, authentication, validation,
//! percent-encoded customer ids, generated datasets.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use avepoint_fake::{Customer, Dataset, FakeConfig, Tenant, TenantKind, demo};
use avepoint_graph_raw::types::TenantUserSeats;
use common::*;
use serde_json::Value;

#[tokio::test]
async fn returns_the_customers_tenants_of_the_type() {
    let server = start().await;
    let token = demo_token(&server).await;
    let response = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Vec<TenantUserSeats> = response.json().await.unwrap();
    let expected: Vec<TenantUserSeats> = Dataset::demo()
        .customer(CONTOSO)
        .unwrap()
        .tenants
        .iter()
        .filter(|t| t.kind == TenantKind::Microsoft365)
        .map(Tenant::to_wire)
        .collect();
    assert_eq!(body, expected);
    assert_eq!(body.len(), 2);
    assert_eq!(body[0].name, "contoso.onmicrosoft.com");
}

#[tokio::test]
async fn every_demo_customer_and_type_answers_200() {
    let server = start().await;
    let token = demo_token(&server).await;
    let dataset = Dataset::demo();
    let mut empty = 0;
    for id in dataset.customer_ids() {
        for t in 0..4 {
            let response = seats(&server, Some(&token), &id, &t.to_string(), Some("{}")).await;
            assert_eq!(response.status(), 200);
            let body: Vec<TenantUserSeats> = response.json().await.unwrap();
            empty += usize::from(body.is_empty());
        }
    }
    assert!(empty > 0, "some customer lacks some type");
}

#[tokio::test]
async fn license_assigned_status_filters_tenants() {
    let server = start().await;
    let token = demo_token(&server).await;
    let names = |body: Vec<TenantUserSeats>| body.into_iter().map(|t| t.name).collect::<Vec<_>>();
    let all = seats(&server, Some(&token), CONTOSO, "0", None).await;
    let all = names(all.json().await.unwrap());
    let available = seats(
        &server,
        Some(&token),
        CONTOSO,
        "0",
        Some(r#"{"licenseAssignedStatus":0}"#),
    )
    .await;
    let available = names(available.json().await.unwrap());
    let assigned = seats(
        &server,
        Some(&token),
        CONTOSO,
        "0",
        Some(r#"{"licenseAssignedStatus":1}"#),
    )
    .await;
    let assigned = names(assigned.json().await.unwrap());
    assert_eq!(
        all,
        ["contoso.onmicrosoft.com", "contosolab.onmicrosoft.com"]
    );
    assert_eq!(available, all, "both have available seats");
    assert_eq!(
        assigned,
        ["contoso.onmicrosoft.com"],
        "the lab has none assigned"
    );
}

#[tokio::test]
async fn missing_unknown_or_expired_tokens_are_401() {
    let server = start().await;
    let missing = seats(&server, None, CONTOSO, "0", None).await;
    let unknown = seats(&server, Some("not-a-token"), CONTOSO, "0", None).await;
    let token = demo_token(&server).await;
    server.control().expire_tokens();
    let expired = seats(&server, Some(&token), CONTOSO, "0", None).await;
    for response in [missing, unknown, expired] {
        assert_eq!(response.status(), 401);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            challenge.starts_with("Bearer error=\"invalid_token\""),
            "{challenge}"
        );
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "Unauthorized");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn tokens_expire_after_their_lifetime() {
    let server =
        start_with(FakeConfig::demo().with_token_lifetime(Duration::from_millis(1500))).await;
    let token = demo_token(&server).await;
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn token_without_the_license_scope_is_403() {
    let server = start().await;
    let token = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    let response = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(response.status(), 403);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "Forbidden");

    // A token of the full client, narrowed to the customers scope.
    let response = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
            ("scope", demo::SCOPE_CUSTOMERS_READ_ALL),
        ],
    )
    .await;
    let narrowed: Value = response.json().await.unwrap();
    let narrowed = narrowed["access_token"].as_str().unwrap();
    assert_eq!(
        seats(&server, Some(narrowed), CONTOSO, "0", None)
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn bad_type_is_400() {
    let server = start().await;
    let token = demo_token(&server).await;
    for t in ["4", "-1", "abc", "1.0", "%2B1", "99999999999999"] {
        let response = seats(&server, Some(&token), CONTOSO, t, None).await;
        assert_eq!(response.status(), 400, "type {t}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "BadRequest");
    }
}

#[tokio::test]
async fn bad_body_is_400() {
    let server = start().await;
    let token = demo_token(&server).await;
    for body in [
        "{",
        "not json",
        "[]",
        "null",
        "3",
        r#"{"licenseAssignedStatus":2}"#,
        r#"{"licenseAssignedStatus":-1}"#,
        r#"{"licenseAssignedStatus":"1"}"#,
        r#"{"licenseAssignedStatus":true}"#,
        r#"{"licenseAssignedStatus":null}"#,
        r#"{"licenseStatus":1}"#,
    ] {
        let response = seats(&server, Some(&token), CONTOSO, "0", Some(body)).await;
        assert_eq!(response.status(), 400, "body {body}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "BadRequest");
    }
    // A JSON body sent as text/plain.
    let url = format!(
        "{}{}",
        server.base_url(),
        avepoint_fake::seats::seats_path(CONTOSO, 0)
    );
    let response = http()
        .post(url)
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn unknown_customer_is_404() {
    let server = start().await;
    let token = demo_token(&server).await;
    let response = seats(
        &server,
        Some(&token),
        "00000000-0000-0000-0000-000000000000",
        "0",
        None,
    )
    .await;
    assert_eq!(response.status(), 404);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "NotFound");
    // Case matters: ids are opaque strings.
    let upper = CONTOSO.to_uppercase();
    assert_eq!(
        seats(&server, Some(&token), &upper, "0", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn percent_encoded_customer_ids_are_found() {
    let odd = "a/b c?#%";
    let dataset = Dataset::demo()
        .with_customer(Customer::new(odd, "Odd Id Corp").with_tenant(Tenant::new(
            "odd-tenant",
            "odd.onmicrosoft.com",
            TenantKind::Microsoft365,
            1,
            2,
        )))
        .with_customer(Customer::new("ünïcødé €", "Unicode GmbH"));
    let server = start_with(FakeConfig::demo().with_dataset(dataset)).await;
    let token = demo_token(&server).await;
    // Encoded by hand, exactly as the brief's example.
    let url = format!(
        "{}/partner/external/v3/general/customers/a%2Fb%20c%3F%23%25/3rd-party-products/type/0/users",
        server.base_url()
    );
    let response = http().post(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: Vec<TenantUserSeats> = response.json().await.unwrap();
    assert_eq!(body.len(), 1);
    assert_eq!(body[0].id, "odd-tenant");
    let response = seats(&server, Some(&token), "ünïcødé €", "1", None).await;
    assert_eq!(response.status(), 200);
    // Unencoded `/` splits the path: no such route.
    let url = format!(
        "{}/partner/external/v3/general/customers/a/b/3rd-party-products/type/0/users",
        server.base_url()
    );
    let response = http().post(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn generated_dataset_serves_100k_customers() {
    let started = std::time::Instant::now();
    let dataset = Dataset::generated(100_000, 42);
    let ids: Vec<String> = dataset.customer_ids().collect();
    assert_eq!(ids.len(), 100_000);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 100_000);
    let server = start_with(FakeConfig::demo().with_dataset(dataset)).await;
    let token = demo_token(&server).await;
    for id in [&ids[0], &ids[50_000], &ids[99_999]] {
        let customer = server
            .control()
            .dataset()
            .customer(id)
            .unwrap()
            .into_owned();
        let mut total = 0;
        for kind in TenantKind::KNOWN {
            let response = seats(&server, Some(&token), id, &kind.code().to_string(), None).await;
            assert_eq!(response.status(), 200);
            let body: Vec<TenantUserSeats> = response.json().await.unwrap();
            total += body.len();
        }
        assert_eq!(total, customer.tenants.len());
        assert!(!customer.organization.is_empty());
    }
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn every_response_has_a_unique_request_id_and_unknown_paths_are_404() {
    let server = start().await;
    let token = demo_token(&server).await;
    let mut ids = HashSet::new();
    for _ in 0..5 {
        let response = seats(&server, Some(&token), CONTOSO, "0", None).await;
        ids.insert(
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    let response = http()
        .get(format!("{}/nowhere", server.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    ids.insert(
        response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned(),
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "NotFound");
    assert_eq!(ids.len(), 6);
    let url = format!(
        "{}{}",
        server.base_url(),
        avepoint_fake::seats::seats_path(CONTOSO, 0)
    );
    let response = http().get(url).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 405);
}
