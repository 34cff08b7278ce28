//! Failures of the pipeline itself (no token, a cross-origin redirect), carried to the caller
//! through generated code, which only understands responses.
//!
//! The generated `send()` only takes a `reqwest::Response` or a `reqwest::Error` from a hook. A
//! failure of the façade is therefore returned as a response with the non-standard status 599,
//! an empty body and the [`Failure`] in its extensions: generated code reports it as
//! `Error::UnexpectedResponse`, and [`crate::Error`] turns it back into the typed failure.

use std::sync::{Arc, Mutex};

use ehr_runtime::CallInfo;

use super::{RetryHistory, finish};
use crate::auth::AuthError;
use crate::retry::Attempt;

/// The status of a response that carries a [`Failure`].
pub const FAILURE_STATUS: u16 = 599;

/// What went wrong inside the façade's pipeline.
#[derive(Debug)]
#[non_exhaustive]
pub enum Failure {
    /// No access token could be had.
    Auth(AuthError),
    /// The request never got a response.
    Http(reqwest::Error),
    /// The API redirected to another origin; not followed, so credentials stay home.
    CrossOriginRedirect {
        /// The redirect status.
        status: u16,
        /// The origin redirected to.
        location_origin: String,
    },
    /// More redirects than allowed.
    TooManyRedirects(u32),
    /// A redirect or retry needed the request again, but its body was a stream.
    CannotResend,
    /// A credential is not a valid header value.
    InvalidCredential,
    /// The vendor's rules refuse the call (see [`CallGuard`](super::CallGuard)).
    Refused(super::Refusal),
}

#[derive(Clone, Debug)]
struct Carried {
    call: CallInfo,
    failure: Arc<Mutex<Option<Failure>>>,
}

/// A 599 response carrying `failure` and the attempts made.
pub(super) fn response(
    call: CallInfo,
    failure: Failure,
    history: Vec<Attempt>,
) -> reqwest::Response {
    let mut response = http::Response::new(bytes::Bytes::new());
    *response.status_mut() =
        http::StatusCode::from_u16(FAILURE_STATUS).expect("599 is a valid status code");
    response.extensions_mut().insert(Carried {
        call,
        failure: Arc::new(Mutex::new(Some(failure))),
    });
    finish(reqwest::Response::from(response), history)
}

/// Takes the [`Failure`] out of a response made by the pipeline, with the call it belongs to
/// and the attempts made; `None` for a response from the server.
pub fn failure_of(response: &reqwest::Response) -> Option<(CallInfo, Failure, Vec<Attempt>)> {
    let carried = response.extensions().get::<Carried>()?;
    let failure = carried.failure.lock().ok()?.take()?;
    let history = response
        .extensions()
        .get::<RetryHistory>()
        .map(|h| h.0.clone())
        .unwrap_or_default();
    Some((carried.call, failure, history))
}
