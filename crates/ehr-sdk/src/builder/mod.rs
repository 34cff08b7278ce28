//! The client builder every vendor shares: base URL, HTTP client, timeouts, user agent, retry
//! policy, rate limit, and (for bearer-token vendors) the token source and refresh skew.
//!
//! Each vendor module adds only its own auth and defaults: `drchrono::ClientBuilder` is
//! [`ClientBuilder<drchrono::Settings>`](ClientBuilder), `elation::ClientBuilder` is
//! `ClientBuilder<elation::Settings>`, and so on. A setter written here exists for every vendor.
//!
//! # Base URLs
//! For every vendor, the base URL is an **origin only**: scheme, host and optional port, no
//! path (`https://drchrono.com`, `https://sandbox.elationemr.com`, `https://api.empego.ca`,
//! `https://sandbox.healthgorilla.com`). Every operation's path is absolute from there
//! (`/api/patients`, `/api/2.0/patients/`, `/empego-integrations/R4/embeddable/…`,
//! `/fhir/R4/Practitioner`). A base URL with a path, query or credentials fails at `build()`
//! with [`BuildError::BaseUrl`], saying what was expected.
//!
//! # Misconfiguration fails at `build()`
//! Missing credentials, OAuth credentials without a token store (or a store without them), a
//! token source given together with the credentials it would replace, and timeouts or a user
//! agent given together with an HTTP client of your own are [`BuildError`]s naming the piece.
//!
//! # One HTTP client for many tenants
//! A builder given no [`http_client`](ClientBuilder::http_client) uses a client shared by
//! every builder of the process with the same timeouts and user agent (one per distinct
//! tuning, made on first use): a service with a client per connected practice shares one
//! connection pool and one TLS set-up across them, and each further client costs about a
//! kilobyte and microseconds (`cargo xtask bench` prints it).
//!
//! ```
//! # #[cfg(feature = "elation")] {
//! use ehr_sdk::elation::Client;
//!
//! let tenants: Vec<Client> = (0..100)
//!     .map(|i| {
//!         Client::builder()
//!             .sandbox()
//!             .client_credentials(format!("practice-{i}"), "secret")
//!             .build()
//!     })
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(tenants.len(), 100);
//! # }
//! # Ok::<(), ehr_sdk::builder::BuildError>(())
//! ```

mod shared_http;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use ehr_runtime::Runtime;
use ehr_runtime::decode::Decoding;

use crate::auth::{StaticToken, TokenCache, TokenSource};
use crate::pipeline::{Credentials, FacadeTransport, Origin, RateLimit};
use crate::retry::RetryPolicy;

/// What a vendor tells the shared builder about itself.
pub trait Vendor: Default {
    /// The vendor's name, for messages (`DrChrono`).
    const NAME: &'static str;
    /// The base URL used unless one is set; `None`: the caller must choose one.
    const DEFAULT_BASE_URL: Option<&'static str>;
    /// How to choose a base URL, for the message when none is chosen.
    const CHOOSE_BASE_URL: &'static str;
    /// The stem every operation path starts with (`/api/2.0/`), for messages.
    const PATH_STEM: &'static str;
}

/// A vendor whose calls carry `Authorization: Bearer …`: the builder then takes a
/// [`TokenSource`], a fixed [access token](ClientBuilder::access_token) and a refresh skew,
/// instead of the vendor's own credentials.
pub trait BearerVendor: Vendor {
    /// The message when a token source and the vendor's own credentials are both given (the
    /// default names `.client_credentials(…)`).
    const CREDENTIALS_REPLACED: &'static str = "a token source or access token replaces \
         .client_credentials(…): give one or the other";
    /// How to give credentials, for the message when none are given (the default names
    /// `.client_credentials(…)`).
    const GIVE_CREDENTIALS: &'static str =
        "call .client_credentials(…), .access_token(…) or .token_source(…)";
}

/// A bearer vendor whose own credentials are a client id and secret (Elation's
/// client-credentials grant, Health Gorilla's JWT-bearer assertions): its builder has
/// [`client_credentials`](ClientBuilder::client_credentials).
pub trait ClientSecretVendor: BearerVendor {}

/// Where a bearer vendor's tokens come from (see [`Parts::token_from`]).
#[cfg_attr(
    not(any(feature = "drchrono", feature = "elation", feature = "healthgorilla")),
    allow(dead_code)
)]
pub(crate) enum TokenFrom<T> {
    /// The caller's token source (`.token_source(…)` or `.access_token(…)`).
    Caller(Arc<dyn TokenSource>),
    /// The vendor's own credentials, to make its grant from.
    Vendor(T),
}

