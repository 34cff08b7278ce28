//! `ehr auth login|status|logout`: credentials into the profile, through the façade.
//!
//! Secrets are read from an environment variable (`--secret-env VAR`) or standard input,
//! never from a flag's value (it would stay in the shell's history).

mod loopback;

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
                    Arg::new("port")
                        .long("port")
                        .value_name("PORT")
                        .value_parser(clap::value_parser!(u16))
                        .default_value("8765")
                        .help("drchrono: the port of the redirect listener on 127.0.0.1 (0: any free port); register http://127.0.0.1:PORT/callback as a redirect URI"),
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
        Some(("status", _)) => status(config).await,
        Some(("logout", m)) => logout(m, config).await,
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
        say_inline!("{what}: ");
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
            #[cfg(feature = "drchrono")]
            "drchrono" => drchrono_login(matches, config, &scopes).await?,
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
    say!("profile '{}': {vendor} credentials stored", config.profile);
    Ok(())
}

/// DrChrono's authorization-code flow: the authorize URL printed (with the scopes and a fresh
/// `state`), the redirect received on 127.0.0.1, the code exchanged and the tokens saved in
/// the profile's token store.
#[cfg(feature = "drchrono")]
async fn drchrono_login(
    matches: &ArgMatches,
    config: &Config,
    scopes: &[String],
) -> Result<Auth, Failure> {
    let client_id = client_id(matches)?;
    let client_secret = secret(matches, "client secret")?;
    let scopes: Vec<ehr_sdk::drchrono::Scope> = scopes
        .iter()
        .map(|s| {
            s.parse()
                .map_err(|e| Failure::usage(format!("--scope: {e}")))
        })
        .collect::<Result<_, _>>()?;
    let port = matches.get_one::<u16>("port").copied().unwrap_or(8765);
    let redirect = loopback::Redirect::bind(port).await?;
    let mut oauth =
        ehr_sdk::drchrono::DrChronoOAuth::new(&client_id, client_secret.as_str(), &redirect.uri);
    if let Some(base) = matches.get_one::<String>("base-url") {
        oauth = oauth.base_url(base);
    }
    let state = loopback::state()?;
    let url = oauth
        .authorize_url(scopes, &state)
        .map_err(|e| Failure::usage(format!("--base-url: {e}")))?;
    say!(
        "Open this URL in a browser and authorize ehr:\n\n  {url}\n\nWaiting for the redirect to {} …",
        redirect.uri
    );
    let redirect_uri = redirect.uri.clone();
    let code = redirect
        .code(&state, std::time::Duration::from_secs(300))
        .await?;
    let store = config.token_store("drchrono")?;
    oauth.exchange_code(&code, &store).await?;
    Ok(Auth::AuthorizationCode {
        client_id,
        client_secret,
        redirect_uri,
    })
}

/// What the profile's token store holds for `vendor`, without the tokens: expiry, scopes,
/// whether a refresh token is kept.
async fn token_status(config: &Config, vendor: &str) -> Option<String> {
    use ehr_sdk::auth::TokenStore;
    let path = config.token_path(vendor);
    if !path.exists() {
        return None;
    }
    let set = match ehr_sdk::auth::FileTokenStore::new(path).load().await {
        Ok(Some(set)) => set,
        Ok(None) => return Some("no tokens stored".into()),
        Err(e) => return Some(format!("tokens unreadable: {e}")),
    };
    let mut line = match set.access.expires_at {
        Some(at) => match at.duration_since(std::time::SystemTime::now()) {
            Ok(left) => format!("access token valid for {} s more", left.as_secs()),
            Err(_) => "access token expired".to_string(),
        },
        None => "access token without expiry".to_string(),
    };
    if let Some(scope) = &set.access.scope {
        line.push_str(&format!(", scopes {scope}"));
    }
    line.push_str(if set.refresh_token.is_some() {
        ", refresh token kept"
    } else {
        ", no refresh token"
    });
    Some(line)
}

async fn status(config: &Config) -> Result<(), Failure> {
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
        if let Some(tokens) = token_status(config, vendor).await {
            line.push_str(&format!("; {tokens}"));
        }
        println!("{line}");
    }
    Ok(())
}

/// Revokes the stored access token where the vendor has a revocation endpoint (DrChrono).
/// A failure is a warning: the credentials are deleted all the same.
async fn revoke(config: &Config, vendor: &str) {
    #[cfg(feature = "drchrono")]
    if vendor == "drchrono" {
        use ehr_sdk::auth::TokenStore;
        let Ok(crate::profile::VendorProfile {
            auth:
                Auth::AuthorizationCode {
                    client_id,
                    client_secret,
                    redirect_uri,
                },
            base_url,
            ..
        }) = config.vendor(vendor)
        else {
            return;
        };
        let store = ehr_sdk::auth::FileTokenStore::new(config.token_path(vendor));
        let Ok(Some(set)) = store.load().await else {
            return;
        };
        let mut oauth =
            ehr_sdk::drchrono::DrChronoOAuth::new(client_id, client_secret.as_str(), redirect_uri);
        if let Some(base) = base_url {
            oauth = oauth.base_url(base);
        }
        match oauth.revoke(&set.access.token).await {
            Ok(()) => say!("drchrono: access token revoked"),
            Err(e) => say!("warning: the access token was not revoked: {e}"),
        }
    }
    #[cfg(not(feature = "drchrono"))]
    let _ = (config, vendor);
}

async fn logout(matches: &ArgMatches, config: &Config) -> Result<(), Failure> {
    let vendor = matches
        .get_one::<String>("vendor")
        .cloned()
        .unwrap_or_default();
    revoke(config, &vendor).await;
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
    say!(
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
