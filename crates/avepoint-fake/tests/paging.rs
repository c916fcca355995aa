//! The paginated routes over loopback: the customers listing and `tenants/batch`, their
//! paging over demo and generated datasets, validation, scopes, filters and faults.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::time::Instant;

use avepoint_fake::{
    Dataset, FakeConfig, Fault, PagingFault, SPARSE_CUSTOMER_IDS, TenantKind, demo,
};
use common::*;
use serde_json::Value;

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn demo_customers_page_with_profiles() {
    let server = start().await;
    let token = demo_token(&server).await;
    let (status, page) = json_of(customers(&server, Some(&token), "", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["metadata"]["pageIndex"], 1);
    assert_eq!(page["metadata"]["pageSize"], 50);
    assert_eq!(page["metadata"]["totalCount"], 6);
    let first = &page["data"][0];
    assert_eq!(first["id"], CONTOSO);
    assert_eq!(first["organization"], "Contoso Ltd");
    assert_eq!(first["ownerEmail"], "admin@contoso.com");
    assert_eq!(first["countryOrRegion"], "United States");
    assert_eq!(first["jobStatus"], 1);
    assert_eq!(first["managementMode"], 1);
    assert_eq!(first["tenants"].as_array().unwrap().len(), 5);
    // Pages of 4: 4 then 2, then an empty page past the end.
    let (_, p1) = json_of(customers(&server, Some(&token), "pageSize=4", None).await).await;
    let (_, p2) =
        json_of(customers(&server, Some(&token), "pageIndex=2&pageSize=4", None).await).await;
    let (_, p3) =
        json_of(customers(&server, Some(&token), "pageIndex=3&pageSize=4", None).await).await;
    assert_eq!(ids(&p1).len(), 4);
    assert_eq!(ids(&p2).len(), 2);
    assert!(ids(&p3).is_empty());
    assert_eq!(p3["metadata"]["totalCount"], 6);
    let all: Vec<String> = ids(&p1).into_iter().chain(ids(&p2)).collect();
    assert_eq!(all, ids(&page));
}

#[tokio::test]
async fn sparse_customers_omit_or_null_their_optional_members() {
    let server =
        start_with(FakeConfig::demo().with_dataset(Dataset::demo().with_sparse_customers())).await;
    let token = demo_token(&server).await;
    let (status, page) = json_of(customers(&server, Some(&token), "", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["metadata"]["totalCount"], 8);
    let optional = ["organization", "ownerEmail", "countryOrRegion", "tenants"];
    let omitted = &page["data"][6];
    assert_eq!(omitted["id"], SPARSE_CUSTOMER_IDS[0]);
    let keys: BTreeSet<&str> = omitted
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, BTreeSet::from(["id", "jobStatus", "managementMode"]));
    let nulled = &page["data"][7];
    assert_eq!(nulled["id"], SPARSE_CUSTOMER_IDS[1]);
    for member in optional {
        assert!(
            nulled.get(member).is_some_and(Value::is_null),
            "{member}: {nulled}"
        );
    }
    // They have no tenants of any type.
    let r = seats(&server, Some(&token), SPARSE_CUSTOMER_IDS[1], "0", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!([]));
}

#[tokio::test]
async fn customer_filter_keeps_the_given_order_once() {
    let server = start().await;
    let token = demo_token(&server).await;
    let dataset = Dataset::demo();
    let all: Vec<String> = dataset.customer_ids().collect();
    let body = serde_json::json!({"customerIds": [all[2], "nobody", all[0], all[2]]}).to_string();
    let (status, page) = json_of(customers(&server, Some(&token), "", Some(&body)).await).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&page), vec![all[2].clone(), all[0].clone()]);
    assert_eq!(page["metadata"]["totalCount"], 2);
    for body in ["{}", r#"{"customerIds":[]}"#] {
        let (_, page) = json_of(customers(&server, Some(&token), "", Some(body)).await).await;
        assert_eq!(page["metadata"]["totalCount"], 6, "{body}");
    }
}

