//! Façade overhead, measured on loopback: run with `cargo xtask bench` (wall clock) or
//! `cargo xtask bench --instructions` (instruction counts under valgrind's callgrind).
//!
//! Kinds of call compared, each the same `GET /api/doctors/1` decoded into DrChrono's `Doctor`:
//! - `raw`: raw reqwest, then `serde_json` into the type;
//! - `elation`: a generated client on a plain runtime, Elation's (`users_retrieve`);
//! - `drchrono`: the generated DrChrono client on a plain runtime (no token cache, retries,
//!   redirects or tracing);
//! - `facade`: the DrChrono façade, full pipeline (token cache, retry policy, redirect
//!   handling, tracing);
//!
//! and for paging, records of `GET /api/patients` in pages of 250:
//! - `raw-paging`: a raw reqwest loop following `next`;
//! - `facade-paging`: `patients_list().items()` with prefetch.
//!
//! Wall-clock mode (no `BENCH_ONLY`) prints:
//! 1. one call of each kind, run in blocks whose order rotates every round: the median of each
//!    kind over `BENCH_CALLS` calls (default 10,000) and its ratio to raw;
//! 2. paging 100,000 records: records per second of each side, their ratio (target ≥ 0.95) and
//!    the peak heap of each;
//! 3. token requests made for 1,000 concurrent calls needing a token (target 1).
//!
//! `BENCH_ONLY=<kind>` makes `BENCH_CALLS` calls of that kind only (for paging kinds,
//! `BENCH_CALLS` pages) and prints nothing: `cargo xtask bench --instructions` runs it under
//! callgrind twice per kind and divides the difference in instructions by the difference in
//! calls (or records), so start-up costs cancel out.
//!
//! The server is a minimal keep-alive HTTP/1.1 server in this process, on 127.0.0.1, running on
//! its own thread and runtime; the client side runs on a single-threaded runtime.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ehr_sdk::auth::{MemoryTokenStore, TokenCache, TokenSet};
use ehr_sdk::drchrono::api::types::{Doctor, PaginatedPatientList};
use ehr_sdk::pagination::Paginate;
use futures::TryStreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

// ---- peak-heap accounting -------------------------------------------------------------------

// Counted only on the client thread and only inside `peak_during`: shared counters updated on
// every allocation by both threads would bounce one cache line between the two cores and slow
// every call down by more than the overhead being measured.
struct Counting;
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);
thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
}

fn tracking() -> bool {
    TRACKING.try_with(Cell::get).unwrap_or(false)
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && tracking() {
            let size = layout.size() as isize;
            let now = CURRENT.fetch_add(size, Ordering::Relaxed) + size;
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        ptr
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if tracking() {
            CURRENT.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Peak heap growth, on this thread, above the level at the start of `f`.
async fn peak_during<T>(f: impl std::future::Future<Output = T>) -> (T, usize) {
    CURRENT.store(0, Ordering::Relaxed);
    PEAK.store(0, Ordering::Relaxed);
    TRACKING.with(|t| t.set(true));
    let out = f.await;
    TRACKING.with(|t| t.set(false));
    (out, PEAK.load(Ordering::Relaxed).max(0) as usize)
}

// ---- the server -----------------------------------------------------------------------------

const RECORDS: usize = 100_000;
const PAGE: usize = 250;

fn patient(id: usize) -> String {
    format!(
        r#"{{"id":{id},"doctor":5,"first_name":"Pat{id}","last_name":"Doe","middle_name":"","date_of_birth":"1980-04-12","gender":"Female","email":"p{id}@example.org","cell_phone":"(415) 555-0100","address":"1 Main St","city":"San Francisco","state":"CA","zip_code":"94110","chart_id":"DOPA{id:06}","patient_status":"A","offices":[1,7],"created_at":"2014-02-24T15:32:19","updated_at":"2021-08-01T09:00:00","ethnicity":"blank","race":"declined","preferred_language":"eng","nick_name":null}}"#
    )
}

fn page_body(base: &str, page: usize) -> String {
    let first = (page - 1) * PAGE;
    let results: Vec<String> = (first..(first + PAGE).min(RECORDS)).map(patient).collect();
    let pages = RECORDS.div_ceil(PAGE);
    let next = if page < pages {
        format!(
            r#""{base}/api/patients?page={}&page_size={PAGE}""#,
            page + 1
        )
    } else {
        "null".into()
    };
    format!(
        r#"{{"next":{next},"previous":null,"results":[{}]}}"#,
        results.join(",")
    )
}

async fn serve(
    listener: tokio::net::TcpListener,
    pages: Arc<Vec<String>>,
    tokens: Arc<AtomicUsize>,
) {
    let doctor = r#"{"id":1,"first_name":"Gary","last_name":"Leung","specialty":"Cardiology","country":"US","timezone":"US/Pacific","practice_group_name":"Bay","is_account_suspended":false,"email":"","npi_number":"1234567893"}"#;
    loop {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let _ = socket.set_nodelay(true);
        let pages = pages.clone();
        let tokens = tokens.clone();
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(8192);
            loop {
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    let mut chunk = [0u8; 8192];
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                let length: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let mut chunk = [0u8; 8192];
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                buf.drain(..head_end + length);
                let target = head.split(' ').nth(1).unwrap_or("/");
                let body: &str = if target.starts_with("/o/token/") {
                    tokens.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    r#"{"access_token":"at2","refresh_token":"rt2","expires_in":172800}"#
                } else if target.starts_with("/api/patients") {
                    let page = target
                        .split(['?', '&'])
                        .find_map(|kv| kv.strip_prefix("page="))
                        .and_then(|v| v.parse::<usize>().ok())
                        .unwrap_or(1);
                    pages.get(page - 1).map(String::as_str).unwrap_or("{}")
                } else {
                    doctor
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                    body.len()
                );
                if socket.write_all(head.as_bytes()).await.is_err()
                    || socket.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
        });
    }
}

// ---- the measurements -----------------------------------------------------------------------

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fresh_store() -> MemoryTokenStore {
    MemoryTokenStore::with(TokenSet::from_response(
        "at1".into(),
        Some(172_800),
        Some("rt1".into()),
    ))
}

/// Starts the loopback server on its own OS thread with its own single-threaded runtime, so
/// that the client side is never scheduled together with it; returns its base URL.
fn start_server(tokens: Arc<AtomicUsize>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let pages: Vec<String> = (1..=RECORDS.div_ceil(PAGE))
        .map(|p| page_body(&base, p))
        .collect();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener, Arc::new(pages), tokens).await
        });
    });
    base
}

