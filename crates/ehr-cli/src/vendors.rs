//! `ehr <vendor> <resource> <verb>`: the façade's client for the profile, acting for a user
//! when asked, then the generated operation.

use clap::ArgMatches;

use crate::call::Call;
use crate::commands::{self, Resource};
use crate::failure::Failure;
use crate::output::Output;
use crate::profile::{Auth, Config, VendorProfile};

/// A vendor built into this `ehr`.
pub struct Vendor {
    /// Its name: `ehr <name> …`.
    pub name: &'static str,
    /// Its help line.
    pub about: &'static str,
    /// Its generated commands.
    pub resources: &'static [Resource],
    /// The version of the spec they were generated from.
    pub spec_version: &'static str,
}

/// Every vendor built in, by feature.
pub const VENDORS: &[Vendor] = &[
    #[cfg(feature = "drchrono")]
    Vendor {
        name: "drchrono",
        about: "DrChrono v4",
        resources: crate::generated::drchrono::RESOURCES,
        spec_version: crate::generated::drchrono::SPEC_VERSION,
    },
    #[cfg(feature = "elation")]
    Vendor {
        name: "elation",
        about: "Elation Health API 2.0",
        resources: crate::generated::elation::RESOURCES,
        spec_version: crate::generated::elation::SPEC_VERSION,
    },
    #[cfg(feature = "empego")]
    Vendor {
        name: "empego",
        about: "Empego embeddable URLs",
        resources: crate::generated::empego::RESOURCES,
        spec_version: crate::generated::empego::SPEC_VERSION,
    },
    #[cfg(feature = "healthgorilla")]
    Vendor {
        name: "healthgorilla",
        about: "Health Gorilla FHIR R4",
        resources: crate::generated::healthgorilla::RESOURCES,
        spec_version: crate::generated::healthgorilla::SPEC_VERSION,
    },
];

/// The `clap` command of `vendor`, with its acting flags.
pub fn command(vendor: &Vendor) -> clap::Command {
    let command = commands::vendor(vendor.name, vendor.about, vendor.resources)
        .subcommand(crate::api::command());
    match vendor.name {
        "elation" => command.arg(
            clap::Arg::new("on-behalf-of")
                .long("on-behalf-of")
                .global(true)
                .value_name("USER_ID")
                .value_parser(clap::value_parser!(i64))
                .help("Act for this user (the Users API id): X-On-Behalf-Of"),
        ),
        "healthgorilla" => command.arg(
            clap::Arg::new("as-user")
                .long("as-user")
                .global(true)
                .value_name("LOGIN")
                .help("Act as this user: the tokens' subject"),
        ),
        "empego" => command
            .arg(
                clap::Arg::new("as-user")
                    .long("as-user")
                    .global(true)
                    .value_name("USER_ID")
                    .help("Act as this integration user (x-integration-user)"),
            )
            .arg(
                clap::Arg::new("as-user-first-name")
                    .long("as-user-first-name")
                    .global(true)
                    .requires("as-user")
                    .value_name("NAME"),
            )
            .arg(
                clap::Arg::new("as-user-last-name")
                    .long("as-user-last-name")
                    .global(true)
                    .requires("as-user")
                    .value_name("NAME"),
            )
            .arg(
                clap::Arg::new("as-user-email")
                    .long("as-user-email")
                    .global(true)
                    .requires("as-user")
                    .value_name("EMAIL"),
            ),
        _ => command,
    }
}

