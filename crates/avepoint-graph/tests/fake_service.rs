//! End-to-end walks against the real fake service (`avepoint-fake`) on loopback: a
//! 1,000-customer generated dataset listed and reported with 429/503 injected mid-walk, and
//! paging faults (a repeated page, a `totalCount` that changes) that the walk survives.

use std::collections::BTreeMap;
use std::time::Duration;

use avepoint_fake::{Dataset, FakeConfig, FakeServer, Fault, PagingFault, demo};
use avepoint_graph::{Client, ClientBuilder, Credentials, RetryPolicy, TenantSeats, TenantType};
use futures::StreamExt as _;

async fn start(customers: u64) -> FakeServer {
    FakeServer::start(FakeConfig::demo().with_dataset(Dataset::generated(customers, 7)))
        .await
        .expect("the fake starts")
}

/// A client of `server` authenticating as the demo app `client_id`.
fn builder(server: &FakeServer, client_id: &str) -> ClientBuilder {
    Client::builder()
        .api_base_url(server.base_url())
        .token_url(server.token_url())
        .credentials(Credentials::client_secret(client_id, demo::CLIENT_SECRET))
}

fn client(server: &FakeServer) -> Client {
    builder(server, demo::CLIENT_ID)
        // The fake's Retry-After is 1 s; keep the test fast with short waits.
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(1))
                .max_backoff(Duration::from_millis(5))
                .max_retry_after(Duration::from_secs(2)),
        )
        .build()
        .expect("client")
}

/// Every customer of a 1,000-customer dataset appears exactly once, although pages fail with
/// 429 and 503 along the way, and each customer's seats from the paginated report match
/// the `users` report.
#[tokio::test]
async fn a_thousand_customers_with_faults_each_appear_once() {
    let server = start(1000).await;
    let control = server.control();
    let client = client(&server);
    let mut stream = client.customers().page_size(100).stream();
    let first = stream.next().await.expect("an item").expect("ok");
    assert_eq!(stream.total_count(), Some(1000));
    // Faults on pages 2 and 4 (each retried).
    control.inject_api(Fault::rate_limited(0), 1);
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    *counts.entry(first.id).or_default() += 1;
    let mut n = 1;
    while let Some(customer) = stream.next().await {
        let customer = customer.expect("every page succeeds after retries");
        *counts.entry(customer.id).or_default() += 1;
        n += 1;
        if n == 250 {
            control.inject_api(Fault::unavailable(0), 2);
        }
    }
    assert_eq!(counts.len(), 1000);
    assert!(
        counts.values().all(|&c| c == 1),
        "a customer appeared twice"
    );
    let expected: std::collections::BTreeSet<String> =
        Dataset::generated(1000, 7).customer_ids().collect();
    assert_eq!(
        counts
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        expected
    );
    let counters = server.counters();
    assert_eq!(counters.responses(429), 1);
    assert_eq!(counters.responses(503), 2);
    assert_eq!(counters.api_requests, 10 + 3);

    // Seats: the paginated report gives the rows of the `users` report, faults included.
    control.inject_api(Fault::unavailable(0), 1);
    for id in counts.keys().take(20) {
        for tenant_type in TenantType::ALL {
            let batch: Vec<TenantSeats> = client
                .tenant_seats_batch(id, tenant_type)
                .page_size(1)
                .collect_all()
                .await
                .expect("ok")
                .into_iter()
                .map(TenantSeats::from)
                .collect();
            let users = client
                .tenant_user_seats(id, tenant_type)
                .send()
                .await
                .expect("ok");
            assert_eq!(batch, users, "{id} {tenant_type}");
        }
    }
    server.shutdown().await;
}

/// A page repeated once, and a `totalCount` that drops then grows mid-walk: the walk still
/// yields every customer exactly once.
#[tokio::test]
async fn paging_faults_mid_walk_lose_and_repeat_nothing() {
    let server = start(230).await;
    let control = server.control();
    let client = client(&server);
    let mut stream = client.customers().page_size(50).stream();
    let mut ids = Vec::new();
    while let Some(customer) = stream.next().await {
        ids.push(customer.expect("ok").id);
        match ids.len() {
            1 => control.inject_paging(PagingFault::RepeatPreviousPage, 1),
            60 => control.inject_paging(PagingFault::TotalCountOffset(-120), 1),
            110 => control.inject_paging(PagingFault::TotalCountOffset(40), 1),
            _ => {}
        }
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), 230);
    assert_eq!(unique.len(), 230);
    assert_eq!(control.pending_paging_faults(), 0);
    server.shutdown().await;
}

