//! The OAuth 2.0 client-credentials grant (RFC 6749 §4.4): a service account's token, asked
//! for again whenever the cache needs a new one.

use std::fmt;

use super::{AccessToken, AuthError, TokenSource, TokenSourceFuture};
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
    token_url: String,
    client_id: String,
    client_secret: Secret,
    scope: Option<String>,
    http: reqwest::Client,
}

impl ClientCredentials {
    /// A source asking `token_url` for tokens of `client_id`, with the default HTTP client.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        Self {
            token_url: token_url.into(),
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            scope: None,
            http: ehr_runtime::default_http_client(),
        }
    }

    /// The scopes to ask for, space-separated (none unless set: the server's default).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        let scope = scope.into();
        self.scope = (!scope.is_empty()).then_some(scope);
        self
    }

    /// Sends token requests with `http`.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    async fn request(&self) -> Result<AccessToken, AuthError> {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.expose()),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope.as_str()));
        }
        super::endpoint::exchange(
            &self.http,
            &self.token_url,
            super::endpoint::Grant::CLIENT_CREDENTIALS,
            &form,
            &[self.client_secret.expose()],
            self.scope.as_deref(),
        )
        .await
    }
}

impl TokenSource for ClientCredentials {
    fn fetch<'a>(&'a self, _rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        // A rejected service-account token is replaced by a new one either way.
        Box::pin(self.request())
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope)
            .finish()
    }
}
