//! FHIR `OperationOutcome`: the body of Health Gorilla's refusals, typed.

use super::api::types::OperationOutcome;
use crate::{Error, VendorError};

/// The `OperationOutcome` of a Health Gorilla refusal, typed (`issue[].severity`, `code`,
/// `diagnostics`, `details.text`). Implemented for [`Error`] and [`VendorError`];
/// `Display` of the error already shows the first issue's text.
///
/// ```
/// # async fn run(client: ehr_sdk::healthgorilla::Client) {
/// use ehr_sdk::healthgorilla::OperationOutcomeExt;
///
/// if let Err(error) = client.practitioner_read().id("c91b").send().await {
///     if let Some(outcome) = error.operation_outcome() {
///         for issue in &outcome.issue {
///             eprintln!("{:?} {:?}: {:?}", issue.severity, issue.code, issue.diagnostics);
///         }
///     }
/// }
/// # }
/// ```
pub trait OperationOutcomeExt {
    /// The refusal's body as an `OperationOutcome`, when it is one (`resourceType`
    /// `OperationOutcome`, whatever the `Content-Type`: `application/fhir+json` or JSON).
    fn operation_outcome(&self) -> Option<OperationOutcome>;
}

impl OperationOutcomeExt for VendorError {
    fn operation_outcome(&self) -> Option<OperationOutcome> {
        self.vendor_body::<OperationOutcome>()
            .filter(|o| o.resource_type.as_deref() == Some("OperationOutcome"))
    }
}

impl OperationOutcomeExt for Error {
    fn operation_outcome(&self) -> Option<OperationOutcome> {
        self.vendor()
            .and_then(OperationOutcomeExt::operation_outcome)
    }
}
