//! The runtime every generated vendor client (`ehr-drchrono`, `ehr-elation`, `ehr-empego`,
//! `ehr-healthgorilla`) sends its requests through.
//!
//! progenitor lets per-call code into a generated client only through `ClientHooks`, which must be
//! implemented in the crate that defines the client (Rust's orphan rule). Each vendor crate
//! therefore makes its client carry a [`Runtime`] as progenitor's *inner type* and implements
//! `ClientHooks::exec` with one macro call, [`hook_generated_client!`], that hands every request
//! to [`Runtime::execute`]. What happens to the request from there is decided by the
//! [`Transport`] the runtime was built with: the façade (`ehr-sdk`) supplies one that adds auth,
//! impersonation headers, retries and redirect handling, without any change to generated code.
//!
//! ```
//! use ehr_runtime::{CallInfo, Runtime};
//!
//! // A runtime that sends each request as it is (apart from the header progenitor adds).
//! let runtime = Runtime::direct();
//! assert!(format!("{runtime:?}").contains("Direct"));
//! # let _ = CallInfo { vendor: "drchrono", operation_id: "patients_list" };
//! ```

#![deny(missing_docs)]

mod blank;
mod call;
pub mod decode;
pub mod error;
pub mod fhir;
mod generated_support;
mod hook;
pub mod pagination;
mod resend;
mod runtime;
mod transport;

pub use blank::absent_if_blank;
pub use call::{CallInfo, Operation};
pub use error::{
    Attempt, AuthError, Error, ErrorKind, FieldError, MAX_ERROR_BODY, OAuthErrorCode, RetryHistory,
    StoreError, VendorError, retry_after,
};
/// How a transport's failure travels through generated code (see [`error::carry()`](crate::error::carry())): plumbing
/// between the runtime, transports and generated code, documented there.
#[doc(hidden)]
pub use error::{carried, carry};
/// What `cargo xtask codegen` makes generated code call instead of progenitor's own helpers:
/// generated code's plumbing, not the runtime's documented API.
#[doc(hidden)]
pub use generated_support::{PathSegment, QueryParamExt, response_value};
pub use hook::GeneratedClient;
pub use resend::Resend;
pub use runtime::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, Runtime, default_http_client, http_client_builder,
    install_tls_provider,
};
pub use transport::{Direct, Finish, Ticket, Transport, TransportFuture};

#[doc(hidden)]
pub mod __private {
    //! Paths used by [`hook_generated_client!`](crate::hook_generated_client); not public API.
    pub use progenitor_client;
    pub use reqwest;
}
