//! A [`LeasedTokenStore`] that counts the round trips made to the store it wraps (each trait
//! method is one), for the tests and the store benchmark.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ehr_sdk::auth::{Generation, Lease, LeasedTokenStore, StoreFuture, TokenSet};

/// `inner`, counting every call.
#[derive(Debug)]
pub struct CountingStore<S> {
    inner: S,
    trips: AtomicUsize,
}

impl<S> CountingStore<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            trips: AtomicUsize::new(0),
        }
    }

    /// Round trips so far.
    pub fn trips(&self) -> usize {
        self.trips.load(Ordering::SeqCst)
    }

    fn count(&self) {
        self.trips.fetch_add(1, Ordering::SeqCst);
    }
}

impl<S: LeasedTokenStore> LeasedTokenStore for CountingStore<S> {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Generation>> {
        self.count();
        self.inner.load(key)
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, Option<Lease>> {
        self.count();
        self.inner.try_lease(key, owner, ttl)
    }

    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        self.count();
        self.inner.renew(lease, ttl)
    }

    fn save<'a>(&'a self, lease: &'a Lease, fence: u64, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        self.count();
        self.inner.save(lease, fence, set)
    }

    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        self.count();
        self.inner.put(key, set)
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        self.count();
        self.inner.release(lease)
    }
}
