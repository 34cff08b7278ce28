//! Where token sets are kept between runs.

use std::fmt;
use std::future::Future;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;

use super::TokenSet;
use super::token::StoredTokenSet;

pub use ehr_runtime::StoreError;

/// The future a [`TokenStore`] returns.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

/// Keeps the current [`TokenSet`] of one connection (one user's authorization).
///
/// A refresh spends the refresh token; the new one is saved here **before** the new access
/// token is used, so a crash at any point leaves a usable refresh token behind.
pub trait TokenStore: fmt::Debug + Send + Sync + 'static {
    /// The stored set, if any.
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>>;
    /// Replaces the stored set. Must not return before the set is durable.
    fn save<'a>(&'a self, set: &'a TokenSet) -> StoreFuture<'a, ()>;

    /// Waits until this holder alone may refresh the stored tokens, and holds that right until
    /// the returned lock is dropped. Stores shared by several clients or processes implement it
    /// (a refresh token spent twice is refused, and DrChrono's user must then re-consent);
    /// the default holds nothing, for stores that only one client uses.
    fn lock(&self) -> StoreFuture<'_, StoreLock> {
        Box::pin(async { Ok(StoreLock::none()) })
    }
}

/// The right to refresh a store's tokens, from [`TokenStore::lock`]; released when dropped.
pub struct StoreLock(Option<Box<dyn std::any::Any + Send + Sync>>);

impl StoreLock {
    /// A lock that holds nothing.
    pub fn none() -> Self {
        Self(None)
    }

    /// A lock held for as long as `guard` lives.
    pub fn holding(guard: impl std::any::Any + Send + Sync) -> Self {
        Self(Some(Box::new(guard)))
    }
}

impl fmt::Debug for StoreLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "StoreLock(held)"
        } else {
            "StoreLock(none)"
        })
    }
}

/// A store in memory: for tests, and for apps that persist tokens themselves.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    set: Mutex<Option<TokenSet>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `set`.
    pub fn with(set: TokenSet) -> Self {
        Self {
            set: Mutex::new(Some(set)),
        }
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let set = self.set.lock().map(|s| s.clone()).unwrap_or_default();
        Box::pin(async move { Ok(set) })
    }

    fn save<'a>(&'a self, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let mut slot = self
                .set
                .lock()
                .map_err(|_| StoreError::Other("memory store lock poisoned".into()))?;
            *slot = Some(set.clone());
            Ok(())
        })
    }
}

/// A store in one JSON file, written atomically (a temporary file in the same directory,
/// flushed to disk, then renamed over the old one) and readable by its owner only (mode 0600 on
/// Unix). A crash mid-write leaves the previous file intact.
///
/// Clients and processes sharing one file refresh one at a time: [`lock`](TokenStore::lock)
/// takes an advisory lock on `<file>.lock` beside it, and whoever gets it second finds the
/// tokens the first one saved instead of spending the same refresh token again.
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store at `path`; the file is created on the first save.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl TokenStore for FileTokenStore {
    fn load(&self) -> StoreFuture<'_, Option<TokenSet>> {
        let path = self.path.clone();
        Box::pin(async move {
            let read = tokio::task::spawn_blocking(move || std::fs::read(path))
                .await
                .map_err(|e| StoreError::Other(format!("load task failed: {e}")))?;
            match read {
                Ok(bytes) => {
                    let stored: StoredTokenSet =
                        serde_json::from_slice(&bytes).map_err(StoreError::Corrupt)?;
                    Ok(Some(stored.into()))
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(StoreError::Io(e)),
            }
        })
    }

    fn lock(&self) -> StoreFuture<'_, StoreLock> {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        let path = self.path.with_file_name(name);
        Box::pin(async move {
            let file = tokio::task::spawn_blocking(move || {
                let mut options = std::fs::OpenOptions::new();
                options.read(true).write(true).create(true).truncate(false);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let file = options.open(&path)?;
                file.lock()?;
                Ok::<_, std::io::Error>(file)
            })
            .await
            .map_err(|e| StoreError::Other(format!("lock task failed: {e}")))?
            .map_err(StoreError::Io)?;
            // Closing the file releases the lock.
            Ok(StoreLock::holding(file))
        })
    }

    fn save<'a>(&'a self, set: &'a TokenSet) -> StoreFuture<'a, ()> {
        let path = self.path.clone();
        let json = serde_json::to_vec(&StoredTokenSet::from(set));
        Box::pin(async move {
            let json = json.map_err(StoreError::Corrupt)?;
            tokio::task::spawn_blocking(move || write_atomically(&path, &json))
                .await
                .map_err(|e| StoreError::Other(format!("save task failed: {e}")))?
                .map_err(StoreError::Io)
        })
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // A temporary file with a random name, created exclusively (O_EXCL: a planted file or
    // symlink is never opened) and owner-only (0600) from its creation; each save has its own,
    // so concurrent saves cannot truncate each other's. It is removed if anything fails.
    let mut tmp = tempfile::Builder::new()
        .prefix(".token-store-")
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable.
    #[cfg(unix)]
    std::fs::File::open(&dir)?.sync_all()?;
    Ok(())
}
