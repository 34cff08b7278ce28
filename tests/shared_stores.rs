//! The PostgreSQL and Redis stores against real servers the tests start themselves (see
//! `servers.rs`): the lease protocol, fenced saves, expiry of a dead holder's lease, webhook
//! deliveries processed once across replicas, and what a caller sees when the store is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ehr_sdk::auth::{LeasedConnection, LeasedTokenStore, StoreError, TokenSet};
use ehr_sdk::stores::postgres::PostgresTokenStore;
use ehr_sdk::stores::redis::RedisTokenStore;
use ehr_sdk::webhooks::SeenDeliveries;
use ehr_tests::servers::{Postgres, Redis, free_port};
use ehr_tests::{Reply, ScriptedServer};

const EMPTY_PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;

fn set(access: &str, expires_in: i64, refresh: &str) -> TokenSet {
    TokenSet::from_response(access.into(), Some(expires_in), Some(refresh.into()))
}

fn access(set: &TokenSet) -> &str {
    set.access.token.expose()
}

/// The lease protocol, as any shared store must keep it.
async fn keeps_the_lease_protocol(store: Arc<dyn LeasedTokenStore>) {
    // Long enough that no step of a loaded machine outlasts it unplanned.
    let ttl = Duration::from_secs(2);

    // Nothing stored yet: a lease on an empty connection, then a first save.
    assert!(store.load("k-new").await.unwrap().is_none());
    let first = store.try_lease("k-new", "a", ttl).await.unwrap().unwrap();
    assert_eq!((first.generation, first.stored.clone()), (0, None));
    store
        .save(&first, 0, &set("at1", 3600, "rt1"))
        .await
        .unwrap();
    let stored = store.load("k-new").await.unwrap().unwrap();
    assert_eq!((access(&stored.set), stored.generation), ("at1", 1));
    // The save ended the lease.
    store
        .try_lease("k-new", "b", ttl)
        .await
        .unwrap()
        .expect("free after the save");

    // One holder at a time; the lease comes with the stored set (the re-read).
    store.put("k", &set("at1", 3600, "rt1")).await.unwrap();
    let a = store.try_lease("k", "a", ttl).await.unwrap().unwrap();
    assert_eq!(a.generation, 1);
    assert_eq!(access(a.stored.as_ref().unwrap()), "at1");
    assert!(store.try_lease("k", "b", ttl).await.unwrap().is_none());
    assert!(store.renew(&a, ttl).await.unwrap());

    // A stalls past its lease (inside its refresh): B takes over, refreshes and saves.
    tokio::time::sleep(ttl + Duration::from_millis(300)).await;
    assert!(!store.renew(&a, ttl).await.unwrap(), "expired");
    let b = store
        .try_lease("k", "b", ttl)
        .await
        .unwrap()
        .expect("an expired lease is free");
    assert_eq!(access(b.stored.as_ref().unwrap()), "at1");
    store.save(&b, 1, &set("at-b", 3600, "rt-b")).await.unwrap();
    // A's late save is refused by the generation check, even with a lease of its own again.
    let late = store.save(&a, 1, &set("at-a", 3600, "rt-a")).await;
    assert!(matches!(late, Err(StoreError::LeaseLost)), "{late:?}");
    let a_again = store.try_lease("k", "a", ttl).await.unwrap().unwrap();
    let fenced = store.save(&a_again, 1, &set("at-a", 3600, "rt-a")).await;
    assert!(matches!(fenced, Err(StoreError::LeaseLost)), "{fenced:?}");
    let stored = store.load("k").await.unwrap().unwrap();
    assert_eq!((access(&stored.set), stored.generation), ("at-b", 2));
    assert_eq!(stored.set.refresh_token.unwrap().expose(), "rt-b");

    // Given up, it is free at once; a release by a former holder frees nothing.
    store.release(&a_again).await.unwrap();
    let c = store.try_lease("k", "c", ttl).await.unwrap().unwrap();
    store.release(&a_again).await.unwrap();
    assert!(store.try_lease("k", "d", ttl).await.unwrap().is_none());
    store.release(&c).await.unwrap();

    // Connections are independent.
    assert!(
        store
            .try_lease("k-other", "x", ttl)
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.try_lease("k", "y", ttl).await.unwrap().is_some());
}

