//! The PractitionerRole a Health Gorilla user is created from, built so that the document's
//! rules are hard to break ("Create a Clinical User").
//!
//! - A [`ClinicalUser`] is made **from the Practitioner the NPI lookup returned**: its NPI and
//!   its name are copied from it, exactly, as the document requires; nothing else can set them.
//! - A [`NonClinicalUser`] (staff, office managers) has a name and no NPI.
//! - Both take an [`Account`]: the login (required), the roles (required), and the optional
//!   password, email, lab account, SSO UUID, invitation and notification tags and target tenant.

use std::fmt;

use super::api::types::{
    CodeableConcept, Coding, ContactPoint, ContactPointSystem, ContactPointSystemKnown, Extension,
    HumanName, Identifier, Practitioner, PractitionerResourceType, PractitionerRoleCreate,
    PractitionerRoleCreateMeta, PractitionerRoleResourceType, Reference, UserPractitioner,
    UserPractitionerMeta, UserTag, UserTagCode,
};
use crate::Secret;

/// The NPI identifier system.
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
/// The identifier-type code system (v2-0203: `NPI`, `AN`, `PRN`).
const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
/// Health Gorilla's own code system (tags).
const HEALTH_GORILLA: &str = "https://www.healthgorilla.com";
/// The administrative-role code system.
const ADMINISTRATIVE_ROLE: &str = "https://www.healthgorilla.com/administrative-role";
/// The practitioner-role code system, as the document spells it.
const PRACTITIONER_ROLE: &str = "http://hl7.org/fhir/practitioner-role";
/// The login and password extensions.
pub(super) const LOGIN_EXTENSION: &str =
    "https://www.healthgorilla.com/fhir/R4/StructureDefinition/hg-practitioner-login";
pub(super) const PASSWORD_EXTENSION: &str =
    "https://www.healthgorilla.com/fhir/R4/StructureDefinition/hg-practitioner-password";
/// The profiles the document's example declares.
const USER_PROFILE: &str = "https://healthgorilla.com/fhir/StructureDefinition/hg-user";
const PRACTITIONER_PROFILES: [&str; 2] = [
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner",
    "https://healthgorilla.com/fhir/StructureDefinition/hg-practitioner",
];
/// The contained Practitioner's local id, referenced as `#pr`.
const CONTAINED_ID: &str = "pr";

/// The user's administrative role (`https://www.healthgorilla.com/administrative-role`). The
/// document shows `provider` only; other codes are Health Gorilla's to give.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdministrativeRole {
    /// `provider`.
    Provider,
    /// Another code, with its display text.
    Other {
        /// The code.
        code: String,
        /// Its display text.
        display: String,
    },
}

/// The user's practitioner role (`http://hl7.org/fhir/practitioner-role`, FHIR's value set).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PractitionerRoleCode {
    /// `doctor` (the document's example).
    Doctor,
    /// `nurse`.
    Nurse,
    /// `pharmacist`.
    Pharmacist,
    /// `researcher`.
    Researcher,
    /// `teacher` (teacher/educator).
    Teacher,
    /// `ict` (ICT professional).
    Ict,
    /// Another code, with its display text.
    Other {
        /// The code.
        code: String,
        /// Its display text.
        display: String,
    },
}

impl AdministrativeRole {
    fn coding(&self) -> Coding {
        let (code, display) = match self {
            AdministrativeRole::Provider => ("provider", "provider"),
            AdministrativeRole::Other { code, display } => (code.as_str(), display.as_str()),
        };
        coding(ADMINISTRATIVE_ROLE, code, display)
    }
}

