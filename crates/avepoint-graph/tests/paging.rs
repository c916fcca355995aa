//! The paginated operations against scripted loopback servers: where a walk ends (empty,
//! one page, `pageSize` boundaries, a `totalCount` that changes), what a misbehaving server
//! gets (a repeated page, pages that never end), retries per page, unknown codes, the
//! scopes of each operation's token, and snapshots of the requests sent.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use avepoint_graph::{
    Customer, Error, JobStatus, ManagementMode, ReportedTenantType, TenantSeats, TenantType,
};
use common::Harness;
use futures::StreamExt as _;
use serde_json::{Value, json};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, Request, Respond, ResponseTemplate};

const CUSTOMERS_PATH: &str = "/partner/external/v3/general/customers/batch";
const BATCH_PATH_RE: &str =
    r"^/partner/external/v3/general/customers/[^/]+/3rd-party-products/type/[0-9]+/tenants/batch$";

/// Answers a page request from `(pageIndex, pageSize, call number from 1)`.
#[derive(Clone)]
struct Script {
    calls: Arc<AtomicUsize>,
    #[allow(clippy::type_complexity)]
    page: Arc<dyn Fn(u32, u32, usize) -> ResponseTemplate + Send + Sync>,
}

impl Script {
    fn new(page: impl Fn(u32, u32, usize) -> ResponseTemplate + Send + Sync + 'static) -> Self {
        Self {
            calls: Arc::new(AtomicUsize::new(0)),
            page: Arc::new(page),
        }
    }
}

impl Respond for Script {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .and_then(|(_, v)| v.parse::<u32>().ok())
        };
        (self.page)(
            query("pageIndex").unwrap_or(1),
            query("pageSize").unwrap_or(50),
            n,
        )
    }
}

fn customer_json(i: usize) -> Value {
    json!({
        "id": format!("customer-{i:04}"),
        "organization": format!("Organization {i}"),
        "ownerEmail": format!("owner{i}@example.com"),
        "jobStatus": i % 7,
        "countryOrRegion": "Norway",
        "managementMode": i % 3,
        "tenants": [{"id": format!("tenant-{i}"), "name": format!("t{i}.onmicrosoft.com")}],
    })
}

/// The JSON of a page holding `items[(index-1)*size ..]`, at most `size` of them.
fn slice_page(items: &[Value], index: u32, size: u32, total: u64) -> ResponseTemplate {
    let start = (index.saturating_sub(1) as usize).saturating_mul(size as usize);
    let data: Vec<Value> = items
        .iter()
        .skip(start)
        .take(size as usize)
        .cloned()
        .collect();
    page(data, index, size, total)
}

fn page(data: Vec<Value>, index: u32, size: u32, total: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "data": data,
        "metadata": {"pageIndex": index, "pageSize": size, "totalCount": total},
    }))
}

async fn serve_customers(h: &Harness, script: Script) {
    Mock::given(method("POST"))
        .and(path(CUSTOMERS_PATH))
        .respond_with(script)
        .mount(&h.server)
        .await;
}

/// A server with `n` customers paged normally.
async fn customers_server(n: usize) -> (Harness, Script) {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..n).map(customer_json).collect();
    let script = Script::new(move |index, size, _| slice_page(&items, index, size, n as u64));
    serve_customers(&h, script.clone()).await;
    (h, script)
}

fn ids(customers: &[Customer]) -> Vec<String> {
    customers.iter().map(|c| c.id.clone()).collect()
}

fn expected_ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("customer-{i:04}")).collect()
}

