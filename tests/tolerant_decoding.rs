//! One odd optional field never fails a call: through the façades as a user calls them, a
//! response whose optional field has another type than the spec says decodes with that field
//! absent and a warning naming the operation, the JSON path and the expected type (never the
//! value); `strict_decoding()` fails the call instead; a required field that does not decode
//! fails the call either way, with its JSON path in `Display`.

use ehr_sdk::pagination::Paginate;
use ehr_tests::TraceCapture;
use futures::TryStreamExt;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::{Value, json};

/// A value that must never reach a log or an error message (it stands for PHI).
const SECRET_VALUE: &str = "Zebulon-Quartz";

fn drchrono(server: &MockServer, strict: bool) -> ehr_sdk::drchrono::Client {
    let builder = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("drchrono-token");
    let builder = if strict {
        builder.strict_decoding()
    } else {
        builder
    };
    builder.build().expect("builds")
}

/// A patients page: the second patient's `doctor` is an object, its `gender` a list holding
/// the secret value, and the first patient's `date_of_birth` a number.
fn odd_patients() -> Value {
    json!({
        "next": null,
        "previous": null,
        "results": [
            {"id": 1, "first_name": "Ada", "date_of_birth": 19800412, "doctor": 5},
            {"id": 2, "first_name": "Bo", "doctor": {"id": 5}, "gender": [SECRET_VALUE], "chart_id": "BO01"},
        ]
    })
}

fn serve_patients(server: &MockServer, body: Value) {
    server.mock(|when, then| {
        when.method(GET).path("/api/patients");
        then.status(200).json_body(body);
    });
}

#[tokio::test]
async fn drchrono_a_page_with_odd_optional_fields_decodes_and_warns_without_values() {
    let traces = TraceCapture::global();
    let server = MockServer::start();
    serve_patients(&server, odd_patients());

    let page = drchrono(&server, false)
        .patients_list()
        .send()
        .await
        .expect("the page decodes")
        .into_inner();

    let (ada, bo) = (&page.results[0], &page.results[1]);
    assert_eq!((ada.id, ada.date_of_birth, ada.doctor), (1, None, Some(5)));
    assert_eq!((bo.id, bo.doctor, bo.gender.is_none()), (2, None, true));
    assert_eq!(
        bo.chart_id.as_deref(),
        Some("BO01"),
        "the fields after an odd one decode"
    );

    let text = traces.text();
    for (path, expected, found) in [
        ("$.results[0].date_of_birth", "NaiveDate", "number"),
        ("$.results[1].doctor", "i64", "object"),
        ("$.results[1].gender", "Gender", "array"),
    ] {
        let line = text
            .lines()
            .find(|l| l.contains(&format!("path={path} ")))
            .unwrap_or_else(|| panic!("no warning for {path} in\n{text}"));
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("operation=\"patients_list\""), "{line}");
        assert!(line.contains(&format!("expected={expected} ")), "{line}");
        assert!(line.contains(&format!("found=\"{found}\"")), "{line}");
    }
    assert!(
        !text.contains(SECRET_VALUE),
        "a value reached the log:\n{text}"
    );
}

#[tokio::test]
async fn drchrono_one_warning_per_place_with_how_many_records_had_it() {
    let traces = TraceCapture::global();
    let server = MockServer::start();
    let results: Vec<Value> = (1..=3)
        .map(|id| json!({"id": id, "offices": "1,7", "chart_id": format!("C{id}")}))
        .collect();
    serve_patients(
        &server,
        json!({"next": null, "previous": null, "results": results}),
    );

    let page = drchrono(&server, false)
        .patients_list()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert!(
        page.results
            .iter()
            .all(|p| p.offices.is_none() && p.chart_id.is_some())
    );

    let text = traces.text();
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("place=$.results[].offices "))
        .collect();
    assert_eq!(lines.len(), 1, "one warning for the three records:\n{text}");
    assert!(lines[0].contains("count=3"), "{}", lines[0]);
    assert!(
        lines[0].contains("path=$.results[0].offices "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("expected=Vec<i64> "), "{}", lines[0]);
}

#[tokio::test]
async fn drchrono_strict_decoding_fails_the_same_call_at_the_first_odd_field() {
    let server = MockServer::start();
    serve_patients(&server, odd_patients());

    let error = drchrono(&server, true)
        .patients_list()
        .send()
        .await
        .expect_err("strict refuses the page");
    let shown = error.to_string();
    assert!(shown.contains("patients_list"), "{shown}");
    assert!(shown.contains("$.results[0].date_of_birth"), "{shown}");
    assert!(!shown.contains("19800412"), "{shown}");
}

#[tokio::test]
async fn drchrono_a_wrong_id_fails_the_call_with_its_path_and_not_its_value() {
    let server = MockServer::start();
    let mut body = odd_patients();
    body["results"][1]["id"] = json!(SECRET_VALUE);
    serve_patients(&server, body);

    let error = drchrono(&server, false)
        .patients_list()
        .send()
        .await
        .expect_err("a required field that does not decode fails the call");
    let shown = error.to_string();
    assert_eq!(
        shown,
        "patients_list: the 200 OK response does not decode at $.results[1].id: invalid type: string, expected i64"
    );
    assert!(!shown.contains(SECRET_VALUE), "{shown}");
    assert!(!format!("{error:?}").contains(SECRET_VALUE), "{error:?}");
}