/// A fake that keeps repeating the previous page ends the walk with a paging error.
#[tokio::test]
async fn a_fake_that_keeps_repeating_pages_gives_a_paging_error() {
    let server = start(120).await;
    server
        .control()
        .inject_paging(PagingFault::RepeatPreviousPage, 100);
    let results: Vec<_> = client(&server)
        .customers()
        .page_size(50)
        .stream()
        .collect()
        .await;
    let err = results
        .into_iter()
        .last()
        .and_then(Result::err)
        .expect("an error");
    assert!(
        matches!(err, avepoint_graph::Error::Paging { .. }),
        "{err:?}"
    );
    server.shutdown().await;
}

/// An app without `elements.customers.read.all` cannot get the customers token.
#[tokio::test]
async fn the_customers_scope_is_required() {
    let server = start(5).await;
    let client = builder(&server, demo::LIMITED_CLIENT_ID)
        .build()
        .expect("client");
    // The limited app has only the customers scope: the listing works, seats do not.
    assert_eq!(client.customers().collect_all().await.expect("ok").len(), 5);
    let err = client
        .tenant_seats_batch("x", TenantType::Google)
        .collect_all()
        .await
        .expect_err("no license scope");
    assert!(err.is_authentication(), "{err:?}");
    server.shutdown().await;
}

/// Customers whose optional members are left out or `null` decode to `None` and no tenants,
/// and their seats reports are empty.
#[tokio::test]
async fn sparse_customers_decode() {
    let server =
        FakeServer::start(FakeConfig::demo().with_dataset(Dataset::demo().with_sparse_customers()))
            .await
            .expect("the fake starts");
    let client = client(&server);
    let customers = client
        .customers()
        .customer_ids(avepoint_fake::SPARSE_CUSTOMER_IDS)
        .collect_all()
        .await
        .expect("the listing decodes");
    assert_eq!(customers.len(), 2);
    for (customer, id) in customers.iter().zip(avepoint_fake::SPARSE_CUSTOMER_IDS) {
        assert_eq!(customer.id, id);
        assert_eq!(customer.organization, None);
        assert_eq!(customer.owner_email, None);
        assert_eq!(customer.country_or_region, None);
        assert!(customer.tenants.is_empty());
        assert_eq!(customer.display_name(), id);
        let seats = client
            .tenant_user_seats(id, TenantType::Google)
            .send()
            .await
            .expect("seats");
        assert!(seats.is_empty());
    }
}

/// With `pool_first_connections` (a connect leaves the pool a few turns first and is dropped
/// when a returning connection served its request), concurrent calls still all succeed with
/// the right answers, on a multi-threaded runtime where hyper finishes abandoned connects in
/// tasks of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_first_connections_serve_every_call() {
    let server = start(200).await;
    let client = builder(&server, demo::CLIENT_ID)
        .pool_first_connections(true)
        .build()
        .expect("client");
    let dataset = Dataset::generated(200, 7);
    let ids: Vec<String> = dataset.customer_ids().collect();
    let calls = futures::stream::iter(ids.iter().cycle().take(2000).cloned())
        .map(|id| {
            let client = client.clone();
            async move {
                let seats = client
                    .tenant_user_seats(id.as_str(), TenantType::Microsoft365)
                    .send()
                    .await;
                (id, seats)
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(calls.len(), 2000);
    let direct = client.clone();
    for (id, seats) in calls.iter().take(50) {
        let seats = seats.as_ref().expect("every call succeeds");
        let again = direct
            .tenant_user_seats(id.as_str(), TenantType::Microsoft365)
            .send()
            .await
            .expect("the same call again");
        assert_eq!(seats, &again);
    }
    assert!(calls.iter().all(|(_, seats)| seats.is_ok()));
    assert_eq!(server.counters().token_requests, 1);
}
