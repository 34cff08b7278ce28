//! Elation bodies from the wire (`tests/fixtures/elation/wire/`, sources in its README) decode
//! through the typed calls, as a caller makes them; and a token granted in an older scope naming
//! does not stop calls.

use ehr_sdk::elation::Client;
use ehr_sdk::elation::api::types;
use ehr_tests::fixture;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::{Value, json};

const TOKEN_PATH: &str = "/api/2.0/oauth2/token/";

fn wire(file: &str) -> String {
    fixture(&format!("elation/wire/{file}"))
}

/// A server granting `token_answer` and answering `GET path` with `body`.
fn serving(token_answer: Value, path: &str, body: String) -> MockServer {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200).json_body(token_answer);
    });
    server.mock(|when, then| {
        when.method(GET).path(path);
        then.status(200)
            .header("content-type", "application/json")
            .body(body);
    });
    server
}

fn apiv2_token() -> Value {
    json!({"access_token": "wire", "token_type": "Bearer", "expires_in": 36000, "scope": "apiv2"})
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.base_url())
        .client_credentials("elation-client", "elation-secret")
        .strict_decoding()
        .build()
        .expect("builds")
}

#[tokio::test]
async fn a_captured_patient_decodes() {
    let server = serving(
        apiv2_token(),
        "/api/2.0/patients/7/",
        wire("patient-create-response.awell.json"),
    );
    let patient = client(&server)
        .patients_retrieve()
        .id(7)
        .send()
        .await
        .expect("decodes");
    assert!(patient.id > 0);
    // Fields production integrations read, present in the capture.
    assert_eq!(patient.tags.as_deref(), Some(&[][..]));
    assert!(patient.consents.is_some());
    assert_eq!(patient.preferred_service_location, None);
}

#[tokio::test]
async fn a_patient_whose_phones_are_null_decodes() {
    let mut body: Value =
        serde_json::from_str(&wire("patient-create-response.awell.json")).unwrap();
    body["phones"] = Value::Null;
    let server = serving(apiv2_token(), "/api/2.0/patients/7/", body.to_string());
    let patient = client(&server)
        .patients_retrieve()
        .id(7)
        .send()
        .await
        .expect("null phones decode");
    assert!(patient.phones.is_none());
}

#[tokio::test]
async fn captured_practice_vitals_and_problem_pages_and_a_physician_decode() {
    for (path, file) in [
        ("/api/2.0/practices/", "practices-list.cityblock.json"),
        ("/api/2.0/vitals/", "vitals-list.cityblock.json"),
        ("/api/2.0/problems/", "problems-list-page1.cityblock.json"),
    ] {
        let server = serving(apiv2_token(), path, wire(file));
        let client = client(&server);
        let decoded = match path {
            "/api/2.0/practices/" => client
                .practices_list()
                .send()
                .await
                .map(|p| p.results.len()),
            "/api/2.0/vitals/" => client.vitals_list().send().await.map(|p| p.results.len()),
            _ => client.problems_list().send().await.map(|p| p.results.len()),
        };
        let results = decoded.unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(results > 0, "{file} has results");
    }
    let server = serving(
        apiv2_token(),
        "/api/2.0/physicians/3/",
        wire("physician.cityblock.json"),
    );
    client(&server)
        .physicians_retrieve()
        .id(3)
        .send()
        .await
        .expect("the physician decodes");
}

#[tokio::test]
async fn a_report_decodes_with_its_tags_as_objects() {
    let captured = wire("report-lab.cityblock.json");
    // The captured report has no tag; the same report with one tag in the shape Cityblock's
    // decoder reads (`{value, code, code_type}`), and one in Awell's (`code_type` an integer).
    let mut tagged: Value = serde_json::from_str(&captured).unwrap();
    tagged["tags"] = json!([
        {"value": "Point of care", "code": "1", "code_type": "CPT"},
        {"id": 88, "code": "2", "value": "Urgent", "code_type": 1, "concept_name": "urgent",
         "created_date": "2024-01-01T00:00:00Z", "description": ""}
    ]);
    for (body, tags) in [(captured, 0), (tagged.to_string(), 2)] {
        let server = serving(apiv2_token(), "/api/2.0/reports/9/", body);
        let report = client(&server)
            .reports_retrieve()
            .id(9)
            .send()
            .await
            .expect("the report decodes");
        let decoded = report.tags.clone().unwrap_or_default();
        assert_eq!(decoded.len(), tags);
        if tags > 0 {
            assert_eq!(decoded[0].value.as_deref(), Some("Point of care"));
            assert_eq!(decoded[1].code_type, Some(json!(1)));
        }
    }
}

#[tokio::test]
async fn a_letter_with_a_boolean_failure_flag_decodes() {
    let letter = json!({"id": 1, "failure_unacknowledged": false, "tags": [], "patient": 5});
    let server = serving(apiv2_token(), "/api/2.0/letters/1/", letter.to_string());
    let letter = client(&server)
        .letters_retrieve()
        .id(1)
        .send()
        .await
        .expect("decodes");
    assert_eq!(letter.failure_unacknowledged, Some(false));
}

