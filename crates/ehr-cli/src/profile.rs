//! Profiles: per vendor, where to send calls and with which credentials, in
//! `<config dir>/ehr/profiles.json` (mode 0600); each profile's OAuth tokens in
//! `<config dir>/ehr/tokens/<profile>/<vendor>.json` (a `FileTokenStore`, mode 0600).
//!
//! The config directory is `$EHR_CONFIG_DIR` when set, else the user's (`~/.config/ehr` on
//! Linux). The profile is `--profile`, else `$EHR_PROFILE`, else `default`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::failure::Failure;

/// Every profile.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profiles {
    /// By name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One profile: a vendor's settings each.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profile {
    /// By vendor name (`drchrono`, …).
    #[serde(default, flatten)]
    pub vendors: BTreeMap<String, VendorProfile>,
}

/// How to reach one vendor.
#[derive(Serialize, Deserialize)]
pub struct VendorProfile {
    /// The API's base URL; the vendor's production (or the environment's) when `None`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// `sandbox` or `production`, for vendors that have both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The token endpoint, when it is not the environment's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_url: Option<String>,
    /// The credentials.
    pub auth: Auth,
}

impl std::fmt::Debug for VendorProfile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VendorProfile")
            .field("base_url", &self.base_url)
            .field("environment", &self.environment)
            .field("auth", &self.auth.kind())
            .finish_non_exhaustive()
    }
}

/// A vendor's credentials, as stored (the file is readable by its owner only).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// A fixed access token.
    AccessToken {
        /// The token.
        token: String,
    },
    /// OAuth authorization code with refresh (DrChrono); the tokens are in the profile's
    /// token store.
    AuthorizationCode {
        /// The app's client id.
        client_id: String,
        /// The app's client secret.
        client_secret: String,
        /// The redirect URI the tokens were granted for.
        redirect_uri: String,
    },
    /// OAuth client credentials (Elation), or JWT-bearer signed with the secret (Health
    /// Gorilla).
    ClientCredentials {
        /// The client id.
        client_id: String,
        /// The client secret.
        client_secret: String,
        /// The scopes to ask for.
        #[serde(default)]
        scopes: Vec<String>,
        /// Health Gorilla: the login the client's own tokens act as.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        subject: Option<String>,
    },
    /// API keys (Empego).
    ApiKey {
        /// The API key.
        api_key: String,
        /// The tenant key, if the vendor asks for one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tenant_key: Option<String>,
    },
}

impl Auth {
    /// Its kind, as `ehr auth status` prints it.
    pub fn kind(&self) -> &'static str {
        match self {
            Auth::AccessToken { .. } => "access token",
            Auth::AuthorizationCode { .. } => "authorization code (OAuth, refreshed)",
            Auth::ClientCredentials { .. } => "client credentials",
            Auth::ApiKey { .. } => "API key",
        }
    }
}

/// Where profiles and tokens live.
#[derive(Clone, Debug)]
pub struct Config {
    dir: PathBuf,
    /// The profile in use.
    pub profile: String,
}

impl Config {
    /// The config directory and the profile chosen (`--profile`, `$EHR_PROFILE`, `default`).
    pub fn locate(profile: Option<&str>) -> Result<Self, Failure> {
        let dir = match std::env::var_os("EHR_CONFIG_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => dirs::config_dir()
                .ok_or_else(|| Failure::Other("no config directory: set EHR_CONFIG_DIR".into()))?
                .join("ehr"),
        };
        let profile = profile
            .map(str::to_string)
            .or_else(|| std::env::var("EHR_PROFILE").ok())
            .unwrap_or_else(|| "default".to_string());
        if profile.is_empty()
            || !profile
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Failure::usage(format!(
                "invalid profile name '{profile}': letters, digits, - and _ only"
            )));
        }
        Ok(Self { dir, profile })
    }

    fn profiles_path(&self) -> PathBuf {
        self.dir.join("profiles.json")
    }

    /// The token file of `vendor` in this profile.
    pub fn token_path(&self, vendor: &str) -> PathBuf {
        self.dir
            .join("tokens")
            .join(&self.profile)
            .join(format!("{vendor}.json"))
    }

    /// The token store of `vendor` in this profile, its directory created (owner only).
    pub fn token_store(&self, vendor: &str) -> Result<ehr_sdk::auth::FileTokenStore, Failure> {
        let path = self.token_path(vendor);
        if let Some(dir) = path.parent() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .map_err(|e| Failure::Other(format!("cannot create {}: {e}", dir.display())))?;
        }
        Ok(ehr_sdk::auth::FileTokenStore::new(path))
    }

    /// Every profile (none when the file does not exist yet).
    pub fn load(&self) -> Result<Profiles, Failure> {
        let path = self.profiles_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| Failure::Other(format!("{} does not parse: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Profiles::default()),
            Err(e) => Err(Failure::Other(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// The settings of `vendor` in this profile.
    pub fn vendor(&self, vendor: &str) -> Result<VendorProfile, Failure> {
        let mut profiles = self.load()?;
        profiles
            .profiles
            .get_mut(&self.profile)
            .and_then(|p| p.vendors.remove(vendor))
            .ok_or_else(|| {
                Failure::Auth(format!(
                    "profile '{}' has no credentials for {vendor}: run `ehr auth login {vendor}`",
                    self.profile
                ))
            })
    }

    /// Saves every profile, readable by the owner only.
    pub fn save(&self, profiles: &Profiles) -> Result<(), Failure> {
        let text = serde_json::to_vec_pretty(profiles)
            .map_err(|e| Failure::Other(format!("cannot write the profiles: {e}")))?;
        write_private(&self.profiles_path(), &text)
    }
}

/// Writes `bytes` to `path` (creating its directory) with mode 0600, through a temporary
/// file renamed over it.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| Failure::Other(format!("cannot write {}: {e}", path.display()));
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let temporary = path.with_extension("tmp");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temporary).map_err(fail)?;
        std::io::Write::write_all(&mut file, bytes).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    std::fs::rename(&temporary, path).map_err(fail)
}
