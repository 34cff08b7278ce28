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
