//! The OAuth 2.0 client credentials flow against a real identity service on loopback
//! (wiremock), through the public API: a `Client` built with a client secret or a
//! certificate, `Client::authenticate` and a seats call. What is checked is what the identity
//! service receives (form, assertion, headers), how its answers become typed errors, and that
//! no credential or token leaks into errors, `Debug` or logs.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use avepoint_graph::{
    Client, ClientBuilder, ClientCertificate, Credentials, Error, LICENSE_READ_SCOPE, RetryPolicy,
    Secret, TenantType,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Captured, TestClock};
use rsa::pkcs8::DecodePublicKey as _;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
use x509_cert::der::{DecodePem as _, Encode as _};

const SECRET: &str = "s3cr3t-V@lue+with/specials=";
const CLIENT_ID: &str = "demo-secret-client";
const CERT_CLIENT_ID: &str = "demo-cert-client";
const DEMO_CERT: &str = include_str!("../../avepoint-fake/fixtures/demo-cert.pem");
const DEMO_PFX: &[u8] = include_bytes!("../../avepoint-fake/fixtures/demo.pfx");
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SEATS: &str =
    r"^/partner/external/v3/general/customers/[^/]+/3rd-party-products/type/0/users$";

fn token_url(server: &MockServer) -> String {
    format!("{}/connect/token", server.uri())
}

/// A client of `server` with `credentials`, asking for two scopes, whose retry waits are
/// recorded instead of slept.
fn builder(server: &MockServer, credentials: Credentials) -> (ClientBuilder, Arc<TestClock>) {
    let sleeper = Arc::new(TestClock::new());
    let builder = Client::builder()
        .api_base_url(server.uri())
        .token_url(token_url(server))
        .credentials(credentials)
        .scopes([LICENSE_READ_SCOPE, "elements.tenant.read"])
        .clock(sleeper.clone())
        .retry_policy(RetryPolicy::default());
    (builder, sleeper)
}

fn secret_credentials() -> Credentials {
    Credentials::client_secret(CLIENT_ID, SECRET)
}

fn demo_certificate() -> ClientCertificate {
    ClientCertificate::from_pkcs12(DEMO_PFX, &Secret::new("demo-password")).expect("demo.pfx loads")
}

fn cert_credentials() -> Credentials {
    Credentials::certificate(CERT_CLIENT_ID, demo_certificate())
}

fn secret_client(server: &MockServer) -> (Client, Arc<TestClock>) {
    let (builder, sleeper) = builder(server, secret_credentials());
    (builder.build().expect("client builds"), sleeper)
}

fn cert_client(server: &MockServer) -> (Client, Arc<TestClock>) {
    let (builder, sleeper) = builder(server, cert_credentials());
    (builder.build().expect("client builds"), sleeper)
}

fn token_body(expires_in: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "access_token": "issued-token-value",
        "expires_in": expires_in,
        "token_type": "Bearer",
        "scope": "elements.license.read.all",
    })
}

fn form(request: &Request) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

