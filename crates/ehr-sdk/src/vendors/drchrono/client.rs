//! A DrChrono client with everything wired: OAuth tokens, retries, redirects, rate limit.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use ehr_runtime::Runtime;

use super::oauth::{BASE_URL, DrChronoOAuth};
use crate::auth::{TokenCache, TokenSource, TokenStore};
use crate::retry::RetryPolicy;
use crate::transport::{Credentials, FacadeTransport, Origin, RateLimit};

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
    api: super::api::Client,
    tokens: Option<Arc<TokenCache>>,
}

impl Client {
    /// Starts a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The generated client.
    pub fn api(&self) -> &super::api::Client {
        &self.api
    }

    /// The token cache (for its [`fetch_count`](TokenCache::fetch_count)).
    pub fn token_cache(&self) -> Option<&TokenCache> {
        self.tokens.as_deref()
    }
}

impl Deref for Client {
    type Target = super::api::Client;

    fn deref(&self) -> &Self::Target {
        &self.api
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("drchrono::Client")
            .field("api", &self.api)
            .finish_non_exhaustive()
    }
}

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The base URL does not parse.
    BaseUrl(url::ParseError),
    /// OAuth credentials were given without a token store (or a token source) to hold the
    /// user's tokens.
    NoTokenStore,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::BaseUrl(e) => write!(f, "invalid base URL: {e}"),
            BuildError::NoTokenStore => {
                f.write_str("OAuth credentials need a token store: call .token_store(…)")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// Makes the token source once the OAuth settings are final.
type SourceFromOAuth = Box<dyn FnOnce(&DrChronoOAuth) -> Arc<dyn TokenSource> + Send>;

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    /// Client id, secret and redirect URI; the OAuth client is made in `build`, with the
    /// builder's HTTP client.
    oauth: Option<(String, crate::Secret, String)>,
    store: Option<SourceFromOAuth>,
    source: Option<Arc<dyn TokenSource>>,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    skew: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// The API's base URL; `https://drchrono.com` unless set.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The application's OAuth credentials and registered redirect URI.
    pub fn oauth(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<crate::Secret>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        self.oauth = Some((client_id.into(), client_secret.into(), redirect_uri.into()));
        self
    }

    /// Where the user's tokens are kept (see [`FileTokenStore`](crate::auth::FileTokenStore)).
    pub fn token_store(mut self, store: impl TokenStore) -> Self {
        self.store = Some(Box::new(move |oauth: &DrChronoOAuth| {
            Arc::new(oauth.token_source(store)) as Arc<dyn TokenSource>
        }));
        self
    }

    /// A token source of your own instead of OAuth + store.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The retry policy ([`RetryPolicy::default`] unless set).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Paces calls to DrChrono's documented 500 requests an hour ([`RateLimit::drchrono`]).
    pub fn rate_limited(self) -> Self {
        self.rate_limit(RateLimit::drchrono())
    }

    /// Paces calls with `limit`.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Refresh tokens this long before they expire (60 s unless set).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.skew = Some(skew);
        self
    }

    /// Sends with this HTTP client (it should not follow redirects: the façade does).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = self.base_url.unwrap_or_else(|| BASE_URL.to_string());
        let origin = Origin::parse(&base_url).map_err(BuildError::BaseUrl)?;
        let http = self.http.unwrap_or_else(ehr_runtime::default_http_client);
        let skew = self.skew.unwrap_or(TokenCache::DEFAULT_SKEW);
        let source = match (self.source, self.oauth, self.store) {
            (Some(source), _, _) => Some(source),
            (None, Some((client_id, client_secret, redirect_uri)), Some(store)) => {
                let oauth =
                    DrChronoOAuth::with_http(client_id, client_secret, redirect_uri, http.clone())
                        .base_url(base_url.clone());
                Some(store(&oauth))
            }
            (None, Some(_), None) => return Err(BuildError::NoTokenStore),
            (None, None, _) => None,
        };
        let tokens = source.map(|s| Arc::new(TokenCache::from_arc(s, skew)));
        let credentials = match &tokens {
            Some(cache) => Credentials::Bearer(cache.clone()),
            None => Credentials::None,
        };
        let mut transport = FacadeTransport::new(origin, credentials).retry(self.retry);
        if let Some(limit) = self.rate_limit {
            transport = transport.rate_limit(limit);
        }
        let runtime = Runtime::new(http, transport);
        Ok(Client {
            api: super::api::Client::with_runtime(&base_url, runtime),
            tokens,
        })
    }
}
