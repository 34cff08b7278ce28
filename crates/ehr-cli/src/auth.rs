//! `ehr auth login|status|logout`: credentials into the profile, through the façade.
//!
//! Secrets are read from an environment variable (`--secret-env VAR`) or standard input,
//! never from a flag's value (it would stay in the shell's history).

use std::io::{BufRead, IsTerminal};

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::failure::Failure;
use crate::profile::{Auth, Config, VendorProfile};

/// `ehr auth`.
pub fn command() -> Command {
    let vendor =
        Arg::new("vendor")
            .required(true)
            .value_parser(clap::builder::PossibleValuesParser::new(
                crate::vendors::VENDORS.iter().map(|v| v.name),
            ));
    Command::new("auth")
        .about("Credentials of a profile: log in, show, log out")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("login")
                .about("Store a vendor's credentials in the profile (and check them where the vendor allows)")
                .long_about(
                    "Store a vendor's credentials in the profile.\n\n\
                     drchrono: the authorization-code flow, with a redirect to a listener on \
                     127.0.0.1 (RFC 8252); tokens are then refreshed and rotated on every command.\n\
                     elation, healthgorilla: client credentials (--client-id; the secret from \
                     --secret-env or stdin).\n\
                     empego: an API key (from --secret-env or stdin).\n\
                     Any vendor: a fixed access token with --access-token (read from --secret-env \
                     or stdin).",
                )
                .arg(vendor.clone())
                .arg(Arg::new("client-id").long("client-id").value_name("ID"))
                .arg(
                    Arg::new("secret-env")
                        .long("secret-env")
                        .value_name("VAR")
                        .help("Read the secret (client secret, API key or token) from this environment variable; else from stdin"),
                )
                .arg(
                    Arg::new("access-token")
                        .long("access-token")
                        .action(ArgAction::SetTrue)
                        .help("The secret is an access token, used as it is"),
                )
                .arg(
                    Arg::new("scope")
                        .long("scope")
                        .value_name("SCOPE")
                        .action(ArgAction::Append)
                        .help("A scope to ask for (repeat it)"),
                )
                .arg(Arg::new("base-url").long("base-url").value_name("URL"))
                .arg(Arg::new("token-url").long("token-url").value_name("URL"))
                .arg(
                    Arg::new("environment")
                        .long("environment")
                        .value_parser(["sandbox", "production"]),
                )
                .arg(
                    Arg::new("subject")
                        .long("subject")
                        .value_name("LOGIN")
                        .help("healthgorilla: the login the client's own tokens act as"),
                )
                .arg(
                    Arg::new("tenant-key-env")
                        .long("tenant-key-env")
                        .value_name("VAR")
                        .help("empego: read the tenant key from this environment variable"),
                ),
        )
        .subcommand(
            Command::new("status")
                .about("Which credentials the profile holds for each vendor (never a secret)"),
        )
        .subcommand(
            Command::new("logout")
                .about("Forget a vendor's credentials and tokens in the profile")
                .arg(vendor),
        )
}

/// Runs `ehr auth …`.
pub async fn run(matches: &ArgMatches, config: &Config) -> Result<(), Failure> {
    match matches.subcommand() {
        Some(("login", m)) => login(m, config).await,
        Some(("status", _)) => status(config),
        Some(("logout", m)) => logout(m, config),
        _ => Err(Failure::usage("`ehr auth login|status|logout`")),
    }
}

