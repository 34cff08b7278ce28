//! DrChrono (feature `drchrono`).
//!
//! [`api`] is the generated client of every operation of the v4 reference; [`Uploads`] adds the
//! file uploads (`multipart/form-data`) progenitor cannot generate, as typed methods on the same
//! client, [`BulkCreate`] the documented "POST a list of objects" form of every create, and
//! [`WebhookVerifier`] and [`IframeVerifier`] the verification of what DrChrono sends: webhook
//! deliveries and iframe launches.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_sdk::auth::FileTokenStore;
//! use ehr_sdk::drchrono::Client;
//! use ehr_sdk::pagination::Paginate;
//! use futures::TryStreamExt;
//!
//! // A user's connection, authorized once with `DrChronoOAuth::exchange_code`: the client
//! // refreshes it, saving each rotated refresh token before it is used.
//! let client = Client::builder()
//!     .oauth("client-id", "client-secret", "https://app.example/callback")
//!     .token_store(FileTokenStore::new("drchrono-token.json"))
//!     .build()?;
//! let mut patients = client.patients_list().doctor(5).items();
//! while let Some(patient) = patients.try_next().await? {
//!     println!("{} {:?}", patient.id, patient.last_name);
//! }
//! # Ok(()) }
//! ```

/// The generated DrChrono client crate, `ehr-drchrono`.
pub use ehr_drchrono as api;

mod bulk;
mod client;
mod iframe;
mod oauth;
mod scopes;
mod uploads;
mod webhooks;

pub use crate::builder::BuildError;
pub use crate::webhooks::AcceptError;
pub use bulk::{BulkCreate, CreateBody};
pub use client::{Client, ClientBuilder, Settings};
pub use iframe::{IFRAME_CLOCK_SKEW, IFRAME_MAX_AGE, IframeLaunch, IframeVerifier, LaunchError};
pub use oauth::{BASE_URL, DrChronoOAuth, ExchangeNotSaved, RefreshingTokenSource};
pub use scopes::{Scope, ScopeAccess, ScopeArea, UnknownScope};
pub use uploads::{MULTIPART_METHODS, Uploads};
pub use webhooks::{
    DELIVERY_HEADER, Delivery, DeliveryId, EVENT_HEADER, Event, EventObject, HandshakeAnswer,
    SIGNATURE_HEADER, WebhookSecret, WebhookVerifier,
};

/// Decodes a successful response of a hand-built DrChrono call the way the generated client
/// decodes its own (`""` read as absent, the runtime's decoding).
async fn decode<T: serde::de::DeserializeOwned>(
    runtime: &ehr_runtime::Runtime,
    operation_id: &'static str,
    response: reqwest::Response,
) -> Result<T, crate::Error> {
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|source| crate::Error::http(operation_id, source, Vec::new()))?;
    ehr_runtime::decode::response_body(&body, runtime.decoding(), operation_id)
        .map_err(|e| crate::Error::decode(operation_id, status, &body, &e))
}
