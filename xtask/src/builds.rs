//! `cargo xtask bench --builds`: clean dev build times of the generated crates and of a
//! downstream application.
//!
//! Each build starts from an empty target directory (`target/build-times/<name>`, removed
//! afterwards) with `CARGO_INCREMENTAL=0`, as CI builds, and `--timings`; the table gives the
//! build's wall time and the time of the crate's own compilation (from cargo's timing report).
//! The downstream application is a one-line crate, outside this workspace (so none of the
//! workspace's profile settings apply), depending on `ehr-sdk` with no vendor feature (the
//! floor: what every downstream build compiles), one, or all four. Run on an otherwise idle
//! machine: every figure is wall time.
//!
//! Last, a clean release build of `ehr` (crates/ehr-cli, every vendor), with its binary's size:
//! the command line is outside the SDK's dependency graph, so the SDK's own figures above do not
//! include it.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One clean build to time.
struct Build {
    name: &'static str,
    /// `-p <crate> [--features …]`, or `None` for a downstream crate.
    package: Option<(&'static str, &'static [&'static str])>,
    /// For a downstream crate: the `ehr-sdk` features it enables.
    downstream: &'static [&'static str],
    /// The unit whose own compile time is reported.
    unit: &'static str,
}

const BUILDS: &[Build] = &[
    Build {
        name: "ehr-elation",
        package: Some(("ehr-elation", &[])),
        downstream: &[],
        unit: "ehr-elation",
    },
    Build {
        name: "ehr-elation +mock",
        package: Some(("ehr-elation", &["--features", "mock"])),
        downstream: &[],
        unit: "ehr-elation",
    },
    Build {
        name: "ehr-drchrono",
        package: Some(("ehr-drchrono", &[])),
        downstream: &[],
        unit: "ehr-drchrono",
    },
    Build {
        name: "ehr-drchrono +mock",
        package: Some(("ehr-drchrono", &["--features", "mock"])),
        downstream: &[],
        unit: "ehr-drchrono",
    },
    Build {
        name: "ehr-empego",
        package: Some(("ehr-empego", &[])),
        downstream: &[],
        unit: "ehr-empego",
    },
    Build {
        name: "ehr-healthgorilla",
        package: Some(("ehr-healthgorilla", &[])),
        downstream: &[],
        unit: "ehr-healthgorilla",
    },
    // The floor of every downstream build: the shared machinery (reqwest, hyper, tokio,
    // rustls, ring, serde, the runtime and the façade) with no vendor client at all.
    Build {
        name: "app, ehr-sdk no vendor",
        package: None,
        downstream: &[],
        unit: "ehr-sdk",
    },
    Build {
        name: "app, ehr-sdk drchrono",
        package: None,
        downstream: &["drchrono"],
        unit: "ehr-sdk",
    },
    Build {
        name: "app, ehr-sdk all four",
        package: None,
        downstream: &["drchrono", "elation", "empego", "healthgorilla"],
        unit: "ehr-sdk",
    },
];

/// Runs every build and prints the table (only `ehr`'s release build with `only_ehr`).
pub fn run(root: &Path, only_ehr: bool) -> Result<(), String> {
    let base = root.join("target").join("build-times");
    if only_ehr {
        return ehr_release(root, &base);
    }
    println!(
        "clean dev builds ({} jobs, CARGO_INCREMENTAL=0), one empty target directory each",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{:<26} {:>10} {:>16}", "build", "wall", "own crate");
    let mut downstream_walls = Vec::new();
    for build in BUILDS {
        let target = base.join(build.name.replace([' ', ',', '+'], "-"));
        let _ = std::fs::remove_dir_all(&target);
        let mut cargo = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cargo
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_INCREMENTAL", "0")
            .args(["build", "--timings", "--quiet"])
            .stdout(Stdio::null());
        match build.package {
            Some((package, extra)) => {
                cargo.current_dir(root).args(["-p", package]).args(extra);
            }
            None => {
                let app = base.join(format!("app-{}", build.downstream.len()));
                write_app(root, &app, build.downstream)?;
                cargo.current_dir(&app);
            }
        }
        let started = Instant::now();
        let status = cargo
            .status()
            .map_err(|e| format!("error: cannot run cargo: {e}"))?;
        let wall = started.elapsed().as_secs_f64();
        if !status.success() {
            return Err(format!("error: the build `{}` failed", build.name));
        }
        let own = own_time(&target, build.unit);
        let _ = std::fs::remove_dir_all(&target);
        if build.package.is_none() {
            downstream_walls.push(wall);
        }
        println!(
            "{:<26} {:>9.1}s {:>15}",
            build.name,
            wall,
            own.map_or("?".to_string(), |s| format!("{s:.1}s ({})", build.unit))
        );
    }
    if let [floor, one, all] = downstream_walls[..] {
        println!(
            "one-vendor app / all-vendor app: {:.2} (target ≤ 0.50)",
            one / all
        );
        println!(
            "no-vendor app / all-vendor app:  {:.2} (the floor: no one-vendor app builds faster)",
            floor / all
        );
        println!(
            "one vendor's share of the vendors' time, (one - floor) / (all - floor): {:.2}",
            (one - floor) / (all - floor)
        );
    }
    ehr_release(root, &base)
}

/// A clean release build of `ehr` with every vendor: wall time and binary size.
fn ehr_release(root: &Path, base: &Path) -> Result<(), String> {
    let target = base.join("ehr-release");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_INCREMENTAL", "0")
        .args(["build", "--release", "--quiet", "-p", "ehr-cli"])
        .stdout(Stdio::null())
        .status()
        .map_err(|e| format!("error: cannot run cargo: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    if !status.success() {
        return Err("error: the release build of `ehr` failed".into());
    }
    let binary = target.join("release").join("ehr");
    let size = std::fs::metadata(&binary)
        .map(|m| m.len())
        .map_err(|e| format!("error: {}: {e}", binary.display()))?;
    let _ = std::fs::remove_dir_all(&target);
    println!(
        "ehr, release, every vendor: {wall:.1}s clean build, binary {:.1} MiB",
        size as f64 / (1024.0 * 1024.0)
    );
    Ok(())
}

/// Writes a downstream crate depending on `ehr-sdk` with `features`.
fn write_app(root: &Path, app: &Path, features: &[&str]) -> Result<(), String> {
    let features: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    let manifest = format!(
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\nehr-sdk = {{ path = {:?}, default-features = false, features = [{}] }}\n\n\
         [workspace]\n",
        root.join("crates").join("ehr-sdk"),
        features.join(", ")
    );
    let write = |path: &Path, text: &str| {
        std::fs::write(path, text).map_err(|e| format!("error: writing {}: {e}", path.display()))
    };
    std::fs::create_dir_all(app.join("src"))
        .map_err(|e| format!("error: creating {}: {e}", app.display()))?;
    write(&app.join("Cargo.toml"), &manifest)?;
    write(&app.join("src").join("lib.rs"), "pub use ehr_sdk;\n")
}

/// The compile time of `unit` (its library) from cargo's timing report in `target`.
fn own_time(target: &Path, unit: &str) -> Option<f64> {
    let report =
        std::fs::read_to_string(target.join("cargo-timings").join("cargo-timing.html")).ok()?;
    let start = report.find("const UNIT_DATA = ")? + "const UNIT_DATA = ".len();
    let end = start + report[start..].find(";\n")?;
    let units: serde_json::Value = serde_json::from_str(&report[start..end]).ok()?;
    units
        .as_array()?
        .iter()
        .filter(|u| u["name"] == unit)
        .filter_map(|u| u["duration"].as_f64())
        .reduce(f64::max)
}
