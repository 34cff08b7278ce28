//! DrChrono (feature `drchrono`).

/// The generated DrChrono client crate, `ehr-drchrono`.
pub use ehr_drchrono as api;
