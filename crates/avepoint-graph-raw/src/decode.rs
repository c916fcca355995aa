//! The decoding of a successful answer: `decode_json`, which the generated operations call
//! (`cargo xtask codegen` rewrites progenitor's `ResponseValue::from_response` into it).

use progenitor_client::{Error, ResponseValue};
use serde::de::DeserializeOwned;

/// Reads `response`'s body and decodes it as JSON into a [`ResponseValue`], as progenitor's
/// `ResponseValue::from_response` does, except that the headers are moved out of the
/// response rather than copied (the response is consumed anyway).
pub(crate) async fn decode_json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> Result<ResponseValue<T>, Error<E>> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let full = response.bytes().await.map_err(Error::ResponseBodyError)?;
    let inner =
        serde_json::from_slice(&full).map_err(|e| Error::InvalidResponsePayload(full, e))?;
    Ok(ResponseValue::new(inner, status, headers))
}