#[tokio::test]
async fn an_empty_listing_is_one_request() {
    let (h, script) = customers_server(0).await;
    let customers = h
        .client()
        .customers()
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert!(customers.is_empty());
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn exactly_one_page() {
    let (h, script) = customers_server(3).await;
    let customers = h
        .client()
        .customers()
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(ids(&customers), expected_ids(3));
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}

/// `totalCount == pageSize` and `== 2 × pageSize`: the walk stops at the total, without
/// asking for an empty extra page.
#[tokio::test]
async fn page_size_boundaries_need_no_extra_request() {
    for (n, pages) in [(10, 1), (20, 2), (21, 3)] {
        let (h, script) = customers_server(n).await;
        let customers = h
            .client()
            .customers()
            .page_size(10)
            .collect_all()
            .await
            .expect("ok");
        assert_eq!(ids(&customers), expected_ids(n), "{n} customers");
        assert_eq!(script.calls.load(Ordering::SeqCst), pages, "{n} customers");
    }
}

/// Default page size: 100, the service's maximum.
#[tokio::test]
async fn the_default_page_size_is_the_maximum() {
    let (h, script) = customers_server(250).await;
    let customers = h.client().customers().collect_all().await.expect("ok");
    assert_eq!(customers.len(), 250);
    assert_eq!(script.calls.load(Ordering::SeqCst), 3);
    let requests = h.server.received_requests().await.unwrap_or_default();
    assert!(
        requests
            .iter()
            .filter(|r| r.url.path() == CUSTOMERS_PATH)
            .all(|r| r.url.query().is_some_and(|q| q.ends_with("pageSize=100")))
    );
}

/// Customers added during the walk: `totalCount` grows from 25 to 27 and one insertion at
/// the front shifts page 2 by one, so it repeats a customer of page 1. Every customer the
/// pages show is yielded exactly once and the walk follows the new total.
#[tokio::test]
async fn a_total_count_that_changes_mid_walk_is_followed() {
    let h = Harness::start(3600).await;
    let before: Vec<Value> = (0..25).map(customer_json).collect();
    // Two customers inserted at the front after page 1 was served.
    let after: Vec<Value> = [customer_json(1000), customer_json(1001)]
        .into_iter()
        .chain((0..25).map(customer_json))
        .collect();
    let script = Script::new(move |index, size, _| {
        if index == 1 {
            slice_page(&before, index, size, 25)
        } else {
            slice_page(&after, index, size, 27)
        }
    });
    serve_customers(&h, script.clone()).await;
    let mut stream = h.client().customers().page_size(10).stream();
    assert_eq!(stream.total_count(), None, "nothing fetched yet");
    let mut seen = Vec::new();
    while let Some(c) = stream.next().await {
        seen.push(c.expect("ok").id);
        if seen.len() == 1 {
            assert_eq!(stream.total_count(), Some(25), "known after the first page");
        }
    }
    assert_eq!(stream.total_count(), Some(27), "the latest total");
    let unique: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
    assert_eq!(unique.len(), seen.len(), "no customer twice: {seen:?}");
    // Page 2 of the shifted list starts at old customer 8: 8 and 9 are skipped.
    assert_eq!(seen, expected_ids(25));
    assert_eq!(script.calls.load(Ordering::SeqCst), 3);
}

/// A shrinking list: page 2 is short and the walk ends there, before the first total.
#[tokio::test]
async fn a_short_page_ends_the_walk() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..14).map(customer_json).collect();
    let script = Script::new(move |index, size, _| slice_page(&items, index, size, 30));
    serve_customers(&h, script.clone()).await;
    let customers = h
        .client()
        .customers()
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(customers.len(), 14);
    assert_eq!(script.calls.load(Ordering::SeqCst), 2);
}

/// A server that answers page 1 for every page: the items of page 1 are yielded once, page 2
/// is fetched again twice, then the walk ends with `Error::Paging`.
#[tokio::test]
async fn a_server_that_repeats_a_page_ends_the_walk_with_a_paging_error() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..30).map(customer_json).collect();
    let script = Script::new(move |_, size, _| slice_page(&items, 1, size, 30));
    serve_customers(&h, script.clone()).await;
    let results: Vec<Result<Customer, Error>> = h
        .client()
        .customers()
        .page_size(10)
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 11, "10 customers, then the error");
    assert!(results[..10].iter().all(Result::is_ok));
    let err = results
        .into_iter()
        .last()
        .and_then(Result::err)
        .expect("an error last");
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    assert!(!err.is_transient());
    assert_eq!(
        script.calls.load(Ordering::SeqCst),
        4,
        "page 1, page 2 three times"
    );
    insta::assert_snapshot!("repeated_page_error", err.to_string());
}

