//! Elation's token scopes, as typed values: every scope of the Token Scopes document.
//!
//! A scope is `apiv2` (every resource), `act_as_user` (impersonation, no data on its own) or
//! `system/<resource>.<read|write>`: `read` grants the resource's GET endpoints, `write` its
//! POST, PUT, PATCH and DELETE endpoints, and nested endpoints go with their parent resource
//! (a patient's insurance card images with `patients`). Reference-data resources are read-only.
//!
//! ```
//! use ehr_sdk::elation::{Resource, Scope, ScopeSet};
//!
//! let scopes = ScopeSet::builder()
//!     .read(Resource::Patients)
//!     .write(Resource::VisitNotes)
//!     .act_as_user()
//!     .build()?;
//! assert_eq!(scopes.to_string(), "act_as_user system/patients.read system/visit_notes.write");
//! assert_eq!("system/patients.read".parse::<Scope>()?, Scope::read(Resource::Patients));
//!
//! // The document forbids mixing the global scope with resource scopes.
//! assert!(ScopeSet::builder().apiv2().read(Resource::Patients).build().is_err());
//! # Ok::<(), ehr_sdk::elation::ScopeError>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The groups the Token Scopes document lists scopes under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Group {
    /// Patient Profile API.
    PatientProfile,
    /// Patient Document API.
    PatientDocument,
    /// Orders API.
    Orders,
    /// Messaging API.
    Messaging,
    /// Scheduling API.
    Scheduling,
    /// Insurance API.
    Insurance,
    /// Billing API.
    Billing,
    /// Practice API.
    Practice,
    /// Reference Data API: constant values, read-only.
    ReferenceData,
}

