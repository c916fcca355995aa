//! What the API routes check in every request: the bearer token and its scope, the JSON
//! media type of a body, and an optional JSON object body with known members only.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::{Map, Value};

use avepoint_graph_raw::types::TenantType;
use percent_encoding::percent_decode_str;

use crate::dataset::TenantKind;
use crate::responses::api_error;
use crate::server::Shared;

/// The path prefix of every customer route.
pub(crate) const CUSTOMERS_PREFIX: &str = "/partner/external/v3/general/customers/";

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

/// The prologue every API route shares: the token and its `scope` (`401`/`403`), then a
/// readable body (`400`).
pub(crate) fn authorized_body(
    shared: &Shared,
    headers: &HeaderMap,
    scope: &'static str,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, Box<Response>> {
    authorize(shared, headers, scope)?;
    body.map_err(|e| {
        Box::new(api_error(
            StatusCode::BAD_REQUEST,
            format!("unreadable request body: {e}"),
        ))
    })
}

/// The raw (still percent-encoded) customer id of a matched `.../customers/{customerId}/...`
/// route and the segment `nth` places after it; a path without that segment is a `404`.
fn raw_customer_and_segment(uri: &Uri, nth: usize) -> Result<(&str, &str), Box<Response>> {
    let mut segments = customer_segments(uri);
    match (segments.next(), segments.nth(nth)) {
        (Some(customer), Some(segment)) => Ok((customer, segment)),
        _ => Err(Box::new(api_error(
            StatusCode::NOT_FOUND,
            "no such resource",
        ))),
    }
}

/// The path segments after `.../customers/`.
fn customer_segments(uri: &Uri) -> std::str::Split<'_, char> {
    uri.path()
        .strip_prefix(CUSTOMERS_PREFIX)
        .unwrap_or_default()
        .split('/')
}

/// A percent-decoded customer id: decoded here, so `%2F` is a `/` of the id, not a path
/// separator. An id that is not UTF-8 is a `400`.
fn decode_customer(raw: &str) -> Result<String, Box<Response>> {
    percent_decode_str(raw)
        .decode_utf8()
        .map(|id| id.into_owned())
        .map_err(|_| {
            Box::new(api_error(
                StatusCode::BAD_REQUEST,
                "the customer id is not valid UTF-8",
            ))
        })
}

/// The customer id of a matched `.../customers/{customerId}/...` route.
pub(crate) fn customer_id(uri: &Uri) -> Result<String, Box<Response>> {
    decode_customer(customer_segments(uri).next().unwrap_or_default())
}

/// The customer id of a matched `.../customers/{customerId}/...` route and the segment `nth`
/// places after it (percent-decoded, lossily).
pub(crate) fn customer_and_segment(
    uri: &Uri,
    nth: usize,
) -> Result<(String, String), Box<Response>> {
    let (customer, segment) = raw_customer_and_segment(uri, nth)?;
    let customer = decode_customer(customer)?;
    Ok((
        customer,
        percent_decode_str(segment).decode_utf8_lossy().into_owned(),
    ))
}

/// The customer id and tenant type of a matched
/// `.../customers/{customerId}/3rd-party-products/type/{type}/...` route, from the raw path.
/// A type that is not a decimal integer in `0..=3`, or an id that is not UTF-8, is a `400`.
pub(crate) fn customer_and_type(uri: &Uri) -> Result<(String, TenantKind), Box<Response>> {
    let (raw_customer, raw_type) = raw_customer_and_segment(uri, 2)?;
    let raw_type = percent_decode_str(raw_type).decode_utf8_lossy();
    let kind = parse_type(&raw_type).ok_or_else(|| {
        Box::new(api_error(
            StatusCode::BAD_REQUEST,
            format!(
                "invalid tenant type `{raw_type}`: use 0 (Microsoft 365), 1 (Salesforce), 2 (Google) or 3 (Dynamics 365)"
            ),
        ))
    })?;
    Ok((decode_customer(raw_customer)?, kind))
}

/// A tenant type: ASCII digits only (no sign, no spaces), a value the spec's enum allows.
pub(crate) fn parse_type(raw: &str) -> Option<TenantKind> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: i32 = raw.parse().ok()?;
    TenantType::try_from(code)
        .ok()
        .map(|t| TenantKind::from(&t))
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

/// The list of strings in member `name` of an optional body (absent: empty). `null` is
/// refused: the spec does not make these lists nullable.
pub(crate) fn string_list(
    object: Option<&Map<String, Value>>,
    name: &str,
) -> Result<Vec<String>, String> {
    match object.and_then(|o| o.get(name)) {
        None => Ok(Vec::new()),
        Some(Value::Null) => Err(format!(
            "`{name}` must be an array of strings, not null (leave it out to mean all)"
        )),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_types_are_decimal_codes_in_range() {
        assert_eq!(parse_type("0"), Some(TenantKind::Microsoft365));
        assert_eq!(parse_type("3"), Some(TenantKind::Dynamics365));
        for bad in ["", "4", "-1", "+1", " 1", "1.0", "99999999999", "abc"] {
            assert_eq!(parse_type(bad), None, "{bad}");
        }
    }
}