/// A page repeated once (a stale cache, say) is fetched again and the walk completes.
#[tokio::test]
async fn a_page_repeated_once_is_fetched_again() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..25).map(customer_json).collect();
    let script = Script::new(move |index, size, call| {
        let index = if call == 2 { index - 1 } else { index };
        slice_page(&items, index, size, 25)
    });
    serve_customers(&h, script.clone()).await;
    let customers = h
        .client()
        .customers()
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(ids(&customers), expected_ids(25));
    assert_eq!(script.calls.load(Ordering::SeqCst), 4);
}

/// A server whose pages never end (each page full of new customers, `totalCount` always one
/// page ahead): the walk stops at the cap, twice the pages of the first total plus two.
#[tokio::test]
async fn a_server_that_never_ends_hits_the_page_cap() {
    let h = Harness::start(3600).await;
    let script = Script::new(move |index, size, _| {
        let start = ((index - 1) * size) as usize;
        let data = (start..start + size as usize).map(customer_json).collect();
        page(data, index, size, u64::from((index + 1) * size))
    });
    serve_customers(&h, script.clone()).await;
    let results: Vec<Result<Customer, Error>> =
        h.client().customers().page_size(5).stream().collect().await;
    // First total 10 = 2 pages: the cap is 6 pages.
    assert_eq!(script.calls.load(Ordering::SeqCst), 6);
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 30);
    let err = results
        .into_iter()
        .last()
        .and_then(Result::err)
        .expect("error");
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    insta::assert_snapshot!("never_ending_error", err.to_string());
}

/// `max_pages` lowers the absolute cap.
#[tokio::test]
async fn max_pages_caps_a_walk() {
    let (h, script) = customers_server(100).await;
    let err = h
        .client()
        .customers()
        .page_size(10)
        .max_pages(3)
        .collect_all()
        .await
        .expect_err("capped");
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    assert_eq!(script.calls.load(Ordering::SeqCst), 3);
}

/// Each page goes through the retry loop: a 503 and a 429 on page 2 are retried.
#[tokio::test]
async fn a_failed_page_is_retried() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..30).map(customer_json).collect();
    let script = Script::new(move |index, size, call| match call {
        2 => ResponseTemplate::new(503).insert_header("Retry-After", "1"),
        3 => ResponseTemplate::new(429),
        _ => slice_page(&items, index, size, 30),
    });
    serve_customers(&h, script.clone()).await;
    let customers = h
        .client()
        .customers()
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(ids(&customers), expected_ids(30));
    assert_eq!(script.calls.load(Ordering::SeqCst), 5);
    // The 503's Retry-After is honoured and the 429 backed off; the throttles also engage
    // the adaptive rate limiter, whose pacing waits go through the same clock.
    let waits = h.clock.waits();
    assert!(
        waits.contains(&std::time::Duration::from_secs(1)),
        "{waits:?}"
    );
    assert!(waits.len() >= 2, "{waits:?}");
}

/// The walk's time budget is counted on the client's clock: waits the test clock skips
/// (a `Retry-After` of 40 s before each page) still use up the budget, so the walk stops
/// with a paging error after the pages that fit in it.
#[tokio::test]
async fn the_time_budget_is_counted_on_the_clients_clock() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..50).map(customer_json).collect();
    let script = Script::new(move |index, size, call| {
        if call % 2 == 1 {
            ResponseTemplate::new(503).insert_header("Retry-After", "40")
        } else {
            slice_page(&items, index, size, 50)
        }
    });
    serve_customers(&h, script.clone()).await;
    let results: Vec<_> = h
        .client()
        .customers()
        .page_size(10)
        .stream()
        .time_budget(std::time::Duration::from_secs(100))
        .collect()
        .await;
    let err = results
        .last()
        .and_then(|r| r.as_ref().err())
        .expect("the walk ends with an error");
    assert!(matches!(err, Error::Paging { .. }), "{err:?}");
    assert!(err.to_string().contains("time budget"), "{err}");
    // 40 s of waiting per page: the third page takes the walk past 100 s.
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 30);
    assert!(h.clock.skipped() >= std::time::Duration::from_secs(120));
}

