//! Realistic JSON fixtures for every DrChrono resource (`tests/fixtures/drchrono/`) decode into
//! the generated types **strictly** (`ehr_runtime::decode::Decoding::Strict`: `""` is absent, as
//! for every response, but any value of another type than the spec says fails, where a client
//! would leave the field out with a warning).
//!
//! For every list endpoint `<resource>`:
//! - `<resource>.json` is one page `{next, previous, results}`. It must decode as the page type;
//!   every result must hold at least one `null` and one `""` between them; and every result must
//!   round-trip: encoding the decoded value gives the fixture back, apart from `null`/`""` values
//!   (absent either way) and number spelling (`1` vs `1.0`). A key the spec does not declare, or
//!   a value of the wrong type, fails the test.
//! - `<resource>_body.json`, where the resource takes a request body, is a create (or, when only
//!   PATCH exists, a patch) body; it must decode as the body type and round-trip the same way.

use ehr_drchrono::types::*;
use ehr_tests::fixture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Drops `null` and `""` members of objects, recursively.
fn without_absent(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !(v.is_null() || v.as_str() == Some("")))
                .map(|(k, v)| (k.clone(), without_absent(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_absent).collect()),
        other => other.clone(),
    }
}

/// Equality where numbers compare by value (`1` == `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn assert_round_trip<T: DeserializeOwned + Serialize>(what: &str, original: &Value, decoded: &T) {
    let encoded = serde_json::to_value(decoded).expect("generated types encode");
    let (want, got) = (without_absent(original), without_absent(&encoded));
    assert!(
        same(&want, &got),
        "{what} does not round-trip (a key the spec lacks, or a value it changes)\n fixture: {want}\n encoded: {got}"
    );
}

fn holds(value: &Value, pred: &dyn Fn(&Value) -> bool) -> bool {
    pred(value)
        || match value {
            Value::Object(map) => map.values().any(|v| holds(v, pred)),
            Value::Array(items) => items.iter().any(|v| holds(v, pred)),
            _ => false,
        }
}

fn check_page<Page: DeserializeOwned, Item: DeserializeOwned + Serialize>(resource: &str) {
    let path = format!("drchrono/{resource}.json");
    let text = fixture(&path);
    ehr_tests::strict::<Page>(&text)
        .unwrap_or_else(|e| panic!("{path} does not decode as a page: {e}"));
    let page: Value = serde_json::from_str(&text).expect("fixture is JSON");
    let results = page["results"].as_array().expect("a page has results");
    assert!(!results.is_empty(), "{path}: no results");
    assert!(
        holds(&page["results"], &|v| v.is_null()),
        "{path}: no null value"
    );
    assert!(
        holds(&page["results"], &|v| v.as_str() == Some("")),
        "{path}: no \"\" value"
    );
    for (i, item) in results.iter().enumerate() {
        let decoded: Item = ehr_tests::strict_value(item)
            .unwrap_or_else(|e| panic!("{path} result {i} does not decode: {e}"));
        assert_round_trip(&format!("{path} result {i}"), item, &decoded);
    }
}

fn check_body<Body: DeserializeOwned + Serialize>(resource: &str) {
    let path = format!("drchrono/{resource}_body.json");
    let body: Value = serde_json::from_str(&fixture(&path)).expect("fixture is JSON");
    let decoded: Body = ehr_tests::strict_value(&body)
        .unwrap_or_else(|e| panic!("{path} does not decode as the request body: {e}"));
    assert_round_trip(&path, &body, &decoded);
}

macro_rules! fixtures {
    ($($resource:ident: $page:ty, $item:ty $(, body: $body:ty)?;)*) => {$(
        #[test]
        fn $resource() {
            check_page::<$page, $item>(stringify!($resource));
            $(check_body::<$body>(stringify!($resource));)?
        }
    )*};
}

