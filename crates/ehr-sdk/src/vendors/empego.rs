//! Empego (feature `empego`).

/// The generated Empego client crate, `ehr-empego`.
pub use ehr_empego as api;