/// Builds a vendor's client; see the [module documentation](self).
pub struct ClientBuilder<V> {
    core: Core,
    pub(crate) vendor: V,
}

#[derive(Default)]
struct Core {
    base_url: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    user_agent: Option<String>,
    retry: RetryPolicy,
    rate_limit: Option<RateLimit>,
    skew: Option<Duration>,
    source: Option<Arc<dyn TokenSource>>,
    /// The client id and secret of a [`ClientSecretVendor`].
    client_credentials: Option<(String, crate::Secret)>,
    decoding: Decoding,
}

impl<V: Vendor> Default for ClientBuilder<V> {
    fn default() -> Self {
        Self {
            core: Core::default(),
            vendor: V::default(),
        }
    }
}

impl<V: Vendor> fmt::Debug for ClientBuilder<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("vendor", &V::NAME)
            .field("base_url", &self.core.base_url)
            .field("retry", &self.core.retry)
            .finish_non_exhaustive()
    }
}

impl<V: Vendor> ClientBuilder<V> {
    /// The API's origin: scheme, host and optional port, no path (see the [module
    /// documentation](self)).
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.core.base_url = Some(base_url.into());
        self
    }

    /// Sends with this HTTP client instead of the process's shared one (see the [module
    /// documentation](self)). Its timeouts and user agent are its own, so
    /// [`timeout`](Self::timeout),
    /// [`connect_timeout`](Self::connect_timeout) and [`user_agent`](Self::user_agent) cannot
    /// be combined with it.
    pub fn http_client(mut self, http: HttpClient) -> Self {
        self.core.http = Some(http.0);
        self
    }

    /// The longest a whole request may take ([`ehr_runtime::DEFAULT_TIMEOUT`] unless set).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.core.timeout = Some(timeout);
        self
    }

    /// The longest opening a connection may take ([`ehr_runtime::DEFAULT_CONNECT_TIMEOUT`]
    /// unless set).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.core.connect_timeout = Some(timeout);
        self
    }

    /// The `User-Agent` sent (`ehr-sdk/<version>` unless set).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.core.user_agent = Some(user_agent.into());
        self
    }

    /// The retry policy ([`RetryPolicy::default`] unless set).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.core.retry = retry;
        self
    }

    /// Paces calls with `limit`.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.core.rate_limit = Some(limit);
        self
    }

    /// Fails a call whose response has any value of another type than the spec says, instead
    /// of leaving that optional field out with a warning (the default; see
    /// [`ehr_runtime::decode`]). For tests and spec maintainers: what the vendor sends is then
    /// checked against the spec, field by field. A required field that does not decode fails
    /// the call either way.
    ///
    /// ```
    /// let client = ehr_sdk::drchrono::Client::builder()
    ///     .access_token("token")
    ///     .strict_decoding()
    ///     .build()?;
    /// # drop(client);
    /// # Ok::<(), ehr_sdk::builder::BuildError>(())
    /// ```
    pub fn strict_decoding(mut self) -> Self {
        self.core.decoding = Decoding::Strict;
        self
    }

    /// Checks the shared settings and assembles what every vendor's client is made of.
    pub(crate) fn into_parts(self) -> Result<(Parts, V), BuildError> {
        let core = self.core;
        let base_url = match core.base_url.or(V::DEFAULT_BASE_URL.map(str::to_string)) {
            Some(base_url) => check_base_url::<V>(&base_url)?,
            None => {
                return Err(BuildError::NoBaseUrl {
                    vendor: V::NAME,
                    choose: V::CHOOSE_BASE_URL,
                });
            }
        };
        let origin = Origin::parse(&base_url).map_err(|e| BuildError::BaseUrl {
            given: base_url.clone(),
            expected: e.to_string(),
        })?;
        let tuned =
            core.timeout.is_some() || core.connect_timeout.is_some() || core.user_agent.is_some();
        let http = match core.http {
            Some(_) if tuned => {
                return Err(BuildError::Conflict(
                    "timeouts and the user agent belong to the HTTP client: set them on the \
                     client given to .http_client(…), or drop .http_client(…)",
                ));
            }
            Some(http) => http,
            // One client per process for each distinct tuning (the default included), shared
            // by every client built with it.
            None => shared_http::client(shared_http::Tuning {
                timeout: core.timeout.unwrap_or(ehr_runtime::DEFAULT_TIMEOUT),
                connect_timeout: core
                    .connect_timeout
                    .unwrap_or(ehr_runtime::DEFAULT_CONNECT_TIMEOUT),
                user_agent: core.user_agent.unwrap_or_else(|| DEFAULT_USER_AGENT.into()),
            })?,
        };
        let parts = Parts {
            base_url,
            origin,
            http,
            retry: core.retry,
            rate_limit: core.rate_limit,
            skew: core.skew.unwrap_or(TokenCache::DEFAULT_SKEW),
            source: core.source,
            client_credentials: core.client_credentials,
            decoding: core.decoding,
        };
        Ok((parts, self.vendor))
    }
}

