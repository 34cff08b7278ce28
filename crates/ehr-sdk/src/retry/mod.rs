//! When a failed request is sent again, and how long to wait first.

use std::time::Duration;

mod classify;

pub use classify::RetryClass;

/// Bounds and pacing of retries.
///
/// What is retried is decided by each failed attempt's [`RetryClass`]: connection failures
/// before the request reached the server (any method); timeouts and other transport errors,
/// 429, 502, 503 and 504 for idempotent methods only (GET, HEAD, PUT, DELETE, OPTIONS, TRACE). POST and PATCH are never sent again once a response
/// (or a timeout) may mean the server acted on them. A 429's `Retry-After` (seconds or an HTTP
/// date) is honoured; otherwise the wait is exponential with jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = never retry).
    pub max_attempts: u32,
    /// No retry starts once this much time has passed since the first attempt, and no wait is
    /// allowed to run past it.
    pub max_elapsed: Duration,
    /// The wait before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(60),
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Whether attempt `attempt_no`, started `elapsed` after the first, may be followed by
    /// another after waiting `wait`.
    pub fn allows(&self, attempt_no: u32, elapsed: Duration, wait: Duration) -> bool {
        attempt_no < self.max_attempts && elapsed.saturating_add(wait) <= self.max_elapsed
    }

    /// The jittered wait before retry number `retry` (1 for the first retry): half the
    /// exponential delay plus a random part of the other half.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        let half = exp / 2;
        // Jitter without float overflow, whatever `max_delay` a caller set.
        let jitter = Duration::try_from_secs_f64(half.as_secs_f64() * fastrand::f64())
            .unwrap_or(half)
            .min(half);
        half.saturating_add(jitter)
    }
}

/// Whether `method` may be sent twice without changing the outcome.
pub fn is_idempotent(method: &reqwest::Method) -> bool {
    use reqwest::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ]
    .contains(method)
}

pub use ehr_runtime::{Attempt, retry_after};

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::SystemTime;

    #[test]
    fn backoff_grows_is_jittered_and_capped() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            ..RetryPolicy::default()
        };
        for retry in 1..=10 {
            let exp =
                Duration::from_millis(100 * 2u64.pow(retry - 1)).min(Duration::from_millis(1000));
            let wait = policy.backoff(retry);
            assert!(
                wait >= exp / 2 && wait <= exp,
                "retry {retry}: {wait:?} vs {exp:?}"
            );
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_future_dates() {
        let future = SystemTime::now() + Duration::from_secs(30);
        let header = httpdate::fmt_http_date(future);
        let wait = retry_after(&header).unwrap();
        assert!(
            wait > Duration::from_secs(27) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(retry_after("-1"), None);
    }

    #[test]
    fn only_idempotent_methods_are_retried_after_a_response() {
        assert!(is_idempotent(&reqwest::Method::GET));
        assert!(is_idempotent(&reqwest::Method::PUT));
        assert!(!is_idempotent(&reqwest::Method::POST));
        assert!(!is_idempotent(&reqwest::Method::PATCH));
    }
}
