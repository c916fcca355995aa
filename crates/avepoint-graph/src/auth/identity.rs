//! The identity service client: the OAuth 2.0 client credentials grant, with a client secret
//! or a certificate-signed client assertion (RFC 7523), retried like every other call.
//!
//! Credentials are only ever sent to the configured token URL, in the form body of a POST;
//! redirects are reported as errors, never followed with the credentials. Nothing secret (the
//! client secret, the assertion, the token) is logged or put into an error: the identity
//! service's answer is cut to a bounded snippet and scrubbed of the credentials it was sent.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use futures::future::BoxFuture;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use tracing::Instrument as _;

use super::certificate::JWT_BEARER_ASSERTION_TYPE;
use super::{AccessToken, ClientCertificate, Secret, TokenProvider};
use crate::error::{AuthenticationError, BODY_SNIPPET_LIMIT, Error, request_id, retry_after};
use crate::redact::Redactor;
use crate::retry::{RetryRuntime, run};

/// The lifetime assumed when the identity service does not say (`expires_in` missing): one
/// hour, what AvePoint documents for its tokens.
pub(crate) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The most of an identity service answer that is read: a token response is a few KiB.
const MAX_TOKEN_RESPONSE: usize = 256 * 1024;

/// How the app proves its identity to the identity service.
#[derive(Clone, Debug)]
pub(crate) enum ClientAuth {
    /// `client_secret` in the form.
    Secret(Secret),
    /// A fresh RS256 `client_assertion` per request.
    Certificate(Arc<ClientCertificate>),
}

impl ClientAuth {
    fn kind(&self) -> &'static str {
        match self {
            Self::Secret(_) => "client_secret",
            Self::Certificate(_) => "certificate",
        }
    }
}

/// Fetches access tokens from the identity service with the client credentials grant.
#[derive(Debug)]
pub(crate) struct IdentityClient {
    token_url: reqwest::Url,
    /// The token URL without user info, query or fragment, for errors and logs.
    display_url: String,
    client_id: String,
    auth: ClientAuth,
    http: reqwest::Client,
    retry: RetryRuntime,
}

impl IdentityClient {
    pub(crate) fn new(
        token_url: reqwest::Url,
        client_id: String,
        auth: ClientAuth,
        http: reqwest::Client,
        retry: RetryRuntime,
    ) -> Self {
        Self {
            display_url: crate::environment::display_url(&token_url),
            token_url,
            client_id,
            auth,
            http,
            retry,
        }
    }

