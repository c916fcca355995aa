//! What reaches `Debug`, `Display` and `tracing` output: never a secret, and the fields the
//! call events promise.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use avepoint_graph::{Credentials, Secret, TenantType};
use common::Harness;
use wiremock::ResponseTemplate;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn debug_output_redacts_credentials() {
    let creds = Credentials::client_secret("id", common::CLIENT_SECRET);
    let text = format!("{creds:?}");
    assert!(!text.contains(common::CLIENT_SECRET), "{text}");
    let token = Credentials::static_token("tok-very-secret");
    assert!(!format!("{token:?}").contains("tok-very-secret"));
    let s = Secret::new("pw");
    assert!(!format!("{s:?} {s}").contains("pw"));
    let builder = avepoint_graph::Client::builder().credentials(creds);
    assert!(!format!("{builder:?}").contains(common::CLIENT_SECRET));
}

#[tokio::test]
async fn trace_logs_contain_neither_secret_nor_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(401), Some(1), 1)
        .await;
    h.seats_respond(ResponseTemplate::new(503), Some(1), 2)
        .await;
    h.seats_ok().await;
    let client = h.client();
    client
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect("ok after a 401 and a 503");
    let failing = h
        .builder()
        .credentials(Credentials::client_secret("id", common::CLIENT_SECRET))
        .token_url("http://127.0.0.1:1/connect/token")
        .retry_policy(avepoint_graph::RetryPolicy::disabled())
        .build()
        .expect("client");
    let err = failing
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("no identity service");
    assert!(!format!("{err:?} {err}").contains(common::CLIENT_SECRET));
    assert!(!format!("{client:?}").contains("token-"));

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(logs.contains("avepoint.call"), "spans are logged: {logs}");
    assert!(logs.contains("attempt"), "{logs}");
    for secret in [common::CLIENT_SECRET, "token-1", "token-2", "Bearer "] {
        assert!(
            !logs.contains(secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}

/// A filter that enables the call's span (and so the events inside it) but no event outside
/// it still gets the call's real duration in its outcome event: the clock is read when the
/// span is recorded, not only when a `warn` event outside it would be.
#[tokio::test]
async fn the_outcome_event_times_the_call_under_a_span_filter() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("[avepoint.call]=info"))
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200)
            .set_body_json(common::sample_body())
            .set_delay(std::time::Duration::from_millis(60)),
        None,
        1,
    )
    .await;
    h.client()
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect("seats");

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    let line = logs
        .lines()
        .find(|l| l.contains("call succeeded"))
        .unwrap_or_else(|| panic!("no outcome event: {logs}"));
    let elapsed_ms: u64 = line
        .split("elapsed_ms=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("no elapsed_ms: {line}"));
    assert!(elapsed_ms >= 60, "{line}");
}
