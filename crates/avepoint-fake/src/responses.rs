//! Building the JSON responses the fake sends: API errors (`{"code","message"}`, the spec's
//! `Error` schema) and OAuth errors (`{"error","error_description"}`).

use avepoint_graph_raw::types::Error as WireError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};

/// `application/json; charset=utf-8`.
pub(crate) const JSON: &str = "application/json; charset=utf-8";

/// A response with a JSON body already serialized.
pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON));
    response
}

/// A response with `value` serialized as JSON (a serialization failure, which the types used
/// here cannot produce, becomes a bare 500).
pub(crate) fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => json_bytes(status, body),
        Err(e) => {
            tracing::error!("cannot serialize a response body: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The machine-readable code the fake puts in an API error body for `status`.
pub(crate) fn code_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        503 => "ServiceUnavailable",
        _ => "Error",
    }
}

/// An API error: `{"code": "<code_for(status)>", "message": message}`.
pub(crate) fn api_error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = WireError {
        code: Some(serde_json::Value::String(code_for(status).to_owned())),
        message: Some(message.into()),
        ..WireError::default()
    };
    json(status, &body)
}

/// An OAuth 2.0 error (RFC 6749 §5.2): `{"error": error, "error_description": description}`,
/// with `Cache-Control: no-store`.
pub(crate) fn oauth_error(
    status: StatusCode,
    error: &str,
    description: impl Into<String>,
) -> Response {
    let body = WireError {
        error: Some(serde_json::Value::String(error.to_owned())),
        error_description: Some(description.into()),
        ..WireError::default()
    };
    let mut response = json(status, &body);
    no_store(&mut response);
    response
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (token endpoint responses).
pub(crate) fn no_store(response: &mut Response) {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}
