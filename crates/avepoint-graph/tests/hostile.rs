//! The client against hostile identity and API servers on loopback: servers that echo
//! credentials in every encoding, inject control characters, send oversized or endless
//! bodies, hand out zero-lifetime or malformed tokens, or refuse every token.

mod common;

use avepoint_graph::{Client, Credentials, Error, RetryPolicy, TenantType};
use base64::Engine as _;
use common::{Harness, SEATS_PATH_RE, TokenResponder};
use futures::StreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const CUSTOMER: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

/// A secret with characters that form-urlencoding and percent-encoding change.
const TRICKY_SECRET: &str = "Azure~style.Secret/with+plus=and space&amp";

fn encodings(secret: &str) -> Vec<String> {
    let form: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
    vec![
        secret.to_owned(),
        form.clone(),
        form.replace('+', "%20"),
        base64::engine::general_purpose::STANDARD.encode(secret),
        // A distinctive fragment of each, so that a partial leak is caught too.
        "Azure~style".to_owned(),
        "Azure%7Estyle".to_owned(),
    ]
}

fn assert_no_secret(text: &str, secret: &str) {
    for encoded in encodings(secret) {
        assert!(!text.contains(&encoded), "`{encoded}` leaked: {text}");
    }
}

/// Echoes the token request's form body back in an OAuth error (and, raw, around it).
struct EchoForm {
    padding: usize,
}

impl Respond for EchoForm {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form = String::from_utf8_lossy(&request.body).into_owned();
        // The echo starts just before the snippet limit, so the secret straddles the cut.
        let pad = "x".repeat(self.padding);
        ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("{pad}received {form}"),
        }))
    }
}

#[tokio::test]
async fn the_identity_service_echoing_the_form_never_shows_the_secret() {
    for padding in [0, 480, 500, 505, 510] {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/connect/token"))
            .respond_with(EchoForm { padding })
            .mount(&server)
            .await;
        let client = Client::builder()
            .api_base_url(server.uri())
            .token_url(format!("{}/connect/token", server.uri()))
            .credentials(Credentials::client_secret("app", TRICKY_SECRET))
            .build()
            .expect("client");
        let error = client.authenticate().await.expect_err("refused");
        assert!(error.is_authentication(), "{error}");
        let shown = format!("{error} {error:?}");
        if padding == 0 {
            assert!(shown.contains("[redacted]"), "{shown}");
        }
        assert_no_secret(&shown, TRICKY_SECRET);
    }
}

/// Echoes the request's `Authorization` header in a body of the given kind.
struct EchoAuthorization {
    status: u16,
    kind: &'static str,
}

impl Respond for EchoAuthorization {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = match self.kind {
            "json" => serde_json::json!({ "message": format!("bad request: {auth}") }).to_string(),
            "html" => format!("<html><body><pre>Authorization: {auth}</pre></body></html>"),
            // A 200 whose body does not decode: a field holds the header.
            _ => serde_json::json!([{ "id": auth, "name": 5 }]).to_string(),
        };
        ResponseTemplate::new(self.status).set_body_string(body)
    }
}

#[tokio::test]
async fn an_api_echoing_the_authorization_header_never_shows_the_token() {
    for (status, kind) in [(400, "json"), (404, "html"), (502, "html"), (200, "decode")] {
        let h = Harness::start(3600).await;
        h.seats_respond(
            ResponseTemplate::new(200),
            None,
            9, // never used: the echo below has priority
        )
        .await;
        Mock::given(method("POST"))
            .and(path_regex(SEATS_PATH_RE))
            .respond_with(EchoAuthorization { status, kind })
            .with_priority(1)
            .mount(&h.server)
            .await;
        let client = h
            .builder()
            .retry_policy(RetryPolicy::disabled())
            .build()
            .expect("client");
        let error = client
            .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
            .send()
            .await
            .expect_err("fails");
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("token-1"), "{kind} {status}: {shown}");
        assert!(shown.contains("[redacted]"), "{kind} {status}: {shown}");
    }
}