/// A page that fails for good ends the stream with that error after the earlier pages.
#[tokio::test]
async fn a_page_that_keeps_failing_ends_the_stream() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..30).map(customer_json).collect();
    let script = Script::new(move |index, size, _| {
        if index == 2 {
            ResponseTemplate::new(403)
        } else {
            slice_page(&items, index, size, 30)
        }
    });
    serve_customers(&h, script).await;
    let results: Vec<_> = h
        .client()
        .customers()
        .page_size(10)
        .stream()
        .collect()
        .await;
    assert_eq!(results.len(), 11);
    let err = results
        .into_iter()
        .last()
        .and_then(Result::err)
        .expect("error");
    assert_eq!(err.status(), Some(403));
    assert!(
        err.to_string().contains("elements.customers.read.all"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_page_sizes_are_refused_before_sending() {
    let h = Harness::start(3600).await;
    for size in [0, 101] {
        let err = h
            .client()
            .customers()
            .page_size(size)
            .collect_all()
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
        let err = h
            .client()
            .tenant_seats_batch("c", TenantType::Google)
            .page_size(size)
            .collect_all()
            .await
            .expect_err("refused");
        assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    }
    let err = h
        .client()
        .tenant_seats_batch("", TenantType::Google)
        .collect_all()
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(
        h.server.received_requests().await.unwrap_or_default().len(),
        0
    );
}

/// `first_page` fetches page 1 alone, with the total.
#[tokio::test]
async fn first_page_has_the_total() {
    let (h, script) = customers_server(42).await;
    let page = h
        .client()
        .customers()
        .page_size(10)
        .first_page()
        .await
        .expect("ok");
    assert_eq!(page.total_count, 42);
    assert_eq!(page.items.len(), 10);
    assert_eq!(page.page_index, 1);
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}

/// A single page of the seats report: the requested index and size, the chosen tenants in
/// the body; an index of 0 is refused before anything is sent.
#[tokio::test]
async fn a_single_page_of_the_seats_report_sends_its_index_size_and_tenants() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..12)
        .map(|i| json!({"type": 3, "tenantId": format!("t-{i}"), "tenantName": format!("n{i}"), "availableUserSeat": i, "assignedUserSeat": 1}))
        .collect();
    let script = Script::new(move |index, size, _| slice_page(&items, index, size, 12));
    Mock::given(method("POST"))
        .and(path_regex(BATCH_PATH_RE))
        .respond_with(script.clone())
        .mount(&h.server)
        .await;
    let request = h
        .client()
        .tenant_seats_batch("c-1", TenantType::Dynamics365)
        .tenant_ids(["t-5", "t-6"])
        .page_size(5);
    let err = request.page(0).await.expect_err("refused");
    assert!(matches!(err, Error::InvalidInput(_)), "{err:?}");
    assert_eq!(script.calls.load(Ordering::SeqCst), 0);
    let page = request.page(2).await.expect("ok");
    assert_eq!(page.page_index, 2);
    assert_eq!(page.total_count, 12);
    let ids: Vec<&str> = page.items.iter().map(|r| r.tenant_id.as_str()).collect();
    assert_eq!(ids, ["t-5", "t-6", "t-7", "t-8", "t-9"]);
    assert_eq!(page.items[0].tenant_type, ReportedTenantType::Dynamics365);
    let requests = h.server.received_requests().await.unwrap_or_default();
    let sent = requests
        .iter()
        .find(|r| r.url.path().ends_with("/tenants/batch"))
        .expect("one page request");
    assert!(
        sent.url
            .path()
            .contains("/customers/c-1/3rd-party-products/type/3/")
    );
    let query: Vec<(String, String)> = sent.url.query_pairs().into_owned().collect();
    assert!(
        query.contains(&("pageIndex".into(), "2".into())),
        "{query:?}"
    );
    assert!(
        query.contains(&("pageSize".into(), "5".into())),
        "{query:?}"
    );
    let body: Value = serde_json::from_slice(&sent.body).expect("JSON body");
    assert_eq!(body, json!({"tenantIds": ["t-5", "t-6"]}));
}

