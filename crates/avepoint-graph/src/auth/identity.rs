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

// The flow is tested end to end through the public API against a loopback identity service
// in `tests/identity.rs`. What stays here is the token response's lifetime, which the public
// API does not show.
#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime_of(body: serde_json::Value) -> Option<Duration> {
        let body = serde_json::to_vec(&body).expect("JSON");
        parse_token(&body, &Redactor::default())
            .expect("a usable token response")
            .lifetime()
    }

    #[test]
    fn expires_in_may_be_a_number_a_string_or_missing() {
        let token = |expires_in: Option<serde_json::Value>| {
            let mut body = serde_json::json!({
                "access_token": "issued-token-value",
                "token_type": "bearer",
            });
            if let Some(v) = expires_in {
                body["expires_in"] = v;
            }
            body
        };
        for (expires_in, expected) in [
            (Some(serde_json::json!(1800)), Duration::from_secs(1800)),
            (Some(serde_json::json!("1200")), Duration::from_secs(1200)),
            (Some(serde_json::json!(59.5)), Duration::from_secs_f64(59.5)),
            (Some(serde_json::Value::Null), DEFAULT_TOKEN_LIFETIME),
            (None, DEFAULT_TOKEN_LIFETIME),
        ] {
            assert_eq!(
                lifetime_of(token(expires_in.clone())),
                Some(expected),
                "expires_in {expires_in:?}"
            );
        }
    }
}
