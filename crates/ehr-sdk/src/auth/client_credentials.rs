//! The OAuth 2.0 client-credentials grant (RFC 6749 §4.4): a service account's token, asked
//! for again whenever the cache needs a new one.

use std::fmt;

use super::endpoint::{ClientGrant, Grant};
use super::{AccessToken, TokenSource, TokenSourceFuture};
use crate::Secret;

/// Fetches tokens with `grant_type=client_credentials`, the client id and secret in the
/// form-encoded body (as Elation documents) and, when set, a space-separated `scope`.
///
/// The token endpoint's `scope` answer is kept in [`AccessToken::scope`]; when it says nothing
/// the requested scope is recorded instead (OAuth 2.0: an omitted `scope` means "as requested").
///
/// ```
/// use ehr_sdk::auth::{ClientCredentials, TokenCache};
///
/// let source = ClientCredentials::new(
///     "https://sandbox.elationemr.com/api/2.0/oauth2/token/",
///     "client-id",
///     "client-secret",
/// )
/// .scope("system/patients.read");
/// let cache = TokenCache::new(source, TokenCache::DEFAULT_SKEW);
/// assert!(!format!("{cache:?}").contains("client-secret"));
/// ```
#[derive(Clone)]
pub struct ClientCredentials {
    grant: ClientGrant,
}

impl ClientCredentials {
    /// A source asking `token_url` for tokens of `client_id`, with the default HTTP client.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            grant: ClientGrant::new(token_url.into(), client_id.into(), client_secret.into()),
        }
    }

    /// The scopes to ask for, space-separated (none unless set: the server's default).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.grant.set_scope(scope.into());
        self
    }

    /// Sends token requests with `http`.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.grant.http = http;
        self
    }
}

impl TokenSource for ClientCredentials {
    fn fetch<'a>(&'a self, _rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        // A rejected service-account token is replaced by a new one either way.
        Box::pin(async move {
            let secret = self.grant.client_secret.expose();
            self.grant
                .exchange(
                    Grant::CLIENT_CREDENTIALS,
                    &[("grant_type", "client_credentials")],
                    &[("client_secret", secret)],
                    &[],
                )
                .await
        })
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("ClientCredentials");
        self.grant.debug_fields(&mut f);
        f.finish()
    }
}