#[test]
fn captured_deliveries_carry_objects_the_generated_types_decode() {
    for file in [
        "webhook-appointment-saved.awell.json",
        "webhook-appointment-saved.cityblock.json",
    ] {
        let delivery: Value = serde_json::from_str(&wire(file)).unwrap();
        let appointment: types::Appointment =
            ehr_tests::strict_value(&delivery["data"]).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(appointment.id.is_some(), "{file}");
        if file.contains("awell") {
            let forms = appointment
                .patient_forms
                .expect("the captured delivery has patient_forms");
            assert_eq!(forms["patient_can_receive_forms"], json!(false));
        }
    }
    let delivery: Value =
        serde_json::from_str(&wire("webhook-report-saved.cityblock.json")).unwrap();
    ehr_tests::strict_value::<types::Report>(&delivery["data"]).expect("the report decodes");
}

#[tokio::test]
async fn a_token_granted_in_the_older_scope_naming_does_not_stop_calls() {
    let mut token: Value =
        serde_json::from_str(&wire("oauth2-token-legacy-scopes.cityblock.json")).unwrap();
    token["access_token"] = json!("legacy");
    let server = serving(
        token,
        "/api/2.0/vitals/",
        json!({"count": 0, "next": null, "previous": null, "results": []}).to_string(),
    );
    let client = Client::builder()
        .base_url(server.base_url())
        .client_credentials("elation-client", "elation-secret")
        .build()
        .unwrap();

    let page = client
        .vitals_list()
        .send()
        .await
        .expect("sent, not refused for a scope the guard cannot read");
    assert!(page.results.is_empty());
}

#[tokio::test]
async fn a_captured_referral_order_decodes_and_a_patch_sets_its_resolution() {
    let server = serving(
        apiv2_token(),
        "/api/2.0/referral_orders/142687932973088/",
        wire("referral-order.awell.json"),
    );
    let order = client(&server)
        .referral_orders_retrieve()
        .id(142687932973088_i64)
        .send()
        .await
        .expect("decodes");
    assert_eq!(order.practice, Some(141114865745924));
    assert_eq!(order.icd10_codes.as_ref().map(Vec::len), Some(2));

    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200).json_body(apiv2_token());
    });
    let patched = server.mock(|when, then| {
        when.method(httpmock::Method::PATCH)
            .path("/api/2.0/referral_orders/7/")
            .json_body(json!({"resolution": {"state": "fulfilled", "resolving_document": 99}}));
        then.status(200)
            .json_body(json!({"id": 7, "resolution": {"state": "fulfilled"}}));
    });
    let body = types::ReferralOrderPatch {
        resolution: Some(
            json!({"state": "fulfilled", "resolving_document": 99})
                .as_object()
                .cloned()
                .unwrap(),
        ),
        ..Default::default()
    };
    client(&server)
        .referral_orders_partial_update()
        .id(7)
        .body(body)
        .send()
        .await
        .expect("patched");
    patched.assert();
}

#[tokio::test]
async fn a_duplicate_patient_is_a_conflict_whose_body_names_the_existing_one() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200).json_body(apiv2_token());
    });
    server.mock(|when, then| {
        when.method(POST).path("/api/2.0/patients/");
        then.status(409)
            .json_body(json!({"detail": "Duplicated object", "redirect": 141624181522433_i64}));
    });
    let body: types::PatientInput = serde_json::from_value(json!({
        "first_name": "Ada", "last_name": "Byron", "dob": "1980-01-02", "sex": "Female",
        "primary_physician": 5, "caregiver_practice": 6
    }))
    .expect("a patient body");
    let error = client(&server)
        .patients_create()
        .body(body)
        .send()
        .await
        .expect_err("409");
    assert!(matches!(error, ehr_sdk::Error::Conflict(_)), "{error:?}");
    let said: Value = error.vendor_body().expect("the body");
    assert_eq!(said["redirect"], json!(141624181522433_i64));
}

#[tokio::test]
async fn contacts_are_found_by_name_and_note_bullets_keep_their_category() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path(TOKEN_PATH);
        then.status(200).json_body(apiv2_token());
    });
    let by_name = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/contacts/")
            .query_param("name", "Valley Cardiology");
        then.status(200)
            .json_body(json!({"count": 0, "next": null, "previous": null, "results": []}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/2.0/non_visit_notes/3/");
        then.status(200).json_body(json!({
            "id": 3, "practice": 141114865745924_i64,
            "bullets": [{"id": 1, "text": "BP stable", "author": 9, "category": "Problem"}]
        }));
    });
    let client = client(&server);

    client
        .contacts_list()
        .name("Valley Cardiology")
        .send()
        .await
        .expect("sent with ?name");
    by_name.assert();
    let note = client
        .non_visit_notes_retrieve()
        .id(3)
        .send()
        .await
        .expect("decodes");
    assert_eq!(note.practice, Some(141114865745924));
    assert_eq!(note.bullets[0].category.as_deref(), Some("Problem"));
}
