//! Why no credential could be had, and why a token store failed.

use std::fmt;

/// Why no access token could be had. Holds no secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint could not be reached.
    Http(reqwest::Error),
    /// The token endpoint refused.
    Refused {
        /// The status.
        status: reqwest::StatusCode,
        /// The OAuth `error` and `error_description` (`invalid_grant: Token expired`), with
        /// every credential of the request scrubbed out.
        message: Option<String>,
        /// The body as sent (bounded); `Debug` shows only its length, since a server may echo
        /// the request's secrets.
        body: super::Body,
    },
    /// The token endpoint's answer did not decode (where and why, never the value).
    Decode(super::DecodeFailure),
    /// There is no refresh token to refresh with: authorize the user (code exchange) first.
    NoRefreshToken,
    /// A new refresh token could not be saved, so the new access token was not used. The new
    /// tokens are kept in memory and saved before the next use.
    Store(StoreError),
    /// The access token cannot be sent: it holds characters an HTTP header cannot carry.
    UnsendableToken,
    /// A token fetch failed moments ago; callers that were waiting for it, or arrive within
    /// the back-off, share that outcome instead of asking the token endpoint again.
    Unavailable {
        /// What the failed fetch said (already free of secrets).
        reason: String,
        /// How long until the token endpoint is asked again.
        retry_in: std::time::Duration,
    },
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Http(e) => write!(f, "token endpoint unreachable: {e}"),
            AuthError::Refused {
                status, message, ..
            } => {
                write!(f, "token endpoint refused ({status})")?;
                match message {
                    Some(message) => write!(f, ": {message}"),
                    None => Ok(()),
                }
            }
            AuthError::Decode(e) => write!(f, "token response does not decode: {e}"),
            AuthError::NoRefreshToken => {
                f.write_str("no refresh token stored: exchange an authorization code first")
            }
            AuthError::Store(e) => write!(f, "could not save the new refresh token: {e}"),
            AuthError::UnsendableToken => {
                f.write_str("the access token holds characters a header cannot carry")
            }
            AuthError::Unavailable { reason, retry_in } => write!(
                f,
                "no token: the last fetch failed ({reason}); next attempt in {} ms",
                retry_in.as_millis()
            ),
        }
    }
}

impl AuthError {
    /// A token endpoint's refusal: `status` with `body`, its OAuth message scrubbed of `known`
    /// (the request's credentials) and of anything shaped like a credential.
    pub fn refused(status: reqwest::StatusCode, body: bytes::Bytes, known: &[&str]) -> Self {
        let message = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|json| {
                let text = |k: &str| json.get(k).and_then(|v| v.as_str()).map(str::to_string);
                match (text("error"), text("error_description")) {
                    (Some(e), Some(d)) => Some(format!("{e}: {d}")),
                    (e, d) => e.or(d),
                }
            })
            .map(|m| super::scrub(&m, known));
        AuthError::Refused {
            status,
            message,
            body: super::Body(body),
        }
    }
}

impl std::error::Error for AuthError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuthError::Http(e) => Some(e),
            AuthError::Decode(e) => Some(e),
            AuthError::Store(e) => Some(e),
            _ => None,
        }
    }
}

/// Why a token store failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing failed.
    Io(std::io::Error),
    /// The stored data does not decode.
    Corrupt(serde_json::Error),
    /// A store of your own failed, for the reason given.
    Other(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "token store I/O: {e}"),
            StoreError::Corrupt(e) => write!(f, "token store holds data that does not decode: {e}"),
            StoreError::Other(why) => write!(f, "token store: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}
