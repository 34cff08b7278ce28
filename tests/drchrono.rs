//! `ehr-drchrono` against httpmock: what goes on the wire and what comes back.

use ehr_drchrono::mock::MockServerExt;
use ehr_sdk::Error;
use ehr_sdk::drchrono::api::{Client, types};
use ehr_tests::{bearer_runtime, json_fixture};
use httpmock::Method::{DELETE, GET, PATCH, POST};
use httpmock::MockServer;

#[tokio::test]
async fn patients_list_sends_filters_and_decodes_the_page_envelope() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients")
            .query_param("doctor", "5")
            .query_param("page_size", "100")
            .query_param("verbose", "true")
            .query_param("gender", "Female")
            .query_param("date_of_birth", "1980-04-12")
            .query_param("since", "2014-02-24T15:32:19")
            .query_param("offices", "1,7")
            .header("authorization", "Bearer t0k3n")
            .header_missing("api-version");
        then.status(200)
            .json_body(json_fixture("drchrono/patients.json"));
    });
    let (runtime, transport) = bearer_runtime("t0k3n");
    let client = Client::with_runtime(&server.base_url(), runtime);

    let page = client
        .patients_list()
        .doctor(5)
        .page_size(100)
        .verbose(true)
        .gender("Female")
        .date_of_birth(chrono::NaiveDate::from_ymd_opt(1980, 4, 12).unwrap())
        .since("2014-02-24T15:32:19")
        .offices("1,7")
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    mock.assert();
    assert_eq!(
        page.next.as_deref(),
        Some("https://drchrono.com/api/patients?doctor=5&page=2&page_size=100")
    );
    assert_eq!(page.previous, None);
    assert!(page.results.len() >= 2);

    let jo = &page.results[0];
    assert_eq!(jo.id, 101);
    assert_eq!(jo.last_name.as_deref(), Some("Smith"));
    assert_eq!(jo.nick_name, None, "null decodes to None");
    assert_eq!(
        jo.middle_name, None,
        "\"\" decodes to None: the reference's absent value"
    );
    assert_eq!(
        jo.date_of_birth,
        chrono::NaiveDate::from_ymd_opt(1980, 4, 12)
    );
    assert!(matches!(
        jo.gender,
        Some(types::Gender::GenderKnown(types::GenderKnown::Female))
    ));
    assert!(jo.patient_payment_profile.is_none());
    assert!(matches!(
        jo.patient_status,
        Some(types::PatientStatus::PatientStatusKnown(
            types::PatientStatusKnown::A
        ))
    ));
    assert_eq!(jo.offices, Some(vec![1, 7]));
    assert_eq!(
        jo.primary_insurance
            .as_ref()
            .and_then(|i| i.get("insurance_company")),
        Some(&serde_json::json!("Acme"))
    );

    // Values outside the documented sets are kept, not a failed page.
    let al = &page.results[1];
    assert!(matches!(&al.gender, Some(types::Gender::Other(g)) if g == "Nonbinary"));
    assert!(matches!(&al.race, Some(types::Race::Other(r)) if r == "some-new-race-code"));
    assert_eq!(al.date_of_birth, None);

    let seen = transport.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].vendor, "drchrono");
    assert_eq!(seen[0].operation_id, "patients_list");
}