/// The client side runs on one thread (a current-thread runtime): every client in the
/// comparison gets the same scheduling, so the figures measure the code, not thread hops.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let calls: usize = std::env::var("BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let tokens = Arc::new(AtomicUsize::new(0));
    let base = start_server(tokens.clone());

    let shared = ehr_sdk::builder::HttpClient::new().unwrap();
    let http = shared.reqwest().clone();
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(&base)
        .oauth("cid", "secret", "https://app.example/cb")
        .token_store(fresh_store())
        .http_client(shared.clone())
        .build()
        .unwrap();
    let raw_url = format!("{base}/api/doctors/1");
    // The generated clients alone, on a runtime that sends each request as it is.
    let direct = ehr_sdk::drchrono::api::Client::with_runtime(
        &base,
        ehr_runtime::Runtime::new(http.clone(), ehr_runtime::Direct),
    );
    let elation = ehr_sdk::elation::api::Client::with_runtime(
        &base,
        ehr_runtime::Runtime::new(http.clone(), ehr_runtime::Direct),
    );
    let kinds = Kinds {
        client: &client,
        direct: &direct,
        elation: &elation,
        http: &http,
        raw_url: &raw_url,
        base: &base,
    };

    // For callgrind and other profilers: only one kind of call, then exit.
    if let Ok(only) = std::env::var("BENCH_ONLY") {
        match only.as_str() {
            "raw-paging" => drop(kinds.raw_pages(calls).await),
            "facade-paging" => drop(kinds.facade_records(calls * PAGE).await),
            kind => {
                let kind = Kind::from_name(kind).unwrap_or_else(|| {
                    eprintln!("unknown BENCH_ONLY={kind}");
                    std::process::exit(2)
                });
                for _ in 0..calls {
                    kinds.one(kind).await;
                }
            }
        }
        return;
    }

    // 1. one call of each kind, in blocks whose order rotates every round, so that drift and
    // whatever a block leaves behind (idle connections, caches) fall on every kind alike.
    for kind in Kind::ALL {
        for _ in 0..200 {
            kinds.one(kind).await;
        }
    }
    let block = 500;
    let mut times: Vec<Vec<Duration>> = Kind::ALL
        .iter()
        .map(|_| Vec::with_capacity(calls))
        .collect();
    for round in 0..calls.div_ceil(block) {
        for k in 0..Kind::ALL.len() {
            let slot = (round + k) % Kind::ALL.len();
            for _ in 0..block {
                let t = Instant::now();
                kinds.one(Kind::ALL[slot]).await;
                times[slot].push(t.elapsed());
            }
        }
    }
    let medians: Vec<Duration> = times.into_iter().map(median).collect();
    let raw = medians[0];
    println!("1. single call, median of {calls} each (interleaved rounds of {block}):");
    for (kind, m) in Kind::ALL.iter().zip(&medians) {
        let ratio = m.as_secs_f64() / raw.as_secs_f64();
        println!("   {:<9} {m:>10.2?}  {ratio:.3}× raw", kind.name());
    }
    println!("   (targets are set in instructions: `cargo xtask bench --instructions`)");

    // 2. paging 100,000 records.
    let (facade, facade_peak) = peak_during(async {
        let t = Instant::now();
        (kinds.facade_records(RECORDS).await, t.elapsed())
    })
    .await;
    let (raw, raw_peak) = peak_during(async {
        let t = Instant::now();
        (kinds.raw_pages(RECORDS / PAGE).await, t.elapsed())
    })
    .await;
    assert_eq!((facade.0, raw.0), (RECORDS, RECORDS));
    let facade_rate = facade.0 as f64 / facade.1.as_secs_f64();
    let raw_rate = raw.0 as f64 / raw.1.as_secs_f64();
    println!(
        "2. paging {RECORDS} records in pages of {PAGE}: façade {facade_rate:.0}/s (peak heap {:.1} MiB), raw loop {raw_rate:.0}/s (peak heap {:.1} MiB), throughput ratio {:.3} (target ≥ 0.95)",
        facade_peak as f64 / 1048576.0,
        raw_peak as f64 / 1048576.0,
        facade_rate / raw_rate
    );

    // 3. a thousand concurrent calls needing a token.
    tokens.store(0, Ordering::Relaxed);
    let expired = MemoryTokenStore::with(TokenSet::from_response(
        "old".into(),
        Some(-1),
        Some("rt1".into()),
    ));
    let oauth = ehr_sdk::drchrono::DrChronoOAuth::new("cid", "secret", "https://app.example/cb")
        .base_url(&base);
    let cache = Arc::new(TokenCache::new(
        oauth.token_source(expired),
        TokenCache::DEFAULT_SKEW,
    ));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get().await.map(|_| ()) })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    println!(
        "3. token requests for 1000 concurrent calls: {} (target 1)",
        tokens.load(Ordering::Relaxed)
    );
}