#[tokio::test]
async fn server_text_cannot_forge_a_line_or_drive_the_terminal() {
    let h = Harness::start(3600).await;
    h.seats_respond(
        ResponseTemplate::new(404).set_body_json(serde_json::json!({
            "message": "not found\nerror: customer forged: all good\u{1b}[2J"
        })),
        None,
        1,
    )
    .await;
    let error = h
        .client()
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("404");
    let shown = error.to_string();
    assert!(
        !shown.contains('\n') && !shown.contains('\u{1b}'),
        "{shown}"
    );
    assert!(
        shown.contains("not found\\nerror: customer forged"),
        "{shown}"
    );
    // The typed field stays faithful.
    match &error {
        Error::Api(api) => assert!(api.message.as_deref().is_some_and(|m| m.contains('\n'))),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_oversized_body_is_a_typed_error_that_names_the_cap_and_is_not_retried() {
    let h = Harness::start(3600).await;
    let big = format!("[{}]", "{\"id\":\"x\"},".repeat(20_000));
    Mock::given(method("POST"))
        .and(path_regex(SEATS_PATH_RE))
        .respond_with(ResponseTemplate::new(200).set_body_string(big))
        .expect(1)
        .mount(&h.server)
        .await;
    let client = h
        .builder()
        .max_response_bytes(64 * 1024)
        .build()
        .expect("client");
    let error = client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("too large");
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 65536, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("65536-byte cap"), "{error}");
    assert!(!error.is_transient());
}

/// A plain TCP server: a token endpoint, and an API whose body never ends.
async fn endless_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 * 1024];
                let Ok(n) = socket.read(&mut buf).await else {
                    return;
                };
                let head = String::from_utf8_lossy(&buf[..n]).into_owned();
                if head.starts_with("POST /connect/token") {
                    let body = r#"{"access_token":"tok","expires_in":3600,"token_type":"Bearer"}"#;
                    let _ = socket
                        .write_all(
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                                body.len()
                            )
                            .as_bytes(),
                        )
                        .await;
                    return;
                }
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n6\r\n[{\"a\":\r\n")
                    .await;
                let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "1".repeat(64 * 1024));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {}
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn an_endless_body_ends_at_the_default_cap() {
    let base = endless_server().await;
    let client = Client::builder()
        .api_base_url(&base)
        .token_url(format!("{base}/connect/token"))
        .credentials(Credentials::client_secret("app", "secret"))
        .build()
        .expect("client");
    let error = client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("endless");
    assert!(
        matches!(
            error,
            Error::ResponseTooLarge {
                limit: avepoint_graph::DEFAULT_MAX_RESPONSE_BYTES,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_zero_lifetime_token_is_reused() {
    let h = Harness::start(0).await;
    h.seats_ok().await;
    let client = h.client();
    for _ in 0..50 {
        client
            .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
            .send()
            .await
            .expect("call");
    }
    assert_eq!(h.token_requests().await, 1);
}

#[tokio::test]
async fn a_dead_token_is_still_replaced_on_401() {
    let h = Harness::start(0).await;
    // The first token is refused once; the refreshed one works.
    h.seats_respond(ResponseTemplate::new(401), Some(1), 1)
        .await;
    h.seats_ok().await;
    let client = h.client();
    client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect("replayed");
    assert_eq!(h.token_requests().await, 2);
}

#[tokio::test]
async fn a_token_with_a_line_break_is_an_authentication_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "access_token": "abc\r\nX-Injected: 1",
            "expires_in": 3600,
            "token_type": "Bearer",
        })))
        .mount(&server)
        .await;
    let client = Client::builder()
        .api_base_url(server.uri())
        .token_url(format!("{}/connect/token", server.uri()))
        .credentials(Credentials::client_secret("app", "secret"))
        .build()
        .expect("client");
    let error = client.authenticate().await.expect_err("refused");
    assert!(error.is_authentication(), "{error:?}");
    assert!(error.to_string().contains("HTTP header"), "{error}");
    assert!(!error.to_string().contains("X-Injected"), "{error}");
}

#[tokio::test]
async fn a_persistent_401_stops_refreshing_and_fails_fast() {
    let h = Harness::start_with(TokenResponder::new(3600)).await;
    h.seats_respond(ResponseTemplate::new(401), None, 1).await;
    let client = h.client();
    client.authenticate().await.expect("token");
    // 200 customers, 8 calls in flight at a time (as the CLI's default concurrency).
    let errors: Vec<Error> = futures::stream::iter(0..200)
        .map(|i| {
            let c = client.clone();
            async move {
                c.tenant_user_seats(format!("customer-{i}"), TenantType::Microsoft365)
                    .send()
                    .await
                    .expect_err("401")
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for error in &errors {
        assert_eq!(error.status(), Some(401), "{error}");
    }
    let (tokens, api) = (h.token_requests().await, h.api_requests().await);
    // One token up front, one forced refresh (at most one more by a call whose first
    // attempt used the refreshed token before the breaker opened); the calls in flight when
    // the breaker opened made their call and their replay.
    assert!(tokens <= 3, "{tokens} token requests");
    assert!(api <= 2 * 8 + 8, "{api} API calls");
    // Later calls fail at once, sending nothing.
    let error = client
        .tenant_user_seats(CUSTOMER, TenantType::Microsoft365)
        .send()
        .await
        .expect_err("fails fast");
    assert_eq!(error.status(), Some(401));
    assert_eq!(h.api_requests().await, api);
    assert_eq!(h.token_requests().await, tokens);
}

#[tokio::test]
async fn credentials_in_urls_are_refused_without_being_repeated() {
    for (base, token) in [
        (
            "http://user:hunter2@graph.example.com",
            "https://id.example/t",
        ),
        (
            "https://graph.example.com",
            "https://user:hunter2@id.example/t",
        ),
        ("http://user:hunter2@127.0.0.1:1", "http://127.0.0.1:1/t"),
    ] {
        let error = Client::builder()
            .api_base_url(base)
            .token_url(token)
            .credentials(Credentials::client_secret("app", "secret"))
            .build()
            .expect_err("refused");
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("user info"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
