//! Elation's documented refusals: recognised here, from status and body, and nowhere else.

use reqwest::StatusCode;

use crate::Error;
use crate::runtime::error::RefusalCode;

/// Elation's documented refusals, each an [`Error::Refused`] whose `code` is one of this
/// type's constants: the two 401s of acting on behalf of a user (the impersonation document).
/// Neither is a token problem: the pipeline neither refreshes nor re-sends for them.
///
/// ```no_run
/// # async fn run(client: ehr_sdk::elation::Client) {
/// use ehr_sdk::Error;
/// use ehr_sdk::elation::{Refusal, UserId};
///
/// let as_user = client.on_behalf_of(UserId::from_users_api_id(131074));
/// match as_user.patients_list().send().await {
///     Ok(page) => println!("{} patients", page.results.len()),
///     Err(Error::Refused { code: Refusal::IMPERSONATED_USER_REJECTED, .. }) => {
///         println!("that user cannot be acted for")
///     }
///     Err(Error::MissingScope { scope, .. }) => println!("ask for {scope}"),
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The token lacks the impersonation scope (`401 Token does not have act_as_user scope`).
    ImpersonationNotGranted,
    /// The user acted for is unknown, inactive or outside the token's practices
    /// (`401 On-behalf-of user not found or not authorized`).
    ImpersonatedUserRejected,
}

impl Refusal {
    /// The code of [`Refusal::ImpersonationNotGranted`].
    pub const IMPERSONATION_NOT_GRANTED: RefusalCode =
        RefusalCode::new("elation", "impersonation_not_granted");
    /// The code of [`Refusal::ImpersonatedUserRejected`].
    pub const IMPERSONATED_USER_REJECTED: RefusalCode =
        RefusalCode::new("elation", "impersonated_user_rejected");

    /// Its code in [`Error::Refused`].
    pub const fn code(self) -> RefusalCode {
        match self {
            Refusal::ImpersonationNotGranted => Self::IMPERSONATION_NOT_GRANTED,
            Refusal::ImpersonatedUserRejected => Self::IMPERSONATED_USER_REJECTED,
        }
    }

    /// The Elation refusal `error` is, if it is one.
    pub fn of(error: &Error) -> Option<Refusal> {
        match error {
            Error::Refused { code, .. } => [
                Refusal::ImpersonationNotGranted,
                Refusal::ImpersonatedUserRejected,
            ]
            .into_iter()
            .find(|refusal| refusal.code() == *code),
            _ => None,
        }
    }

    /// The documented refusal an answer of `status` with `body` is. The impersonation document
    /// gives the two 401 messages, not the body's shape, so they are looked for anywhere in
    /// the body.
    pub(super) fn recognise(status: StatusCode, body: &[u8]) -> Option<Refusal> {
        if status != StatusCode::UNAUTHORIZED {
            return None;
        }
        let body = String::from_utf8_lossy(body).to_ascii_lowercase();
        if body.contains("does not have act_as_user scope") {
            Some(Refusal::ImpersonationNotGranted)
        } else if body.contains("on-behalf-of user not found or not authorized") {
            Some(Refusal::ImpersonatedUserRejected)
        } else {
            None
        }
    }
}