/// Deliveries recorded once, forgotten on request, and remembered for the retention only.
async fn records_each_delivery_once(seen: &dyn SeenDeliveries, short: &dyn SeenDeliveries) {
    assert!(seen.first_time("d-1").await.unwrap());
    assert!(!seen.first_time("d-1").await.unwrap(), "a redelivery");
    assert!(seen.forget("d-1").await.unwrap(), "its handler failed");
    assert!(seen.first_time("d-1").await.unwrap(), "tried again");
    assert!(!seen.forget("d-never").await.unwrap());

    assert!(short.first_time("d-2").await.unwrap());
    assert!(!short.first_time("d-2").await.unwrap());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert!(short.first_time("d-2").await.unwrap(), "past its retention");
}

#[tokio::test]
async fn postgres_keeps_the_lease_protocol_and_records_deliveries_once() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url()).unwrap();
    let seen = store.seen_deliveries(Duration::from_secs(60));
    let short = store.seen_deliveries(Duration::from_secs(1));

    keeps_the_lease_protocol(Arc::new(store)).await;
    records_each_delivery_once(&seen, &short).await;
}

#[tokio::test]
async fn redis_keeps_the_lease_protocol_and_records_deliveries_once() {
    let server = Redis::start();
    let store = RedisTokenStore::connect(&server.url()).unwrap();
    let seen = store.seen_deliveries(Duration::from_secs(60));
    let short = store.seen_deliveries(Duration::from_secs(1));

    keeps_the_lease_protocol(Arc::new(store)).await;
    records_each_delivery_once(&seen, &short).await;
}

#[tokio::test]
async fn the_schema_is_created_once_however_many_replicas_start_together() {
    let server = Postgres::start();
    let replicas: Vec<_> = (0..8)
        .map(|_| PostgresTokenStore::connect(&server.url()).unwrap())
        .collect();

    let answers = futures::future::join_all(replicas.iter().map(|store| store.load("k"))).await;

    for answer in answers {
        assert!(
            answer
                .expect("no replica trips on another's CREATE")
                .is_none()
        );
    }
}

/// A store nothing answers on: every operation is a typed error within its time-out.
async fn an_unreachable_store_is_a_typed_error(
    store: Arc<dyn LeasedTokenStore>,
    seen: &dyn SeenDeliveries,
) {
    let started = Instant::now();
    let load = store.load("k").await;
    let lease = store.try_lease("k", "a", Duration::from_secs(1)).await;
    let first = seen.first_time("d").await;

    assert!(matches!(load, Err(StoreError::Unavailable(_))), "{load:?}");
    assert!(
        matches!(lease, Err(StoreError::Unavailable(_))),
        "{lease:?}"
    );
    assert!(first.is_err(), "{first:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "bounded by the time-outs"
    );
}

#[tokio::test]
async fn an_unreachable_database_or_redis_is_a_typed_error_not_a_hang() {
    let nothing = free_port();
    let postgres = PostgresTokenStore::connect(&format!("postgres://ehr@127.0.0.1:{nothing}/x"))
        .unwrap()
        .op_timeout(Duration::from_secs(2));
    let seen = postgres.seen_deliveries(Duration::from_secs(60));
    an_unreachable_store_is_a_typed_error(Arc::new(postgres), &seen).await;

    let redis = RedisTokenStore::connect(&format!("redis://127.0.0.1:{nothing}/"))
        .unwrap()
        .op_timeout(Duration::from_secs(2));
    let seen = redis.seen_deliveries(Duration::from_secs(60));
    an_unreachable_store_is_a_typed_error(Arc::new(redis), &seen).await;

    // A server that accepts and never answers (stalled): the time-out, not a hang.
    let stalled = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = stalled.local_addr().unwrap().port();
    let postgres = PostgresTokenStore::connect(&format!("postgres://ehr@127.0.0.1:{port}/x"))
        .unwrap()
        .op_timeout(Duration::from_millis(500));
    let seen = postgres.seen_deliveries(Duration::from_secs(60));
    an_unreachable_store_is_a_typed_error(Arc::new(postgres), &seen).await;
    let redis = RedisTokenStore::connect(&format!("redis://127.0.0.1:{port}/"))
        .unwrap()
        .op_timeout(Duration::from_millis(500));
    let seen = redis.seen_deliveries(Duration::from_secs(60));
    an_unreachable_store_is_a_typed_error(Arc::new(redis), &seen).await;
    drop(stalled);
}