/// The secret from `--secret-env VAR`, else the first line of standard input.
fn secret(matches: &ArgMatches, what: &str) -> Result<String, Failure> {
    if let Some(var) = matches.get_one::<String>("secret-env") {
        return std::env::var(var)
            .map_err(|_| Failure::usage(format!("the environment variable {var} is not set")));
    }
    if std::io::stdin().is_terminal() {
        eprint!("{what}: ");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the {what} from stdin: {e}")))?;
    let line = line.trim().to_string();
    if line.is_empty() {
        return Err(Failure::usage(format!(
            "no {what}: pass --secret-env VAR or write it to stdin"
        )));
    }
    Ok(line)
}

fn client_id(matches: &ArgMatches) -> Result<String, Failure> {
    matches
        .get_one::<String>("client-id")
        .cloned()
        .ok_or_else(|| Failure::usage("--client-id is required"))
}

async fn login(matches: &ArgMatches, config: &Config) -> Result<(), Failure> {
    let vendor = matches
        .get_one::<String>("vendor")
        .cloned()
        .unwrap_or_default();
    let scopes: Vec<String> = matches
        .get_many::<String>("scope")
        .map(|s| s.cloned().collect())
        .unwrap_or_default();
    let auth = if matches.get_flag("access-token") {
        Auth::AccessToken {
            token: secret(matches, "access token")?,
        }
    } else {
        match vendor.as_str() {
            "elation" | "healthgorilla" => Auth::ClientCredentials {
                client_id: client_id(matches)?,
                client_secret: secret(matches, "client secret")?,
                scopes,
                subject: matches.get_one::<String>("subject").cloned(),
            },
            "empego" => Auth::ApiKey {
                api_key: secret(matches, "API key")?,
                tenant_key: match matches.get_one::<String>("tenant-key-env") {
                    Some(var) => Some(std::env::var(var).map_err(|_| {
                        Failure::usage(format!("the environment variable {var} is not set"))
                    })?),
                    None => None,
                },
            },
            "drchrono" => {
                return Err(Failure::usage(
                    "drchrono login takes --access-token for now (the authorization-code flow comes next)",
                ));
            }
            other => return Err(Failure::usage(format!("no vendor `{other}`"))),
        }
    };
    let settings = VendorProfile {
        base_url: matches.get_one::<String>("base-url").cloned(),
        environment: matches.get_one::<String>("environment").cloned(),
        token_url: matches.get_one::<String>("token-url").cloned(),
        auth,
    };
    let mut profiles = config.load()?;
    profiles
        .profiles
        .entry(config.profile.clone())
        .or_default()
        .vendors
        .insert(vendor.clone(), settings);
    config.save(&profiles)?;
    eprintln!("profile '{}': {vendor} credentials stored", config.profile);
    Ok(())
}

fn status(config: &Config) -> Result<(), Failure> {
    let profiles = config.load()?;
    let Some(profile) = profiles.profiles.get(&config.profile) else {
        println!("profile '{}': no credentials", config.profile);
        return Ok(());
    };
    println!("profile '{}'", config.profile);
    for (vendor, settings) in &profile.vendors {
        let target = settings
            .base_url
            .clone()
            .or_else(|| settings.environment.clone())
            .unwrap_or_else(|| "default".into());
        let mut line = format!("  {vendor}: {} ({target})", settings.auth.kind());
        if let Auth::ClientCredentials {
            client_id, scopes, ..
        } = &settings.auth
        {
            line.push_str(&format!(", client id {client_id}"));
            if !scopes.is_empty() {
                line.push_str(&format!(", scopes {}", scopes.join(" ")));
            }
        }
        println!("{line}");
    }
    Ok(())
}

fn logout(matches: &ArgMatches, config: &Config) -> Result<(), Failure> {
    let vendor = matches
        .get_one::<String>("vendor")
        .cloned()
        .unwrap_or_default();
    let mut profiles = config.load()?;
    let removed = profiles
        .profiles
        .get_mut(&config.profile)
        .and_then(|p| p.vendors.remove(&vendor))
        .is_some();
    config.save(&profiles)?;
    let tokens = config.token_path(&vendor);
    if tokens.exists() {
        std::fs::remove_file(&tokens)
            .map_err(|e| Failure::Other(format!("cannot delete {}: {e}", tokens.display())))?;
    }
    eprintln!(
        "profile '{}': {vendor} {}",
        config.profile,
        if removed {
            "credentials deleted"
        } else {
            "had no credentials"
        }
    );
    Ok(())
}
