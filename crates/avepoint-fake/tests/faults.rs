//! Fault injection and counters over real HTTP.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::num::NonZeroU32;
use std::time::{Duration, Instant, SystemTime};

use avepoint_fake::{
    EndpointFaults, FakeConfig, Fault, FaultConfig, FaultTarget, RandomFaults, RateLimit,
    RetryAfter, ScriptedFault, demo,
};
use common::*;
use serde_json::Value;

#[tokio::test]
async fn rate_limit_with_retry_after_seconds_then_recovery() {
    let server = start().await;
    let token = demo_token(&server).await;
    server.control().inject_api(Fault::rate_limited(7), 2);
    assert_eq!(server.control().pending_faults(FaultTarget::Api), 2);
    for _ in 0..2 {
        let response = seats(&server, Some(&token), CONTOSO, "0", None).await;
        assert_eq!(response.status(), 429);
        assert_eq!(response.headers()["retry-after"], "7");
        assert!(response.headers().contains_key("x-request-id"));
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "TooManyRequests");
    }
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    let c = server.counters();
    assert_eq!((c.api_requests, c.faults_injected), (3, 2));
    assert_eq!((c.responses(429), c.responses(200)), (2, 2));
}

#[tokio::test]
async fn retry_after_can_be_an_http_date() {
    let server = start().await;
    let token = demo_token(&server).await;
    server.control().inject_api(
        Fault::ServiceUnavailable {
            retry_after: Some(RetryAfter::HttpDate(Duration::from_secs(30))),
        },
        1,
    );
    let response = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(response.status(), 503);
    let date =
        httpdate::parse_http_date(response.headers()["retry-after"].to_str().unwrap()).unwrap();
    let ahead = date.duration_since(SystemTime::now()).unwrap();
    assert!(
        ahead > Duration::from_secs(25) && ahead <= Duration::from_secs(31),
        "{ahead:?}"
    );
}

#[tokio::test]
async fn unavailable_internal_error_and_malformed_json() {
    let server = start().await;
    let token = demo_token(&server).await;
    let control = server.control();
    control.inject_api(Fault::unavailable(1), 1);
    control.inject_api(Fault::InternalServerError, 1);
    control.inject_api(Fault::MalformedJson, 1);
    let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (503, "1")
    );
    let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(r.status(), 500);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "InternalServerError");
    let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with("[{"), "{text}");
    assert!(
        serde_json::from_str::<Value>(&text).is_err(),
        "truncated: {text}"
    );
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn dropped_connections_get_no_response() {
    let server = start().await;
    let token = demo_token(&server).await;
    server.control().inject_api(Fault::DropConnection, 2);
    for _ in 0..2 {
        let error = seats_result(&server, &token).await.unwrap_err();
        assert!(!error.is_status(), "{error}");
    }
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    let c = server.counters();
    assert_eq!(c.dropped_requests, 2);
    assert_eq!(c.api_requests, 3);
    // Responses: the token and the final 200 only.
    assert_eq!(c.total_responses(), 2);
}

#[tokio::test]
async fn refused_connections_are_closed_before_any_request() {
    let server = start().await;
    let token = demo_token(&server).await;
    server.control().refuse_connections(2);
    for _ in 0..2 {
        assert!(seats_result(&server, &token).await.is_err());
    }
    assert_eq!(seats_result(&server, &token).await.unwrap().status(), 200);
    let c = server.counters();
    assert_eq!(c.refused_connections, 2);
    assert_eq!(c.api_requests, 1, "refused connections carry no request");
}

async fn seats_result(
    server: &avepoint_fake::FakeServer,
    token: &str,
) -> Result<reqwest::Response, reqwest::Error> {
    let url = format!(
        "{}{}",
        server.base_url(),
        avepoint_fake::seats::seats_path(CONTOSO, 0)
    );
    // A fresh client: a dropped pooled connection must not be retried behind our back.
    fresh_http().post(url).bearer_auth(token).send().await
}

#[tokio::test]
async fn latency_is_added() {
    let server = start().await;
    let token = demo_token(&server).await;
    server
        .control()
        .set_latency(FaultTarget::Api, Duration::from_millis(300));
    let started = Instant::now();
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(300));
    server
        .control()
        .inject_api(Fault::Delay(Duration::from_millis(200)), 1);
    server
        .control()
        .set_latency(FaultTarget::Api, Duration::ZERO);
    let started = Instant::now();
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    assert!(started.elapsed() >= Duration::from_millis(200));
}

#[tokio::test]
async fn token_endpoint_faults_are_separate() {
    let server = start().await;
    server.control().inject_token(Fault::rate_limited(2), 1);
    server.control().inject_token(Fault::MalformedJson, 1);
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", demo::CLIENT_ID),
        ("client_secret", demo::CLIENT_SECRET),
    ];
    let r = token_request(&server, &fields).await;
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["retry-after"].to_str().unwrap()
        ),
        (429, "2")
    );
    let r = token_request(&server, &fields).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with('{') && serde_json::from_str::<Value>(&text).is_err(),
        "{text}"
    );
    let token = demo_token(&server).await;
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    let c = server.counters();
    assert_eq!(
        (c.token_requests, c.api_requests, c.faults_injected),
        (3, 1, 2)
    );
}

