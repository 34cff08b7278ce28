//! The one error type every call of every vendor returns (re-exported as `ehr_sdk::Error`).
//!
//! It lives here, in the runtime every generated client depends on, so that generated code can
//! return it directly: `cargo xtask codegen` gives every generated builder a `send()` that
//! returns `Result<ResponseValue<T>, ehr_runtime::Error>`, with the operation id filled in. A
//! caller writes `client.patients_list().send().await?` and gets this type, never progenitor's.
//!
//! # What `Display`, `Debug` and traces contain
//! The operation id, the status, the vendor's own message (DRF `detail`, Spring `message`,
//! FHIR `OperationOutcome` diagnostics, OAuth `error_description`) and field names. Never a
//! credential, never a request URL (transport errors are stored without it), never a request or
//! response body, never a value the request carried: a vendor's message that repeats the
//! request (`No Practitioner matches name=Doe`) is scrubbed of every query, path, header and
//! body value sent (see [`SentValues`]). The body of a refusal is kept as it arrived (bounded
//! to [`MAX_ERROR_BODY`]) and reachable only through [`VendorError::body`] and
//! [`Error::vendor_body`], whose docs say it may hold PHI.

mod auth;
mod carry;
mod kind;
mod redact;
mod sent;
mod vendor;

use std::fmt;
use std::time::{Duration, SystemTime};

pub use auth::{AuthError, OAuthErrorCode, StoreError};
pub(crate) use carry::is_carrier;
pub use carry::{CARRIER_STATUS, carried, carried_kind, carried_status, carry};
pub use kind::ErrorKind;
pub use redact::{Body, DecodeFailure, REDACTED, scrub};
pub use sent::{MAX_SENT_VALUES, SentValues, scrub_sent};
pub use vendor::{FieldError, MAX_ERROR_BODY, SentCredentials, VendorError, read_limited};

