//! Stores shared by many replicas: tokens by connection ([`LeasedTokenStore`]) and webhook
//! deliveries already processed ([`SeenDeliveries`]), on PostgreSQL (feature `postgres`) or
//! Redis (feature `redis`).
//!
//! Each store creates what it needs on first use (idempotently, safe when several replicas
//! start together), answers every operation in one round trip once warmed, and bounds each
//! one by a time-out ([`DEFAULT_OP_TIMEOUT`] unless set): an unreachable or stalled server is
//! a [`StoreError::Unavailable`], never a hang or a panic. A client whose access token is still
//! fresh does not touch the store at all, so calls go on while the store is down; only a
//! refresh, which must be recorded before its tokens are used, fails.
//!
//! **Secrets at rest.** Token sets are stored as JSON (access token, expiry, refresh token) in
//! the clear, as the server keeps its data: protect them as the server allows (PostgreSQL:
//! encrypted volumes, `pg_hba.conf`, a role that only this application has; Redis: ACLs,
//! `requirepass`, encrypted disks for its append-only file, TLS in transit). The stores never
//! print a token, a connection string or a password (`Debug` shows neither).
//!
//! [`LeasedTokenStore`]: crate::auth::LeasedTokenStore
//! [`SeenDeliveries`]: crate::webhooks::SeenDeliveries
//! [`StoreError::Unavailable`]: crate::auth::StoreError::Unavailable

use std::future::Future;
use std::time::Duration;

use crate::auth::StoreError;
use crate::auth::TokenSet;
use crate::auth::token::StoredTokenSet;

#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "redis")]
pub mod redis;

/// How long one store operation may take before it fails with
/// [`StoreError::Unavailable`], unless set.
pub const DEFAULT_OP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a delivery id is remembered, unless set: longer than any vendor redelivers.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

/// `op`, failed with [`StoreError::Unavailable`] when it takes longer than `limit`.
pub(crate) async fn within<T>(
    limit: Duration,
    op: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, op).await {
        Ok(answer) => answer,
        Err(_) => Err(StoreError::Unavailable(format!(
            "no answer within {} ms",
            limit.as_millis()
        ))),
    }
}

/// A lease length or retention in whole milliseconds, at least one, as the servers take it.
pub(crate) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// The stored form of a set (JSON).
pub(crate) fn encode(set: &TokenSet) -> Result<String, StoreError> {
    serde_json::to_string(&StoredTokenSet::from(set)).map_err(StoreError::Corrupt)
}

/// A set from its stored form.
pub(crate) fn decode(stored: &str) -> Result<TokenSet, StoreError> {
    serde_json::from_str::<StoredTokenSet>(stored)
        .map(TokenSet::from)
        .map_err(StoreError::Corrupt)
}

/// A store failure as a [`SeenDeliveries`](crate::webhooks::SeenDeliveries) reports it.
pub(crate) fn seen_error(e: StoreError) -> crate::webhooks::SeenError {
    crate::webhooks::SeenError(e.to_string())
}

/// A stored generation (the servers keep signed integers).
pub(crate) fn generation(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}

/// A generation as the servers keep it.
pub(crate) fn stored_generation(generation: u64) -> i64 {
    i64::try_from(generation).unwrap_or(i64::MAX)
}
