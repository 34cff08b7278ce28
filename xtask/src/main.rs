//! Workspace automation.
//!
//! ```text
//! cargo xtask codegen [VENDOR…] [--check]
//! ```
//!
//! `codegen` loads `specs/<vendor>.yaml`, lints it (see [`lint`]), generates the client with
//! progenitor (see [`codegen`]) and writes `crates/ehr-<vendor>/src/generated.rs`. Every spec is
//! generated in memory first: if any of them fails, nothing is written. With `--check` nothing is
//! written either, and the command fails naming every generated file that is stale.

mod codegen;
mod lint;
mod vendors;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use vendors::Vendor;

const USAGE: &str = "\
usage: cargo xtask codegen [VENDOR…] [--check] [--root DIR]
       cargo xtask bench [ARGS…]

  VENDOR      one or more of: drchrono, elation, empego, healthgorilla (default: all)
  --check     regenerate in memory and fail, naming each stale file, if any checked-in
              generated file differs from what the spec produces
  --root DIR  the workspace to work in (default: the one this xtask belongs to)

  bench       runs the façade benchmark (ehr-sdk/benches/facade.rs) optimised, on loopback;
              BENCH_CALLS sets the calls per side (default 10000)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => run_codegen(&args[1..]),
        Some("bench") => run_bench(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{USAGE}");
            ExitCode::from(2)
        }
    }
}

/// `cargo bench -p ehr-sdk --bench facade`, so the benchmark has one obvious entry point.
fn run_bench(args: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(workspace_root())
        .args(["bench", "-p", "ehr-sdk", "--bench", "facade", "--"])
        .args(args)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    // xtask/ lives directly under the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_path_buf()
}

fn run_codegen(args: &[String]) -> ExitCode {
    let mut check = false;
    let mut root = workspace_root();
    let mut selected = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--root" => match args.next() {
                Some(dir) => root = PathBuf::from(dir),
                None => {
                    eprintln!("error: --root needs a directory\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
            name => match Vendor::from_name(name) {
                Some(vendor) => selected.push(vendor),
                None => {
                    eprintln!("error: unknown vendor `{name}`\n\n{USAGE}");
                    return ExitCode::from(2);
                }
            },
        }
    }
    if selected.is_empty() {
        selected = Vendor::ALL.to_vec();
    }
    selected.dedup();

    let started = Instant::now();
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    for vendor in &selected {
        match codegen::generate(&root, *vendor) {
            Ok(code) => outputs.push((*vendor, code)),
            Err(message) => failures.push(message),
        }
    }
    if !failures.is_empty() {
        for message in &failures {
            eprintln!("error: {message}");
        }
        eprintln!(
            "codegen failed for {} of {} spec(s); no file was written",
            failures.len(),
            selected.len()
        );
        return ExitCode::FAILURE;
    }

    if check {
        let mut stale = Vec::new();
        for (vendor, code) in &outputs {
            let path = root.join(vendor.generated_path());
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != *code {
                stale.push(vendor.generated_path());
            }
        }
        if stale.is_empty() {
            println!(
                "codegen --check: {} generated file(s) up to date ({:.2?})",
                outputs.len(),
                started.elapsed()
            );
            return ExitCode::SUCCESS;
        }
        for path in &stale {
            eprintln!("stale: {path} (run `cargo xtask codegen`)");
        }
        eprintln!(
            "codegen --check failed: {} stale generated file(s)",
            stale.len()
        );
        return ExitCode::FAILURE;
    }

    for (vendor, code) in &outputs {
        let path = root.join(vendor.generated_path());
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|current| current == *code);
        if unchanged {
            println!("unchanged {}", vendor.generated_path());
            continue;
        }
        if let Err(e) = std::fs::write(&path, code) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!(
            "wrote {} ({} lines)",
            vendor.generated_path(),
            code.lines().count()
        );
    }
    println!(
        "codegen: {} spec(s) in {:.2?}",
        outputs.len(),
        started.elapsed()
    );
    ExitCode::SUCCESS
}
