//! Why no credential could be had, and why a token store failed.

use std::fmt;

/// Why no access token could be had. Holds no secret.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint could not be reached.
    Http(reqwest::Error),
    /// The token endpoint refused (status and its body, which OAuth servers keep free of
    /// secrets: `{"error": "invalid_grant"}`).
    Refused {
        /// The status.
        status: reqwest::StatusCode,
        /// The body as sent.
        body: String,
    },
    /// The token endpoint's answer did not decode.
    Decode(serde_json::Error),
    /// There is no refresh token to refresh with: authorize the user (code exchange) first.
    NoRefreshToken,
    /// A new refresh token could not be saved, so the new access token was not used. The new
    /// tokens are kept in memory and saved before the next use.
    Store(StoreError),
    /// The access token cannot be sent: it holds characters an HTTP header cannot carry.
    UnsendableToken,
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AuthError::Http(e) => write!(f, "token endpoint unreachable: {e}"),
            AuthError::Refused { status, body } => {
                write!(f, "token endpoint refused ({status}): {body}")
            }
            AuthError::Decode(e) => write!(f, "token response does not decode: {e}"),
            AuthError::NoRefreshToken => {
                f.write_str("no refresh token stored: exchange an authorization code first")
            }
            AuthError::Store(e) => write!(f, "could not save the new refresh token: {e}"),
            AuthError::UnsendableToken => {
                f.write_str("the access token holds characters a header cannot carry")
            }
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
