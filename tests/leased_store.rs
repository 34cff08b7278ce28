//! Token stores shared by many holders: leases, re-reads and fenced saves, through the public
//! `LeasedTokenStore` / `LeasedConnection` API and DrChrono clients as replicas would run them.
//! (In memory here; the PostgreSQL and Redis stores run the same protocol against real
//! servers.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use ehr_sdk::auth::{
    LeasedConnection, LeasedTokenStore, MemoryLeasedStore, StoreError, TokenSet, TokenStore,
};
use ehr_tests::{Reply, ScriptedServer};

const KEY: &str = "drchrono/practice-42/user-7";
const EMPTY_PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;

fn set(access: &str, expires_in: i64, refresh: &str) -> TokenSet {
    TokenSet::from_response(access.into(), Some(expires_in), Some(refresh.into()))
}

#[tokio::test]
async fn a_holder_whose_lease_expired_cannot_overwrite_the_newer_set() {
    let store = MemoryLeasedStore::new();
    store.put(KEY, &set("at1", 3600, "rt1")).await.unwrap();
    let ttl = Duration::from_millis(40);

    // A takes the lease and reads generation 1, then stalls past its lease.
    let stalled = store.try_lease(KEY, "a", ttl).await.unwrap().expect("free");
    assert_eq!(stalled.generation, 1);
    tokio::time::sleep(ttl * 2).await;
    // B takes the expired lease, refreshes and saves.
    let b = store
        .try_lease(KEY, "b", ttl)
        .await
        .unwrap()
        .expect("expired");
    store.save(&b, 1, &set("at-b", 3600, "rt-b")).await.unwrap();

    let late = store.save(&stalled, 1, &set("at-a", 3600, "rt-a")).await;

    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    let stored = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(stored.set.access.token.expose(), "at-b");
    assert_eq!(stored.generation, 2);
}

#[tokio::test]
async fn a_save_fenced_by_an_old_generation_is_refused_even_under_a_fresh_lease() {
    let store = MemoryLeasedStore::new();
    store.put(KEY, &set("at1", 3600, "rt1")).await.unwrap();
    let lease = store
        .try_lease(KEY, "a", Duration::from_secs(5))
        .await
        .unwrap()
        .unwrap();
    store.put(KEY, &set("at2", 3600, "rt2")).await.unwrap();

    let refused = store.save(&lease, 1, &set("at-a", 3600, "rt-a")).await;

    assert!(matches!(refused, Err(StoreError::LeaseLost)), "{refused:?}");
    assert_eq!(
        store
            .load(KEY)
            .await
            .unwrap()
            .unwrap()
            .set
            .access
            .token
            .expose(),
        "at2"
    );
}

#[tokio::test]
async fn a_holder_that_never_gives_its_lease_up_delays_others_only_until_it_expires() {
    let store = Arc::new(MemoryLeasedStore::new());
    let ttl = Duration::from_millis(200);
    // A holder killed while holding the lease: it is never renewed nor given up.
    let _dead = store.try_lease(KEY, "killed", ttl).await.unwrap().unwrap();
    let other = LeasedConnection::new(store.clone(), KEY).max_wait(Duration::from_secs(20));

    let started = Instant::now();
    let held = other
        .lock()
        .await
        .expect("the lease, once the dead one expired");

    assert!(
        started.elapsed() >= Duration::from_millis(150),
        "{:?}",
        started.elapsed()
    );
    drop(held);
}

