//! A Health Gorilla client with everything wired: JWT-bearer tokens per acting user, the
//! `create_users` scope check, retries.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::guard::HealthGorillaGuard;
use super::scopes::Scope;
use crate::auth::{AccessToken, AuthError, JwtBearer, TokenCache, TokenSource, TokenSourceFuture};
use crate::builder::{BearerVendor, BuildError, ClientSecretVendor, TokenFrom, Vendor};
use crate::impersonation::Impersonation;
use crate::pipeline::Credentials;
use crate::vendors::wired::Wired;

/// Where a Health Gorilla environment answers: the FHIR API's origin and the token URL, which
/// go together because every assertion's `aud` must equal the token URL exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Environment {
    /// The origin the `/fhir/R4/…` paths are below.
    pub base_url: &'static str,
    /// The token endpoint, and the `aud` of every assertion.
    pub token_url: &'static str,
}

/// The sandbox, the same in every source.
pub const SANDBOX: Environment = Environment {
    base_url: "https://sandbox.healthgorilla.com",
    token_url: "https://sandbox.healthgorilla.com/oauth/token",
};

/// Production as Health Gorilla's API documentation gives it. Its developer portal and examples
/// use `https://www.healthgorilla.com/oauth/token` instead; if yours does, configure both URLs
/// with [`ClientBuilder::environment`].
pub const PRODUCTION: Environment = Environment {
    base_url: "https://api.healthgorilla.com",
    token_url: "https://api.healthgorilla.com/oauth/token",
};

/// The generated Health Gorilla client (see [`api::Client`](super::api::Client)) with the
/// façade's pipeline behind every call: JWT-bearer tokens (cached, re-asserted before expiry,
/// single-flight) for the client or for [a user it acts as](Client::as_user), the
/// `create_users` check before any user is created, retries and typed errors.
///
/// Derefs to the generated client, so every operation is a method; searches page with
/// [`Paginate`](crate::pagination::Paginate).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ehr_sdk::healthgorilla::{Client, Scope};
/// use ehr_sdk::pagination::Paginate;
/// use futures::TryStreamExt;
///
/// let client = Client::builder()
///     .sandbox()
///     .client_credentials("client-id", "client-secret")
///     .scopes([Scope::USER_ALL])
///     .build()?;
///
/// let as_admin = client.as_user("admin.login")?;
/// let mut found = as_admin.practitioner_search().name("nguyen").items();
/// while let Some(practitioner) = found.try_next().await? {
///     println!("{:?}", practitioner.id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(super) wired: Wired<super::api::Client>,
    /// The tokens of this client's calls (the default subject's, or the acting user's).
    tokens: Arc<TokenCache>,
    users: Arc<UserTokens>,
    acting_as: Option<Arc<str>>,
}

/// One token cache per acting user, made on first use and kept while it is of use: while a
/// client acts for the user, or while the user's token is fresh (so the next client acting for
/// the user needs no token request). The others are swept out as the map grows, so a service
/// acting for many users in turn keeps about as many caches as it has users with live tokens.
struct UserTokens {
    /// The source whose subject is replaced for each user; `None` with a token source of the
    /// caller's own.
    signer: Option<JwtBearer>,
    skew: Duration,
    caches: Mutex<UserCaches>,
}

/// The caches by login, and the size at which the next sweep runs.
#[derive(Default)]
struct UserCaches {
    by_login: HashMap<Arc<str>, Arc<TokenCache>>,
    sweep_at: usize,
}

/// The fewest caches a sweep is run for.
const SWEEP_FROM: usize = 64;

impl UserCaches {
    /// The cache of `login`, made with `make` when there is none. Adding one to a map that
    /// has doubled since the last sweep sweeps it first (amortised: a sweep reads every entry).
    fn get_or_make(&mut self, login: &str, make: impl FnOnce() -> TokenCache) -> Arc<TokenCache> {
        if let Some(cache) = self.by_login.get(login) {
            return cache.clone();
        }
        if self.by_login.len() >= self.sweep_at.max(SWEEP_FROM) {
            let now = std::time::Instant::now();
            // Kept: a cache some client still acts with, or whose token is still fresh.
            self.by_login.retain(|_, cache| {
                Arc::strong_count(cache) > 1 || cache.fresh_bearer(now).is_some()
            });
            self.sweep_at = 2 * self.by_login.len();
        }
        let cache = Arc::new(make());
        self.by_login.insert(Arc::from(login), cache.clone());
        cache
    }
}

