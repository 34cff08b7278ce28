//! Creating several objects in one request.
//!
//! The reference: "When making a POST request to an endpoint, you may pass a list of objects
//! (encoded as application/json) instead of a single object. This will create all objects in the
//! list, and return a list of the resulting objects." The generated `*_create` methods send one
//! object; [`BulkCreate::create_many`] sends a list of any JSON create body of the spec and
//! decodes the list of created objects, through the same runtime.

use std::future::Future;

use ehr_drchrono::Client;
use ehr_drchrono::types::*;
use ehr_runtime::CallInfo;
use progenitor_client::ClientInfo;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::Error;
use crate::pipeline::send_hand_built;

/// A JSON create body of the DrChrono spec: where it is posted and what it creates.
pub trait CreateBody: Serialize + Sync {
    /// The object the API answers with for each body.
    type Created: DeserializeOwned + Send;
    /// The `operationId` of the single-object create.
    const OPERATION_ID: &'static str;
    /// The collection path the body is posted to.
    const PATH: &'static str;
}

/// Creates several objects of one kind in one request.
pub trait BulkCreate {
    /// Posts `bodies` as one JSON list and returns the created objects, in order.
    ///
    /// ```no_run
    /// # async fn run(client: ehr_sdk::drchrono::api::Client) -> Result<(), ehr_sdk::Error> {
    /// use ehr_sdk::drchrono::BulkCreate;
    /// use ehr_sdk::drchrono::api::types::AllergyCreate;
    ///
    /// let allergies: Vec<AllergyCreate> = vec![
    ///     AllergyCreate::builder().patient(101).doctor(5).description(Some("Penicillin".into())).try_into().unwrap(),
    ///     AllergyCreate::builder().patient(101).doctor(5).description(Some("Peanuts".into())).try_into().unwrap(),
    /// ];
    /// let created = client.create_many(&allergies).await?;
    /// assert_eq!(created.len(), 2);
    /// # Ok(()) }
    /// ```
    fn create_many<B: CreateBody>(
        &self,
        bodies: &[B],
    ) -> impl Future<Output = Result<Vec<B::Created>, Error>> + Send;
}

impl BulkCreate for Client {
    async fn create_many<B: CreateBody>(&self, bodies: &[B]) -> Result<Vec<B::Created>, Error> {
        let operation_id = B::OPERATION_ID;
        let url = format!("{}{}", self.baseurl().trim_end_matches('/'), B::PATH);
        let request = self.inner().http().post(&url).json(&bodies);
        let call = CallInfo {
            vendor: "drchrono",
            operation_id,
        };
        let response = send_hand_built(self.inner(), request, call).await?;
        super::decode(self.inner(), operation_id, response).await
    }
}

macro_rules! create_bodies {
    ($($body:ty => $created:ty, $operation_id:literal, $path:literal;)*) => {$(
        impl CreateBody for $body {
            type Created = $created;
            const OPERATION_ID: &'static str = $operation_id;
            const PATH: &'static str = $path;
        }
    )*};
}

create_bodies! {
    AppointmentCreate => Appointment, "appointments_create", "/api/appointments";
    AppointmentProfileCreate => AppointmentProfile, "appointment_profiles_create", "/api/appointment_profiles";
    AppointmentTemplateCreate => AppointmentTemplate, "appointment_templates_create", "/api/appointment_templates";
    CustomAppointmentFieldCreate => CustomAppointmentField, "custom_appointment_fields_create", "/api/custom_appointment_fields";
    CustomDemographicCreate => CustomDemographic, "custom_demographics_create", "/api/custom_demographics";
    PatientCreate => Patient, "patients_create", "/api/patients";
    PatientFlagTypeCreate => PatientFlagType, "patient_flag_types_create", "/api/patient_flag_types";
    PatientMessageCreate => PatientMessage, "patient_messages_create", "/api/patient_messages";
    PatientSummaryCreate => PatientSummary, "patients_summary_create", "/api/patients_summary";
    PatientPaymentCreate => PatientPayment, "patient_payments_create", "/api/patient_payments";
    ReminderProfileCreate => ReminderProfile, "reminder_profiles_create", "/api/reminder_profiles";
    LineItemCreate => LineItem, "line_items_create", "/api/line_items";
    AllergyCreate => Allergy, "allergies_create", "/api/allergies";
    MedicationCreate => Medication, "medications_create", "/api/medications";
    ProblemCreate => Problem, "problems_create", "/api/problems";
    ClinicalNoteFieldValueCreate => ClinicalNoteFieldValue, "clinical_note_field_values_create", "/api/clinical_note_field_values";
    MessageCreate => Message, "messages_create", "/api/messages";
    CommLogCreate => CommLog, "comm_logs_create", "/api/comm_logs";
    InventoryVaccineCreate => InventoryVaccine, "inventory_vaccines_create", "/api/inventory_vaccines";
    PatientVaccineRecordCreate => PatientVaccineRecord, "patient_vaccine_records_create", "/api/patient_vaccine_records";
    SublabCreate => Sublab, "sublabs_create", "/api/sublabs";
    LabOrderCreate => LabOrder, "lab_orders_create", "/api/lab_orders";
    LabTestCreate => LabTest, "lab_tests_create", "/api/lab_tests";
    LabResultCreate => LabResult, "lab_results_create", "/api/lab_results";
    TaskCreate => Task, "tasks_create", "/api/tasks";
    TaskCategoryCreate => TaskCategory, "task_categories_create", "/api/task_categories";
    TaskNoteCreate => TaskNote, "task_notes_create", "/api/task_notes";
    TaskStatusCreate => TaskStatus, "task_statuses_create", "/api/task_statuses";
    TaskTemplateCreate => TaskTemplate, "task_templates_create", "/api/task_templates";
    PatientInterventionCreate => PatientIntervention, "patient_interventions_create", "/api/patient_interventions";
    PatientPhysicalExamCreate => PatientPhysicalExam, "patient_physical_exams_create", "/api/patient_physical_exams";
    PatientRiskAssessmentCreate => PatientRiskAssessment, "patient_risk_assessments_create", "/api/patient_risk_assessments";
    PatientCommunicationCreate => PatientCommunication, "patient_communications_create", "/api/patient_communications";
}
