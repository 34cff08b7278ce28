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

//! # What errors, `Debug` and traces contain
//!
//! | may contain | never contains |
//! |---|---|
//! | the operation id, the vendor, the HTTP method and status, attempt counts and waits | a credential: bearer or refresh token, client secret, API key, JWT assertion, authorization code (each is a [`Secret`] that prints `[redacted]`) |
//! | the vendor's own message and field names, [scrubbed](runtime::error::scrub) of every credential the client sent and anything shaped like one, and of every value the request carried ([`SentValues`](runtime::error::SentValues): query values, ids in the path, header values, form and JSON body values) | a URL with its query (transport errors are stored without their URL) |
//! | a decode failure's JSON path and the expected type | a request or response value (decode errors name the path, not the value found), or a body |
//!
//! A refusal's body is kept as it arrived (unscrubbed: it may hold PHI and the request's own
//! values echoed back), bounded to [`MAX_ERROR_BODY`], and reachable only on purpose:
//! [`VendorError::body`], [`Error::vendor_body`]; a token endpoint's through
//! [`AuthError::Refused`](auth::AuthError::Refused)'s `body`. Tracing spans and events (`ehr.call`,
//! `ehr call finished`, `ehr call retrying`) and metrics carry only the left column, with the
//! host and the operation's path template (see [`telemetry`]).

#![deny(missing_docs)]

pub use ehr_runtime as runtime;

pub mod auth;
// With no vendor feature (a build of the shared machinery alone, as `cargo xtask bench --builds`
// measures it), nothing uses the vendor-facing half of the builder.
#[cfg_attr(
    not(any(
        feature = "drchrono",
        feature = "elation",
        feature = "empego",
        feature = "healthgorilla"
    )),
    allow(dead_code)
)]
pub mod builder;
pub mod impersonation;
mod jwt;
#[cfg(feature = "drchrono")]
mod multipart;
pub mod pagination;
pub mod pipeline;
pub mod retry;
mod secret;
#[cfg(any(feature = "postgres", feature = "redis"))]
pub mod stores;
pub mod telemetry;
pub mod vendors;
pub mod webhooks;

pub use ehr_runtime::error::RefusalCode;
pub use ehr_runtime::{Error, ErrorKind, FieldError, MAX_ERROR_BODY, VendorError};
#[cfg(feature = "drchrono")]
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
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