macro_rules! resources {
    ($($variant:ident = ($name:literal, $group:expr, $doc:literal),)*) => {
        /// A resource with scopes of its own (`system/<resource>.read` / `.write`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Resource {
            $(
                #[doc = $doc]
                #[doc = concat!(" (`", $name, "`).")]
                $variant,
            )*
        }

        impl Resource {
            /// Every resource of the Token Scopes document, in its order.
            pub const ALL: &'static [Resource] = &[$(Resource::$variant),*];

            /// The resource's name in scopes and paths (`lab_orders`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Resource::$variant => $name,)*
                }
            }

            /// The group the document lists it under.
            pub fn group(self) -> Group {
                match self {
                    $(Resource::$variant => $group,)*
                }
            }

            /// The resource named `name` (`lab_orders`), if it has scopes.
            pub fn from_name(name: &str) -> Option<Resource> {
                match name {
                    $($name => Some(Resource::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

resources! {
    Allergies = ("allergies", Group::PatientProfile, "Allergies"),
    AllergyDocumentation = ("allergy_documentation", Group::PatientProfile, "Allergy documentation (NKDA)"),
    DrugIntolerances = ("drug_intolerances", Group::PatientProfile, "Drug intolerances"),
    FamilyHistories = ("family_histories", Group::PatientProfile, "Family histories"),
    Histories = ("histories", Group::PatientProfile, "Histories"),
    Immunizations = ("immunizations", Group::PatientProfile, "Immunizations"),
    Patients = ("patients", Group::PatientProfile, "Patients"),
    PatientProviderTeamMembers = ("patient-provider-team-members", Group::PatientProfile, "Provider team members"),
    Problems = ("problems", Group::PatientProfile, "Problems"),
    Vaccine = ("vaccine", Group::PatientProfile, "Vaccines"),
    Ccda = ("ccda", Group::PatientDocument, "C-CDA documents"),
    ClinicalDocuments = ("clinical_documents", Group::PatientDocument, "Clinical documents"),
    DiscontinuedMedications = ("discontinued_medications", Group::PatientDocument, "Discontinued medications"),
    DocumentTags = ("document_tags", Group::PatientDocument, "Document tags"),
    IncomingFiles = ("incoming_files", Group::PatientDocument, "Incoming files"),
    Injections = ("injections", Group::PatientDocument, "Injections"),
    Letters = ("letters", Group::PatientDocument, "Letters"),
    MedicationHistoryDownloadFills = ("medication_history_download_fills", Group::PatientDocument, "Medication history download fills"),
    MedicationHistoryDownloads = ("medication_history_downloads", Group::PatientDocument, "Medication history downloads"),
    MedicationRefills = ("medication_refills", Group::PatientDocument, "Medication refills"),
    Medications = ("medications", Group::PatientDocument, "Medications"),
    NonVisitNotes = ("non_visit_notes", Group::PatientDocument, "Non-visit notes"),
    PatientFormRequests = ("patient_form_requests", Group::PatientDocument, "Patient form requests"),
    PatientFormSubmissions = ("patient_form_submissions", Group::PatientDocument, "Patient form submissions"),
    PatientForms = ("patient_forms", Group::PatientDocument, "Patient forms"),
    ReportTypes = ("report_types", Group::PatientDocument, "Report types"),
    Reports = ("reports", Group::PatientDocument, "Reports"),
    VisitNoteTemplates = ("visit_note_templates", Group::PatientDocument, "Visit note templates"),
    VisitNoteTypes = ("visit_note_types", Group::PatientDocument, "Visit note types"),
    VisitNotes = ("visit_notes", Group::PatientDocument, "Visit notes"),
    Vitals = ("vitals", Group::PatientDocument, "Vitals"),
    AncillaryCompanies = ("ancillary_companies", Group::Orders, "Ancillary companies"),
    CardiacCenters = ("cardiac_centers", Group::Orders, "Cardiac centers"),
    CardiacOrderTests = ("cardiac_order_tests", Group::Orders, "Cardiac order tests"),
    CardiacOrders = ("cardiac_orders", Group::Orders, "Cardiac orders"),
    ImagingCenters = ("imaging_centers", Group::Orders, "Imaging centers"),
    ImagingOrderTests = ("imaging_order_tests", Group::Orders, "Imaging order tests"),
    ImagingOrders = ("imaging_orders", Group::Orders, "Imaging orders"),
    LabFacilityIdentifiers = ("lab_facility_identifiers", Group::Orders, "Lab facility identifiers"),
    LabOrderCompendiums = ("lab_order_compendiums", Group::Orders, "Lab order compendiums"),
    LabOrderSets = ("lab_order_sets", Group::Orders, "Lab order sets"),
    LabOrderTests = ("lab_order_tests", Group::Orders, "Lab order tests"),
    LabOrders = ("lab_orders", Group::Orders, "Lab orders"),
    LabVendorIntegrations = ("lab_vendor_integrations", Group::Orders, "Lab vendor integrations"),
    LabVendorPatientSites = ("lab_vendor_patient_sites", Group::Orders, "Lab vendor patient sites"),
    LabVendors = ("lab_vendors", Group::Orders, "Lab vendors"),
    PulmonaryCenters = ("pulmonary_centers", Group::Orders, "Pulmonary centers"),
    PulmonaryOrderTests = ("pulmonary_order_tests", Group::Orders, "Pulmonary order tests"),
    PulmonaryOrders = ("pulmonary_orders", Group::Orders, "Pulmonary orders"),
    SleepCenters = ("sleep_centers", Group::Orders, "Sleep centers"),
    SleepOrderTests = ("sleep_order_tests", Group::Orders, "Sleep order tests"),
    SleepOrders = ("sleep_orders", Group::Orders, "Sleep orders"),
    MessageThreads = ("message_threads", Group::Messaging, "Message threads"),
    ThreadMembers = ("thread_members", Group::Messaging, "Thread members"),
    ThreadMessages = ("thread_messages", Group::Messaging, "Thread messages"),
    AppointmentTypes = ("appointment_types", Group::Scheduling, "Appointment types"),
    Appointments = ("appointments", Group::Scheduling, "Appointments"),
    RecurringEventGroups = ("recurring_event_groups", Group::Scheduling, "Recurring event groups"),
    InsuranceCompanies = ("insurance_companies", Group::Insurance, "Insurance companies"),
    InsurancePlans = ("insurance_plans", Group::Insurance, "Insurance plans"),
    BillingCodes = ("billing_codes", Group::Billing, "Billing codes"),
    Bills = ("bills", Group::Billing, "Bills"),
    Contacts = ("contacts", Group::Practice, "Contacts"),
    DelegatePermissions = ("delegate_permissions", Group::Practice, "Delegate permissions"),
    Handouts = ("handouts", Group::Practice, "Handouts"),
    MedicationOrderTemplates = ("medication_order_templates", Group::Practice, "Medication order templates"),
    OfficeStaff = ("office_staff", Group::Practice, "Office staff"),
    Physicians = ("physicians", Group::Practice, "Physicians"),
    PracticeMedications = ("practice_medications", Group::Practice, "Practice medications"),
    Practices = ("practices", Group::Practice, "Practices"),
    PrintHeaders = ("print_headers", Group::Practice, "Print headers"),
    ServiceLocations = ("service_locations", Group::Practice, "Service locations"),
    StaffGroups = ("staff_groups", Group::Practice, "Staff groups"),
    Languages = ("languages", Group::ReferenceData, "Languages"),
    PackagedMedicationLabelers = ("packaged_medication_labelers", Group::ReferenceData, "Packaged medication labelers"),
    PackagedMedications = ("packaged_medications", Group::ReferenceData, "Packaged medications"),
    Pharmacies = ("pharmacies", Group::ReferenceData, "Pharmacies"),
    ReferenceMedications = ("reference_medications", Group::ReferenceData, "Reference medications"),
}

impl Resource {
    /// Whether only `read` exists for it (the Reference Data group).
    pub fn is_read_only(self) -> bool {
        self.group() == Group::ReferenceData
    }
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a resource scope allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// The resource's GET endpoints.
    Read,
    /// The resource's POST, PUT, PATCH and DELETE endpoints.
    Write,
}

impl Access {
    /// The access an HTTP method needs: GET and HEAD read, every other method writes.
    pub fn of_method(method: &reqwest::Method) -> Access {
        if *method == reqwest::Method::GET || *method == reqwest::Method::HEAD {
            Access::Read
        } else {
            Access::Write
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// One scope of the Token Scopes document.
///
/// Only scopes the document lists can be made: `Scope::write` of a read-only resource is an
/// error, and parsing an unknown scope string is an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    ActAsUser,
    ApiV2,
    System(Resource, Access),
}

impl Scope {
    /// `apiv2`: every resource. Cannot be combined with resource scopes.
    pub const APIV2: Scope = Scope(Kind::ApiV2);
    /// `act_as_user`: lets the token act on behalf of a user (`X-On-Behalf-Of`); grants no data
    /// on its own.
    pub const ACT_AS_USER: Scope = Scope(Kind::ActAsUser);

    /// `system/<resource>.read`.
    pub fn read(resource: Resource) -> Scope {
        Scope(Kind::System(resource, Access::Read))
    }

    /// `system/<resource>.write`; an error for read-only (reference-data) resources.
    pub fn write(resource: Resource) -> Result<Scope, ScopeError> {
        if resource.is_read_only() {
            return Err(ScopeError::ReadOnly(resource));
        }
        Ok(Scope(Kind::System(resource, Access::Write)))
    }

    /// The scope that grants `access` to `resource`, if the document lists one.
    pub fn for_access(resource: Resource, access: Access) -> Option<Scope> {
        match access {
            Access::Read => Some(Scope::read(resource)),
            Access::Write => Scope::write(resource).ok(),
        }
    }

    /// The resource and access of a `system/…` scope.
    pub fn resource(self) -> Option<(Resource, Access)> {
        match self.0 {
            Kind::System(resource, access) => Some((resource, access)),
            _ => None,
        }
    }

    /// Every scope of the document: each resource's `read` and (unless read-only) `write`,
    /// then `apiv2` and `act_as_user`.
    pub fn all() -> impl Iterator<Item = Scope> {
        Resource::ALL
            .iter()
            .flat_map(|&r| [Some(Scope::read(r)), Scope::write(r).ok()])
            .flatten()
            .chain([Scope::APIV2, Scope::ACT_AS_USER])
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Kind::ApiV2 => f.write_str("apiv2"),
            Kind::ActAsUser => f.write_str("act_as_user"),
            Kind::System(resource, access) => {
                write!(f, "system/{}.{}", resource.as_str(), access.as_str())
            }
        }
    }
}

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || ScopeError::Unknown(s.to_string());
        match s {
            "apiv2" => return Ok(Scope::APIV2),
            "act_as_user" => return Ok(Scope::ACT_AS_USER),
            _ => {}
        }
        let (name, access) = s
            .strip_prefix("system/")
            .and_then(|rest| rest.rsplit_once('.'))
            .ok_or_else(unknown)?;
        let resource = Resource::from_name(name).ok_or_else(unknown)?;
        match access {
            "read" => Ok(Scope::read(resource)),
            "write" => Scope::write(resource).map_err(|_| unknown()),
            _ => Err(unknown()),
        }
    }
}

/// Why a scope or a scope set is not one Elation accepts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScopeError {
    /// Not a scope of the Token Scopes document.
    Unknown(String),
    /// `write` of a read-only (reference-data) resource.
    ReadOnly(Resource),
    /// `apiv2` together with `system/…` scopes: "A token request must use either specific
    /// scopes or apiv2, not both."
    ApiV2WithResourceScopes,
    /// `act_as_user` alone: impersonation needs "at least one resource scope (e.g. apiv2 or
    /// system/visit_notes.write)".
    ActAsUserAlone,
}

impl fmt::Display for ScopeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScopeError::Unknown(s) => write!(f, "`{s}` is not an Elation token scope"),
            ScopeError::ReadOnly(r) => write!(f, "`{r}` is reference data: read-only"),
            ScopeError::ApiV2WithResourceScopes => {
                f.write_str("`apiv2` cannot be combined with `system/…` scopes")
            }
            ScopeError::ActAsUserAlone => f.write_str(
                "`act_as_user` grants no data on its own: add `apiv2` or a resource scope",
            ),
        }
    }
}