impl PractitionerRoleCode {
    fn coding(&self) -> Coding {
        let (code, display) = match self {
            PractitionerRoleCode::Doctor => ("doctor", "Doctor"),
            PractitionerRoleCode::Nurse => ("nurse", "Nurse"),
            PractitionerRoleCode::Pharmacist => ("pharmacist", "Pharmacist"),
            PractitionerRoleCode::Researcher => ("researcher", "Researcher"),
            PractitionerRoleCode::Teacher => ("teacher", "Teacher/educator"),
            PractitionerRoleCode::Ict => ("ict", "ICT professional"),
            PractitionerRoleCode::Other { code, display } => (code.as_str(), display.as_str()),
        };
        coding(PRACTITIONER_ROLE, code, display)
    }
}

/// The account part of a new user: login, roles and the optional settings. `Debug` shows the
/// login and roles, never the password, email or identifiers.
///
/// ```
/// use ehr_sdk::healthgorilla::{Account, AdministrativeRole, PractitionerRoleCode};
///
/// let account = Account::new("jgorilla", AdministrativeRole::Provider, PractitionerRoleCode::Doctor)
///     .password("correct horse battery staple")
///     .email("joe@example.org")
///     .verified()
///     .no_subscriptions();
/// assert!(!format!("{account:?}").contains("horse"));
/// ```
#[derive(Clone)]
pub struct Account {
    username: String,
    password: Option<Secret>,
    email: Option<String>,
    lab_account: Option<(String, String)>,
    sso: Option<(String, String)>,
    administrative_role: AdministrativeRole,
    practitioner_role: PractitionerRoleCode,
    verified: bool,
    no_subscriptions: bool,
    tenant: Option<String>,
}

impl Account {
    /// An account with login `username` and the two roles the document requires.
    pub fn new(
        username: impl Into<String>,
        administrative_role: AdministrativeRole,
        practitioner_role: PractitionerRoleCode,
    ) -> Self {
        Self {
            username: username.into(),
            password: None,
            email: None,
            lab_account: None,
            sso: None,
            administrative_role,
            practitioner_role,
            verified: false,
            no_subscriptions: false,
            tenant: None,
        }
    }