    /// Requests a token for `scopes`, retrying transient failures.
    pub(crate) async fn request_token(&self, scopes: &[String]) -> Result<AccessToken, Error> {
        let scope = scopes.join(" ");
        let span = tracing::info_span!(
            "token request",
            token_url = %self.display_url,
            client_id = %self.client_id,
            auth = self.auth.kind(),
            scope = %scope,
        );
        async {
            let result = run(&self.retry, "token request", &self.display_url, |attempt| {
                self.attempt(&scope, attempt)
            })
            .await;
            match &result {
                Ok(token) => tracing::info!(
                    lifetime_s = token.lifetime().map(|l| l.as_secs()),
                    "access token issued"
                ),
                Err(error) => {
                    tracing::warn!(error = %crate::error::Chain(error), "token request failed")
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    /// One token request: a fresh form (and assertion) every time.
    async fn attempt(&self, scope: &str, attempt: u32) -> Result<AccessToken, Error> {
        let span = tracing::debug_span!(
            "token attempt",
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
        );
        async {
            let (body, credential) = self.form(scope)?;
            let started = Instant::now();
            let response = self
                .http
                .post(self.token_url.clone())
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(ACCEPT, "application/json")
                .body(body)
                .send()
                .await
                .map_err(|e| self.transport_error(e))?;
            let status = response.status();
            let headers = response.headers().clone();
            let (body, truncated) = self.read_body(response).await?;
            let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let request_id = request_id(&headers);
            let span = tracing::Span::current();
            span.record("status", status.as_u16());
            span.record("latency_ms", latency_ms);
            if let Some(id) = &request_id {
                span.record("request_id", id.as_str());
            }
            tracing::debug!(
                status = status.as_u16(),
                latency_ms,
                request_id = request_id.as_deref(),
                "identity service answered"
            );
            // Every credential of this request, in every encoding, is removed from what the
            // identity service sent back, before anything is cut to size.
            let redactor = self.redactor().with(&credential);
            let fail = |error: Option<String>, error_description: Option<String>, detail: Option<String>| {
                let scrub = |s: Option<String>| redactor.scrub_opt(s);
                Error::Authentication(Box::new(AuthenticationError {
                    token_url: self.display_url.clone(),
                    status: Some(status.as_u16()),
                    error: scrub(error),
                    error_description: scrub(error_description),
                    request_id: request_id.clone(),
                    retry_after: retry_after(&headers),
                    detail: scrub(detail),
                }))
            };
            if status.is_success() && truncated {
                Err(fail(
                    None,
                    None,
                    Some(format!(
                        "the token response is larger than {} KiB, far more than a token; the token URL may point to something other than the identity service",
                        MAX_TOKEN_RESPONSE / 1024
                    )),
                ))
            } else if status.is_success() {
                parse_token(&body, &redactor).map_err(|detail| fail(None, None, Some(detail)))
            } else if status.is_redirection() {
                let location = headers
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .map(|l| l.chars().take(200).collect::<String>())
                    .unwrap_or_else(|| "(no Location header)".to_owned());
                Err(fail(
                    None,
                    None,
                    Some(format!(
                        "the identity service redirected to {location}; redirects are not followed, so that credentials only go to the configured token URL"
                    )),
                ))
            } else {
                let (error, description, detail) = parse_oauth_error(&body, &redactor);
                Err(fail(error, description, detail))
            }
        }
        .instrument(span)
        .await
    }

    /// The urlencoded form of one token request, and the credential it carries (to scrub it
    /// from whatever comes back).
    fn form(&self, scope: &str) -> Result<(String, Secret), Error> {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("scope", scope)
            .append_pair("client_id", &self.client_id);
        let credential = match &self.auth {
            ClientAuth::Secret(secret) => {
                form.append_pair("client_secret", secret.expose());
                secret.clone()
            }
            ClientAuth::Certificate(certificate) => {
                let assertion = certificate.client_assertion(
                    &self.client_id,
                    self.token_url.as_str(),
                    SystemTime::now(),
                )?;
                form.append_pair("client_assertion_type", JWT_BEARER_ASSERTION_TYPE)
                    .append_pair("client_assertion", &assertion);
                Secret::new(assertion)
            }
        };
        Ok((form.finish(), credential))
    }

    /// Reads at most [`MAX_TOKEN_RESPONSE`] bytes of the body; `true` when there was more.
    async fn read_body(&self, response: reqwest::Response) -> Result<(Vec<u8>, bool), Error> {
        crate::body::read_capped(response.bytes_stream(), MAX_TOKEN_RESPONSE)
            .await
            .map_err(|e| self.transport_error(e))
    }

    /// A redactor of the credentials this client holds (the secret, the certificate's
    /// password); the per-request credential (the assertion) is added by the caller.
    fn redactor(&self) -> Redactor {
        match &self.auth {
            ClientAuth::Secret(secret) => Redactor::new().with(secret),
            ClientAuth::Certificate(certificate) => match certificate.password() {
                Some(password) => Redactor::new().with(password),
                None => Redactor::new(),
            },
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> Error {
        Error::transport(&self.display_url, e.without_url())
    }
}

impl TokenProvider for IdentityClient {
    fn fetch_token<'a>(
        &'a self,
        scopes: &'a [String],
    ) -> BoxFuture<'a, Result<AccessToken, Error>> {
        Box::pin(self.request_token(scopes))
    }
}

/// At most [`BODY_SNIPPET_LIMIT`] characters of a string from the identity service.
fn bounded(s: &str) -> String {
    s.chars().take(BODY_SNIPPET_LIMIT).collect()
}

/// Reads a successful token response. The error is a `detail` that never contains the body
/// when the body may hold a token.
fn parse_token(body: &[u8], redactor: &Redactor) -> Result<AccessToken, String> {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            // serde_json's syntax errors name a line and column, never a value.
            let shown = if String::from_utf8_lossy(body)
                .to_ascii_lowercase()
                .contains("token")
            {
                "[withheld: it may contain a token]".to_owned()
            } else {
                format!("{:?}", redactor.snippet(body, false))
            };
            return Err(format!(
                "the token response is not valid JSON ({e}); body starts with: {shown}"
            ));
        }
    };
    let Some(object) = value.as_object() else {
        return Err("the token response is not a JSON object".to_owned());
    };
    let access_token = match object.get("access_token") {
        Some(serde_json::Value::String(t)) if !t.is_empty() => t,
        Some(_) => {
            return Err("the token response's access_token is empty or not a string".to_owned());
        }
        None => {
            let mut keys: Vec<&str> = object.keys().map(String::as_str).take(20).collect();
            keys.sort_unstable();
            return Err(format!(
                "the token response has no access_token (fields: {})",
                bounded(&keys.join(", "))
            ));
        }
    };
    match object.get("token_type") {
        Some(serde_json::Value::String(t)) if t.eq_ignore_ascii_case("bearer") => {}
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(t)) => {
            return Err(format!(
                "the identity service issued a {:?} token, but only Bearer tokens are supported",
                t.chars().take(32).collect::<String>()
            ));
        }
        Some(_) => return Err("the token response's token_type is not a string".to_owned()),
    }
    // Sent as `Authorization: Bearer <token>`: a character an HTTP header cannot carry (CR,
    // LF, other controls, spaces, non-ASCII) would make every call fail; refuse it here, once.
    if !access_token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(
            "the token response's access_token holds characters an HTTP header cannot carry (a line break, a control character, a space or non-ASCII text); the identity service's answer is unusable"
                .to_owned(),
        );
    }
    let lifetime = match object.get("expires_in") {
        None | Some(serde_json::Value::Null) => DEFAULT_TOKEN_LIFETIME,
        Some(v) => parse_expires_in(v).ok_or_else(|| {
            "the token response's expires_in is not a number of seconds".to_owned()
        })?,
    };
    Ok(AccessToken::new(
        Secret::new(access_token.as_str()),
        Some(lifetime),
    ))
}