#[tokio::test]
async fn patients_create_posts_json_and_decodes_the_created_patient() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/api/patients")
            .header("content-type", "application/json")
            .json_body(serde_json::json!({
                "doctor": 5,
                "gender": "Other",
                "first_name": "Sam",
                "last_name": "Lee",
                "date_of_birth": "1990-01-31",
                "patient_status": "A"
            }));
        then.status(201).json_body(serde_json::json!({
            "id": 555, "doctor": 5, "gender": "Other", "first_name": "Sam",
            "last_name": "Lee", "date_of_birth": "1990-01-31", "chart_id": "LESA000001",
            "created_at": "2024-05-01T10:00:00", "updated_at": "2024-05-01T10:00:00"
        }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    let body = types::PatientCreate::builder()
        .doctor(5)
        .gender(types::GenderKnown::Other)
        .first_name(Some("Sam".to_string()))
        .last_name(Some("Lee".to_string()))
        .date_of_birth(chrono::NaiveDate::from_ymd_opt(1990, 1, 31))
        .patient_status(Some(types::PatientStatusKnown::A));
    let created = client
        .patients_create()
        .body(body)
        .send()
        .await
        .expect("201 decodes")
        .into_inner();

    mock.assert();
    assert_eq!(created.id, 555);
    assert_eq!(created.chart_id.as_deref(), Some("LESA000001"));
}

#[tokio::test]
async fn patch_and_delete_send_the_right_method_and_accept_204() {
    let server = MockServer::start();
    let patch = server.mock(|when, then| {
        when.method(PATCH)
            .path("/api/patients/555")
            .json_body(serde_json::json!({"email": "sam@example.org"}));
        then.status(204);
    });
    let delete = server.mock(|when, then| {
        when.method(DELETE).path("/api/patients/555");
        then.status(204);
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    client
        .patients_partial_update()
        .id(555)
        .body(types::PatientPatch::builder().email(Some("sam@example.org".to_string())))
        .send()
        .await
        .expect("PATCH 204");
    client
        .patients_destroy()
        .id(555)
        .send()
        .await
        .expect("DELETE 204");

    patch.assert();
    delete.assert();
}

#[tokio::test]
async fn token_exchange_is_form_encoded_with_the_trailing_slash() {
    let server = MockServer::start();
    let mock = server.oauth_token_create(|when, then| {
        when.into_inner()
            .header("content-type", "application/x-www-form-urlencoded")
            .form_urlencoded_tuple("grant_type", "authorization_code")
            .form_urlencoded_tuple("client_id", "cid")
            .form_urlencoded_tuple("client_secret", "s3cret")
            .form_urlencoded_tuple("redirect_uri", "https://app.example/cb")
            .form_urlencoded_tuple("code", "abc")
            .form_urlencoded_tuple_missing("refresh_token");
        then.ok(&types::TokenResponse {
            access_token: "at".into(),
            refresh_token: "rt".into(),
            expires_in: 172_800,
        });
    });
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let token = client
        .oauth_token_create()
        .body(
            types::TokenRequest::builder()
                .grant_type(types::GrantType::AuthorizationCode)
                .client_id("cid")
                .client_secret("s3cret")
                .redirect_uri("https://app.example/cb")
                .code(Some("abc".to_string())),
        )
        .send()
        .await
        .expect("token decodes")
        .into_inner();

    mock.assert();
    assert_eq!(token.access_token, "at");
    assert_eq!(token.refresh_token, "rt");
    assert_eq!(token.expires_in, 172_800);
}

#[tokio::test]
async fn documented_error_statuses_surface_with_their_status() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors/9");
        then.status(404).body("{\"detail\": \"Not found.\"}");
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    let err = client.doctors_retrieve().id(9).send().await.unwrap_err();
    assert_eq!(err.status(), Some(reqwest::StatusCode::NOT_FOUND));
    assert!(matches!(err, Error::NotFound(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        "doctors_retrieve: 404 Not Found: Not found."
    );
}

#[tokio::test]
async fn appointments_list_sends_a_typed_date_range() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/api/appointments")
            .query_param("date_range", "2024-05-06/2024-05-12")
            .query_param("doctor", "5");
        then.status(200)
            .json_body(serde_json::json!({"next": null, "previous": null, "results": []}));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);
    let week = types::DateRange::between(
        chrono::NaiveDate::from_ymd_opt(2024, 5, 6).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2024, 5, 12).unwrap(),
    )
    .expect("four-digit years");

    let page = client
        .appointments_list()
        .date_range(week)
        .doctor(5)
        .send()
        .await
        .expect("empty page");

    mock.assert();
    assert!(page.results.is_empty());
    // A malformed range is refused before anything is sent.
    let err = client
        .appointments_list()
        .date_range("2024-05-06..2024-05-12")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest { .. }), "{err:?}");
    mock.assert_calls(1);
}

