//! Reusing a token until shortly before it expires, and refreshing it once for everyone.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::{AccessToken, AuthError, TokenSource};

/// A token cache over a [`TokenSource`].
///
/// [`get`](Self::get) returns the cached token while it has more than `skew` left, and otherwise
/// fetches a new one. Fetching is **single-flight**: callers queue on one lock, the first fetches,
/// the others find the fresh token when their turn comes, so a thousand concurrent calls needing
/// a token make one token request.
pub struct TokenCache {
    source: Arc<dyn TokenSource>,
    skew: Duration,
    current: tokio::sync::Mutex<Option<AccessToken>>,
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
            current: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
        }
    }

    /// A token good for at least `skew`.
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current.as_ref().filter(|t| t.is_fresh(self.skew)) {
            return Ok(token.clone());
        }
        let token = self.fetch(&mut current, None).await?;
        Ok(token)
    }

    /// The API refused `rejected` (401): fetch a new token, unless another caller already did
    /// (then that one is returned), so a burst of 401s causes one refresh.
    pub async fn refresh_after_rejection(
        &self,
        rejected: &AccessToken,
    ) -> Result<AccessToken, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(token) = current
            .as_ref()
            .filter(|t| t.token != rejected.token && t.is_fresh(self.skew))
        {
            return Ok(token.clone());
        }
        self.fetch(&mut current, Some(rejected)).await
    }

    /// How many times the source was asked for a token (for tests and benchmarks).
    pub fn fetch_count(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    async fn fetch(
        &self,
        current: &mut Option<AccessToken>,
        rejected: Option<&AccessToken>,
    ) -> Result<AccessToken, AuthError> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        *current = None;
        let token = self.source.fetch(rejected).await?;
        *current = Some(token.clone());
        Ok(token)
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
