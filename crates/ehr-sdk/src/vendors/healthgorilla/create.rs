//! Creating users: the NPI lookup, the POST, and what the vendor answers either way.

use std::fmt;

use std::future::Future;

use ehr_runtime::{CallInfo, GeneratedClient};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue, LOCATION};

use super::api::types::{Practitioner, PractitionerEntryResource, PractitionerRole};
#[cfg(doc)]
use super::client::Client;
use super::guard::PRACTITIONER_ROLE;
use super::users::{
    Account, ClinicalUser, NPI_SYSTEM, NewUser, NotAClinician, PASSWORD_EXTENSION, npi_of,
};
use crate::Error;
use crate::runtime::error::RefusalCode;

/// FHIR's JSON media type, sent and accepted by the calls built here.
const FHIR_JSON: &str = "application/fhir+json";
/// The most of a created resource that is read (1 MiB; a PractitionerRole is a few KiB).
const MAX_CREATED_BODY: usize = 1024 * 1024;

/// What creating a user met that is not a refusal of Health Gorilla's: each comes as an
/// [`Error::Outcome`] whose `code` is one of this type's constants, and whose detail this is
/// ([`UserCreation::of`]). The vendor's refusals come as their classes: a user that exists
/// already is [`Error::Conflict`] (409, with its OperationOutcome), a request the vendor
/// rejects [`Error::Validation`], a token without `create_users` [`Error::MissingScope`]
/// (before anything is sent); an NPI that is not one is [`Error::InvalidRequest`] (nothing
/// sent).
///
/// ```no_run
/// # async fn run(admin: ehr_sdk::healthgorilla::Client, account: ehr_sdk::healthgorilla::Account) {
/// use ehr_sdk::Error;
/// use ehr_sdk::healthgorilla::{CreateUsers, UserCreation};
///
/// match admin.create_clinical_user("1234567893", account).await {
///     Ok(role) => println!("created {:?}", role.id),
///     Err(Error::Outcome { code: UserCreation::NO_PRACTITIONER, .. }) => {
///         println!("no such NPI in the directory")
///     }
///     Err(Error::Conflict(answer)) => println!("exists already: {answer}"),
///     Err(Error::MissingScope { scope, .. }) => println!("ask for {scope}"),
///     Err(other) => match UserCreation::of(&other) {
///         Some(UserCreation::SeveralPractitioners { found, .. }) => println!("{found} found"),
///         _ => println!("{other}"),
///     },
/// }
/// # }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum UserCreation {
    /// The directory has no Practitioner with this NPI.
    NoPractitioner {
        /// The NPI looked up.
        npi: String,
    },
    /// The directory has several Practitioners with this NPI; which one is meant is not
    /// guessed.
    SeveralPractitioners {
        /// The NPI looked up.
        npi: String,
        /// How many it has.
        found: u64,
    },
    /// The directory's Practitioner cannot be made a clinical user.
    NotAClinician(NotAClinician),
    /// The vendor answered 2xx with neither the created resource nor a `Location` naming it.
    NoCreatedId {
        /// The status.
        status: reqwest::StatusCode,
    },
}

impl UserCreation {
    /// The code of [`UserCreation::NoPractitioner`].
    pub const NO_PRACTITIONER: RefusalCode = RefusalCode::new("healthgorilla", "no_practitioner");
    /// The code of [`UserCreation::SeveralPractitioners`].
    pub const SEVERAL_PRACTITIONERS: RefusalCode =
        RefusalCode::new("healthgorilla", "several_practitioners");
    /// The code of [`UserCreation::NotAClinician`].
    pub const NOT_A_CLINICIAN: RefusalCode = RefusalCode::new("healthgorilla", "not_a_clinician");
    /// The code of [`UserCreation::NoCreatedId`].
    pub const NO_CREATED_ID: RefusalCode = RefusalCode::new("healthgorilla", "no_created_id");

    /// Its code in [`Error::Outcome`].
    pub const fn code(&self) -> RefusalCode {
        match self {
            UserCreation::NoPractitioner { .. } => Self::NO_PRACTITIONER,
            UserCreation::SeveralPractitioners { .. } => Self::SEVERAL_PRACTITIONERS,
            UserCreation::NotAClinician(_) => Self::NOT_A_CLINICIAN,
            UserCreation::NoCreatedId { .. } => Self::NO_CREATED_ID,
        }
    }

    /// The user-creation outcome `error` is, if it is one.
    pub fn of(error: &Error) -> Option<&UserCreation> {
        match error {
            Error::Outcome { detail, .. } => detail.downcast_ref(),
            _ => None,
        }
    }

