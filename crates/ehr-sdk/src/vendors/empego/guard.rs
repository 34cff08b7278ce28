//! Empego's rules around each call: its identity headers, and its documented refusals
//! (recognised in `refusal.rs`).

use reqwest::header::HeaderName;

use crate::pipeline::CallGuard;
use crate::runtime::error::RefusalCode;

/// Marks Empego's identity headers sensitive and names its documented refusals
/// ([`Refusal`](super::Refusal)).
#[derive(Debug, Default)]
pub(super) struct EmpegoGuard;

/// The headers naming who a session is for and which tenant.
static IDENTITY: [HeaderName; 2] = [
    HeaderName::from_static("x-integration-user"),
    HeaderName::from_static("x-tenant-key"),
];

impl CallGuard for EmpegoGuard {
    fn identity_headers(&self) -> &[HeaderName] {
        &IDENTITY
    }

    fn refusal(&self, status: reqwest::StatusCode, body: &[u8]) -> Option<RefusalCode> {
        super::Refusal::recognise(status, body).map(super::Refusal::code)
    }
}
