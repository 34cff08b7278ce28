//! Empego's documented refusals: recognised here, from status and body, and nowhere else.

use reqwest::StatusCode;

use crate::Error;
use crate::runtime::error::RefusalCode;

/// Empego's documented refusals, each an [`Error::Refused`] whose `code` is one of this type's
/// constants (the Spring body stays reachable through
/// [`Error::vendor_body`](crate::Error::vendor_body)). Any other 400 stays
/// [`Error::Validation`] with its message.
///
/// ```no_run
/// # async fn run(client: ehr_sdk::empego::Client) {
/// use ehr_sdk::Error;
/// use ehr_sdk::empego::{GetEmbeddableUrl, Refusal};
///
/// match client.statistics_dashboard().url().await {
///     Ok(url) => println!("a URL on {}", url.origin()),
///     Err(Error::Refused { code: Refusal::USER_CREATION_FAILED, answer }) => {
///         println!("refused, as documented: {}", answer.message().unwrap_or(""))
///     }
///     Err(other) => println!("{other}"),
/// }
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The header carrying the acting user could not be read (`400 Invalid x-integration-user
    /// header format`: bad JSON or base64).
    InvalidUserHeader,
    /// The user acted for could not be created (`400 User creation failed - missing required
    /// fields`: a new `userId` without first name, last name and email).
    UserCreationFailed,
    /// The credentials were refused or no session could be opened for them (`401
    /// Authentication failed`: an invalid API key, or session creation failed); every 401.
    AuthenticationFailed,
}

impl Refusal {
    /// The code of [`Refusal::InvalidUserHeader`].
    pub const INVALID_USER_HEADER: RefusalCode = RefusalCode::new("empego", "invalid_user_header");
    /// The code of [`Refusal::UserCreationFailed`].
    pub const USER_CREATION_FAILED: RefusalCode =
        RefusalCode::new("empego", "user_creation_failed");
    /// The code of [`Refusal::AuthenticationFailed`].
    pub const AUTHENTICATION_FAILED: RefusalCode =
        RefusalCode::new("empego", "authentication_failed");

    /// Its code in [`Error::Refused`].
    pub const fn code(self) -> RefusalCode {
        match self {
            Refusal::InvalidUserHeader => Self::INVALID_USER_HEADER,
            Refusal::UserCreationFailed => Self::USER_CREATION_FAILED,
            Refusal::AuthenticationFailed => Self::AUTHENTICATION_FAILED,
        }
    }

    /// The Empego refusal `error` is, if it is one.
    pub fn of(error: &Error) -> Option<Refusal> {
        match error {
            Error::Refused { code, .. } => [
                Refusal::InvalidUserHeader,
                Refusal::UserCreationFailed,
                Refusal::AuthenticationFailed,
            ]
            .into_iter()
            .find(|refusal| refusal.code() == *code),
            _ => None,
        }
    }

    /// The documented refusal an answer of `status` with `body` is: the two 400 messages
    /// (looked for in the body, whose `message` holds them), and any 401.
    pub(super) fn recognise(status: StatusCode, body: &[u8]) -> Option<Refusal> {
        match status {
            StatusCode::BAD_REQUEST => {
                let body = String::from_utf8_lossy(body).to_ascii_lowercase();
                if body.contains("invalid x-integration-user header") {
                    Some(Refusal::InvalidUserHeader)
                } else if body.contains("user creation failed") {
                    Some(Refusal::UserCreationFailed)
                } else {
                    None
                }
            }
            StatusCode::UNAUTHORIZED => Some(Refusal::AuthenticationFailed),
            _ => None,
        }
    }
}
