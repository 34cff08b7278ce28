//! The façade's one error type.

use std::fmt;

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
    /// The request did not get a response: connection, timeout, TLS.
    Http {
        /// The operation.
        operation_id: &'static str,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The vendor answered with a status the operation does not succeed with.
    Status {
        /// The operation.
        operation_id: &'static str,
        /// The status.
        status: reqwest::StatusCode,
        /// The response body, as sent.
        body: bytes::Bytes,
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
            | Error::Http { operation_id, .. }
            | Error::Status { operation_id, .. }
            | Error::Decode { operation_id, .. } => operation_id,
        }
    }

    /// The HTTP status, when the vendor answered.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Status { status, .. } | Error::Decode { status, .. } => Some(*status),
            Error::Http { source, .. } => source.status(),
            Error::InvalidRequest { .. } => None,
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
            Error::Http {
                operation_id,
                source,
            } => write!(f, "{operation_id}: no response: {source}"),
            Error::Status {
                operation_id,
                status,
                body,
            } => {
                write!(f, "{operation_id}: the vendor answered {status}")?;
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
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Http { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            _ => None,
        }
    }
}
