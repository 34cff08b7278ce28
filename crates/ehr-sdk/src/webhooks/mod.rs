//! What the vendors send you: verifying inbound webhook deliveries, framework-agnostic (over the
//! `http` crate's request parts and the body bytes), and processing each delivery once.
//!
//! - [`WebhookError`]: why a delivery was refused (missing header, wrong signature or token,
//!   malformed or oversized body). It never holds a secret or the body.
//! - [`SeenDeliveries`]: remembers the delivery ids already processed, so a vendor's
//!   redeliveries (DrChrono retries after 1 h, 3 h and 7 h) are acknowledged and skipped;
//!   [`MemorySeenDeliveries`] is the in-memory default.
//!
//! - [`WebhookVerifier`]: one verifier type over a vendor's [`Verify`] scheme (a body limit,
//!   the vendor's signature check and decoding, once-only processing); each vendor module
//!   names its own (`drchrono::WebhookVerifier`, `elation::WebhookVerifier`). DrChrono's
//!   iframe launches are verified by `drchrono::IframeVerifier`.
//!
//! With the `axum` feature, [`axum`] (the module) has one ready route over any verifier.

// Ready routes (feature `axum`); documented inside, where its links resolve.
#[cfg(feature = "axum")]
pub mod axum;
mod verifier;

pub use verifier::{Verify, WebhookVerifier};

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

/// The largest body a verifier reads unless told otherwise (1 MiB): a delivery is one object.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

/// Why an inbound delivery was refused. Holds no secret, no header value that could be one,
/// and nothing of the body but the JSON path where it failed to decode.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// A header the vendor always sends is missing (or not text).
    MissingHeader(&'static str),
    /// A query parameter the vendor always sends is missing.
    MissingParameter(&'static str),
    /// The signature or secret token does not match: not from the vendor, or another
    /// webhook's secret.
    BadSignature,
    /// The body is larger than the verifier accepts.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The body is not what the vendor sends: where and why, never the value.
    MalformedBody(String),
}

impl fmt::Display for WebhookError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebhookError::MissingHeader(name) => write!(f, "webhook refused: no `{name}` header"),
            WebhookError::MissingParameter(name) => {
                write!(f, "webhook refused: no `{name}` query parameter")
            }
            WebhookError::BadSignature => {
                f.write_str("webhook refused: the signature does not match the secret")
            }
            WebhookError::BodyTooLarge { limit } => {
                write!(f, "webhook refused: the body is over {limit} bytes")
            }
            WebhookError::MalformedBody(why) => write!(f, "webhook refused: malformed body: {why}"),
        }
    }
}

impl std::error::Error for WebhookError {}

impl WebhookError {
    /// The HTTP status to answer the vendor with: 401 for a bad signature, 413 for a body too
    /// large, 400 otherwise. (A 2xx tells the vendor the delivery arrived; anything else makes
    /// it redeliver.)
    pub fn status(&self) -> http::StatusCode {
        match self {
            WebhookError::BadSignature => http::StatusCode::UNAUTHORIZED,
            WebhookError::BodyTooLarge { .. } => http::StatusCode::PAYLOAD_TOO_LARGE,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

#[cfg(any(feature = "drchrono", feature = "elation"))]
/// The first text value of header `name`.
pub(crate) fn header<'a>(
    headers: &'a http::HeaderMap,
    name: &'static str,
) -> Result<&'a str, WebhookError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or(WebhookError::MissingHeader(name))
}

#[cfg(any(feature = "drchrono", feature = "elation"))]
/// Where and why `body` failed to decode (a JSON path and serde's reason), without the value.
pub(crate) fn malformed(body: &[u8], error: &serde_json::Error) -> WebhookError {
    WebhookError::MalformedBody(ehr_runtime::error::DecodeFailure::new(body, error).to_string())
}

/// Why a delivery could not be accepted.
#[derive(Debug)]
#[non_exhaustive]
pub enum AcceptError {
    /// The delivery did not verify.
    Refused(WebhookError),
    /// The seen-deliveries store could not say whether it is a redelivery.
    Seen(SeenError),
}

impl fmt::Display for AcceptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcceptError::Refused(e) => fmt::Display::fmt(e, f),
            AcceptError::Seen(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for AcceptError {}

/// The future a [`SeenDeliveries`] returns.
pub type SeenFuture<'a> = Pin<Box<dyn Future<Output = Result<bool, SeenError>> + Send + 'a>>;

/// Why a [`SeenDeliveries`] could not answer (its store is unreachable).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenError(pub String);

impl fmt::Display for SeenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seen-deliveries store: {}", self.0)
    }
}

impl std::error::Error for SeenError {}

/// The delivery ids already processed.
///
/// [`first_time`](Self::first_time) records `id` and says whether it is new: call it once a
/// delivery is verified and process the delivery only when it answers `true`; answer the
/// vendor with a 2xx either way, so it stops redelivering. A store shared by several servers
/// (a database, Redis) implements this trait; [`MemorySeenDeliveries`] serves one process.
pub trait SeenDeliveries: Send + Sync {
    /// Records `id`; `true` when it had not been seen.
    fn first_time<'a>(&'a self, id: &'a str) -> SeenFuture<'a>;

    /// Forgets `id`, so its next redelivery is processed: for a delivery whose processing
    /// failed after [`first_time`](Self::first_time) recorded it. The default forgets nothing.
    fn forget<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        let _ = id;
        Box::pin(async { Ok(true) })
    }
}

/// A bounded in-memory [`SeenDeliveries`]: the most recent `capacity` ids (10,000 unless set),
/// the oldest forgotten first.
///
/// ```
/// # tokio_test_block(async {
/// use ehr_sdk::webhooks::{MemorySeenDeliveries, SeenDeliveries};
///
/// let seen = MemorySeenDeliveries::default();
/// assert!(seen.first_time("delivery-1").await.unwrap());
/// assert!(!seen.first_time("delivery-1").await.unwrap(), "a redelivery");
/// # });
/// # fn tokio_test_block(f: impl std::future::Future<Output = ()>) {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct MemorySeenDeliveries {
    capacity: usize,
    seen: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl MemorySeenDeliveries {
    /// Remembers the last `capacity` ids (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            seen: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }
}

impl Default for MemorySeenDeliveries {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl SeenDeliveries for MemorySeenDeliveries {
    fn first_time<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        let mut guard = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        let new = set.insert(id.to_string());
        if new {
            order.push_back(id.to_string());
            while order.len() > self.capacity {
                if let Some(oldest) = order.pop_front() {
                    set.remove(&oldest);
                }
            }
        }
        Box::pin(async move { Ok(new) })
    }

    fn forget<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        let mut guard = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        let known = set.remove(id);
        order.retain(|seen| seen != id);
        Box::pin(async move { Ok(known) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_forgotten_id_is_new_again() {
        let seen = MemorySeenDeliveries::default();
        assert!(seen.first_time("a").await.unwrap());
        assert!(seen.forget("a").await.unwrap());
        assert!(seen.first_time("a").await.unwrap());
    }

    #[tokio::test]
    async fn the_oldest_ids_are_forgotten_past_capacity() {
        let seen = MemorySeenDeliveries::with_capacity(2);
        for id in ["a", "b", "c"] {
            assert!(seen.first_time(id).await.unwrap());
        }
        assert!(!seen.first_time("c").await.unwrap());
        assert!(
            seen.first_time("a").await.unwrap(),
            "forgotten, so new again"
        );
    }
}