/// Codes this version does not know are kept, and a missing organization or tenant list is
/// not an error.
#[tokio::test]
async fn unknown_codes_are_kept() {
    let h = Harness::start(3600).await;
    let script = Script::new(|index, size, _| {
        page(
            vec![
                json!({"id": "c-1", "jobStatus": 42, "managementMode": 9}),
                json!({"id": "c-2", "organization": "Known", "jobStatus": 6, "managementMode": 1, "tenants": null}),
            ],
            index,
            size,
            2,
        )
    });
    serve_customers(&h, script).await;
    Mock::given(method("POST"))
        .and(path_regex(BATCH_PATH_RE))
        .respond_with(Script::new(|index, size, _| {
            page(
                vec![
                    json!({"type": 0, "tenantId": "t-0", "tenantName": "A", "availableUserSeat": 1, "assignedUserSeat": 2}),
                    json!({"type": 17, "tenantId": "t-17", "tenantName": "B", "availableUserSeat": 3, "assignedUserSeat": 4}),
                ],
                index,
                size,
                2,
            )
        }))
        .mount(&h.server)
        .await;
    let client = h.client();
    let customers = client.customers().collect_all().await.expect("ok");
    assert_eq!(customers[0].job_status, JobStatus::Unknown(42));
    assert_eq!(customers[0].management_mode, ManagementMode::Unknown(9));
    assert_eq!(customers[0].display_name(), "c-1");
    assert_eq!(customers[1].job_status, JobStatus::NoBackupUpdates);
    assert_eq!(customers[1].management_mode, ManagementMode::PartnerManaged);
    assert!(customers[1].tenants.is_empty());
    let records = client
        .tenant_seats_batch("c-1", TenantType::Microsoft365)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(records[0].tenant_type, ReportedTenantType::Microsoft365);
    assert_eq!(
        records[0].tenant_type.known(),
        Some(TenantType::Microsoft365)
    );
    assert_eq!(records[1].tenant_type, ReportedTenantType::Unknown(17));
    let seats: Vec<TenantSeats> = records.into_iter().map(TenantSeats::from).collect();
    assert_eq!(seats[1].assigned_seats, 4);
    insta::assert_json_snapshot!("unknown_codes_customers", customers);
}

/// The seats report walks its pages like the customers listing.
#[tokio::test]
async fn the_seats_report_walks_its_pages() {
    let h = Harness::start(3600).await;
    let items: Vec<Value> = (0..23)
        .map(|i| json!({"type": 2, "tenantId": format!("t-{i}"), "tenantName": format!("n{i}"), "availableUserSeat": i, "assignedUserSeat": 100 - i}))
        .collect();
    let script = Script::new(move |index, size, _| slice_page(&items, index, size, 23));
    Mock::given(method("POST"))
        .and(path_regex(BATCH_PATH_RE))
        .respond_with(script.clone())
        .mount(&h.server)
        .await;
    let records = h
        .client()
        .tenant_seats_batch("c-1", TenantType::Google)
        .page_size(10)
        .collect_all()
        .await
        .expect("ok");
    assert_eq!(records.len(), 23);
    assert_eq!(records[22].tenant_id, "t-22");
    assert_eq!(script.calls.load(Ordering::SeqCst), 3);
}

fn scope_of(request: &Request) -> Option<String> {
    url::form_urlencoded::parse(&request.body)
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.into_owned())
}

