//! One verifier type for every vendor's webhooks: a vendor's [`Verify`] scheme (how it signs
//! and shapes a delivery), a body limit, and once-only processing over [`SeenDeliveries`].

use std::fmt;

use super::{AcceptError, DEFAULT_MAX_BODY, SeenDeliveries, WebhookError};

/// How one vendor's webhook deliveries are verified and decoded: what a [`WebhookVerifier`]
/// is made of. `drchrono::WebhookSecret` (the webhook's secret token) and
/// `elation::SigningKey` (the subscription's Ed25519 key) implement it; so can a scheme of
/// your own, which then gets [`WebhookVerifier`]'s limit and once-only processing and the
/// ready [`axum` route](super::axum::route).
pub trait Verify: Send + Sync + 'static {
    /// A verified delivery.
    type Delivery: Send + 'static;

    /// Checks a delivery as received (the request's headers and the raw body, before any JSON
    /// parsing) and decodes it. A body over `max_body` bytes is refused
    /// ([`WebhookError::BodyTooLarge`]).
    fn verify(
        &self,
        request: &http::request::Parts,
        body: &[u8],
        max_body: usize,
    ) -> Result<Self::Delivery, WebhookError>;

    /// The id that names a delivery across the vendor's redeliveries (`None`: each delivery
    /// is new).
    fn delivery_id(delivery: &Self::Delivery) -> Option<&str>;
}

/// Verifies a vendor's webhook deliveries with its scheme `S`; each vendor module names its
/// own (`drchrono::WebhookVerifier`, `elation::WebhookVerifier`) and how to make one.
#[derive(Clone)]
pub struct WebhookVerifier<S> {
    scheme: S,
    max_body: usize,
}

impl<S> WebhookVerifier<S> {
    /// A verifier with `scheme`, accepting bodies up to [`DEFAULT_MAX_BODY`].
    pub fn with_scheme(scheme: S) -> Self {
        Self {
            scheme,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// Refuses bodies over `limit` bytes ([`DEFAULT_MAX_BODY`] unless set).
    pub fn max_body(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// The largest body accepted.
    pub fn body_limit(&self) -> usize {
        self.max_body
    }

    /// The vendor's scheme.
    pub fn scheme(&self) -> &S {
        &self.scheme
    }
}

impl<S: Verify> WebhookVerifier<S> {
    /// Verifies a delivery (its headers and the raw body, as received) and decodes it.
    pub fn verify(
        &self,
        request: &http::request::Parts,
        body: &[u8],
    ) -> Result<S::Delivery, WebhookError> {
        self.scheme.verify(request, body, self.max_body)
    }

    /// Verifies a delivery and records its id in `seen`: `Ok(None)` for a delivery already
    /// processed (a redelivery: answer 2xx and do nothing), `Ok(Some(delivery))` the first
    /// time (a delivery without an id is always new).
    pub async fn accept(
        &self,
        request: &http::request::Parts,
        body: &[u8],
        seen: &dyn SeenDeliveries,
    ) -> Result<Option<S::Delivery>, AcceptError> {
        let delivery = self.verify(request, body).map_err(AcceptError::Refused)?;
        let first = match S::delivery_id(&delivery) {
            Some(id) => seen.first_time(id).await.map_err(AcceptError::Seen)?,
            None => true,
        };
        Ok(first.then_some(delivery))
    }
}

impl<S: fmt::Debug> fmt::Debug for WebhookVerifier<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A scheme's Debug shows no secret.
        f.debug_struct("WebhookVerifier")
            .field("scheme", &self.scheme)
            .field("max_body", &self.max_body)
            .finish()
    }
}
