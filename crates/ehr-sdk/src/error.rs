//! The façade's one error type.

use std::fmt;

use crate::auth::AuthError;
use crate::retry::Attempt;
use crate::transport::{Failure, Refusal, failure_of};

/// What went wrong with a call made through the façade.
///
/// Every variant names the operation (`operationId` in the vendor's spec). No variant ever holds
/// a credential; a vendor's error body is kept as the vendor sent it, since it is the only
/// account of what the vendor refused.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built from the arguments given.
    InvalidRequest {
        /// The operation.
        operation_id: &'static str,
        /// Why.
        message: String,
    },
    /// No credential could be had (token endpoint refused or unreachable, store failed).
    Auth {
        /// The operation.
        operation_id: &'static str,
        /// Why.
        source: AuthError,
    },
    /// The request did not get a response: connection, timeout, TLS.
    Http {
        /// The operation.
        operation_id: &'static str,
        /// The transport error (of the last attempt).
        source: reqwest::Error,
        /// Every attempt made, the last included.
        attempts: Vec<Attempt>,
    },
    /// A redirect was not followed: to another origin (credentials stay home), one too many,
    /// or one that would have needed a streamed body again.
    Redirect {
        /// The operation.
        operation_id: &'static str,
        /// Why, without the URL's path or query.
        reason: String,
    },
    /// A list's `next` link was not followed: on another origin, or not a URL.
    Pagination {
        /// The operation.
        operation_id: &'static str,
        /// Why, naming at most the origin.
        reason: String,
    },
    /// The vendor answered with a status the operation does not succeed with.
    Status {
        /// The operation.
        operation_id: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// The response body, as sent (decode it with [`Error::vendor_body`]).
        body: bytes::Bytes,
        /// The attempts before this answer (empty when the first attempt got it).
        attempts: Vec<Attempt>,
    },
    /// The token was not granted the scope the call needs, so the call was not sent.
    MissingScope {
        /// The operation.
        operation_id: &'static str,
        /// The scope it needs, as the vendor spells it (`system/patients.write`, `act_as_user`).
        scope: String,
    },
    /// The vendor refused to let the token act on behalf of a user: the token lacks the
    /// impersonation scope (Elation's `401 Token does not have act_as_user scope`).
    ImpersonationNotGranted {
        /// The operation.
        operation_id: &'static str,
    },
    /// The vendor refused the user acted for: unknown, inactive or outside the token's
    /// practices (Elation's `401 On-behalf-of user not found or not authorized`).
    ImpersonatedUserRejected {
        /// The operation.
        operation_id: &'static str,
    },
    /// A successful response whose body does not decode as the operation's type.
    Decode {
        /// The operation.
        operation_id: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// The decode error, naming the line and column.
        source: serde_json::Error,
    },
}

