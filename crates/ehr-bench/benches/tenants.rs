//! What each additional tenant's client costs: heap still held per client and time to build
//! one, for DrChrono (OAuth with a token store of its own), Elation (client credentials) and
//! Health Gorilla (`as_user` for one more login), built the way the README shows, with no
//! HTTP client given (the builders share one per process). Run with `cargo xtask bench`
//! (after the façade benchmark) or `cargo bench -p ehr-bench --bench tenants`.
//!
//! For comparison it also builds a few clients each with an HTTP client of its own
//! (`.http_client(HttpClient::new()?)`), as every builder did before it shared one.
//!
//! Targets (issue #32): ≤ 2 KiB and ≤ 100 µs per additional tenant client. Wall clock on a
//! shared machine is noisy: the time is the median of each build.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::{Duration, Instant};

/// Net heap held (allocated less freed), by every thread.
struct Counting;
static HELD: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            HELD.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        HELD.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const TENANTS: usize = 2_000;
/// Clients built with an HTTP client of their own (slow: tens of milliseconds each).
const UNSHARED: usize = 20;

/// Builds `n` clients with `build` (after one to warm up), keeping them all: the heap held per
/// client and the median build time.
fn measure<T>(n: usize, mut build: impl FnMut(usize) -> T) -> (f64, Duration) {
    drop(build(usize::MAX));
    let mut kept = Vec::with_capacity(n);
    let mut times = Vec::with_capacity(n);
    let before = HELD.load(Ordering::Relaxed);
    for i in 0..n {
        let started = Instant::now();
        let client = build(i);
        times.push(started.elapsed());
        kept.push(client);
    }
    let held = HELD.load(Ordering::Relaxed) - before;
    // The two vectors of the measurement are not the clients' cost.
    let own = (times.capacity() * std::mem::size_of::<Duration>()) as isize;
    let per = (held - own).max(0) as f64 / n as f64;
    times.sort();
    drop(kept);
    (per, times[times.len() / 2])
}

fn row(what: &str, (bytes, time): (f64, Duration)) {
    let (kib, us) = (bytes / 1024.0, time.as_secs_f64() * 1e6);
    let met = if kib <= 2.0 && us <= 100.0 {
        "met"
    } else {
        "NOT met"
    };
    println!("   {what:<52} {kib:>8.2} KiB {us:>10.1} µs   {met}");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let _entered = runtime.enter();

    println!(
        "3. per-tenant cost: heap held and median build time per additional client \
         ({TENANTS} built and kept; target ≤ 2 KiB and ≤ 100 µs)"
    );
    let drchrono = |i: usize| {
        ehr_sdk::drchrono::Client::builder()
            .oauth(format!("client-{i}"), "secret", "https://app.example/cb")
            .token_store(ehr_sdk::auth::MemoryTokenStore::new())
            .build()
            .expect("builds")
    };
    row(
        "DrChrono (OAuth, a token store each)",
        measure(TENANTS, drchrono),
    );
    let elation = |i: usize| {
        ehr_sdk::elation::Client::builder()
            .sandbox()
            .client_credentials(format!("practice-{i}"), "secret")
            .build()
            .expect("builds")
    };
    row("Elation (client credentials)", measure(TENANTS, elation));
    let healthgorilla = ehr_sdk::healthgorilla::Client::builder()
        .sandbox()
        .client_credentials("client-id", "secret")
        .build()
        .expect("builds");
    row(
        "Health Gorilla as_user (one more login)",
        measure(TENANTS, |i| {
            healthgorilla
                .as_user(&format!("user-{i}"))
                .expect("a login")
        }),
    );
    println!("   for comparison, an HTTP client of its own per client ({UNSHARED} built):");
    row(
        "Elation, .http_client(HttpClient::new()?) each",
        measure(UNSHARED, |i| {
            ehr_sdk::elation::Client::builder()
                .sandbox()
                .client_credentials(format!("practice-{i}"), "secret")
                .http_client(ehr_sdk::builder::HttpClient::new().expect("a client"))
                .build()
                .expect("builds")
        }),
    );
}
