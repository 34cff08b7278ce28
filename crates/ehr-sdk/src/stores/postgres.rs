//! Token sets and delivery ids in PostgreSQL, for many replicas (feature `postgres`).
//!
//! Built on `tokio-postgres` with a `deadpool-postgres` pool: a pool and a driver with no
//! compile-time query checking, macros or migrations engine keep the build light (sqlx would
//! bring its own runtime layer and macros for four statements). Every statement is prepared
//! once per pooled connection and then answers in one round trip.
//!
//! # Schema
//!
//! Created on first use, in a transaction serialised by an advisory lock, so replicas that
//! start together do not race (`CREATE … IF NOT EXISTS`, nothing else):
//!
//! ```sql
//! CREATE TABLE IF NOT EXISTS ehr_token_sets (
//!     key         text PRIMARY KEY,      -- the caller's connection key
//!     generation  bigint NOT NULL DEFAULT 0,
//!     token_set   text,                  -- JSON; NULL until the first save
//!     lease_owner text,
//!     lease_until timestamptz            -- the database's clock, not the replicas'
//! );
//! CREATE TABLE IF NOT EXISTS ehr_seen_deliveries (
//!     id         text PRIMARY KEY,
//!     seen_until timestamptz NOT NULL
//! );
//! CREATE INDEX IF NOT EXISTS ehr_seen_deliveries_until ON ehr_seen_deliveries (seen_until);
//! ```
//!
//! Leases and retention are timed by the database's clock (`clock_timestamp()`), so replicas
//! whose clocks disagree still agree on who holds a lease. A lease is never held as a
//! connection or a transaction: no pooled connection is pinned while a refresh is in flight.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ehr_sdk::auth::LeasedConnection;
//! use ehr_sdk::stores::postgres::PostgresTokenStore;
//!
//! let store = Arc::new(PostgresTokenStore::connect("postgres://ehr@db.internal/ehr")?);
//! let practice_42 = ehr_sdk::drchrono::Client::builder()
//!     .oauth("client-id", "client-secret", "https://app.example/cb")
//!     .token_store(LeasedConnection::new(store.clone(), "drchrono/practice-42"))
//!     .build()?;
//! # drop(practice_42);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use deadpool_postgres;
pub use tokio_postgres;

use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod};
use tokio::sync::OnceCell;

use super::{
    DEFAULT_OP_TIMEOUT, DEFAULT_RETENTION, decode, encode, generation, millis, seen_error,
    stored_generation, within,
};
use crate::auth::{Generation, Lease, LeasedTokenStore, StoreError, StoreFuture, TokenSet};
use crate::webhooks::{SeenDeliveries, SeenFuture};

const SCHEMA: &str = "
    SELECT pg_advisory_xact_lock(7318520196);
    CREATE TABLE IF NOT EXISTS ehr_token_sets (
        key         text PRIMARY KEY,
        generation  bigint NOT NULL DEFAULT 0,
        token_set   text,
        lease_owner text,
        lease_until timestamptz
    );
    CREATE TABLE IF NOT EXISTS ehr_seen_deliveries (
        id         text PRIMARY KEY,
        seen_until timestamptz NOT NULL
    );
    CREATE INDEX IF NOT EXISTS ehr_seen_deliveries_until ON ehr_seen_deliveries (seen_until);";

const LOAD: &str = "SELECT generation, token_set FROM ehr_token_sets
    WHERE key = $1 AND token_set IS NOT NULL";

const TRY_LEASE: &str = "INSERT INTO ehr_token_sets AS t (key, lease_owner, lease_until)
    VALUES ($1, $2, clock_timestamp() + $3::bigint * interval '1 millisecond')
    ON CONFLICT (key) DO UPDATE
        SET lease_owner = excluded.lease_owner, lease_until = excluded.lease_until
        WHERE t.lease_owner IS NULL OR t.lease_owner = excluded.lease_owner
            OR t.lease_until <= clock_timestamp()
    RETURNING t.generation, t.token_set";

const RENEW: &str = "UPDATE ehr_token_sets
    SET lease_until = clock_timestamp() + $3::bigint * interval '1 millisecond'
    WHERE key = $1 AND lease_owner = $2 AND lease_until > clock_timestamp()";

