//! DrChrono's OAuth 2.0 authorization-code flow, with rotating refresh tokens.
//!
//! 1. Send the user to [`DrChronoOAuth::authorize_url`]; DrChrono redirects back to your
//!    `redirect_uri` with `code` (valid for one minute) and your `state`.
//! 2. [`DrChronoOAuth::exchange_code`] trades the code for a [`TokenSet`] and saves it.
//! 3. A client built with [`DrChronoOAuth::token_source`] refreshes the access token when needed
//!    (access tokens last 48 hours). Each refresh spends the refresh token and returns a new one,
//!    which is saved **before** the new access token is used.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ehr_drchrono::types::{GrantType, RevokeTokenRequest, TokenRequest, TokenResponse};
use reqwest::Url;

use crate::auth::endpoint;
use crate::auth::{
    AccessToken, AuthError, StoreError, TokenSet, TokenSource, TokenSourceFuture, TokenStore,
};
use crate::runtime::error::RefusalCode;
use crate::{Error, Secret};

/// DrChrono's production base URL.
pub const BASE_URL: &str = "https://drchrono.com";

/// An application's DrChrono OAuth credentials and the endpoints they are used with.
#[derive(Clone)]
pub struct DrChronoOAuth {
    client_id: String,
    client_secret: Secret,
    redirect_uri: String,
    base_url: String,
    http: reqwest::Client,
}

impl fmt::Debug for DrChronoOAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DrChronoOAuth")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl DrChronoOAuth {
    /// Credentials from the API management page, and a redirect URI registered there.
    pub fn new(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self::with_http(
            client_id,
            client_secret,
            redirect_uri,
            ehr_runtime::default_http_client(),
        )
    }

    /// Like [`new`](Self::new), with the HTTP client token requests are sent with (building
    /// one sets up TLS, so share the client you already have).
    pub fn with_http(
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
        redirect_uri: impl Into<String>,
        http: reqwest::Client,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
            redirect_uri: redirect_uri.into(),
            base_url: BASE_URL.into(),
            http,
        }
    }

    /// Uses another base URL (a test server).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_string();
        self
    }

    /// Uses this HTTP client for token requests.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// The URL to send the user to: `/o/authorize/` with the client id, redirect URI,
    /// `response_type=code`, the scopes (space-separated; none means every scope) and `state`
    /// (echoed back to the redirect URI: check it there to stop request forgery).
    ///
    /// ```
    /// use ehr_sdk::drchrono::{DrChronoOAuth, Scope, ScopeArea};
    ///
    /// let oauth = DrChronoOAuth::new("my-client", "secret", "https://app.example/callback");
    /// let scopes = [Scope::read(ScopeArea::Patients), Scope::read(ScopeArea::Calendar)];
    /// let url = oauth.authorize_url(scopes, "xyz-123").unwrap();
    /// assert_eq!(
    ///     url.as_str(),
    ///     "https://drchrono.com/o/authorize/?redirect_uri=https%3A%2F%2Fapp.example%2Fcallback\
    ///      &response_type=code&client_id=my-client&scope=patients%3Aread+calendar%3Aread&state=xyz-123"
    /// );
    /// ```
    pub fn authorize_url(
        &self,
        scopes: impl IntoIterator<Item = super::Scope>,
        state: &str,
    ) -> Result<Url, url::ParseError> {
        let scopes: Vec<String> = scopes.into_iter().map(|s| s.to_string()).collect();
        let mut url = Url::parse(&format!("{}/o/authorize/", self.base_url))?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("redirect_uri", &self.redirect_uri)
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id);
            if !scopes.is_empty() {
                query.append_pair("scope", &scopes.join(" "));
            }
            query.append_pair("state", state);
        }
        Ok(url)
    }

    /// Trades an authorization `code` for tokens and saves them in `store`.
    ///
    /// A refusal or an unreachable endpoint is [`Error::Auth`] (operation
    /// `oauth_token_authorization_code`). The code is single-use: once DrChrono has answered,
    /// it is spent. If saving then fails, the error is an [`Error::Outcome`] of
    /// [`ExchangeNotSaved::CODE`] holding the issued tokens, so they are not lost:
    /// [`ExchangeNotSaved::take`] gives them back.
    pub async fn exchange_code(
        &self,
        code: &str,
        store: &dyn TokenStore,
    ) -> Result<TokenSet, Error> {
        let operation_id = endpoint::Grant::AUTHORIZATION_CODE.operation_id();
        let set = self
            .token_request(GrantType::AuthorizationCode, Some(code), None)
            .await
            .map_err(|source| Error::Auth {
                operation_id,
                source,
            })?;
        match store.save(&set).await {
            Ok(()) => Ok(set),
            Err(source) => Err(Error::Outcome {
                operation_id,
                code: ExchangeNotSaved::CODE,
                detail: Box::new(ExchangeNotSaved {
                    tokens: set,
                    source,
                }),
            }),
        }
    }

    /// Spends `refresh_token` for a new token set (a refusal or an unreachable endpoint is
    /// [`Error::Auth`], operation `oauth_token_refresh`). Prefer
    /// [`token_source`](Self::token_source), which saves the new set before it is used.
    pub async fn refresh(&self, refresh_token: impl Into<Secret>) -> Result<TokenSet, Error> {
        self.refresh_set(&refresh_token.into())
            .await
            .map_err(|source| Error::Auth {
                operation_id: endpoint::Grant::REFRESH_TOKEN.operation_id(),
                source,
            })
    }

    /// [`refresh`](Self::refresh), for the token source.
    async fn refresh_set(&self, refresh_token: &Secret) -> Result<TokenSet, AuthError> {
        let mut set = self
            .token_request(GrantType::RefreshToken, None, Some(refresh_token))
            .await?;
        if set.refresh_token.is_none() {
            // A server that does not rotate keeps the old refresh token valid.
            set.refresh_token = Some(refresh_token.clone());
        }
        Ok(set)
    }

    /// Revokes an access token (`/o/revoke_token/`): a `&str`, a `String` or a
    /// [`Secret`] (owned or borrowed). A refusal or an unreachable endpoint is
    /// [`Error::Auth`] (operation `oauth_revoke`).
    pub async fn revoke(&self, access_token: impl Into<Secret>) -> Result<(), Error> {
        let access_token = access_token.into();
        let body = RevokeTokenRequest {
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.expose().to_string(),
            token: access_token.expose().to_string(),
        };
        endpoint::send(
            self.http
                .post(format!("{}/o/revoke_token/", self.base_url))
                .form(&body),
            endpoint::Grant::REVOKE,
            &[self.client_secret.expose(), access_token.expose()],
        )
        .await
        .map(drop)
        .map_err(|source| Error::Auth {
            operation_id: endpoint::Grant::REVOKE.operation_id(),
            source,
        })
    }

    /// A token source for one user's connection: uses the stored access token while it lasts,
    /// then refreshes, saving each new refresh token before its access token is used.
    pub fn token_source(&self, store: impl TokenStore) -> RefreshingTokenSource {
        RefreshingTokenSource {
            oauth: self.clone(),
            store: Arc::new(store),
            unsaved: tokio::sync::Mutex::new(None),
            skew: crate::auth::TokenCache::DEFAULT_SKEW,
        }
    }

    async fn token_request(
        &self,
        grant_type: GrantType,
        code: Option<&str>,
        refresh_token: Option<&Secret>,
    ) -> Result<TokenSet, AuthError> {
        let body = TokenRequest {
            grant_type,
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.expose().to_string(),
            redirect_uri: self.redirect_uri.clone(),
            code: code.map(str::to_string),
            refresh_token: refresh_token.map(|t| t.expose().to_string()),
        };
        let grant = match grant_type {
            GrantType::RefreshToken => endpoint::Grant::REFRESH_TOKEN,
            GrantType::AuthorizationCode => endpoint::Grant::AUTHORIZATION_CODE,
        };
        let bytes = endpoint::send(
            self.http
                .post(format!("{}/o/token/", self.base_url))
                .form(&body),
            grant,
            &[
                self.client_secret.expose(),
                code.unwrap_or_default(),
                refresh_token.map_or("", |t| t.expose()),
            ],
        )
        .await?;
        let token: TokenResponse = endpoint::decode(&bytes, ehr_drchrono::from_json(&bytes))?;
        Ok(TokenSet::from_response(
            token.access_token,
            Some(token.expires_in),
            Some(token.refresh_token),
        ))
    }
}

