//! An Elation client with everything wired: client-credentials tokens with scopes, scope
//! checks, impersonation, retries.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use ehr_runtime::Runtime;
use reqwest::header::HeaderValue;

use super::guard::{ElationGuard, ON_BEHALF_OF};
use super::scopes::{GrantedScopes, ScopeSet};
use super::user::UserId;
use crate::auth::{AuthError, ClientCredentials, TokenCache, TokenSource};
use crate::impersonation::Impersonation;
use crate::retry::RetryPolicy;
use crate::transport::{Credentials, FacadeTransport, Origin, RateLimit};

/// Elation's sandbox (help.elationhealth.com examples).
pub const SANDBOX: &str = "https://sandbox.elationemr.com";

/// Elation's production host, as most clients use it. Public sources conflict (a portal export
/// lists `https://api.app.elationemr.com`); confirm with Elation and use
/// [`ClientBuilder::base_url`] if yours differs.
pub const PRODUCTION: &str = "https://app.elationemr.com";

/// The path of the token endpoint below the base URL.
const TOKEN_PATH: &str = "/api/2.0/oauth2/token/";

/// The generated Elation client (see [`api::Client`](super::api::Client)) with the façade's
/// pipeline behind every call: a client-credentials token (cached, refreshed single-flight),
/// the scope checks of [`ScopeSet`], retries, and optionally a user to act as.
///
/// Derefs to the generated client, so every operation is a method.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ehr_sdk::elation::{Client, Resource, ScopeSet, UserId};
/// use ehr_sdk::pagination::Paginate;
/// use futures::TryStreamExt;
///
/// let client = Client::builder()
///     .sandbox()
///     .client_credentials("client-id", "client-secret")
///     .scopes(
///         ScopeSet::builder()
///             .read(Resource::Patients)
///             .write(Resource::VisitNotes)
///             .act_as_user()
///             .build()?,
///     )
///     .build()?;
///
/// // As the service account.
/// let mut patients = client.patients_list().limit(100).items();
/// while let Some(patient) = patients.try_next().await? {
///     println!("{}", patient.id);
/// }
///
/// // As Dr Leung (`user_id` of the Physicians API, never `id`).
/// let physician = client.physicians_retrieve().id(131074).send().await?.into_inner();
/// let as_dr_leung = client.on_behalf_of(UserId::try_from(&physician)?);
/// let note = as_dr_leung.visit_notes_list().send().await?;
/// # let _ = note;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    api: super::api::Client,
    base_url: String,
    http: reqwest::Client,
    transport: FacadeTransport,
    tokens: Arc<TokenCache>,
    acting_as: Option<UserId>,
}

impl Client {
    /// Starts a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client that makes every call on behalf of `user` (`X-On-Behalf-Of: <id>`), sharing
    /// this one's token, connections and settings. A call's own `.x_on_behalf_of(…)` wins over
    /// it. The token must have been granted `act_as_user`: calls fail with
    /// [`Error::MissingScope`](crate::Error::MissingScope) before sending otherwise.
    pub fn on_behalf_of(&self, user: impl Into<UserId>) -> Client {
        let user = user.into();
        let value = HeaderValue::from(user.get());
        let transport = self
            .transport
            .acting(Impersonation::header(ON_BEHALF_OF, value));
        Client {
            api: super::api::Client::with_runtime(
                &self.base_url,
                Runtime::new(self.http.clone(), transport.clone()),
            ),
            base_url: self.base_url.clone(),
            http: self.http.clone(),
            transport,
            tokens: self.tokens.clone(),
            acting_as: Some(user),
        }
    }

    /// The user this client acts for (`None`: the service account).
    pub fn acting_as(&self) -> Option<UserId> {
        self.acting_as
    }

    /// The generated client.
    pub fn api(&self) -> &super::api::Client {
        &self.api
    }

