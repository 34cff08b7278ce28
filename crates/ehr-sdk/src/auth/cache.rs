//! Reusing a token until shortly before it expires, and refreshing it once for everyone.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;

use super::{AccessToken, AuthError, TokenSource};

/// A cached token with its `Authorization: Bearer …` header value built once (marked sensitive,
/// so `http` never prints it), so a call costs a reference-count increment, not a format.
pub(crate) struct Bearer {
    pub(crate) token: AccessToken,
    pub(crate) header: HeaderValue,
    /// Until when, on the monotonic clock, the token counts as fresh for the cache's skew
    /// (`None`: it does not expire), so a call checks freshness without reading the wall clock.
    fresh_until: Option<Instant>,
}

impl Bearer {
    fn new(token: AccessToken, skew: Duration) -> Result<Self, AuthError> {
        let mut header = HeaderValue::try_from(format!("Bearer {}", token.token.expose()))
            .map_err(|_| AuthError::UnsendableToken)?;
        header.set_sensitive(true);
        let fresh_until = token.expires_at.and_then(|at| {
            let now = Instant::now();
            match at.duration_since(std::time::SystemTime::now()) {
                // Expired already: fresh until now, that is, not fresh.
                Err(_) => Some(now),
                // Beyond the monotonic clock's range: as good as never expiring.
                Ok(left) => now.checked_add(left - effective_skew(skew, left)),
            }
        });
        Ok(Self {
            token,
            header,
            fresh_until,
        })
    }

    /// The token an `Authorization` value made by [`Bearer::new`] carries.
    pub(crate) fn token_of(header: &HeaderValue) -> Option<&str> {
        header.to_str().ok()?.strip_prefix("Bearer ")
    }

    /// Whether the token is still fresh (for the cache's skew) at `now`.
    fn is_fresh_at(&self, now: Instant) -> bool {
        self.fresh_until.is_none_or(|until| now < until)
    }
}

/// The skew applied to a token with `left` to live: `skew`, but never more than half of
/// `left`, so that a token granted for less than twice the skew (30 s tokens, 60 s skew) is
/// used for the first half of its life instead of being stale from birth.
fn effective_skew(skew: Duration, left: Duration) -> Duration {
    skew.min(left / 2)
}

/// A token cache over a [`TokenSource`].
///
/// [`get`](Self::get) returns the cached token while it has more than `skew` left, and otherwise
/// fetches a new one. The skew is bounded by half of what the token had to live when it was
/// fetched: a token is never stale from birth, so tokens that live shorter than the skew (30 s
/// tokens, the default 60 s skew) are fetched once per half-life, not once per call.
/// Fetching is **single-flight**: callers queue on one lock, the first fetches, the others
/// use the token it produced when their turn comes (while it has not expired), so a thousand
/// concurrent calls needing a token make one token request. While the token is fresh, callers do not queue at all: they
/// read it under a short synchronous lock.
///
/// A fetch runs in a task of its own that holds the lock until its outcome is stored: a caller
/// that goes away (a timeout, a dropped request handler) does not cancel it, so a rotated
/// refresh token is always saved and the new token cached. A fetch that fails is shared: the
/// callers queued behind it, and any that arrive within [`FAILURE_BACKOFF`], get
/// [`AuthError::Unavailable`] without asking the token endpoint again (a failed store save is
/// not backed off from: the next caller saves the pending tokens at once). A token that is still
/// valid (inside the skew, not yet expired, not refused) stays in use when its replacement
/// cannot be had.
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    source: Arc<dyn TokenSource>,
    skew: Duration,
    /// The current token; read by every call, written only by the fetch task.
    current: Mutex<Option<Arc<Bearer>>>,
    /// Held by the one fetch in flight (single flight), until its outcome is stored.
    fetching: Arc<tokio::sync::Mutex<()>>,
    /// When the last fetch failed, and what it said.
    failed: Mutex<Option<(Instant, String)>>,
    fetches: AtomicU64,
    /// How many tokens fetches have stored: a caller that queued behind a fetch sees it change
    /// and uses the token that fetch produced.
    stored: AtomicU64,
}

