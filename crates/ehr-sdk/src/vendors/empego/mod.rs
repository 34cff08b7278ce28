//! Empego embeddable URLs (feature `empego`).
//!
//! [`api`] is the generated client; [`Client`] puts the façade's pipeline behind it: the
//! `Api-key` header (a [`Secret`](crate::Secret)), the optional `X-Tenant-Key`, the session
//! user as a typed, checked [`IntegrationUser`] ([`Client::as_user`], the only way to set
//! it), every embeddable
//! endpoint's answer read as an [`EmbeddableUrl`] with [`GetEmbeddableUrl::url`], and Empego's
//! documented refusals as [`Error::Refused`](crate::Error::Refused) with the codes of
//! [`Refusal`], with the Spring body
//! typed as [`api::types::ErrorBody`] through
//! [`Error::vendor_body`](crate::Error::vendor_body).

/// The generated Empego client crate, `ehr-empego`.
pub use ehr_empego as api;

mod client;
mod guard;
mod refusal;
mod url;
mod user;

pub use crate::builder::BuildError;
pub use client::{BASE_URL, Client, ClientBuilder, Settings};
pub use refusal::Refusal;
pub use url::{EmbeddableUrl, GetEmbeddableUrl};
pub use user::{IntegrationUser, Language, MAX_USER_HEADER, UserHeaderError};
