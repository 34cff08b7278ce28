//! A fixed access token, as a platform hands one to you.

use std::fmt;

use super::{AccessToken, TokenSource, TokenSourceFuture};
use crate::Secret;

/// A [`TokenSource`] that always returns the same access token: one your platform issued
/// and refreshes itself. It cannot refresh: a 401 comes back to the caller as
/// [`Error::Unauthorized`](crate::Error::Unauthorized), with no token request and no re-send.
///
/// ```
/// use ehr_sdk::auth::StaticToken;
///
/// let source = StaticToken::new("token-from-the-platform");
/// assert!(!format!("{source:?}").contains("token-from"));
/// ```
#[derive(Clone)]
pub struct StaticToken {
    token: AccessToken,
}

impl StaticToken {
    /// The source of `token` (no known expiry).
    pub fn new(token: impl Into<Secret>) -> Self {
        Self {
            token: AccessToken {
                token: token.into(),
                expires_at: None,
                scope: None,
            },
        }
    }

    /// The source of `token` with the scopes it was granted, space-separated (Elation's scope
    /// checks read them).
    pub fn with_scope(token: impl Into<Secret>, scope: impl Into<String>) -> Self {
        let mut source = Self::new(token);
        source.token.scope = Some(scope.into());
        source
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("token", &self.token.token)
            .field("scope", &self.token.scope)
            .finish()
    }
}

impl TokenSource for StaticToken {
    fn fetch<'a>(&'a self, _rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        let token = self.token.clone();
        Box::pin(async move { Ok(token) })
    }

    fn can_refresh(&self) -> bool {
        false
    }
}