fixtures! {
    appointments: PaginatedAppointmentList, Appointment, body: AppointmentCreate;
    custom_vitals: PaginatedCustomVitalList, CustomVital;
    appointment_profiles: PaginatedAppointmentProfileList, AppointmentProfile, body: AppointmentProfileCreate;
    appointment_templates: PaginatedAppointmentTemplateList, AppointmentTemplate, body: AppointmentTemplateCreate;
    billing_profiles: PaginatedBillingProfileList, BillingProfile;
    doctors: PaginatedDoctorList, Doctor;
    documents: PaginatedDocumentList, Document, body: DocumentPatch;
    offices: PaginatedOfficeList, Office, body: OfficePatch;
    insurances: PaginatedInsuranceList, Insurance;
    consent_forms: PaginatedConsentFormList, ConsentForm, body: ConsentFormPatch;
    custom_insurance_plan_names: PaginatedCustomInsurancePlanNameList, CustomInsurancePlanName;
    custom_appointment_fields: PaginatedCustomAppointmentFieldList, CustomAppointmentField, body: CustomAppointmentFieldCreate;
    custom_demographics: PaginatedCustomDemographicList, CustomDemographic, body: CustomDemographicCreate;
    patients: PaginatedPatientList, Patient, body: PatientCreate;
    patient_flag_types: PaginatedPatientFlagTypeList, PatientFlagType, body: PatientFlagTypeCreate;
    patient_messages: PaginatedPatientMessageList, PatientMessage, body: PatientMessageCreate;
    patients_summary: PaginatedPatientSummaryList, PatientSummary, body: PatientSummaryCreate;
    patient_payments: PaginatedPatientPaymentList, PatientPayment, body: PatientPaymentCreate;
    patient_payment_log: PaginatedPatientPaymentLogEntryList, PatientPaymentLogEntry;
    reminder_profiles: PaginatedReminderProfileList, ReminderProfile, body: ReminderProfileCreate;
    users: PaginatedUserList, User;
    user_groups: PaginatedUserGroupList, UserGroup;
    line_items: PaginatedLineItemList, LineItem, body: LineItemCreate;
    transactions: PaginatedTransactionList, Transaction;
    allergies: PaginatedAllergyList, Allergy, body: AllergyCreate;
    medications: PaginatedMedicationList, Medication, body: MedicationCreate;
    problems: PaginatedProblemList, Problem, body: ProblemCreate;
    procedures: PaginatedProcedureList, Procedure;
    amendments: PaginatedAmendmentList, Amendment, body: AmendmentPatch;
    clinical_note_templates: PaginatedClinicalNoteTemplateList, ClinicalNoteTemplate;
    clinical_notes: PaginatedClinicalNoteList, ClinicalNote;
    clinical_note_field_types: PaginatedClinicalNoteFieldTypeList, ClinicalNoteFieldType;
    clinical_note_field_values: PaginatedClinicalNoteFieldValueList, ClinicalNoteFieldValue, body: ClinicalNoteFieldValueCreate;
    messages: PaginatedMessageList, Message, body: MessageCreate;
    prescription_messages: PaginatedPrescriptionMessageList, PrescriptionMessage;
    fee_schedules: PaginatedFeeScheduleList, FeeSchedule;
    comm_logs: PaginatedCommLogList, CommLog, body: CommLogCreate;
    inventory_categories: PaginatedInventoryCategoryList, InventoryCategory;
    inventory_vaccines: PaginatedInventoryVaccineList, InventoryVaccine, body: InventoryVaccineCreate;
    patient_vaccine_records: PaginatedPatientVaccineRecordList, PatientVaccineRecord, body: PatientVaccineRecordCreate;
    sublabs: PaginatedSublabList, Sublab, body: SublabCreate;
    lab_orders: PaginatedLabOrderList, LabOrder, body: LabOrderCreate;
    lab_orders_summary: PaginatedLabOrderSummaryList, LabOrderSummary;
    lab_documents: PaginatedLabDocumentList, LabDocument, body: LabDocumentPatch;
    lab_tests: PaginatedLabTestList, LabTest, body: LabTestCreate;
    lab_results: PaginatedLabResultList, LabResult, body: LabResultCreate;
    care_plans: PaginatedCarePlanList, CarePlan;
    eligibility_checks: PaginatedEligibilityCheckList, EligibilityCheck;
    // `Task.assignee_user` and `LabResult.is_abnormal` (as four more user ids and
    // `Appointment.reminder_profile`) are kept as JSON in the answers:
    // the official schema types them as strings, the v4 reference as an integer and a boolean;
    // the fixtures send both forms.
    tasks: PaginatedTaskList, Task, body: TaskCreate;
    task_categories: PaginatedTaskCategoryList, TaskCategory, body: TaskCategoryCreate;
    task_notes: PaginatedTaskNoteList, TaskNote, body: TaskNoteCreate;
    task_statuses: PaginatedTaskStatusList, TaskStatus, body: TaskStatusCreate;
    task_templates: PaginatedTaskTemplateList, TaskTemplate, body: TaskTemplateCreate;
    patient_interventions: PaginatedPatientInterventionList, PatientIntervention, body: PatientInterventionCreate;
    patient_physical_exams: PaginatedPatientPhysicalExamList, PatientPhysicalExam, body: PatientPhysicalExamCreate;
    patient_risk_assessments: PaginatedPatientRiskAssessmentList, PatientRiskAssessment, body: PatientRiskAssessmentCreate;
    patient_communications: PaginatedPatientCommunicationList, PatientCommunication, body: PatientCommunicationCreate;
    implantable_devices: PaginatedImplantableDeviceList, ImplantableDevice;
    mu_2015_report: PaginatedMu2015ReportList, Mu2015Report;
    patients_onpatient_access: PaginatedOnpatientAccessList, OnpatientAccess;
    // Resources of the official schema the v4 reference text does not have; the read-only
    // fields it types as strings are kept as JSON, and the fixtures send both forms.
    staff: PaginatedStaffList, Staff;
    care_team_members: PaginatedCareTeamMemberList, CareTeamMember;
    claim_billing_notes: PaginatedClaimBillingNoteList, ClaimBillingNote, body: ClaimBillingNoteCreate;
    appointments_list: PaginatedAppointmentList, Appointment, body: AppointmentCreate;
    audit_log: PaginatedAuditLogEntryList, AuditLogEntry;
    eobs: PaginatedEobList, Eob, body: EobCreate;
    fee_schedules_v2: PaginatedFeeScheduleV2List, FeeScheduleV2;
    patient_authorizations: PaginatedPatientAuthorizationList, PatientAuthorization;
    patient_lab_results: PaginatedPatientLabResultList, PatientLabResult, body: PatientLabResultCreate;
    telehealth_appointment_history: PaginatedTelehealthAppointmentEventList, TelehealthAppointmentEvent;
    telehealth_appointments: PaginatedTelehealthAppointmentList, TelehealthAppointment, body: TelehealthAppointmentCreate;
}
