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
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_sdk::empego::{Client, GetEmbeddableUrl, IntegrationUser};
//!
//! let client = Client::builder().api_key("YOUR_API_KEY").build()?;
//! let jane = IntegrationUser::new_user("emp123", "Dr. Jane", "Smith", "jane.smith@clinic.com");
//! let url = client.as_user(&jane)?.consultation_view().patient_key("patient123").url().await?;
//! println!("<iframe src=\"{}\"></iframe>", url.as_str()); // single-use: never log it
//! # Ok(()) }
//! ```

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
