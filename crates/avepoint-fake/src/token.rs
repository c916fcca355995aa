//! `POST /connect/token`: the OAuth 2.0 client credentials grant, with a client secret
//! (form fields or HTTP Basic) or an RS256 JWT client assertion; and the store of issued
//! access tokens and seen assertion ids.
//!
//! Errors follow RFC 6749 §5.2: `400` with `invalid_request`, `unsupported_grant_type` or
//! `invalid_scope`, and `401` with `invalid_client` for missing or wrong client
//! credentials (including a replayed assertion `jti`).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::assertion::{self, AssertionPolicy};
use crate::clients::ClientCredential;
use crate::responses::{json, no_store, oauth_error};
use crate::server::Shared;

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/connect/token";
/// The only supported `client_assertion_type`.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An issued access token.
#[derive(Clone, Debug)]
pub(crate) struct IssuedToken {
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) expires_at: Instant,
}

/// Issued tokens and seen assertion ids.
#[derive(Debug)]
pub(crate) struct TokenStore {
    tokens: Mutex<HashMap<String, IssuedToken>>,
    seen_jtis: Mutex<HashMap<(String, String), u64>>,
    lifetime: Mutex<Duration>,
}

/// Sweep expired entries once a map has this many.
const SWEEP_AT: usize = 10_000;

impl TokenStore {
    pub(crate) fn new(lifetime: Duration) -> Self {
        Self {
            tokens: Mutex::default(),
            seen_jtis: Mutex::default(),
            lifetime: Mutex::new(lifetime),
        }
    }

    pub(crate) fn lifetime(&self) -> Duration {
        *self.lifetime.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_lifetime(&self, lifetime: Duration) {
        *self.lifetime.lock().unwrap_or_else(|e| e.into_inner()) = lifetime;
    }

    /// Issues a new random opaque token.
    fn issue(&self, client_id: &str, scopes: Vec<String>) -> (String, Duration) {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = URL_SAFE_NO_PAD.encode(bytes);
        let lifetime = self.lifetime();
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        if tokens.len() >= SWEEP_AT {
            tokens.retain(|_, t| t.expires_at > now);
        }
        tokens.insert(
            token.clone(),
            IssuedToken {
                client_id: client_id.to_owned(),
                scopes,
                expires_at: now + lifetime,
            },
        );
        (token, lifetime)
    }

    /// The token `token`, if it was issued (expired or not).
    pub(crate) fn lookup(&self, token: &str) -> Option<IssuedToken> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned()
    }

    /// Makes every issued token expired.
    pub(crate) fn expire_all(&self) {
        let now = Instant::now();
        for t in self
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values_mut()
        {
            t.expires_at = now;
        }
    }

    /// Number of issued tokens that have not expired.
    pub(crate) fn live_tokens(&self) -> usize {
        let now = Instant::now();
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|t| t.expires_at > now)
            .count()
    }

    /// Records `jti` of `client_id`; `false` if it was seen before.
    fn first_use(&self, client_id: &str, jti: &str, expires_at: u64, now: u64) -> bool {
        let mut seen = self.seen_jtis.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= SWEEP_AT {
            // Entries are kept well past their expiry: exp is checked with skew.
            seen.retain(|_, exp| *exp + 3600 > now);
        }
        seen.insert((client_id.to_owned(), jti.to_owned()), expires_at)
            .is_none()
    }
}

/// The successful token response (RFC 6749 §5.1).
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
    token_type: &'static str,
    scope: String,
}

/// How the client authenticated.
enum Credentials<'a> {
    Secret(&'a str),
    Assertion(&'a str),
}

/// Handles `POST /connect/token`.
pub(crate) async fn issue(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = match body {
        Ok(body) => handle(&shared, &uri, &headers, &body),
        Err(e) => Err(invalid_request(format!("unreadable request body: {e}"))),
    };
    match result {
        Ok(response) => response,
        Err(rejection) => {
            tracing::debug!(error = rejection.error, reason = %rejection.description, "token request rejected");
            let mut response =
                oauth_error(rejection.status, rejection.error, rejection.description);
            if rejection.basic_challenge {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"avepoint-fake\""),
                );
            }
            response
        }
    }
}

struct Rejection {
    status: StatusCode,
    error: &'static str,
    description: String,
    basic_challenge: bool,
}

fn invalid_request(description: impl Into<String>) -> Rejection {
    Rejection {
        status: StatusCode::BAD_REQUEST,
        error: "invalid_request",
        description: description.into(),
        basic_challenge: false,
    }
}

fn invalid_client(description: impl Into<String>) -> Rejection {
    Rejection {
        status: StatusCode::UNAUTHORIZED,
        error: "invalid_client",
        description: description.into(),
        basic_challenge: false,
    }
}