/// What went wrong with a call.
///
/// Every variant names the operation (`operationId` in the vendor's spec). A vendor's refusal
/// comes as one of the classes [`Validation`](Error::Validation), [`Unauthorized`](Error::Unauthorized),
/// [`Forbidden`](Error::Forbidden), [`NotFound`](Error::NotFound), [`Conflict`](Error::Conflict),
/// [`RateLimited`](Error::RateLimited), [`Server`](Error::Server) or, for any other status,
/// [`Status`](Error::Status), each holding the vendor's answer as a [`VendorError`].
///
/// ```
/// use ehr_runtime::{Error, VendorError};
/// use reqwest::{StatusCode, header::HeaderMap};
///
/// let answer = VendorError::new(
///     "appointments_create",
///     StatusCode::CONFLICT,
///     &HeaderMap::new(),
///     r#"{"detail": "Appointment overlaps another"}"#.into(),
///     false,
/// );
/// let error = Error::from_vendor(answer);
/// assert!(matches!(error, Error::Conflict(_)));
/// assert_eq!(
///     error.to_string(),
///     "appointments_create: 409 Conflict: Appointment overlaps another"
/// );
/// ```
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
    /// The request did not get a response: connection, timeout, TLS, a body cut off.
    Http {
        /// The operation.
        operation_id: &'static str,
        /// The transport error of the last attempt (without its URL).
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
    /// The token was not granted the scope the call needs, so the call was not sent.
    MissingScope {
        /// The operation.
        operation_id: &'static str,
        /// The scope it needs, as the vendor spells it (`system/patients.write`, `act_as_user`).
        scope: String,
    },
    /// A successful response whose body does not decode as the operation's type.
    Decode {
        /// The operation.
        operation_id: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// Where and why, never the value found.
        source: DecodeFailure,
    },
    /// 400 Bad Request or 422: the vendor refused what the request says; its
    /// [field errors](VendorError::field_errors) name the fields when it does.
    Validation(VendorError),
    /// 401 that a new token did not cure (the pipeline refreshes once before this).
    Unauthorized(VendorError),
    /// 403: the credentials may not do this; [`VendorError::permission`] names the scope when
    /// the vendor does.
    Forbidden(VendorError),
    /// 404 or 410: no such object (or not visible to these credentials).
    NotFound(VendorError),
    /// 409: the request conflicts with the object's state (an overlapping appointment).
    Conflict(VendorError),
    /// 429: too many requests; [`VendorError::retry_after`] is the wait the vendor asked for.
    RateLimited(VendorError),
    /// 5xx: the vendor failed.
    Server(VendorError),
    /// Any other status the operation does not succeed with (a 3xx not followed, an
    /// undocumented 2xx).
    Status(VendorError),
    /// A refusal the vendor documents as a case of its own, recognised by the vendor's module
    /// from its status and body: Elation's impersonation 401s, Empego's user-header and
    /// user-creation 400s. `code` names it (match it against the vendor module's constants,
    /// `elation::Refusal::IMPERSONATED_USER_REJECTED`, or ask the module's typed view,
    /// `elation::Refusal::of(&error)`); `answer` is the vendor's answer, as for every class.
    Refused {
        /// Which documented refusal.
        code: RefusalCode,
        /// The vendor's answer.
        answer: VendorError,
    },
    /// An outcome the vendor's module documents that is not a refusal of the vendor's: the
    /// vendor answered, but not with what the operation needs (Health Gorilla's NPI lookup
    /// found no Practitioner, or several; the Practitioner found cannot be a clinical user).
    /// `code` names it, as for [`Refused`](Error::Refused); `detail` holds its data, typed by
    /// the vendor's module (`healthgorilla::Outcome::of(&error)` gives it back typed).
    Outcome {
        /// The operation.
        operation_id: &'static str,
        /// Which documented outcome.
        code: RefusalCode,
        /// What the vendor's module knows of it (its `Display` is the error's).
        detail: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

/// Names a vendor's documented refusal in [`Error::Refused`]: the vendor and a stable code,
/// as the vendor's module defines them. Constants of it can be `match` patterns.
///
/// ```
/// use ehr_runtime::error::RefusalCode;
///
/// const USER_REJECTED: RefusalCode = RefusalCode::new("elation", "impersonated_user_rejected");
/// assert_eq!(USER_REJECTED.to_string(), "elation/impersonated_user_rejected");
/// assert!(matches!(RefusalCode::new("elation", "impersonated_user_rejected"), USER_REJECTED));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RefusalCode {
    vendor: &'static str,
    code: &'static str,
}

impl RefusalCode {
    /// The refusal `code` of `vendor` (each lower-case, stable: what a caller matches on).
    pub const fn new(vendor: &'static str, code: &'static str) -> Self {
        Self { vendor, code }
    }

    /// The vendor (`elation`).
    pub const fn vendor(&self) -> &'static str {
        self.vendor
    }

    /// The code (`impersonated_user_rejected`).
    pub const fn code(&self) -> &'static str {
        self.code
    }
}

impl fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.vendor, self.code)
    }
}

/// The variants holding the vendor's answer, as one pattern binding it to `$v`.
macro_rules! answered {
    ($v:ident) => {
        Error::Validation($v)
            | Error::Unauthorized($v)
            | Error::Forbidden($v)
            | Error::NotFound($v)
            | Error::Conflict($v)
            | Error::RateLimited($v)
            | Error::Server($v)
            | Error::Status($v)
            | Error::Refused { answer: $v, .. }
    };
}

impl Error {
    /// The class of error for the vendor's answer, by its status.
    pub fn from_vendor(answer: VendorError) -> Self {
        match ErrorKind::of_status(answer.status()) {
            ErrorKind::Validation => Error::Validation(answer),
            ErrorKind::Unauthorized => Error::Unauthorized(answer),
            ErrorKind::Forbidden => Error::Forbidden(answer),
            ErrorKind::NotFound => Error::NotFound(answer),
            ErrorKind::Conflict => Error::Conflict(answer),
            ErrorKind::RateLimited => Error::RateLimited(answer),
            ErrorKind::Server => Error::Server(answer),
            _ => Error::Status(answer),
        }
    }

    /// A transport error, stored without its URL (which may carry identifiers).
    pub fn http(
        operation_id: &'static str,
        source: reqwest::Error,
        attempts: Vec<Attempt>,
    ) -> Self {
        Error::Http {
            operation_id,
            source: source.without_url(),
            attempts,
        }
    }