/// The kinds of single call compared, in the order the report lists them.
#[derive(Clone, Copy)]
enum Kind {
    Raw,
    Elation,
    DrChrono,
    Facade,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Raw, Kind::Elation, Kind::DrChrono, Kind::Facade];

    fn name(self) -> &'static str {
        match self {
            Kind::Raw => "raw",
            Kind::Elation => "elation",
            Kind::DrChrono => "drchrono",
            Kind::Facade => "facade",
        }
    }

    fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Everything the kinds of call need.
struct Kinds<'a> {
    client: &'a ehr_sdk::drchrono::Client,
    direct: &'a ehr_sdk::drchrono::api::Client,
    elation: &'a ehr_sdk::elation::api::Client,
    http: &'a reqwest::Client,
    raw_url: &'a str,
    base: &'a str,
}

impl Kinds<'_> {
    /// One call of `kind`, its decoded result handed to `black_box`.
    async fn one(&self, kind: Kind) {
        match kind {
            Kind::Raw => {
                let response = self
                    .http
                    .get(self.raw_url)
                    .bearer_auth("at1")
                    .send()
                    .await
                    .unwrap();
                let bytes = response.bytes().await.unwrap();
                let doctor: Doctor = serde_json::from_slice(&bytes).unwrap();
                std::hint::black_box(doctor);
            }
            Kind::Elation => {
                let user = self.elation.users_retrieve().id(1).send().await.unwrap();
                std::hint::black_box(user.into_inner());
            }
            Kind::DrChrono => {
                let doctor = self.direct.doctors_retrieve().id(1).send().await.unwrap();
                std::hint::black_box(doctor.into_inner());
            }
            Kind::Facade => {
                let doctor = self.client.doctors_retrieve().id(1).send().await.unwrap();
                std::hint::black_box(doctor.into_inner());
            }
        }
    }

    /// Pages `records` patients with the façade's `items()` stream; returns how many came.
    async fn facade_records(&self, records: usize) -> usize {
        self.client
            .patients_list()
            .page_size(std::num::NonZeroU64::new(PAGE as u64).unwrap())
            .items()
            .prefetch(true)
            .max_items(records)
            .try_fold(0usize, |n, p| async move {
                std::hint::black_box(p);
                Ok(n + 1)
            })
            .await
            .unwrap()
    }

    /// Reads `pages` pages of patients with a raw reqwest loop following `next`; returns the
    /// records read.
    async fn raw_pages(&self, pages: usize) -> usize {
        let mut url = Some(format!("{}/api/patients?page_size={PAGE}", self.base));
        let mut n = 0;
        for _ in 0..pages {
            let Some(next) = url.take() else { break };
            let bytes = self
                .http
                .get(&next)
                .bearer_auth("at1")
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            let page: PaginatedPatientList = serde_json::from_slice(&bytes).unwrap();
            for p in page.results {
                std::hint::black_box(p);
                n += 1;
            }
            url = page.next;
        }
        n
    }
}
