//! The class of an [`Error`], with a stable name for logs and metrics.

use std::fmt;

use super::Error;

/// The class of an [`Error`] ([`Error::kind`]): one per variant, with a stable snake_case name
/// ([`as_str`](Self::as_str), also its `Display`) to log, count or label metrics by. New
/// classes may be added; the names of existing ones do not change.
///
/// ```
/// use ehr_runtime::{Error, ErrorKind, VendorError};
/// use reqwest::{StatusCode, header::HeaderMap};
///
/// let answer = VendorError::new(
///     "patients_read",
///     StatusCode::NOT_FOUND,
///     &HeaderMap::new(),
///     r#"{"detail": "Not found."}"#.into(),
///     false,
/// );
/// let error = Error::from_vendor(answer);
/// assert_eq!(error.kind(), ErrorKind::NotFound);
/// assert_eq!(error.kind().to_string(), "not_found");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// [`Error::InvalidRequest`]: `invalid_request`.
    InvalidRequest,
    /// [`Error::Auth`]: `auth`.
    Auth,
    /// [`Error::Http`]: `http`.
    Http,
    /// [`Error::Redirect`]: `redirect`.
    Redirect,
    /// [`Error::Pagination`]: `pagination`.
    Pagination,
    /// [`Error::MissingScope`]: `missing_scope`.
    MissingScope,
    /// [`Error::Decode`]: `decode`.
    Decode,
    /// [`Error::Validation`]: `validation`.
    Validation,
    /// [`Error::Unauthorized`]: `unauthorized`.
    Unauthorized,
    /// [`Error::Forbidden`]: `forbidden`.
    Forbidden,
    /// [`Error::NotFound`]: `not_found`.
    NotFound,
    /// [`Error::Conflict`]: `conflict`.
    Conflict,
    /// [`Error::RateLimited`]: `rate_limited`.
    RateLimited,
    /// [`Error::Server`]: `server`.
    Server,
    /// [`Error::Status`]: `status`.
    Status,
    /// [`Error::Refused`]: `refused`.
    Refused,
    /// [`Error::Outcome`]: `outcome`.
    Outcome,
}

impl ErrorKind {
    /// Every class, in declaration order.
    pub const ALL: [ErrorKind; 17] = [
        ErrorKind::InvalidRequest,
        ErrorKind::Auth,
        ErrorKind::Http,
        ErrorKind::Redirect,
        ErrorKind::Pagination,
        ErrorKind::MissingScope,
        ErrorKind::Decode,
        ErrorKind::Validation,
        ErrorKind::Unauthorized,
        ErrorKind::Forbidden,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::RateLimited,
        ErrorKind::Server,
        ErrorKind::Status,
        ErrorKind::Refused,
        ErrorKind::Outcome,
    ];

    /// The class of a vendor's answer with `status`, as [`Error::from_vendor`] makes it
    /// (`Validation` for 400 and 422, `NotFound` for 404 and 410, `Server` for 5xx, …;
    /// `Status` for any status without a class of its own).
    ///
    /// ```
    /// use ehr_runtime::ErrorKind;
    /// use reqwest::StatusCode;
    ///
    /// assert_eq!(ErrorKind::of_status(StatusCode::UNPROCESSABLE_ENTITY), ErrorKind::Validation);
    /// assert_eq!(ErrorKind::of_status(StatusCode::IM_A_TEAPOT), ErrorKind::Status);
    /// ```
    pub const fn of_status(status: reqwest::StatusCode) -> ErrorKind {
        match status.as_u16() {
            400 | 422 => ErrorKind::Validation,
            401 => ErrorKind::Unauthorized,
            403 => ErrorKind::Forbidden,
            404 | 410 => ErrorKind::NotFound,
            409 => ErrorKind::Conflict,
            429 => ErrorKind::RateLimited,
            500..=599 => ErrorKind::Server,
            _ => ErrorKind::Status,
        }
    }

    /// The stable name (`not_found`, `rate_limited`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::Auth => "auth",
            ErrorKind::Http => "http",
            ErrorKind::Redirect => "redirect",
            ErrorKind::Pagination => "pagination",
            ErrorKind::MissingScope => "missing_scope",
            ErrorKind::Decode => "decode",
            ErrorKind::Validation => "validation",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Server => "server",
            ErrorKind::Status => "status",
            ErrorKind::Refused => "refused",
            ErrorKind::Outcome => "outcome",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Error {
    /// The class of this error, with a stable name for logs and metrics.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::Auth { .. } => ErrorKind::Auth,
            Error::Http { .. } => ErrorKind::Http,
            Error::Redirect { .. } => ErrorKind::Redirect,
            Error::Pagination { .. } => ErrorKind::Pagination,
            Error::MissingScope { .. } => ErrorKind::MissingScope,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Validation(_) => ErrorKind::Validation,
            Error::Unauthorized(_) => ErrorKind::Unauthorized,
            Error::Forbidden(_) => ErrorKind::Forbidden,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::RateLimited(_) => ErrorKind::RateLimited,
            Error::Server(_) => ErrorKind::Server,
            Error::Status(_) => ErrorKind::Status,
            Error::Refused { .. } => ErrorKind::Refused,
            Error::Outcome { .. } => ErrorKind::Outcome,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_snake_case_name() {
        let names: std::collections::BTreeSet<_> =
            ErrorKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for name in names {
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name}"
            );
        }
    }
}
