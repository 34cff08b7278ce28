//! DrChrono iframe launches ("IFrame integration", beta): the query parameters DrChrono appends
//! to an iframe's URL on the patient page and the clinical note page, verified.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Secret;

/// How old a launch may be unless told otherwise (five minutes).
pub const IFRAME_MAX_AGE: Duration = Duration::from_secs(300);
/// How far in the future a launch's `iat` may be (clock drift between DrChrono and you).
pub const IFRAME_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// The parameters DrChrono documents for the two pages (besides `jwt`).
const LAUNCH_PARAMETERS: [&str; 6] = [
    "user_id",
    "doctor_id",
    "patient_id",
    "appointment_id",
    "practice_id",
    "iat",
];

/// A verified iframe launch: who opened which page.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum IframeLaunch {
    /// The patient page (`/patients/:id`).
    PatientPage {
        /// `user_id`: who is looking (may be staff, not the doctor).
        user: i64,
        /// `doctor_id`.
        doctor: i64,
        /// `patient_id`.
        patient: i64,
        /// `practice_id`, when the doctor belongs to a practice group.
        practice: Option<i64>,
        /// `iat`: when DrChrono issued the launch.
        issued_at: SystemTime,
    },
    /// The clinical note page (`/clinical_note/edit/:id`).
    ClinicalNotePage {
        /// `appointment_id`.
        appointment: i64,
        /// `doctor_id`.
        doctor: i64,
        /// `patient_id`.
        patient: i64,
        /// `practice_id`, when the doctor belongs to a practice group.
        practice: Option<i64>,
        /// `iat`: when DrChrono issued the launch.
        issued_at: SystemTime,
    },
}

/// Why a launch was refused. Names parameters, never their values or the token.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LaunchError {
    /// A parameter the page always carries is missing (`jwt`, `iat`, `doctor_id`, …).
    MissingParameter(&'static str),
    /// A parameter is given more than once.
    RepeatedParameter(String),
    /// The `jwt` is not a JWT signed HS256 with the client secret.
    BadSignature,
    /// A parameter's value differs from the one the `jwt` signs.
    Tampered(String),
    /// A parameter is in the URL but not signed by the `jwt` (and not allowed as one of yours).
    Unsigned(String),
    /// The `jwt` signs a parameter the URL does not carry.
    Missing(String),
    /// A parameter that must be an integer is not.
    NotAnInteger(&'static str),
    /// The launch is older than the allowed age (a replay, or a page left open).
    Stale {
        /// How old it is.
        age: Duration,
    },
    /// The launch's `iat` is further in the future than clock drift explains.
    FromTheFuture,
}

impl fmt::Display for LaunchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LaunchError::MissingParameter(p) => write!(f, "iframe launch refused: no `{p}`"),
            LaunchError::RepeatedParameter(p) => {
                write!(f, "iframe launch refused: `{p}` is given more than once")
            }
            LaunchError::BadSignature => {
                f.write_str("iframe launch refused: the jwt is not signed with the client secret")
            }
            LaunchError::Tampered(p) => {
                write!(
                    f,
                    "iframe launch refused: `{p}` differs from the signed value"
                )
            }
            LaunchError::Unsigned(p) => write!(f, "iframe launch refused: `{p}` is not signed"),
            LaunchError::Missing(p) => {
                write!(
                    f,
                    "iframe launch refused: the signed `{p}` is not in the URL"
                )
            }
            LaunchError::NotAnInteger(p) => {
                write!(f, "iframe launch refused: `{p}` is not an integer")
            }
            LaunchError::Stale { age } => write!(
                f,
                "iframe launch refused: issued {} s ago, older than allowed",
                age.as_secs()
            ),
            LaunchError::FromTheFuture => {
                f.write_str("iframe launch refused: issued in the future")
            }
        }
    }
}

impl std::error::Error for LaunchError {}

/// Verifies iframe launches with the application's client secret: the `jwt` must be HS256 with
/// the secret and sign exactly the other parameters, and `iat` must be recent.
///
/// ```
/// use ehr_sdk::drchrono::{IframeLaunch, IframeVerifier};
///
/// let verifier = IframeVerifier::new("client-secret");
/// // The query string of the iframe's request, as DrChrono sent it.
/// let refused = verifier.verify_query("user_id=1&doctor_id=2&patient_id=3&iat=0&jwt=x");
/// assert!(refused.is_err());
/// ```
#[derive(Clone)]
pub struct IframeVerifier {
    secret: Secret,
    max_age: Duration,
    clock_skew: Duration,
    yours: Vec<String>,
}

impl IframeVerifier {
    /// A verifier for the application whose client secret is `client_secret`.
    pub fn new(client_secret: impl Into<Secret>) -> Self {
        Self {
            secret: client_secret.into(),
            max_age: IFRAME_MAX_AGE,
            clock_skew: IFRAME_CLOCK_SKEW,
            yours: Vec::new(),
        }
    }