#[test]
fn connecting_outside_a_runtime_or_to_a_bad_url_is_an_error_not_a_panic() {
    let outside = RedisTokenStore::connect("redis://127.0.0.1:1/");
    assert!(matches!(outside, Err(StoreError::Other(_))), "{outside:?}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let bad = RedisTokenStore::connect("not a url");
    assert!(matches!(bad, Err(StoreError::Other(_))), "{bad:?}");
    let bad = PostgresTokenStore::connect("postgres://ehr:hunter2@127.0.0.1:notaport/x");
    assert!(matches!(bad, Err(StoreError::Other(_))), "{bad:?}");
    assert!(!bad.unwrap_err().to_string().contains("hunter2"));
}

#[test]
fn no_store_prints_its_password() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let _inside = runtime.enter();
    let postgres = PostgresTokenStore::connect("postgres://ehr:hunter2-pg@127.0.0.1:1/x").unwrap();
    let redis = RedisTokenStore::connect("redis://:hunter2-redis@127.0.0.1:1/").unwrap();

    let printed = format!(
        "{postgres:?} {:?} {redis:?} {:?}",
        postgres.seen_deliveries(Duration::from_secs(1)),
        redis.seen_deliveries(Duration::from_secs(1))
    );

    assert!(!printed.contains("hunter2"), "{printed}");
}

// --- a DrChrono client on a shared store, with the store going away ----------------------------

fn drchrono(
    base_url: &str,
    store: Arc<dyn LeasedTokenStore>,
    key: &str,
) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .oauth("cid", "client-secret", "https://app.example/cb")
        .token_store(LeasedConnection::new(store, key))
        .build()
        .expect("client builds")
}

fn page() -> Reply {
    Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap())
}

fn granted(access: &str, refresh: &str, expires_in: i64) -> Reply {
    Reply::json(
        200,
        serde_json::json!({"access_token": access, "refresh_token": refresh, "expires_in": expires_in}),
    )
}

/// With the store gone: calls on the cached, fresh token go on; the refresh that must be
/// recorded first fails with a typed store error, without spending the refresh token; once the
/// store is back, the next call refreshes.
async fn survives_the_store_going_away(
    store: Arc<dyn LeasedTokenStore>,
    stop: impl FnOnce(),
    resume: impl FnOnce(),
) {
    // "fresh" lasts the first calls; "stale" is expired from the start.
    store
        .put("fresh", &set("at-fresh", 3600, "rt-fresh"))
        .await
        .unwrap();
    store
        .put("stale", &set("at-stale", -10, "rt-stale"))
        .await
        .unwrap();
    let server = ScriptedServer::start(vec![
        page(),
        page(),
        page(),
        granted("at-stale-2", "rt-stale-2", 3600),
        page(),
    ])
    .await;
    let fresh = drchrono(&server.base_url, store.clone(), "fresh");
    let stale = drchrono(&server.base_url, store.clone(), "stale");
    fresh.doctors_list().send().await.expect("warm: token read");

    stop();
    fresh
        .doctors_list()
        .send()
        .await
        .expect("cached token, store down");
    fresh
        .doctors_list()
        .send()
        .await
        .expect("cached token, store down");
    let started = Instant::now();
    let refused = stale
        .doctors_list()
        .send()
        .await
        .expect_err("refresh needs the store");

    assert!(started.elapsed() < Duration::from_secs(20), "no hang");
    let shown = refused.to_string();
    assert!(shown.contains("token store unavailable"), "{shown}");
    assert!(
        matches!(
            &refused,
            ehr_sdk::Error::Auth {
                source: ehr_sdk::auth::AuthError::Store(StoreError::Unavailable(_)),
                ..
            }
        ),
        "{refused:?}"
    );
    let received = server.received();
    assert_eq!(
        received.iter().filter(|r| r.target == "/o/token/").count(),
        0
    );

    resume();
    stale
        .doctors_list()
        .send()
        .await
        .expect("the store is back");
    let received = server.received();
    assert_eq!(
        received.iter().filter(|r| r.target == "/o/token/").count(),
        1
    );
    let stored = store.load("stale").await.unwrap().unwrap();
    assert_eq!(access(&stored.set), "at-stale-2");
}

