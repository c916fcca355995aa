//! End-to-end tests of `avepoint customers`: the built binary against an in-process fake
//! AvePoint service (real HTTP on loopback).

mod common;

use std::collections::HashSet;

use avepoint_fake::{
    BackgroundFakeServer, Dataset, FakeConfig, PagingFault, RegisteredClient, demo,
};
use common::{avepoint, bare, json, run};

#[test]
fn demo_customers_in_every_format() {
    for (output, snapshot) in [
        ("table", "demo_table"),
        ("json", "demo_json"),
        ("csv", "demo_csv"),
    ] {
        let r = run(bare().args(["customers", "--demo", "--output", output]));
        assert_eq!(r.code, Some(0), "{output}: stderr: {}", r.stderr);
        assert!(r.stderr.starts_with("note: demo mode"), "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        insta::assert_snapshot!(snapshot, r.stdout);
    }
}

#[test]
fn every_page_is_listed_once_with_one_token() {
    let dataset = Dataset::generated(250, 11);
    let expected: Vec<String> = dataset.customer_ids().collect();
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    let r = run(avepoint(&server).args(["customers", "-o", "json"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let ids: Vec<String> = json(&r.stdout)
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids, expected);
    let counters = server.counters();
    assert_eq!(counters.tokens_issued, 1);
    // 100 per page.
    assert_eq!(counters.api_requests, 3);
    // CSV: the same customers, one record each.
    let r = run(avepoint(&server).args(["customers", "-o", "csv"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    let ids: Vec<String> = reader
        .records()
        .map(|rec| rec.expect("record")[0].to_owned())
        .collect();
    assert_eq!(ids, expected);
}

#[test]
fn a_repeated_page_is_survived() {
    let dataset = Dataset::generated(250, 5);
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    // Page 1 is served normally, then page 2 is answered with page 1 once: the SDK fetches
    // it again.
    server
        .control()
        .inject_paging(PagingFault::TotalCountOffset(0), 1);
    server
        .control()
        .inject_paging(PagingFault::RepeatPreviousPage, 1);
    let r = run(avepoint(&server).args(["customers", "-o", "json"]));
    assert_eq!(r.code, Some(0), "stderr: {}", r.stderr);
    let ids: HashSet<String> = json(&r.stdout)
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(ids.len(), 250);
    // Three pages and the refetch of the repeated one.
    assert_eq!(server.counters().api_requests, 4);
}

#[test]
fn a_listing_that_keeps_repeating_fails_after_the_customers_so_far() {
    let dataset = Dataset::generated(250, 5);
    let server = BackgroundFakeServer::start(FakeConfig::demo().with_dataset(dataset))
        .expect("fake server starts");
    server
        .control()
        .inject_paging(PagingFault::TotalCountOffset(0), 1);
    server
        .control()
        .inject_paging(PagingFault::RepeatPreviousPage, 100);
    let r = run(avepoint(&server).args(["customers", "-o", "json"]));
    assert_eq!(r.code, Some(1), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .contains("error: the customers listing failed after 100 customer(s): paging"),
        "{}",
        r.stderr
    );
    // The first page is valid output.
    assert_eq!(json(&r.stdout).len(), 100);
}

#[test]
fn a_listing_refused_with_403_exits_3() {
    let server = BackgroundFakeServer::start(FakeConfig::demo()).expect("fake server starts");
    // A token without the customers scope: the listing answers 403.
    let r = run(avepoint(&server)
        .env("AVEPOINT_CUSTOMERS_SCOPE", demo::SCOPE_LICENSE_READ_ALL)
        .args(["customers", "-o", "json"]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: could not list the customers: ")
            && r.stderr.contains("403"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "[]\n");
    assert_eq!(server.counters().responses(403), 1);
}

#[test]
fn an_app_without_the_customers_permission_exits_3_before_any_call() {
    let server = BackgroundFakeServer::start(
        FakeConfig::demo().with_client(
            RegisteredClient::with_secret("license-only", "license-only-secret")
                .with_scopes([demo::SCOPE_LICENSE_READ_ALL]),
        ),
    )
    .expect("fake server starts");
    let r = run(avepoint(&server)
        .env("AVEPOINT_CLIENT_ID", "license-only")
        .env("AVEPOINT_CLIENT_SECRET", "license-only-secret")
        .args(["customers"]));
    assert_eq!(r.code, Some(3), "stderr: {}", r.stderr);
    assert!(
        r.stderr.starts_with("error: the customers listing: ")
            && r.stderr.contains("invalid_scope"),
        "{}",
        r.stderr
    );
    assert_eq!(r.stdout, "");
    assert_eq!(server.counters().api_requests, 0);
}

#[test]
fn help_documents_the_columns() {
    let r = run(bare().args(["customers", "--help"]));
    assert_eq!(r.code, Some(0));
    for needle in ["jobStatusLabel", "tenantNames", "Exit codes:", "--demo"] {
        assert!(r.stdout.contains(needle), "{needle} missing from help");
    }
}
