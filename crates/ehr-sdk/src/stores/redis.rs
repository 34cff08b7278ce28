//! Token sets and delivery ids in Redis, for many replicas (feature `redis`).
//!
//! One multiplexed connection per store (the `redis` crate's `ConnectionManager`, which
//! reconnects on its own); each operation is one command or one Lua script (`EVALSHA`, loaded
//! on first use), so it is atomic and one round trip.
//!
//! # Keys
//!
//! With the default prefix `ehr` (see [`RedisTokenStore::prefix`]), for a connection key `K`
//! and a delivery id `D`:
//!
//! | key | type | holds |
//! |---|---|---|
//! | `ehr:token:{K}` | hash | `generation` (integer), `set` (the token set, JSON) |
//! | `ehr:lease:{K}` | string, with a time to live | the lease holder's owner id |
//! | `ehr:seen:D` | string, with a time to live (the retention) | `1` |
//!
//! The braces make `K` a hash tag: a connection's two keys live on one Redis Cluster slot, as
//! a script touching both needs. Leases and retention expire by Redis's own clock. Nothing is
//! created ahead: keys appear when first written.
//!
//! **Durability.** A token set lost with a Redis restart is a practice to re-authorize: run
//! Redis with its append-only file (`appendonly yes`) or persistence your operator trusts.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ehr_sdk::auth::LeasedConnection;
//! use ehr_sdk::stores::redis::RedisTokenStore;
//!
//! let store = Arc::new(RedisTokenStore::connect("redis://cache.internal:6379/0")?);
//! let practice_42 = ehr_sdk::drchrono::Client::builder()
//!     .oauth("client-id", "client-secret", "https://app.example/cb")
//!     .token_store(LeasedConnection::new(store.clone(), "drchrono/practice-42"))
//!     .build()?;
//! let seen = store.seen_deliveries(ehr_sdk::stores::DEFAULT_RETENTION);
//! # drop((practice_42, seen));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::Duration;

pub use redis as client;

use redis::Script;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{
    DEFAULT_OP_TIMEOUT, DEFAULT_RETENTION, decode, encode, generation, millis, seen_error,
    stored_generation, within,
};
use crate::auth::{Generation, Lease, LeasedTokenStore, StoreError, StoreFuture, TokenSet};
use crate::webhooks::{SeenDeliveries, SeenFuture};

/// KEYS: lease, token. ARGV: owner, ttl (ms). The stored generation and set, or nil.
const TRY_LEASE: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return false end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local stored = redis.call('HMGET', KEYS[2], 'generation', 'set')
return {tonumber(stored[1] or '0'), stored[2]}
";

/// KEYS: lease. ARGV: owner, ttl (ms). 1 when extended.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
";

/// KEYS: lease, token. ARGV: owner, fence, set. 1 when saved (and the lease ended).
const SAVE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local generation = tonumber(redis.call('HGET', KEYS[2], 'generation') or '0')
if generation ~= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[2], 'generation', generation + 1, 'set', ARGV[3])
redis.call('DEL', KEYS[1])
return 1
";

/// KEYS: token. ARGV: set.
const PUT: &str = r"
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('HSET', KEYS[1], 'set', ARGV[1])
return 1
";

/// KEYS: lease. ARGV: owner.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
";

/// The connection, the scripts, the key prefix and the time each operation may take.
#[derive(Clone)]
struct Redis {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    scripts: Scripts,
}

#[derive(Clone)]
struct Scripts {
    try_lease: Script,
    renew: Script,
    save: Script,
    put: Script,
    release: Script,
}

impl Redis {
    fn token_key(&self, key: &str) -> String {
        format!("{}:token:{{{key}}}", self.prefix)
    }

    fn lease_key(&self, key: &str) -> String {
        format!("{}:lease:{{{key}}}", self.prefix)
    }

    /// Runs `script` with `keys` and `args`, within the time-out.
    async fn run<T: redis::FromRedisValue>(
        &self,
        script: &Script,
        keys: &[&str],
        args: &[&str],
    ) -> Result<T, StoreError> {
        let mut invocation = script.prepare_invoke();
        for key in keys {
            invocation.key(*key);
        }
        for arg in args {
            invocation.arg(*arg);
        }
        let mut connection = self.connection.clone();
        within(self.timeout, async move {
            invocation
                .invoke_async(&mut connection)
                .await
                .map_err(unavailable)
        })
        .await
    }

    /// Sends `command`, within the time-out.
    async fn command<T: redis::FromRedisValue>(
        &self,
        command: redis::Cmd,
    ) -> Result<T, StoreError> {
        let mut connection = self.connection.clone();
        within(self.timeout, async move {
            command
                .query_async(&mut connection)
                .await
                .map_err(unavailable)
        })
        .await
    }
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection's address may hold a password: not printed.
        f.debug_struct("Redis")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    // A RedisError's text names the command and the server's answer, not the URL or password.
    StoreError::Unavailable(format!("redis: {e}"))
}

/// A [`LeasedTokenStore`] in Redis, keyed by the caller's connection key (see the module
/// documentation for the keys). Share one per process (in an `Arc`) across all connections;
/// wrap each connection in a [`LeasedConnection`](crate::auth::LeasedConnection).
#[derive(Clone, Debug)]
pub struct RedisTokenStore {
    redis: Redis,
}

