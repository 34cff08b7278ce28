//! `ehr`: a command line for DrChrono, Elation Health, Empego and Health Gorilla.
//!
//! Every operation of each vendor's spec is a command, `ehr <vendor> <resource> <verb>`
//! (`generated.rs`, made by `cargo xtask codegen` from the specs and the generated clients),
//! sent through the `ehr-sdk` façade: the profile's credentials (`profile.rs`, `auth.rs`),
//! retries, paging. Answers are written as JSON, NDJSON, a table or CSV (`output.rs`); a
//! failure exits with a code by class (`failure.rs`).

// A build with some vendors only leaves helpers that only the others use (an Empego-only
// `ehr` has no list and no raw answer).
#![cfg_attr(
    not(all(
        feature = "drchrono",
        feature = "elation",
        feature = "empego",
        feature = "healthgorilla"
    )),
    allow(dead_code, unused_imports, unused_mut, unused_variables)
)]

/// `eprintln!` that ignores a closed standard error rather than panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// `eprint!` that ignores a closed standard error rather than panicking.
macro_rules! say_inline {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($arg)*);
    }};
}

mod api;
mod auth;
mod call;
mod commands;
mod failure;
#[rustfmt::skip]
#[allow(clippy::all, unused_mut)]
mod generated;
mod output;
mod profile;
mod vendors;
mod webhook;

use std::process::ExitCode;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::failure::Failure;
use crate::output::{Format, Output};
use crate::profile::Config;

/// `ehr --version`: the CLI's version and the specs it was generated from.
fn version() -> String {
    let specs: Vec<String> = vendors::VENDORS
        .iter()
        .map(|v| format!("{} {}", v.name, v.spec_version))
        .collect();
    format!(
        "{} (specs: {})",
        env!("CARGO_PKG_VERSION"),
        specs.join(", ")
    )
}

/// The whole command line.
fn cli() -> Command {
    let mut root = Command::new("ehr")
        .version(version())
        .about("Call DrChrono, Elation Health, Empego and Health Gorilla from the command line")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("profile")
                .long("profile")
                .global(true)
                .value_name("NAME")
                .help("The profile to use (else $EHR_PROFILE, else `default`)"),
        )
        .arg(
            Arg::new("format")
                .long("format")
                .global(true)
                .value_parser(Format::NAMES)
                .help("How to write answers (default: table on a terminal, json otherwise)"),
        )
        .arg(
            Arg::new("columns")
                .long("columns")
                .global(true)
                .value_name("FIELD,…")
                .value_delimiter(',')
                .help("The fields a table or CSV shows"),
        )
        .arg(
            Arg::new("verbose")
                .long("verbose")
                .short('v')
                .global(true)
                .action(ArgAction::SetTrue)
                .help("Trace calls, retries and redirects on stderr (never bodies)"),
        )
        .subcommand(auth::command())
        .subcommand(webhook::command())
        .subcommand(
            Command::new("completions")
                .about("Print a shell's completion script: ehr completions bash > /etc/bash_completion.d/ehr")
                .arg(
                    Arg::new("shell")
                        .required(true)
                        .value_parser(clap::value_parser!(clap_complete::Shell)),
                ),
        );
    for vendor in vendors::VENDORS {
        root = root.subcommand(vendors::command(vendor));
    }
    root
}

async fn run(matches: &ArgMatches) -> Result<(), Failure> {
    let config = Config::locate(matches.get_one::<String>("profile").map(String::as_str))?;
    let format = Format::chosen(matches.get_one::<String>("format").map(String::as_str));
    let columns = matches
        .get_many::<String>("columns")
        .map(|c| c.cloned().collect());
    let mut out = Output::stdout(format, columns);
    match matches.subcommand() {
        Some(("auth", m)) => auth::run(m, &config).await,
        Some(("webhook", m)) => webhook::run(m).await,
        Some(("completions", m)) => {
            let shell = m
                .get_one::<clap_complete::Shell>("shell")
                .copied()
                .ok_or_else(|| Failure::usage("a shell is required"))?;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cli(), "ehr", &mut script);
            out.raw(&script)?;
            out.flush()
        }
        Some((name, m)) => {
            let vendor = vendors::VENDORS
                .iter()
                .find(|v| v.name == name)
                .ok_or_else(|| Failure::usage(format!("no command `{name}`")))?;
            vendors::run(vendor, m, &config, &mut out).await
        }
        None => Err(Failure::usage("a command is required")),
    }
}

/// Traces the SDK's calls on stderr: warnings (a field left out of a response) always; with
/// `--verbose`, every call, retry and redirect too. Never bodies.
fn trace(verbose: bool) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let level = if verbose {
        tracing::Level::INFO
    } else {
        tracing::Level::WARN
    };
    let filter = tracing_subscriber::filter::Targets::new()
        .with_target("ehr_sdk", level)
        .with_target("ehr_runtime", level);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(false),
        )
        .with(filter)
        .try_init();
}

fn main() -> ExitCode {
    let matches = match cli().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let code = if error.use_stderr() {
                failure::code::USAGE
            } else {
                0
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    trace(matches.get_flag("verbose"));
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return Failure::Other(format!("cannot start: {e}")).report(),
    };
    match runtime.block_on(run(&matches)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        super::cli().debug_assert();
    }
}
