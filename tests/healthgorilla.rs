//! `ehr-healthgorilla` against httpmock: what goes on the wire and what comes back.

use ehr_sdk::Error;
use ehr_sdk::healthgorilla::api::{Client, types};
use ehr_tests::{bearer_runtime, json_fixture};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;

#[tokio::test]
async fn practitioner_search_by_npi_decodes_the_bundle() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/fhir/R4/Practitioner")
            .query_param("identifier", "http://hl7.org/fhir/sid/us-npi|123456789")
            .header("authorization", "Bearer hg-token");
        then.status(200)
            .header("content-type", "application/fhir+json")
            .json_body(json_fixture("healthgorilla/practitioner_bundle.json"));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("hg-token").0);

    let bundle = client
        .practitioner_search()
        .identifier("http://hl7.org/fhir/sid/us-npi|123456789")
        .send()
        .await
        .expect("bundle decodes")
        .into_inner();

    mock.assert();
    assert_eq!(bundle.resource_type, "Bundle");
    assert_eq!(bundle.total, Some(1));
    let Some(types::PractitionerEntryResource::Practitioner(practitioner)) =
        bundle.entry[0].resource.as_ref()
    else {
        panic!("the entry's resource decodes as a Practitioner");
    };
    let npi = practitioner
        .identifier
        .iter()
        .find(|i| i.system.as_deref() == Some("http://hl7.org/fhir/sid/us-npi"))
        .and_then(|i| i.value.as_deref());
    assert_eq!(npi, Some("123456789"));
    assert_eq!(practitioner.name[0].family.as_deref(), Some("Gorilla"));
    assert_eq!(practitioner.name[0].given, [Some("Joe".to_string())]);
}

#[tokio::test]
async fn practitioner_role_create_posts_the_documented_structure() {
    let example = json_fixture("healthgorilla/practitioner_role_full_example.json");
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(POST)
            .path("/fhir/R4/PractitionerRole")
            .json_body(example.clone());
        then.status(201).json_body({
            let mut created = example.clone();
            created["id"] = serde_json::json!("pr-123");
            created
        });
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("hg-token").0);

    // The documentation's full example is a valid request body, field for field.
    let body: types::PractitionerRoleCreate =
        serde_json::from_value(example.clone()).expect("the documented example is a valid body");
    assert_eq!(serde_json::to_value(&body).unwrap(), example);

    let created = client
        .practitioner_role_create()
        .body(body)
        .send()
        .await
        .expect("201 decodes")
        .into_inner();

    mock.assert();
    assert_eq!(created.id.as_deref(), Some("pr-123"));
}

#[tokio::test]
async fn operation_outcome_errors_are_typed() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/fhir/R4/PractitionerRole");
        then.status(422)
            .header("content-type", "application/fhir+json")
            .json_body(serde_json::json!({
                "resourceType": "OperationOutcome",
                "issue": [{
                    "severity": "error", "code": "invalid",
                    "diagnostics": "Practitioner name does not match the NPI directory"
                }]
            }));
    });
    let client = Client::with_runtime(&server.base_url(), bearer_runtime("hg-token").0);
    let body: types::PractitionerRoleCreate = serde_json::from_value(json_fixture(
        "healthgorilla/practitioner_role_full_example.json",
    ))
    .unwrap();

    let err = client
        .practitioner_role_create()
        .body(body)
        .send()
        .await
        .unwrap_err();

    let Error::Validation(refusal) = &err else {
        panic!("expected an OperationOutcome, got {err:?}");
    };
    assert_eq!(refusal.status().as_u16(), 422);
    let outcome: types::OperationOutcome = err.vendor_body().expect("typed OperationOutcome");
    assert_eq!(
        outcome.issue[0].diagnostics.as_deref(),
        Some("Practitioner name does not match the NPI directory")
    );
    assert_eq!(
        err.to_string(),
        "practitioner_role_create: 422 Unprocessable Entity: Practitioner name does not match the NPI directory"
    );
}
