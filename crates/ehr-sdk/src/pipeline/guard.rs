//! Stage **guard**: a vendor's own rules, checked around each call: the hook Elation's token
//! scopes and impersonation errors, Empego's documented refusals and a vendor's own retry
//! classes plug into.

use std::fmt;

use reqwest::Request;
use reqwest::header::HeaderName;

use crate::auth::AccessToken;
use crate::retry::RetryClass;

/// Rules of one vendor that the pipeline applies to every call. Every method has a default that
/// changes nothing, so a vendor implements only the rules it has.
///
/// [`before_send`](Self::before_send) sees each request with its credentials attached and may
/// refuse it, so a call that cannot succeed is never sent; [`unauthorized`](Self::unauthorized)
/// reads the body of a 401 and names refusals that a new token cannot cure, so the pipeline does
/// not refresh and re-send for them; [`refine`](Self::refine) names the vendor's documented
/// refusals that have a case of their own in [`Error`](crate::Error);
/// [`retry_class`](Self::retry_class) reads an answer the vendor documents as temporary (or as
/// final) differently from the [standard classes](RetryClass::of_response).
pub trait CallGuard: fmt::Debug + Send + Sync + 'static {
    /// Refuses `request` before it is sent. `token` is the bearer token attached, if any.
    fn before_send(&self, request: &Request, token: Option<&AccessToken>) -> Result<(), Refusal> {
        let _ = (request, token);
        Ok(())
    }

    /// The refusal a 401 with `body` stands for, when refreshing the token cannot help.
    fn unauthorized(&self, body: &[u8]) -> Option<Refusal> {
        let _ = body;
        None
    }

    /// The headers that carry who a call is made for (Empego's `x-integration-user`, Elation's
    /// `X-On-Behalf-Of`). However a header of these names got onto a request (an acting
    /// client, or the generated per-call setter), its value is marked
    /// [sensitive](reqwest::header::HeaderValue::set_sensitive) and counts as a credential:
    /// the vendor's text is scrubbed of it, and of what it decodes to. None by default.
    fn identity_headers(&self) -> &[HeaderName] {
        &[]
    }

    /// The error a vendor's refusal stands for, once the pipeline has read and classified it
    /// by status: a vendor whose documented messages name distinct cases (Empego's
    /// `Invalid x-integration-user header format`) turns the generic class into the specific
    /// one here. Unchanged unless overridden.
    fn refine(&self, error: crate::Error) -> crate::Error {
        error
    }

    /// The retry class of an answer that is not a success, when the vendor's documentation
    /// gives it one of its own (a 500 it calls temporary, a 503 it calls final); `None` keeps
    /// the [standard class](RetryClass::of_response). Whether the call is sent again still
    /// depends on the class allowing it for the request's method and on the retry policy.
    fn retry_class(&self, response: &reqwest::Response) -> Option<RetryClass> {
        let _ = response;
        None
    }
}

/// A call refused by a vendor's rules (see [`CallGuard`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The token was not granted the scope the call needs (`system/patients.write`,
    /// `act_as_user`); found before sending.
    MissingScope(String),
    /// The vendor refused to let the token act on behalf of a user: it lacks the impersonation
    /// scope (Elation: `401 Token does not have act_as_user scope`).
    ImpersonationNotGranted,
    /// The vendor refused the user acted for: unknown, inactive or outside the practices the
    /// token may reach (Elation: `401 On-behalf-of user not found or not authorized`).
    ImpersonatedUserRejected,
}

impl super::FacadeTransport {
    /// The vendor's [`CallGuard`] verdict on a request about to be sent.
    pub(super) fn check(
        &self,
        request: &Request,
        bearer: Option<&crate::auth::cache::Bearer>,
    ) -> Result<(), Refusal> {
        match &self.guard {
            Some(guard) => guard.before_send(request, bearer.map(|b| &b.token)),
            None => Ok(()),
        }
    }
}