/// The client's own token source when it has no default subject: refuses at once, sending
/// nothing (an assertion with a guessed `sub` is refused by Health Gorilla only after a round
/// trip, as `invalid_grant`).
#[derive(Debug)]
struct NoSubject;

/// What [`NoSubject`] says to do.
const NO_SUBJECT: &str = "a Health Gorilla token is a user's: call through client.as_user(login), \
    or set .default_subject(login) on the builder";

impl TokenSource for NoSubject {
    fn fetch<'a>(&'a self, _rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        Box::pin(async { Err(AuthError::NotConfigured(NO_SUBJECT)) })
    }

    fn can_refresh(&self) -> bool {
        false
    }
}

/// Why [`Client::as_user`] could not act for a user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AsUserError {
    /// The client has no client secret to sign the user's assertion with: it was built with
    /// `.access_token(…)` or `.token_source(…)` instead of `.client_credentials(…)`.
    NoSigningKey,
    /// The login is empty, or holds whitespace or control characters.
    InvalidLogin,
}

impl fmt::Display for AsUserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AsUserError::NoSigningKey => {
                "acting as a user needs the client secret to sign the user's assertion: build \
                 the client with .client_credentials(…)"
            }
            AsUserError::InvalidLogin => {
                "a Health Gorilla login cannot be empty or hold whitespace or control characters"
            }
        })
    }
}

impl std::error::Error for AsUserError {}

impl Client {
    /// Starts a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client whose every call carries a token of `login`'s own (an assertion with `sub` =
    /// `login`): Health Gorilla then acts as that user. The user's token is fetched on the
    /// first call, cached and re-asserted before it expires, and shared by every client acting
    /// for the same login (one token request per user, however many clients and calls).
    ///
    /// Fails without a request when the client cannot sign assertions or the login is not one.
    pub fn as_user(&self, login: &str) -> Result<Client, AsUserError> {
        if login.is_empty() || login.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(AsUserError::InvalidLogin);
        }
        let signer = self
            .users
            .signer
            .as_ref()
            .ok_or(AsUserError::NoSigningKey)?;
        let tokens = {
            let mut caches = self
                .users
                .caches
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            caches.get_or_make(login, || {
                TokenCache::new(signer.clone().subject(login), self.users.skew)
            })
        };
        Ok(Client {
            wired: self
                .wired
                .acting(Impersonation::Credentials(Credentials::Bearer(
                    tokens.clone(),
                ))),
            tokens,
            users: self.users.clone(),
            acting_as: Some(Arc::from(login)),
        })
    }

    /// The login this client acts as (`None`: the default subject, the client id unless set).
    pub fn acting_as(&self) -> Option<&str> {
        self.acting_as.as_deref()
    }

    /// How many acting users' token caches this client and its [`as_user`](Self::as_user)
    /// copies keep: those a client still acts with or whose token is fresh, and at most as
    /// many others again (they are swept out as the count grows).
    pub fn user_token_caches(&self) -> usize {
        self.users
            .caches
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_login
            .len()
    }

    /// The token cache of this client's calls (for its
    /// [`fetch_count`](TokenCache::fetch_count)).
    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }
}

crate::vendors::vendor_client!("healthgorilla::Client", acting_as);

/// What a Health Gorilla [`ClientBuilder`] holds beyond the shared settings (which hold the
/// client credentials that sign assertions): the token URL, the default subject, the scopes
/// and the assertions' lifetime.
#[derive(Default)]
pub struct Settings {
    token_url: Option<String>,
    subject: Option<String>,
    scopes: Vec<Scope>,
    assertion_lifetime: Option<Duration>,
}

impl Vendor for Settings {
    const NAME: &'static str = "Health Gorilla";
    const DEFAULT_BASE_URL: Option<&'static str> = None;
    const CHOOSE_BASE_URL: &'static str =
        "call .sandbox(), .production() or .environment(base_url, token_url)";
    const PATH_STEM: &'static str = "/fhir/R4/";
}

