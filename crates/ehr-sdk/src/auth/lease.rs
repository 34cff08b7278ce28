//! Token stores shared by many holders (replicas, processes): tokens by connection, and a
//! lease instead of a held lock, so a refresh token is spent once however many holders race.
//!
//! The protocol, for any [`LeasedTokenStore`]:
//! 1. **in process first**: one [`TokenCache`](super::TokenCache) fetches once for all its
//!    callers (single flight), so a replica makes one lease request per connection;
//! 2. **lease**: [`try_lease`](LeasedTokenStore::try_lease) grants the connection to one
//!    owner until an expiry; a holder that dies (killed, partitioned) loses it when it
//!    expires, so no one waits forever; the holder renews it while its refresh is in flight;
//! 3. **re-read**: the lease comes with the stored set ([`Lease::stored`], read in the same
//!    round trip), so whoever gets it uses the tokens the previous holder saved instead of
//!    refreshing again;
//! 4. **fenced save**: a save names the lease and the generation the holder read
//!    ([`save`](LeasedTokenStore::save)); it is refused ([`StoreError::LeaseLost`]) unless the
//!    lease is still this holder's and the stored generation is the one read, so a holder whose
//!    lease expired mid-refresh can never overwrite a newer set. A save ends the lease.
//!
//! A refresh through [`LeasedConnection`] costs three round trips to the store (the read that
//! finds the token expired, the lease with its re-read, the fenced save); a call whose token
//! is still fresh costs none (the client's token cache answers it).
//!
//! [`LeasedConnection`] runs steps 2–4 for one connection behind the [`TokenStore`] interface a
//! token source uses (DrChrono's `RefreshingTokenSource`). [`MemoryLeasedStore`] keeps
//! everything in memory, for one process (tests, or several clients of one connection).

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::TokenSet;
use super::store::{StoreError, StoreFuture, StoreLock, TokenStore};

/// One holder's right to refresh one connection's tokens, from
/// [`LeasedTokenStore::try_lease`], with the set stored when it was granted.
#[derive(Clone, Debug, PartialEq)]
pub struct Lease {
    /// The connection (the caller's key: vendor, tenant, user, …).
    pub key: String,
    /// Who holds it (unique per holder).
    pub owner: String,
    /// The generation stored when the lease was granted (0: nothing stored yet): the set a
    /// save may replace.
    pub generation: u64,
    /// The set stored when the lease was granted (read in the same round trip).
    pub stored: Option<TokenSet>,
}

/// A set as stored, with its generation (one more with each save).
#[derive(Clone, Debug, PartialEq)]
pub struct Generation {
    /// The tokens.
    pub set: TokenSet,
    /// How many saves made it (the first is 1).
    pub generation: u64,
}

/// A token store for many holders, keyed by connection, with leases and fenced saves (see the
/// module documentation). Every method is one round trip to the store.
pub trait LeasedTokenStore: fmt::Debug + Send + Sync + 'static {
    /// The set stored for `key`, with its generation.
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Generation>>;

    /// Grants `owner` the lease on `key` for `ttl` when no one holds it or its holder's lease
    /// has expired (or `owner` holds it already: it is extended), with the set stored then;
    /// `None` while another holder's lease runs.
    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, Option<Lease>>;

    /// Extends `lease` by `ttl` from now; `false` when it is no longer this holder's.
    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool>;

    /// Stores `set` if `lease` is still its holder's and the stored generation is `fence` (the
    /// one the holder read before refreshing), as generation `fence + 1`, and ends the lease;
    /// otherwise [`StoreError::LeaseLost`], and the stored set stays.
    fn save<'a>(&'a self, lease: &'a Lease, fence: u64, set: &'a TokenSet) -> StoreFuture<'a, ()>;

    /// Stores `set` whatever is stored (a new authorization: a code exchange), as the next
    /// generation.
    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> StoreFuture<'a, ()>;

    /// Gives `lease` up, if it is still this holder's.
    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()>;
}

/// A [`LeasedTokenStore`] in memory, for one process.
#[derive(Debug, Default)]
pub struct MemoryLeasedStore {
    rows: Mutex<HashMap<String, Row>>,
}