impl std::error::Error for ScopeError {}

/// The scopes to ask a token for: a valid combination, space-separated when displayed (the
/// form of the token request's `scope` field). Empty means "not sent": Elation then grants
/// `apiv2`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Starts a set.
    pub fn builder() -> ScopeSetBuilder {
        ScopeSetBuilder::default()
    }

    /// A set of `scopes`, checked.
    pub fn new(scopes: impl IntoIterator<Item = Scope>) -> Result<ScopeSet, ScopeError> {
        let set: BTreeSet<Scope> = scopes.into_iter().collect();
        let global = set.contains(&Scope::APIV2);
        let resources = set.iter().any(|s| s.resource().is_some());
        if global && resources {
            return Err(ScopeError::ApiV2WithResourceScopes);
        }
        if set.contains(&Scope::ACT_AS_USER) && !global && !resources {
            return Err(ScopeError::ActAsUserAlone);
        }
        Ok(ScopeSet(set))
    }

    /// Whether the set holds `scope`.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    /// Whether the set is empty (no `scope` is sent).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scopes, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = Scope> + '_ {
        self.0.iter().copied()
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{scope}")?;
        }
        Ok(())
    }
}

impl FromStr for ScopeSet {
    type Err = ScopeError;

    /// Parses a space-separated list, checking every scope and the combination.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let scopes = s
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<Vec<Scope>, _>>()?;
        ScopeSet::new(scopes)
    }
}