    /// As the error of `operation_id`.
    fn of_operation(self, operation_id: &'static str) -> Error {
        Error::Outcome {
            operation_id,
            code: self.code(),
            detail: Box::new(self),
        }
    }
}

impl fmt::Display for UserCreation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserCreation::NoPractitioner { npi } => {
                write!(
                    f,
                    "no Practitioner with NPI {npi} in Health Gorilla's directory"
                )
            }
            UserCreation::SeveralPractitioners { npi, found } => write!(
                f,
                "{found} Practitioners with NPI {npi} in Health Gorilla's directory; expected one"
            ),
            UserCreation::NotAClinician(why) => {
                write!(f, "cannot create a clinical user: {why}")
            }
            UserCreation::NoCreatedId { status } => {
                write!(f, "{status} without the created resource or a Location")
            }
        }
    }
}

impl std::error::Error for UserCreation {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UserCreation::NotAClinician(e) => Some(e),
            _ => None,
        }
    }
}

/// The operations' ids, as their errors name them.
const SEARCH: &str = "practitioner_search";
const CREATE: &str = "practitioner_role_create";

/// Creating Health Gorilla users, as the clinical-user document describes it: implemented for
/// the generated client, so every [`Client`] (and each acting copy, through `Deref`) has it.
/// The creation goes through the client's pipeline: without the `create_users` scope it is
/// refused before anything is sent.
///
/// ```no_run
/// # async fn run(client: ehr_sdk::healthgorilla::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use ehr_sdk::healthgorilla::{Account, AdministrativeRole, CreateUsers, PractitionerRoleCode};
///
/// let admin = client.as_user("admin.login")?;
/// let account = Account::new("jdoe", AdministrativeRole::Provider, PractitionerRoleCode::Doctor);
/// let role = admin.create_clinical_user("1234567893", account).await?;
/// println!("created {:?}", role.id);
/// # Ok(()) }
/// ```
pub trait CreateUsers {
    /// The directory's Practitioner with this NPI
    /// (`identifier=http://hl7.org/fhir/sid/us-npi|<npi>`): exactly one, or an
    /// [`Error::Outcome`] of [`UserCreation::NO_PRACTITIONER`] /
    /// [`UserCreation::SEVERAL_PRACTITIONERS`]; an `npi` that is not digits is
    /// [`Error::InvalidRequest`] (nothing sent).
    fn lookup_npi(&self, npi: &str) -> impl Future<Output = Result<Practitioner, Error>> + Send;

    /// Creates a clinical user: looks `npi` up ([`lookup_npi`](Self::lookup_npi)), builds the
    /// user from the Practitioner found ([`ClinicalUser::new`]: its name copied exactly; an
    /// [`Error::Outcome`] of [`UserCreation::NOT_A_CLINICIAN`] when it cannot be) and
    /// `account`, and [creates](Self::create_user) it.
    fn create_clinical_user(
        &self,
        npi: &str,
        account: Account,
    ) -> impl Future<Output = Result<PractitionerRole, Error>> + Send;

    /// Creates `user` (POST `/fhir/R4/PractitionerRole`, as `application/fhir+json`) and
    /// returns the created PractitionerRole with its server id: the body when the vendor sends
    /// it (200 or 201), otherwise what was sent, less the password, with the id of the
    /// `Location` header (201), or an [`Error::Outcome`] of [`UserCreation::NO_CREATED_ID`]
    /// with neither. A user that exists already is [`Error::Conflict`] (409). The token needs
    /// `create_users`: without it the call fails with [`Error::MissingScope`] before anything
    /// is sent.
    fn create_user(
        &self,
        user: impl Into<NewUser> + Send,
    ) -> impl Future<Output = Result<PractitionerRole, Error>> + Send;
}

