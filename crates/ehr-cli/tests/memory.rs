//! A list streamed across many pages keeps the `ehr` process's memory flat: its peak resident
//! size (the kernel's `ru_maxrss` of the finished child) with 60 pages is within a small margin
//! of its peak with 6. A test binary of its own, so no other child of this process is counted.

#![cfg(target_os = "linux")]

use std::process::{Command, Stdio};

use httpmock::prelude::*;

/// Records a page.
const PER_PAGE: u64 = 1000;

/// Serves `pages` pages of DrChrono patients at `/api/patients`, linked by `next`.
fn serve(server: &MockServer, pages: u64) -> String {
    for page in 1..=pages {
        let results: Vec<_> = (0..PER_PAGE)
            .map(|i| {
                serde_json::json!({
                    "id": page * 100_000 + i,
                    "first_name": "Jane",
                    "last_name": format!("Doe {i}"),
                    "email": format!("jane.{i}@example.org"),
                    "doctor": 5,
                })
            })
            .collect();
        let next = (page < pages).then(|| server.url(format!("/api/patients?page={}", page + 1)));
        server.mock(|when, then| {
            let when = when.method(GET).path("/api/patients");
            if page == 1 {
                when.query_param_missing("page");
            } else {
                when.query_param("page", page.to_string());
            }
            then.status(200)
                .json_body(serde_json::json!({"next": next, "previous": null, "results": results}));
        });
    }
    server.base_url()
}

/// Runs `ehr drchrono patients list --all --format ndjson` against `base_url` and returns the
/// records written and the process's peak resident size in KiB.
fn run(home: &std::path::Path, base_url: &str) -> (usize, i64) {
    let login = Command::new(env!("CARGO_BIN_EXE_ehr"))
        .args([
            "auth",
            "login",
            "drchrono",
            "--access-token",
            "--secret-env",
            "T",
        ])
        .args(["--base-url", base_url])
        .env("EHR_CONFIG_DIR", home)
        .env("T", "token")
        .output()
        .unwrap();
    assert!(login.status.success());
    let out_path = home.join("out.ndjson");
    // Waited for below with wait4, which reports the child's resource usage.
    #[allow(clippy::zombie_processes)]
    let child = Command::new(env!("CARGO_BIN_EXE_ehr"))
        .args([
            "drchrono", "patients", "list", "--all", "--format", "ndjson",
        ])
        .env("EHR_CONFIG_DIR", home)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not waited for yet; both pointers are valid for the call.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "ehr failed"
    );
    let records = std::fs::read_to_string(&out_path).unwrap().lines().count();
    (records, usage.ru_maxrss)
}

#[test]
fn a_list_of_sixty_pages_streams_in_the_memory_of_six() {
    let (small, large) = (MockServer::start(), MockServer::start());
    let few = serve(&small, 6);
    let many = serve(&large, 60);
    let home = tempfile::tempdir().unwrap();

    let (few_records, few_peak) = run(home.path(), &few);
    let (many_records, many_peak) = run(home.path(), &many);

    assert_eq!(few_records, 6 * PER_PAGE as usize);
    assert_eq!(many_records, 60 * PER_PAGE as usize);
    // 54,000 more records (about 5 MiB of JSON) must not stay in memory: a process that kept
    // them would grow by more than that; allocator noise is well under 4 MiB.
    assert!(
        many_peak - few_peak < 4 * 1024,
        "peak resident size grew from {few_peak} KiB to {many_peak} KiB"
    );
}
