//! Acting on behalf of a user, in the three forms our vendors use, over one pipeline.
//!
//! - a header naming the user on every request (Elation's `X-On-Behalf-Of: 342`);
//! - a header carrying an encoded identity (Empego's base64-JSON `x-integration-user`);
//! - a token of the user's own (Health Gorilla's JWT-bearer grant with the user as subject).
//!
//! A vendor module turns its user type into an [`Impersonation`] and asks the pipeline for an
//! acting copy with [`FacadeTransport::acting`](crate::pipeline::FacadeTransport::acting): the
//! same origin, retries, rate limit and guard, with the header added to every request that does
//! not already carry it (so a per-call value wins) or with the user's credentials instead of
//! the service's. Copies are cheap: a few reference counts.

use reqwest::header::{HeaderName, HeaderValue};

use crate::pipeline::Credentials;

/// How a client acts on behalf of one user.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Impersonation {
    /// A header added to every request (unless the request already has one of that name).
    /// Mark secret values [sensitive](HeaderValue::set_sensitive).
    Header {
        /// The header name.
        name: HeaderName,
        /// Its value.
        value: HeaderValue,
    },
    /// Credentials of the user's own, used instead of the client's.
    Credentials(Credentials),
}

impl Impersonation {
    /// A header naming the user.
    pub fn header(name: HeaderName, value: HeaderValue) -> Self {
        Impersonation::Header { name, value }
    }
}
