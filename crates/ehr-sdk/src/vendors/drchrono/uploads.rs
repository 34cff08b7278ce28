//! DrChrono's file uploads: documents, consent forms, message attachments, lab documents,
//! patient photos and amendment files.
//!
//! The reference allows files only as `multipart/form-data`, which progenitor cannot generate.
//! Each upload operation of the spec (`ehr_drchrono::MULTIPART_OPERATIONS`) is a method of
//! [`Uploads`], implemented for the generated client: the non-file keys are the generated body
//! type (so they stay in step with the spec), the file is a [`FilePart`], and the request goes
//! through the client's runtime like every other call.

use std::future::Future;

use ehr_drchrono::Client;
use ehr_drchrono::types::*;
use ehr_runtime::CallInfo;
use progenitor_client::ClientInfo;

use crate::Error;
use crate::multipart::{FilePart, MultipartCall};

macro_rules! uploads {
    (
        $(
            $(#[$doc:meta])*
            $method_name:ident => $operation_id:literal: $http:ident $path:literal,
            $file_field:literal, fields $fields:ty,
            $( id $id:ident, )?
            returns $returns:tt;
        )*
    ) => {
        /// File uploads of the DrChrono v4 API, as methods of the generated client.
        ///
        /// ```no_run
        /// # async fn run(client: ehr_sdk::drchrono::api::Client) -> Result<(), ehr_sdk::Error> {
        /// use ehr_sdk::drchrono::Uploads;
        /// use ehr_sdk::drchrono::api::types::DocumentCreate;
        /// use ehr_sdk::FilePart;
        ///
        /// let fields = DocumentCreate {
        ///     date: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        ///     description: "Referral letter".into(),
        ///     doctor: 5,
        ///     metatags: Some(r#"["referral"]"#.into()), // a JSON array, as one string
        ///     patient: 101,
        /// };
        /// let pdf = FilePart::new("referral.pdf", std::fs::read("referral.pdf").unwrap())
        ///     .content_type("application/pdf");
        /// let document = client.documents_create_multipart(&fields, pdf).await?;
        /// println!("uploaded document {}", document.id);
        /// # Ok(()) }
        /// ```
        pub trait Uploads {
            $(
                $(#[$doc])*
                #[doc = concat!("\n\n`", stringify!($http), " ", $path, "` (`", $operation_id,
                    "`), multipart/form-data with the file in `", $file_field, "`.")]
                fn $method_name(
                    &self,
                    $( $id: i64, )?
                    fields: &$fields,
                    file: FilePart,
                ) -> impl Future<Output = Result<uploads!(@ret $returns), Error>> + Send;
            )*
        }

        impl Uploads for Client {
            $(
                async fn $method_name(
                    &self,
                    $( $id: i64, )?
                    fields: &$fields,
                    file: FilePart,
                ) -> Result<uploads!(@ret $returns), Error> {
                    let path = $path.to_string();
                    $( let path = path.replace("{id}", &$id.to_string()); )?
                    let response = MultipartCall {
                        call: CallInfo { vendor: "drchrono", operation_id: $operation_id },
                        method: reqwest::Method::$http,
                        baseurl: self.baseurl(),
                        path,
                        fields,
                        file_field: $file_field,
                        file,
                    }
                    .send(self.inner())
                    .await?;
                    uploads!(@finish $returns, $operation_id, self.inner(), response)
                }
            )*
        }

        /// `(operationId, method, path)` of every upload [`Uploads`] sends; the same set as
        /// `ehr_drchrono::MULTIPART_OPERATIONS` (a test holds them together).
        pub const MULTIPART_METHODS: &[(&str, &str, &str)] = &[
            $( ($operation_id, stringify!($http), $path), )*
        ];
    };
    (@ret ()) => { () };
    (@ret $t:ty) => { $t };
    (@finish (), $operation_id:literal, $runtime:expr, $response:ident) => {{ drop($response); Ok(()) }};
    (@finish $t:ty, $operation_id:literal, $runtime:expr, $response:ident) => { super::decode::<$t>($runtime, $operation_id, $response).await };
}

uploads! {
    /// Uploads a document for a patient.
    documents_create_multipart => "documents_create": POST "/api/documents",
        "document", fields DocumentCreate, returns Document;
    /// Replaces a document, file included.
    documents_update_multipart => "documents_update": PUT "/api/documents/{id}",
        "document", fields DocumentCreate, id id, returns ();
    /// Replaces a document's file, and any fields set.
    documents_partial_update_multipart => "documents_partial_update": PATCH "/api/documents/{id}",
        "document", fields DocumentPatch, id id, returns ();
    /// Creates a consent form with its file.
    consent_forms_create_multipart => "consent_forms_create": POST "/api/consent_forms",
        "uri", fields ConsentFormCreate, returns ConsentForm;
    /// Replaces a consent form, file included.
    consent_forms_update_multipart => "consent_forms_update": PUT "/api/consent_forms/{id}",
        "uri", fields ConsentFormCreate, id id, returns ();
    /// Replaces a consent form's file, and any fields set.
    consent_forms_partial_update_multipart => "consent_forms_partial_update": PATCH "/api/consent_forms/{id}",
        "uri", fields ConsentFormPatch, id id, returns ();
    /// Creates a patient with a photo.
    patients_create_multipart => "patients_create": POST "/api/patients",
        "patient_photo", fields PatientCreate, returns Patient;
    /// Replaces a patient, photo included.
    patients_update_multipart => "patients_update": PUT "/api/patients/{id}",
        "patient_photo", fields PatientCreate, id id, returns ();
    /// Sets a patient's photo, and any fields set.
    patients_partial_update_multipart => "patients_partial_update": PATCH "/api/patients/{id}",
        "patient_photo", fields PatientPatch, id id, returns ();
    /// Creates an amendment with its PDF file.
    amendments_create_multipart => "amendments_create": POST "/api/amendments",
        "amendment_file", fields AmendmentCreate, returns Amendment;
    /// Replaces an amendment, file included.
    amendments_update_multipart => "amendments_update": PUT "/api/amendments/{id}",
        "amendment_file", fields AmendmentCreate, id id, returns ();
    /// Replaces an amendment's file, and any fields set.
    amendments_partial_update_multipart => "amendments_partial_update": PATCH "/api/amendments/{id}",
        "amendment_file", fields AmendmentPatch, id id, returns ();
    /// Creates a message with an attachment.
    messages_create_multipart => "messages_create": POST "/api/messages",
        "attachment", fields MessageCreate, returns Message;
    /// Replaces a message, attachment included.
    messages_update_multipart => "messages_update": PUT "/api/messages/{id}",
        "attachment", fields MessageCreate, id id, returns ();
    /// Sets a message's attachment, and any fields set.
    messages_partial_update_multipart => "messages_partial_update": PATCH "/api/messages/{id}",
        "attachment", fields MessagePatch, id id, returns ();
    /// Uploads a lab document.
    lab_documents_create_multipart => "lab_documents_create": POST "/api/lab_documents",
        "document", fields LabDocumentCreate, returns LabDocument;
    /// Replaces a lab document, file included.
    lab_documents_update_multipart => "lab_documents_update": PUT "/api/lab_documents/{id}",
        "document", fields LabDocumentCreate, id id, returns ();
    /// Replaces a lab document's file, and any fields set.
    lab_documents_partial_update_multipart => "lab_documents_partial_update": PATCH "/api/lab_documents/{id}",
        "document", fields LabDocumentPatch, id id, returns ();
}
