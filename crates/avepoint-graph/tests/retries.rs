//! Retry rules of the seats call, against a real HTTP server on loopback.

mod common;

use std::time::Duration;

use avepoint_graph::{Error, GiveUpReason, RetryPolicy, TenantType};
use common::Harness;
use wiremock::ResponseTemplate;

const CUSTOMER: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

#[tokio::test]
async fn a_429_with_retry_after_seconds_is_waited_out_then_retried() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(429).insert_header("Retry-After", "2"),
        Some(1),
        1,
    )
    .await;
    h.seats_ok().await;
    let rows = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect("succeeds after the 429");
    assert_eq!(rows.len(), 2);
    assert_eq!(h.clock.waits(), vec![Duration::from_secs(2)]);
    assert_eq!(h.api_requests().await, 2);
    assert_eq!(h.token_requests().await, 1);
}

#[tokio::test]
async fn a_retry_after_http_date_is_honoured() {
    let h = Harness::start(3600).await;
    let when = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(5));
    h.seats_respond(
        ResponseTemplate::new(503).insert_header("Retry-After", when.as_str()),
        Some(1),
        1,
    )
    .await;
    h.seats_ok().await;
    h.client()
        .tenant_user_seats(CUSTOMER, TenantType::Google)
        .send()
        .await
        .expect("succeeds after the 503");
    let waits = h.clock.waits();
    assert_eq!(waits.len(), 1);
    assert!(
        waits[0] <= Duration::from_secs(5) && waits[0] >= Duration::from_secs(3),
        "{waits:?}"
    );
}

#[tokio::test]
async fn a_503_then_success_is_retried_with_jittered_backoff() {
    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(503), Some(2), 1)
        .await;
    h.seats_ok().await;
    h.client()
        .tenant_user_seats(CUSTOMER, TenantType::Salesforce)
        .send()
        .await
        .expect("third attempt succeeds");
    // The two backoffs come first; the 503s also engage the adaptive rate limiter, whose
    // pacing wait (if any) goes through the same clock before the third attempt.
    let waits = h.clock.waits();
    assert!((2..=3).contains(&waits.len()), "{waits:?}");
    assert!(waits[0] < Duration::from_millis(250), "{waits:?}");
    assert!(waits[1] < Duration::from_millis(500), "{waits:?}");
    assert_eq!(h.api_requests().await, 3);
}

#[tokio::test]
async fn client_errors_are_never_retried() {
    for status in [400u16, 403, 404] {
        let h = Harness::start(3600).await;
        h.seats_respond(
            ResponseTemplate::new(status).set_body_json(serde_json::json!({"message": "nope"})),
            None,
            1,
        )
        .await;
        let err = h
            .client()
            .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
            .send()
            .await
            .expect_err("fails");
        assert!(
            matches!(&err, Error::Api(e) if e.status == status),
            "{err:?}"
        );
        assert_eq!(h.api_requests().await, 1, "status {status} was retried");
        assert!(h.clock.waits().is_empty());
    }
}

#[tokio::test]
async fn attempts_are_exhausted_and_reported() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(500).insert_header("X-Request-Id", "req-500"),
        None,
        1,
    )
    .await;
    let err = h
        .builder()
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .build()
        .expect("client")
        .tenant_user_seats(CUSTOMER, TenantType::Dynamics365)
        .send()
        .await
        .expect_err("gives up");
    match &err {
        Error::RetriesExhausted {
            attempts: 3,
            reason: GiveUpReason::MaxAttempts,
            last,
            ..
        } => {
            assert_eq!(last.status(), Some(500));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(err.request_id(), Some("req-500"));
    assert_eq!(h.api_requests().await, 3);
}

#[tokio::test]
async fn the_deadline_bounds_the_whole_call() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(503).insert_header("Retry-After", "20"),
        None,
        1,
    )
    .await;
    let err = h
        .builder()
        .retry_policy(RetryPolicy::default().deadline(Some(Duration::from_secs(10))))
        .build()
        .expect("client")
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("gives up");
    assert!(
        matches!(
            err,
            Error::RetriesExhausted {
                reason: GiveUpReason::Deadline,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(h.clock.waits().is_empty());
}

#[tokio::test]
async fn a_slow_attempt_times_out_and_is_retried() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200)
            .set_body_json(common::sample_body())
            .set_delay(Duration::from_secs(5)),
        Some(1),
        1,
    )
    .await;
    h.seats_ok().await;
    let rows = h
        .builder()
        .attempt_timeout(Duration::from_millis(200))
        .build()
        .expect("client")
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect("the second attempt succeeds");
    assert_eq!(rows.len(), 2);
    assert_eq!(h.clock.waits().len(), 1);
}

#[tokio::test]
async fn a_retry_after_far_beyond_the_cap_fails_at_once() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(429).insert_header("Retry-After", "86400"),
        None,
        1,
    )
    .await;
    let err = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("gives up");
    assert!(
        matches!(
            err,
            Error::RetriesExhausted {
                reason: GiveUpReason::RetryAfterTooLong { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("wait 24h, more than"), "{err}");
    assert_eq!(h.api_requests().await, 1);
}

#[tokio::test]
async fn retries_can_be_turned_off() {
    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(503), None, 1).await;
    let err = h
        .builder()
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    assert_eq!(err.status(), Some(503));
    assert_eq!(h.api_requests().await, 1);
}

#[tokio::test]
async fn connection_errors_are_retried() {
    // A port with nothing listening: every attempt fails to connect.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let h = Harness::start(3600).await;
    let err = h
        .builder()
        .api_base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::default().max_attempts(2))
        .build()
        .expect("client")
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    match err {
        Error::RetriesExhausted {
            attempts: 2, last, ..
        } => {
            assert!(
                matches!(
                    *last,
                    Error::Transport {
                        timed_out: false,
                        ..
                    }
                ),
                "{last:?}"
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_with_a_snippet() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200).set_body_raw(r#"[{"id": "t1", "name": "#, "application/json"),
        None,
        1,
    )
    .await;
    let err = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails");
    match &err {
        Error::Decode { snippet, .. } => {
            assert!(snippet.starts_with(r#"[{"id": "t1""#), "{snippet}")
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(h.api_requests().await, 1);
}
