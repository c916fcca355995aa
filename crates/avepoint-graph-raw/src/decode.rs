//! The decoding of a successful answer: `decode_json`, which the generated operations call
//! (`cargo xtask codegen` rewrites progenitor's `ResponseValue::from_response` into it).

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use progenitor_client::{Error, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// Reads `response`'s body and decodes it as JSON into a [`ResponseValue`], as progenitor's
/// `ResponseValue::from_response` does, except that the headers are moved out of the
/// response rather than copied (the response is consumed anyway).
///
/// A future of its own rather than an `async fn`: an `async fn` keeps the response it is
/// given beside the one it reads, a larger state in every call.
pub(crate) fn decode_json<T: DeserializeOwned, E>(
    mut response: reqwest::Response,
) -> DecodeJson<impl Future<Output = reqwest::Result<bytes::Bytes>>, T, E> {
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    DecodeJson {
        body: response.bytes(),
        status,
        headers,
        decoded: PhantomData,
    }
}

pin_project_lite::pin_project! {
    /// The future of [`decode_json`].
    pub(crate) struct DecodeJson<B, T, E> {
        #[pin]
        body: B,
        status: StatusCode,
        // Moved out (an empty map left behind) when the body is read.
        headers: HeaderMap,
        decoded: PhantomData<fn() -> (T, E)>,
    }
}

impl<B, T, E> Future for DecodeJson<B, T, E>
where
    B: Future<Output = reqwest::Result<bytes::Bytes>>,
    T: DeserializeOwned,
{
    type Output = Result<ResponseValue<T>, Error<E>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let full = match ready!(this.body.poll(cx)) {
            Ok(full) => full,
            Err(e) => return Poll::Ready(Err(Error::ResponseBodyError(e))),
        };
        let headers = std::mem::take(this.headers);
        Poll::Ready(match serde_json::from_slice(&full) {
            Ok(inner) => Ok(ResponseValue::new(inner, *this.status, headers)),
            Err(e) => Err(Error::InvalidResponsePayload(full, e)),
        })
    }
}