const SAVE: &str = "UPDATE ehr_token_sets
    SET token_set = $4, generation = generation + 1, lease_owner = NULL, lease_until = NULL
    WHERE key = $1 AND lease_owner = $2 AND lease_until > clock_timestamp()
        AND generation = $3";

const PUT: &str = "INSERT INTO ehr_token_sets AS t (key, generation, token_set) VALUES ($1, 1, $2)
    ON CONFLICT (key) DO UPDATE SET token_set = excluded.token_set, generation = t.generation + 1";

const RELEASE: &str = "UPDATE ehr_token_sets SET lease_owner = NULL, lease_until = NULL
    WHERE key = $1 AND lease_owner = $2";

const FIRST_TIME: &str = "INSERT INTO ehr_seen_deliveries AS s (id, seen_until)
    VALUES ($1, clock_timestamp() + $2::bigint * interval '1 millisecond')
    ON CONFLICT (id) DO UPDATE SET seen_until = excluded.seen_until
        WHERE s.seen_until <= clock_timestamp()
    RETURNING 1";

const FORGET: &str = "DELETE FROM ehr_seen_deliveries WHERE id = $1";

const PRUNE: &str = "DELETE FROM ehr_seen_deliveries WHERE seen_until < clock_timestamp()";

/// Expired delivery ids are deleted once every this many recorded.
const PRUNE_EVERY: u64 = 1024;

/// A pool, the schema (created once), and the time each operation may take.
#[derive(Clone)]
struct Database {
    pool: Pool,
    schema: Arc<OnceCell<()>>,
    timeout: Duration,
}

impl Database {
    /// A pooled connection, the schema created if this is the first use.
    async fn connection(&self) -> Result<Object, StoreError> {
        let mut client = self.pool.get().await.map_err(unavailable)?;
        self.schema
            .get_or_try_init(|| async {
                let transaction = client.transaction().await.map_err(unavailable)?;
                transaction
                    .batch_execute(SCHEMA)
                    .await
                    .map_err(unavailable)?;
                transaction.commit().await.map_err(unavailable)
            })
            .await?;
        Ok(client)
    }

    /// A pooled connection and `statement` prepared on it (once per connection).
    async fn prepared(
        &self,
        statement: &str,
    ) -> Result<(Object, tokio_postgres::Statement), StoreError> {
        let client = self.connection().await?;
        let prepared = client
            .prepare_cached(statement)
            .await
            .map_err(unavailable)?;
        Ok((client, prepared))
    }

    /// Runs `statement` with `params`, within the time-out: the rows it returns.
    async fn query(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        within(self.timeout, async {
            let (client, prepared) = self.prepared(statement).await?;
            client.query(&prepared, params).await.map_err(unavailable)
        })
        .await
    }

    /// Runs `statement` with `params`, within the time-out: how many rows it changed.
    async fn execute(
        &self,
        statement: &str,
        params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        within(self.timeout, async {
            let (client, prepared) = self.prepared(statement).await?;
            client.execute(&prepared, params).await.map_err(unavailable)
        })
        .await
    }
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's configuration holds the password: not printed.
        f.debug_struct("Database")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: impl fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("postgres: {e}"))
}

/// A [`LeasedTokenStore`] in PostgreSQL, keyed by the caller's connection key (see the module
/// documentation for the schema). Share one per process (in an `Arc`) across all connections;
/// wrap each connection in a [`LeasedConnection`](crate::auth::LeasedConnection).
#[derive(Clone, Debug)]
pub struct PostgresTokenStore {
    db: Database,
}

