//! Typed client for the Elation Health REST API v2.0.
//!
//! Everything but this file is generated from `specs/elation.yaml` by `cargo xtask codegen`
//! (see `generated.rs`; never edit it by hand). Every request goes through the client's
//! [`ehr_runtime::Runtime`], which is where the façade (`ehr-sdk`) adds auth, headers, retries
//! and redirect handling.
//!
//! ```no_run
//! let client = ehr_elation::Client::with_runtime("https://sandbox.elationemr.com", ehr_runtime::Runtime::direct());
//! # let _ = client;
//! ```

// Printed by prettyplease in `cargo xtask codegen`; `cargo fmt` leaves it as generated.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;

ehr_runtime::hook_generated_client!("elation");