/// What the identity service received, in a stable, reviewable shape: credentials redacted,
/// form fields sorted.
fn recorded(request: &Request) -> serde_json::Value {
    let fields: BTreeMap<String, String> = form(request)
        .into_iter()
        .map(|(k, v)| {
            let v = if k == "client_secret" || k == "client_assertion" {
                "[redacted]".to_owned()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    serde_json::json!({
        "method": request.method.as_str(),
        "path": request.url.path(),
        "query": request.url.query(),
        "content-type": header("content-type"),
        "accept": header("accept"),
        "authorization": header("authorization"),
        "form": fields,
    })
}

/// The requests the identity service received (the API's are left out).
async fn token_requests(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("recording is on")
        .into_iter()
        .filter(|r| r.url.path() == "/connect/token")
        .collect()
}

/// The error with its causes, each once, as anyhow's `{:#}` prints them.
fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn display(error: &Error, server: &MockServer) -> String {
    chain(error).replace(&server.uri(), "http://[server]")
}

/// The registered certificate's public key.
fn demo_public_key() -> rsa::PublicKey {
    let cert = x509_cert::Certificate::from_pem(DEMO_CERT.as_bytes()).expect("demo cert");
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .expect("spki");
    rsa::PublicKey::from_public_key_der(&spki).expect("RSA key")
}

/// The header and claims of an RS256 compact JWS that verifies with `public_key`.
fn verify_jws(
    jwt: &str,
    public_key: &rsa::PublicKey,
) -> Result<(serde_json::Value, serde_json::Value), String> {
    let parts: Vec<&str> = jwt.split('.').collect();
    if parts.len() != 3 {
        return Err("not a compact JWS".into());
    }
    let signature = URL_SAFE_NO_PAD
        .decode(parts[2])
        .map_err(|e| e.to_string())?;
    public_key
        .pkcs1v15_verify::<rsa::sha2::Sha256>(
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &signature,
        )
        .map_err(|e| format!("signature: {e}"))?;
    let decode = |part: &str| -> Result<serde_json::Value, String> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())
    };
    Ok((decode(parts[0])?, decode(parts[1])?))
}

/// The identity service's side of the certificate flow: accepts the request only if the
/// client assertion verifies with the registered certificate and its claims are right.
struct AssertionChecker {
    public_key: rsa::PublicKey,
    token_url: String,
}

impl AssertionChecker {
    fn new(token_url: String) -> Self {
        Self {
            public_key: demo_public_key(),
            token_url,
        }
    }

    fn check(&self, request: &Request) -> Result<(), String> {
        let form = form(request);
        if form.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER) {
            return Err("wrong client_assertion_type".into());
        }
        if form.contains_key("client_secret") {
            return Err("a secret was sent with an assertion".into());
        }
        let jwt = form.get("client_assertion").ok_or("no client_assertion")?;
        let (_, claims) = verify_jws(jwt, &self.public_key)?;
        let client_id = form
            .get("client_id")
            .map(String::as_str)
            .unwrap_or_default();
        if claims["iss"] != client_id || claims["sub"] != client_id {
            return Err("iss/sub is not the client id".into());
        }
        if claims["aud"] != self.token_url.as_str() {
            return Err(format!("aud {} is not the token URL", claims["aud"]));
        }
        let now = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let (nbf, exp) = (
            claims["nbf"].as_u64().unwrap_or(u64::MAX),
            claims["exp"].as_u64().unwrap_or(0),
        );
        if nbf > now + 5 || exp < now {
            return Err("assertion not valid now".into());
        }
        Ok(())
    }
}

impl Respond for AssertionChecker {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match self.check(request) {
            Ok(()) => ResponseTemplate::new(200).set_body_json(token_body(3599.into())),
            Err(why) => ResponseTemplate::new(401).set_body_json(
                serde_json::json!({ "error": "invalid_client", "error_description": why }),
            ),
        }
    }
}

fn assertion_of(request: &Request) -> (serde_json::Value, serde_json::Value) {
    let form = form(request);
    verify_jws(
        form.get("client_assertion").expect("assertion"),
        &demo_public_key(),
    )
    .expect("the assertion verifies with the certificate's public key")
}

/// Answers the seats route with an empty list, only for the bearer token `token`.
async fn seats_for_token(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path_regex(SEATS))
        .and(header("authorization", format!("Bearer {token}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(server)
        .await;
}

#[tokio::test]
async fn secret_flow_gets_a_token_and_sends_it_to_the_api() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(1800.into())))
        .expect(1)
        .mount(&server)
        .await;
    seats_for_token(&server, "issued-token-value").await;
    let (client, sleeper) = secret_client(&server);
    let seats = client
        .tenant_user_seats("c1", TenantType::Microsoft365)
        .send()
        .await
        .expect("the API accepted the issued token");
    assert!(seats.is_empty());
    assert!(sleeper.waits().is_empty());

    let received = token_requests(&server).await;
    let fields = form(&received[0]);
    assert_eq!(
        fields.get("client_secret").map(String::as_str),
        Some(SECRET),
        "the secret survives form encoding"
    );
    assert_eq!(
        fields.get("scope").map(String::as_str),
        Some("elements.license.read.all elements.tenant.read")
    );
    insta::assert_json_snapshot!("token_request_client_secret", recorded(&received[0]));
}

