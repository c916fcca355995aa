//! No secret in `Debug`, `Display` or `tracing` output.

mod common;

use avepoint_graph::{Credentials, Secret, TenantType};
use common::{Captured, Harness};
use wiremock::ResponseTemplate;

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

    let logs = captured.text();
    assert!(logs.contains("avepoint.call"), "spans are logged: {logs}");
    assert!(logs.contains("attempt"), "{logs}");
    for secret in [common::CLIENT_SECRET, "token-1", "token-2", "Bearer "] {
        assert!(
            !logs.contains(secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}