impl<V: BearerVendor> ClientBuilder<V> {
    /// A token source of your own, instead of the vendor's grant.
    pub fn token_source(mut self, source: impl TokenSource) -> Self {
        self.core.source = Some(Arc::new(source));
        self
    }

    /// A fixed access token (one your platform issued): see [`StaticToken`].
    pub fn access_token(self, token: impl Into<crate::Secret>) -> Self {
        self.token_source(StaticToken::new(token))
    }

    /// Fetch a new token this long before the current one expires (60 s unless set), but never
    /// more than half of what the token had to live when it was fetched: a token granted for
    /// 30 s is used for 15 s, not refetched on every call.
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.core.skew = Some(skew);
        self
    }
}

impl<V: ClientSecretVendor> ClientBuilder<V> {
    /// The client id and secret (never printed): Elation's service account, sent in the
    /// client-credentials grant; for Health Gorilla, the id is the assertions' issuer and the
    /// secret signs them (HS256).
    pub fn client_credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<crate::Secret>,
    ) -> Self {
        self.core.client_credentials = Some((client_id.into(), client_secret.into()));
        self
    }
}

/// The user agent of builders' HTTP clients unless set.
const DEFAULT_USER_AGENT: &str = concat!("ehr-sdk/", env!("CARGO_PKG_VERSION"));

/// The base URL without a trailing `/`, if it is an origin only.
fn check_base_url<V: Vendor>(given: &str) -> Result<String, BuildError> {
    let bad = |expected: String| BuildError::BaseUrl {
        given: given.to_string(),
        expected,
    };
    let url = url::Url::parse(given).map_err(|e| bad(format!("an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad("an http or https URL with a host".into()));
    }
    if url.path() != "/" {
        return Err(bad(format!(
            "the origin only (scheme://host[:port]), without the path `{}`: {} operation paths \
             already start with `{}`",
            url.path(),
            V::NAME,
            V::PATH_STEM
        )));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad(
            "the origin only, without a query, fragment or credentials".into(),
        ));
    }
    Ok(given.trim_end_matches('/').to_string())
}

/// An HTTP client that never follows redirects by itself, for
/// [`ClientBuilder::http_client`].
///
/// The pipeline follows redirects within the API's origin only, so credentials and
/// impersonation headers never leave it; a `reqwest::Client` that followed redirects on its
/// own would re-send them to any host. This type can only be made with redirects turned off.
///
/// ```
/// use std::time::Duration;
/// use ehr_sdk::builder::HttpClient;
///
/// let shared = HttpClient::from_builder(
///     reqwest::Client::builder().timeout(Duration::from_secs(20)).user_agent("clinic-app/2"),
/// )
/// .expect("TLS back-end available");
/// let elation = ehr_sdk::elation::Client::builder()
///     .sandbox()
///     .access_token("t")
///     .http_client(shared.clone())
///     .build();
/// # let _ = elation;
/// ```
#[derive(Clone, Debug)]
pub struct HttpClient(reqwest::Client);

impl HttpClient {
    /// The façade's default client: no redirects, [`ehr_runtime::DEFAULT_CONNECT_TIMEOUT`],
    /// [`ehr_runtime::DEFAULT_TIMEOUT`].
    pub fn new() -> Result<Self, BuildError> {
        Self::from_builder(ehr_runtime::http_client_builder())
    }

    /// The client `builder` makes, with its redirect policy replaced by "never follow".
    ///
    /// Installs the SDK's TLS crypto provider first when the process has none
    /// ([`ehr_runtime::install_tls_provider`]), so any `reqwest::ClientBuilder` can be given.
    pub fn from_builder(builder: reqwest::ClientBuilder) -> Result<Self, BuildError> {
        ehr_runtime::install_tls_provider();
        builder
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map(Self)
            .map_err(|e| BuildError::HttpClient(e.without_url()))
    }

    /// The `reqwest::Client` inside (it does not follow redirects).
    pub fn reqwest(&self) -> &reqwest::Client {
        &self.0
    }
}

/// What every vendor's client is made of, from the shared settings.
#[cfg_attr(
    not(any(feature = "drchrono", feature = "elation", feature = "healthgorilla")),
    allow(dead_code)
)]
pub(crate) struct Parts {
    pub(crate) base_url: String,
    pub(crate) origin: Origin,
    pub(crate) http: reqwest::Client,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: Option<RateLimit>,
    pub(crate) skew: Duration,
    /// A token source given with [`ClientBuilder::token_source`] or `access_token`.
    pub(crate) source: Option<Arc<dyn TokenSource>>,
    /// The client id and secret given with `client_credentials` (a [`ClientSecretVendor`]).
    #[cfg_attr(
        not(any(feature = "elation", feature = "healthgorilla")),
        allow(dead_code)
    )]
    pub(crate) client_credentials: Option<(String, crate::Secret)>,
    /// How responses are decoded.
    pub(crate) decoding: Decoding,
}