#[tokio::test]
async fn certificate_flow_sends_a_verifiable_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(AssertionChecker::new(token_url(&server)))
        .mount(&server)
        .await;
    // Two clients, so two token requests with two assertions.
    cert_client(&server)
        .0
        .authenticate()
        .await
        .expect("the server accepted the assertion");
    cert_client(&server)
        .0
        .authenticate()
        .await
        .expect("second token");

    let received = token_requests(&server).await;
    assert_eq!(received.len(), 2);
    let (header, claims) = assertion_of(&received[0]);
    let (_, claims2) = assertion_of(&received[1]);
    assert_ne!(claims["jti"], claims2["jti"], "a fresh jti per request");
    let jti = claims["jti"].as_str().expect("jti");
    let parsed = uuid::Uuid::try_parse(jti).expect("the jti is a UUID");
    assert_eq!(parsed.get_version(), Some(uuid::Version::Random), "{jti}");
    assert_eq!(parsed.hyphenated().to_string(), jti);
    assert_eq!(
        header["kid"],
        demo_certificate().thumbprint_sha1_hex().as_str()
    );
    assert_eq!(
        claims["exp"].as_u64().expect("exp") - claims["iat"].as_u64().expect("iat"),
        300
    );

    insta::assert_json_snapshot!("token_request_certificate", recorded(&received[0]));
    let mut decoded = serde_json::json!({ "header": header, "claims": claims });
    let aud = decoded["claims"]["aud"]
        .as_str()
        .expect("aud")
        .replace(&server.uri(), "http://[server]");
    decoded["claims"]["aud"] = aud.into();
    insta::assert_json_snapshot!(
        "token_request_certificate_assertion",
        decoded,
        {
            ".header.x5t" => "[x5t]",
            ".header.kid" => "[thumbprint]",
            ".claims.jti" => "[jti]",
            ".claims.iat" => "[iat]",
            ".claims.nbf" => "[nbf]",
            ".claims.exp" => "[exp]",
        }
    );
}

#[tokio::test]
async fn the_assertion_checker_rejects_a_wrong_audience() {
    // Proves the server side of the certificate test is not a rubber stamp.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(AssertionChecker::new(
            "https://elsewhere.example/connect/token".to_owned(),
        ))
        .mount(&server)
        .await;
    let error = cert_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(401));
}

#[tokio::test]
async fn invalid_client_is_an_authentication_error_and_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("x-request-id", "req-7f3a")
                .set_body_json(serde_json::json!({
                    "error": "invalid_client",
                    "error_description": "Client authentication failed",
                })),
        )
        .mount(&server)
        .await;
    let (client, sleeper) = secret_client(&server);
    let error = client.authenticate().await.expect_err("refused");
    let Error::Authentication(auth) = &error else {
        panic!("unexpected {error:?}")
    };
    assert_eq!(auth.status, Some(401));
    assert_eq!(auth.error.as_deref(), Some("invalid_client"));
    assert_eq!(
        auth.error_description.as_deref(),
        Some("Client authentication failed")
    );
    assert_eq!(auth.request_id.as_deref(), Some("req-7f3a"));
    assert_eq!(auth.token_url, token_url(&server));
    assert_eq!(token_requests(&server).await.len(), 1);
    assert!(sleeper.waits().is_empty());
    insta::assert_snapshot!("error_invalid_client", display(&error, &server));
}

#[tokio::test]
async fn invalid_scope_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({ "error": "invalid_scope" })),
        )
        .mount(&server)
        .await;
    let error = secret_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, Error::Authentication(a) if a.error.as_deref() == Some("invalid_scope") && a.status == Some(400))
    );
    assert!(!error.is_transient());
    assert_eq!(token_requests(&server).await.len(), 1);
    insta::assert_snapshot!("error_invalid_scope", display(&error, &server));
}

