//! One replica of an integrator's service, for the multi-process tests (`tests/replicas.rs`):
//! DrChrono clients for a range of connections, all on one shared token store (PostgreSQL or
//! Redis), each making its calls at once from a given instant.
//!
//! `ehr-replica <store-url> <api-base-url> <first-connection> <connections> <calls> <lease-ms>
//! <start-at-unix-ms>`; prints `ok=<n> failed=<n>` and then each failure, one per line.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ehr_sdk::auth::{LeasedConnection, LeasedTokenStore};
use ehr_sdk::stores::postgres::PostgresTokenStore;
use ehr_sdk::stores::redis::RedisTokenStore;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [
        store_url,
        base_url,
        first,
        connections,
        calls,
        lease_ms,
        start_at,
    ] = &args[..]
    else {
        eprintln!(
            "usage: ehr-replica <store-url> <api-base-url> <first-connection> <connections> <calls> <lease-ms> <start-at-unix-ms>"
        );
        std::process::exit(2);
    };
    let number = |s: &str| s.parse::<u64>().expect("a number");
    let (first, connections, calls) = (number(first), number(connections), number(calls));
    let lease = Duration::from_millis(number(lease_ms));

    let store: Arc<dyn LeasedTokenStore> = if store_url.starts_with("redis") {
        Arc::new(RedisTokenStore::connect(store_url).expect("redis url"))
    } else {
        Arc::new(PostgresTokenStore::connect(store_url).expect("postgres url"))
    };
    let clients: Vec<_> = (first..first + connections)
        .map(|n| {
            ehr_sdk::drchrono::Client::builder()
                .base_url(base_url)
                .oauth("cid", "client-secret", "https://app.example/cb")
                .token_store(
                    LeasedConnection::new(store.clone(), format!("conn-{n}")).lease_ttl(lease),
                )
                .build()
                .expect("client builds")
        })
        .collect();

    // All replicas start together.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let start = Duration::from_millis(number(start_at));
    tokio::time::sleep(start.saturating_sub(now)).await;

    let calls = clients.iter().flat_map(|client| {
        (0..calls).map(move |_| async move { client.doctors_list().send().await.map(drop) })
    });
    let answers = futures::future::join_all(calls).await;

    let failures: Vec<String> = answers
        .iter()
        .filter_map(|a| a.as_ref().err().map(|e| e.to_string()))
        .collect();
    println!(
        "ok={} failed={}",
        answers.len() - failures.len(),
        failures.len()
    );
    for failure in failures {
        println!("{failure}");
    }
}
