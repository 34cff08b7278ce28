//! The call contract, from the caller's side, for every vendor: `send().await?` gives
//! `ehr_sdk::Error` with the operation id and the vendor's reason; refusals come back as
//! classes a caller can match on; error bodies are kept, bounded; builders refuse
//! misconfiguration at `build()`; retries are visible on success.

use std::time::Duration;

use ehr_sdk::auth::StaticToken;
use ehr_sdk::retry::RetryPolicy;
use ehr_sdk::{Error, ErrorKind, MAX_ERROR_BODY};
use ehr_tests::{Reply, ScriptedServer, bearer_runtime};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::json;

fn drchrono(server: &MockServer) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("platform-token")
        .retry(RetryPolicy::none())
        .build()
        .expect("builds")
}

fn elation(base_url: String, scope: &str) -> ehr_sdk::elation::Client {
    ehr_sdk::elation::Client::builder()
        .base_url(base_url)
        .token_source(StaticToken::with_scope("elation-token", scope))
        .build()
        .expect("builds")
}

fn empty_page() -> serde_json::Value {
    json!({"next": null, "previous": null, "results": []})
}

// --- `?` into `ehr_sdk::Error`, for every vendor -------------------------------------------

async fn drchrono_doctors(client: &ehr_sdk::drchrono::Client) -> Result<usize, Error> {
    Ok(client.doctors_list().send().await?.results.len())
}

#[tokio::test]
async fn drchrono_calls_return_our_error_through_question_mark() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/doctors")
            .header("authorization", "Bearer platform-token");
        then.status(200).json_body(empty_page());
    });
    let client = drchrono(&server);
    assert_eq!(drchrono_doctors(&client).await.expect("200"), 0);

    let failing = MockServer::start();
    failing.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(403)
            .json_body(json!({"detail": "You do not have permission to perform this action."}));
    });
    let error = drchrono_doctors(&drchrono(&failing))
        .await
        .expect_err("403");
    assert!(matches!(error, Error::Forbidden(_)), "{error:?}");
    assert_eq!(error.operation_id(), "doctors_list");
    assert_eq!(
        error.to_string(),
        "doctors_list: 403 Forbidden: You do not have permission to perform this action."
    );
}

async fn elation_patients(client: &ehr_sdk::elation::Client) -> Result<usize, Error> {
    Ok(client.patients_list().send().await?.results.len())
}

async fn elation_patients_boxed(
    client: &ehr_sdk::elation::Client,
) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
    Ok(client.patients_list().send().await?.results.len())
}

#[tokio::test]
async fn elation_missing_scope_prints_our_display_through_a_boxed_error() {
    let server = MockServer::start();
    let api = server.mock(|when, then| {
        when.method(GET).path("/api/2.0/patients/");
        then.status(200)
            .json_body(json!({"count": 0, "next": null, "previous": null, "results": []}));
    });

    let granted = elation(server.base_url(), "system/patients.read");
    assert_eq!(elation_patients(&granted).await.expect("granted"), 0);

    let not_granted = elation(server.base_url(), "system/visit_notes.read");
    let typed = elation_patients(&not_granted)
        .await
        .expect_err("not granted");
    assert!(
        matches!(&typed, Error::MissingScope { scope, .. } if scope == "system/patients.read"),
        "{typed:?}"
    );
    let boxed = elation_patients_boxed(&not_granted)
        .await
        .expect_err("not granted");
    let printed = boxed.to_string();
    assert_eq!(
        printed,
        "patients_list: not sent: the token was not granted the scope `system/patients.read`"
    );
    assert!(!printed.contains("Response {"), "{printed}");
    assert!(boxed.downcast_ref::<Error>().is_some(), "our type, boxed");
    api.assert_calls(1);
}

async fn empego_view(client: &ehr_sdk::empego::api::Client) -> Result<u16, Error> {
    Ok(client
        .consultation_view()
        .patient_key("patient123")
        .send()
        .await?
        .status()
        .as_u16())
}

