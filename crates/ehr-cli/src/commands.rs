//! The shape of the generated commands (`generated.rs` fills these tables from the specs) and
//! the `clap` commands made from them.

use clap::{Arg, ArgAction, Command};

/// A resource (a tag of the spec): `patients`, `visit-notes`.
#[derive(Debug)]
pub struct Resource {
    /// Its name on the command line.
    pub name: &'static str,
    /// The tag's description.
    pub about: &'static str,
    /// Its operations, sorted by verb.
    pub ops: &'static [Op],
}

/// One operation: `ehr <vendor> <resource> <verb>`.
#[derive(Debug)]
pub struct Op {
    /// `list`, `create`, `retrieve`, …: the `operationId` without the resource.
    pub verb: &'static str,
    /// The spec's `operationId`.
    pub operation_id: &'static str,
    /// The HTTP method.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// The summary.
    pub about: &'static str,
    /// One per parameter the generated builder takes.
    pub flags: &'static [Flag],
    /// The request body, if it takes one.
    pub body: Option<Body>,
    /// Whether it is a list the façade can page through.
    pub paged: bool,
}

/// A parameter as a flag: `--doctor 5`.
#[derive(Debug)]
pub struct Flag {
    /// The flag's name, without `--`.
    pub name: &'static str,
    /// The value's name in help: `INTEGER`, `YYYY-MM-DD`, …
    pub value: &'static str,
    /// Whether the operation needs it.
    pub required: bool,
    /// A boolean: `--flag` alone means `true`.
    pub switch: bool,
    /// The spec's description.
    pub help: &'static str,
    /// The values the spec allows, when it lists them.
    pub values: &'static [&'static str],
}

/// A JSON request body.
#[derive(Debug)]
pub struct Body {
    /// Whether the operation needs one.
    pub required: bool,
    /// An example, printed by `--body-template`.
    pub template: &'static str,
}

/// `ehr <vendor>`: one subcommand per resource, and `api`.
pub fn vendor(name: &'static str, about: &'static str, resources: &'static [Resource]) -> Command {
    Command::new(name)
        .about(about)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands(resources.iter().map(resource))
}

fn resource(resource: &'static Resource) -> Command {
    Command::new(resource.name)
        .about(resource.about)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands(resource.ops.iter().map(op))
}

fn op(op: &'static Op) -> Command {
    let mut command = Command::new(op.verb).about(op.about).after_help(format!(
        "{} {} (operation {})",
        op.method, op.path, op.operation_id
    ));
    for flag in op.flags {
        let mut arg = Arg::new(flag.name)
            .long(flag.name)
            .value_name(flag.value)
            .help(flag.help);
        if flag.required && op.body.is_some() {
            arg = arg.required_unless_present("body-template");
        } else if flag.required {
            arg = arg.required(true);
        }
        if !flag.values.is_empty() {
            arg = arg.value_parser(clap::builder::PossibleValuesParser::new(flag.values));
        } else if flag.switch {
            arg = arg
                .num_args(0..=1)
                .default_missing_value("true")
                .value_parser(["true", "false"]);
        }
        command = command.arg(arg);
    }
    if let Some(body) = &op.body {
        let mut arg = Arg::new("body")
            .long("body")
            .value_name("FILE")
            .help("The JSON request body: a file, or - for stdin (checked before sending)");
        if body.required {
            arg = arg.required_unless_present("body-template");
        }
        command = command.arg(arg).arg(
            Arg::new("body-template")
                .long("body-template")
                .action(ArgAction::SetTrue)
                .help("Print an example body (every writable field) and exit"),
        );
    }
    if op.paged {
        command = command
            .arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .help("Every page, records written as they arrive"),
            )
            .arg(
                Arg::new("limit")
                    .long("limit")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help("At most N records, across pages"),
            )
            .arg(
                Arg::new("max-pages")
                    .long("max-pages")
                    .value_name("N")
                    .value_parser(clap::value_parser!(u64).range(1..))
                    .help("At most N pages"),
            );
    }
    command
}

/// The operation `verb` of `resource`.
pub fn find(resources: &'static [Resource], resource: &str, verb: &str) -> Option<&'static Op> {
    resources
        .iter()
        .find(|r| r.name == resource)?
        .ops
        .iter()
        .find(|o| o.verb == verb)
}
