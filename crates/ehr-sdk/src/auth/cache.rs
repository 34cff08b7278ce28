//! Reusing a token until shortly before it expires, and refreshing it once for everyone.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::header::HeaderValue;

use super::{AccessToken, AuthError, TokenSource};

/// A cached token with its `Authorization: Bearer …` header value built once (marked sensitive,
/// so `http` never prints it), so a call costs a reference-count increment, not a format.
pub(crate) struct Bearer {
    pub(crate) token: AccessToken,
    pub(crate) header: HeaderValue,
}

impl Bearer {
    fn new(token: AccessToken) -> Result<Self, AuthError> {
        let mut header = HeaderValue::try_from(format!("Bearer {}", token.token.expose()))
            .map_err(|_| AuthError::UnsendableToken)?;
        header.set_sensitive(true);
        Ok(Self { token, header })
    }
}

/// A token cache over a [`TokenSource`].
///
/// [`get`](Self::get) returns the cached token while it has more than `skew` left, and otherwise
/// fetches a new one. Fetching is **single-flight**: callers queue on one lock, the first fetches,
/// the others find the fresh token when their turn comes, so a thousand concurrent calls needing
/// a token make one token request. While the token is fresh, callers do not queue at all: they
/// read it under a short synchronous lock.
pub struct TokenCache {
    source: Arc<dyn TokenSource>,
    skew: Duration,
    /// The current token; read by every call, written only while `fetching` is held.
    current: Mutex<Option<Arc<Bearer>>>,
    /// Held by the one caller fetching a token (single flight).
    fetching: tokio::sync::Mutex<()>,
    fetches: AtomicU64,
}

impl TokenCache {
    /// Refresh this long before expiry unless told otherwise.
    pub const DEFAULT_SKEW: Duration = Duration::from_secs(60);

    /// A cache over `source` that refreshes `skew` before expiry.
    pub fn new(source: impl TokenSource, skew: Duration) -> Self {
        Self::from_arc(Arc::new(source), skew)
    }

    /// Like [`new`](Self::new), for a source already shared.
    pub fn from_arc(source: Arc<dyn TokenSource>, skew: Duration) -> Self {
        Self {
            source,
            skew,
            current: Mutex::new(None),
            fetching: tokio::sync::Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// A token good for at least `skew`.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        Ok(self.bearer().await?.token.clone())
    }

    /// Like [`get`](Self::get), with the token's header value.
    pub(crate) async fn bearer(&self) -> Result<Arc<Bearer>, AuthError> {
        if let Some(fresh) = self.fresh(None) {
            return Ok(fresh);
        }
        let _flight = self.fetching.lock().await;
        // Whoever held the lock before may have fetched one already.
        if let Some(fresh) = self.fresh(None) {
            return Ok(fresh);
        }
        self.fetch(None).await
    }

    /// The API refused `rejected` (401): fetch a new token, unless another caller already did
    /// (then that one is returned), so a burst of 401s causes one refresh.
    pub async fn refresh_after_rejection(
        &self,
        rejected: &AccessToken,
    ) -> Result<AccessToken, AuthError> {
        Ok(self.replace_rejected(rejected).await?.token.clone())
    }

    /// Like [`refresh_after_rejection`](Self::refresh_after_rejection), with the header value.
    pub(crate) async fn replace_rejected(
        &self,
        rejected: &AccessToken,
    ) -> Result<Arc<Bearer>, AuthError> {
        let _flight = self.fetching.lock().await;
        if let Some(fresh) = self.fresh(Some(rejected)) {
            return Ok(fresh);
        }
        self.fetch(Some(rejected)).await
    }

    /// Whether a refused token can be replaced (see [`TokenSource::can_refresh`]).
    pub fn can_refresh(&self) -> bool {
        self.source.can_refresh()
    }

    /// How many times the source was asked for a token (for tests and benchmarks).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The current token if it is fresh and is not `rejected`.
    fn fresh(&self, rejected: Option<&AccessToken>) -> Option<Arc<Bearer>> {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|b| b.token.is_fresh(self.skew))
            .filter(|b| rejected.is_none_or(|r| r.token != b.token.token))
            .cloned()
    }

    /// Fetches a token; call with `fetching` held.
    async fn fetch(&self, rejected: Option<&AccessToken>) -> Result<Arc<Bearer>, AuthError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        let bearer = Arc::new(Bearer::new(self.source.fetch(rejected).await?)?);
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(bearer.clone());
        Ok(bearer)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("source", &self.source)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Secret;
    use crate::auth::TokenSourceFuture;

    #[derive(Debug)]
    struct Fixed(&'static str);

    impl TokenSource for Fixed {
        fn fetch<'a>(&'a self, _: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
            let token = AccessToken {
                token: Secret::new(self.0),
                expires_at: None,
                scope: None,
            };
            Box::pin(async move { Ok(token) })
        }
    }

    #[tokio::test]
    async fn the_bearer_header_is_built_once_and_never_printed() {
        let cache = TokenCache::new(Fixed("tok-123"), TokenCache::DEFAULT_SKEW);
        let first = cache.bearer().await.unwrap();
        let second = cache.bearer().await.unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(cache.fetch_count(), 1);
        assert_eq!(first.header.to_str().unwrap(), "Bearer tok-123");
        assert!(first.header.is_sensitive());
        assert!(!format!("{:?}", first.header).contains("tok-123"));
    }

    #[tokio::test]
    async fn a_token_that_cannot_be_a_header_is_an_error_not_a_panic() {
        let cache = TokenCache::new(Fixed("bad\ntoken"), TokenCache::DEFAULT_SKEW);
        assert!(matches!(cache.get().await, Err(AuthError::UnsendableToken)));
    }

    #[tokio::test]
    async fn a_rejected_token_is_replaced_not_returned() {
        let cache = TokenCache::new(Fixed("same"), TokenCache::DEFAULT_SKEW);
        let token = cache.get().await.unwrap();
        cache.refresh_after_rejection(&token).await.unwrap();
        assert_eq!(cache.fetch_count(), 2);
    }
}
