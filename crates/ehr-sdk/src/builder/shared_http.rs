//! The HTTP clients builders share: one per distinct tuning (timeouts, user agent), made on
//! first use, so that a thousand tenants' clients share one connection pool and one TLS set-up
//! instead of paying for their own.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use super::BuildError;

/// What makes two builders' HTTP clients interchangeable.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct Tuning {
    pub(super) timeout: Duration,
    pub(super) connect_timeout: Duration,
    pub(super) user_agent: String,
}

/// The most distinct tunings kept: past it (a user agent per tenant, say), each builder makes
/// a client of its own, as an unshared one would be, rather than growing the map without end.
pub(super) const MAX_TUNINGS: usize = 64;

/// The shared client of `tuning`, made on first use.
pub(super) fn client(tuning: Tuning) -> Result<reqwest::Client, BuildError> {
    static SHARED: OnceLock<Mutex<HashMap<Tuning, reqwest::Client>>> = OnceLock::new();
    let shared = SHARED.get_or_init(Mutex::default);
    if let Some(client) = lock(shared).get(&tuning) {
        return Ok(client.clone());
    }
    // Built outside the lock (tens of milliseconds: TLS roots); two first builders of one
    // tuning may both build, and the first stored is kept.
    let client = ehr_runtime::http_client_builder()
        .timeout(tuning.timeout)
        .connect_timeout(tuning.connect_timeout)
        .user_agent(tuning.user_agent.clone())
        .build()
        .map_err(|e| BuildError::HttpClient(e.without_url()))?;
    let mut map = lock(shared);
    if map.len() >= MAX_TUNINGS && !map.contains_key(&tuning) {
        return Ok(client);
    }
    Ok(map.entry(tuning).or_insert(client).clone())
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