#[tokio::test]
async fn a_503_is_retried_with_a_fresh_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/connect/token"))
        .respond_with(AssertionChecker::new(token_url(&server)))
        .mount(&server)
        .await;
    seats_for_token(&server, "issued-token-value").await;
    let (client, sleeper) = cert_client(&server);
    client
        .tenant_user_seats("c1", TenantType::Microsoft365)
        .send()
        .await
        .expect("the second token attempt succeeds and its token is used");
    let received = token_requests(&server).await;
    assert_eq!(received.len(), 2);
    assert_ne!(
        assertion_of(&received[0]).1["jti"],
        assertion_of(&received[1]).1["jti"]
    );
    let waits = sleeper.waits();
    assert_eq!(waits.len(), 1, "one backoff, recorded not slept");
    assert!(waits[0] < RetryPolicy::default().backoff_ceiling(1));
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "7")
                .set_body_json(serde_json::json!({ "error": "slow_down" })),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(3600.into())))
        .mount(&server)
        .await;
    let (client, sleeper) = secret_client(&server);
    client.authenticate().await.expect("token after the wait");
    assert_eq!(sleeper.waits(), vec![Duration::from_secs(7)]);
}

#[tokio::test]
async fn persistent_5xx_ends_in_retries_exhausted() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("<html>upstream exploded</html>"))
        .mount(&server)
        .await;
    let (builder, sleeper) = builder(&server, secret_credentials());
    let client = builder
        .retry_policy(RetryPolicy::default().max_attempts(3))
        .build()
        .expect("client builds");
    let error = client.authenticate().await.expect_err("gives up");
    assert!(
        matches!(&error, Error::RetriesExhausted { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(error.is_authentication());
    assert_eq!(token_requests(&server).await.len(), 3);
    assert_eq!(sleeper.waits().len(), 2);
    let text = display(&error, &server);
    let text = text.split(" in ").next().unwrap_or_default().to_owned()
        + " in [elapsed]"
        + text
            .split_once(" (")
            .map(|(_, rest)| format!(" ({rest}"))
            .unwrap_or_default()
            .as_str();
    insta::assert_snapshot!("error_retries_exhausted_500", text);
}

#[tokio::test]
async fn malformed_json_is_an_authentication_error_with_detail() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>captive portal</html>"))
        .mount(&server)
        .await;
    let error = secret_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("unusable");
    let Error::Authentication(auth) = &error else {
        panic!("unexpected {error:?}")
    };
    assert_eq!(auth.status, Some(200));
    assert!(
        auth.detail
            .as_deref()
            .is_some_and(|d| d.contains("captive portal")),
        "{auth:?}"
    );
    assert!(!error.is_transient());
    insta::assert_snapshot!("error_malformed_json", display(&error, &server));
}

#[tokio::test]
async fn unusable_token_answers_never_echo_a_token() {
    let cases = [
        (
            r#"{"access_token":"tok-SHOULD-NOT-LEAK","expires_in":36"#,
            "not valid JSON",
        ),
        (
            r#"{"access_token":"tok-SHOULD-NOT-LEAK","token_type":"mac"}"#,
            "only Bearer",
        ),
        (
            r#"{"access_token":"tok-SHOULD-NOT-LEAK","expires_in":"soon"}"#,
            "expires_in",
        ),
        (r#"{"token":"tok-SHOULD-NOT-LEAK"}"#, "no access_token"),
        (r#"["tok-SHOULD-NOT-LEAK"]"#, "not a JSON object"),
    ];
    for (body, expected) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string(body))
            .mount(&server)
            .await;
        let error = secret_client(&server)
            .0
            .authenticate()
            .await
            .expect_err("unusable");
        let text = format!("{error} {error:?}");
        assert!(text.contains(expected), "{body}: {text}");
        assert!(!text.contains("SHOULD-NOT-LEAK"), "{body}: {text}");
        if expected == "only Bearer" {
            insta::assert_snapshot!("error_token_type", display(&error, &server));
        }
    }
}

#[tokio::test]
async fn credentials_echoed_by_the_server_are_scrubbed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
            "error": "invalid_client",
            "error_description": format!("secret {SECRET} is not valid"),
        })))
        .mount(&server)
        .await;
    let error = secret_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    let text = format!("{error} {error:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("secret [redacted] is not valid"), "{text}");

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(|request: &Request| {
            let body = String::from_utf8_lossy(&request.body).into_owned();
            ResponseTemplate::new(400).set_body_string(format!("bad request: {body}"))
        })
        .mount(&server)
        .await;
    let error = cert_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    let assertion = form(&token_requests(&server).await[0])
        .remove("client_assertion")
        .expect("sent");
    let text = format!("{error} {error:?}");
    let encoded: String = url::form_urlencoded::byte_serialize(assertion.as_bytes()).collect();
    assert!(
        !text.contains(&assertion) && !text.contains(&encoded),
        "{text}"
    );
}

