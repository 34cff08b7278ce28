//! Failures of the pipeline itself (no token, a cross-origin redirect), carried to the caller
//! through generated code as [`ehr_runtime::carry`] responses holding the typed
//! [`Error`](crate::Error).

use ehr_runtime::CallInfo;

use super::Refusal;
use crate::Error;
use crate::auth::AuthError;
use crate::retry::Attempt;

/// What went wrong inside the façade's pipeline.
#[derive(Debug)]
pub(super) enum Failure {
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
    Refused(Refusal),
}

impl Failure {
    fn into_error(self, operation_id: &'static str, attempts: Vec<Attempt>) -> Error {
        match self {
            Failure::Auth(source) => Error::Auth {
                operation_id,
                source,
            },
            Failure::Http(source) => Error::http(operation_id, source, attempts),
            Failure::CrossOriginRedirect {
                status,
                location_origin,
            } => Error::Redirect {
                operation_id,
                reason: format!("{status} to another origin ({location_origin}) not followed"),
            },
            Failure::TooManyRedirects(max) => Error::Redirect {
                operation_id,
                reason: format!("more than {max} redirects"),
            },
            Failure::CannotResend => Error::Redirect {
                operation_id,
                reason: "the request body was a stream and cannot be sent again".into(),
            },
            Failure::InvalidCredential => Error::InvalidRequest {
                operation_id,
                message: "a credential is not a valid header value".into(),
            },
            Failure::Refused(Refusal::MissingScope(scope)) => Error::MissingScope {
                operation_id,
                scope,
            },
        }
    }
}

/// A response carrying `failure` as the call's [`Error`], with the attempts made.
pub(super) fn response(
    call: CallInfo,
    failure: Failure,
    history: Vec<Attempt>,
) -> reqwest::Response {
    ehr_runtime::carry(failure.into_error(call.operation_id, history))
}
