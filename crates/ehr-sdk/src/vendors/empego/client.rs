//! An Empego client with everything wired: the API key, the tenant, the session user, retries.

use std::sync::Arc;

use reqwest::header::{HeaderName, HeaderValue};

use super::guard::EmpegoGuard;
use super::user::{IntegrationUser, UserHeaderError};
use crate::builder::{BuildError, Vendor};
use crate::impersonation::Impersonation;
use crate::pipeline::Credentials;
use crate::vendors::wired::Wired;

/// Empego's API, the only host its documentation gives (no sandbox is documented).
pub const BASE_URL: &str = "https://api.empego.ca";

const API_KEY: HeaderName = HeaderName::from_static("api-key");
const TENANT_KEY: HeaderName = HeaderName::from_static("x-tenant-key");
const INTEGRATION_USER: HeaderName = HeaderName::from_static("x-integration-user");

/// The generated Empego client (see [`api::Client`](super::api::Client)) with the façade's
/// pipeline behind every call: the `Api-key` header, the optional `X-Tenant-Key`, retries, the
/// refusals typed, and optionally a user the sessions are for.
///
/// Derefs to the generated client, so every endpoint is a method; [`.url()`] reads its answer.
///
/// [`.url()`]: super::GetEmbeddableUrl::url
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use ehr_sdk::empego::{Client, GetEmbeddableUrl, IntegrationUser};
///
/// let client = Client::builder().api_key("YOUR_API_KEY").build()?;
///
/// // As the API key's owner (no x-integration-user header).
/// let dashboard = client.consultation_dashboard().url().await?;
///
/// // As a user of your system, created in Empego on first use.
/// let jane = IntegrationUser::new_user("emp123", "Dr. Jane", "Smith", "jane.smith@clinic.com");
/// let url = client.as_user(&jane)?.consultation_view().patient_key("patient123").locale("en").url().await?;
/// println!("<iframe src=\"{}\">", url.as_str());
/// # let _ = dashboard;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    wired: Wired<super::api::Client>,
    acting_as: Option<Arc<str>>,
}

impl Client {
    /// Starts a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client whose every call opens its session as `user` (the `x-integration-user`
    /// header), sharing this one's key, connections and settings: a few reference counts, so
    /// one per call is fine; on a copy acting for a user, it acts for `user` instead. This is
    /// the only way to set the header (the generated builders have no setter for it: the
    /// spec's `x-ehr-set-by-facade`). Without it, sessions are the API key owner's, as Empego
    /// documents.
    ///
    /// Fails, before anything is sent, when `user` cannot be encoded (see
    /// [`IntegrationUser::to_header`]).
    pub fn as_user(&self, user: &IntegrationUser) -> Result<Client, UserHeaderError> {
        let mut value = HeaderValue::try_from(user.to_header()?)
            .map_err(|_| UserHeaderError::ControlCharacter { field: "userId" })?;
        value.set_sensitive(true);
        Ok(Client {
            wired: self
                .wired
                .acting(Impersonation::header(INTEGRATION_USER, value)),
            acting_as: Some(user.user_id().into()),
        })
    }

    /// The `userId` this client's sessions are for (`None`: the API key owner).
    pub fn acting_as(&self) -> Option<&str> {
        self.acting_as.as_deref()
    }
}

crate::vendors::vendor_client!("empego::Client", acting_as);

/// What an Empego [`ClientBuilder`] holds beyond the shared settings: the API key and tenant.
#[derive(Default)]
pub struct Settings {
    api_key: Option<crate::Secret>,
    tenant_key: Option<crate::Secret>,
}

impl Vendor for Settings {
    const NAME: &'static str = "Empego";
    const DEFAULT_BASE_URL: Option<&'static str> = Some(BASE_URL);
    const CHOOSE_BASE_URL: &'static str = "call .base_url(…)";
    const PATH_STEM: &'static str = "/empego-integrations/R4/";
}

/// Builds a [`Client`]: the [shared settings](crate::builder) plus Empego's API key and
/// optional tenant. The base URL is [`BASE_URL`] unless set (an origin only).
pub type ClientBuilder = crate::builder::ClientBuilder<Settings>;

impl ClientBuilder {
    /// The integration's API key, sent as `Api-key` (never printed: a [`Secret`](crate::Secret)).
    pub fn api_key(mut self, api_key: impl Into<crate::Secret>) -> Self {
        self.vendor.api_key = Some(api_key.into());
        self
    }

    /// The franchise to act in when one key covers several, sent as `X-Tenant-Key` on every
    /// call (a call's own `.x_tenant_key(…)` wins). Not printed.
    pub fn tenant_key(mut self, tenant_key: impl Into<crate::Secret>) -> Self {
        self.vendor.tenant_key = Some(tenant_key.into());
        self
    }

    /// Builds the client. Nothing is sent until the first call.
    pub fn build(self) -> Result<Client, BuildError> {
        let (parts, vendor) = self.into_parts()?;
        let Some(api_key) = vendor.api_key else {
            return Err(BuildError::NoCredentials {
                vendor: Settings::NAME,
                give: "call .api_key(…)",
            });
        };
        if HeaderValue::from_str(api_key.expose()).is_err() {
            return Err(BuildError::InvalidValue("the API key"));
        }
        let mut transport = parts
            .transport(Credentials::Header {
                name: API_KEY,
                value: api_key,
            })
            .guard(EmpegoGuard);
        if let Some(tenant) = vendor.tenant_key {
            let mut value = HeaderValue::from_str(tenant.expose())
                .map_err(|_| BuildError::InvalidValue("the tenant key"))?;
            value.set_sensitive(true);
            transport = transport.with_header(TENANT_KEY, value);
        }
        Ok(Client {
            wired: Wired::new(&parts, transport),
            acting_as: None,
        })
    }
}
