//! Stage **rate limit**: a client-side pace, waited for before each attempt.

use std::fmt;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota};

/// A client-side rate limit, so a well-behaved application never sees 429.
#[derive(Clone)]
pub struct RateLimit(Arc<DefaultDirectRateLimiter>);

impl RateLimit {
    /// At most `quota` (a `governor` quota) requests.
    pub fn new(quota: Quota) -> Self {
        Self(Arc::new(DefaultDirectRateLimiter::direct(quota)))
    }

    /// DrChrono's documented default of 500 requests an hour (reset at the top of the hour),
    /// with bursts of at most 10 (its burst limit is about 10 calls a second). Paced at 490 an
    /// hour, so that no 60-minute window, aligned to the hour or not, holds more than 500.
    pub fn drchrono() -> Self {
        let per_hour = std::num::NonZeroU32::new(490).expect("non-zero");
        let burst = std::num::NonZeroU32::new(10).expect("non-zero");
        Self::new(Quota::per_hour(per_hour).allow_burst(burst))
    }

    /// Waits for a permit: none when one is free now (the usual case, decided without a
    /// future), otherwise until the quota allows. Returns how long it waited, if it did.
    pub(super) async fn wait(&self) -> Option<std::time::Duration> {
        if self.try_now() {
            return None;
        }
        let started = std::time::Instant::now();
        Box::pin(self.0.until_ready()).await;
        Some(started.elapsed())
    }

    /// Takes a permit if one is free now.
    pub(super) fn try_now(&self) -> bool {
        self.0.check().is_ok()
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RateLimit")
    }
}
