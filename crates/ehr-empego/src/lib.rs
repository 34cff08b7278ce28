//! Typed client for the Empego integrations API (embeddable URLs).
//!
//! Everything but this file is generated from `specs/empego.yaml` by `cargo xtask codegen`
//! (see `generated.rs`; never edit it by hand). Every request goes through the client's
//! [`ehr_runtime::Runtime`], which is where the façade (`ehr-sdk`) adds auth, headers, retries
//! and redirect handling.
//!
//! ```no_run
//! let client = ehr_empego::Client::with_runtime("https://api.empego.ca", ehr_runtime::Runtime::direct());
//! # let _ = client;
//! ```

// Printed by prettyplease in `cargo xtask codegen`; `cargo fmt` leaves it as generated.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;

ehr_runtime::hook_generated_client!("empego");