#[derive(Debug, Default)]
struct Row {
    stored: Option<Generation>,
    lease: Option<(String, Instant)>,
}

impl MemoryLeasedStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_row<T>(&self, key: &str, f: impl FnOnce(&mut Row) -> T) -> T {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        f(rows.entry(key.to_string()).or_default())
    }
}

impl Row {
    fn generation(&self) -> u64 {
        self.stored.as_ref().map_or(0, |s| s.generation)
    }

    fn held_by(&self, owner: &str) -> bool {
        self.lease
            .as_ref()
            .is_some_and(|(holder, until)| holder == owner && Instant::now() < *until)
    }
}

impl LeasedTokenStore for MemoryLeasedStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<Generation>> {
        let stored = self.with_row(key, |row| row.stored.clone());
        Box::pin(async move { Ok(stored) })
    }

    fn try_lease<'a>(
        &'a self,
        key: &'a str,
        owner: &'a str,
        ttl: Duration,
    ) -> StoreFuture<'a, Option<Lease>> {
        let granted = self.with_row(key, |row| {
            let now = Instant::now();
            let free = match &row.lease {
                Some((holder, until)) => holder == owner || *until <= now,
                None => true,
            };
            free.then(|| {
                row.lease = Some((owner.to_string(), now + ttl));
                Lease {
                    key: key.to_string(),
                    owner: owner.to_string(),
                    generation: row.generation(),
                    stored: row.stored.as_ref().map(|s| s.set.clone()),
                }
            })
        });
        Box::pin(async move { Ok(granted) })
    }

    fn renew<'a>(&'a self, lease: &'a Lease, ttl: Duration) -> StoreFuture<'a, bool> {
        let renewed = self.with_row(&lease.key, |row| {
            let held = row.held_by(&lease.owner);
            if held {
                row.lease = Some((lease.owner.clone(), Instant::now() + ttl));
            }
            held
        });
        Box::pin(async move { Ok(renewed) })
    }

    fn save<'a>(&'a self, lease: &'a Lease, fence: u64, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        let saved = self.with_row(&lease.key, |row| {
            let current = row.held_by(&lease.owner) && row.generation() == fence;
            if current {
                row.stored = Some(Generation {
                    set: set.clone(),
                    generation: fence + 1,
                });
                row.lease = None;
            }
            current
        });
        Box::pin(async move {
            if saved {
                Ok(())
            } else {
                Err(StoreError::LeaseLost)
            }
        })
    }

    fn put<'a>(&'a self, key: &'a str, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        self.with_row(key, |row| {
            let generation = row.generation() + 1;
            row.stored = Some(Generation {
                set: set.clone(),
                generation,
            });
        });
        Box::pin(async { Ok(()) })
    }

    fn release<'a>(&'a self, lease: &'a Lease) -> StoreFuture<'a, ()> {
        self.with_row(&lease.key, |row| {
            if row
                .lease
                .as_ref()
                .is_some_and(|(holder, _)| *holder == lease.owner)
            {
                row.lease = None;
            }
        });
        Box::pin(async { Ok(()) })
    }
}

/// How long a lease runs unless told otherwise: long enough for a token request, short enough
/// that a holder that died delays the others by seconds.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);

/// How long a holder waits for a lease another keeps renewing, unless told otherwise.
pub const DEFAULT_LEASE_WAIT: Duration = Duration::from_secs(30);