    /// Refuses launches older than `max_age` ([`IFRAME_MAX_AGE`] unless set).
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Accepts an `iat` at most `skew` ahead of this machine's clock
    /// ([`IFRAME_CLOCK_SKEW`] unless set).
    pub fn clock_skew(mut self, skew: Duration) -> Self {
        self.clock_skew = skew;
        self
    }

    /// Query parameters of your own iframe URL (registered with DrChrono), which DrChrono does
    /// not sign: they are allowed, and not part of the launch. Any other unsigned parameter is
    /// refused.
    pub fn allow_unsigned(mut self, names: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.yours.extend(names.into_iter().map(Into::into));
        self
    }

    /// Verifies the launch in `uri`'s query.
    pub fn verify(&self, uri: &http::Uri) -> Result<IframeLaunch, LaunchError> {
        self.verify_query(uri.query().unwrap_or(""))
    }

    /// Verifies the launch in a query string (without the `?`).
    pub fn verify_query(&self, query: &str) -> Result<IframeLaunch, LaunchError> {
        let mut params: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let name = name.into_owned();
            if params.contains_key(&name) {
                return Err(LaunchError::RepeatedParameter(short(&name)));
            }
            params.insert(name, value.into_owned());
        }
        let jwt = params
            .remove("jwt")
            .ok_or(LaunchError::MissingParameter("jwt"))?;
        let claims = self.signed(&jwt)?;
        for (name, value) in &params {
            match claims.get(name) {
                Some(signed) if same(signed, value) => {}
                Some(_) => return Err(LaunchError::Tampered(short(name))),
                None if self.yours.iter().any(|y| y == name)
                    && !LAUNCH_PARAMETERS.contains(&name.as_str()) => {}
                None => return Err(LaunchError::Unsigned(short(name))),
            }
        }
        if let Some(name) = claims.keys().find(|k| !params.contains_key(*k)) {
            return Err(LaunchError::Missing(short(name)));
        }
        let int = |name: &'static str| -> Result<Option<i64>, LaunchError> {
            params
                .get(name)
                .map(|v| {
                    v.parse::<i64>()
                        .map_err(|_| LaunchError::NotAnInteger(name))
                })
                .transpose()
        };
        let required = |name: &'static str| int(name)?.ok_or(LaunchError::MissingParameter(name));
        let iat = required("iat")?;
        let issued_at = self.check_time(iat)?;
        let (doctor, patient, practice) = (
            required("doctor_id")?,
            required("patient_id")?,
            int("practice_id")?,
        );
        match int("appointment_id")? {
            Some(appointment) => Ok(IframeLaunch::ClinicalNotePage {
                appointment,
                doctor,
                patient,
                practice,
                issued_at,
            }),
            None => Ok(IframeLaunch::PatientPage {
                user: required("user_id")?,
                doctor,
                patient,
                practice,
                issued_at,
            }),
        }
    }

    /// The claims of `jwt`, if it is HS256 with the secret. DrChrono signs the parameters only
    /// (no `exp`, `aud` or `iss`); `iat` is checked by the caller.
    fn signed(&self, jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, LaunchError> {
        crate::jwt::verify(jwt, self.secret.expose().as_bytes()).ok_or(LaunchError::BadSignature)
    }

    fn check_time(&self, iat: i64) -> Result<SystemTime, LaunchError> {
        let issued_at = u64::try_from(iat)
            .ok()
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s)))
            .ok_or(LaunchError::NotAnInteger("iat"))?;
        let now = SystemTime::now();
        match now.duration_since(issued_at) {
            Ok(age) if age > self.max_age => Err(LaunchError::Stale { age }),
            Ok(_) => Ok(issued_at),
            Err(ahead) if ahead.duration() > self.clock_skew => Err(LaunchError::FromTheFuture),
            Err(_) => Ok(issued_at),
        }
    }
}

impl fmt::Debug for IframeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IframeVerifier")
            .field("secret", &self.secret)
            .field("max_age", &self.max_age)
            .field("clock_skew", &self.clock_skew)
            .field("yours", &self.yours)
            .finish()
    }
}

/// Whether a signed claim equals a query value: numbers by their decimal text, strings as is.
fn same(signed: &serde_json::Value, value: &str) -> bool {
    match signed {
        serde_json::Value::String(s) => s == value,
        serde_json::Value::Number(n) => n.to_string() == value,
        serde_json::Value::Bool(b) => b.to_string() == value,
        _ => false,
    }
}

/// A parameter name as it may be printed: at most 64 characters.
fn short(name: &str) -> String {
    name.chars().take(64).collect()
}