impl RedisTokenStore {
    /// A store on the Redis at `url` (`redis://[:password@]host:port/db`), connected when
    /// first used and reconnected after a failure. Fails when `url` does not parse, or when
    /// called outside a Tokio runtime (the connection's task needs one).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(StoreError::Other(
                "RedisTokenStore::connect must be called inside a Tokio runtime".into(),
            ));
        }
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Other(format!("redis: the URL does not parse: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(DEFAULT_OP_TIMEOUT))
            .set_response_timeout(Some(DEFAULT_OP_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection =
            ConnectionManager::new_lazy_with_config(client, config).map_err(unavailable)?;
        Ok(Self::from_connection(connection))
    }

    /// A store on `connection` (your TLS, time-outs and reconnection policy).
    pub fn from_connection(connection: ConnectionManager) -> Self {
        Self {
            redis: Redis {
                connection,
                prefix: "ehr".to_string(),
                timeout: DEFAULT_OP_TIMEOUT,
                scripts: Scripts {
                    try_lease: Script::new(TRY_LEASE),
                    renew: Script::new(RENEW),
                    save: Script::new(SAVE),
                    put: Script::new(PUT),
                    release: Script::new(RELEASE),
                },
            },
        }
    }

    /// The prefix of every key (`ehr` unless set), to share one Redis between applications.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.redis.prefix = prefix.into();
        self
    }

    /// How long one operation may take before it fails with [`StoreError::Unavailable`]
    /// ([`DEFAULT_OP_TIMEOUT`] unless set).
    pub fn op_timeout(mut self, limit: Duration) -> Self {
        self.redis.timeout = limit;
        self
    }

    /// A [`SeenDeliveries`] on the same connection and prefix, remembering each delivery id
    /// for `retention` ([`DEFAULT_RETENTION`] is a week).
    pub fn seen_deliveries(&self, retention: Duration) -> RedisSeenDeliveries {
        RedisSeenDeliveries {
            redis: self.redis.clone(),
            retention,
        }
    }
}

impl LeasedTokenStore for RedisTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Generation>> {
        Box::pin(async move {
            let mut command = redis::cmd("HMGET");
            command
                .arg(self.redis.token_key(key))
                .arg("generation")
                .arg("set");
            let (at, set): (Option<i64>, Option<String>) = self.redis.command(command).await?;
            Ok(match set {
                Some(set) => Some(Generation {
                    set: decode(&set)?,
                    generation: generation(at.unwrap_or(0)),
                }),
                None => None,
            })
        })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, Option<Lease>> {
        Box::pin(async move {
            let (lease, token) = (self.redis.lease_key(key), self.redis.token_key(key));
            let granted: Option<(i64, Option<String>)> = self
                .redis
                .run(
                    &self.redis.scripts.try_lease,
                    &[&lease, &token],
                    &[owner, &millis(ttl).to_string()],
                )
                .await?;
            let Some((at, set)) = granted else {
                return Ok(None);
            };
            Ok(Some(Lease {
                key: key.to_string(),
                owner: owner.to_string(),
                generation: generation(at),
                stored: set.as_deref().map(decode).transpose()?,
            }))
        })
    }

    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        Box::pin(async move {
            let key = self.redis.lease_key(&lease.key);
            let renewed: i64 = self
                .redis
                .run(
                    &self.redis.scripts.renew,
                    &[&key],
                    &[&lease.owner, &millis(ttl).to_string()],
                )
                .await?;
            Ok(renewed == 1)
        })
    }

    fn save<'a>(&'a self, lease: &'a Lease, fence: u64, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(set)?;
            let (key, token) = (
                self.redis.lease_key(&lease.key),
                self.redis.token_key(&lease.key),
            );
            let saved: i64 = self
                .redis
                .run(
                    &self.redis.scripts.save,
                    &[&key, &token],
                    &[&lease.owner, &stored_generation(fence).to_string(), &json],
                )
                .await?;
            if saved == 1 {
                Ok(())
            } else {
                Err(StoreError::LeaseLost)
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = encode(set)?;
            let token = self.redis.token_key(key);
            self.redis
                .run::<i64>(&self.redis.scripts.put, &[&token], &[&json])
                .await
                .map(drop)
        })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let key = self.redis.lease_key(&lease.key);
            self.redis
                .run::<i64>(&self.redis.scripts.release, &[&key], &[&lease.owner])
                .await
                .map(drop)
        })
    }
}

/// A [`SeenDeliveries`] in Redis: `SET … NX PX retention` per delivery id, so a delivery
/// redelivered to any replica is processed once. Made by
/// [`RedisTokenStore::seen_deliveries`] (same connection and prefix).
#[derive(Clone, Debug)]
pub struct RedisSeenDeliveries {
    redis: Redis,
    retention: Duration,
}

impl RedisSeenDeliveries {
    /// On the Redis at `url`, with the default retention (see [`RedisTokenStore::connect`]).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(RedisTokenStore::connect(url)?.seen_deliveries(DEFAULT_RETENTION))
    }

    fn key(&self, id: &str) -> String {
        format!("{}:seen:{id}", self.redis.prefix)
    }
}

impl SeenDeliveries for RedisSeenDeliveries {
    fn first_time<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        Box::pin(async move {
            let mut command = redis::cmd("SET");
            command
                .arg(self.key(id))
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis(self.retention));
            let set: Option<String> = self.redis.command(command).await.map_err(seen_error)?;
            Ok(set.is_some())
        })
    }

    fn forget<'a>(&'a self, id: &'a str) -> SeenFuture<'a> {
        Box::pin(async move {
            let mut command = redis::cmd("DEL");
            command.arg(self.key(id));
            let gone: i64 = self.redis.command(command).await.map_err(seen_error)?;
            Ok(gone == 1)
        })
    }
}