    /// A body of `status` that does not decode: the JSON path and what was expected there,
    /// never the value.
    pub fn decode(
        operation_id: &'static str,
        status: reqwest::StatusCode,
        body: &[u8],
        error: &serde_json::Error,
    ) -> Self {
        Error::Decode {
            operation_id,
            status,
            source: DecodeFailure::new(body, error),
        }
    }

    /// The operation the error belongs to.
    pub fn operation_id(&self) -> &'static str {
        match self {
            Error::InvalidRequest { operation_id, .. }
            | Error::Auth { operation_id, .. }
            | Error::Redirect { operation_id, .. }
            | Error::Pagination { operation_id, .. }
            | Error::Http { operation_id, .. }
            | Error::Decode { operation_id, .. }
            | Error::Outcome { operation_id, .. }
            | Error::MissingScope { operation_id, .. } => operation_id,
            other => other.vendor().map_or("", VendorError::operation_id),
        }
    }

    /// The vendor's answer, when the vendor refused the call.
    pub fn vendor(&self) -> Option<&VendorError> {
        match self {
            answered!(v) => Some(v),
            _ => None,
        }
    }

    /// The vendor's answer, taken out, when the vendor refused the call; the error as it is
    /// otherwise.
    pub fn into_vendor(self) -> Result<VendorError, Error> {
        match self {
            answered!(v) => Ok(v),
            other => Err(other),
        }
    }

    /// The HTTP status, when the vendor answered.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Decode { status, .. } => Some(*status),
            Error::Http { source, .. } => source.status(),
            other => other.vendor().map(VendorError::status),
        }
    }

    /// The vendor's message, when it gave one.
    pub fn vendor_message(&self) -> Option<&str> {
        self.vendor().and_then(VendorError::message)
    }

    /// The attempts made before the final outcome, for calls that were retried.
    pub fn attempts(&self) -> &[Attempt] {
        match self {
            Error::Http { attempts, .. } => attempts,
            other => other.vendor().map_or(&[], VendorError::attempts),
        }
    }

    /// The vendor's error body decoded as `T` (e.g. Empego's `ErrorBody`, Health Gorilla's
    /// `OperationOutcome`), when there is one and it decodes. **Unscrubbed**, unlike
    /// [`vendor_message`](Self::vendor_message) and `Display`: it may hold PHI and the request's
    /// own values echoed back. Do not log it.
    pub fn vendor_body<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.vendor().and_then(VendorError::vendor_body)
    }

    /// Whether trying the same call again later may succeed: no response (connection,
    /// timeout), 429, and 502/503/504. The pipeline has already retried idempotent calls
    /// within its [policy](https://docs.rs/ehr-sdk); this is for the caller's own scheduling.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Http { source, .. } => !source.is_builder() && !source.is_decode(),
            Error::Auth {
                source: AuthError::Http(_) | AuthError::Unavailable { .. },
                ..
            } => true,
            Error::RateLimited(_) => true,
            Error::Server(v) => matches!(v.status().as_u16(), 502..=504),
            _ => false,
        }
    }

    /// The error for what progenitor's generated `send()` returned for `operation_id`.
    ///
    /// Generated builders call this themselves; callers never need to (generated code's
    /// plumbing, hidden from the documented API).
    #[doc(hidden)]
    pub async fn from_generated<E: serde::Serialize>(
        operation_id: &'static str,
        error: progenitor_client::Error<E>,
    ) -> Self {
        use progenitor_client::Error as Generated;
        match error {
            Generated::InvalidRequest(message) | Generated::Custom(message) => {
                Error::InvalidRequest {
                    operation_id,
                    message,
                }
            }
            Generated::CommunicationError(source)
            | Generated::InvalidUpgrade(source)
            | Generated::ResponseBodyError(source) => Error::http(operation_id, source, Vec::new()),
            // Generated code never builds this variant: `cargo xtask codegen` removes the arms
            // for documented error statuses, since the runtime turns every refusal into a
            // carried error first. Kept for a progenitor error of any other origin.
            Generated::ErrorResponse(value) => {
                let status = value.status();
                let headers = value.headers().clone();
                let body = serde_json::to_vec(value.as_ref())
                    .ok()
                    .filter(|b| b != b"null")
                    .unwrap_or_default();
                Error::from_vendor(VendorError::new(
                    operation_id,
                    status,
                    &headers,
                    body.into(),
                    false,
                ))
            }
            Generated::InvalidResponsePayload(body, error) => {
                Error::decode(operation_id, reqwest::StatusCode::OK, &body, &error)
            }
            Generated::UnexpectedResponse(response) => {
                Self::from_response(operation_id, response).await
            }
        }
    }

    /// The error for a response that is not the operation's success: the error the pipeline
    /// carried in it, or the vendor's answer (body bounded to [`MAX_ERROR_BODY`]).
    pub async fn from_response(operation_id: &'static str, response: reqwest::Response) -> Self {
        if let Some(error) = carried(&response) {
            return error;
        }
        let attempts = response
            .extensions()
            .get::<RetryHistory>()
            .map(|h| h.0.clone())
            .unwrap_or_default();
        Error::from_vendor(
            VendorError::read(operation_id, response)
                .await
                .with_attempts(attempts),
        )
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
            Error::Decode {
                operation_id,
                status,
                source,
            } => write!(
                f,
                "{operation_id}: the {status} response does not decode {source}"
            ),
            Error::MissingScope {
                operation_id,
                scope,
            } => write!(
                f,
                "{operation_id}: not sent: the token was not granted the scope `{scope}`"
            ),
            Error::Outcome {
                operation_id,
                detail,
                ..
            } => write!(f, "{operation_id}: {detail}"),
            // The vendor's answers, each shown as its `VendorError`.
            other => match other.vendor() {
                Some(answer) => answer.fmt(f),
                None => Ok(()),
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Http { source, .. } => Some(source),
            Error::Auth { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            Error::Outcome { detail, .. } => Some(detail.as_ref()),
            _ => None,
        }
    }
}

