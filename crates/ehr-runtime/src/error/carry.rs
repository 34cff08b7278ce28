//! Carrying an [`Error`] through generated code, which only passes responses along.
//!
//! progenitor's `ClientHooks::exec` may return only a `reqwest::Response` or a
//! `reqwest::Error`. A failure of the pipeline (no token, a cross-origin redirect) and every
//! refusal by the vendor (read and classified by [`Runtime::execute`](crate::Runtime::execute))
//! therefore travel as a response with the non-standard status 599, an empty body and the
//! [`Error`] in its extensions. Generated code reports any such response as
//! `UnexpectedResponse` (the xtask's lint refuses `default` and `5XX` responses, which would
//! swallow it), and the generated `send()` takes the error back out with [`carried`].

use std::sync::{Arc, Mutex, PoisonError};

use super::Error;

/// The status of a response that carries an [`Error`].
pub const CARRIER_STATUS: u16 = 599;

#[derive(Clone)]
struct Carried(Arc<Mutex<Option<Error>>>);

/// A 599 response carrying `error`.
pub fn carry(error: Error) -> reqwest::Response {
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() =
        http::StatusCode::from_u16(CARRIER_STATUS).unwrap_or(http::StatusCode::BAD_GATEWAY);
    response
        .extensions_mut()
        .insert(Carried(Arc::new(Mutex::new(Some(error)))));
    reqwest::Response::from(response)
}

/// Takes the [`Error`] out of a response made by [`carry`]; `None` for any other response (or
/// when it was taken already).
pub fn carried(response: &reqwest::Response) -> Option<Error> {
    let carried = response.extensions().get::<Carried>()?;
    carried
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take()
}

/// The status of the vendor's answer inside a response made by [`carry`] (`None` for a
/// failure with no answer, or for any other response): what a trace of the call records
/// instead of 599.
pub fn carried_status(response: &reqwest::Response) -> Option<reqwest::StatusCode> {
    let carried = response.extensions().get::<Carried>()?;
    carried
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(Error::status)
}

/// The class of the error inside a response made by [`carry`] (`None` for any other response,
/// or when it was taken already): what a trace or a metric of the call records as its outcome.
pub fn carried_kind(response: &reqwest::Response) -> Option<super::ErrorKind> {
    let carried = response.extensions().get::<Carried>()?;
    carried
        .0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .map(Error::kind)
}

/// Whether `response` carries an error.
pub(crate) fn is_carrier(response: &reqwest::Response) -> bool {
    response.extensions().get::<Carried>().is_some()
}