#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(256 * 1024 + 10)))
        .mount(&server)
        .await;
    let error = secret_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    assert!(error.to_string().contains("larger than 256 KiB"), "{error}");
    assert!(error.to_string().len() < 1024, "{error}");
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("location", "https://attacker.example/connect/token"),
        )
        .mount(&server)
        .await;
    let error = secret_client(&server)
        .0
        .authenticate()
        .await
        .expect_err("refused");
    assert_eq!(error.status(), Some(307));
    assert_eq!(token_requests(&server).await.len(), 1);
    insta::assert_snapshot!("error_redirect", display(&error, &server));
}

#[tokio::test]
async fn transport_failures_are_transport_errors() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let client = Client::builder()
        .api_base_url(format!("http://127.0.0.1:{port}"))
        .token_url(format!("http://127.0.0.1:{port}/connect/token"))
        .credentials(secret_credentials())
        .scopes([LICENSE_READ_SCOPE, "elements.tenant.read"])
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client builds");
    let error = client.authenticate().await.expect_err("nothing listens");
    let Error::Transport { url, timed_out, .. } = &error else {
        panic!("unexpected {error:?}")
    };
    assert_eq!(url, &format!("http://127.0.0.1:{port}/connect/token"));
    assert!(!timed_out);
    assert!(error.is_transient());
    let text = format!("{error} {error:?}");
    assert!(!text.contains(SECRET), "{text}");
    insta::assert_snapshot!(
        "error_transport",
        chain(&error).replace(&port.to_string(), "[port]")
    );
}

#[tokio::test]
async fn a_slow_identity_service_times_out_as_a_transport_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let http = avepoint_graph::raw::http_client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(100))
        .build()
        .expect("HTTP client");
    let (builder, _) = builder(&server, secret_credentials());
    let client = builder
        .http_client(http)
        .retry_policy(RetryPolicy::disabled())
        .build()
        .expect("client builds");
    let error = client.authenticate().await.expect_err("times out");
    assert!(
        matches!(
            error,
            Error::Transport {
                timed_out: true,
                ..
            }
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn trace_logs_show_the_attempts_but_no_credential_or_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).insert_header("x-request-id", "req-503"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(AssertionChecker::new(token_url(&server)))
        .mount(&server)
        .await;
    cert_client(&server).0.authenticate().await.expect("token");
    let secret_server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(token_body(3600.into())))
        .mount(&secret_server)
        .await;
    secret_client(&secret_server)
        .0
        .authenticate()
        .await
        .expect("token");

    let logs = captured.text();
    assert!(logs.contains("token request"), "{logs}");
    // Only INFO/WARN lines are asserted on: with tests running in parallel threads without
    // a subscriber, tracing may have cached DEBUG callsites as disabled.
    assert!(logs.contains("attempt=1"), "{logs}");
    assert!(logs.contains("req-503"), "{logs}");
    assert!(logs.contains("access token issued"), "{logs}");
    let mut forbidden = vec![SECRET.to_owned(), "issued-token-value".to_owned()];
    for request in token_requests(&server).await {
        let jwt = form(&request)
            .remove("client_assertion")
            .expect("assertion");
        forbidden.extend(jwt.split('.').map(str::to_owned));
    }
    for secret in forbidden {
        assert!(
            !logs.contains(&secret),
            "`{secret}` leaked into the logs:\n{logs}"
        );
    }
}

#[tokio::test]
async fn debug_of_the_client_shows_no_credentials() {
    let server = MockServer::start().await;
    let text = format!(
        "{:?} {:?} {:?} {:?}",
        secret_client(&server).0,
        cert_client(&server).0,
        secret_credentials(),
        cert_credentials()
    );
    assert!(!text.contains(SECRET), "{text}");
    assert!(!text.contains("PRIVATE"), "{text}");
    assert!(!text.contains("demo-password"), "{text}");
    assert!(text.contains("redacted"), "{text}");
}
