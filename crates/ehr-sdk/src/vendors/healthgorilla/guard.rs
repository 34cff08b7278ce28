//! Health Gorilla's rule checked before sending: creating a user needs `create_users`.

use reqwest::{Method, Request};

use super::scopes::Scope;
use crate::auth::AccessToken;
use crate::pipeline::{CallGuard, Refusal};

/// The path users are created at.
pub(super) const PRACTITIONER_ROLE: &str = "/fhir/R4/PractitionerRole";

/// Refuses a user creation (POST `/fhir/R4/PractitionerRole`) whose token was not granted
/// `create_users`, before it is sent. A token whose grant is unknown (a fixed token given
/// without its scopes) is left to the server.
#[derive(Debug, Default)]
pub(super) struct HealthGorillaGuard;

impl CallGuard for HealthGorillaGuard {
    fn before_send(&self, request: &Request, token: Option<&AccessToken>) -> Result<(), Refusal> {
        let creates_user = request.method() == Method::POST
            && request.url().path().trim_end_matches('/') == PRACTITIONER_ROLE;
        match token.and_then(|t| t.scope.as_deref()) {
            Some(granted) if creates_user && !Scope::CREATE_USERS.is_in(granted) => {
                Err(Refusal::MissingScope(Scope::CREATE_USERS.to_string()))
            }
            _ => Ok(()),
        }
    }
}