impl PostgresTokenStore {
    /// A store on the database at `url` (`postgres://user:password@host:port/database`, or
    /// the `key=value` form), through a pool of up to 16 connections opened when first
    /// needed, without TLS; for TLS, build the pool yourself and use
    /// [`from_pool`](Self::from_pool). Fails only when `url` does not parse.
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::Other(format!("postgres: the URL does not parse: {e}")))?;
        config.connect_timeout(DEFAULT_OP_TIMEOUT);
        let manager = Manager::from_config(
            config,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(16)
            .build()
            .map_err(unavailable)?;
        Ok(Self::from_pool(pool))
    }

    /// A store on the connections of `pool` (your TLS, sizes and time-outs).
    pub fn from_pool(pool: Pool) -> Self {
        Self {
            db: Database {
                pool,
                schema: Arc::default(),
                timeout: DEFAULT_OP_TIMEOUT,
            },
        }
    }

    /// How long one operation may take, waiting for a pooled connection included, before it
    /// fails with [`StoreError::Unavailable`] ([`DEFAULT_OP_TIMEOUT`] unless set).
    pub fn op_timeout(mut self, limit: Duration) -> Self {
        self.db.timeout = limit;
        self
    }

    /// A [`SeenDeliveries`] on the same pool, remembering each delivery id for `retention`
    /// ([`DEFAULT_RETENTION`] is a week).
    pub fn seen_deliveries(&self, retention: Duration) -> PostgresSeenDeliveries {
        PostgresSeenDeliveries {
            db: self.db.clone(),
            retention,
            recorded: Arc::default(),
        }
    }
}

/// The set of a row (NULL until the first save).
fn stored(token_set: Option<String>) -> Result<Option<TokenSet>, StoreError> {
    token_set.as_deref().map(decode).transpose()
}

impl LeasedTokenStore for PostgresTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Generation>> {
        Box::pin(async move {
            let rows = self.db.query(LOAD, &[&key]).await?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let (at, set): (i64, Option<String>) = (row.get(0), row.get(1));
            Ok(stored(set)?.map(|set| Generation {
                set,
                generation: generation(at),
            }))
        })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, Option<Lease>> {
        Box::pin(async move {
            let rows = self
                .db
                .query(TRY_LEASE, &[&key, &owner, &millis(ttl)])
                .await?;
            let Some(row) = rows.first() else {
                return Ok(None);
            };
            let (at, set): (i64, Option<String>) = (row.get(0), row.get(1));
            Ok(Some(Lease {
                key: key.to_string(),
                owner: owner.to_string(),
                generation: generation(at),
                stored: stored(set)?,
            }))
        })
    }

    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let changed = self
                .db
                .execute(RENEW, &[&lease.key, &lease.owner, &millis(ttl)])
                .await?;
            Ok(changed == 1)
        })
    }

    fn save<'a>(&'a self, lease: &'a Lease, fence: u64, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(set)?;
            let changed = self
                .db
                .execute(
                    SAVE,
                    &[&lease.key, &lease.owner, &stored_generation(fence), &json],
                )
                .await?;
            if changed == 1 {
                Ok(())
            } else {
                Err(StoreError::LeaseLost)
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(set)?;
            self.db.execute(PUT, &[&key, &json]).await.map(drop)
        })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.db
                .execute(RELEASE, &[&lease.key, &lease.owner])
                .await
                .map(drop)
        })
    }
}

/// A [`SeenDeliveries`] in PostgreSQL: an insert-if-absent per delivery id, remembered for a
/// retention time, so a delivery redelivered to any replica is processed once. Made by
/// [`PostgresTokenStore::seen_deliveries`] (same pool).
#[derive(Clone, Debug)]
pub struct PostgresSeenDeliveries {
    db: Database,
    retention: Duration,
    recorded: Arc<AtomicU64>,
}

impl PostgresSeenDeliveries {
    /// On the database at `url`, with the default retention (see
    /// [`PostgresTokenStore::connect`]).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(PostgresTokenStore::connect(url)?.seen_deliveries(DEFAULT_RETENTION))
    }
}

impl SeenDeliveries for PostgresSeenDeliveries {
    fn first_time<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        Box::pin(async move {
            if self.recorded.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
                self.db.execute(PRUNE, &[]).await.map_err(seen_error)?;
            }
            let rows = self
                .db
                .query(FIRST_TIME, &[&id, &millis(self.retention)])
                .await
                .map_err(seen_error)?;
            Ok(!rows.is_empty())
        })
    }

    fn forget<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        Box::pin(async move {
            let gone = self.db.execute(FORGET, &[&id]).await.map_err(seen_error)?;
            Ok(gone == 1)
        })
    }
}