/// A [`TokenSource`] for one DrChrono user: the stored access token while it lasts, then a
/// refresh whose new refresh token is saved before the new access token is handed out.
///
/// If saving fails, the new set is kept in memory, the call fails with [`AuthError::Store`], and
/// the next fetch saves that same set (no second refresh with the spent token) before using it.
pub struct RefreshingTokenSource {
    oauth: DrChronoOAuth,
    store: Arc<dyn TokenStore>,
    unsaved: tokio::sync::Mutex<Option<TokenSet>>,
    skew: Duration,
}

impl fmt::Debug for RefreshingTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshingTokenSource")
            .field("oauth", &self.oauth)
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl RefreshingTokenSource {
    /// Refresh when the stored access token has less than `skew` left (60 s unless set; the
    /// builders' [`refresh_skew`](crate::builder::ClientBuilder::refresh_skew) sets it for the
    /// source they make).
    ///
    /// ```
    /// use std::time::Duration;
    /// use ehr_sdk::auth::MemoryTokenStore;
    /// use ehr_sdk::drchrono::DrChronoOAuth;
    ///
    /// let oauth = DrChronoOAuth::new("client-id", "client-secret", "https://app.example/cb");
    /// let source = oauth
    ///     .token_source(MemoryTokenStore::new())
    ///     .refresh_skew(Duration::from_secs(300));
    /// # drop(source);
    /// ```
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    async fn fetch_inner(&self, rejected: Option<&AccessToken>) -> Result<AccessToken, AuthError> {
        let mut unsaved = self.unsaved.lock().await;
        if let Some(set) = unsaved.as_ref() {
            match self.store.save(set).await {
                Ok(()) => {
                    let access = set.access.clone();
                    *unsaved = None;
                    return Ok(access);
                }
                // A leased store holds a newer set than this one: it is dropped, and the
                // stored one is used (below).
                Err(StoreError::LeaseLost) => *unsaved = None,
                Err(e) => return Err(AuthError::Store(e)),
            }
        }
        if let Some(access) = self.usable(rejected).await? {
            return Ok(access);
        }
        // One holder of the store at a time refreshes; whoever waited finds the new tokens.
        let _lock = self.store.lock().await.map_err(AuthError::Store)?;
        let stored = self.load().await?;
        if let Some(access) = Self::unrefused(&stored, rejected, self.skew) {
            return Ok(access);
        }
        let refresh_token = stored.refresh_token.ok_or(AuthError::NoRefreshToken)?;
        let set = match self.oauth.refresh_set(&refresh_token).await {
            Ok(set) => set,
            Err(refusal) if is_invalid_grant(&refusal) => {
                // Another holder that did not lock may have rotated it: reload once.
                let reloaded = self.load().await?;
                let rotated = reloaded.refresh_token.as_ref() != Some(&refresh_token);
                if !rotated {
                    return Err(refusal);
                }
                if let Some(access) = Self::unrefused(&reloaded, rejected, self.skew) {
                    return Ok(access);
                }
                let again = reloaded.refresh_token.ok_or(AuthError::NoRefreshToken)?;
                self.oauth.refresh_set(&again).await?
            }
            Err(other) => return Err(other),
        };
        if let Err(e) = self.store.save(&set).await {
            *unsaved = Some(set);
            return Err(AuthError::Store(e));
        }
        Ok(set.access)
    }

    async fn load(&self) -> Result<TokenSet, AuthError> {
        self.store
            .load()
            .await
            .map_err(AuthError::Store)?
            .ok_or(AuthError::NoRefreshToken)
    }

    /// The stored access token, if it is fresh and not the one the API refused.
    async fn usable(
        &self,
        rejected: Option<&AccessToken>,
    ) -> Result<Option<AccessToken>, AuthError> {
        Ok(Self::unrefused(&self.load().await?, rejected, self.skew))
    }

    fn unrefused(
        stored: &TokenSet,
        rejected: Option<&AccessToken>,
        skew: Duration,
    ) -> Option<AccessToken> {
        let refused = rejected.is_some_and(|r| r.token == stored.access.token);
        (!refused && stored.access.is_fresh(skew)).then(|| stored.access.clone())
    }
}

