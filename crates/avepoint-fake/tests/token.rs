//! `POST /connect/token` over real HTTP: client secrets, HTTP Basic, JWT client assertions,
//! OAuth errors.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use avepoint_fake::{FakeConfig, RegisteredClient, demo};
use base64::Engine as _;
use common::*;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn secret_grant_returns_a_bearer_token_with_default_scopes() {
    let server = start().await;
    let response = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    )
    .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("x-request-id"));
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(
        body["scope"],
        "elements.license.read.all elements.customers.read.all"
    );
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() >= 32);
    assert_eq!(server.counters().tokens_issued, 1);
    assert_eq!(server.control().live_tokens(), 1);
}

#[tokio::test]
async fn requested_scope_is_granted_and_tokens_are_distinct() {
    let server = start().await;
    let fields = [
        ("grant_type", "client_credentials"),
        ("client_id", demo::CLIENT_ID),
        ("client_secret", demo::CLIENT_SECRET),
        ("scope", demo::SCOPE_LICENSE_READ_ALL),
    ];
    let (_, a) = json_of(token_request(&server, &fields).await).await;
    let (_, b) = json_of(token_request(&server, &fields).await).await;
    assert_eq!(a["scope"], demo::SCOPE_LICENSE_READ_ALL);
    assert_ne!(a["access_token"], b["access_token"]);
}