/// Runs `ehr <vendor> …` whose matches are `matches`.
pub async fn run(
    vendor: &Vendor,
    matches: &ArgMatches,
    config: &Config,
    out: &mut Output,
) -> Result<(), Failure> {
    let (resource, resource_matches) = matches
        .subcommand()
        .ok_or_else(|| Failure::usage("a resource is required"))?;
    let target = if resource == "api" {
        Target::Api(resource_matches)
    } else {
        let (verb, op_matches) = resource_matches
            .subcommand()
            .ok_or_else(|| Failure::usage("a verb is required"))?;
        let op = commands::find(vendor.resources, resource, verb)
            .ok_or_else(|| Failure::usage(format!("no command `{resource} {verb}`")))?;
        if let (Some(body), Ok(Some(true))) =
            (&op.body, op_matches.try_get_one::<bool>("body-template"))
        {
            return out
                .raw(format!("{}\n", body.template).as_bytes())
                .and_then(|()| out.flush());
        }
        Target::Op(op.operation_id, op_matches)
    };
    // The acting flags are global to the vendor's commands: read where they were given.
    let acting = match &target {
        Target::Api(m) | Target::Op(_, m) => *m,
    };
    let profile = config.vendor(vendor.name)?;
    match vendor.name {
        #[cfg(feature = "drchrono")]
        "drchrono" => {
            let client = drchrono(&profile, config)?;
            target
                .run(
                    vendor.name,
                    client.api(),
                    out,
                    crate::generated::drchrono::execute,
                )
                .await
        }
        #[cfg(feature = "elation")]
        "elation" => {
            let mut client = elation(&profile)?;
            if let Some(user) = acting.get_one::<i64>("on-behalf-of") {
                client = client.on_behalf_of(ehr_sdk::elation::UserId::from_users_api_id(*user));
            }
            target
                .run(
                    vendor.name,
                    client.api(),
                    out,
                    crate::generated::elation::execute,
                )
                .await
        }
        #[cfg(feature = "empego")]
        "empego" => {
            let mut client = empego(&profile)?;
            if let Some(user_id) = acting.get_one::<String>("as-user") {
                let mut user = ehr_sdk::empego::IntegrationUser::existing(user_id);
                if let Some(v) = acting.get_one::<String>("as-user-first-name") {
                    user = user.first_name(v);
                }
                if let Some(v) = acting.get_one::<String>("as-user-last-name") {
                    user = user.last_name(v);
                }
                if let Some(v) = acting.get_one::<String>("as-user-email") {
                    user = user.email(v);
                }
                client = client
                    .as_user(&user)
                    .map_err(|e| Failure::usage(format!("--as-user: {e}")))?;
            }
            target
                .run(
                    vendor.name,
                    client.api(),
                    out,
                    crate::generated::empego::execute,
                )
                .await
        }
        #[cfg(feature = "healthgorilla")]
        "healthgorilla" => {
            let mut client = healthgorilla(&profile)?;
            if let Some(login) = acting.get_one::<String>("as-user") {
                client = client
                    .as_user(login)
                    .map_err(|e| Failure::usage(format!("--as-user: {e}")))?;
            }
            target
                .run(
                    vendor.name,
                    client.api(),
                    out,
                    crate::generated::healthgorilla::execute,
                )
                .await
        }
        other => Err(Failure::usage(format!("no vendor `{other}`"))),
    }
}

/// What a vendor command runs: a generated operation, or a raw `api` call.
enum Target<'m> {
    Op(&'static str, &'m ArgMatches),
    Api(&'m ArgMatches),
}

impl Target<'_> {
    /// Runs the target with `client`: `execute` (the vendor's generated dispatch) for an
    /// operation.
    async fn run<C: ehr_runtime::GeneratedClient>(
        self,
        vendor: &'static str,
        client: &C,
        out: &mut Output,
        execute: for<'a> fn(&'a C, &str, &'a mut Call<'_>) -> crate::call::Running<'a>,
    ) -> Result<(), Failure> {
        match self {
            Target::Api(matches) => crate::api::run(client, vendor, matches, out).await,
            Target::Op(operation_id, matches) => {
                let mut call = Call::new(matches, out);
                execute(client, operation_id, &mut call).await
            }
        }
    }
}

fn build_error(error: impl std::fmt::Display) -> Failure {
    Failure::Auth(format!(
        "the profile's settings do not make a client: {error}"
    ))
}

fn wrong_auth(vendor: &str, auth: &Auth) -> Failure {
    Failure::Auth(format!(
        "{vendor} does not take {} credentials: run `ehr auth login {vendor}`",
        auth.kind()
    ))
}