impl Parts {
    /// A token cache over `source` with the configured skew.
    #[cfg(any(feature = "drchrono", feature = "elation", feature = "healthgorilla"))]
    pub(crate) fn cache(&self, source: Arc<dyn TokenSource>) -> Arc<TokenCache> {
        Arc::new(TokenCache::from_arc(source, self.skew))
    }

    /// Where the tokens of a bearer vendor `V` come from: the caller's token source, or `own`
    /// (the vendor's own credentials as its builder collected them, `None` when none were
    /// given); never both, and not neither.
    #[cfg(any(feature = "drchrono", feature = "elation", feature = "healthgorilla"))]
    pub(crate) fn token_from<V: BearerVendor, T>(
        &self,
        own: Option<T>,
    ) -> Result<TokenFrom<T>, BuildError> {
        match (self.source.clone(), own) {
            (Some(_), Some(_)) => Err(BuildError::Conflict(V::CREDENTIALS_REPLACED)),
            (Some(source), None) => Ok(TokenFrom::Caller(source)),
            (None, Some(own)) => Ok(TokenFrom::Vendor(own)),
            (None, None) => Err(BuildError::NoCredentials {
                vendor: V::NAME,
                give: V::GIVE_CREDENTIALS,
            }),
        }
    }

    /// The pipeline for calls with `credentials`, with the retry policy and rate limit.
    pub(crate) fn transport(&self, credentials: Credentials) -> FacadeTransport {
        let transport = FacadeTransport::new(self.origin.clone(), credentials)
            .retry(self.retry)
            .with_decoding(self.decoding);
        match &self.rate_limit {
            Some(limit) => transport.rate_limit(limit.clone()),
            None => transport,
        }
    }

    /// The runtime sending through `transport` with the HTTP client.
    pub(crate) fn runtime(&self, transport: FacadeTransport) -> Runtime {
        Runtime::new(self.http.clone(), transport)
    }
}

/// Why a client could not be built. Every variant names what is missing or wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// No base URL was chosen and the vendor has no default.
    NoBaseUrl {
        /// The vendor.
        vendor: &'static str,
        /// How to choose one.
        choose: &'static str,
    },
    /// The base URL is not what the builder expects.
    BaseUrl {
        /// The base URL given.
        given: String,
        /// What was expected instead.
        expected: String,
    },
    /// No credentials: every call would be refused.
    NoCredentials {
        /// The vendor.
        vendor: &'static str,
        /// The setters that give credentials.
        give: &'static str,
    },
    /// OAuth client credentials were given without a token store to keep the user's tokens.
    NoTokenStore,
    /// A token store was given without the OAuth client credentials that refresh its tokens.
    NoOAuthClient,
    /// Two settings that exclude each other were given.
    Conflict(&'static str),
    /// A setting cannot be sent as what it is (a key that is not a valid header value); names
    /// the setting, never its value.
    InvalidValue(&'static str),
    /// The HTTP client could not be built (TLS back-end initialisation).
    HttpClient(reqwest::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::NoBaseUrl { vendor, choose } => {
                write!(f, "no {vendor} base URL chosen: {choose}")
            }
            BuildError::BaseUrl { given, expected } => {
                write!(f, "invalid base URL `{given}`: expected {expected}")
            }
            BuildError::NoCredentials { vendor, give } => {
                write!(f, "no {vendor} credentials: {give}")
            }
            BuildError::NoTokenStore => f.write_str(
                "OAuth credentials need a token store for the user's tokens: call .token_store(…)",
            ),
            BuildError::NoOAuthClient => f.write_str(
                "a token store needs the OAuth client credentials that refresh its tokens: call \
                 .oauth(client_id, client_secret, redirect_uri)",
            ),
            BuildError::Conflict(why) => write!(f, "conflicting settings: {why}"),
            BuildError::InvalidValue(what) => {
                write!(f, "{what} cannot be sent: it is not a valid header value")
            }
            BuildError::HttpClient(e) => write!(f, "the HTTP client could not be built: {e}"),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BuildError::HttpClient(e) => Some(e),
            _ => None,
        }
    }
}
