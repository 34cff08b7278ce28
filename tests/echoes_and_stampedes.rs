//! Hardening, round two, from the caller's side: a vendor repeating the request's own values
//! never gets them printed (they stay reachable through the accessors that say a body may hold
//! PHI), and tokens that live shorter than the refresh skew do not make a token request per call.

use ehr_sdk::Error;
use ehr_sdk::healthgorilla::OperationOutcomeExt;
use httpmock::Method::{GET, POST};
use httpmock::{Mock, MockServer};
use serde_json::json;

// --- what the vendor echoes back is never printed ---------------------------------------------

#[tokio::test]
async fn a_fhir_outcome_repeating_the_search_prints_none_of_its_values() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200).json_body(
            json!({"access_token": "hg-tok", "token_type": "Bearer", "expires_in": 3600}),
        );
    });
    let echoed = "No Practitioner matches name=Doe and identifier=1980-01-02|NPI-4417";
    server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("name", "Doe")
            .query_param("identifier", "1980-01-02|NPI-4417");
        then.status(400)
            .header("content-type", "application/fhir+json")
            .json_body(json!({
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "not-found", "diagnostics": echoed}]
            }));
    });
    let client = ehr_sdk::healthgorilla::Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials("hg-client", "hg-signing-secret")
        .default_subject("hg-client")
        .build()
        .expect("builds");

    let error = client
        .practitioner_search()
        .name("Doe")
        .identifier("1980-01-02|NPI-4417")
        .send()
        .await
        .expect_err("refused");

    assert!(matches!(error, Error::Validation(_)), "{error:?}");
    let printed = format!("{error} | {error:?}");
    for value in ["Doe", "1980-01-02", "NPI-4417"] {
        assert!(!printed.contains(value), "{value} printed: {printed}");
    }
    assert!(
        printed.contains("No Practitioner matches name=[redacted]"),
        "{printed}"
    );
    // The explicit accessors still have the vendor's words, unscrubbed.
    let outcome = error.operation_outcome().expect("an OperationOutcome");
    assert_eq!(outcome.issue[0].diagnostics.as_deref(), Some(echoed));
    let body = error.vendor().expect("the vendor answered").body();
    assert!(String::from_utf8_lossy(body).contains("name=Doe"));
}

#[tokio::test]
async fn a_drf_field_error_quoting_a_body_value_prints_no_value() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/api/patients");
        then.status(400).json_body(json!({
            "date_of_birth": ["'1980-12-02' is after the first visit."],
            "last_name": ["Doe-Smithers is on a blocklist"]
        }));
    });
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("drc-token")
        .build()
        .expect("builds");
    let body: ehr_sdk::drchrono::api::types::PatientCreate = serde_json::from_value(json!({
        "doctor": 1, "gender": "Female", "date_of_birth": "1980-12-02", "last_name": "Doe-Smithers"
    }))
    .expect("a patient body");

    let error = client
        .patients_create()
        .body(body)
        .send()
        .await
        .expect_err("refused");

    let printed = format!("{error} | {error:?}");
    for value in ["1980-12-02", "Doe-Smithers"] {
        assert!(!printed.contains(value), "{value} printed: {printed}");
    }
    let fields = error.vendor().expect("the vendor answered").field_errors();
    assert_eq!(fields[0].field, "date_of_birth", "field names are kept");
    assert_eq!(
        fields[0].messages,
        ["'[redacted]' is after the first visit."]
    );
}

#[tokio::test]
async fn an_identity_header_echoed_back_is_never_printed() {
    let server = MockServer::start();
    let user = ehr_sdk::empego::IntegrationUser::new_user(
        "u-7731",
        "Jane",
        "Roe",
        "jane.roe@clinic.example",
    )
    .license_number("LIC-5512");
    let header = user.to_header().unwrap();
    let message = format!(
        "Invalid x-integration-user header format: {header} (user jane.roe@clinic.example)"
    );
    server.mock(|when, then| {
        when.method(GET)
            .path("/empego-integrations/R4/embeddable/consultation/view")
            .header("x-integration-user", &header);
        then.status(400).json_body(json!({
            "timestamp": "2025-01-15T14:30:00.123Z", "status": 400, "error": "Bad Request",
            "message": message, "path": "/empego-integrations/R4/embeddable/consultation/view"
        }));
    });
    let client = ehr_sdk::empego::Client::builder()
        .base_url(server.base_url())
        .api_key("empego-api-key")
        .build()
        .expect("builds");

    let error = client
        .as_user(&user)
        .unwrap()
        .consultation_view()
        .patient_key("p-1")
        .send()
        .await
        .err()
        .expect("refused");

    assert!(
        matches!(
            error,
            Error::Refused {
                code: ehr_sdk::empego::Refusal::INVALID_USER_HEADER,
                ..
            }
        ),
        "{error:?}"
    );
    let printed = format!("{error} | {error:?}");
    for value in [
        header.as_str(),
        "jane.roe@clinic.example",
        "u-7731",
        "LIC-5512",
    ] {
        assert!(!printed.contains(value), "{value} printed: {printed}");
    }
    assert!(
        printed.contains("Invalid x-integration-user header format"),
        "{printed}"
    );
    let said: ehr_sdk::empego::api::types::ErrorBody =
        error.vendor_body().expect("Spring's error body");
    assert_eq!(said.message.as_deref(), Some(message.as_str()));
}