/// Builds a [`ScopeSet`]; problems are reported by [`build`](Self::build), before any request.
#[derive(Clone, Debug, Default)]
pub struct ScopeSetBuilder {
    scopes: Vec<Scope>,
    error: Option<ScopeError>,
}

impl ScopeSetBuilder {
    /// Adds `apiv2`.
    pub fn apiv2(self) -> Self {
        self.scope(Scope::APIV2)
    }

    /// Adds `act_as_user`.
    pub fn act_as_user(self) -> Self {
        self.scope(Scope::ACT_AS_USER)
    }

    /// Adds `system/<resource>.read`.
    pub fn read(self, resource: Resource) -> Self {
        self.scope(Scope::read(resource))
    }

    /// Adds `system/<resource>.write` (an error at `build` for read-only resources).
    pub fn write(mut self, resource: Resource) -> Self {
        match Scope::write(resource) {
            Ok(scope) => self.scope(scope),
            Err(e) => {
                self.error.get_or_insert(e);
                self
            }
        }
    }

    /// Adds `scope`.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scopes.push(scope);
        self
    }

    /// The set, or the first problem with it.
    pub fn build(self) -> Result<ScopeSet, ScopeError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        ScopeSet::new(self.scopes)
    }
}

/// The scopes a token was granted, as the token endpoint listed them: read leniently (a scope
/// this SDK does not know is kept as text and ignored, never an error).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantedScopes(Vec<String>);

impl GrantedScopes {
    /// Reads a token response's space-separated `scope`.
    pub fn parse(scope: &str) -> GrantedScopes {
        GrantedScopes(scope.split_whitespace().map(str::to_string).collect())
    }

    /// Whether every granted scope is in a form this SDK reads: a scope it knows (`apiv2`,
    /// `act_as_user`, `system/<resource>.<read|write>`) or a `system/<name>.<read|write>` of a
    /// resource it does not know. A grant in another naming (`vitals_read appointments/rooms_read`,
    /// seen in a real token: Cityblock Health's captured token response,
    /// tan-vo-cityblock/linting-test ffb4061e, scio-jobs/src/test/resources/elationEvents/
    /// mockAuthResponse.json) cannot be judged, and a guard must not refuse calls over it.
    pub fn is_readable(&self) -> bool {
        !self.0.is_empty()
            && self.0.iter().all(|granted| {
                granted.parse::<Scope>().is_ok()
                    || granted
                        .strip_prefix("system/")
                        .and_then(|rest| rest.rsplit_once('.'))
                        .is_some_and(|(name, permission)| {
                            !name.is_empty()
                                && name
                                    .bytes()
                                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
                                && matches!(permission, "read" | "write")
                        })
            })
    }

