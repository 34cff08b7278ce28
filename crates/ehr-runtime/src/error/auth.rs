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
        /// The OAuth `error` code (RFC 6749 §5.2), when the body has one: match on it to tell
        /// an expired or malformed assertion (`InvalidGrant`) from wrong client credentials
        /// (`InvalidClient`) or a scope the client may not have (`InvalidScope`).
        error: Option<OAuthErrorCode>,
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
    /// A JWT assertion could not be signed (JWT-bearer grant); says why, never the key.
    Assertion(String),
    /// The client is not set up to get a token for this call, so nothing was sent; says what
    /// to set (Health Gorilla: a user to act as).
    NotConfigured(&'static str),
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
            AuthError::Assertion(why) => write!(f, "the JWT assertion could not be signed: {why}"),
            AuthError::NotConfigured(fix) => write!(f, "not set up to get a token: {fix}"),
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
        let json = serde_json::from_slice::<serde_json::Value>(&body).ok();
        let error = json
            .as_ref()
            .and_then(|json| json.get("error"))
            .and_then(|e| e.as_str())
            .map(OAuthErrorCode::parse);
        let message = json
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
            error,
            message,
            body: super::Body(body),
        }
    }

    /// The OAuth `error` code of a token endpoint's refusal, if it gave one.
    pub fn oauth_error(&self) -> Option<&OAuthErrorCode> {
        match self {
            AuthError::Refused { error, .. } => error.as_ref(),
            _ => None,
        }
    }
}

/// An OAuth 2.0 token endpoint's `error` code (RFC 6749 §5.2; RFC 7523 uses the same codes for
/// the JWT-bearer grant).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: the client is unknown or its authentication failed (with a JWT
    /// assertion: `iss` or `sub` not the client's, a wrong signature).
    InvalidClient,
    /// `invalid_grant`: the grant (authorization code, refresh token or JWT assertion) is
    /// invalid, expired, revoked or meant for another audience.
    InvalidGrant,
    /// `unauthorized_client`: this client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `invalid_scope`: a requested scope is unknown or not allowed to this client.
    InvalidScope,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorCode {
    /// The code for `error` as a token endpoint spells it.
    pub fn parse(error: &str) -> Self {
        match error {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            // Kept short and free of anything shaped like a credential.
            other => Self::Other(super::scrub(
                &other.chars().take(64).collect::<String>(),
                &[],
            )),
        }
    }

    /// The code as OAuth spells it (`invalid_grant`).
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::Other(code) => code,
        }
    }
}

impl fmt::Display for OAuthErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
    /// A save under a lease was refused: the lease expired and another holder took it (or
    /// saved a newer set), so this holder's set is older than the stored one and is dropped
    /// rather than written over it (see `ehr_sdk::auth::LeasedTokenStore`).
    LeaseLost,
    /// No lease could be had in the time allowed: another holder kept renewing it.
    LeaseBusy,
    /// A shared store (PostgreSQL, Redis) could not be reached, failed, or did not answer in
    /// the time allowed; the reason is the store's (it names no secret).
    Unavailable(String),
    /// A store of your own failed, for the reason given.
    Other(String),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io(e) => write!(f, "token store I/O: {e}"),
            StoreError::Corrupt(e) => write!(f, "token store holds data that does not decode: {e}"),
            StoreError::LeaseLost => f.write_str(
                "token store: the lease was lost to another holder; its newer tokens are kept",
            ),
            StoreError::LeaseBusy => {
                f.write_str("token store: another holder kept the lease past the wait allowed")
            }
            StoreError::Unavailable(why) => write!(f, "token store unavailable: {why}"),
            StoreError::Other(why) => write!(f, "token store: {why}"),
        }
    }
}

impl std::error::Error for StoreError {}
