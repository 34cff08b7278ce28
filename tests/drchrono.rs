//! `ehr-drchrono` against httpmock: what goes on the wire and what comes back.

use ehr_drchrono::mock::MockServerExt;
use ehr_sdk::drchrono::api::{Client, Error, types};
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
    assert_eq!(page.results.len(), 2);

    let jo = &page.results[0];
    assert_eq!(jo.id, 101);
    assert_eq!(jo.last_name.as_deref(), Some("Smith"));
    assert_eq!(jo.nick_name, None, "null decodes to None");
    assert_eq!(jo.middle_name.as_deref(), Some(""));
    assert_eq!(
        jo.date_of_birth,
        chrono::NaiveDate::from_ymd_opt(1980, 4, 12)
    );
    assert!(matches!(
        jo.gender,
        Some(types::Gender::GenderKnown(types::GenderKnown::Female))
    ));
    assert!(matches!(
        jo.patient_payment_profile,
        Some(types::PatientPaymentProfile::PatientPaymentProfileKnown(
            types::PatientPaymentProfileKnown::X
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
    assert!(matches!(err, Error::ErrorResponse(_)), "{err:?}");
}
