//! Health Gorilla (feature `healthgorilla`).

/// The generated Health Gorilla client crate, `ehr-healthgorilla`.
pub use ehr_healthgorilla as api;