#[tokio::test]
async fn blank_strings_in_any_optional_field_decode_as_absent() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/patients/7");
        then.status(200).json_body(serde_json::json!({
            "id": 7, "doctor": "", "date_of_birth": "", "offices": "", "primary_insurance": "",
            "gender": "", "disable_sms_messages": "", "first_name": "", "last_name": "Roe"
        }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    let patient = client
        .patients_retrieve()
        .id(7)
        .send()
        .await
        .expect("\"\" in integer, date, array, object, enum and boolean fields decodes")
        .into_inner();

    assert_eq!(patient.doctor, None);
    assert_eq!(patient.date_of_birth, None);
    assert_eq!(patient.offices, None);
    assert!(patient.primary_insurance.is_none());
    assert!(patient.gender.is_none());
    assert_eq!(patient.first_name, None);
    assert_eq!(patient.last_name.as_deref(), Some("Roe"));
}

#[tokio::test]
async fn ccda_download_returns_the_xml_document() {
    let xml = r#"<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"/></ClinicalDocument>"#;
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/api/patients/101/ccda")
            .query_param("date_range", "2024-01-01/2024-03-31");
        then.status(200)
            .header("content-type", "application/xml")
            .body(xml);
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    let document = client
        .patients_ccda()
        .id(101)
        .date_range("2024-01-01/2024-03-31")
        .send()
        .await
        .expect("200");

    mock.assert();
    assert_eq!(ehr_tests::body_text(document.into_inner()).await, xml);
}

#[tokio::test]
async fn document_upload_is_multipart_with_typed_fields_and_the_file() {
    use ehr_sdk::FilePart;
    use ehr_sdk::drchrono::Uploads;

    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/api/documents")
            .header("authorization", "Bearer up")
            .header_matches("content-type", "^multipart/form-data; boundary=")
            .body_includes("name=\"description\"\r\n\r\nReferral letter\r\n")
            .body_includes("name=\"doctor\"\r\n\r\n5\r\n")
            .body_includes("name=\"date\"\r\n\r\n2024-05-01\r\n")
            .body_includes("name=\"metatags\"\r\n\r\n[\"referral\"]\r\n")
            .body_includes("name=\"document\"; filename=\"referral.pdf\"")
            .body_includes("Content-Type: application/pdf")
            .body_includes("%PDF-1.4 fake");
        then.status(201).json_body(serde_json::json!({
            "id": 3001, "doctor": 5, "patient": 101, "date": "2024-05-01",
            "description": "Referral letter", "metatags": "[\"referral\"]",
            "document": "https://drchrono-uploaded.s3.amazonaws.com/referral.pdf",
            "updated_at": ""
        }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("up").0);
    let fields = types::DocumentCreate {
        date: chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap(),
        description: "Referral letter".into(),
        doctor: 5,
        // One string holding a JSON array, as the official schema types it.
        metatags: Some(r#"["referral"]"#.into()),
        patient: 101,
    };

    let created = client
        .documents_create_multipart(
            &fields,
            FilePart::new("referral.pdf", &b"%PDF-1.4 fake"[..]).content_type("application/pdf"),
        )
        .await
        .expect("201 decodes");

    mock.assert();
    assert_eq!(created.id, 3001);
    assert_eq!(created.updated_at, None);
}

#[tokio::test]
async fn failed_upload_is_a_typed_status_error() {
    use ehr_sdk::FilePart;
    use ehr_sdk::drchrono::Uploads;

    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(PATCH).path("/api/patients/9");
        then.status(400)
            .body(r#"{"patient_photo": ["Upload a valid image."]}"#);
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t").0);

    let err = client
        .patients_partial_update_multipart(
            9,
            &types::PatientPatch::default(),
            FilePart::new("photo.txt", &b"not an image"[..]),
        )
        .await
        .unwrap_err();

    assert_eq!(err.operation_id(), "patients_partial_update");
    assert_eq!(err.status(), Some(reqwest::StatusCode::BAD_REQUEST));
    assert!(err.to_string().contains("Upload a valid image."), "{err}");
}

#[test]
fn every_multipart_operation_of_the_spec_has_a_facade_method() {
    let mut spec: Vec<_> = ehr_drchrono::MULTIPART_OPERATIONS
        .iter()
        .map(|op| (op.operation_id, op.method, op.path))
        .collect();
    let mut facade = ehr_sdk::drchrono::MULTIPART_METHODS.to_vec();
    spec.sort();
    facade.sort();
    assert_eq!(spec, facade);
    assert!(
        spec.len() >= 6 * 3,
        "documents, consent forms, patients, amendments, messages, lab documents"
    );
}

#[tokio::test]
async fn create_many_posts_a_json_list_and_decodes_the_created_list() {
    use ehr_sdk::drchrono::BulkCreate;

    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/api/allergies")
            .header("authorization", "Bearer bulk")
            .json_body(serde_json::json!([
                {"patient": 101, "doctor": 5, "description": "Penicillin"},
                {"patient": 101, "doctor": 5, "description": "Peanuts", "status": "inactive"}
            ]));
        then.status(201).json_body(serde_json::json!([
            {"id": 1, "patient": 101, "doctor": 5, "description": "Penicillin", "status": "active", "notes": ""},
            {"id": 2, "patient": 101, "doctor": 5, "description": "Peanuts", "status": "inactive", "notes": ""}
        ]));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("bulk").0);
    let allergy = |description: &str| types::AllergyCreate {
        description: Some(description.into()),
        doctor: 5,
        notes: None,
        patient: 101,
        reaction: None,
        rxnorm: None,
        snomed_reaction: None,
        status: None,
    };
    let mut peanuts = allergy("Peanuts");
    peanuts.status = Some(types::ActiveStatusKnown::Inactive);

    let created = client
        .create_many(&[allergy("Penicillin"), peanuts])
        .await
        .expect("201 with a list");

    mock.assert();
    assert_eq!(created.iter().map(|a| a.id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(created[0].notes, None);
}

#[tokio::test]
async fn the_five_list_only_resources_are_retrieved_by_id() {
    let server = MockServer::start();
    let first =
        |fixture: &str| json_fixture(&format!("drchrono/{fixture}.json"))["results"][0].clone();
    for (path, fixture) in [
        ("/api/insurances/7", "insurances"),
        ("/api/patient_payment_log/7", "patient_payment_log"),
        ("/api/clinical_notes/7", "clinical_notes"),
        ("/api/eligibility_checks/7", "eligibility_checks"),
        ("/api/task_templates/7", "task_templates"),
    ] {
        let object = first(fixture);
        server.mock(move |when, then| {
            when.method(GET)
                .path(path)
                .header("authorization", "Bearer t0k3n");
            then.status(200).json_body(object);
        });
    }
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("t0k3n").0);

    let insurance = client.insurances_retrieve().id(7).send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&*insurance).unwrap()["payer_id"],
        first("insurances")["payer_id"]
    );
    let log = client
        .patient_payment_log_retrieve()
        .id(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&*log).unwrap()["id"],
        first("patient_payment_log")["id"]
    );
    let note = client
        .clinical_notes_retrieve()
        .id(7)
        .verbose(true)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&*note).unwrap()["appointment"],
        first("clinical_notes")["appointment"]
    );
    let check = client
        .eligibility_checks_retrieve()
        .id(7)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&*check).unwrap()["id"],
        first("eligibility_checks")["id"]
    );
    let template = client.task_templates_retrieve().id(7).send().await.unwrap();
    assert_eq!(
        serde_json::to_value(&*template).unwrap()["id"],
        first("task_templates")["id"]
    );
}