#[tokio::test]
async fn a_held_lease_is_renewed_while_its_holder_works_and_given_up_when_dropped() {
    let store = Arc::new(MemoryLeasedStore::new());
    let holder = LeasedConnection::new(store.clone(), KEY).lease_ttl(Duration::from_millis(300));
    let other = LeasedConnection::new(store.clone(), KEY);

    let held = holder.lock().await.unwrap();
    // Four lease lengths later, the holder (still working) has it still.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(!other.is_free().await.unwrap(), "renewed while held");

    drop(held);
    let mut free = false;
    for _ in 0..100 {
        if other.is_free().await.unwrap() {
            free = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(free, "given up once dropped");
}

#[tokio::test]
async fn a_lease_kept_past_the_wait_allowed_is_a_typed_error() {
    let store = Arc::new(MemoryLeasedStore::new());
    let _held = store
        .try_lease(KEY, "busy", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let waiting = LeasedConnection::new(store, KEY).max_wait(Duration::from_millis(50));

    let refused = waiting.lock().await;

    assert!(matches!(refused, Err(StoreError::LeaseBusy)), "{refused:?}");
}

fn replica(base_url: &str, store: Arc<MemoryLeasedStore>) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .oauth("cid", "client-secret", "https://app.example/cb")
        .token_store(LeasedConnection::new(store, KEY))
        .build()
        .expect("client builds")
}

#[tokio::test]
async fn two_replicas_sharing_a_store_spend_the_refresh_token_once() {
    let store = Arc::new(MemoryLeasedStore::new());
    store.put(KEY, &set("at1", -10, "rt1")).await.unwrap();
    let page = || Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap());
    let server = ScriptedServer::start(vec![
        Reply::json(
            200,
            serde_json::json!({"access_token": "at2", "refresh_token": "rt2", "expires_in": 3600}),
        ),
        page(),
        page(),
    ])
    .await;
    // Two clients with caches of their own, as two replicas have.
    let (one, two) = (
        replica(&server.base_url, store.clone()),
        replica(&server.base_url, store.clone()),
    );

    let (a, b) = tokio::join!(one.doctors_list().send(), two.doctors_list().send());

    a.expect("the first replica's call");
    b.expect("the second replica's call");
    let received = server.received();
    let refreshes = received.iter().filter(|r| r.target == "/o/token/").count();
    assert_eq!(
        refreshes, 1,
        "rt1 spent once: the second found at2 after the lease"
    );
    let bearers: Vec<_> = received
        .iter()
        .filter(|r| r.target != "/o/token/")
        .map(|r| r.header("authorization"))
        .collect();
    assert_eq!(bearers, [Some("Bearer at2"), Some("Bearer at2")]);
    let stored = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(stored.set.refresh_token.unwrap().expose(), "rt2");
    assert_eq!(stored.generation, 2);
}

/// A shared store whose first fenced save fails (the database went away for a moment).
#[derive(Debug, Default)]
struct FirstSaveFails {
    inner: MemoryLeasedStore,
    failed: std::sync::atomic::AtomicBool,
}

impl LeasedTokenStore for FirstSaveFails {
    fn load<'a>(
        &'a self,
        key: &'a str,
    ) -> ehr_sdk::auth::StoreFuture<'a, Option<ehr_sdk::auth::Generation>> {
        self.inner.load(key)
    }
    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> ehr_sdk::auth::StoreFuture<'a, Option<ehr_sdk::auth::Lease>> {
        self.inner.try_lease(key, owner, ttl)
    }
    fn renew<'a>(
        &'a self,
        lease: &'a ehr_sdk::auth::Lease,
        ttl: Duration,
    ) -> ehr_sdk::auth::StoreFuture<'a, bool> {
        self.inner.renew(lease, ttl)
    }
    fn save<'a>(
        &'a self,
        lease: &'a ehr_sdk::auth::Lease,
        fence: u64,
        set: &'a TokenSet,
    ) -> ehr_sdk::auth::StoreFuture<'a, ()> {
        if !self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return Box::pin(async { Err(StoreError::Other("connection reset".into())) });
        }
        self.inner.save(lease, fence, set)
    }
    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> ehr_sdk::auth::StoreFuture<'a, ()> {
        self.inner.put(key, set)
    }
    fn release<'a>(
        &'a self,
        lease: &'a ehr_sdk::auth::Lease,
    ) -> ehr_sdk::auth::StoreFuture<'a, ()> {
        self.inner.release(lease)
    }
}

#[tokio::test]
async fn a_set_whose_save_failed_is_dropped_when_a_newer_one_was_stored_meanwhile() {
    let store = Arc::new(FirstSaveFails::default());
    store.put(KEY, &set("at1", -10, "rt1")).await.unwrap();
    let server = ScriptedServer::start(vec![
        Reply::json(
            200,
            serde_json::json!({"access_token": "at2", "refresh_token": "rt2", "expires_in": 3600}),
        ),
        Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
    ])
    .await;
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(&server.base_url)
        .oauth("cid", "client-secret", "https://app.example/cb")
        .token_store(LeasedConnection::new(store.clone(), KEY))
        .build()
        .unwrap();

    let failed = client
        .doctors_list()
        .send()
        .await
        .expect_err("the save failed");
    assert!(matches!(failed, ehr_sdk::Error::Auth { .. }), "{failed:?}");
    // Meanwhile the connection was authorized again (a newer set, generation 3).
    store.put(KEY, &set("at3", 3600, "rt3")).await.unwrap();
    client
        .doctors_list()
        .send()
        .await
        .expect("the newer set is used");

    let received = server.received();
    assert_eq!(received.len(), 2, "one refresh, one call");
    assert_eq!(received[1].header("authorization"), Some("Bearer at3"));
    let stored = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(
        stored.set.access.token.expose(),
        "at3",
        "the older set did not overwrite it"
    );
}

#[tokio::test]
async fn a_waiter_uses_the_set_another_holder_saved_without_taking_the_lease_in_turn() {
    let store = Arc::new(MemoryLeasedStore::new());
    store.put(KEY, &set("at1", -10, "rt1")).await.unwrap();
    // Another replica holds the lease for a long time (it refreshes, then keeps it a while).
    let other = store
        .try_lease(KEY, "other", Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    let waiter = LeasedConnection::new(store.clone(), KEY).max_wait(Duration::from_secs(30));
    assert_eq!(
        waiter.load().await.unwrap().unwrap().access.token.expose(),
        "at1"
    );

    let saver = {
        let store = store.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            store.put(KEY, &set("at2", 3600, "rt2")).await.unwrap();
        })
    };
    let started = Instant::now();
    let lock = waiter.lock().await.expect("the wait ends");
    let next = waiter.load().await.unwrap().unwrap();

    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not the lease's 60 s"
    );
    assert_eq!(next.access.token.expose(), "at2", "the set saved meanwhile");
    assert!(
        !waiter.is_free().await.unwrap(),
        "the lease is still the other's"
    );
    drop(lock);
    saver.await.unwrap();
    store.release(&other).await.unwrap();
}