#[tokio::test]
async fn empego_spring_error_comes_back_typed_through_question_mark() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET)
            .path("/empego-integrations/R4/embeddable/consultation/view");
        then.status(400)
            .header("content-type", "application/json")
            .json_body(json!({
                "timestamp": "2025-01-15T14:30:00.123Z", "status": 400,
                "error": "Bad Request",
                "message": "User creation failed - missing required fields",
                "path": "/empego-integrations/R4/embeddable/consultation/view"
            }));
    });
    let client = ehr_sdk::empego::api::Client::with_runtime(
        &server.base_url(),
        ehr_sdk::runtime::Runtime::direct(),
    );

    let error = empego_view(&client).await.expect_err("400");
    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "consultation_view: 400 Bad Request: User creation failed - missing required fields"
    );
}

async fn healthgorilla_practitioner(
    client: &ehr_sdk::healthgorilla::api::Client,
) -> Result<String, Box<dyn std::error::Error>> {
    Ok(client
        .practitioner_read()
        .id("p-1")
        .send()
        .await?
        .into_inner()
        .id
        .unwrap_or_default())
}

#[tokio::test]
async fn healthgorilla_operation_outcome_prints_the_vendor_message_through_a_boxed_error() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/p-1");
        then.status(404)
            .header("content-type", "application/fhir+json")
            .json_body(json!({
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "not-found",
                           "details": {"text": "Practitioner p-1 not found"}}]
            }));
    });
    let client = ehr_sdk::healthgorilla::api::Client::with_runtime(
        &server.base_url(),
        bearer_runtime("hg-token").0,
    );

    let boxed = healthgorilla_practitioner(&client).await.expect_err("404");
    assert_eq!(
        boxed.to_string(),
        // The vendor's words, without the id the request sent (it repeats the path's `p-1`).
        "practitioner_read: 404 Not Found: Practitioner [redacted] not found"
    );
    let error = boxed.downcast_ref::<Error>().expect("our type");
    assert!(matches!(error, Error::NotFound(_)), "{error:?}");
    assert_eq!(
        (error.kind(), error.kind().as_str()),
        (ErrorKind::NotFound, "not_found")
    );
}

// --- the vendor's reason, typed ---------------------------------------------------------------

#[tokio::test]
async fn a_409_keeps_the_drf_detail_though_the_spec_declares_no_body() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/api/appointments");
        then.status(409)
            .json_body(json!({"detail": "Appointment overlaps with another appointment"}));
    });
    let body: ehr_sdk::drchrono::api::types::AppointmentCreate = serde_json::from_value(json!({
        "doctor": 5, "exam_room": 1, "office": 7, "scheduled_time": "2024-05-06T09:00:00",
        "patient": 12, "duration": 30, "custom_fields": [], "custom_vitals": [], "vitals": {},
        "allow_overlapping": null, "billing_provider": null, "billing_status": null,
        "color": null, "is_walk_in": null, "notes": null, "profile": null, "reason": null,
        "reminder_profile": null, "status": null, "supervising_provider": null
    }))
    .unwrap();

    let error = drchrono(&server)
        .appointments_create()
        .body(body)
        .send()
        .await
        .expect_err("409");

    let Error::Conflict(conflict) = &error else {
        panic!("expected a conflict, got {error:?}");
    };
    assert_eq!(error.kind().to_string(), "conflict");
    assert_eq!(
        conflict.message(),
        Some("Appointment overlaps with another appointment")
    );
    assert_eq!(
        error.to_string(),
        "appointments_create: 409 Conflict: Appointment overlaps with another appointment"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_400_with_field_errors_is_a_validation_error_naming_the_fields() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/api/patients");
        then.status(400).json_body(json!({
            "date_of_birth": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            "gender": ["This field is required."]
        }));
    });
    let body = ehr_sdk::drchrono::api::types::PatientCreate::builder()
        .doctor(5)
        .gender(ehr_sdk::drchrono::api::types::GenderKnown::Female);

    let error = drchrono(&server)
        .patients_create()
        .body(body)
        .send()
        .await
        .expect_err("400");

    let Error::Validation(invalid) = &error else {
        panic!("expected a validation error, got {error:?}");
    };
    let fields: Vec<_> = invalid
        .field_errors()
        .iter()
        .map(|f| f.field.as_str())
        .collect();
    assert_eq!(fields, ["date_of_birth", "gender"]);
    assert_eq!(
        invalid.field_errors()[1].messages,
        ["This field is required."]
    );
    let shown = error.to_string();
    assert!(
        shown
            .starts_with("patients_create: 400 Bad Request: date_of_birth: Date has wrong format."),
        "{shown}"
    );
    assert!(
        shown.contains("; gender: This field is required."),
        "{shown}"
    );
}

