//! Typed client for the Health Gorilla FHIR R4 API and OAuth token endpoint.
//!
//! Everything but this file is generated from `specs/healthgorilla.yaml` by `cargo xtask codegen`
//! (see `generated.rs`; never edit it by hand). Every request goes through the client's
//! [`ehr_runtime::Runtime`], which is where the façade (`ehr-sdk`) adds auth, headers, retries
//! and redirect handling.
//!
//! ```no_run
//! let client = ehr_healthgorilla::Client::with_runtime("https://sandbox.healthgorilla.com", ehr_runtime::Runtime::direct());
//! # let _ = client;
//! ```

// Printed by prettyplease in `cargo xtask codegen`; `cargo fmt` leaves it as generated.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;

ehr_runtime::hook_generated_client!("healthgorilla");
