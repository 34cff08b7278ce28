//! The EHR SDK façade: typed clients for DrChrono, Elation Health, Empego and Health Gorilla,
//! generated from hand-written OpenAPI specs, behind one cargo feature per vendor.
//!
//! Each vendor module re-exports its generated client crate as `api`; the façade machinery that
//! every vendor shares (auth and token refresh, impersonation, pagination, retries, typed errors)
//! is built on [`runtime`], the hook every generated client sends its requests through.
//!
//! ```no_run
//! # #[cfg(feature = "drchrono")]
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_sdk::drchrono::api::Client;
//! use ehr_sdk::runtime::Runtime;
//!
//! let client = Client::with_runtime("https://drchrono.com", Runtime::direct());
//! let page = client.patients_list().page_size(100).send().await?;
//! for patient in &page.results {
//!     println!("{} {:?}", patient.id, patient.last_name);
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub use ehr_runtime as runtime;

pub mod auth;
pub mod builder;
pub mod impersonation;
mod multipart;
pub mod pagination;
pub mod retry;
mod secret;
pub mod transport;
pub mod vendors;

pub use ehr_runtime::{Error, FieldError, MAX_ERROR_BODY, VendorError};
pub use multipart::FilePart;
pub use secret::Secret;

#[cfg(feature = "drchrono")]
pub use vendors::drchrono;
#[cfg(feature = "elation")]
pub use vendors::elation;
#[cfg(feature = "empego")]
pub use vendors::empego;
#[cfg(feature = "healthgorilla")]
pub use vendors::healthgorilla;

/// The README's examples, compiled as doctests so they cannot drift.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
pub struct ReadmeDoctests;
