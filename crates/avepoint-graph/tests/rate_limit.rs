//! Client-side rate limiting against the real fake service on loopback: the adaptive
//! limiter engaged by the service's per-client rate limit, the hard cap shared by clones,
//! and limiter waits bounded by the call's deadline.

mod common;

use std::sync::Arc;
use std::time::Duration;

use avepoint_fake::{FakeConfig, FakeServer, Fault, FaultConfig, RateLimit, demo};
use avepoint_graph::{Client, ClientBuilder, Credentials, Error, RetryPolicy, TenantType};
use common::TestClock;

const CONTOSO: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

async fn start(limit: Option<RateLimit>) -> FakeServer {
    FakeServer::start(FakeConfig::demo().with_faults(FaultConfig {
        rate_limit: limit,
        ..FaultConfig::default()
    }))
    .await
    .expect("the fake starts")
}

fn builder(server: &FakeServer) -> ClientBuilder {
    Client::builder()
        .api_base_url(server.base_url())
        .token_url(server.token_url())
        .credentials(Credentials::client_secret(
            demo::CLIENT_ID,
            demo::CLIENT_SECRET,
        ))
}

/// `n` seats calls at once, each through its own clone of `client`.
async fn fan_out(client: &Client, n: usize) -> Vec<Result<usize, Error>> {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        async move {
            client
                .tenant_user_seats(CONTOSO, TenantType::Microsoft365)
                .send()
                .await
                .map(|rows| rows.len())
        }
    });
    futures::future::join_all(calls).await
}

#[tokio::test]
async fn the_adaptive_limiter_engages_on_throttling_and_every_call_succeeds() {
    let server = start(Some(RateLimit::per_second(40.0).with_burst(5))).await;
    let client = builder(&server).build().expect("client");
    for result in fan_out(&client, 60).await {
        assert!(result.is_ok(), "{result:?}");
    }
    let stats = client.rate_limit();
    let counters = server.counters();
    assert!(counters.rate_limited > 0, "{counters:?}");
    assert_eq!(stats.throttled_responses, counters.rate_limited);
    assert!(stats.adaptive_engaged);
    assert!(stats.decreases >= 1);
    let rate = stats.current_rate.expect("paced once engaged");
    assert!(rate > 0.0 && rate < 1000.0, "{rate}");
    assert_eq!(stats.max_requests_per_second, None);
}

#[tokio::test]
async fn an_unthrottled_client_is_never_paced() {
    let server = start(None).await;
    let clock = Arc::new(TestClock::new());
    let client = builder(&server)
        .clock(clock.clone())
        .build()
        .expect("client");
    for result in fan_out(&client, 30).await {
        assert!(result.is_ok(), "{result:?}");
    }
    let stats = client.rate_limit();
    assert_eq!(stats.throttled_responses, 0);
    assert!(!stats.adaptive_engaged);
    assert_eq!(stats.current_rate, None);
    assert!(clock.waits().is_empty(), "{:?}", clock.waits());
}

#[tokio::test]
async fn the_hard_cap_spaces_the_requests_of_every_clone() {
    let server = start(None).await;
    let clock = Arc::new(TestClock::new());
    let client = builder(&server)
        .clock(clock.clone())
        .max_requests_per_second(10.0)
        .build()
        .expect("client");
    for result in fan_out(&client, 5).await {
        assert!(result.is_ok(), "{result:?}");
    }
    // The test clock skips each wait and moves its time on by it, so every caller after the
    // first waited for the slot 0.1 s after the one before (less the real time in between):
    // the five requests are 0.4 s apart end to end on the client's clock.
    let waits = clock.waits();
    assert_eq!(waits.len(), 4, "{waits:?}");
    for wait in &waits {
        assert!(
            *wait <= Duration::from_millis(100) && *wait > Duration::from_millis(50),
            "{waits:?}"
        );
    }
    let total: Duration = waits.iter().sum();
    assert!(
        total > Duration::from_millis(350) && total <= Duration::from_millis(400),
        "{waits:?}"
    );
    let stats = client.rate_limit();
    assert_eq!(stats.max_requests_per_second, Some(10.0));
    assert_eq!(stats.current_rate, Some(10.0));
    assert_eq!(server.counters().api_requests, 5);
}

#[tokio::test]
async fn a_limiter_wait_past_the_deadline_fails_at_once() {
    let server = start(None).await;
    let clock = Arc::new(TestClock::new());
    let client = builder(&server)
        .clock(clock.clone())
        .max_requests_per_second(1.0)
        .retry_policy(RetryPolicy::default().deadline(Some(Duration::from_millis(500))))
        .build()
        .expect("client");
    let call = || client.tenant_user_seats(CONTOSO, TenantType::Google).send();
    call().await.expect("the first call goes at once");
    let err = call().await.expect_err("its slot is a second away");
    match &err {
        Error::Transport {
            timed_out: true,
            message,
            ..
        } => assert!(message.contains("rate limit"), "{message}"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(clock.waits().is_empty(), "{:?}", clock.waits());
    assert_eq!(server.counters().api_requests, 1);
}

#[tokio::test]
async fn with_adaptive_off_throttles_are_counted_but_never_paced() {
    let server = start(None).await;
    let clock = Arc::new(TestClock::new());
    let client = builder(&server)
        .clock(clock.clone())
        .adaptive_rate_limit(false)
        .build()
        .expect("client");
    server.control().inject_api(Fault::rate_limited(0), 2);
    for result in fan_out(&client, 10).await {
        assert!(result.is_ok(), "{result:?}");
    }
    let stats = client.rate_limit();
    assert_eq!(stats.throttled_responses, 2);
    assert!(!stats.adaptive_engaged);
    assert_eq!(stats.current_rate, None);
}

#[test]
fn a_cap_must_be_a_positive_number() {
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = Client::builder()
            .credentials(Credentials::client_secret("id", "secret"))
            .max_requests_per_second(bad)
            .build()
            .expect_err("refused");
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
}