    /// A password, for users who log in on Health Gorilla's own screen (optional otherwise).
    pub fn password(mut self, password: impl Into<Secret>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// The user's email (`telecom`, system `email`).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// A lab account number and the lab facility it belongs to (an `AN` identifier assigned by
    /// `Organization/f-<facility>`; give the facility id with or without its `f-`).
    pub fn lab_account(mut self, number: impl Into<String>, facility: impl Into<String>) -> Self {
        self.lab_account = Some((number.into(), facility.into()));
        self
    }

    /// A unique id for single sign-on and the tenant's SSO facility (a `PRN` identifier
    /// assigned by `Organization/f-<facility>`).
    pub fn sso_uuid(mut self, uuid: impl Into<String>, facility: impl Into<String>) -> Self {
        self.sso = Some((uuid.into(), facility.into()));
        self
    }

    /// No invitation email (tag `VERIFIED`; by default Health Gorilla sends one to validate
    /// the account).
    pub fn verified(mut self) -> Self {
        self.verified = true;
        self
    }

    /// Email notifications off (tag `NO_SUBSCRIPTIONS`; on by default).
    pub fn no_subscriptions(mut self) -> Self {
        self.no_subscriptions = true;
        self
    }

    /// Creates the user in another tenant (`organization` `Organization/t-<tenant>`; give the
    /// tenant id with or without its `t-`). For IPA customers managing several tenants.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The login.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The PractitionerRole for this account with `identifiers` and `name` on its contained
    /// Practitioner.
    fn resource(&self, mut identifiers: Vec<Identifier>, name: Vec<HumanName>) -> NewUser {
        if let Some((number, facility)) = &self.lab_account {
            identifiers.push(Identifier {
                type_: Some(identifier_type("AN", "Account number")),
                assigner: Some(organization("f-", facility)),
                value: Some(number.clone()),
                ..Default::default()
            });
        }
        if let Some((uuid, facility)) = &self.sso {
            identifiers.push(Identifier {
                type_: Some(identifier_type("PRN", "Provider Number")),
                value: Some(uuid.clone()),
                assigner: Some(organization("f-", facility)),
                ..Default::default()
            });
        }
        let mut extension = vec![Extension {
            url: Some(LOGIN_EXTENSION.into()),
            value_string: Some(self.username.clone()),
            ..Default::default()
        }];
        if let Some(password) = &self.password {
            extension.push(Extension {
                url: Some(PASSWORD_EXTENSION.into()),
                value_string: Some(password.expose().to_string()),
                ..Default::default()
            });
        }
        let telecom = self
            .email
            .iter()
            .map(|email| ContactPoint {
                system: Some(ContactPointSystem::ContactPointSystemKnown(
                    ContactPointSystemKnown::Email,
                )),
                value: Some(email.clone()),
                ..Default::default()
            })
            .collect();
        let tag = [
            (self.verified, UserTagCode::Verified),
            (self.no_subscriptions, UserTagCode::NoSubscriptions),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, code)| UserTag {
            system: HEALTH_GORILLA.into(),
            code,
        })
        .collect();
        NewUser {
            username: self.username.clone(),
            resource: PractitionerRoleCreate {
                resource_type: PractitionerRoleResourceType::PractitionerRole,
                meta: PractitionerRoleCreateMeta {
                    profile: vec![USER_PROFILE.into()],
                    tag,
                },
                active: true,
                practitioner: Reference {
                    reference: Some(format!("#{CONTAINED_ID}")),
                    ..Default::default()
                },
                code: vec![CodeableConcept {
                    coding: vec![
                        self.administrative_role.coding(),
                        self.practitioner_role.coding(),
                    ],
                    ..Default::default()
                }],
                organization: self.tenant.as_deref().map(|t| organization("t-", t)),
                contained: vec![UserPractitioner {
                    resource_type: PractitionerResourceType::Practitioner,
                    id: CONTAINED_ID.into(),
                    meta: UserPractitionerMeta {
                        profile: PRACTITIONER_PROFILES.map(String::from).to_vec(),
                    },
                    identifier: identifiers,
                    active: None,
                    name,
                    telecom,
                    extension,
                }],
                extension: Vec::new(),
            },
        }
    }
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("administrative_role", &self.administrative_role)
            .field("practitioner_role", &self.practitioner_role)
            .field("verified", &self.verified)
            .field("no_subscriptions", &self.no_subscriptions)
            .finish_non_exhaustive()
    }
}

/// Why a Practitioner cannot be made a clinical user.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotAClinician {
    /// The resource is not a Practitioner (its `resourceType`).
    NotAPractitioner(String),
    /// It has no NPI identifier (system `http://hl7.org/fhir/sid/us-npi`) with a value.
    NoNpi,
    /// It has no name to copy.
    NoName,
}

impl fmt::Display for NotAClinician {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotAClinician::NotAPractitioner(kind) => {
                write!(
                    f,
                    "a clinical user is made from a Practitioner, not a {kind}"
                )
            }
            NotAClinician::NoNpi => f.write_str("the Practitioner has no NPI identifier"),
            NotAClinician::NoName => f.write_str("the Practitioner has no name to copy"),
        }
    }
}

impl std::error::Error for NotAClinician {}

/// A clinical user (one with an NPI), made from the directory's Practitioner.
///
/// ```
/// use ehr_sdk::healthgorilla::api::types::Practitioner;
/// use ehr_sdk::healthgorilla::{Account, AdministrativeRole, ClinicalUser, PractitionerRoleCode};
///
/// // The Practitioner as `practitioner_search().identifier(…)` returned it.
/// let practitioner: Practitioner = serde_json::from_value(serde_json::json!({
///     "resourceType": "Practitioner",
///     "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"}],
///     "name": [{"use": "official", "text": "Joe Gorilla, PA", "family": "Gorilla", "given": ["Joe"]}]
/// }))?;
/// let user = ClinicalUser::new(
///     &practitioner,
///     Account::new("jgorilla", AdministrativeRole::Provider, PractitionerRoleCode::Doctor),
/// )?;
/// assert_eq!(user.npi(), "1234567893");
/// let body = user.into_new_user().into_resource();
/// assert_eq!(body.contained[0].name[0].text.as_deref(), Some("Joe Gorilla, PA"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct ClinicalUser {
    npi: String,
    user: NewUser,
}