#[tokio::test]
async fn invalid_paging_parameters_and_bodies_are_400() {
    let server = start().await;
    let token = demo_token(&server).await;
    for query in [
        "pageIndex=0",
        "pageIndex=-1",
        "pageIndex=1.5",
        "pageIndex=x",
        "pageSize=0",
        "pageSize=-3",
        "pageSize=101",
        "pageSize=2.0",
    ] {
        let r = customers(&server, Some(&token), query, None).await;
        assert_eq!(r.status(), 400, "customers {query}");
        let r = tenants_batch(&server, Some(&token), CONTOSO, "0", query, None).await;
        assert_eq!(r.status(), 400, "tenants/batch {query}");
    }
    for body in [
        "{",
        "[]",
        r#"{"customerIds":"c"}"#,
        r#"{"customerIds":[1]}"#,
        r#"{"customerIds":null}"#,
        r#"{"tenantIds":[]}"#,
    ] {
        let r = customers(&server, Some(&token), "", Some(body)).await;
        assert_eq!(r.status(), 400, "customers body {body}");
    }
    let r = tenants_batch(
        &server,
        Some(&token),
        CONTOSO,
        "0",
        "",
        Some(r#"{"customerIds":[]}"#),
    )
    .await;
    assert_eq!(r.status(), 400);
    let r = tenants_batch(
        &server,
        Some(&token),
        CONTOSO,
        "0",
        "",
        Some(r#"{"tenantIds":null}"#),
    )
    .await;
    assert_eq!(r.status(), 400, "tenantIds null");
    let r = tenants_batch(&server, Some(&token), CONTOSO, "4", "", None).await;
    assert_eq!(r.status(), 400);
    let r = tenants_batch(&server, Some(&token), "nobody", "0", "", None).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn scopes_are_checked_per_route() {
    let server = start().await;
    // The limited app has the customers scope only.
    let limited = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    assert_eq!(
        customers(&server, Some(&limited), "", None).await.status(),
        200
    );
    let r = tenants_batch(&server, Some(&limited), CONTOSO, "0", "", None).await;
    assert_eq!(r.status(), 403);
    // A token with the license scope only cannot list customers.
    let response = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
            ("scope", demo::SCOPE_LICENSE_READ_ALL),
        ],
    )
    .await;
    let license: Value = response.json().await.unwrap();
    let license = license["access_token"].as_str().unwrap();
    let r = customers(&server, Some(license), "", None).await;
    assert_eq!(r.status(), 403);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains(demo::SCOPE_CUSTOMERS_READ_ALL)
    );
    assert_eq!(customers(&server, None, "", None).await.status(), 401);
    assert_eq!(
        tenants_batch(&server, Some(license), CONTOSO, "0", "", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn tenants_batch_pages_and_filters() {
    let server = start().await;
    let token = demo_token(&server).await;
    let (status, page) =
        json_of(tenants_batch(&server, Some(&token), CONTOSO, "0", "pageSize=1", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(page["metadata"]["totalCount"], 2);
    assert_eq!(page["data"][0]["type"], 0);
    assert_eq!(page["data"][0]["tenantName"], "contoso.onmicrosoft.com");
    let (_, second) = json_of(
        tenants_batch(
            &server,
            Some(&token),
            CONTOSO,
            "0",
            "pageIndex=2&pageSize=1",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        second["data"][0]["tenantName"],
        "contosolab.onmicrosoft.com"
    );
    let body = r#"{"tenantIds":["0a3c5e7f-9b1d-4f3a-8c5e-7f9b1d3f5a7c","other"]}"#;
    let (_, filtered) =
        json_of(tenants_batch(&server, Some(&token), CONTOSO, "0", "", Some(body)).await).await;
    assert_eq!(filtered["metadata"]["totalCount"], 1);
    assert_eq!(filtered["data"][0]["availableUserSeat"], 40);
    // The same rows as the users route, field by field.
    let dataset = Dataset::demo();
    let customer = dataset.customer(CONTOSO).unwrap();
    for kind in TenantKind::KNOWN {
        let (_, page) = json_of(
            tenants_batch(
                &server,
                Some(&token),
                CONTOSO,
                &kind.code().to_string(),
                "",
                None,
            )
            .await,
        )
        .await;
        assert_eq!(
            page["metadata"]["totalCount"],
            customer.tenants.iter().filter(|t| t.kind == kind).count()
        );
    }
}

/// Pages deep into a 100,000-customer generated dataset are served without building the
/// customers before them.
#[tokio::test]
async fn a_hundred_thousand_customers_page_quickly() {
    let dataset = Dataset::generated(100_000, 11);
    let server = start_with(FakeConfig::demo().with_dataset(dataset.clone())).await;
    let token = demo_token(&server).await;
    let started = Instant::now();
    let (status, last) =
        json_of(customers(&server, Some(&token), "pageIndex=1000&pageSize=100", None).await).await;
    assert_eq!(status, 200);
    assert_eq!(last["metadata"]["totalCount"], 100_000);
    let last_ids = ids(&last);
    assert_eq!(last_ids.len(), 100);
    let expected: Vec<String> = dataset.customer_ids().skip(99_900).collect();
    assert_eq!(last_ids, expected);
    let (_, beyond) =
        json_of(customers(&server, Some(&token), "pageIndex=1001&pageSize=100", None).await).await;
    assert!(ids(&beyond).is_empty());
    assert!(
        started.elapsed().as_secs() < 5,
        "paging took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn faults_and_paging_faults_apply_to_the_paginated_routes() {
    let server = start_with(FakeConfig::demo().with_dataset(Dataset::generated(25, 3))).await;
    let token = demo_token(&server).await;
    let control = server.control();
    control.inject_api(Fault::rate_limited(2), 1);
    control.inject_api(Fault::unavailable(1), 1);
    let r = customers(&server, Some(&token), "", None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    let r = tenants_batch(&server, Some(&token), "x", "0", "", None).await;
    assert_eq!(r.status(), 503);

    let (_, p1) = json_of(customers(&server, Some(&token), "pageSize=10", None).await).await;
    control.inject_paging(PagingFault::RepeatPreviousPage, 1);
    let (_, repeated) =
        json_of(customers(&server, Some(&token), "pageIndex=2&pageSize=10", None).await).await;
    assert_eq!(ids(&repeated), ids(&p1));
    assert_eq!(repeated["metadata"]["pageIndex"], 1);
    control.inject_paging(PagingFault::TotalCountOffset(7), 1);
    let (_, p2) =
        json_of(customers(&server, Some(&token), "pageIndex=2&pageSize=10", None).await).await;
    assert_eq!(p2["metadata"]["totalCount"], 32);
    let (_, p3) =
        json_of(customers(&server, Some(&token), "pageIndex=3&pageSize=10", None).await).await;
    assert_eq!(p3["metadata"]["totalCount"], 25);
    let all: BTreeSet<String> = [ids(&p1), ids(&p2), ids(&p3)]
        .concat()
        .into_iter()
        .collect();
    assert_eq!(all.len(), 25);
    assert_eq!(control.pending_paging_faults(), 0);
    control.inject_paging(PagingFault::RepeatPreviousPage, 3);
    control.clear_faults();
    assert_eq!(control.pending_paging_faults(), 0);
    assert_eq!(server.counters().api_requests, 6);
}