#[tokio::test]
async fn faults_configured_at_start_and_periodic_rate_limiting() {
    let config = FakeConfig::demo().with_faults(FaultConfig {
        api: EndpointFaults {
            script: vec![ScriptedFault {
                fault: Fault::InternalServerError,
                times: 1,
            }],
            rate_limit_every: NonZeroU32::new(3),
            ..EndpointFaults::default()
        },
        retry_after: RetryAfter::Seconds(4),
        ..FaultConfig::default()
    });
    let server = start_with(config).await;
    let token = demo_token(&server).await;
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(
            seats(&server, Some(&token), CONTOSO, "0", None)
                .await
                .status()
                .as_u16(),
        );
    }
    assert_eq!(statuses, [500, 200, 429, 200, 200, 429]);
    server.control().clear_faults();
    for _ in 0..3 {
        assert_eq!(
            seats(&server, Some(&token), CONTOSO, "0", None)
                .await
                .status(),
            200
        );
    }
}

#[tokio::test]
async fn random_faults_are_reproducible() {
    async fn run() -> Vec<u16> {
        let server = start().await;
        let token = demo_token(&server).await;
        server
            .control()
            .set_random_faults(FaultTarget::Api, Some(RandomFaults::new(0.5, 1234)));
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(
                seats(&server, Some(&token), CONTOSO, "0", None)
                    .await
                    .status()
                    .as_u16(),
            );
        }
        statuses
    }
    let a = run().await;
    assert_eq!(a, run().await);
    assert!(
        a.contains(&200) && (a.contains(&429) || a.contains(&503)),
        "{a:?}"
    );
    assert!(a.iter().all(|s| [200, 429, 503].contains(s)));
}

#[tokio::test]
async fn connections_are_counted_and_counters_reset() {
    let server = start().await;
    let token = demo_token(&server).await;
    server.control().reset_counters();
    let client = fresh_http();
    let url = format!(
        "{}{}",
        server.base_url(),
        avepoint_fake::seats::seats_path(CONTOSO, 0)
    );
    for _ in 0..4 {
        let r = client.post(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    let c = server.counters();
    assert_eq!(c.connections, 1, "keep-alive reuses one connection: {c:?}");
    assert_eq!(
        (c.token_requests, c.api_requests, c.tokens_issued),
        (0, 4, 0)
    );
    assert_eq!(c.responses(200), 4);
    fresh_http()
        .post(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(server.counters().connections, 2);
    server.control().reset_counters();
    assert_eq!(
        server.counters(),
        avepoint_fake::CountersSnapshot::default()
    );
    fresh_http()
        .get(format!("{}/x", server.base_url()))
        .send()
        .await
        .unwrap();
    let c = server.counters();
    assert_eq!(
        (c.connections, c.other_requests, c.responses(404)),
        (1, 1, 1)
    );
}

#[tokio::test]
async fn shutdown_stops_the_server() {
    let server = start().await;
    let url = server.token_url();
    let addr = server.addr();
    server.shutdown().await;
    assert!(http().post(url).send().await.is_err());
    // The port can be bound again.
    let again = avepoint_fake::FakeServer::start_on(addr, FakeConfig::demo()).await;
    assert!(again.is_ok());
}

#[tokio::test]
async fn rate_limit_is_a_token_bucket_per_client_settable_at_run_time() {
    let server = start_with(FakeConfig::demo().with_faults(FaultConfig {
        rate_limit: Some(RateLimit::per_second(0.5).with_burst(2)),
        ..FaultConfig::default()
    }))
    .await;
    let token = demo_token(&server).await;
    let other = token_for(&server, demo::LIMITED_CLIENT_ID, demo::CLIENT_SECRET).await;
    for _ in 0..2 {
        let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
        assert_eq!(r.status(), 200);
    }
    let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(r.status(), 429);
    // The next token is two seconds away (0.5 per second), give or take the time spent.
    let retry_after: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["code"], "TooManyRequests");
    // Another app has its own bucket (this one lacks the license scope: 403, not 429).
    let r = seats(&server, Some(&other), CONTOSO, "0", None).await;
    assert_eq!(r.status(), 403);
    // Every API route is limited, the token endpoint is not.
    let r = customers(&server, Some(&token), "", None).await;
    assert_eq!(r.status(), 429);
    demo_token(&server).await;
    let c = server.counters();
    assert_eq!(
        (c.rate_limited, c.responses(429), c.faults_injected),
        (2, 2, 0)
    );

    // Lifted at run time, then set again: buckets start full.
    server.control().set_rate_limit(None);
    for _ in 0..5 {
        assert_eq!(
            seats(&server, Some(&token), CONTOSO, "0", None)
                .await
                .status(),
            200
        );
    }
    server
        .control()
        .set_rate_limit(Some(RateLimit::per_second(0.5).with_burst(1)));
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        429
    );
    server.control().clear_faults();
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn latency_applies_to_rate_limited_answers_too() {
    let server = start_with(FakeConfig::demo().with_faults(FaultConfig {
        api: EndpointFaults {
            latency: Duration::from_millis(100),
            ..EndpointFaults::default()
        },
        rate_limit: Some(RateLimit::per_second(1.0).with_burst(1)),
        ..FaultConfig::default()
    }))
    .await;
    let token = demo_token(&server).await;
    assert_eq!(
        seats(&server, Some(&token), CONTOSO, "0", None)
            .await
            .status(),
        200
    );
    let started = Instant::now();
    let r = seats(&server, Some(&token), CONTOSO, "0", None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(started.elapsed() >= Duration::from_millis(100));
}