#[tokio::test]
async fn token_lifetime_is_configurable() {
    let server = start_with(FakeConfig::demo().with_token_lifetime(Duration::from_secs(120))).await;
    let (_, body) = json_of(
        token_request(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(body["expires_in"], 120);
}

#[tokio::test]
async fn http_basic_client_authentication_works() {
    let server = start().await;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        demo::CLIENT_ID,
        demo::CLIENT_SECRET
    ));
    let response = http()
        .post(server.token_url())
        .header("authorization", format!("Basic {basic}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let wrong = base64::engine::general_purpose::STANDARD.encode("demo-client:nope");
    let response = http()
        .post(server.token_url())
        .header("authorization", format!("Basic {wrong}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn wrong_or_missing_credentials_are_invalid_client() {
    let server = start().await;
    for fields in [
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
            ("client_secret", "wrong"),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", "nobody"),
            ("client_secret", demo::CLIENT_SECRET),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_secret", demo::CLIENT_SECRET),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", demo::CLIENT_ID),
        ],
        vec![
            ("grant_type", "client_credentials"),
            ("client_id", demo::CERT_CLIENT_ID),
            ("client_secret", demo::CLIENT_SECRET),
        ],
    ] {
        let (status, body) = json_of(token_request(&server, &fields).await).await;
        assert_eq!(status, 401, "{fields:?}");
        assert_eq!(body["error"], "invalid_client", "{fields:?}");
        assert!(body["error_description"].is_string());
        let text = body.to_string();
        assert!(!text.contains(demo::CLIENT_SECRET), "no secret echoed");
    }
    assert_eq!(server.counters().tokens_issued, 0);
}

#[tokio::test]
async fn grant_type_and_request_shape_errors() {
    let server = start().await;
    let (status, body) = json_of(
        token_request(
            &server,
            &[
                ("grant_type", "password"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    let (status, body) = json_of(
        token_request(
            &server,
            &[
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // JSON instead of a form.
    let response = http()
        .post(server.token_url())
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"client_credentials"}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // Two authentication methods at once.
    let (status, body) = json_of(
        token_request(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_secret", demo::CLIENT_SECRET),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", "a.b.c"),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );

    // GET is not allowed.
    let response = http().get(server.token_url()).send().await.unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn unknown_or_unallowed_scope_is_invalid_scope() {
    let server = start().await;
    for (client, scope) in [
        (
            demo::CLIENT_ID,
            "elements.license.read.all elements.everything.write",
        ),
        (demo::LIMITED_CLIENT_ID, demo::SCOPE_LICENSE_READ_ALL),
    ] {
        let (status, body) = json_of(
            token_request(
                &server,
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", client),
                    ("client_secret", demo::CLIENT_SECRET),
                    ("scope", scope),
                ],
            )
            .await,
        )
        .await;
        assert_eq!(status, 400, "{client} {scope}");
        assert_eq!(body["error"], "invalid_scope");
    }
}

#[tokio::test]
async fn jwt_client_assertion_is_accepted() {
    let server = start().await;
    let jwt = sign_jwt(
        &demo_header(),
        &demo_claims(&server.token_url(), "jti-accepted"),
        demo::KEY_PEM,
    );
    let (status, body) = json_of(assertion_request(&server, &jwt).await).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], demo::SCOPE_LICENSE_READ_ALL);

    // Without x5t, and with aud as an array.
    let mut claims = demo_claims(&server.token_url(), "jti-array-aud");
    claims["aud"] = json!(["https://elsewhere.example/", server.token_url()]);
    let jwt = sign_jwt(&json!({"alg": "RS256"}), &claims, demo::KEY_PEM);
    let (status, body) = json_of(assertion_request(&server, &jwt).await).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn replayed_assertion_is_rejected() {
    let server = start().await;
    let jwt = sign_jwt(
        &demo_header(),
        &demo_claims(&server.token_url(), "jti-once"),
        demo::KEY_PEM,
    );
    assert_eq!(assertion_request(&server, &jwt).await.status(), 200);
    let (status, body) = json_of(assertion_request(&server, &jwt).await).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].as_str().unwrap().contains("jti"));
}

#[tokio::test]
async fn bad_assertions_are_invalid_client() {
    let server = start().await;
    let aud = server.token_url();
    let now = now();
    let mut cases: Vec<(&str, String)> = Vec::new();
    let claims_with = |name: &str, value: Value| {
        let mut c = demo_claims(&aud, &format!("jti-{name}-{value}"));
        if value.is_null() {
            c.as_object_mut().unwrap().remove(name);
        } else {
            c[name] = value;
        }
        c
    };
    let sign = |claims: &Value| sign_jwt(&demo_header(), claims, demo::KEY_PEM);
    cases.push((
        "bad aud",
        sign(&claims_with(
            "aud",
            json!("https://identity.avepointonlineservices.com/connect/token"),
        )),
    ));
    cases.push(("no aud", sign(&claims_with("aud", Value::Null))));
    cases.push(("expired", sign(&claims_with("exp", json!(now - 3600)))));
    cases.push(("no exp", sign(&claims_with("exp", Value::Null))));
    cases.push((
        "exp too far",
        sign(&claims_with("exp", json!(now + 24 * 3600))),
    ));
    cases.push(("nbf in future", sign(&claims_with("nbf", json!(now + 600)))));
    cases.push(("iat in future", sign(&claims_with("iat", json!(now + 600)))));
    cases.push(("no jti", sign(&claims_with("jti", Value::Null))));
    cases.push((
        "wrong iss",
        sign(&claims_with("iss", json!("someone-else"))),
    ));
    cases.push((
        "wrong sub",
        sign(&claims_with("sub", json!("someone-else"))),
    ));
    cases.push((
        "other key",
        sign_jwt(
            &demo_header(),
            &claims_with("jti", json!("k")),
            OTHER_KEY_PEM,
        ),
    ));
    cases.push((
        "wrong x5t",
        sign_jwt(
            &json!({"alg": "RS256", "x5t": "AAAAAAAAAAAAAAAAAAAAAAAAAAA"}),
            &claims_with("jti", json!("x")),
            demo::KEY_PEM,
        ),
    ));
    cases.push((
        "alg HS256",
        sign_jwt(
            &json!({"alg": "HS256"}),
            &claims_with("jti", json!("h")),
            demo::KEY_PEM,
        ),
    ));
    let valid = sign(&claims_with("jti", json!("tampered")));
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let mut claims = claims_with("jti", json!("tampered"));
    claims["exp"] = json!(now + 600);
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&claims).unwrap());
    cases.push(("tampered payload", parts.join(".")));
    cases.push(("not a jwt", "not-a-jwt".to_owned()));
    cases.push(("garbage segments", "###.###.###".to_owned()));

    for (name, jwt) in cases {
        let (status, body) = json_of(assertion_request(&server, &jwt).await).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_eq!(body["error"], "invalid_client", "{name}");
    }
    assert_eq!(server.counters().tokens_issued, 0);
}

#[tokio::test]
async fn assertion_for_a_secret_client_and_unknown_assertion_type_are_refused() {
    let server = start().await;
    let claims = demo_claims(&server.token_url(), "jti-secret-client");
    let jwt = sign_jwt(&demo_header(), &claims, demo::KEY_PEM);
    let (status, body) = json_of(
        token_request(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CLIENT_ID),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &jwt),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _) = json_of(
        token_request(
            &server,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", demo::CERT_CLIENT_ID),
                ("client_assertion_type", "urn:example:saml"),
                ("client_assertion", &jwt),
            ],
        )
        .await,
    )
    .await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn custom_certificate_clients_can_be_registered() {
    let client = RegisteredClient::with_certificate_pem("my-app", demo::COMBINED_PEM)
        .unwrap()
        .with_scopes([demo::SCOPE_LICENSE_READ_ALL]);
    let server = start_with(FakeConfig::demo().with_client(client)).await;
    let mut claims = demo_claims(&server.token_url(), "jti-custom");
    claims["iss"] = json!("my-app");
    claims["sub"] = json!("my-app");
    let jwt = sign_jwt(&demo_header(), &claims, demo::KEY_PEM);
    let response = token_request(
        &server,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "my-app"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &jwt),
        ],
    )
    .await;
    let (status, body) = json_of(response).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], demo::SCOPE_LICENSE_READ_ALL);
}