#[tokio::test]
async fn a_403_names_the_scope_when_the_vendor_does() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(403)
            .header(
                "www-authenticate",
                r#"Bearer error="insufficient_scope", scope="user:read""#,
            )
            .json_body(json!({"detail": "You do not have permission to perform this action."}));
    });
    let error = drchrono(&server)
        .doctors_list()
        .send()
        .await
        .expect_err("403");
    let Error::Forbidden(forbidden) = &error else {
        panic!("expected forbidden, got {error:?}");
    };
    assert_eq!(forbidden.permission(), Some("user:read"));
}

#[tokio::test]
async fn a_429_is_rate_limited_with_the_wait_asked_and_retryable() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(429)
            .header("retry-after", "120")
            .json_body(json!({"detail": "Request was throttled."}));
    });
    let error = drchrono(&server)
        .doctors_list()
        .send()
        .await
        .expect_err("429");
    let Error::RateLimited(limited) = &error else {
        panic!("expected rate limited, got {error:?}");
    };
    assert_eq!(limited.retry_after(), Some(Duration::from_secs(120)));
    assert!(error.is_retryable());
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.kind().as_str(), "rate_limited");
}

#[tokio::test]
async fn a_5xx_is_a_server_error_and_an_html_page_is_never_displayed() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(503)
            .header("content-type", "text/html")
            .body("<html><body>Upstream down for patient Doe</body></html>");
    });
    let error = drchrono(&server)
        .doctors_list()
        .send()
        .await
        .expect_err("503");
    assert!(matches!(error, Error::Server(_)), "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(error.to_string(), "doctors_list: 503 Service Unavailable");
    assert!(
        !format!("{error:?}").contains("Doe"),
        "Debug keeps bodies out"
    );
    let body = error.vendor().expect("the vendor answered").body();
    assert!(
        std::str::from_utf8(body).unwrap().contains("Upstream down"),
        "the body stays reachable on purpose"
    );
}

#[tokio::test]
async fn a_10_mb_error_body_is_bounded() {
    let server = MockServer::start();
    let huge = format!(r#"{{"detail": "{}"}}"#, "x".repeat(10 * 1024 * 1024));
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(500).body(huge);
    });
    let error = drchrono(&server)
        .doctors_list()
        .send()
        .await
        .expect_err("500");
    let vendor = error.vendor().expect("vendor answer");
    assert_eq!(vendor.body().len(), MAX_ERROR_BODY);
    assert!(vendor.is_truncated());
    assert!(error.to_string().len() < 200, "Display stays short");
}

#[tokio::test]
async fn an_undocumented_status_keeps_its_body_too() {
    // DrChrono's spec documents no 401 body; a 401 from a fixed token is not refreshed.
    let server = MockServer::start();
    let api = server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(401)
            .json_body(json!({"detail": "Authentication credentials were not provided."}));
    });
    let error = drchrono(&server)
        .doctors_list()
        .send()
        .await
        .expect_err("401");
    assert!(matches!(error, Error::Unauthorized(_)), "{error:?}");
    assert_eq!(
        error.vendor_message(),
        Some("Authentication credentials were not provided.")
    );
    api.assert_calls(1);
}

// --- builders refuse misconfiguration --------------------------------------------------------

fn build_error<T: std::fmt::Debug>(result: Result<T, ehr_sdk::builder::BuildError>) -> String {
    result.expect_err("misconfigured").to_string()
}

#[test]
fn drchrono_builder_names_what_is_missing_or_conflicting() {
    use ehr_sdk::auth::MemoryTokenStore;
    use ehr_sdk::drchrono::Client;

    let none = build_error(Client::builder().build());
    assert!(none.contains("no DrChrono credentials"), "{none}");
    assert!(none.contains(".access_token(…)"), "{none}");

    let store_only = build_error(
        Client::builder()
            .token_store(MemoryTokenStore::new())
            .build(),
    );
    assert!(store_only.contains(".oauth("), "{store_only}");

    let oauth_only = build_error(
        Client::builder()
            .oauth("id", "secret", "https://app.example/cb")
            .build(),
    );
    assert!(oauth_only.contains(".token_store("), "{oauth_only}");

    let both = build_error(
        Client::builder()
            .oauth("id", "secret", "https://app.example/cb")
            .token_store(MemoryTokenStore::new())
            .access_token("t")
            .build(),
    );
    assert!(both.contains("conflicting"), "{both}");

    let tuned = build_error(
        Client::builder()
            .access_token("t")
            .http_client(ehr_sdk::builder::HttpClient::new().unwrap())
            .timeout(Duration::from_secs(5))
            .build(),
    );
    assert!(tuned.contains("timeouts"), "{tuned}");
}

