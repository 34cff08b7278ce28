//! The runtime hook: every generated call of every vendor goes through `ehr_runtime::Runtime`.

use ehr_sdk::drchrono::api::Client as DrChrono;
use ehr_sdk::healthgorilla::api::Client as HealthGorilla;
use ehr_tests::bearer_runtime;
use httpmock::Method::GET;
use httpmock::MockServer;

#[tokio::test]
async fn every_generated_call_reaches_the_transport_with_vendor_and_operation_id() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/users/current");
        then.status(200)
            .json_body(serde_json::json!({"id": 1, "username": "doc"}));
    });
    server.mock(|when, then| {
        when.method(GET).path("/fhir/R4/Practitioner/abc");
        then.status(200)
            .json_body(serde_json::json!({"resourceType": "Practitioner", "id": "abc"}));
    });
    let (runtime, transport) = bearer_runtime("t");

    DrChrono::with_runtime(&server.base_url(), runtime.clone())
        .users_current()
        .send()
        .await
        .expect("user decodes");
    HealthGorilla::with_runtime(&server.base_url(), runtime)
        .practitioner_read()
        .id("abc")
        .send()
        .await
        .expect("practitioner decodes");

    let seen: Vec<_> = transport
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|c| (c.vendor, c.operation_id))
        .collect();
    assert_eq!(
        seen,
        [
            ("drchrono", "users_current"),
            ("healthgorilla", "practitioner_read")
        ]
    );
}

#[tokio::test]
async fn progenitors_api_version_header_never_reaches_the_wire() {
    let server = MockServer::start();
    let with_header = server.mock(|when, then| {
        when.header_exists("api-version");
        then.status(500);
    });
    let without = server.mock(|when, then| {
        when.method(GET)
            .path("/api/doctors")
            .header_missing("api-version");
        then.status(200)
            .json_body(serde_json::json!({"next": null, "previous": null, "results": []}));
    });

    DrChrono::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct())
        .doctors_list()
        .send()
        .await
        .expect("empty page decodes");

    with_header.assert_calls(0);
    without.assert_calls(1);
}

#[tokio::test]
async fn redirects_are_left_to_the_transport_and_never_followed_with_credentials() {
    let api = MockServer::start();
    let elsewhere = MockServer::start();
    let target = elsewhere.mock(|when, then| {
        when.any_request();
        then.status(200).json_body(serde_json::json!({"id": 1}));
    });
    api.mock(|when, then| {
        when.method(GET).path("/api/users/current");
        then.status(302)
            .header("location", elsewhere.url("/api/users/1"));
    });

    let result = DrChrono::with_runtime(&api.base_url(), bearer_runtime("secret-token").0)
        .users_current()
        .send()
        .await;

    target.assert_calls(0);
    let err = result.expect_err("a 302 is not a documented response");
    assert_eq!(err.status(), Some(reqwest::StatusCode::FOUND));
}

#[test]
fn runtime_debug_names_its_transport() {
    let debug = format!("{:?}", ehr_runtime::Runtime::direct());
    assert!(
        debug.contains("Runtime") && debug.contains("Direct"),
        "{debug}"
    );
}
