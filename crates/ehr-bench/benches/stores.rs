//! What a shared token store costs a refresh: round trips to the store and the time the store's
//! part takes (p50, p99), on a real PostgreSQL and a real Redis this benchmark starts on
//! 127.0.0.1 (from the distribution's packages: `apt-get install -y postgresql redis-server`).
//! Run with `cargo xtask bench` (after the other benchmarks) or
//! `cargo bench -p ehr-bench --bench stores`.
//!
//! A refresh is driven through [`LeasedConnection`]'s `TokenStore` interface exactly as
//! DrChrono's token source drives it (read, lease, re-read, save, end of the lease), without the
//! HTTP request to the token endpoint, which is the vendor's time, not the store's. A call
//! whose token is fresh never reaches the store (the client's token cache answers it:
//! `tests/shared_stores.rs` checks both counts through a DrChrono client).
//!
//! Targets (issue #32): 0 round trips on a fresh token, ≤ 3 on a refresh.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ehr_sdk::auth::{LeasedConnection, LeasedTokenStore, TokenSet, TokenStore};
use ehr_sdk::stores::postgres::PostgresTokenStore;
use ehr_sdk::stores::redis::RedisTokenStore;

#[path = "../../../tests/counting_store.rs"]
mod counting_store;
// The tests' server harness (the benchmark only starts and drops servers, never stops one
// mid-run).
#[allow(dead_code)]
#[path = "../../../tests/servers.rs"]
mod servers;

use counting_store::CountingStore;

const REFRESHES: usize = 1_000;
const RACERS: usize = 8;

fn expired(n: usize) -> TokenSet {
    TokenSet::from_response(format!("at-{n}"), Some(-10), Some(format!("rt-{n}")))
}

/// The store's part of one refresh of connection `key`, as DrChrono's token source makes it.
async fn refresh(connection: &LeasedConnection, n: usize) {
    let stale = connection.load().await.expect("read").expect("stored");
    assert!(!stale.access.is_fresh(Duration::ZERO), "expired");
    let lease = connection.lock().await.expect("leased");
    let again = connection.load().await.expect("re-read").expect("stored");
    if !again.access.is_fresh(Duration::ZERO) {
        let new = TokenSet::from_response(format!("at-{n}-new"), Some(3600), Some("rt".into()));
        connection.save(&new).await.expect("saved");
    }
    drop(lease);
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn measure(name: &str, store: Arc<CountingStore<impl LeasedTokenStore>>) {
    let keys: Vec<String> = (0..REFRESHES)
        .map(|n| format!("{name}-bench-{n}"))
        .collect();
    for (n, key) in keys.iter().enumerate() {
        store.put(key, &expired(n)).await.expect("seeded");
    }
    // Warm: the schema, the prepared statements, the scripts.
    refresh(&LeasedConnection::new(store.clone(), &keys[0]), 0).await;

    let mut times = Vec::with_capacity(REFRESHES);
    let before = store.trips();
    for (n, key) in keys.iter().enumerate().skip(1) {
        let connection = LeasedConnection::new(store.clone(), key);
        let started = Instant::now();
        refresh(&connection, n).await;
        times.push(started.elapsed());
    }
    let trips = (store.trips() - before) as f64 / times.len() as f64;
    times.sort();
    let (p50, p99) = (percentile(&times, 0.50), percentile(&times, 0.99));
    let met = if trips <= 3.0 { "met" } else { "NOT met" };
    println!(
        "   {name:<10} refresh: {trips:.2} round trips ({met}), p50 {:>7.1} µs, p99 {:>7.1} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6
    );

    // Racing holders (replicas) of one expired connection: one refreshes, the others find its
    // tokens after the lease.
    let key = format!("{name}-race");
    store.put(&key, &expired(0)).await.expect("seeded");
    let before = store.trips();
    let started = Instant::now();
    let racers = (0..RACERS).map(|_| {
        let connection = LeasedConnection::new(store.clone(), key.clone());
        async move { refresh_or_reuse(&connection).await }
    });
    let refreshed = futures::future::join_all(racers)
        .await
        .into_iter()
        .filter(|r| *r)
        .count();
    println!(
        "   {name:<10} {RACERS} holders racing for one connection: {refreshed} refresh, {:.2} round trips each, all done in {:.1} ms",
        (store.trips() - before) as f64 / RACERS as f64,
        started.elapsed().as_secs_f64() * 1e3
    );
}

/// A holder that may find the connection refreshed by another: `true` if it refreshed.
async fn refresh_or_reuse(connection: &LeasedConnection) -> bool {
    let _ = connection.load().await.expect("read");
    let lease = connection.lock().await.expect("leased");
    let stored = connection.load().await.expect("re-read").expect("stored");
    let refreshed = !stored.access.is_fresh(Duration::ZERO);
    if refreshed {
        let new = TokenSet::from_response("at-new".into(), Some(3600), Some("rt".into()));
        connection.save(&new).await.expect("saved");
    }
    drop(lease);
    refreshed
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    println!(
        "4. shared token stores: the store's part of a refresh ({REFRESHES} refreshes, each of its \
         own connection; target ≤ 3 round trips, and 0 on a fresh token)"
    );
    let postgres = servers::Postgres::start();
    let redis = servers::Redis::start();
    runtime.block_on(async {
        let store = PostgresTokenStore::connect(&postgres.url()).expect("postgres");
        measure("PostgreSQL", Arc::new(CountingStore::new(store))).await;
        let store = RedisTokenStore::connect(&redis.url()).expect("redis");
        measure("Redis", Arc::new(CountingStore::new(store))).await;
    });
}