/// How long after a failed fetch the token endpoint is not asked again.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(1);

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
            inner: Arc::new(Inner {
                source,
                skew,
                current: Mutex::new(None),
                fetching: Arc::new(tokio::sync::Mutex::new(())),
                failed: Mutex::new(None),
                fetches: AtomicU64::new(0),
                stored: AtomicU64::new(0),
            }),
        }
    }

    /// A token good for at least `skew` (or for half of what it had to live when it was
    /// fetched, when that is less).
    pub async fn get(&self) -> Result<AccessToken, AuthError> {
        Ok(self.bearer().await?.token.clone())
    }

    /// Like [`get`](Self::get), with the token's header value.
    pub(crate) async fn bearer(&self) -> Result<Arc<Bearer>, AuthError> {
        let seen = self.inner.stored.load(Ordering::Acquire);
        if let Some(fresh) = self.fresh(None) {
            return Ok(fresh);
        }
        let flight = self.inner.fetching.clone().lock_owned().await;
        // Whoever held the lock before may have fetched one already: a fresh one is used, and
        // so is the one a fetch produced while this caller queued, fresh or not (a token
        // endpoint answering `expires_in: 0` is asked once for the whole queue, not once per
        // caller; should the API refuse the token, the 401 path fetches the next one).
        if let Some(fresh) = self.fresh(None) {
            return Ok(fresh);
        }
        if self.inner.stored.load(Ordering::Acquire) != seen
            && let Some(produced) = self.current(|_| true, None)
        {
            return Ok(produced);
        }
        self.fetch(flight, None).await
    }

    /// The cached token, when it is fresh: what [`bearer`](Self::bearer) returns without
    /// waiting, or `None` when it would have to fetch one.
    ///
    /// `now` is the caller's reading of the monotonic clock.
    pub(crate) fn fresh_bearer(&self, now: Instant) -> Option<Arc<Bearer>> {
        self.current(|b| b.is_fresh_at(now), None)
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
        let flight = self.inner.fetching.clone().lock_owned().await;
        if let Some(fresh) = self.fresh(Some(rejected)) {
            return Ok(fresh);
        }
        self.fetch(flight, Some(rejected.clone())).await
    }

    /// Like [`replace_rejected`](Self::replace_rejected), for the token a request carried as
    /// `authorization` (the pipeline keeps the header it sent, not the token).
    pub(crate) async fn replace_refused(
        &self,
        authorization: &HeaderValue,
    ) -> Result<Arc<Bearer>, AuthError> {
        let token = Bearer::token_of(authorization).ok_or(AuthError::UnsendableToken)?;
        let rejected = AccessToken {
            token: crate::Secret::new(token.to_string()),
            expires_at: None,
            scope: None,
        };
        self.replace_rejected(&rejected).await
    }

    /// Whether a refused token can be replaced (see [`TokenSource::can_refresh`]).
    pub fn can_refresh(&self) -> bool {
        self.inner.source.can_refresh()
    }

    /// How long before its expiry a token is fetched again (see the type's documentation):
    /// [`DEFAULT_SKEW`](Self::DEFAULT_SKEW), or the builder's
    /// [`refresh_skew`](crate::builder::ClientBuilder::refresh_skew).
    pub fn skew(&self) -> Duration {
        self.inner.skew
    }

    /// How many times the source was asked for a token (for tests and benchmarks).
    pub fn fetch_count(&self) -> u64 {
        self.inner.fetches.load(Ordering::Relaxed)
    }

    /// The current token if `usable` accepts it and it is not `rejected`.
    fn current(
        &self,
        usable: impl Fn(&Bearer) -> bool,
        rejected: Option<&AccessToken>,
    ) -> Option<Arc<Bearer>> {
        let current = lock(&self.inner.current);
        current
            .as_ref()
            .filter(|b| usable(b))
            .filter(|b| rejected.is_none_or(|r| r.token != b.token.token))
            .cloned()
    }

    /// The current token if it is fresh (the same rule as [`fresh_bearer`](Self::fresh_bearer))
    /// and is not `rejected`.
    fn fresh(&self, rejected: Option<&AccessToken>) -> Option<Arc<Bearer>> {
        let now = Instant::now();
        self.current(|b| b.is_fresh_at(now), rejected)
    }

    /// Fetches a token in a task that holds `flight` until the outcome is stored.
    async fn fetch(
        &self,
        flight: tokio::sync::OwnedMutexGuard<()>,
        rejected: Option<AccessToken>,
    ) -> Result<Arc<Bearer>, AuthError> {
        let still_valid = || self.current(|b| b.token.is_fresh(Duration::ZERO), rejected.as_ref());
        if let Some((at, reason)) = lock(&self.inner.failed).clone() {
            let since = at.elapsed();
            if since < FAILURE_BACKOFF {
                return still_valid().ok_or(AuthError::Unavailable {
                    reason,
                    retry_in: FAILURE_BACKOFF.saturating_sub(since),
                });
            }
        }
        let inner = self.inner.clone();
        let refused = rejected.clone();
        let task = tokio::spawn(async move {
            let _flight = flight;
            inner.fetches.fetch_add(1, Ordering::Relaxed);
            let fetched = inner.source.fetch(refused.as_ref()).await;
            let bearer = fetched.and_then(|t| Bearer::new(t, inner.skew).map(Arc::new));
            match &bearer {
                Ok(bearer) => {
                    *lock(&inner.current) = Some(bearer.clone());
                    *lock(&inner.failed) = None;
                    inner.stored.fetch_add(1, Ordering::Release);
                }
                // Only a failure of the token endpoint itself is shared and backed off from;
                // a store that failed is retried at once (it holds the new tokens to save).
                Err(
                    e @ (AuthError::Http(_) | AuthError::Refused { .. } | AuthError::Decode(_)),
                ) => {
                    *lock(&inner.failed) = Some((Instant::now(), e.to_string()));
                }
                Err(_) => {}
            }
            bearer
        });
        match task.await {
            Ok(Ok(bearer)) => Ok(bearer),
            Ok(Err(e)) => still_valid().ok_or(e),
            Err(join) => still_valid().ok_or(AuthError::Unavailable {
                reason: format!("the token fetch task failed: {join}"),
                retry_in: Duration::ZERO,
            }),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("source", &self.inner.source)
            .field("skew", &self.inner.skew)
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

    /// A source whose answers are scripted: each fetch takes the next one (after `delay`).
    #[derive(Debug)]
    struct Scripted {
        answers: Mutex<Vec<Result<AccessToken, ()>>>,
        delay: Duration,
        finished: AtomicU64,
    }

    impl Scripted {
        fn new(mut answers: Vec<Result<AccessToken, ()>>, delay: Duration) -> Self {
            answers.reverse();
            Self {
                answers: Mutex::new(answers),
                delay,
                finished: AtomicU64::new(0),
            }
        }
    }

    impl TokenSource for Scripted {
        fn fetch<'a>(&'a self, _: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                let answer = lock(&self.answers).pop().unwrap_or(Err(()));
                self.finished.fetch_add(1, Ordering::Relaxed);
                answer.map_err(|()| {
                    AuthError::refused(
                        reqwest::StatusCode::SERVICE_UNAVAILABLE,
                        bytes::Bytes::new(),
                        &[],
                    )
                })
            })
        }
    }

    fn expiring_in(token: &str, secs: u64) -> AccessToken {
        AccessToken {
            token: Secret::new(token),
            expires_at: Some(std::time::SystemTime::now() + Duration::from_secs(secs)),
            scope: None,
        }
    }

    #[test]
    fn the_calls_freshness_check_agrees_with_the_tokens_expiry() {
        let skew = TokenCache::DEFAULT_SKEW;
        let fresh = |token: AccessToken, skew_then: Duration| {
            let expected = token.is_fresh(skew_then);
            let bearer = Bearer::new(token, skew).unwrap();
            let fast = bearer.is_fresh_at(Instant::now());
            assert_eq!(fast, expected, "{:?}", bearer.token.expires_at);
            fast
        };
        assert!(fresh(expiring_in("an hour", 3600), skew));
        // 30 s to live, less than twice the skew: fresh for its first 15 s, not stale at birth.
        assert!(fresh(expiring_in("short", 30), Duration::from_secs(14)));
        assert!(!expiring_in("short", 30).is_fresh(skew));
        let mut expired = expiring_in("expired", 0);
        expired.expires_at = Some(std::time::SystemTime::now() - Duration::from_secs(5));
        assert!(!fresh(expired, Duration::ZERO));
        let mut forever = expiring_in("no expiry", 0);
        forever.expires_at = None;
        assert!(fresh(forever, skew));
        let mut far = expiring_in("far", 0);
        far.expires_at =
            Some(std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(u64::MAX / 4));
        assert!(
            fresh(far, skew),
            "an expiry beyond the monotonic clock's range is fresh"
        );
    }

    #[test]
    fn the_skew_is_at_most_half_of_what_the_token_has_to_live() {
        let skew = TokenCache::DEFAULT_SKEW;
        let s = Duration::from_secs;
        assert_eq!(effective_skew(skew, s(3600)), skew);
        assert_eq!(effective_skew(skew, s(120)), skew);
        assert_eq!(effective_skew(skew, s(30)), s(15));
        assert_eq!(effective_skew(skew, Duration::ZERO), Duration::ZERO);
        let bearer = Bearer::new(expiring_in("short", 30), skew).unwrap();
        let left = bearer.fresh_until.unwrap() - Instant::now();
        assert!(left > s(13) && left <= s(15), "{left:?}");
    }

    #[tokio::test]
    async fn callers_queued_behind_a_fetch_use_the_token_it_produced() {
        // Each fetch answers a token that is expired on arrival (`expires_in: 0`, or a clock
        // ahead of the server's): never fresh, yet the callers that queued behind the fetch
        // use it rather than fetching once each.
        #[derive(Debug)]
        struct ExpiredOnArrival(AtomicU64);
        impl TokenSource for ExpiredOnArrival {
            fn fetch<'a>(&'a self, _: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let n = self.0.fetch_add(1, Ordering::Relaxed);
                    let mut token = expiring_in(&format!("tok-{n}"), 0);
                    token.expires_at = Some(std::time::SystemTime::now() - Duration::from_secs(1));
                    Ok(token)
                })
            }
        }
        let cache = Arc::new(TokenCache::new(
            ExpiredOnArrival(AtomicU64::new(0)),
            TokenCache::DEFAULT_SKEW,
        ));
        let calls: Vec<_> = (0..200)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get().await })
            })
            .collect();
        for call in calls {
            assert_eq!(call.await.unwrap().unwrap().token.expose(), "tok-0");
        }
        assert_eq!(cache.fetch_count(), 1, "one token request for 200 callers");
        // A caller that arrives after it finds it stale and fetches the next.
        assert_eq!(cache.get().await.unwrap().token.expose(), "tok-1");
        assert_eq!(cache.fetch_count(), 2);
    }

    #[tokio::test]
    async fn a_failed_fetch_is_shared_by_every_waiting_caller() {
        let cache = Arc::new(TokenCache::new(
            Scripted::new(vec![], Duration::from_millis(50)),
            TokenCache::DEFAULT_SKEW,
        ));
        let calls: Vec<_> = (0..200)
            .map(|_| {
                let cache = cache.clone();
                tokio::spawn(async move { cache.get().await })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap().is_err());
        }
        assert_eq!(cache.fetch_count(), 1, "one token request for 200 callers");
        // Within the back-off, no new request either.
        assert!(matches!(
            cache.get().await,
            Err(AuthError::Unavailable { .. })
        ));
        assert_eq!(cache.fetch_count(), 1);
    }

    #[tokio::test]
    async fn a_still_valid_token_stays_in_use_when_its_replacement_fails() {
        // 6 s to live: fresh for its first 3 s, then a refresh is due, but it fails.
        let cache = TokenCache::new(
            Scripted::new(vec![Ok(expiring_in("old", 6))], Duration::ZERO),
            TokenCache::DEFAULT_SKEW,
        );
        assert_eq!(cache.get().await.unwrap().token.expose(), "old");
        tokio::time::sleep(Duration::from_millis(3200)).await;
        assert_eq!(cache.get().await.unwrap().token.expose(), "old");
        assert_eq!(cache.fetch_count(), 2, "the refresh was tried");
    }

    #[tokio::test]
    async fn a_fetch_completes_and_is_kept_even_if_its_caller_goes_away() {
        let source = Arc::new(Scripted::new(
            vec![Ok(expiring_in("new", 3600))],
            Duration::from_millis(200),
        ));
        let cache = TokenCache::from_arc(source.clone(), TokenCache::DEFAULT_SKEW);

        let gave_up = tokio::time::timeout(Duration::from_millis(20), cache.get()).await;
        assert!(gave_up.is_err(), "the caller went away mid-fetch");
        tokio::time::sleep(Duration::from_millis(400)).await;

        assert_eq!(
            source.finished.load(Ordering::Relaxed),
            1,
            "the fetch ran to its end"
        );
        assert_eq!(cache.get().await.unwrap().token.expose(), "new");
        assert_eq!(cache.fetch_count(), 1, "and its token was kept");
    }

    #[tokio::test]
    async fn a_rejected_token_is_replaced_not_returned() {
        let cache = TokenCache::new(Fixed("same"), TokenCache::DEFAULT_SKEW);
        let token = cache.get().await.unwrap();
        cache.refresh_after_rejection(&token).await.unwrap();
        assert_eq!(cache.fetch_count(), 2);
    }
}
