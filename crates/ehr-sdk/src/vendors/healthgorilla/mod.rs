//! Health Gorilla FHIR R4 (feature `healthgorilla`).
//!
//! [`api`] is the generated client; [`Client`] puts the façade's pipeline behind it:
//!
//! - tokens from the JWT-bearer grant ([`JwtBearer`](crate::auth::JwtBearer): HS256 with the
//!   client secret, `aud` = the token URL, which is configured with the FHIR origin as one
//!   [`Environment`]), typed [`Scope`]s, and a token **per acting user** with
//!   [`Client::as_user`];
//! - FHIR searches (`practitioner_search`, `practitioner_role_search`) paged by the Bundle's
//!   `next` link with [`Paginate`](crate::pagination::Paginate);
//! - refusals with their `OperationOutcome` typed ([`OperationOutcomeExt`]) and the first
//!   issue's text in `Display`; token endpoint refusals with their OAuth code
//!   ([`AuthError::oauth_error`](crate::auth::AuthError::oauth_error));
//! - user creation as the clinical-user document describes it ([`CreateUsers`]): `lookup_npi`,
//!   [`ClinicalUser`] built from the Practitioner found, [`NonClinicalUser`],
//!   `create_user` and `create_clinical_user`, refused before sending
//!   without the `create_users` scope.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_sdk::healthgorilla::{Client, Scope};
//! use ehr_sdk::pagination::Paginate;
//! use futures::TryStreamExt;
//!
//! let client = Client::builder()
//!     .sandbox()
//!     .client_credentials("client-id", "client-secret")
//!     .scopes([Scope::USER_ALL])
//!     .build()?;
//! // Health Gorilla's tokens are a user's: this copy asserts as `admin.login`.
//! let admin = client.as_user("admin.login")?;
//! let mut found = admin.practitioner_search().name("nguyen").items();
//! while let Some(practitioner) = found.try_next().await? {
//!     println!("{:?}", practitioner.id);
//! }
//! # Ok(()) }
//! ```

/// The generated Health Gorilla client crate, `ehr-healthgorilla`.
pub use ehr_healthgorilla as api;

mod client;
mod create;
mod guard;
mod outcome;
mod scopes;
mod users;

pub use crate::builder::BuildError;
pub use client::{AsUserError, Client, ClientBuilder, Environment, PRODUCTION, SANDBOX, Settings};
pub use create::{CreateUsers, UserCreation};
pub use outcome::OperationOutcomeExt;
pub use scopes::Scope;
pub use users::{
    Account, AdministrativeRole, ClinicalUser, NPI_SYSTEM, NewUser, NonClinicalUser, NotAClinician,
    PractitionerRoleCode,
};
