//! Many replicas, one shared store, real processes: OS processes of `ehr-replica`
//! (`tests/bin/replica.rs`), each with DrChrono clients for the same connections, against a real
//! PostgreSQL or Redis and a local DrChrono whose refresh tokens each work once (as DrChrono's
//! do).

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use ehr_sdk::auth::{LeasedTokenStore, TokenSet};
use ehr_sdk::stores::postgres::PostgresTokenStore;
use ehr_sdk::stores::redis::RedisTokenStore;
use ehr_tests::servers::{Postgres, Redis};

const REPLICA: &str = env!("CARGO_BIN_EXE_ehr-replica");

/// What the local DrChrono saw.
#[derive(Default)]
struct Seen {
    /// The refresh token each connection may spend next (`rt-<conn>-<n>`).
    current: HashMap<String, u64>,
    /// Successful refreshes, per connection.
    refreshes: HashMap<String, u64>,
    invalid_grants: u64,
    api_ok: u64,
    api_refused: u64,
    /// The next refresh of these connections is held until the test releases it (and its
    /// refresh token is checked only then).
    hold: HashMap<String, Arc<tokio::sync::Notify>>,
    held_requests: u64,
}

type Shared = Arc<Mutex<Seen>>;

/// A local DrChrono: `/o/token/` rotates refresh tokens (each works once, checked when the
/// request is answered, after 50 ms of work), `/api/*` answers a bearer that is its
/// connection's newest access token.
async fn drchrono() -> (String, Shared) {
    let seen: Shared = Arc::default();
    let app = axum::Router::new()
        .route("/o/token/", axum::routing::post(token))
        .fallback(api)
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

fn connection_of(token: &str) -> Option<(String, u64)> {
    // `rt-conn-7-0` / `at-conn-7-1`: the connection and the generation.
    let rest = token.get(3..)?;
    let (conn, n) = rest.rsplit_once('-')?;
    Some((conn.to_string(), n.parse().ok()?))
}

async fn token(State(seen): State<Shared>, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let spent = form.get("refresh_token").cloned().unwrap_or_default();
    let conn = connection_of(&spent).map(|(c, _)| c).unwrap_or_default();
    let hold = {
        let mut seen = seen.lock().unwrap();
        let hold = seen.hold.remove(&conn);
        if hold.is_some() {
            seen.held_requests += 1;
        }
        hold
    };
    match hold {
        Some(release) => release.notified().await,
        None => tokio::time::sleep(Duration::from_millis(50)).await,
    }
    let mut seen = seen.lock().unwrap();
    let next = match connection_of(&spent) {
        Some((conn, n)) if seen.current.get(&conn) == Some(&n) => {
            seen.current.insert(conn.clone(), n + 1);
            *seen.refreshes.entry(conn.clone()).or_default() += 1;
            (conn, n + 1)
        }
        _ => {
            seen.invalid_grants += 1;
            return (
                StatusCode::BAD_REQUEST,
                json(serde_json::json!({"error": "invalid_grant"})),
            )
                .into_response();
        }
    };
    let (conn, n) = next;
    json(serde_json::json!({
        "access_token": format!("at-{conn}-{n}"),
        "refresh_token": format!("rt-{conn}-{n}"),
        "expires_in": 3600,
    }))
    .into_response()
}

fn json(value: serde_json::Value) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn api(State(seen): State<Shared>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut seen = seen.lock().unwrap();
    let valid = connection_of(bearer)
        .is_some_and(|(conn, n)| bearer.starts_with("at-") && seen.current.get(&conn) == Some(&n));
    if valid {
        seen.api_ok += 1;
        json(serde_json::json!({"next": null, "previous": null, "results": []})).into_response()
    } else {
        seen.api_refused += 1;
        StatusCode::UNAUTHORIZED.into_response()
    }
}

/// Stores connection `conn-<n>`'s first set (already expired) and tells the local DrChrono.
async fn authorize(store: &dyn LeasedTokenStore, seen: &Shared, conns: std::ops::Range<u64>) {
    for n in conns {
        let conn = format!("conn-{n}");
        let set = TokenSet::from_response(
            format!("at-{conn}-0"),
            Some(-10),
            Some(format!("rt-{conn}-0")),
        );
        store.put(&conn, &set).await.unwrap();
        seen.lock().unwrap().current.insert(conn, 0);
    }
}

fn unix_ms_in(delay: Duration) -> u128 {
    (SystemTime::now() + delay)
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
}

/// `ehr-replica` for connections `first..first + count`, `calls` calls each.
fn replica(
    store_url: &str,
    base: &str,
    first: u64,
    count: u64,
    calls: u64,
    lease: Duration,
    start_at: u128,
) -> Command {
    let mut command = Command::new(REPLICA);
    command
        .args([store_url, base])
        .args([first, count, calls].map(|n| n.to_string()))
        .arg(lease.as_millis().to_string())
        .arg(start_at.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// 8 processes × 25 connections × 20 calls, every token expired at the start.
async fn eight_processes_spend_each_refresh_token_once(
    store_url: &str,
    store: &dyn LeasedTokenStore,
) {
    const PROCESSES: usize = 8;
    const CONNECTIONS: u64 = 25;
    const CALLS: u64 = 20;
    let (base, seen) = drchrono().await;
    authorize(store, &seen, 0..CONNECTIONS).await;

    let start_at = unix_ms_in(Duration::from_secs(3));
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            replica(
                store_url,
                &base,
                0,
                CONNECTIONS,
                CALLS,
                Duration::from_secs(10),
                start_at,
            )
            .spawn()
            .expect("ehr-replica starts")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|c| c.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();

    for output in &outputs {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.lines().next(),
            Some(format!("ok={} failed=0", CONNECTIONS * CALLS).as_str()),
            "{stdout}"
        );
    }
    let seen = seen.lock().unwrap();
    assert_eq!(seen.invalid_grants, 0);
    assert_eq!(seen.api_refused, 0);
    assert_eq!(
        seen.api_ok,
        PROCESSES as u64 * CONNECTIONS * CALLS,
        "every call answered"
    );
    for n in 0..CONNECTIONS {
        assert_eq!(
            seen.refreshes.get(&format!("conn-{n}")),
            Some(&1),
            "conn-{n}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_postgres_spend_each_refresh_token_once() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url()).unwrap();
    eight_processes_spend_each_refresh_token_once(&server.url(), &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_on_redis_spend_each_refresh_token_once() {
    let server = Redis::start();
    let store = RedisTokenStore::connect(&server.url()).unwrap();
    eight_processes_spend_each_refresh_token_once(&server.url(), &store).await;
}

/// A replica killed (SIGKILL) while it holds a connection's lease, inside its refresh: another
/// replica proceeds once the lease expires, and spends the refresh token the dead one never
/// got an answer for.
async fn a_killed_holder_delays_the_others_only_until_its_lease_expires(
    store_url: &str,
    store: &dyn LeasedTokenStore,
) {
    let lease = Duration::from_secs(2);
    let (base, seen) = drchrono().await;
    // Its refresh is never answered (the release is never given).
    let (mut doomed, _never) =
        holder_inside_its_refresh(store_url, store, &base, &seen, lease).await;
    doomed.kill().unwrap(); // SIGKILL: no release, no renewal
    doomed.wait().unwrap();

    let killed_at = Instant::now();
    let survivor = three_calls(store_url, &base, lease).await;
    let waited = killed_at.elapsed();

    let stdout = String::from_utf8_lossy(&survivor.stdout);
    assert_eq!(stdout.lines().next(), Some("ok=3 failed=0"), "{stdout}");
    assert!(waited < Duration::from_secs(20), "waited {waited:?}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.refreshes.get("conn-0"), Some(&1));
        assert_eq!(seen.invalid_grants, 0);
    }
    let stored = store.load("conn-0").await.unwrap().unwrap();
    assert_eq!(stored.set.access.token.expose(), "at-conn-0-1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holder_on_postgres_delays_the_others_only_until_its_lease_expires() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url()).unwrap();
    a_killed_holder_delays_the_others_only_until_its_lease_expires(&server.url(), &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_holder_on_redis_delays_the_others_only_until_its_lease_expires() {
    let server = Redis::start();
    let store = RedisTokenStore::connect(&server.url()).unwrap();
    a_killed_holder_delays_the_others_only_until_its_lease_expires(&server.url(), &store).await;
}

/// A replica of one connection (`conn-0`, authorized and expired) started and waited for until
/// it holds the lease inside its refresh, which the local DrChrono holds until the `Notify`
/// returned is notified.
async fn holder_inside_its_refresh(
    store_url: &str,
    store: &dyn LeasedTokenStore,
    base: &str,
    seen: &Shared,
    lease: Duration,
) -> (std::process::Child, Arc<tokio::sync::Notify>) {
    authorize(store, seen, 0..1).await;
    let release = Arc::new(tokio::sync::Notify::new());
    seen.lock()
        .unwrap()
        .hold
        .insert("conn-0".into(), release.clone());
    let holder = replica(store_url, base, 0, 1, 1, lease, 0).spawn().unwrap();
    let started = Instant::now();
    while seen.lock().unwrap().held_requests == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the refresh never came"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (holder, release)
}

/// Another replica of `conn-0`, making three calls: its output.
async fn three_calls(store_url: &str, base: &str, lease: Duration) -> std::process::Output {
    let (store_url, base) = (store_url.to_string(), base.to_string());
    tokio::task::spawn_blocking(move || {
        replica(&store_url, &base, 0, 1, 3, lease, 0)
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn signal(child: &std::process::Child, signal: &str) {
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// A replica stalled (SIGSTOP: no renewal) while it holds a connection's lease, inside its
/// refresh: another replica takes the expired lease, refreshes and saves; the stalled one, once
/// resumed, finds its refresh token spent and uses the newer set, which stays stored.
async fn a_stalled_holder_never_overwrites_the_newer_set(
    store_url: &str,
    store: &dyn LeasedTokenStore,
) {
    let lease = Duration::from_secs(1);
    let (base, seen) = drchrono().await;
    let (stalled, release) = holder_inside_its_refresh(store_url, store, &base, &seen, lease).await;
    signal(&stalled, "-STOP");

    let other = three_calls(store_url, &base, lease).await;
    let stdout = String::from_utf8_lossy(&other.stdout);
    assert_eq!(stdout.lines().next(), Some("ok=3 failed=0"), "{stdout}");

    // The stalled replica resumes; its held refresh is answered now.
    signal(&stalled, "-CONT");
    release.notify_one();
    let resumed = tokio::task::spawn_blocking(move || stalled.wait_with_output().unwrap())
        .await
        .unwrap();

    let stdout = String::from_utf8_lossy(&resumed.stdout);
    assert_eq!(stdout.lines().next(), Some("ok=1 failed=0"), "{stdout}");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(
            seen.refreshes.get("conn-0"),
            Some(&1),
            "one refresh succeeded"
        );
        assert_eq!(seen.invalid_grants, 1, "the stalled one's, spent meanwhile");
    }
    let stored = store.load("conn-0").await.unwrap().unwrap();
    assert_eq!(stored.set.access.token.expose(), "at-conn-0-1");
    assert_eq!(stored.generation, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_holder_on_postgres_never_overwrites_the_newer_set() {
    let server = Postgres::start();
    let store = PostgresTokenStore::connect(&server.url()).unwrap();
    a_stalled_holder_never_overwrites_the_newer_set(&server.url(), &store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_holder_on_redis_never_overwrites_the_newer_set() {
    let server = Redis::start();
    let store = RedisTokenStore::connect(&server.url()).unwrap();
    a_stalled_holder_never_overwrites_the_newer_set(&server.url(), &store).await;
}
