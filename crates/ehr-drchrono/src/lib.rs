//! Typed client for the DrChrono v4 API.
//!
//! Everything but this file is generated from `specs/drchrono.yaml` by `cargo xtask codegen`
//! (see `generated.rs`; never edit it by hand). Every request goes through the client's
//! [`ehr_runtime::Runtime`], which is where the façade (`ehr-sdk`) adds auth, headers, retries
//! and redirect handling.
//!
//! DrChrono's reference says an optional value "will default to "" or null depending on its
//! type. These cases should be interpreted as an absent value." So every optional field of the
//! generated types decodes `""` as `None` (each is an [`ehr_runtime::decode::Tolerant<T, true>`]
//! in the type's private field-by-field copy): an optional integer, date or object sent as `""`
//! decodes as absent instead of failing the page. A required string keeps its `""`, and so does
//! an array element. And, as for every vendor, an optional field whose value has another type
//! than the spec says is left out with a warning instead of failing the call, unless decoding
//! is strict (see [`ehr_runtime::decode`]).
//!
//! Operations whose body is `multipart/form-data` (file uploads) are listed in
//! [`MULTIPART_OPERATIONS`]; progenitor cannot generate them, and `ehr-sdk` sends them.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ehr_drchrono::{Client, types::DateRange};
//!
//! let client = Client::with_runtime("https://drchrono.com", ehr_runtime::Runtime::direct());
//! let week = DateRange::between(
//!     chrono::NaiveDate::from_ymd_opt(2024, 5, 6).unwrap(),
//!     chrono::NaiveDate::from_ymd_opt(2024, 5, 12).unwrap(),
//! )?;
//! let page = client.appointments_list().date_range(week).doctor(5).send().await?;
//! println!("{} appointments", page.results.len());
//! # Ok(()) }
//! ```

// Printed by prettyplease in `cargo xtask codegen`; `cargo fmt` leaves it as generated.
#[rustfmt::skip]
#[allow(missing_docs, clippy::all)]
mod generated;

pub use generated::*;

ehr_runtime::hook_generated_client!("drchrono");

/// Decodes a DrChrono JSON document (an API response, a webhook body) into `T`, as the client
/// does for every response by default: the generated types read `""` in an optional field as
/// absent, and an optional field of another type is left out (with a `tracing` warning, without
/// its path; [`ehr_runtime::decode::from_slice`] returns the paths, and decodes strictly if
/// asked).
///
/// ```
/// let doctor: ehr_drchrono::types::Doctor =
///     ehr_drchrono::from_json(br#"{"id": 1, "npi_number": "", "is_account_suspended": ""}"#)?;
/// assert_eq!((doctor.npi_number, doctor.is_account_suspended), (None, None));
/// let doctor: ehr_drchrono::types::Doctor =
///     ehr_drchrono::from_json(br#"{"id": 1, "is_account_suspended": "no"}"#)?;
/// assert_eq!(doctor.is_account_suspended, None);
/// assert!(ehr_drchrono::from_json::<ehr_drchrono::types::Doctor>(br#"{"id": "x"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
pub fn from_json<T: serde::de::DeserializeOwned>(json: &[u8]) -> serde_json::Result<T> {
    serde_json::from_slice(json)
}

impl types::DateRange {
    /// The range from `start` to `end`: `YYYY-MM-DD/YYYY-MM-DD`. Fails only for years outside
    /// 0000–9999, which the format cannot write.
    pub fn between(
        start: chrono::NaiveDate,
        end: chrono::NaiveDate,
    ) -> Result<Self, types::error::ConversionError> {
        format!("{}/{}", start.format("%Y-%m-%d"), end.format("%Y-%m-%d")).parse()
    }
}