impl ClinicalUser {
    /// The user for `account`, with the NPI and the name of `practitioner` (the directory's
    /// answer to the NPI lookup), copied exactly.
    pub fn new(practitioner: &Practitioner, account: Account) -> Result<Self, NotAClinician> {
        if practitioner.resource_type != "Practitioner" {
            return Err(NotAClinician::NotAPractitioner(
                practitioner.resource_type.chars().take(64).collect(),
            ));
        }
        let npi = npi_of(practitioner).ok_or(NotAClinician::NoNpi)?;
        if practitioner.name.is_empty() {
            return Err(NotAClinician::NoName);
        }
        let identifier = Identifier {
            type_: Some(identifier_type("NPI", "National provider identifier")),
            system: Some(NPI_SYSTEM.into()),
            value: Some(npi.to_string()),
            ..Default::default()
        };
        Ok(Self {
            npi: npi.to_string(),
            user: account.resource(vec![identifier], practitioner.name.clone()),
        })
    }

    /// The NPI.
    pub fn npi(&self) -> &str {
        &self.npi
    }

    /// The user, ready to send.
    pub fn into_new_user(self) -> NewUser {
        self.user
    }
}

impl fmt::Debug for ClinicalUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClinicalUser")
            .field("npi", &self.npi)
            .field("user", &self.user)
            .finish()
    }
}

/// A non-clinical user (staff, office managers): a name of the caller's choosing and no NPI.
/// The clinical-user document is the source of its shape; Health Gorilla's non-clinical page
/// is not among the documents this SDK is built from.
#[derive(Clone, Debug)]
pub struct NonClinicalUser {
    user: NewUser,
}

impl NonClinicalUser {
    /// The user for `account`, named `given family`.
    pub fn new(given: impl Into<String>, family: impl Into<String>, account: Account) -> Self {
        let (given, family) = (given.into(), family.into());
        let name = HumanName {
            text: Some(format!("{given} {family}")),
            family: Some(family),
            given: vec![Some(given)],
            ..Default::default()
        };
        Self {
            user: account.resource(Vec::new(), vec![name]),
        }
    }

    /// The user, ready to send.
    pub fn into_new_user(self) -> NewUser {
        self.user
    }
}

/// A user ready to be created: the PractitionerRole request body. `Debug` shows the login
/// only (the body holds the password).
#[derive(Clone)]
pub struct NewUser {
    username: String,
    resource: PractitionerRoleCreate,
}

impl NewUser {
    /// The login.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The request body (holds the password, if one was set).
    pub fn resource(&self) -> &PractitionerRoleCreate {
        &self.resource
    }

    /// The request body.
    pub fn into_resource(self) -> PractitionerRoleCreate {
        self.resource
    }
}

impl From<ClinicalUser> for NewUser {
    fn from(user: ClinicalUser) -> Self {
        user.user
    }
}

impl From<NonClinicalUser> for NewUser {
    fn from(user: NonClinicalUser) -> Self {
        user.user
    }
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The NPI of a Practitioner, if it has one with a value.
pub(super) fn npi_of(practitioner: &Practitioner) -> Option<&str> {
    practitioner
        .identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(NPI_SYSTEM))
        .and_then(|i| i.value.as_deref())
        .filter(|v| !v.is_empty())
}

fn coding(system: &str, code: &str, display: &str) -> Coding {
    Coding {
        system: Some(system.into()),
        code: Some(code.into()),
        display: Some(display.into()),
        ..Default::default()
    }
}

