//! Empego's documented refusals, as cases of their own.

use crate::Error;
use reqwest::header::HeaderName;

use crate::pipeline::CallGuard;

/// Turns Empego's documented error messages into the [`Error`] cases they stand for:
/// `400 Invalid x-integration-user header format` into [`Error::InvalidUserHeader`],
/// `400 User creation failed - missing required fields` into [`Error::UserCreationFailed`],
/// and every 401 (an invalid API key, or a session that could not be created) into
/// [`Error::AuthenticationFailed`]. Any other 400 stays [`Error::Validation`] with its message.
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

    fn refine(&self, error: Error) -> Error {
        match error {
            Error::Validation(answer) if answer.status().as_u16() == 400 => {
                let message = answer.message().unwrap_or_default().to_ascii_lowercase();
                if message.contains("invalid x-integration-user header") {
                    Error::InvalidUserHeader(answer)
                } else if message.contains("user creation failed") {
                    Error::UserCreationFailed(answer)
                } else {
                    Error::Validation(answer)
                }
            }
            Error::Unauthorized(answer) => Error::AuthenticationFailed(answer),
            other => other,
        }
    }
}
