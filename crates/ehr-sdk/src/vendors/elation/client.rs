//! An Elation client with everything wired: client-credentials tokens with scopes, scope
//! checks, impersonation, retries.

use std::sync::Arc;

use reqwest::header::HeaderValue;

use super::guard::{ElationGuard, ON_BEHALF_OF};
use super::scopes::{GrantedScopes, ScopeSet};
use super::user::UserId;
use crate::auth::{ClientCredentials, TokenCache};
use crate::builder::{BearerVendor, BuildError, ClientSecretVendor, TokenFrom, Vendor};
use crate::impersonation::Impersonation;
use crate::pipeline::Credentials;
use crate::vendors::wired::Wired;

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
    wired: Wired<super::api::Client>,
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
        Client {
            wired: self
                .wired
                .acting(Impersonation::header(ON_BEHALF_OF, value)),
            tokens: self.tokens.clone(),
            acting_as: Some(user),
        }
    }

    /// The user this client acts for (`None`: the service account).
    pub fn acting_as(&self) -> Option<UserId> {
        self.acting_as
    }

    /// The token cache (for its [`fetch_count`](TokenCache::fetch_count)).
    pub fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    /// The scopes granted to the current token (fetching one if there is none yet); `None` when
    /// the token endpoint did not say and no scope was asked for (Elation then grants `apiv2`).
    /// No token is [`Error::Auth`](crate::Error::Auth) (operation
    /// `oauth_token_client_credentials`).
    pub async fn granted_scopes(&self) -> Result<Option<GrantedScopes>, crate::Error> {
        let token = self
            .tokens
            .get()
            .await
            .map_err(|source| crate::Error::Auth {
                operation_id: crate::auth::endpoint::Grant::CLIENT_CREDENTIALS.operation_id(),
                source,
            })?;
        Ok(token.scope.as_deref().map(GrantedScopes::parse))
    }
}

crate::vendors::vendor_client!("elation::Client", acting_as);

/// What an Elation [`ClientBuilder`] holds beyond the shared settings (which hold the client
/// credentials): the scopes to ask for.
#[derive(Default)]
pub struct Settings {
    scopes: ScopeSet,
}

impl Vendor for Settings {
    const NAME: &'static str = "Elation";
    const DEFAULT_BASE_URL: Option<&'static str> = None;
    const CHOOSE_BASE_URL: &'static str = "call .sandbox(), .production() or .base_url(…)";
    const PATH_STEM: &'static str = "/api/2.0/";
}

impl BearerVendor for Settings {}

impl ClientSecretVendor for Settings {}

/// Builds a [`Client`]: the [shared settings](crate::builder) plus Elation's client
/// credentials and scopes.
///
/// The base URL must be chosen ([`sandbox`](ClientBuilder::sandbox),
/// [`production`](ClientBuilder::production) or [`base_url`](ClientBuilder::base_url) with
/// the origin only). Credentials are [`client_credentials`](ClientBuilder::client_credentials),
/// a fixed [`access_token`](ClientBuilder::access_token) or a
/// [`token_source`](ClientBuilder::token_source).
pub type ClientBuilder = crate::builder::ClientBuilder<Settings>;

impl ClientBuilder {
    /// Calls Elation's sandbox, [`SANDBOX`].
    pub fn sandbox(self) -> Self {
        self.base_url(SANDBOX)
    }

    /// Calls Elation's production host, [`PRODUCTION`].
    pub fn production(self) -> Self {
        self.base_url(PRODUCTION)
    }

    /// The scopes to ask for (none unless set: Elation then grants `apiv2`). With a token
    /// source of your own, scope checks use the [`scope`](crate::auth::AccessToken::scope) of
    /// the tokens it returns.
    pub fn scopes(mut self, scopes: ScopeSet) -> Self {
        self.vendor.scopes = scopes;
        self
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client, BuildError> {
        let (parts, vendor) = self.into_parts()?;
        let source = match parts.token_from::<Settings, _>(parts.client_credentials.clone())? {
            TokenFrom::Caller(source) => source,
            TokenFrom::Vendor((client_id, client_secret)) => Arc::new(
                ClientCredentials::new(
                    format!("{}{TOKEN_PATH}", parts.base_url),
                    client_id,
                    client_secret,
                )
                .scope(vendor.scopes.to_string())
                .http_client(parts.http.clone()),
            ),
        };
        let tokens = parts.cache(source);
        let transport = parts
            .transport(Credentials::Bearer(tokens.clone()))
            .guard(ElationGuard);
        Ok(Client {
            wired: Wired::new(&parts, transport),
            tokens,
            acting_as: None,
        })
    }
}