/// The customers listing asks for a token with `elements.customers.read.all`, the seats
/// reports with `elements.license.read.all`: two token requests for any number of calls of
/// both, each token sent to its own operations.
#[tokio::test]
async fn each_operation_gets_a_token_for_its_scope_and_reuses_it() {
    let (h, _) = customers_server(15).await;
    h.seats_ok().await;
    Mock::given(method("POST"))
        .and(path_regex(BATCH_PATH_RE))
        .respond_with(Script::new(|index, size, _| page(vec![], index, size, 0)))
        .mount(&h.server)
        .await;
    let client = h.client();
    for _ in 0..3 {
        let customers = client
            .customers()
            .page_size(10)
            .collect_all()
            .await
            .expect("ok");
        for c in customers.iter().take(3) {
            client
                .tenant_user_seats(&c.id, TenantType::Microsoft365)
                .send()
                .await
                .expect("ok");
            client
                .clone()
                .tenant_seats_batch(&c.id, TenantType::Microsoft365)
                .collect_all()
                .await
                .expect("ok");
        }
    }
    let requests = h.server.received_requests().await.unwrap_or_default();
    let token_scopes: Vec<Option<String>> = requests
        .iter()
        .filter(|r| r.url.path() == "/connect/token")
        .map(scope_of)
        .collect();
    assert_eq!(
        token_scopes,
        [
            Some("elements.customers.read.all".to_owned()),
            Some("elements.license.read.all".to_owned())
        ]
    );
    let auth = |r: &Request| {
        r.headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    for r in requests.iter().filter(|r| r.url.path() != "/connect/token") {
        let expected = if r.url.path() == CUSTOMERS_PATH {
            "Bearer token-1"
        } else {
            "Bearer token-2"
        };
        assert_eq!(auth(r).as_deref(), Some(expected), "{}", r.url.path());
    }
}

/// With the same scopes for both kinds of operation, one token serves everything.
#[tokio::test]
async fn the_same_scopes_share_one_token() {
    let (h, _) = customers_server(5).await;
    h.seats_ok().await;
    let both = ["elements.license.read.all", "elements.customers.read.all"];
    let client = h
        .builder()
        .scopes(both)
        .customers_scopes(both.iter().rev().copied())
        .build()
        .expect("client");
    client.customers().collect_all().await.expect("ok");
    client
        .tenant_user_seats("c", TenantType::Google)
        .send()
        .await
        .expect("ok");
    assert_eq!(h.token_requests().await, 1);
}

fn describe(r: &Request) -> Value {
    let header = |name: &str| {
        r.headers.get(name).and_then(|v| v.to_str().ok()).map(|v| {
            if name == "authorization" {
                v.split_once(' ')
                    .map_or("[malformed]".to_owned(), |(scheme, _)| {
                        format!("{scheme} [token]")
                    })
            } else {
                v.to_owned()
            }
        })
    };
    json!({
        "method": r.method.as_str(),
        "path": r.url.path(),
        "query": r.url.query(),
        "content-type": header("content-type"),
        "accept": header("accept"),
        "authorization": header("authorization"),
        "body": serde_json::from_slice::<Value>(&r.body).ok(),
    })
}

/// Snapshots of the page requests the wrapper sends: query, body filter, token redacted.
#[tokio::test]
async fn page_requests_snapshots() {
    let (h, _) = customers_server(15).await;
    Mock::given(method("POST"))
        .and(path_regex(BATCH_PATH_RE))
        .respond_with(Script::new(|index, size, _| page(vec![], index, size, 0)))
        .mount(&h.server)
        .await;
    let client = h.client();
    client
        .customers()
        .page_size(10)
        .customer_ids(["customer-0001", "customer-0002"])
        .collect_all()
        .await
        .expect("ok");
    client
        .tenant_seats_batch("a/b c", TenantType::Dynamics365)
        .page_size(25)
        .tenant_ids(["t-1"])
        .collect_all()
        .await
        .expect("ok");
    client
        .tenant_seats_batch(
            "f162a7c1-b9d4-4e0b-a165-97db3c2afc15",
            TenantType::Salesforce,
        )
        .collect_all()
        .await
        .expect("ok");
    let requests: Vec<Value> = h
        .server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() != "/connect/token")
        .map(describe)
        .collect();
    insta::assert_json_snapshot!("page_requests", requests);
}
