//! Stage **credentials**: what a request to the origin carries, attached before each attempt.
//!
//! The pipeline's headers (an acting user's identity) are added where the request lacks them,
//! identity headers are marked sensitive however they were set, and the credential (a bearer
//! token from the cache, or a fixed header such as Empego's `Api-key`) is attached. A request
//! to another origin gets none of it.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use reqwest::Request;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use super::FacadeTransport;
use super::failure::Failure;
use crate::Secret;
use crate::auth::TokenCache;
use crate::auth::cache::Bearer;

/// How requests are authenticated.
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// No credentials (token endpoints, public calls).
    None,
    /// `Authorization: Bearer <token>` from a cache, refreshed once on 401.
    Bearer(Arc<TokenCache>),
    /// A fixed header, such as Empego's `Api-key`.
    Header {
        /// The header name.
        name: HeaderName,
        /// Its value.
        value: Secret,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Bearer(cache) => f.debug_tuple("Bearer").field(cache).finish(),
            Credentials::Header { name, value } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", value)
                .finish(),
        }
    }
}

impl FacadeTransport {
    /// The bearer token for a request to `url`'s origin, when it can be had without waiting:
    /// `Some(None)` when the request carries no bearer token, `None` when one must be fetched.
    pub(super) fn bearer_now(&self, home: bool, now: Instant) -> Option<Option<Arc<Bearer>>> {
        match &self.credentials {
            Credentials::Bearer(cache) if home => cache.fresh_bearer(now).map(Some),
            _ => Some(None),
        }
    }

    /// The bearer token for a request to the origin (`home`), fetching one (single-flight)
    /// when the cached one is not fresh.
    pub(super) async fn bearer(&self, home: bool) -> Result<Option<Arc<Bearer>>, Failure> {
        if let Some(now) = self.bearer_now(home, Instant::now()) {
            return Ok(now);
        }
        match &self.credentials {
            Credentials::Bearer(cache) => {
                Ok(Some(Box::pin(cache.bearer()).await.map_err(Failure::Auth)?))
            }
            _ => Ok(None),
        }
    }

    /// Adds the pipeline's headers and credentials (`bearer` for bearer credentials) to a
    /// request to the origin.
    pub(super) fn attach(
        &self,
        request: &mut Request,
        bearer: Option<&Bearer>,
    ) -> Result<(), Failure> {
        for (name, value) in self.headers.iter() {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
        // An identity header set per call (the generated setter) is as sensitive as one the
        // pipeline adds.
        if let Some(guard) = &self.guard {
            for name in guard.identity_headers() {
                if let Some(value) = request.headers_mut().get_mut(name) {
                    value.set_sensitive(true);
                }
            }
        }
        match &self.credentials {
            Credentials::None => {}
            Credentials::Bearer(_) => {
                if let Some(bearer) = bearer {
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, bearer.header.clone());
                }
            }
            Credentials::Header { name, value } => {
                let mut value = HeaderValue::from_str(value.expose())
                    .map_err(|_| Failure::InvalidCredential)?;
                value.set_sensitive(true);
                request.headers_mut().insert(name.clone(), value);
            }
        }
        Ok(())
    }

    /// The credentials this pipeline sent with a request (the bearer token's `authorization`,
    /// the fixed header, the sensitive and identity headers it added, and those of `sent`),
    /// as texts to scrub from the vendor's answer.
    pub(super) fn sent_credentials<'a>(
        &'a self,
        authorization: Option<&HeaderValue>,
        sent: impl Iterator<Item = (&'a HeaderName, &'a HeaderValue)>,
    ) -> Vec<String> {
        let identity = self
            .guard
            .as_ref()
            .map_or(&[][..], |g| g.identity_headers());
        let mut credentials: Vec<String> = self
            .headers
            .iter()
            .map(|(n, v)| (n, v))
            .chain(sent)
            .filter(|(n, v)| v.is_sensitive() || identity.contains(n))
            .filter_map(|(_, v)| v.to_str().ok().map(str::to_string))
            .collect();
        if let Some(token) = authorization.and_then(Bearer::token_of) {
            credentials.push(token.to_string());
        }
        if let Credentials::Header { value, .. } = &self.credentials {
            credentials.push(value.expose().to_string());
        }
        credentials
    }
}