fn handle(
    shared: &Shared,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Response, Rejection> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(invalid_request(
            "the token request must be application/x-www-form-urlencoded",
        ));
    }
    let mut form: HashMap<String, String> = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if form.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(invalid_request(format!("the parameter `{k}` is repeated")));
        }
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());

    match field("grant_type") {
        None => return Err(invalid_request("grant_type is required")),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(Rejection {
                status: StatusCode::BAD_REQUEST,
                error: "unsupported_grant_type",
                description: format!(
                    "the grant type `{other}` is not supported (use client_credentials)"
                ),
                basic_challenge: false,
            });
        }
    }

    // Client authentication: HTTP Basic, client_secret, or a JWT assertion - exactly one.
    let basic = basic_credentials(headers);
    let basic_used = basic.is_some();
    let with_challenge = |mut r: Rejection| {
        r.basic_challenge = basic_used && r.status == StatusCode::UNAUTHORIZED;
        r
    };
    let secret = field("client_secret");
    let assertion_type = field("client_assertion_type");
    let assertion = field("client_assertion");
    let methods = usize::from(basic.is_some())
        + usize::from(secret.is_some())
        + usize::from(assertion.is_some() || assertion_type.is_some());
    if methods > 1 {
        return Err(invalid_request(
            "use exactly one client authentication method",
        ));
    }
    let (client_id, credentials) = match (&basic, secret, assertion_type, assertion) {
        (Some((id, secret)), ..) => {
            if field("client_id").is_some_and(|form_id| form_id != id) {
                return Err(invalid_request(
                    "client_id differs from the HTTP Basic user",
                ));
            }
            (id.as_str(), Some(Credentials::Secret(secret.as_str())))
        }
        (None, Some(secret), ..) => (
            field("client_id").unwrap_or(""),
            Some(Credentials::Secret(secret)),
        ),
        (None, None, Some(JWT_BEARER_ASSERTION_TYPE), Some(jwt)) => (
            field("client_id").unwrap_or(""),
            Some(Credentials::Assertion(jwt)),
        ),
        (None, None, Some(JWT_BEARER_ASSERTION_TYPE), None) => {
            return Err(invalid_request(
                "client_assertion is required with client_assertion_type",
            ));
        }
        (None, None, Some(_), _) => {
            return Err(invalid_client(format!(
                "unsupported client_assertion_type (use {JWT_BEARER_ASSERTION_TYPE})"
            )));
        }
        (None, None, None, Some(_)) => {
            return Err(invalid_request(
                "client_assertion_type is required with client_assertion",
            ));
        }
        (None, None, None, None) => (field("client_id").unwrap_or(""), None),
    };
    if client_id.is_empty() {
        return Err(with_challenge(invalid_client("client_id is required")));
    }
    let Some(client) = shared.clients.get(client_id) else {
        return Err(with_challenge(invalid_client("unknown client")));
    };
    match (credentials, &client.credential) {
        (None, _) => {
            return Err(invalid_client(
                "no client credentials (client_secret or client_assertion)",
            ));
        }
        (Some(Credentials::Secret(given)), ClientCredential::Secret(expected)) => {
            if Sha256::digest(given.as_bytes()) != Sha256::digest(expected.as_bytes()) {
                return Err(with_challenge(invalid_client("invalid client secret")));
            }
        }
        (Some(Credentials::Secret(_)), ClientCredential::Certificate(_)) => {
            return Err(with_challenge(invalid_client(
                "this client authenticates with a certificate (client_assertion)",
            )));
        }
        (Some(Credentials::Assertion(_)), ClientCredential::Secret(_)) => {
            return Err(invalid_client(
                "this client authenticates with a client secret",
            ));
        }
        (Some(Credentials::Assertion(jwt)), ClientCredential::Certificate(cert)) => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let policy = AssertionPolicy {
                audiences: audiences(shared, uri, headers),
                now,
                clock_skew: shared.clock_skew,
                max_lifetime: shared.max_assertion_lifetime,
            };
            let verified =
                assertion::verify(jwt, client_id, cert, &policy).map_err(invalid_client)?;
            if !shared
                .tokens
                .first_use(client_id, &verified.jti, verified.expires_at, now)
            {
                return Err(invalid_client(
                    "the client assertion jti was already used (replay)",
                ));
            }
        }
    }

    let requested: Vec<String> = match field("scope") {
        None => client.default_scopes.clone(),
        Some(scope) => {
            let mut seen = HashSet::new();
            scope
                .split_ascii_whitespace()
                .filter(|s| seen.insert(*s))
                .map(str::to_owned)
                .collect()
        }
    };
    let refused: Vec<&str> = requested
        .iter()
        .filter(|s| !client.allowed_scopes.contains(s))
        .map(String::as_str)
        .collect();
    if !refused.is_empty() || requested.is_empty() {
        return Err(Rejection {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_scope",
            description: if refused.is_empty() {
                "no scope requested and the client has no default scope".to_owned()
            } else {
                format!("scope not allowed for this client: {}", refused.join(" "))
            },
            basic_challenge: false,
        });
    }

    let scope = requested.join(" ");
    let (access_token, lifetime) = shared.tokens.issue(client_id, requested);
    crate::counters::Counters::bump(&shared.counters.tokens_issued);
    tracing::debug!(client_id, scope, "access token issued");
    let mut response = json(
        StatusCode::OK,
        &TokenResponse {
            access_token,
            expires_in: lifetime.as_secs(),
            token_type: "Bearer",
            scope,
        },
    );
    no_store(&mut response);
    Ok(response)
}

/// The `(client_id, client_secret)` of an `Authorization: Basic` header (RFC 6749 §2.3.1:
/// both form-urlencoded before base64).
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let unescape = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((unescape(id)?, unescape(secret)?))
}

/// The accepted assertion audiences: the token URL under the server's base URL and under the
/// host the request was sent to.
fn audiences(shared: &Shared, uri: &Uri, headers: &HeaderMap) -> Vec<String> {
    let mut list = vec![format!("{}{TOKEN_PATH}", shared.base_url)];
    let host = uri.authority().map(|a| a.as_str().to_owned()).or_else(|| {
        headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned)
    });
    if let Some(host) = host {
        let url = format!("http://{host}{TOKEN_PATH}");
        if !list.contains(&url) {
            list.push(url);
        }
    }
    list
}