fn identifier_type(code: &str, text: &str) -> CodeableConcept {
    CodeableConcept {
        coding: vec![coding(V2_0203, code, text)],
        text: Some(text.into()),
        ..Default::default()
    }
}

/// `Organization/<prefix><id>`, without doubling a prefix the id already has.
fn organization(prefix: &str, id: &str) -> Reference {
    let id = id.strip_prefix(prefix).unwrap_or(id);
    Reference {
        reference: Some(format!("Organization/{prefix}{id}")),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory_entry() -> Practitioner {
        serde_json::from_value(serde_json::json!({
            "resourceType": "Practitioner",
            "identifier": [
                {"system": "https://www.healthgorilla.com", "value": "c91b"},
                {"system": "http://hl7.org/fhir/sid/us-npi", "value": "<NPI NUMBER>"}
            ],
            "name": [{
                "text": "<Full Name of Provider>",
                "family": "<Last Name>",
                "given": ["<First Name>"],
                "suffix": ["<Title>"]
            }]
        }))
        .unwrap()
    }

    fn full_account() -> Account {
        Account::new(
            "<User Name>",
            AdministrativeRole::Provider,
            PractitionerRoleCode::Doctor,
        )
        .password("<Password>")
        .email("<User Email>")
        .lab_account("<LAB ACCOUNT NUMBER>", "<Lab Facility ID>")
        .sso_uuid("<USER'S UUID>", "<SSO FACILITY ID>")
        .verified()
        .no_subscriptions()
    }

    #[test]
    fn the_clinical_builder_gives_the_documents_full_example() {
        let example: serde_json::Value = serde_json::from_str(include_str!(
            "../../../../../tests/fixtures/healthgorilla/practitioner_role_full_example.json"
        ))
        .unwrap();
        let user = ClinicalUser::new(&directory_entry(), full_account()).unwrap();
        let built = serde_json::to_value(user.into_new_user().into_resource()).unwrap();
        assert_eq!(built, example);
    }

    #[test]
    fn a_tenant_and_facility_ids_are_referenced_once_prefixed() {
        let user = ClinicalUser::new(
            &directory_entry(),
            full_account()
                .tenant("t-111e1e656869ac26d411820e")
                .lab_account("42", "f-77"),
        )
        .unwrap()
        .into_new_user();
        let body = user.resource();
        assert_eq!(
            body.organization.as_ref().unwrap().reference.as_deref(),
            Some("Organization/t-111e1e656869ac26d411820e")
        );
        let lab = &body.contained[0].identifier[1];
        assert_eq!(
            lab.assigner.as_ref().unwrap().reference.as_deref(),
            Some("Organization/f-77")
        );
    }

    #[test]
    fn a_practitioner_without_npi_or_name_is_not_a_clinical_user() {
        let mut no_npi = directory_entry();
        no_npi
            .identifier
            .retain(|i| i.system.as_deref() != Some(NPI_SYSTEM));
        assert_eq!(
            ClinicalUser::new(&no_npi, full_account()).unwrap_err(),
            NotAClinician::NoNpi
        );
        let mut no_name = directory_entry();
        no_name.name.clear();
        assert_eq!(
            ClinicalUser::new(&no_name, full_account()).unwrap_err(),
            NotAClinician::NoName
        );
    }

    #[test]
    fn no_password_in_debug_and_a_non_clinical_user_has_no_npi() {
        let user = NonClinicalUser::new("Ana", "Lima", full_account()).into_new_user();
        assert!(!format!("{user:?}").contains("<Password>"));
        assert!(!format!("{:?}", full_account()).contains("<Password>"));
        let practitioner = &user.resource().contained[0];
        assert!(
            practitioner
                .identifier
                .iter()
                .all(|i| i.system.as_deref() != Some(NPI_SYSTEM))
        );
        assert_eq!(practitioner.name[0].text.as_deref(), Some("Ana Lima"));
    }
}