impl CreateUsers for super::api::Client {
    async fn lookup_npi(&self, npi: &str) -> Result<Practitioner, Error> {
        if npi.is_empty() || !npi.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidRequest {
                operation_id: SEARCH,
                message: "an NPI is a non-empty string of digits".into(),
            });
        }
        let bundle = self
            .practitioner_search()
            .identifier(format!("{NPI_SYSTEM}|{npi}"))
            .send()
            .await?
            .into_inner();
        let mut matches: Vec<Practitioner> = bundle
            .entry
            .into_iter()
            .filter_map(|entry| match entry.resource {
                Some(PractitionerEntryResource::Practitioner(p))
                    if p.resource_type == "Practitioner" && npi_of(&p) == Some(npi) =>
                {
                    Some(p)
                }
                _ => None,
            })
            .collect();
        let on_page = u64::try_from(matches.len()).unwrap_or(u64::MAX);
        let found = on_page.max(
            bundle
                .total
                .and_then(|t| u64::try_from(t).ok())
                .unwrap_or(0),
        );
        match (matches.pop(), found) {
            (Some(practitioner), 1) => Ok(practitioner),
            (None, _) => Err(UserCreation::NoPractitioner { npi: npi.into() }.of_operation(SEARCH)),
            (Some(_), found) => Err(UserCreation::SeveralPractitioners {
                npi: npi.into(),
                found,
            }
            .of_operation(SEARCH)),
        }
    }

    async fn create_clinical_user(
        &self,
        npi: &str,
        account: Account,
    ) -> Result<PractitionerRole, Error> {
        let practitioner = self.lookup_npi(npi).await?;
        let user = ClinicalUser::new(&practitioner, account)
            .map_err(|why| UserCreation::NotAClinician(why).of_operation(CREATE))?;
        self.create_user(user).await
    }

    async fn create_user(
        &self,
        user: impl Into<NewUser> + Send,
    ) -> Result<PractitionerRole, Error> {
        const CALL: CallInfo = CallInfo {
            vendor: "healthgorilla",
            operation_id: CREATE,
        };
        let user = user.into();
        let body = serde_json::to_vec(user.resource()).map_err(|e| Error::InvalidRequest {
            operation_id: CALL.operation_id,
            message: format!("the user does not serialize: {e}"),
        })?;
        let runtime = GeneratedClient::runtime(self);
        let base_url = GeneratedClient::base_url(self);
        let request = runtime
            .http()
            .post(format!("{base_url}{PRACTITIONER_ROLE}"))
            .header(CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON))
            .header(
                ACCEPT,
                HeaderValue::from_static("application/fhir+json, application/json"),
            )
            .body(body);
        let response = crate::pipeline::send_hand_built(runtime, request, CALL).await?;
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(id_from_location);
        let (body, _) = ehr_runtime::error::read_limited(response, MAX_CREATED_BODY)
            .await
            .map_err(|(_, e)| Error::http(CALL.operation_id, e.without_url(), Vec::new()))?;
        if !body.iter().all(u8::is_ascii_whitespace) {
            let created: PractitionerRole =
                ehr_runtime::decode::response_body(&body, runtime.decoding(), CALL.operation_id)
                    .map_err(|e| Error::decode(CALL.operation_id, status, &body, &e))?;
            if created.id.is_some() || location.is_none() {
                return Ok(created);
            }
            return Ok(PractitionerRole {
                id: location,
                ..created
            });
        }
        let Some(id) = location else {
            return Err(UserCreation::NoCreatedId { status }.of_operation(CREATE));
        };
        sent_as_created(&user, id).map_err(|e| Error::decode(CALL.operation_id, status, b"", &e))
    }
}

/// The id in a `Location` of `…/PractitionerRole/<id>` or `…/PractitionerRole/<id>/_history/<v>`.
fn id_from_location(location: &str) -> Option<String> {
    let path = location.split(['?', '#']).next()?;
    let rest = &path[path.rfind("PractitionerRole/")? + "PractitionerRole/".len()..];
    let id = rest.split('/').next()?;
    let valid = !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    valid.then(|| id.to_string())
}

/// What was sent, as a PractitionerRole with the server's id and without the password.
fn sent_as_created(user: &NewUser, id: String) -> serde_json::Result<PractitionerRole> {
    let mut sent = user.resource().clone();
    for practitioner in &mut sent.contained {
        practitioner
            .extension
            .retain(|e| e.url.as_deref() != Some(PASSWORD_EXTENSION));
    }
    // The request body's shape is a subset of the resource's, so the conversion holds.
    let mut value = serde_json::to_value(&sent).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("id".into(), serde_json::Value::String(id));
    }
    serde_json::from_value(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_is_read_from_the_location_forms_fhir_uses() {
        assert_eq!(
            id_from_location("https://h/fhir/R4/PractitionerRole/abc-1/_history/1").as_deref(),
            Some("abc-1")
        );
        assert_eq!(
            id_from_location("PractitionerRole/x9").as_deref(),
            Some("x9")
        );
        assert_eq!(id_from_location("https://h/fhir/R4/Patient/1"), None);
        assert_eq!(id_from_location("https://h/PractitionerRole/"), None);
        assert_eq!(id_from_location("https://h/PractitionerRole/a b"), None);
    }
}
