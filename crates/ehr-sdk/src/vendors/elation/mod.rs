//! Elation Health (feature `elation`).
//!
//! [`api`] is the generated client; [`Client`] puts the façade's pipeline behind it: the
//! client-credentials grant with typed [scopes](ScopeSet), a check of the scope each call needs
//! before it is sent, and [acting on behalf of a user](Client::on_behalf_of) with the
//! `X-On-Behalf-Of` header, whose two documented 401s come back as
//! [`Error::Refused`](crate::Error::Refused) with the codes of [`Refusal`]; webhook
//! subscriptions (`subscriptions_*`) and their Ed25519-signed deliveries ([`WebhookVerifier`]).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_sdk::elation::{Client, Resource, ScopeSet, UserId};
//!
//! let scopes = ScopeSet::builder().read(Resource::Patients).act_as_user().build()?;
//! let client = Client::builder()
//!     .sandbox()
//!     .client_credentials("client-id", "client-secret")
//!     .scopes(scopes)
//!     .build()?;
//! // Every call of `as_physician` carries `X-On-Behalf-Of: 131074`.
//! let as_physician = client.on_behalf_of(UserId::from_users_api_id(131074));
//! let page = as_physician.patients_list().send().await?;
//! println!("{} patients", page.results.len());
//! # Ok(()) }
//! ```

/// The generated Elation client crate, `ehr-elation`.
pub use ehr_elation as api;

mod client;
mod guard;
mod refusal;
mod scopes;
mod user;
mod webhooks;

pub use crate::builder::BuildError;
pub use client::{Client, ClientBuilder, PRODUCTION, SANDBOX, Settings};
pub use refusal::Refusal;
pub use scopes::{
    Access, GrantedScopes, Group, Resource, Scope, ScopeError, ScopeSet, ScopeSetBuilder,
};
pub use user::{NoUserId, UserId};
pub use webhooks::{
    Action, InvalidKey, SIGNATURE_HEADER, SigningKey, WebhookEvent, WebhookVerifier,
};