#[tokio::test]
async fn postgres_restarted_mid_run_fails_only_the_refresh_and_typed() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url())
        .unwrap()
        .op_timeout(Duration::from_secs(3));
    survives_the_store_going_away(Arc::new(store), || server.stop(), || server.resume()).await;
}

#[tokio::test]
async fn redis_restarted_mid_run_fails_only_the_refresh_and_typed() {
    let server = std::sync::Mutex::new(Redis::start());
    let url = server.lock().unwrap().url();
    let store = RedisTokenStore::connect(&url)
        .unwrap()
        .op_timeout(Duration::from_secs(3));
    survives_the_store_going_away(
        Arc::new(store),
        || server.lock().unwrap().stop(),
        || server.lock().unwrap().resume(),
    )
    .await;
}

// --- webhooks redelivered to several replicas --------------------------------------------------

const WEBHOOK_SECRET: &str = "7f3c2a9e41d8b6f05c1e9a2d4b7f8c3e6a1d0b9f";

/// Four replicas behind a load balancer, each with its own connection to the shared store;
/// DrChrono delivers one event to all four at once (a redelivery storm).
async fn four_replicas_process_a_redelivery_once(seen: impl Fn() -> Arc<dyn SeenDeliveries>) {
    use tower::ServiceExt;

    let processed = Arc::new(AtomicUsize::new(0));
    let replicas: Vec<axum::Router> = (0..4)
        .map(|_| {
            let processed = processed.clone();
            let route = ehr_sdk::webhooks::axum::drchrono(
                ehr_sdk::drchrono::WebhookVerifier::new(WEBHOOK_SECRET),
                seen(),
                move |_delivery| {
                    let processed = processed.clone();
                    async move {
                        processed.fetch_add(1, Ordering::SeqCst);
                        Ok(())
                    }
                },
            );
            axum::Router::new().route("/hooks/drchrono", route)
        })
        .collect();
    let deliver = |app: axum::Router| async move {
        let request = http::Request::post("/hooks/drchrono")
            .header("X-drchrono-event", "PATIENT_CREATE")
            .header("X-drchrono-signature", WEBHOOK_SECRET)
            .header("X-drchrono-delivery", "delivery-77")
            .body(axum::body::Body::from(
                r#"{"receiver": {"id": 901}, "object": {"id": 5}}"#,
            ))
            .unwrap();
        app.oneshot(request).await.unwrap().status()
    };

    for _round in 0..3 {
        let statuses = futures::future::join_all(replicas.iter().cloned().map(deliver)).await;
        assert!(statuses.iter().all(|s| s.is_success()), "{statuses:?}");
    }

    assert_eq!(processed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_delivery_while_the_store_is_down_is_refused_for_redelivery_then_processed_once() {
    use tower::ServiceExt;

    let mut server = Redis::start();
    let seen: Arc<dyn SeenDeliveries> = Arc::new(
        RedisTokenStore::connect(&server.url())
            .unwrap()
            .op_timeout(Duration::from_secs(2))
            .seen_deliveries(Duration::from_secs(60)),
    );
    let processed = Arc::new(AtomicUsize::new(0));
    let route = {
        let processed = processed.clone();
        ehr_sdk::webhooks::axum::drchrono(
            ehr_sdk::drchrono::WebhookVerifier::new(WEBHOOK_SECRET),
            seen,
            move |_delivery| {
                let processed = processed.clone();
                async move {
                    processed.fetch_add(1, Ordering::SeqCst);
                    Ok(())
                }
            },
        )
    };
    let app = axum::Router::new().route("/hooks/drchrono", route);
    let deliver = || {
        let request = http::Request::post("/hooks/drchrono")
            .header("X-drchrono-event", "PATIENT_CREATE")
            .header("X-drchrono-signature", WEBHOOK_SECRET)
            .header("X-drchrono-delivery", "delivery-88")
            .body(axum::body::Body::from(
                r#"{"receiver": {"id": 901}, "object": {"id": 5}}"#,
            ))
            .unwrap();
        let app = app.clone();
        async move { app.oneshot(request).await.unwrap().status() }
    };

    server.stop();
    let while_down = deliver().await;
    server.resume();
    let redelivered = deliver().await;
    let again = deliver().await;

    assert_eq!(while_down, 503, "the vendor is told to deliver again");
    assert_eq!((redelivered.as_u16(), again.as_u16()), (200, 200));
    assert_eq!(processed.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_redelivery_to_four_replicas_is_processed_once_on_postgres() {
    let server = Postgres::start();
    let url = server.url();
    four_replicas_process_a_redelivery_once(|| {
        Arc::new(
            PostgresTokenStore::connect(&url)
                .unwrap()
                .seen_deliveries(Duration::from_secs(60)),
        )
    })
    .await;
}

#[tokio::test]
async fn a_redelivery_to_four_replicas_is_processed_once_on_redis() {
    let server = Redis::start();
    let url = server.url();
    four_replicas_process_a_redelivery_once(|| {
        Arc::new(
            RedisTokenStore::connect(&url)
                .unwrap()
                .seen_deliveries(Duration::from_secs(60)),
        )
    })
    .await;
}

// --- what a call costs the store ---------------------------------------------------------------

/// Through a DrChrono client: a refresh costs three round trips to the store (the read that
/// finds the token expired, the lease with its re-read, the fenced save), however many tasks
/// of the process need it at once (single flight first); a call on a fresh token costs none.
async fn a_refresh_costs_three_round_trips_and_a_fresh_call_none<S: LeasedTokenStore>(store: S) {
    let store = Arc::new(ehr_tests::counting_store::CountingStore::new(store));
    store.put("k", &set("at1", -10, "rt1")).await.unwrap();
    let mut replies = vec![granted("at2", "rt2", 3600)];
    replies.extend((0..22).map(|_| page()));
    let server = ScriptedServer::start(replies).await;
    let client = drchrono(&server.base_url, store.clone(), "k");
    let before = store.trips();

    let together = (0..20).map(|_| client.doctors_list().send());
    for answer in futures::future::join_all(together).await {
        answer.expect("refreshed once for all");
    }
    let refresh = store.trips() - before;
    client.doctors_list().send().await.unwrap();
    client.doctors_list().send().await.unwrap();
    let fresh = store.trips() - before - refresh;

    assert_eq!(
        refresh, 3,
        "load, lease with re-read, fenced save, once for 20 tasks"
    );
    let received = server.received();
    assert_eq!(
        received.iter().filter(|r| r.target == "/o/token/").count(),
        1
    );
    assert_eq!(fresh, 0, "the token cache answers");
    let stored = store.load("k").await.unwrap().unwrap();
    assert_eq!((access(&stored.set), stored.generation), ("at2", 2));
}

#[tokio::test]
async fn on_postgres_a_refresh_costs_three_round_trips_and_a_fresh_call_none() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url()).unwrap();
    a_refresh_costs_three_round_trips_and_a_fresh_call_none(store).await;
}

#[tokio::test]
async fn on_redis_a_refresh_costs_three_round_trips_and_a_fresh_call_none() {
    let server = Redis::start();
    let store = RedisTokenStore::connect(&server.url()).unwrap();
    a_refresh_costs_three_round_trips_and_a_fresh_call_none(store).await;
}