    /// Whether `scope` was granted.
    pub fn contains(&self, scope: Scope) -> bool {
        let wanted = scope.to_string();
        self.0.contains(&wanted)
    }

    /// Whether the token may make calls needing `access` to `resource`: `apiv2` or the
    /// resource's own scope.
    pub fn allows(&self, resource: Resource, access: Access) -> bool {
        self.contains(Scope::APIV2)
            || Scope::for_access(resource, access).is_some_and(|s| self.contains(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_has_every_scope_of_the_document() {
        assert_eq!(Resource::ALL.len(), 78);
        let system = Scope::all().filter(|s| s.resource().is_some()).count();
        assert_eq!(system, 151);
        let per_group = |g| Resource::ALL.iter().filter(|r| r.group() == g).count();
        assert_eq!(
            [
                Group::PatientProfile,
                Group::PatientDocument,
                Group::Orders,
                Group::Messaging,
                Group::Scheduling,
                Group::Insurance,
                Group::Billing,
                Group::Practice,
                Group::ReferenceData
            ]
            .map(per_group),
            [10, 21, 21, 3, 3, 2, 2, 11, 5]
        );
    }

    #[test]
    fn a_grant_is_readable_only_in_the_naming_the_sdk_knows() {
        for readable in [
            "apiv2",
            "act_as_user system/patients.read",
            "system/patients.read system/some-new-resource.write",
        ] {
            assert!(GrantedScopes::parse(readable).is_readable(), "{readable}");
        }
        for unreadable in [
            "",
            "vitals_read immunizations_read appointments/rooms_read",
            "system/patients.read vitals_read",
            "system/patients.delete",
        ] {
            assert!(
                !GrantedScopes::parse(unreadable).is_readable(),
                "{unreadable}"
            );
        }
    }

    #[test]
    fn every_scope_round_trips_through_its_text() {
        for scope in Scope::all() {
            let text = scope.to_string();
            assert_eq!(text.parse::<Scope>(), Ok(scope), "{text}");
        }
        assert_eq!(
            Scope::read(Resource::PatientProviderTeamMembers).to_string(),
            "system/patient-provider-team-members.read"
        );
    }

    #[test]
    fn unknown_scopes_are_errors_not_panics() {
        for text in [
            "",
            "system/",
            "system/patients",
            "system/patients.delete",
            "system/unicorns.read",
            "system/languages.write",
            "APIV2",
            "system/patients.read.write",
            "système/patients.read",
        ] {
            assert_eq!(
                text.parse::<Scope>(),
                Err(ScopeError::Unknown(text.to_string()))
            );
        }
    }

    #[test]
    fn apiv2_cannot_be_combined_with_resource_scopes() {
        assert_eq!(
            ScopeSet::builder().apiv2().read(Resource::Patients).build(),
            Err(ScopeError::ApiV2WithResourceScopes)
        );
        assert_eq!(
            "apiv2 system/allergies.write".parse::<ScopeSet>(),
            Err(ScopeError::ApiV2WithResourceScopes)
        );
        assert!(ScopeSet::builder().apiv2().act_as_user().build().is_ok());
        assert!(
            ScopeSet::builder()
                .write(Resource::VisitNotes)
                .act_as_user()
                .build()
                .is_ok()
        );
        assert_eq!(
            ScopeSet::builder().act_as_user().build(),
            Err(ScopeError::ActAsUserAlone)
        );
        assert_eq!(
            ScopeSet::builder().write(Resource::Pharmacies).build(),
            Err(ScopeError::ReadOnly(Resource::Pharmacies))
        );
    }

    #[test]
    fn a_set_displays_space_separated_and_parses_back() {
        let set = "system/patients.read system/allergies.read system/allergies.write"
            .parse::<ScopeSet>()
            .unwrap();
        assert_eq!(
            set.to_string(),
            "system/allergies.read system/allergies.write system/patients.read"
        );
        assert_eq!(set.to_string().parse::<ScopeSet>(), Ok(set));
    }

    #[test]
    fn granted_scopes_allow_by_resource_and_access() {
        let granted = GrantedScopes::parse("system/patients.read act_as_user something_new");
        assert!(granted.allows(Resource::Patients, Access::Read));
        assert!(!granted.allows(Resource::Patients, Access::Write));
        assert!(granted.contains(Scope::ACT_AS_USER));
        assert!(GrantedScopes::parse("apiv2").allows(Resource::LabOrders, Access::Write));
    }
}