// --- short-lived tokens do not stampede --------------------------------------------------------

/// A token endpoint at `path` granting 30 s tokens: less than the default 60 s refresh skew.
fn thirty_second_tokens<'a>(server: &'a MockServer, path: &str) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(POST).path(path);
        then.status(200).json_body(
            json!({"access_token": "short-lived", "token_type": "Bearer", "expires_in": 30}),
        );
    })
}

#[tokio::test]
async fn tokens_shorter_lived_than_the_skew_are_fetched_once_for_a_burst_and_reused() {
    let server = MockServer::start();
    let tokens = thirty_second_tokens(&server, "/api/2.0/oauth2/token/");
    let users = server.mock(|when, then| {
        when.method(GET)
            .path("/api/2.0/users/")
            .header("authorization", "Bearer short-lived");
        then.status(200)
            .json_body(json!({"count": 0, "next": null, "previous": null, "results": []}));
    });
    let client = ehr_sdk::elation::Client::builder()
        .base_url(server.base_url())
        .client_credentials("elation-client", "elation-secret")
        .build()
        .expect("builds");

    let burst = futures::future::join_all((0..200).map(|_| client.users_list().send())).await;
    assert!(burst.iter().all(Result::is_ok));
    let after_burst = tokens.calls();
    assert!(
        after_burst <= 2,
        "{after_burst} token requests for 200 concurrent calls"
    );

    for _ in 0..20 {
        client.users_list().send().await.expect("succeeds");
    }
    assert_eq!(
        tokens.calls(),
        after_burst,
        "calls within the token's lifetime reuse it"
    );
    users.assert_calls(220);
}

#[tokio::test]
async fn short_lived_jwt_bearer_tokens_do_not_stampede_either() {
    let server = MockServer::start();
    let tokens = thirty_second_tokens(&server, "/oauth/token");
    server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner/c91b")
            .header("authorization", "Bearer short-lived");
        then.status(200)
            .json_body(json!({"resourceType": "Practitioner", "id": "c91b"}));
    });
    let client = ehr_sdk::healthgorilla::Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials("hg-client", "hg-signing-secret")
        .default_subject("hg-client")
        .build()
        .expect("builds");

    let burst =
        futures::future::join_all((0..200).map(|_| client.practitioner_read().id("c91b").send()))
            .await;
    assert!(burst.iter().all(Result::is_ok));
    for _ in 0..20 {
        client.practitioner_read().id("c91b").send().await.unwrap();
    }
    assert!(tokens.calls() <= 2, "{} token requests", tokens.calls());
}

#[tokio::test]
async fn short_lived_rotating_drchrono_tokens_are_refreshed_once_for_a_burst() {
    let server = MockServer::start();
    let refreshes = server.mock(|when, then| {
        when.method(POST)
            .path("/o/token/")
            .form_urlencoded_tuple("grant_type", "refresh_token");
        then.status(200).json_body(
            json!({"access_token": "short-lived", "refresh_token": "rt-2", "expires_in": 30}),
        );
    });
    server.mock(|when, then| {
        when.method(GET)
            .path("/api/doctors")
            .header("authorization", "Bearer short-lived");
        then.status(200)
            .json_body(json!({"count": 0, "next": null, "previous": null, "results": []}));
    });
    // The stored access token has expired: the first calls need a refresh.
    let store = ehr_sdk::auth::MemoryTokenStore::with(ehr_sdk::auth::TokenSet::from_response(
        "expired".into(),
        Some(-10),
        Some("rt-1".into()),
    ));
    let client = ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .oauth("cid", "drc-secret", "https://app.example/cb")
        .token_store(store)
        .build()
        .expect("builds");

    let burst = futures::future::join_all((0..200).map(|_| client.doctors_list().send())).await;
    assert!(burst.iter().all(Result::is_ok));
    for _ in 0..20 {
        client.doctors_list().send().await.expect("succeeds");
    }
    assert!(
        refreshes.calls() <= 2,
        "{} refreshes for 220 calls on 30 s tokens",
        refreshes.calls()
    );
}
