//! `cargo xtask bench [--instructions]`: the façade benchmark (`crates/ehr-bench/benches/facade.rs`),
//! then the per-tenant cost (`crates/ehr-bench/benches/tenants.rs`: heap and build time of each
//! additional client).
//!
//! Without `--instructions`, runs it as `cargo bench` does (wall clock, median of interleaved
//! rounds). With it, builds the benchmark once and runs each kind of call under valgrind's
//! callgrind, twice (with `LOW` and `HIGH` calls); the difference in instructions divided by the
//! difference in calls is the cost of one call, with start-up (the runtime, the in-process
//! server, the HTTP client) cancelled out. Instruction counts do not move with the machine's
//! load, which wall-clock ratios of a few percent do.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// What to do when valgrind is missing, as the README says.
const NO_VALGRIND: &str = "\
error: `cargo xtask bench --instructions` needs valgrind (its callgrind tool), which is not installed.
Install it, then run the command again:
  Debian/Ubuntu:  sudo apt-get install valgrind
  Fedora/RHEL:    sudo dnf install valgrind
  Arch:           sudo pacman -S valgrind
(valgrind runs on Linux; on macOS, run this in a Linux container.)
The wall-clock benchmark, `cargo xtask bench`, needs nothing else.";

/// Calls (for paging kinds: pages of 250 records) of the two runs of each kind.
const LOW: u64 = 1_000;
const HIGH: u64 = 3_000;
const LOW_PAGES: u64 = 10;
const HIGH_PAGES: u64 = 30;
const RECORDS_A_PAGE: u64 = 250;

/// One kind of call the benchmark binary makes under `BENCH_ONLY`.
struct Kind {
    name: &'static str,
    what: &'static str,
    paging: bool,
}

const SINGLE: [Kind; 4] = [
    Kind {
        name: "raw",
        what: "raw reqwest + serde decode",
        paging: false,
    },
    Kind {
        name: "elation",
        what: "generated Elation client, no pipeline",
        paging: false,
    },
    Kind {
        name: "drchrono",
        what: "generated DrChrono client, no pipeline",
        paging: false,
    },
    Kind {
        name: "facade",
        what: "façade (DrChrono, full pipeline)",
        paging: false,
    },
];

const PAGING: [Kind; 2] = [
    Kind {
        name: "raw-paging",
        what: "raw reqwest loop following `next`",
        paging: true,
    },
    Kind {
        name: "facade-paging",
        what: "façade `items()` (DrChrono, prefetch)",
        paging: true,
    },
];

/// Runs the benchmark; `args` are the command line after `bench`.
pub fn run(root: &Path, args: &[String]) -> ExitCode {
    if args.iter().any(|a| a == "--builds") {
        // `--root DIR` measures another checkout (say, the commit before a change).
        let other = args
            .iter()
            .position(|a| a == "--root")
            .and_then(|i| args.get(i + 1))
            .map(std::path::PathBuf::from);
        // `--only-ehr`: the release build of the command line alone.
        let only_ehr = args.iter().any(|a| a == "--only-ehr");
        return match crate::builds::run(other.as_deref().unwrap_or(root), only_ehr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("{message}");
                ExitCode::FAILURE
            }
        };
    }
    let instructions = args.iter().any(|a| a == "--instructions");
    let rest: Vec<&String> = args.iter().filter(|a| *a != "--instructions").collect();
    if !instructions {
        let mut bench = vec!["bench", "-p", "ehr-bench", "--bench", "facade"];
        bench.extend(["--bench", "tenants", "--bench", "stores", "--"]);
        bench.extend(rest.iter().map(|a| a.as_str()));
        return run_cargo(root, &bench);
    }
    if let Err(message) = instruction_counts(root) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    // The per-tenant cost (heap and build time) and the shared stores' round trips and times
    // are not instructions a call: printed as they are.
    println!();
    run_cargo(
        root,
        &[
            "bench",
            "-q",
            "-p",
            "ehr-bench",
            "--bench",
            "tenants",
            "--bench",
            "stores",
        ],
    )
}