/// `expires_in` as a number or a numeric string of seconds.
fn parse_expires_in(value: &serde_json::Value) -> Option<Duration> {
    let seconds = match value {
        serde_json::Value::Number(n) => n.as_f64()?,
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(1e9)))
}

/// The OAuth error (`error`, `error_description`) of a failed token request, or a bounded
/// snippet of the body as the detail when it has none.
fn parse_oauth_error(
    body: &[u8],
    redactor: &Redactor,
) -> (Option<String>, Option<String>, Option<String>) {
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(|v| v.as_str())
            .map(|s| bounded(&redactor.scrub(s)))
    };
    if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice::<serde_json::Value>(body) {
        let error = text(o.get("error"));
        let description = text(o.get("error_description"));
        if error.is_some() || description.is_some() {
            return (error, description, None);
        }
    }
    let detail = (!body.is_empty()).then(|| {
        format!(
            "the identity service answered: {:?}",
            redactor.snippet(body, false)
        )
    });
    (None, None, detail)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use rsa::pkcs8::DecodePublicKey as _;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};
    use x509_cert::der::{DecodePem as _, Encode as _};

    use super::*;
    use crate::auth::certificate::tests::verify_assertion;
    use crate::clock::TestClock;
    use crate::retry::RetryPolicy;

    const SECRET: &str = "s3cr3t-V@lue+with/specials=";
    const CLIENT_ID: &str = "demo-secret-client";
    const CERT_CLIENT_ID: &str = "demo-cert-client";
    const DEMO_CERT: &str = include_str!("../../../avepoint-fake/fixtures/demo-cert.pem");
    const DEMO_PFX: &[u8] = include_bytes!("../../../avepoint-fake/fixtures/demo.pfx");

    fn http() -> reqwest::Client {
        avepoint_graph_raw::http_client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client")
    }

    fn token_url(server: &MockServer) -> reqwest::Url {
        reqwest::Url::parse(&format!("{}/connect/token", server.uri())).expect("URL")
    }

    fn identity(
        url: reqwest::Url,
        client_id: &str,
        auth: ClientAuth,
        policy: RetryPolicy,
    ) -> (IdentityClient, Arc<TestClock>) {
        let recorder = Arc::new(TestClock::new());
        let retry = RetryRuntime::new(policy, recorder.clone());
        (
            IdentityClient::new(url, client_id.to_owned(), auth, http(), retry),
            recorder,
        )
    }

    fn secret_client(server: &MockServer) -> (IdentityClient, Arc<TestClock>) {
        identity(
            token_url(server),
            CLIENT_ID,
            ClientAuth::Secret(Secret::new(SECRET)),
            RetryPolicy::default(),
        )
    }

    fn demo_certificate() -> Arc<ClientCertificate> {
        Arc::new(
            ClientCertificate::from_pkcs12(DEMO_PFX, &Secret::new("demo-password"))
                .expect("demo.pfx loads"),
        )
    }

    fn cert_client(server: &MockServer) -> (IdentityClient, Arc<TestClock>) {
        identity(
            token_url(server),
            CERT_CLIENT_ID,
            ClientAuth::Certificate(demo_certificate()),
            RetryPolicy::default(),
        )
    }

    fn scopes() -> Vec<String> {
        vec![
            crate::auth::LICENSE_READ_SCOPE.to_owned(),
            "elements.tenant.read".to_owned(),
        ]
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

    /// What the identity service received, in a stable, reviewable shape: credentials
    /// redacted, form fields sorted.
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

    async fn requests(server: &MockServer) -> Vec<Request> {
        server.received_requests().await.expect("recording is on")
    }

    /// The error and its causes, as anyhow's `{:#}` prints them.
    fn display(error: &Error, server: &MockServer) -> String {
        crate::error::Chain(error)
            .to_string()
            .replace(&server.uri(), "http://[server]")
    }

    /// The identity service's side of the certificate flow: accepts the request only if the
    /// client assertion verifies with the registered certificate and its claims are right.
    struct AssertionChecker {
        public_key: rsa::PublicKey,
        token_url: String,
    }

    impl AssertionChecker {
        fn new(token_url: &reqwest::Url) -> Self {
            let cert = x509_cert::Certificate::from_pem(DEMO_CERT.as_bytes()).expect("demo cert");
            let spki = cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()
                .expect("spki");
            Self {
                public_key: rsa::PublicKey::from_public_key_der(&spki).expect("RSA key"),
                token_url: token_url.to_string(),
            }
        }

        fn check(&self, request: &Request) -> Result<(), String> {
            let form = form(request);
            if form.get("client_assertion_type").map(String::as_str)
                != Some(JWT_BEARER_ASSERTION_TYPE)
            {
                return Err("wrong client_assertion_type".into());
            }
            if form.contains_key("client_secret") {
                return Err("a secret was sent with an assertion".into());
            }
            let jwt = form.get("client_assertion").ok_or("no client_assertion")?;
            let parts: Vec<&str> = jwt.split('.').collect();
            if parts.len() != 3 {
                return Err("not a compact JWS".into());
            }
            let signature = URL_SAFE_NO_PAD
                .decode(parts[2])
                .map_err(|e| e.to_string())?;
            self.public_key
                .pkcs1v15_verify::<rsa::sha2::Sha256>(
                    format!("{}.{}", parts[0], parts[1]).as_bytes(),
                    &signature,
                )
                .map_err(|e| format!("signature: {e}"))?;
            let claims: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(parts[1])
                    .map_err(|e| e.to_string())?,
            )
            .map_err(|e| e.to_string())?;
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
        let public_key = AssertionChecker::new(&request.url).public_key;
        verify_assertion(
            form.get("client_assertion").expect("assertion"),
            &public_key,
        )
    }

    #[tokio::test]
    async fn secret_flow_gets_a_token_and_respects_expires_in() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/connect/token"))
            .and(header("content-type", "application/x-www-form-urlencoded"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(1800.into())))
            .expect(1)
            .mount(&server)
            .await;
        let (client, recorder) = secret_client(&server);
        let token = client.fetch_token(&scopes()).await.expect("token");
        assert_eq!(token.secret().expose(), "issued-token-value");
        assert_eq!(token.lifetime(), Some(Duration::from_secs(1800)));
        assert!(recorder.waits().is_empty());

        let received = requests(&server).await;
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
    async fn expires_in_may_be_a_string_or_missing() {
        for (expires_in, expected) in [
            (serde_json::json!("1200"), Duration::from_secs(1200)),
            (serde_json::Value::Null, DEFAULT_TOKEN_LIFETIME),
            (serde_json::json!(59.5), Duration::from_secs_f64(59.5)),
        ] {
            let server = MockServer::start().await;
            let mut body = token_body(expires_in.clone());
            if expires_in.is_null() {
                body.as_object_mut().expect("object").remove("expires_in");
            }
            body["token_type"] = "bearer".into();
            Mock::given(method("POST"))
                .respond_with(ResponseTemplate::new(200).set_body_json(body))
                .mount(&server)
                .await;
            let token = secret_client(&server)
                .0
                .fetch_token(&scopes())
                .await
                .expect("token");
            assert_eq!(token.lifetime(), Some(expected), "expires_in {expires_in}");
        }
    }

    #[tokio::test]
    async fn certificate_flow_sends_a_verifiable_assertion() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/connect/token"))
            .respond_with(AssertionChecker::new(&token_url(&server)))
            .mount(&server)
            .await;
        let (client, _) = cert_client(&server);
        let token = client
            .fetch_token(&scopes())
            .await
            .expect("the server accepted the assertion");
        assert_eq!(token.lifetime(), Some(Duration::from_secs(3599)));
        client.fetch_token(&scopes()).await.expect("second token");

        let received = requests(&server).await;
        assert_eq!(received.len(), 2);
        let (header, claims) = assertion_of(&received[0]);
        let (_, claims2) = assertion_of(&received[1]);
        assert_ne!(claims["jti"], claims2["jti"], "a fresh jti per request");
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
            .respond_with(AssertionChecker {
                token_url: "https://elsewhere.example/connect/token".to_owned(),
                ..AssertionChecker::new(&token_url(&server))
            })
            .mount(&server)
            .await;
        let error = cert_client(&server)
            .0
            .fetch_token(&scopes())
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
        let (client, recorder) = secret_client(&server);
        let error = client.fetch_token(&scopes()).await.expect_err("refused");
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
        assert_eq!(auth.token_url, token_url(&server).to_string());
        assert_eq!(requests(&server).await.len(), 1);
        assert!(recorder.waits().is_empty());
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
            .fetch_token(&scopes())
            .await
            .expect_err("refused");
        assert!(
            matches!(&error, Error::Authentication(a) if a.error.as_deref() == Some("invalid_scope") && a.status == Some(400))
        );
        assert!(!error.is_transient());
        assert_eq!(requests(&server).await.len(), 1);
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
            .respond_with(AssertionChecker::new(&token_url(&server)))
            .mount(&server)
            .await;
        let (client, recorder) = cert_client(&server);
        let token = client
            .fetch_token(&scopes())
            .await
            .expect("second attempt succeeds");
        assert_eq!(token.secret().expose(), "issued-token-value");
        let received = requests(&server).await;
        assert_eq!(received.len(), 2);
        assert_ne!(
            assertion_of(&received[0]).1["jti"],
            assertion_of(&received[1]).1["jti"]
        );
        let waits = recorder.waits();
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
        let (client, recorder) = secret_client(&server);
        client
            .fetch_token(&scopes())
            .await
            .expect("token after the wait");
        assert_eq!(recorder.waits(), vec![Duration::from_secs(7)]);
    }

    #[tokio::test]
    async fn persistent_5xx_ends_in_retries_exhausted() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(500).set_body_string("<html>upstream exploded</html>"),
            )
            .mount(&server)
            .await;
        let (client, recorder) = identity(
            token_url(&server),
            CLIENT_ID,
            ClientAuth::Secret(Secret::new(SECRET)),
            RetryPolicy::default().max_attempts(3),
        );
        let error = client.fetch_token(&scopes()).await.expect_err("gives up");
        assert!(
            matches!(&error, Error::RetriesExhausted { attempts: 3, .. }),
            "{error:?}"
        );
        assert!(error.is_authentication());
        assert_eq!(requests(&server).await.len(), 3);
        assert_eq!(recorder.waits().len(), 2);
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
            .fetch_token(&scopes())
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
                .fetch_token(&scopes())
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
            .fetch_token(&scopes())
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
            .fetch_token(&scopes())
            .await
            .expect_err("refused");
        let assertion = form(&requests(&server).await[0])
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
            .respond_with(
                ResponseTemplate::new(200).set_body_string("x".repeat(MAX_TOKEN_RESPONSE + 10)),
            )
            .mount(&server)
            .await;
        let error = secret_client(&server)
            .0
            .fetch_token(&scopes())
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
            .fetch_token(&scopes())
            .await
            .expect_err("refused");
        assert_eq!(error.status(), Some(307));
        assert_eq!(requests(&server).await.len(), 1);
        insta::assert_snapshot!("error_redirect", display(&error, &server));
    }

    #[tokio::test]
    async fn transport_failures_are_transport_errors() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let url =
            reqwest::Url::parse(&format!("http://127.0.0.1:{port}/connect/token")).expect("URL");
        let (client, _) = identity(
            url,
            CLIENT_ID,
            ClientAuth::Secret(Secret::new(SECRET)),
            RetryPolicy::disabled(),
        );
        let error = client
            .fetch_token(&scopes())
            .await
            .expect_err("nothing listens");
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
            crate::error::Chain(&error)
                .to_string()
                .replace(&port.to_string(), "[port]")
        );
    }

    #[tokio::test]
    async fn a_slow_identity_service_times_out_as_a_transport_error() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
            .mount(&server)
            .await;
        let recorder = Arc::new(TestClock::new());
        let http = avepoint_graph_raw::http_client_builder()
            .timeout(Duration::from_millis(100))
            .build()
            .expect("client");
        let client = IdentityClient::new(
            token_url(&server),
            CLIENT_ID.to_owned(),
            ClientAuth::Secret(Secret::new(SECRET)),
            http,
            RetryRuntime::new(RetryPolicy::disabled(), recorder),
        );
        let error = client.fetch_token(&scopes()).await.expect_err("times out");
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

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
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
            .respond_with(AssertionChecker::new(&token_url(&server)))
            .mount(&server)
            .await;
        cert_client(&server)
            .0
            .fetch_token(&scopes())
            .await
            .expect("token");
        let secret_server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(token_body(3600.into())))
            .mount(&secret_server)
            .await;
        secret_client(&secret_server)
            .0
            .fetch_token(&scopes())
            .await
            .expect("token");

        let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        assert!(logs.contains("token request"), "{logs}");
        // Only INFO/WARN lines are asserted on: with tests running in parallel threads without
        // a subscriber, tracing may have cached DEBUG callsites as disabled.
        assert!(logs.contains("attempt=1"), "{logs}");
        assert!(logs.contains("req-503"), "{logs}");
        assert!(logs.contains("access token issued"), "{logs}");
        let mut forbidden = vec![SECRET.to_owned(), "issued-token-value".to_owned()];
        for request in requests(&server).await {
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
            "{:?} {:?}",
            secret_client(&server).0,
            cert_client(&server).0
        );
        assert!(!text.contains(SECRET), "{text}");
        assert!(!text.contains("PRIVATE"), "{text}");
        assert!(text.contains("redacted"), "{text}");
    }
}
