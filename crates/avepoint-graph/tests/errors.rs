//! Snapshots of every error's `Display`, produced by real calls against loopback servers.

mod common;

use std::time::Duration;

use avepoint_graph::{Client, Credentials, RetryPolicy, TenantType};
use common::Harness;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn seats_error(h: &Harness, policy: RetryPolicy) -> String {
    h.builder()
        .retry_policy(policy)
        .build()
        .expect("client")
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails")
        .to_string()
}

async fn api_status_error(
    status: u16,
    body: Option<serde_json::Value>,
    retry_after: Option<&str>,
) -> String {
    let h = Harness::start(3600).await;
    let mut t = ResponseTemplate::new(status).insert_header("X-Request-Id", "req-42");
    if let Some(b) = body {
        t = t.set_body_json(b);
    }
    if let Some(r) = retry_after {
        t = t.insert_header("Retry-After", r);
    }
    h.seats_respond(t, None, 1).await;
    seats_error(&h, RetryPolicy::disabled()).await
}

async fn token_error(status: u16, body: serde_json::Value) -> String {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    Client::builder()
        .api_base_url(server.uri())
        .token_url(format!("{}/connect/token", server.uri()))
        .credentials(Credentials::client_secret(
            common::CLIENT_ID,
            common::CLIENT_SECRET,
        ))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails")
        .to_string()
}

#[tokio::test]
async fn error_messages() {
    let mut messages = Vec::new();
    for status in [400u16, 401, 403, 404, 500, 503] {
        messages.push((
            format!("api {status} with a JSON message"),
            api_status_error(
                status,
                Some(serde_json::json!({"code": "E1", "message": "the service said no"})),
                None,
            )
            .await,
        ));
    }
    messages.push((
        "api 404 with a non-JSON body".into(),
        api_status_error(404, None, None).await,
    ));
    messages.push((
        "api 429 with retry-after, retries off".into(),
        api_status_error(429, None, Some("7")).await,
    ));
    messages.push((
        "identity invalid_client".into(),
        token_error(
            401,
            serde_json::json!({"error": "invalid_client", "error_description": "Unknown client"}),
        )
        .await,
    ));
    messages.push((
        "identity invalid_scope".into(),
        token_error(400, serde_json::json!({"error": "invalid_scope"})).await,
    ));

    let h = Harness::start(3600).await;
    h.seats_respond(ResponseTemplate::new(502), None, 1).await;
    messages.push((
        "retries exhausted".into(),
        seats_error(&h, RetryPolicy::default().max_attempts(2)).await,
    ));
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
        None,
        1,
    )
    .await;
    messages.push((
        "retry-after too long".into(),
        seats_error(&h, RetryPolicy::default()).await,
    ));
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(503).insert_header("Retry-After", "30"),
        None,
        1,
    )
    .await;
    messages.push((
        "deadline".into(),
        seats_error(
            &h,
            RetryPolicy::default().deadline(Some(Duration::from_secs(20))),
        )
        .await,
    ));
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(200).set_body_raw("<html>oops</html>", "text/html"),
        None,
        1,
    )
    .await;
    messages.push((
        "decode".into(),
        seats_error(&h, RetryPolicy::default()).await,
    ));

    let h = Harness::start(3600).await;
    messages.push((
        "invalid input".into(),
        h.client()
            .tenant_user_seats("", TenantType::Google)
            .send()
            .await
            .expect_err("refused")
            .to_string(),
    ));
    messages.push((
        "config: plain http".into(),
        Client::builder()
            .api_base_url("http://graph.example.com")
            .credentials(Credentials::static_token("t"))
            .build()
            .expect_err("refused")
            .to_string(),
    ));
    messages.push((
        "config: no credentials".into(),
        Client::builder().build().expect_err("refused").to_string(),
    ));
    messages.push((
        "config: unknown data center".into(),
        "atlantis"
            .parse::<avepoint_graph::DataCenter>()
            .expect_err("refused")
            .to_string(),
    ));

    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let h = Harness::start(3600).await;
    let transport = h
        .builder()
        .api_base_url(format!("http://127.0.0.1:{port}"))
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client")
        .tenant_user_seats("c-1", TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails")
        .to_string();
    messages.push(("transport: connection refused".into(), transport));

    let text: String = messages
        .iter()
        .map(|(case, message)| format!("{case}:\n  {message}\n"))
        .collect();
    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[port]"),
        (r"in \d+(\.\d+)?[µm]?s", "in [elapsed]"),
    ]}, {
        insta::assert_snapshot!("error_messages", text);
    });
    for (_, m) in &messages {
        assert!(!m.contains(common::CLIENT_SECRET));
    }
}