/// Whether the token endpoint said the refresh token is no longer valid.
fn is_invalid_grant(error: &AuthError) -> bool {
    error.oauth_error() == Some(&ehr_runtime::OAuthErrorCode::InvalidGrant)
}

impl TokenSource for RefreshingTokenSource {
    fn fetch<'a>(&'a self, rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        Box::pin(self.fetch_inner(rejected))
    }
}

/// Tokens DrChrono issued for a code that could not be saved: the detail of the
/// [`Error::Outcome`] [`DrChronoOAuth::exchange_code`] returns then (code
/// [`ExchangeNotSaved::CODE`]). The code is spent: save these tokens yourself, or the user
/// has to authorize again.
///
/// ```no_run
/// # async fn run(oauth: ehr_sdk::drchrono::DrChronoOAuth, store: ehr_sdk::auth::FileTokenStore) -> Result<(), ehr_sdk::Error> {
/// use ehr_sdk::drchrono::ExchangeNotSaved;
///
/// match oauth.exchange_code("code-from-redirect", &store).await {
///     Ok(_) => {}
///     Err(error) => match ExchangeNotSaved::take(error) {
///         Ok(not_saved) => { /* save not_saved.tokens elsewhere */ }
///         Err(other) => return Err(other),
///     },
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ExchangeNotSaved {
    /// The issued tokens (their `Debug` is redacted).
    pub tokens: TokenSet,
    /// Why saving failed.
    pub source: crate::auth::StoreError,
}

impl ExchangeNotSaved {
    /// Its code in [`Error::Outcome`].
    pub const CODE: RefusalCode = RefusalCode::new("drchrono", "exchanged_tokens_not_saved");

    /// The unsaved tokens `error` holds, if it is this outcome.
    pub fn of(error: &Error) -> Option<&ExchangeNotSaved> {
        match error {
            Error::Outcome { detail, .. } => detail.downcast_ref(),
            _ => None,
        }
    }

    /// The unsaved tokens, taken out of `error`; the error as it is otherwise.
    pub fn take(error: Error) -> Result<ExchangeNotSaved, Error> {
        match error {
            Error::Outcome {
                operation_id,
                code,
                detail,
            } => match detail.downcast::<ExchangeNotSaved>() {
                Ok(not_saved) => Ok(*not_saved),
                Err(detail) => Err(Error::Outcome {
                    operation_id,
                    code,
                    detail,
                }),
            },
            other => Err(other),
        }
    }
}

impl fmt::Display for ExchangeNotSaved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tokens issued but not saved ({}); they are in this error: save them, the code \
             cannot be used again",
            self.source
        )
    }
}

impl std::error::Error for ExchangeNotSaved {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