/// One connection of a [`LeasedTokenStore`], as the [`TokenStore`] a token source uses:
/// [`lock`](TokenStore::lock) takes the lease (waiting while another holder's runs, renewing
/// it while held, giving it up when dropped), [`load`](TokenStore::load) re-reads the set and
/// notes its generation, and [`save`](TokenStore::save) is fenced by the lease and that
/// generation.
///
/// A wait for the lease also ends, without it, as soon as the holder it waited for saves a
/// newer set: that set is the next [`load`](TokenStore::load), so the waiters of a refresh
/// use its tokens at once instead of taking the lease in turn. Should a waiter still need to
/// refresh (the API refused the new token), its save takes the lease then, fenced by the
/// generation it read.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use ehr_sdk::auth::{LeasedConnection, MemoryLeasedStore, TokenStore};
///
/// let store = Arc::new(MemoryLeasedStore::new());
/// // Two holders of one connection (two replicas, say).
/// let one = LeasedConnection::new(store.clone(), "drchrono/practice-42/user-7");
/// let two = LeasedConnection::new(store, "drchrono/practice-42/user-7");
/// let held = one.lock().await.unwrap();
/// assert!(!two.is_free().await.unwrap(), "the lease is one holder's at a time");
/// drop(held);
/// # });
/// ```
pub struct LeasedConnection {
    store: Arc<dyn LeasedTokenStore>,
    key: String,
    owner: String,
    ttl: Duration,
    max_wait: Duration,
    state: Arc<Mutex<Held>>,
}

/// The longest pause between two polls of a lease another holder has.
const MAX_POLL: Duration = Duration::from_millis(250);

/// How a wait for the lease ended.
enum Acquired {
    /// This holder has it.
    Lease(Lease),
    /// Another holder saved a newer set meanwhile (no lease needed to use it).
    Saved(Generation),
}

/// The lease this holder has, the set read with it (not yet handed out), and the generation
/// it last read.
#[derive(Default)]
struct Held {
    lease: Option<Lease>,
    snapshot: Option<Option<TokenSet>>,
    read: Option<u64>,
}

impl LeasedConnection {
    /// The connection `key` of `store`, held by a new, unique owner.
    pub fn new(store: Arc<dyn LeasedTokenStore>, key: impl Into<String>) -> Self {
        Self {
            store,
            key: key.into(),
            owner: format!("{:032x}", fastrand::u128(..)),
            ttl: DEFAULT_LEASE,
            max_wait: DEFAULT_LEASE_WAIT,
            state: Arc::default(),
        }
    }

