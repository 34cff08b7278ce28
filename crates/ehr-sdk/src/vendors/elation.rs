//! Elation (feature `elation`).

/// The generated Elation client crate, `ehr-elation`.
pub use ehr_elation as api;
