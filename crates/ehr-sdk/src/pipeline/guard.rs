//! Stage **guard**: a vendor's own rules, checked around each call: the hook Elation's token
//! scopes and impersonation errors, Empego's documented refusals and a vendor's own retry
//! classes plug into.

use std::fmt;

use reqwest::Request;
use reqwest::header::HeaderName;

use crate::auth::AccessToken;
use crate::retry::RetryClass;
use crate::runtime::error::RefusalCode;

/// Rules of one vendor that the pipeline applies to every call. Every method has a default that
/// changes nothing, so a vendor implements only the rules it has.
///
/// [`before_send`](Self::before_send) sees each request with its credentials attached and may
/// refuse it, so a call that cannot succeed is never sent; [`refusal`](Self::refusal)
/// recognises the vendor's documented refusals from status and body, which become
/// [`Error::Refused`](crate::Error::Refused) with the vendor's code (and a 401 among them is
/// one no new token cures: the pipeline neither refreshes nor re-sends for it);
/// [`retry_class`](Self::retry_class) reads an answer the vendor documents as temporary (or as
/// final) differently from the [standard classes](RetryClass::of_response).
pub trait CallGuard: fmt::Debug + Send + Sync + 'static {
    /// Refuses `request` before it is sent. `token` is the bearer token attached, if any.
    fn before_send(&self, request: &Request, token: Option<&AccessToken>) -> Result<(), Refusal> {
        let _ = (request, token);
        Ok(())
    }

    /// The vendor's documented refusal an answer of `status` with `body` is (Elation's
    /// impersonation 401s, Empego's user-header 400), recognised from what the vendor
    /// documents; `None` leaves the answer to its class by status.
    fn refusal(&self, status: reqwest::StatusCode, body: &[u8]) -> Option<RefusalCode> {
        let _ = (status, body);
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

    /// The retry class of an answer that is not a success, when the vendor's documentation
    /// gives it one of its own (a 500 it calls temporary, a 503 it calls final); `None` keeps
    /// the [standard class](RetryClass::of_response). Whether the call is sent again still
    /// depends on the class allowing it for the request's method and on the retry policy.
    fn retry_class(&self, response: &reqwest::Response) -> Option<RetryClass> {
        let _ = response;
        None
    }
}

/// A call refused by a vendor's rules before it is sent (see [`CallGuard::before_send`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// The token was not granted the scope the call needs (`system/patients.write`,
    /// `act_as_user`).
    MissingScope(String),
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
