//! Workspace automation.
//!
//! ```text
//! cargo xtask codegen [VENDOR…] [--check]
//! cargo xtask bench [--instructions | --builds]
//! cargo xtask conformance drchrono [--all]
//! ```
//!
//! `codegen` loads `specs/<vendor>.yaml`, lints it (see [`lint`]), generates the client with
//! progenitor (see [`codegen`]) and writes `crates/ehr-<vendor>/src/generated.rs`. Every spec is
//! generated in memory first: if any of them fails, nothing is written. With `--check` nothing is
//! written either, and the command fails naming every generated file that is stale.

mod bench;
mod builds;
mod cache;
mod cli;
mod codegen;
mod conformance;
mod lint;
mod vendors;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use vendors::Vendor;

/// Code generation allocates millions of small token and syntax-tree nodes; with glibc's malloc,
/// allocation and freeing were ~30 % of `cargo xtask codegen`'s time. Transparent huge pages are
/// off (`no_thp`): with them, the kernel's huge-page faults made the run time swing from 1.3 to
/// 3.5 s on these machines.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "\
usage: cargo xtask codegen [VENDOR…] [--check] [--timings] [--no-cache] [--root DIR]
       cargo xtask bench [--instructions | --builds [--only-ehr] [--root DIR]]
       cargo xtask conformance drchrono [--all] [--root DIR]

  VENDOR      one or more of: drchrono, elation, empego, healthgorilla (default: all)
  --check     regenerate in memory and fail, naming each stale file, if any checked-in
              generated file differs from what the spec produces
  --timings   print the wall time of each vendor's phases (vendors run in parallel) and
              how many places each rewrite of progenitor's output changed
  --no-cache  generate every vendor, even one whose spec, generator and generated file are
              unchanged since this checkout last generated it (see xtask/src/cache.rs)
  --root DIR  the workspace to work in (default: the one this xtask belongs to)

  bench       runs the façade benchmark (crates/ehr-bench/benches/facade.rs) optimised, on loopback:
              wall clock, median of interleaved rounds (BENCH_CALLS sets the calls per kind,
              default 10000); with --instructions, instructions a call and a record under
              valgrind's callgrind (needs valgrind), with the targets beside them; with
              --builds, clean dev build times of each generated crate (with and without
              `mock`) and of an app depending on ehr-sdk with no vendor, one or all four,
              then a clean release build of `ehr` with its binary size (--only-ehr: that
              one alone)

  conformance compares specs/drchrono.yaml with the extract of DrChrono's official schema
              (specs/conformance/) and fails on any difference the allowlist does not explain;
              --all prints every allowed difference with its reason";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("codegen") => run_codegen(&args[1..]),
        Some("bench") => bench::run(&workspace_root(), &args[1..]),
        Some("conformance") => conformance::run(&workspace_root(), &args[1..]),
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

fn workspace_root() -> PathBuf {
    // xtask/ lives directly under the workspace root.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask has a parent directory")
        .to_path_buf()
}

/// Generates `vendor`, or reuses its checked-in file when its stamp shows that generating
/// would reproduce it (see [`cache`]).
fn generate_or_reuse(
    root: &Path,
    vendor: Vendor,
    use_cache: bool,
) -> Result<codegen::Generated, String> {
    let started = Instant::now();
    let inputs = if use_cache {
        cache::Inputs::of(root, vendor)
    } else {
        None
    };
    if let Some(inputs) = &inputs
        && let Some(code) = cache::reuse(root, vendor, inputs)
    {
        return Ok(codegen::Generated {
            code,
            phases: vec![(
                "reused: spec, generator and file unchanged",
                started.elapsed(),
            )],
            rewrites: None,
        });
    }
    let generated = codegen::generate(root, vendor)?;
    if let Some(inputs) = &inputs {
        cache::record(root, vendor, inputs, &generated.code);
    }
    Ok(generated)
}