/// One attempt of a call, as kept in an error's retry history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The status answered, if any.
    pub status: Option<u16>,
    /// What failed when there was no status (a short description, no URL).
    pub failure: Option<String>,
    /// How long the transport waited after this attempt before the next.
    pub waited: Duration,
}

/// The attempts a call made before its final response, attached to that response's
/// extensions by the transport that retried it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryHistory(pub Vec<Attempt>);

/// The longest wait a `Retry-After` is taken to ask for (one day): a larger or far-future value
/// is clamped to it, so no wait computed from it can overflow.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// The wait a `Retry-After` header asks for: delay-seconds or an HTTP date (RFC 9110), at most
/// [`MAX_RETRY_AFTER`].
///
/// ```
/// use std::time::Duration;
/// use ehr_runtime::retry_after;
///
/// assert_eq!(retry_after("120"), Some(Duration::from_secs(120)));
/// assert_eq!(retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO)); // past
/// assert_eq!(retry_after("soon"), None);
/// assert_eq!(retry_after("18446744073709551615"), Some(ehr_runtime::error::MAX_RETRY_AFTER));
/// ```
pub fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use reqwest::header::HeaderMap;

    const REJECTED: RefusalCode = RefusalCode::new("elation", "impersonated_user_rejected");

    fn answer(status: StatusCode, body: &str) -> VendorError {
        VendorError::new(
            "users_list",
            status,
            &HeaderMap::new(),
            body.to_string().into(),
            false,
        )
    }

    #[test]
    fn a_vendor_refusal_is_its_answer_with_a_code_matchable_as_a_pattern() {
        let error = Error::Refused {
            code: REJECTED,
            answer: answer(
                StatusCode::UNAUTHORIZED,
                r#"{"detail": "On-behalf-of user not found or not authorized"}"#,
            ),
        };

        assert!(matches!(error, Error::Refused { code: REJECTED, .. }));
        assert_eq!(error.operation_id(), "users_list");
        assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
        assert_eq!(
            error.to_string(),
            "users_list: 401 Unauthorized: On-behalf-of user not found or not authorized"
        );
        assert!(!error.is_retryable());
        let answer = error.into_vendor().expect("the vendor's answer");
        assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    }

    #[test]
    fn an_error_without_an_answer_stays_itself_when_its_answer_is_asked_for() {
        let error = Error::MissingScope {
            operation_id: "users_list",
            scope: "act_as_user".into(),
        };
        assert!(error.vendor().is_none());
        assert!(matches!(
            error.into_vendor(),
            Err(Error::MissingScope { scope, .. }) if scope == "act_as_user"
        ));
    }
}