/// The DrChrono client of `profile`: its tokens in the profile's token store.
#[cfg(feature = "drchrono")]
pub fn drchrono(
    profile: &VendorProfile,
    config: &Config,
) -> Result<ehr_sdk::drchrono::Client, Failure> {
    let mut builder = ehr_sdk::drchrono::Client::builder();
    if let Some(url) = &profile.base_url {
        builder = builder.base_url(url);
    }
    let builder = match &profile.auth {
        Auth::AccessToken { token } => builder.access_token(token.as_str()),
        Auth::AuthorizationCode {
            client_id,
            client_secret,
            redirect_uri,
        } => builder
            .oauth(client_id, client_secret.as_str(), redirect_uri)
            .token_store(ehr_sdk::auth::FileTokenStore::new(
                config.token_path("drchrono"),
            )),
        other => return Err(wrong_auth("drchrono", other)),
    };
    builder.build().map_err(build_error)
}

/// The Elation client of `profile`.
#[cfg(feature = "elation")]
pub fn elation(profile: &VendorProfile) -> Result<ehr_sdk::elation::Client, Failure> {
    let mut builder = ehr_sdk::elation::Client::builder();
    builder = match profile.environment.as_deref() {
        Some("production") => builder.production(),
        _ => builder.sandbox(),
    };
    if let Some(url) = &profile.base_url {
        builder = builder.base_url(url);
    }
    let builder = match &profile.auth {
        Auth::AccessToken { token } => builder.access_token(token.as_str()),
        Auth::ClientCredentials {
            client_id,
            client_secret,
            scopes,
            ..
        } => {
            let mut builder = builder.client_credentials(client_id, client_secret.as_str());
            if !scopes.is_empty() {
                let set: ehr_sdk::elation::ScopeSet = scopes
                    .join(" ")
                    .parse()
                    .map_err(|e| Failure::Auth(format!("the profile's scopes: {e}")))?;
                builder = builder.scopes(set);
            }
            builder
        }
        other => return Err(wrong_auth("elation", other)),
    };
    builder.build().map_err(build_error)
}

/// The Empego client of `profile`.
#[cfg(feature = "empego")]
pub fn empego(profile: &VendorProfile) -> Result<ehr_sdk::empego::Client, Failure> {
    let mut builder = ehr_sdk::empego::Client::builder();
    if let Some(url) = &profile.base_url {
        builder = builder.base_url(url);
    }
    let builder = match &profile.auth {
        Auth::ApiKey {
            api_key,
            tenant_key,
        } => {
            let builder = builder.api_key(api_key.as_str());
            match tenant_key {
                Some(key) => builder.tenant_key(key.as_str()),
                None => builder,
            }
        }
        other => return Err(wrong_auth("empego", other)),
    };
    builder.build().map_err(build_error)
}

/// The Health Gorilla client of `profile`.
#[cfg(feature = "healthgorilla")]
pub fn healthgorilla(profile: &VendorProfile) -> Result<ehr_sdk::healthgorilla::Client, Failure> {
    let mut builder = ehr_sdk::healthgorilla::Client::builder();
    builder = match (
        &profile.base_url,
        &profile.token_url,
        profile.environment.as_deref(),
    ) {
        (Some(base), Some(token), _) => builder.environment(base, token),
        (_, _, Some("production")) => builder.production(),
        _ => builder.sandbox(),
    };
    let builder = match &profile.auth {
        Auth::AccessToken { token } => builder.access_token(token.as_str()),
        Auth::ClientCredentials {
            client_id,
            client_secret,
            scopes,
            subject,
        } => {
            let mut builder = builder.client_credentials(client_id, client_secret.as_str());
            if let Some(subject) = subject {
                builder = builder.default_subject(subject);
            }
            let scopes: Option<Vec<_>> = scopes
                .iter()
                .map(|s| ehr_sdk::healthgorilla::Scope::new(s.as_str()))
                .collect();
            let scopes =
                scopes.ok_or_else(|| Failure::Auth("the profile has an invalid scope".into()))?;
            builder.scopes(scopes)
        }
        other => return Err(wrong_auth("healthgorilla", other)),
    };
    builder.build().map_err(build_error)
}