#[tokio::test]
async fn drchrono_paging_leaves_odd_fields_out_too() {
    let server = MockServer::start();
    serve_patients(&server, odd_patients());
    let ids: Vec<(i64, Option<i64>)> = drchrono(&server, false)
        .patients_list()
        .items()
        .map_ok(|p| (p.id, p.doctor))
        .try_collect()
        .await
        .expect("both records");
    assert_eq!(ids, [(1, Some(5)), (2, None)]);

    let strict: Result<Vec<_>, _> = drchrono(&server, true)
        .patients_list()
        .items()
        .try_collect()
        .await;
    assert!(strict.is_err());
}

fn elation(server: &MockServer, strict: bool) -> ehr_sdk::elation::Client {
    server.mock(|when, then| {
        when.method(POST).path("/api/2.0/oauth2/token/");
        then.status(200).json_body(
            json!({"access_token": "t", "token_type": "Bearer", "expires_in": 36000, "scope": "apiv2"}),
        );
    });
    let builder = ehr_sdk::elation::Client::builder()
        .base_url(server.base_url())
        .client_credentials("elation-client", "elation-secret");
    let builder = if strict {
        builder.strict_decoding()
    } else {
        builder
    };
    builder.build().expect("builds")
}

#[tokio::test]
async fn elation_a_patient_with_an_odd_date_code_and_list_decodes() {
    let traces = TraceCapture::global();
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/2.0/patients/7/");
        then.status(200).json_body(json!({
            "id": 7, "first_name": "Ada", "last_name": "Doe", "dob": SECRET_VALUE,
            "sex": 5, "primary_physician": 3, "caregiver_practice": 9,
            "phones": {"phone": "415"}, "emails": [{"email": "ada@example.org"}]
        }));
    });
    let patient = elation(&server, false)
        .patients_retrieve()
        .id(7)
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(patient.id, 7);
    assert!(patient.dob.is_none() && patient.sex.is_none() && patient.phones.is_none());
    assert_eq!(patient.emails.as_ref().map(Vec::len), Some(1));

    let text = traces.text();
    assert!(
        text.lines()
            .any(|l| l.contains("operation=\"patients_retrieve\"")
                && l.contains("path=$.dob ")
                && l.contains("expected=NaiveDate")
                && l.contains("found=\"string\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("path=$.phones ") && l.contains("expected=Vec<Phone>")),
        "{text}"
    );
    assert!(!text.contains(SECRET_VALUE), "{text}");
}

#[tokio::test]
async fn elation_strict_decoding_fails_the_call() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/2.0/patients/7/");
        then.status(200).json_body(json!({
            "id": 7, "first_name": "Ada", "last_name": "Doe", "dob": "1980-04-12",
            "primary_physician": 3, "caregiver_practice": 9, "phones": {"phone": "415"}
        }));
    });
    let error = elation(&server, true)
        .patients_retrieve()
        .id(7)
        .send()
        .await
        .expect_err("strict");
    assert!(error.to_string().contains("$.phones"), "{error}");
    // The acting copy keeps the setting.
    let acting =
        elation(&server, true).on_behalf_of(ehr_sdk::elation::UserId::from_users_api_id(42));
    assert!(acting.patients_retrieve().id(7).send().await.is_err());
}

#[tokio::test]
async fn healthgorilla_a_practitioner_with_odd_fields_decodes() {
    use ehr_sdk::healthgorilla::{Client, Scope};
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200).json_body(
            json!({"access_token": "hg", "token_type": "Bearer", "expires_in": 3600, "scope": "user/*.*"}),
        );
    });
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/c91b");
        then.status(200).json_body(json!({
            "resourceType": "Practitioner", "id": "c91b",
            "gender": 5, "birthDate": {"value": SECRET_VALUE},
            "name": [{"family": "Doe", "given": ["Ada"]}]
        }));
    });
    let build = |strict: bool| {
        let builder = Client::builder()
            .environment(server.base_url(), server.url("/oauth/token"))
            .client_credentials("hg-client", "hg-secret-value")
            .default_subject("hg-client")
            .scopes([Scope::USER_ALL]);
        let builder = if strict {
            builder.strict_decoding()
        } else {
            builder
        };
        builder.build().expect("builds")
    };
    let found = build(false)
        .practitioner_read()
        .id("c91b")
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(found.id.as_deref(), Some("c91b"));
    assert!(found.gender.is_none() && found.birth_date.is_none());
    assert_eq!(found.name[0].family.as_deref(), Some("Doe"));

    let error = build(true)
        .practitioner_read()
        .id("c91b")
        .send()
        .await
        .expect_err("strict");
    // The mock sends keys in alphabetical order: `birthDate` is the first odd field.
    assert!(error.to_string().contains("$.birthDate"), "{error}");
    assert!(!error.to_string().contains(SECRET_VALUE), "{error}");
}

#[test]
fn empego_error_bodies_are_tolerant_too() {
    use ehr_runtime::decode::{Decoding, from_slice};
    use ehr_sdk::empego::api::types::ErrorBody;
    let body = br#"{"status": "500", "error": "Internal", "message": ["a", "b"]}"#;
    let (decoded, left_out) = from_slice::<ErrorBody>(body, Decoding::Tolerant).expect("decodes");
    assert_eq!(decoded.error.as_deref(), Some("Internal"));
    let left_out: Vec<String> = left_out.iter().map(|f| f.path.clone()).collect();
    assert!(left_out.contains(&"$.message".to_string()), "{left_out:?}");
    assert!(from_slice::<ErrorBody>(body, Decoding::Strict).is_err());
}
