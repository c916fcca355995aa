//! What the API routes check in every request: the bearer token and its scope, the JSON
//! media type of a body, and an optional JSON object body with known members only.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::{Map, Value};

use crate::responses::api_error;
use crate::server::Shared;

/// Checks the bearer token (issued here, not expired) and that it carries `scope`: `401`
/// with `WWW-Authenticate: Bearer error="invalid_token"`, or `403` with
/// `error="insufficient_scope"`.
pub(crate) fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    scope: &'static str,
) -> Result<(), Box<Response>> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(Box::new(unauthorized(
            "an Authorization: Bearer access token is required",
        )));
    };
    let Some(issued) = shared.tokens.lookup(token) else {
        return Err(Box::new(unauthorized("the access token is not valid")));
    };
    if issued.expires_at <= Instant::now() {
        return Err(Box::new(unauthorized("the access token has expired")));
    }
    if !issued.scopes.iter().any(|s| s == scope) {
        tracing::debug!(client_id = issued.client_id, "token lacks {scope}");
        let mut response = api_error(
            StatusCode::FORBIDDEN,
            format!("the app lacks the permission {scope}"),
        );
        if let Ok(value) = HeaderValue::from_str(&format!(
            "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
        )) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        return Err(Box::new(response));
    }
    Ok(())
}

fn unauthorized(message: &'static str) -> Response {
    let mut response = api_error(StatusCode::UNAUTHORIZED, message);
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{message}\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Whether the request says its body is JSON (`application/json` or `application/*+json`).
pub(crate) fn json_media_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        })
}

/// An optional body: empty (or whitespace) gives `None`; otherwise a JSON object sent as
/// JSON whose members are all in `allowed` (unknown members are refused to catch typos).
pub(crate) fn optional_object_body(
    headers: &HeaderMap,
    body: &[u8],
    allowed: &[&str],
) -> Result<Option<Map<String, Value>>, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !json_media_type(headers) {
        return Err("a request body must be sent as Content-Type: application/json".into());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the request body is not valid JSON: {e}"))?;
    let Value::Object(object) = value else {
        return Err("the request body must be a JSON object".into());
    };
    if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "unknown member `{unknown}` in the request body (allowed: {})",
            allowed.join(", ")
        ));
    }
    Ok(Some(object))
}

/// The list of strings in member `name` of an optional body (absent or `null`: empty).
pub(crate) fn string_list(
    object: Option<&Map<String, Value>>,
    name: &str,
) -> Result<Vec<String>, String> {
    match object.and_then(|o| o.get(name)) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("`{name}` must be an array of strings"))
            })
            .collect(),
        Some(_) => Err(format!("`{name}` must be an array of strings")),
    }
}
