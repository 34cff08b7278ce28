//! Tokens and the sources that fetch them.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::Secret;

/// An access token and when it stops working.
#[derive(Clone, Debug, PartialEq)]
pub struct AccessToken {
    /// The bearer token.
    pub token: Secret,
    /// When it expires (`None`: unknown, used until the API refuses it).
    pub expires_at: Option<SystemTime>,
    /// The scopes the token endpoint granted, space-separated as it sent them (`None` when it
    /// did not say; OAuth 2.0 then means "as requested").
    pub scope: Option<String>,
}

/// The longest a token is taken to live, whatever a token endpoint or a stored file says (ten
/// years): every expiry computed from outside data is clamped to it, so no arithmetic on it can
/// overflow (`expires_in: 9223372036854775807` is simply "ten years").
pub const MAX_TOKEN_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);

/// The latest expiry a token may have: [`MAX_TOKEN_LIFETIME`] from now.
fn latest_expiry(now: SystemTime) -> SystemTime {
    now.checked_add(MAX_TOKEN_LIFETIME).unwrap_or(now)
}

impl AccessToken {
    /// Whether the token is still good for at least `skew`.
    pub fn is_fresh(&self, skew: Duration) -> bool {
        match self.expires_at {
            None => true,
            // A skew too large to add to now leaves no token fresh.
            Some(at) => SystemTime::now().checked_add(skew).is_some_and(|t| t < at),
        }
    }
}

/// What an OAuth token endpoint hands out and a [`TokenStore`](super::TokenStore) keeps: an
/// access token, its expiry and the refresh token to get the next one.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenSet {
    /// The access token.
    pub access: AccessToken,
    /// The refresh token, when the grant gives one. DrChrono rotates it: each refresh spends it.
    pub refresh_token: Option<Secret>,
}

impl TokenSet {
    /// A set from a token response: `expires_in` seconds from now.
    pub fn from_response(
        access_token: String,
        expires_in: Option<i64>,
        refresh_token: Option<String>,
    ) -> Self {
        // A negative lifetime (a clock or server oddity) means already expired; a lifetime
        // beyond MAX_TOKEN_LIFETIME is clamped to it.
        let expires_at = expires_in.map(|s| {
            let now = SystemTime::now();
            let delta = Duration::from_secs(s.unsigned_abs()).min(MAX_TOKEN_LIFETIME);
            if s >= 0 {
                now.checked_add(delta).unwrap_or(now)
            } else {
                now.checked_sub(delta).unwrap_or(UNIX_EPOCH)
            }
        });
        Self {
            access: AccessToken {
                token: Secret::new(access_token),
                expires_at,
                scope: None,
            },
            refresh_token: refresh_token.map(Secret::new),
        }
    }
}

/// The stored form of a [`TokenSet`]; only stores see it.
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredTokenSet {
    pub(crate) access_token: String,
    pub(crate) expires_at_unix: Option<u64>,
    pub(crate) refresh_token: Option<String>,
}

impl From<&TokenSet> for StoredTokenSet {
    fn from(set: &TokenSet) -> Self {
        Self {
            access_token: set.access.token.expose().to_string(),
            expires_at_unix: set
                .access
                .expires_at
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
            refresh_token: set.refresh_token.as_ref().map(|s| s.expose().to_string()),
        }
    }
}

impl From<StoredTokenSet> for TokenSet {
    fn from(stored: StoredTokenSet) -> Self {
        Self {
            access: AccessToken {
                token: Secret::new(stored.access_token),
                // A stored expiry past MAX_TOKEN_LIFETIME from now (or past what the clock
                // can hold) is clamped to it.
                expires_at: stored.expires_at_unix.map(|s| {
                    let latest = latest_expiry(SystemTime::now());
                    UNIX_EPOCH
                        .checked_add(Duration::from_secs(s))
                        .map_or(latest, |at| at.min(latest))
                }),
                scope: None,
            },
            refresh_token: stored.refresh_token.map(Secret::new),
        }
    }
}

pub use ehr_runtime::AuthError;
pub(crate) use ehr_runtime::error::DecodeFailure;

/// The future a [`TokenSource`] returns.
pub type TokenSourceFuture<'a> =
    Pin<Box<dyn Future<Output = Result<AccessToken, AuthError>> + Send + 'a>>;

/// Fetches a new access token. [`TokenCache`](super::TokenCache) decides when.
pub trait TokenSource: fmt::Debug + Send + Sync + 'static {
    /// Fetches a token. `rejected` is the token the API just refused with 401, if that is why
    /// a new one is needed (a source holding a stored, still unexpired token returns that one
    /// unless it is the rejected one).
    fn fetch<'a>(&'a self, rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a>;

    /// Whether a token the API refused (401) can be replaced by fetching again. `false` for a
    /// fixed token ([`StaticToken`](super::StaticToken)): the 401 then goes to the caller.
    fn can_refresh(&self) -> bool {
        true
    }
}