/// Runs cargo with `args` in `root`, its output shown as it comes.
fn run_cargo(root: &Path, args: &[&str]) -> ExitCode {
    match Command::new(cargo()).current_dir(root).args(args).status() {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn instruction_counts(root: &Path) -> Result<(), String> {
    let valgrind = Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output();
    let version = match valgrind {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        _ => return Err(NO_VALGRIND.to_string()),
    };
    let binary = build_benchmark(root)?;
    let out_dir = root.join("target").join("callgrind");
    std::fs::create_dir_all(&out_dir)
        .map_err(|e| format!("error: creating {}: {e}", out_dir.display()))?;
    println!(
        "instructions a call under {version} (callgrind, whole process: client, in-process server \
         and runtime), from runs of {LOW} and {HIGH} calls ({LOW_PAGES} and {HIGH_PAGES} pages of \
         {RECORDS_A_PAGE} records for paging): (I({HIGH}) - I({LOW})) / {}",
        HIGH - LOW
    );

    println!("\n1. single call");
    println!("   {:<40} {:>14} {:>8}", "kind", "instr/call", "vs raw");
    let mut raw = None;
    let mut facade = 0.0;
    for kind in &SINGLE {
        let per = per_unit(&binary, &out_dir, kind)?;
        let raw = *raw.get_or_insert(per);
        if kind.name == "facade" {
            facade = per / raw;
        }
        println!(
            "   {:<40} {:>12.1} k {:>7.3}×",
            kind.what,
            per / 1000.0,
            per / raw
        );
    }
    println!(
        "   target: façade ≤ 1.05× raw instructions a call: {:.3}× {}",
        facade,
        verdict(facade <= 1.05)
    );

    println!("\n2. paging (instructions a record)");
    println!("   {:<40} {:>14} {:>8}", "kind", "instr/record", "vs raw");
    let raw = per_unit(&binary, &out_dir, &PAGING[0])?;
    let paged = per_unit(&binary, &out_dir, &PAGING[1])?;
    for (kind, per) in PAGING.iter().zip([raw, paged]) {
        println!(
            "   {:<40} {:>12.2} k {:>7.3}×",
            kind.what,
            per / 1000.0,
            per / raw
        );
    }
    println!(
        "   target: paging ≤ 1.05× raw instructions a record: {:.3}× {}",
        paged / raw,
        verdict(paged / raw <= 1.05)
    );
    println!(
        "   (throughput, target ≥ 0.95× raw, is measured in wall-clock mode: `cargo xtask bench`)"
    );
    Ok(())
}

fn verdict(met: bool) -> &'static str {
    if met { "(met)" } else { "(NOT met)" }
}

/// Builds the benchmark binary optimised, as `cargo bench` would, and returns its path.
fn build_benchmark(root: &Path) -> Result<PathBuf, String> {
    let output = Command::new(cargo())
        .current_dir(root)
        .args([
            "bench",
            "-p",
            "ehr-bench",
            "--bench",
            "facade",
            "--no-run",
            "--message-format=json-render-diagnostics",
        ])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("error: cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err("error: building the benchmark failed".into());
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "facade")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "error: cargo built no `facade` benchmark executable".into())
}

/// Instructions one call (one record, for paging kinds) of `kind` costs.
fn per_unit(binary: &Path, out_dir: &Path, kind: &Kind) -> Result<f64, String> {
    let (low, high) = if kind.paging {
        (LOW_PAGES, HIGH_PAGES)
    } else {
        (LOW, HIGH)
    };
    let a = instructions(binary, out_dir, kind.name, low)?;
    let b = instructions(binary, out_dir, kind.name, high)?;
    let units = if kind.paging {
        (high - low) * RECORDS_A_PAGE
    } else {
        high - low
    };
    Ok(b.saturating_sub(a) as f64 / units as f64)
}

/// Total instructions of one run of the benchmark making `calls` calls of `kind`.
fn instructions(binary: &Path, out_dir: &Path, kind: &str, calls: u64) -> Result<u64, String> {
    let out = out_dir.join(format!("{kind}-{calls}.out"));
    let status = Command::new("valgrind")
        .args(["--tool=callgrind", "--quiet"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(binary)
        .env("BENCH_ONLY", kind)
        .env("BENCH_CALLS", calls.to_string())
        .status()
        .map_err(|e| format!("error: cannot run valgrind: {e}"))?;
    if !status.success() {
        return Err(format!(
            "error: the benchmark failed under callgrind (BENCH_ONLY={kind} BENCH_CALLS={calls})"
        ));
    }
    let text = std::fs::read_to_string(&out)
        .map_err(|e| format!("error: reading {}: {e}", out.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("error: no instruction total in {}", out.display()))
}