impl BearerVendor for Settings {}

impl ClientSecretVendor for Settings {}

/// Builds a [`Client`]: the [shared settings](crate::builder) plus Health Gorilla's
/// environment, client credentials, default subject and scopes.
///
/// Choose the environment with [`sandbox`](ClientBuilder::sandbox),
/// [`production`](ClientBuilder::production) or [`environment`](ClientBuilder::environment)
/// (the FHIR origin and the token URL together). Credentials are
/// [`client_credentials`](ClientBuilder::client_credentials) (needed to act as users), a fixed
/// [`access_token`](ClientBuilder::access_token) or a
/// [`token_source`](ClientBuilder::token_source).
pub type ClientBuilder = crate::builder::ClientBuilder<Settings>;

impl ClientBuilder {
    /// Health Gorilla's sandbox, [`SANDBOX`].
    pub fn sandbox(self) -> Self {
        self.environment(SANDBOX.base_url, SANDBOX.token_url)
    }

    /// Health Gorilla's production as its API documentation gives it, [`PRODUCTION`].
    pub fn production(self) -> Self {
        self.environment(PRODUCTION.base_url, PRODUCTION.token_url)
    }

    /// The FHIR API's origin and the token endpoint, set together: assertions name the token
    /// URL as their audience, so the two must belong to one environment.
    pub fn environment(
        mut self,
        base_url: impl Into<String>,
        token_url: impl Into<String>,
    ) -> Self {
        self.vendor.token_url = Some(token_url.into());
        self.base_url(base_url)
    }

    /// The `sub` of the client's own tokens: the user its calls act as when not made through
    /// [`Client::as_user`]. Health Gorilla's examples put a user's login there (its API
    /// reference says the client id: pass the client id to follow it). Without a default
    /// subject, the client's own calls fail before anything is sent with
    /// [`AuthError::NotConfigured`] naming this fix; [`Client::as_user`] copies are unaffected.
    pub fn default_subject(mut self, subject: impl Into<String>) -> Self {
        self.vendor.subject = Some(subject.into());
        self
    }

    /// The scopes every token asks for (`user/*.*`, `patient360`, `create_users`, …).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = Scope>) -> Self {
        self.vendor.scopes = scopes.into_iter().collect();
        self
    }

    /// How long each assertion is valid (five minutes unless set; at most an hour).
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.vendor.assertion_lifetime = Some(lifetime);
        self
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client, BuildError> {
        let (parts, vendor) = self.into_parts()?;
        let scope = vendor
            .scopes
            .iter()
            .map(Scope::as_str)
            .collect::<Vec<_>>()
            .join(" ");
        let (source, signer): (Arc<dyn crate::auth::TokenSource>, _) =
            match parts.token_from::<Settings, _>(parts.client_credentials.clone())? {
                TokenFrom::Caller(source) => (source, None),
                TokenFrom::Vendor((client_id, client_secret)) => {
                    let Some(token_url) = vendor.token_url else {
                        return Err(BuildError::Conflict(
                            "assertions name the token URL as their audience: set it with the \
                             base URL through .sandbox(), .production() or \
                             .environment(base_url, token_url), not .base_url(…) alone",
                        ));
                    };
                    let mut signer = JwtBearer::new(token_url, client_id, client_secret)
                        .scope(scope)
                        .http_client(parts.http.clone());
                    if let Some(lifetime) = vendor.assertion_lifetime {
                        signer = signer.assertion_lifetime(lifetime);
                    }
                    let default: Arc<dyn TokenSource> = match vendor.subject {
                        Some(subject) => Arc::new(signer.clone().subject(subject)),
                        None => Arc::new(NoSubject),
                    };
                    (default, Some(signer))
                }
            };
        let tokens = parts.cache(source);
        let transport = parts
            .transport(Credentials::Bearer(tokens.clone()))
            .guard(HealthGorillaGuard);
        Ok(Client {
            wired: Wired::new(&parts, transport),
            users: Arc::new(UserTokens {
                signer,
                skew: parts.skew,
                caches: Mutex::new(UserCaches::default()),
            }),
            tokens,
            acting_as: None,
        })
    }
}