impl Error {
    /// The operation the error belongs to.
    pub fn operation_id(&self) -> &'static str {
        match self {
            Error::InvalidRequest { operation_id, .. }
            | Error::Auth { operation_id, .. }
            | Error::Redirect { operation_id, .. }
            | Error::Pagination { operation_id, .. }
            | Error::Http { operation_id, .. }
            | Error::Status { operation_id, .. }
            | Error::Decode { operation_id, .. }
            | Error::MissingScope { operation_id, .. }
            | Error::ImpersonationNotGranted { operation_id }
            | Error::ImpersonatedUserRejected { operation_id } => operation_id,
        }
    }

    /// The HTTP status, when the vendor answered.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Status { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::Http { source, .. } => source.status(),
            Error::ImpersonationNotGranted { .. } | Error::ImpersonatedUserRejected { .. } => {
                Some(reqwest::StatusCode::UNAUTHORIZED)
            }
            Error::InvalidRequest { .. }
            | Error::Auth { .. }
            | Error::Redirect { .. }
            | Error::Pagination { .. }
            | Error::MissingScope { .. } => None,
        }
    }

    /// The attempts made before the final outcome, for calls that were retried.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Error::Http { attempts, .. } | Error::Status { attempts, .. } => attempts,
            _ => &[],
        }
    }

    /// The vendor's error body decoded as `T` (e.g. Empego's `ErrorBody`, Health Gorilla's
    /// `OperationOutcome`), when there is one and it decodes.
    pub fn vendor_body<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        match self {
            Error::Status { body, .. } => serde_json::from_slice(body).ok(),
            _ => None,
        }
    }

    /// The façade error for what a generated `send()` returned for `operation_id`.
    pub async fn from_generated<E: serde::Serialize>(
        operation_id: &'static str,
        error: progenitor_client::Error<E>,
    ) -> Self {
        use progenitor_client::Error as Generated;
        match error {
            Generated::InvalidRequest(message) => Error::InvalidRequest {
                operation_id,
                message,
            },
            Generated::Custom(message) => Error::InvalidRequest {
                operation_id,
                message,
            },
            Generated::CommunicationError(source)
            | Generated::InvalidUpgrade(source)
            | Generated::ResponseBodyError(source) => Error::Http {
                operation_id,
                source,
                attempts: Vec::new(),
            },
            Generated::ErrorResponse(value) => {
                let status = value.status();
                let body = serde_json::to_vec(value.as_ref())
                    .ok()
                    .filter(|b| b != b"null")
                    .unwrap_or_default();
                Error::Status {
                    operation_id,
                    status,
                    body: body.into(),
                    attempts: Vec::new(),
                }
            }
            Generated::InvalidResponsePayload(_, source) => Error::Decode {
                operation_id,
                status: reqwest::StatusCode::OK,
                source,
            },
            Generated::UnexpectedResponse(response) => {
                Self::from_response(operation_id, response).await
            }
        }
    }

    /// The façade error for a response that is not the operation's success.
    pub async fn from_response(operation_id: &'static str, response: reqwest::Response) -> Self {
        if let Some((call, failure, attempts)) = failure_of(&response) {
            return Self::from_failure(call.operation_id, failure, attempts);
        }
        let status = response.status();
        let attempts = response
            .extensions()
            .get::<crate::transport::RetryHistory>()
            .map(|h| h.0.clone())
            .unwrap_or_default();
        match response.bytes().await {
            Ok(body) => Error::Status {
                operation_id,
                status,
                body,
                attempts,
            },
            Err(source) => Error::Http {
                operation_id,
                source,
                attempts,
            },
        }
    }

    fn from_failure(operation_id: &'static str, failure: Failure, attempts: Vec<Attempt>) -> Self {
        match failure {
            Failure::Auth(source) => Error::Auth {
                operation_id,
                source,
            },
            Failure::Http(source) => Error::Http {
                operation_id,
                source,
                attempts,
            },
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
            Failure::Refused(Refusal::ImpersonationNotGranted) => {
                Error::ImpersonationNotGranted { operation_id }
            }
            Failure::Refused(Refusal::ImpersonatedUserRejected) => {
                Error::ImpersonatedUserRejected { operation_id }
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidRequest {
                operation_id,
                message,
            } => write!(f, "{operation_id}: invalid request: {message}"),
            Error::Auth {
                operation_id,
                source,
            } => write!(f, "{operation_id}: no credential: {source}"),
            Error::Http {
                operation_id,
                source,
                attempts,
            } => write!(
                f,
                "{operation_id}: no response after {} attempt(s): {source}",
                attempts.len().max(1)
            ),
            Error::Redirect {
                operation_id,
                reason,
            } => write!(f, "{operation_id}: redirect not followed: {reason}"),
            Error::Pagination {
                operation_id,
                reason,
            } => write!(f, "{operation_id}: paging stopped: {reason}"),
            Error::Status {
                operation_id,
                status,
                body,
                attempts,
            } => {
                write!(f, "{operation_id}: the vendor answered {status}")?;
                if !attempts.is_empty() {
                    write!(f, " (after {} earlier attempt(s))", attempts.len())?;
                }
                // Bodies may hold PHI; show at most their start, and only when it is text.
                match std::str::from_utf8(body) {
                    Ok(text) if !text.trim().is_empty() => {
                        let text = text.trim();
                        let cut = text.char_indices().nth(200).map_or(text.len(), |(i, _)| i);
                        write!(f, ": {}", &text[..cut])
                    }
                    _ => Ok(()),
                }
            }
            Error::Decode {
                operation_id,
                status,
                source,
            } => write!(
                f,
                "{operation_id}: the {status} response does not decode: {source}"
            ),
            Error::MissingScope {
                operation_id,
                scope,
            } => write!(
                f,
                "{operation_id}: not sent: the token was not granted the scope `{scope}`"
            ),
            Error::ImpersonationNotGranted { operation_id } => write!(
                f,
                "{operation_id}: the vendor refused to act on behalf of a user: the token lacks the impersonation scope"
            ),
            Error::ImpersonatedUserRejected { operation_id } => write!(
                f,
                "{operation_id}: the vendor refused the user acted for (not found, inactive or not authorized)"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Http { source, .. } => Some(source),
            Error::Auth { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}