#[test]
fn base_urls_are_origins_for_every_vendor_and_a_path_is_refused_with_the_reason() {
    use ehr_sdk::elation::Client;

    let with_path = build_error(
        Client::builder()
            .base_url("https://sandbox.elationemr.com/api/2.0")
            .access_token("t")
            .build(),
    );
    assert_eq!(
        with_path,
        "invalid base URL `https://sandbox.elationemr.com/api/2.0`: expected the origin only \
         (scheme://host[:port]), without the path `/api/2.0`: Elation operation paths already \
         start with `/api/2.0/`"
    );
    let unchosen = build_error(Client::builder().access_token("t").build());
    assert!(unchosen.contains(".sandbox()"), "{unchosen}");
    let no_credentials = build_error(Client::builder().sandbox().build());
    assert!(
        no_credentials.contains("no Elation credentials"),
        "{no_credentials}"
    );
    let not_a_url = build_error(
        Client::builder()
            .base_url("sandbox")
            .access_token("t")
            .build(),
    );
    assert!(not_a_url.contains("absolute URL"), "{not_a_url}");

    // An origin with a trailing slash is fine.
    Client::builder()
        .base_url("https://sandbox.elationemr.com/")
        .access_token("t")
        .build()
        .expect("origin");
    ehr_sdk::drchrono::Client::builder()
        .base_url("http://127.0.0.1:8080")
        .access_token("t")
        .build()
        .expect("origin with a port");
}

#[tokio::test]
async fn the_user_agent_and_timeout_settings_reach_the_wire() {
    let server = MockServer::start();
    let api = server.mock(|when, then| {
        when.method(GET)
            .path("/api/doctors")
            .header("user-agent", "clinic-app/2.1");
        then.status(200).json_body(empty_page());
    });
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("t")
        .user_agent("clinic-app/2.1")
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    client.doctors_list().send().await.expect("200");
    api.assert();
}

// --- attempts visible on success -------------------------------------------------------------

#[tokio::test]
async fn a_retry_that_ends_in_success_is_traced_with_its_wait() {
    let capture = ehr_tests::TraceCapture::default();
    let _guard = capture.install();
    let server = ScriptedServer::start(vec![
        Reply::json(429, json!({"detail": "slow down"})).header("retry-after", "1"),
        Reply::json(200, empty_page()),
    ])
    .await;
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(&server.base_url)
        .access_token("t")
        .build()
        .unwrap();

    let page = client
        .doctors_list()
        .send()
        .await
        .expect("retried, then 200");

    assert!(page.results.is_empty());
    assert_eq!(server.received().len(), 2);
    let traces = capture.text();
    let retry = traces
        .lines()
        .find(|l| l.contains("ehr call retrying"))
        .unwrap_or_else(|| panic!("no retry event: {traces}"));
    assert!(retry.contains("operation_id=\"doctors_list\""), "{retry}");
    assert!(retry.contains("status=429"), "{retry}");
    assert!(retry.contains("wait_ms=1000"), "{retry}");
}

#[tokio::test]
async fn a_callers_http_client_that_follows_redirects_cannot_carry_credentials_elsewhere() {
    let elsewhere = MockServer::start();
    let stolen = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(empty_page());
    });
    let server = MockServer::start();
    let target = elsewhere.url("/api/doctors");
    server.mock(|when, then| {
        when.method(GET).path("/api/doctors");
        then.status(302).header("location", target.as_str());
    });
    // reqwest's default builder follows redirects; the façade's HttpClient turns that off.
    let http = ehr_sdk::builder::HttpClient::from_builder(reqwest::Client::builder()).unwrap();
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("t")
        .http_client(http)
        .build()
        .unwrap();

    let error = client
        .doctors_list()
        .send()
        .await
        .expect_err("not followed");

    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    stolen.assert_calls(0);
}