    /// How long each lease runs before it must be renewed ([`DEFAULT_LEASE`] unless set); it
    /// is renewed every third of that while held.
    pub fn lease_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl.max(Duration::from_millis(30));
        self
    }

    /// How long [`lock`](TokenStore::lock) waits for a lease another holder keeps renewing
    /// before failing with [`StoreError::LeaseBusy`] ([`DEFAULT_LEASE_WAIT`] unless set).
    pub fn max_wait(mut self, wait: Duration) -> Self {
        self.max_wait = wait;
        self
    }

    /// Whether no other holder's lease runs now (for tests and diagnostics; takes and gives
    /// back the lease when it is free).
    pub async fn is_free(&self) -> Result<bool, StoreError> {
        let probe = format!("{}-probe", self.owner);
        match self.store.try_lease(&self.key, &probe, self.ttl).await? {
            Some(lease) => {
                self.store.release(&lease).await?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// The lease, waiting while another holder's runs (backing off, with jitter, up to
    /// [`MAX_POLL`] or a quarter of the lease), for at most `max_wait`. With `read` (the
    /// generation this holder read), the wait also ends when another holder saved a newer
    /// generation: its set is what the lease would have given.
    async fn acquire(&self, read: Option<u64>) -> Result<Acquired, StoreError> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(10);
        loop {
            if let Some(lease) = self
                .store
                .try_lease(&self.key, &self.owner, self.ttl)
                .await?
            {
                return Ok(Acquired::Lease(lease));
            }
            if started.elapsed() >= self.max_wait {
                return Err(StoreError::LeaseBusy);
            }
            let jitter = Duration::from_micros(fastrand::u64(..=pause.as_micros() as u64 / 2));
            tokio::time::sleep(pause + jitter).await;
            pause = (pause * 2).min(MAX_POLL).min(self.ttl / 4);
            if let Some(read) = read
                && let Some(stored) = self.store.load(&self.key).await?
                && stored.generation != read
            {
                return Ok(Acquired::Saved(stored));
            }
        }
    }

    /// The lease, for a save that has none.
    async fn lease(&self) -> Result<Lease, StoreError> {
        match self.acquire(None).await? {
            Acquired::Lease(lease) => Ok(lease),
            // Only a wait given a generation ends with one saved.
            Acquired::Saved(_) => Err(StoreError::LeaseBusy),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for LeasedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeasedConnection")
            .field("store", &self.store)
            .field("key", &self.key)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

impl TokenStore for LeasedConnection {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        Box::pin(async move {
            // The first read under a lease is the one that came with it: no round trip.
            if let Some(snapshot) = self.held().snapshot.take() {
                return Ok(snapshot);
            }
            let stored = self.store.load(&self.key).await?;
            self.held().read = Some(stored.as_ref().map_or(0, |s| s.generation));
            Ok(stored.map(|s| s.set))
        })
    }

    fn save<'a>(&'a self, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let (lease, read) = {
                let held = self.held();
                (held.lease.clone(), held.read)
            };
            match (lease, read) {
                // Fenced by the lease and the generation read under it.
                (Some(lease), Some(read)) => {
                    self.store.save(&lease, read, set).await?;
                    // The save ended the lease: nothing to give up.
                    let mut held = self.held();
                    held.lease = None;
                    held.read = Some(read + 1);
                    Ok(())
                }
                // A set refreshed under a lease since given up (its first save failed): saved
                // under a new lease, fenced by the generation it was refreshed from, so a
                // newer set stored meanwhile is kept.
                (None, Some(read)) => {
                    let lease = self.lease().await?;
                    if let Err(refused) = self.store.save(&lease, read, set).await {
                        self.store.release(&lease).await?;
                        return Err(refused);
                    }
                    self.held().read = Some(read + 1);
                    Ok(())
                }
                // Nothing read yet (a code exchange): a new authorization.
                (_, None) => self.store.put(&self.key, set).await,
            }
        })
    }

    fn lock(&self) -> StoreFuture<'_, StoreLock> {
        Box::pin(async move {
            let read = self.held().read;
            let lease = match self.acquire(read).await? {
                Acquired::Lease(lease) => lease,
                // Another holder refreshed while this one waited: its set is the next read, and
                // a save (should this holder still refresh) takes a lease then, fenced by it.
                Acquired::Saved(stored) => {
                    let mut held = self.held();
                    held.read = Some(stored.generation);
                    held.snapshot = Some(Some(stored.set));
                    drop(held);
                    return Ok(StoreLock::holding(Waited {
                        state: self.state.clone(),
                    }));
                }
            };
            {
                let mut held = self.held();
                held.read = Some(lease.generation);
                held.snapshot = Some(lease.stored.clone());
                held.lease = Some(lease.clone());
            }
            // Renewed while held: a refresh slower than the lease keeps it.
            let renewal = {
                let (store, lease, ttl) = (self.store.clone(), lease.clone(), self.ttl);
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(ttl / 3).await;
                        if !matches!(store.renew(&lease, ttl).await, Ok(true)) {
                            return;
                        }
                    }
                })
            };
            Ok(StoreLock::holding(Holding {
                store: self.store.clone(),
                state: self.state.clone(),
                lease,
                renewal,
            }))
        })
    }
}

/// The end of a wait for the lease without it (another holder saved meanwhile): dropping it
/// forgets the set read with it if it was not used.
struct Waited {
    state: Arc<Mutex<Held>>,
}

impl Drop for Waited {
    fn drop(&mut self) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshot = None;
    }
}

/// A lease held through a [`StoreLock`]: dropping it stops the renewal and gives it up.
struct Holding {
    store: Arc<dyn LeasedTokenStore>,
    state: Arc<Mutex<Held>>,
    lease: Lease,
    renewal: tokio::task::JoinHandle<()>,
}

impl Drop for Holding {
    fn drop(&mut self) {
        self.renewal.abort();
        let still_held = {
            let mut held = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            held.snapshot = None;
            held.lease.take().is_some()
        };
        // A save ended it already.
        if !still_held {
            return;
        }
        let (store, lease) = (self.store.clone(), self.lease.clone());
        // Given up in the background: a lease not given up expires on its own.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = store.release(&lease).await;
            });
        }
    }
}