    /// The token cache (for its [`fetch_count`](TokenCache::fetch_count)).
    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    /// The scopes granted to the current token (fetching one if there is none yet); `None` when
    /// the token endpoint did not say and no scope was asked for (Elation then grants `apiv2`).
    pub async fn granted_scopes(&self) -> Result<Option<GrantedScopes>, AuthError> {
        let token = self.tokens.get().await?;
        Ok(token.scope.as_deref().map(GrantedScopes::parse))
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
        f.debug_struct("elation::Client")
            .field("base_url", &self.base_url)
            .field("acting_as", &self.acting_as)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// Why a client could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// No base URL was chosen: call `.sandbox()`, `.production()` or `.base_url(…)`.
    NoBaseUrl,
    /// The base URL does not parse.
    BaseUrl(url::ParseError),
    /// Neither client credentials nor a token source were given.
    NoCredentials,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoBaseUrl => {
                f.write_str("choose a base URL: .sandbox(), .production() or .base_url(…)")
            }
            BuildError::BaseUrl(e) => write!(f, "invalid base URL: {e}"),
            BuildError::NoCredentials => {
                f.write_str("no credentials: call .client_credentials(…) or .token_source(…)")
            }
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds a [`Client`].
#[derive(Default)]
pub struct ClientBuilder {
    base_url: Option<String>,
    credentials: Option<(String, crate::Secret)>,
    scopes: ScopeSet,
    source: Option<Arc<dyn TokenSource>>,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    skew: Option<Duration>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// Calls Elation's sandbox, [`SANDBOX`].
    pub fn sandbox(self) -> Self {
        self.base_url(SANDBOX)
    }

    /// Calls Elation's production host, [`PRODUCTION`].
    pub fn production(self) -> Self {
        self.base_url(PRODUCTION)
    }

    /// Calls `base_url` (scheme and host; paths start with `/api/2.0/`).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The service account's client id and secret, for the client-credentials grant.
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<crate::Secret>,
    ) -> Self {
        self.credentials = Some((client_id.into(), client_secret.into()));
        self
    }

    /// The scopes to ask for (none unless set: Elation then grants `apiv2`).
    pub fn scopes(mut self, scopes: ScopeSet) -> Self {
        self.scopes = scopes;
        self
    }

    /// A token source of your own instead of client credentials. Scope checks use the
    /// [`scope`](crate::auth::AccessToken::scope) of the tokens it returns.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The retry policy ([`RetryPolicy::default`] unless set).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Paces calls with `limit` (Elation publishes no rate limit).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Fetch a new token this long before the current one expires (60 s unless set).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.skew = Some(skew);
        self
    }

    /// Sends with this HTTP client (it should not follow redirects: the façade does).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client, BuildError> {
        let base_url = self.base_url.ok_or(BuildError::NoBaseUrl)?;
        let base_url = base_url.trim_end_matches('/').to_string();
        let origin = Origin::parse(&base_url).map_err(BuildError::BaseUrl)?;
        let http = self.http.unwrap_or_else(ehr_runtime::default_http_client);
        let source = match (self.source, self.credentials) {
            (Some(source), _) => source,
            (None, Some((client_id, client_secret))) => Arc::new(
                ClientCredentials::new(format!("{base_url}{TOKEN_PATH}"), client_id, client_secret)
                    .scope(self.scopes.to_string())
                    .http_client(http.clone()),
            ),
            (None, None) => return Err(BuildError::NoCredentials),
        };
        let tokens = Arc::new(TokenCache::from_arc(
            source,
            self.skew.unwrap_or(TokenCache::DEFAULT_SKEW),
        ));
        let mut transport = FacadeTransport::new(origin, Credentials::Bearer(tokens.clone()))
            .retry(self.retry)
            .guard(ElationGuard);
        if let Some(limit) = self.rate_limit {
            transport = transport.rate_limit(limit);
        }
        Ok(Client {
            api: super::api::Client::with_runtime(
                &base_url,
                Runtime::new(http.clone(), transport.clone()),
            ),
            base_url,
            http,
            transport,
            tokens,
            acting_as: None,
        })
    }
}
