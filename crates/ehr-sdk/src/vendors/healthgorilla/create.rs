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
use crate::{Error, VendorError};

/// FHIR's JSON media type, sent and accepted by the calls built here.
const FHIR_JSON: &str = "application/fhir+json";
/// The most of a created resource that is read (1 MiB; a PractitionerRole is a few KiB).
const MAX_CREATED_BODY: usize = 1024 * 1024;

/// Why a user could not be created.
#[derive(Debug)]
#[non_exhaustive]
pub enum CreateUserError {
    /// The NPI is not one: empty, or not all ASCII digits.
    InvalidNpi,
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
    /// 409: Health Gorilla already has this user (the login, or a user for this NPI); the
    /// OperationOutcome is in the [`VendorError`].
    AlreadyExists(VendorError),
    /// The vendor answered 2xx with neither the created resource nor a `Location` naming it.
    NoCreatedId {
        /// The status.
        status: reqwest::StatusCode,
    },
    /// The lookup or the creation failed otherwise: missing `create_users` scope
    /// ([`Error::MissingScope`], before sending), a validation refusal with its
    /// OperationOutcome, auth, transport.
    Api(Error),
}

impl fmt::Display for CreateUserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CreateUserError::InvalidNpi => f.write_str("an NPI is a non-empty string of digits"),
            CreateUserError::NoPractitioner { npi } => {
                write!(
                    f,
                    "no Practitioner with NPI {npi} in Health Gorilla's directory"
                )
            }
            CreateUserError::SeveralPractitioners { npi, found } => write!(
                f,
                "{found} Practitioners with NPI {npi} in Health Gorilla's directory; expected one"
            ),
            CreateUserError::NotAClinician(why) => {
                write!(f, "cannot create a clinical user: {why}")
            }
            CreateUserError::AlreadyExists(answer) => {
                write!(f, "the user already exists: {answer}")
            }
            CreateUserError::NoCreatedId { status } => write!(
                f,
                "practitioner_role_create: {status} without the created resource or a Location"
            ),
            CreateUserError::Api(e) => fmt::Display::fmt(e, f),
        }
    }
}

impl std::error::Error for CreateUserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CreateUserError::NotAClinician(e) => Some(e),
            CreateUserError::Api(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for CreateUserError {
    fn from(error: Error) -> Self {
        match error {
            Error::Conflict(answer) => CreateUserError::AlreadyExists(answer),
            other => CreateUserError::Api(other),
        }
    }
}

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
    /// (`identifier=http://hl7.org/fhir/sid/us-npi|<npi>`): exactly one, or
    /// [`CreateUserError::NoPractitioner`] / [`CreateUserError::SeveralPractitioners`].
    fn lookup_npi(
        &self,
        npi: &str,
    ) -> impl Future<Output = Result<Practitioner, CreateUserError>> + Send;

    /// Creates a clinical user: looks `npi` up ([`lookup_npi`](Self::lookup_npi)), builds the
    /// user from the Practitioner found ([`ClinicalUser::new`]: its name copied exactly) and
    /// `account`, and [creates](Self::create_user) it.
    fn create_clinical_user(
        &self,
        npi: &str,
        account: Account,
    ) -> impl Future<Output = Result<PractitionerRole, CreateUserError>> + Send;

    /// Creates `user` (POST `/fhir/R4/PractitionerRole`, as `application/fhir+json`) and
    /// returns the created PractitionerRole with its server id: the body when the vendor sends
    /// it (200 or 201), otherwise what was sent, less the password, with the id of the
    /// `Location` header (201). The token needs `create_users`: without it the call fails with
    /// [`Error::MissingScope`] before anything is sent.
    fn create_user(
        &self,
        user: impl Into<NewUser> + Send,
    ) -> impl Future<Output = Result<PractitionerRole, CreateUserError>> + Send;
}

impl CreateUsers for super::api::Client {
    async fn lookup_npi(&self, npi: &str) -> Result<Practitioner, CreateUserError> {
        if npi.is_empty() || !npi.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CreateUserError::InvalidNpi);
        }
        let bundle = self
            .practitioner_search()
            .identifier(format!("{NPI_SYSTEM}|{npi}"))
            .send()
            .await
            .map_err(CreateUserError::Api)?
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
            (None, _) => Err(CreateUserError::NoPractitioner { npi: npi.into() }),
            (Some(_), found) => Err(CreateUserError::SeveralPractitioners {
                npi: npi.into(),
                found,
            }),
        }
    }

    async fn create_clinical_user(
        &self,
        npi: &str,
        account: Account,
    ) -> Result<PractitionerRole, CreateUserError> {
        let practitioner = self.lookup_npi(npi).await?;
        let user =
            ClinicalUser::new(&practitioner, account).map_err(CreateUserError::NotAClinician)?;
        self.create_user(user).await
    }

    async fn create_user(
        &self,
        user: impl Into<NewUser> + Send,
    ) -> Result<PractitionerRole, CreateUserError> {
        const CALL: CallInfo = CallInfo {
            vendor: "healthgorilla",
            operation_id: "practitioner_role_create",
        };
        let user = user.into();
        let body = serde_json::to_vec(user.resource()).map_err(|e| {
            CreateUserError::Api(Error::InvalidRequest {
                operation_id: CALL.operation_id,
                message: format!("the user does not serialize: {e}"),
            })
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
            return Err(CreateUserError::NoCreatedId { status });
        };
        sent_as_created(&user, id)
            .map_err(|e| Error::decode(CALL.operation_id, status, b"", &e).into())
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
