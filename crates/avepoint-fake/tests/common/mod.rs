//! Helpers shared by the integration tests: a plain reqwest client, token requests, and
//! RS256 client assertions built by hand (rsa + base64), independent of the server code.
#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used)]

use std::time::{SystemTime, UNIX_EPOCH};

use avepoint_fake::{FakeConfig, FakeServer, demo};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{Value, json};
use sha2::Sha256;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const OTHER_KEY_PEM: &str = include_str!("../fixtures/other-key.pem");

pub async fn start() -> FakeServer {
    start_with(FakeConfig::demo()).await
}

pub async fn start_with(config: FakeConfig) -> FakeServer {
    FakeServer::start(config).await.expect("server starts")
}

/// A client shared by the tests of one binary (building one is slow in debug builds).
/// Each test talks to its own server, so pooled connections are never shared across tests.
pub fn http() -> reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(fresh_http).clone()
}

/// A new client with its own connection pool.
pub fn fresh_http() -> reqwest::Client {
    avepoint_graph_raw::http_client_builder()
        .no_proxy()
        .build()
        .expect("client")
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// POSTs `fields` form-urlencoded to the token endpoint.
pub async fn token_request(server: &FakeServer, fields: &[(&str, &str)]) -> reqwest::Response {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    http()
        .post(server.token_url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request sent")
}

/// A token for the demo secret client (all its default scopes).
pub async fn demo_token(server: &FakeServer) -> String {
    token_for(server, demo::CLIENT_ID, demo::CLIENT_SECRET).await
}

pub async fn token_for(server: &FakeServer, client_id: &str, secret: &str) -> String {
    let response = token_request(
        server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", client_id),
            ("client_secret", secret),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Signs `header` and `claims` as an RS256 JWS with the PKCS#8 PEM key `key_pem`.
pub fn sign_jwt(header: &Value, claims: &Value, key_pem: &str) -> String {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    let signing_input = format!("{}.{}", b64(header), b64(claims));
    let der = pem_body(key_pem, "PRIVATE KEY");
    let key = rsa::PrivateKey::from_pkcs8_der(&der).unwrap();
    let signature = SigningKey::<Sha256>::new(key).sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

pub fn pem_body(pem: &str, label: &str) -> Vec<u8> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).unwrap() + begin.len();
    let stop = pem[start..].find(&end).unwrap() + start;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    STANDARD.decode(b64).unwrap()
}

/// The SHA-1 thumbprint of the demo certificate, base64url (computed here independently).
pub fn demo_x5t() -> String {
    use sha1::Digest as _;
    URL_SAFE_NO_PAD.encode(sha1::Sha1::digest(pem_body(demo::CERT_PEM, "CERTIFICATE")))
}

pub fn demo_header() -> Value {
    json!({"alg": "RS256", "typ": "JWT", "x5t": demo_x5t()})
}

/// Valid claims for the demo certificate client and `aud`.
pub fn demo_claims(aud: &str, jti: &str) -> Value {
    let now = now();
    json!({
        "iss": demo::CERT_CLIENT_ID,
        "sub": demo::CERT_CLIENT_ID,
        "aud": aud,
        "jti": jti,
        "iat": now,
        "nbf": now,
        "exp": now + 300,
    })
}

/// POSTs a client assertion for the demo certificate client.
pub async fn assertion_request(server: &FakeServer, jwt: &str) -> reqwest::Response {
    token_request(
        server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CERT_CLIENT_ID),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", jwt),
            ("scope", demo::SCOPE_LICENSE_READ_ALL),
        ],
    )
    .await
}

/// POSTs to the seats endpoint (the customer id is percent-encoded by the path builder).
pub async fn seats(
    server: &FakeServer,
    token: Option<&str>,
    customer: &str,
    tenant_type: &str,
    body: Option<&str>,
) -> reqwest::Response {
    let path = avepoint_fake::seats::seats_path(customer, 0)
        .replace("/type/0/", &format!("/type/{tenant_type}/"));
    let mut request = http().post(format!("{}{path}", server.base_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    request.send().await.expect("seats request sent")
}

pub const CONTOSO: &str = "f162a7c1-b9d4-4e0b-a165-97db3c2afc15";

/// POSTs to `path` (already encoded) with `query`, an optional bearer token and an optional
/// JSON body.
pub async fn post_api(
    server: &FakeServer,
    token: Option<&str>,
    path: &str,
    query: &str,
    body: Option<&str>,
) -> reqwest::Response {
    let mut url = format!("{}{path}", server.base_url());
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    let mut request = http().post(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    request.send().await.expect("API request sent")
}

/// POSTs to the customers listing.
pub async fn customers(
    server: &FakeServer,
    token: Option<&str>,
    query: &str,
    body: Option<&str>,
) -> reqwest::Response {
    post_api(
        server,
        token,
        avepoint_fake::customers::CUSTOMERS_ROUTE,
        query,
        body,
    )
    .await
}

/// POSTs to the paginated seats report of `customer` (percent-encoded) and `tenant_type`.
pub async fn tenants_batch(
    server: &FakeServer,
    token: Option<&str>,
    customer: &str,
    tenant_type: &str,
    query: &str,
    body: Option<&str>,
) -> reqwest::Response {
    let path = avepoint_fake::tenants_batch::tenants_batch_path(customer, 0)
        .replace("/type/0/", &format!("/type/{tenant_type}/"));
    post_api(server, token, &path, query, body).await
}
