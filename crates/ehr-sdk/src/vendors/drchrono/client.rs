//! A DrChrono client with everything wired: OAuth tokens, retries, redirects, rate limit.

use std::sync::Arc;
use std::time::Duration;

use super::oauth::{BASE_URL, DrChronoOAuth};
use crate::auth::{TokenCache, TokenSource, TokenStore};
use crate::builder::{BearerVendor, BuildError, TokenFrom, Vendor};
use crate::pipeline::{Credentials, RateLimit};
use crate::vendors::wired::Wired;

/// The generated DrChrono client (every operation of the v4 reference, see
/// [`api::Client`](super::api::Client)), with the façade's pipeline behind every call.
///
/// Derefs to the generated client, so every operation is a method; [`Uploads`](super::Uploads)
/// and [`BulkCreate`](super::BulkCreate) add the rest.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ehr_sdk::auth::FileTokenStore;
/// use ehr_sdk::drchrono::Client;
///
/// let client = Client::builder()
///     .oauth("client-id", "client-secret", "https://app.example/callback")
///     .token_store(FileTokenStore::new("drchrono-token.json"))
///     .rate_limited()
///     .build()?;
/// let page = client.patients_list().doctor(5).page_size(100).send().await?;
/// println!("{} patients on the first page", page.results.len());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    wired: Wired<super::api::Client>,
    tokens: Arc<TokenCache>,
}

impl Client {
    /// Starts a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The token cache (for its [`fetch_count`](TokenCache::fetch_count)).
    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }
}

crate::vendors::vendor_client!("drchrono::Client");

/// What a DrChrono [`ClientBuilder`] holds beyond the shared settings: the application's OAuth
/// credentials and the user's token store.
#[derive(Default)]
pub struct Settings {
    /// Client id, secret and redirect URI; the OAuth client is made in `build`, with the
    /// builder's HTTP client.
    oauth: Option<(String, crate::Secret, String)>,
    store: Option<SourceFromOAuth>,
}

impl Vendor for Settings {
    const NAME: &'static str = "DrChrono";
    const DEFAULT_BASE_URL: Option<&'static str> = Some(BASE_URL);
    const CHOOSE_BASE_URL: &'static str = "call .base_url(…)";
    const PATH_STEM: &'static str = "/api/";
}

impl BearerVendor for Settings {
    const CREDENTIALS_REPLACED: &'static str = "a token source or access token replaces \
         .oauth(…) and .token_store(…): give one or the other";
    const GIVE_CREDENTIALS: &'static str =
        "call .oauth(…) with .token_store(…), .access_token(…) or .token_source(…)";
}

/// Makes the token source once the OAuth settings are final.
/// Makes the token source from the OAuth client and the builder's refresh skew.
type SourceFromOAuth = Box<dyn FnOnce(&DrChronoOAuth, Duration) -> Arc<dyn TokenSource> + Send>;

/// Builds a [`Client`]: the [shared settings](crate::builder) (base URL, HTTP client, timeouts,
/// retries, rate limit, token source or fixed access token) plus DrChrono's OAuth.
///
/// The base URL is `https://drchrono.com` unless set. Credentials are one of: [`oauth`]
/// with [`token_store`], a fixed [`access_token`], or a [`token_source`]; anything else fails
/// at `build()`.
///
/// [`oauth`]: ClientBuilder::oauth
/// [`token_store`]: ClientBuilder::token_store
/// [`access_token`]: ClientBuilder::access_token
/// [`token_source`]: ClientBuilder::token_source
pub type ClientBuilder = crate::builder::ClientBuilder<Settings>;

impl ClientBuilder {
    /// The application's OAuth credentials and registered redirect URI.
    pub fn oauth(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<crate::Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        self.vendor.oauth = Some((client_id.into(), client_secret.into(), redirect_uri.into()));
        self
    }

    /// Where the user's tokens are kept (see [`FileTokenStore`](crate::auth::FileTokenStore)).
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.vendor.store = Some(Box::new(move |oauth: &DrChronoOAuth, skew: Duration| {
            Arc::new(oauth.token_source(store).refresh_skew(skew)) as Arc<dyn TokenSource>
        }));
        self
    }

    /// Paces calls to DrChrono's documented 500 requests an hour ([`RateLimit::drchrono`]).
    pub fn rate_limited(self) -> Self {
        self.rate_limit(RateLimit::drchrono())
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client, BuildError> {
        let (parts, vendor) = self.into_parts()?;
        let own = (vendor.oauth.is_some() || vendor.store.is_some())
            .then_some((vendor.oauth, vendor.store));
        let source = match parts.token_from::<Settings, _>(own)? {
            TokenFrom::Caller(source) => source,
            TokenFrom::Vendor((Some((client_id, client_secret, redirect_uri)), Some(store))) => {
                let oauth = DrChronoOAuth::with_http(
                    client_id,
                    client_secret,
                    redirect_uri,
                    parts.http.clone(),
                )
                .base_url(parts.base_url.clone());
                store(&oauth, parts.skew)
            }
            TokenFrom::Vendor((Some(_), None)) => return Err(BuildError::NoTokenStore),
            TokenFrom::Vendor((None, _)) => return Err(BuildError::NoOAuthClient),
        };
        let tokens = parts.cache(source);
        let transport = parts.transport(Credentials::Bearer(tokens.clone()));
        Ok(Client {
            wired: Wired::new(&parts, transport),
            tokens,
        })
    }
}