/// Every vendor's spec text and generated client text: from `outputs` for the vendors just
/// generated, the checked-in files for the others.
fn cli_inputs(
    root: &Path,
    outputs: &[(Vendor, String)],
) -> Result<Vec<(Vendor, String, String)>, String> {
    Vendor::ALL
        .iter()
        .map(|&vendor| {
            let read = |relative: String| {
                std::fs::read_to_string(root.join(&relative))
                    .map_err(|e| format!("{relative}: cannot read: {e}"))
            };
            let spec = read(vendor.spec_path())?;
            let client = match outputs.iter().find(|(v, _)| *v == vendor) {
                Some((_, code)) => code.clone(),
                None => read(vendor.generated_path())?,
            };
            Ok((vendor, spec, client))
        })
        .collect()
}

fn run_codegen(args: &[String]) -> ExitCode {
    let mut check = false;
    let mut timings = false;
    let mut use_cache = true;
    let mut root = workspace_root();
    let mut selected = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--timings" => timings = true,
            "--no-cache" => use_cache = false,
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
    // One thread per vendor: the specs are independent, and each result is a pure function of
    // its spec, so the order they finish in changes nothing. progenitor panics on some shapes;
    // those become errors naming the spec, so the default panic output is kept quiet meanwhile.
    let previous_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let results: Vec<(Vendor, Result<codegen::Generated, String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = selected
            .iter()
            .map(|&vendor| {
                let root = &root;
                (
                    vendor,
                    scope.spawn(move || generate_or_reuse(root, vendor, use_cache)),
                )
            })
            .collect();
        handles
            .into_iter()
            .map(|(vendor, handle)| {
                let result = handle
                    .join()
                    .unwrap_or_else(|_| Err(format!("{}: codegen panicked", vendor.spec_path())));
                (vendor, result)
            })
            .collect()
    });
    std::panic::set_hook(previous_hook);
    let mut outputs = Vec::new();
    let mut failures = Vec::new();
    for (vendor, result) in results {
        match result {
            Ok(generated) => {
                if timings {
                    for (phase, took) in &generated.phases {
                        eprintln!("{:<14} {phase:<44} {took:>10.2?}", vendor.name());
                    }
                    if let Some(r) = &generated.rewrites {
                        eprintln!(
                            "{:<14} rewrites: {} sends, {} api-version headers, {} hook calls, \
                             {} error arms, {} query params, {} path segments, {} decodes",
                            vendor.name(),
                            r.sends,
                            r.api_version_headers,
                            r.hook_calls,
                            r.error_arms,
                            r.query_params,
                            r.path_segments,
                            r.response_values
                        );
                    }
                }
                outputs.push((vendor, generated.code));
            }
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

    let mut files: Vec<(String, String)> = outputs
        .iter()
        .map(|(vendor, code)| (vendor.generated_path(), code.clone()))
        .collect();
    // The CLI's commands come from every vendor's spec and generated client: those just
    // generated, and the checked-in files of the others. A root without the CLI's crate (a
    // scratch copy of the specs) has none to generate.
    if root.join(cli::CLI_CRATE).is_dir() {
        let cli_started = Instant::now();
        let cli = match cli_inputs(&root, &outputs).and_then(|inputs| cli::generate(&inputs)) {
            Ok(code) => code,
            Err(message) => {
                eprintln!("error: {message}\ncodegen failed; no file was written");
                return ExitCode::FAILURE;
            }
        };
        if timings {
            eprintln!(
                "{:<14} {:<44} {:>10.2?}",
                "ehr-cli",
                "commands",
                cli_started.elapsed()
            );
        }
        files.push((cli::CLI_PATH.to_string(), cli));
    }

    if check {
        let mut stale = Vec::new();
        for (path, code) in &files {
            let current = std::fs::read_to_string(root.join(path)).unwrap_or_default();
            if current != *code {
                stale.push(path.clone());
            }
        }
        if stale.is_empty() {
            println!(
                "codegen --check: {} generated file(s) up to date ({:.2?})",
                files.len(),
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

    for (relative, code) in &files {
        let path = root.join(relative);
        let unchanged = std::fs::read_to_string(&path).is_ok_and(|current| current == *code);
        if unchanged {
            println!("unchanged {relative}");
            continue;
        }
        if let Err(e) = std::fs::write(&path, code) {
            eprintln!("error: writing {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
        println!("wrote {relative} ({} lines)", code.lines().count());
    }
    println!(
        "codegen: {} spec(s) in {:.2?}",
        outputs.len(),
        started.elapsed()
    );
    ExitCode::SUCCESS
}
