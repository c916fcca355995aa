//! Token handling of the client: one token shared, refreshed ahead of expiry, a single
//! refresh in flight, one forced refresh and replay on 401, identity errors surfaced.

mod common;

use std::sync::Arc;
use std::time::Duration;

use avepoint_graph::{Credentials, Error, TenantType};
use common::{Harness, TokenResponder};
use wiremock::matchers::{header, method, path_regex};
use wiremock::{Mock, ResponseTemplate};

const CUSTOMER: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

#[tokio::test]
async fn one_hundred_concurrent_calls_on_a_cold_client_make_one_token_request() {
    let mut tokens = TokenResponder::new(3600);
    tokens.delay = Duration::from_millis(100);
    let h = Harness::start_with(tokens).await;
    h.seats_ok().await;
    let client = h.client();
    let calls: Vec<_> = (0..100)
        .map(|i| {
            let c = client.clone();
            tokio::spawn(async move {
                c.tenant_user_seats(format!("customer-{i}"), TenantType::Microsoft365)
                    .send()
                    .await
            })
        })
        .collect();
    for call in calls {
        call.await.expect("join").expect("call succeeds");
    }
    assert_eq!(h.token_requests().await, 1);
    assert_eq!(h.api_requests().await, 100);
}

#[tokio::test]
async fn the_token_is_reused_then_refreshed_ahead_of_expiry() {
    // A 2-second token: reused while more than half its life is left, refreshed after (the
    // floor on the trusted lifetime lowered to let it).
    let h = Harness::start(2).await;
    h.seats_ok().await;
    let client = h
        .builder()
        .min_token_lifetime(Duration::from_secs(1))
        .build()
        .expect("client");
    for _ in 0..3 {
        client
            .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
            .send()
            .await
            .expect("ok");
    }
    assert_eq!(h.token_requests().await, 1);
    // Past half the token's life on the client's clock, without waiting for it.
    h.clock.advance(Duration::from_millis(1100));
    client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect("ok");
    assert_eq!(h.token_requests().await, 2);
    let last = h.server.received_requests().await.unwrap_or_default();
    let auth = last
        .iter()
        .rev()
        .find(|r| r.url.path() != "/connect/token")
        .and_then(|r| r.headers.get("authorization"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    assert_eq!(auth.as_deref(), Some("Bearer token-2"));
}

#[tokio::test]
async fn a_401_forces_one_refresh_and_one_replay() {
    let h = Harness::start(3600).await;
    // The first token is refused; the second is accepted.
    Mock::given(method("POST"))
        .and(path_regex(common::SEATS_PATH_RE))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401))
        .with_priority(1)
        .mount(&h.server)
        .await;
    h.seats_ok().await;
    let rows = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect("the replay succeeds");
    assert_eq!(rows.len(), 2);
    assert_eq!(h.token_requests().await, 2);
    assert_eq!(h.api_requests().await, 2);
    assert!(h.clock.waits().is_empty(), "a replay does not wait");
}

#[tokio::test]
async fn a_persistent_401_is_not_a_loop() {
    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(401), None, 1).await;
    let err = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    assert_eq!(err.status(), Some(401));
    assert_eq!(h.token_requests().await, 2);
    assert_eq!(h.api_requests().await, 2);
}

#[tokio::test]
async fn identity_errors_are_authentication_errors_and_nothing_reaches_the_api() {
    let server = wiremock::MockServer::start().await;
    Mock::given(method("POST"))
        .and(wiremock::matchers::path("/connect/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": "Unknown client or wrong secret",
        })))
        .mount(&server)
        .await;
    let client = avepoint_graph::Client::builder()
        .api_base_url(server.uri())
        .token_url(format!("{}/connect/token", server.uri()))
        .credentials(Credentials::client_secret(
            common::CLIENT_ID,
            common::CLIENT_SECRET,
        ))
        .build()
        .expect("client");
    let err = client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    match &err {
        Error::Authentication(e) => {
            assert_eq!(e.status, Some(401));
            assert_eq!(e.error.as_deref(), Some("invalid_client"));
            assert_eq!(
                e.error_description.as_deref(),
                Some("Unknown client or wrong secret")
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.is_authentication());
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(
        requests.len(),
        1,
        "one token request, no API call, no retry"
    );
}

#[tokio::test]
async fn a_static_token_is_sent_as_is_and_no_token_request_is_made() {
    let h = Harness::start(3600).await;
    Mock::given(method("POST"))
        .and(path_regex(common::SEATS_PATH_RE))
        .and(header("authorization", "Bearer static-abc"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::sample_body()))
        .mount(&h.server)
        .await;
    let client = h
        .builder()
        .credentials(Credentials::static_token("static-abc"))
        .build()
        .expect("client");
    client
        .tenant_user_seats(CUSTOMER, TenantType::Google)
        .send()
        .await
        .expect("ok");
    assert_eq!(h.token_requests().await, 0);
}

#[derive(Debug, Default)]
struct CountingProvider(std::sync::atomic::AtomicUsize);

impl avepoint_graph::TokenProvider for CountingProvider {
    fn fetch_token<'a>(
        &'a self,
        scopes: &'a [String],
    ) -> futures::future::BoxFuture<'a, Result<avepoint_graph::AccessToken, Error>> {
        Box::pin(async move {
            assert_eq!(scopes, ["elements.license.read.all".to_owned()]);
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            Ok(avepoint_graph::AccessToken::new(
                format!("custom-{n}"),
                Some(Duration::from_secs(3600)),
            ))
        })
    }
}

#[tokio::test]
async fn a_custom_token_provider_is_cached_like_the_others() {
    let h = Harness::start(3600).await;
    Mock::given(method("POST"))
        .and(path_regex(common::SEATS_PATH_RE))
        .and(header("authorization", "Bearer custom-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(common::sample_body()))
        .mount(&h.server)
        .await;
    let provider = Arc::new(CountingProvider::default());
    let client = h
        .builder()
        .credentials(Credentials::provider(provider.clone()))
        .build()
        .expect("client");
    for _ in 0..5 {
        client
            .tenant_user_seats(CUSTOMER, TenantType::Google)
            .send()
            .await
            .expect("ok");
    }
    assert_eq!(provider.0.load(std::sync::atomic::Ordering::SeqCst), 1);
}
