//! The Health Gorilla types against FHIR R4: the specification's own examples, real FHIR
//! servers' answers, `null` placeholders beside `_given` extensions, and searchsets with
//! `include` and `outcome` entries (`tests/fixtures/healthgorilla/r4/`, sources in its README).

use ehr_sdk::Error;
use ehr_sdk::healthgorilla::api::types::{
    Practitioner, PractitionerRole, PractitionerRoleEntryResource,
};
use ehr_sdk::healthgorilla::{Client, OperationOutcomeExt};
use ehr_sdk::pagination::Paginate;
use ehr_tests::fixture;
use futures::TryStreamExt;
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use serde_json::{Value, json};

fn r4(file: &str) -> String {
    fixture(&format!("healthgorilla/r4/{file}"))
}

/// A server with a token endpoint, answering `GET path` with `status` and `body`.
fn serving(path: &str, status: u16, body: String) -> MockServer {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/oauth/token");
        then.status(200)
            .json_body(json!({"access_token": "r4", "token_type": "Bearer", "expires_in": 3600}));
    });
    server.mock(|when, then| {
        when.method(GET).path(path);
        then.status(status)
            .header("content-type", "application/fhir+json")
            .body(body);
    });
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials("hg-client", "hg-signing-secret")
        .default_subject("hg-client")
        .strict_decoding()
        .build()
        .expect("builds")
}

#[tokio::test]
async fn the_r4_practitioner_examples_and_null_placeholders_decode_through_a_read() {
    for file in [
        "r4-practitioner-example.json",
        "r4-practitioner-f001.json",
        "r4-practitioner-f005-photo.json",
        "constructed-null-placeholder-given-minimal.json",
        "constructed-null-placeholder-given-mixed.json",
        "constructed-null-placeholder-given-underscore-only.json",
    ] {
        let server = serving("/fhir/R4/Practitioner/x", 200, r4(file));
        let practitioner = client(&server)
            .practitioner_read()
            .id("x")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(practitioner.resource_type, "Practitioner", "{file}");
    }
    let server = serving(
        "/fhir/R4/Practitioner/x",
        200,
        r4("constructed-null-placeholder-given-mixed.json"),
    );
    let practitioner = client(&server)
        .practitioner_read()
        .id("x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        practitioner.name[0].given,
        [Some("Adam".to_string()), None, Some("J".into())],
        "the placeholder keeps its position"
    );
}

#[test]
fn every_practitioner_and_role_of_the_r4_example_collections_decodes() {
    for (file, wanted) in [
        ("r4-practitioner-examples-general.json", 59),
        ("r4-practitionerrole-examples-general.json", 15),
    ] {
        let bundle: Value = serde_json::from_str(&r4(file)).unwrap();
        let mut decoded = 0;
        for entry in bundle["entry"].as_array().unwrap() {
            let resource = entry["resource"].clone();
            match resource["resourceType"].as_str() {
                Some("Practitioner") => {
                    ehr_tests::strict_value::<Practitioner>(&resource)
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                }
                Some("PractitionerRole") => {
                    ehr_tests::strict_value::<PractitionerRole>(&resource)
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                }
                other => panic!("{file}: unexpected {other:?}"),
            }
            decoded += 1;
        }
        assert_eq!(decoded, wanted, "{file}");
    }
    // R4's elements, kept: availability, services and endpoints of a role, a practitioner's photo.
    let role = ehr_tests::strict::<PractitionerRole>(r4("r4-practitionerrole-example.json"))
        .expect("the R4 PractitionerRole example decodes");
    assert_eq!(role.available_time.len(), 2);
    assert_eq!(role.available_time[0].days_of_week, ["mon", "tue", "wed"]);
    assert_eq!(
        role.available_time[0].available_start_time.as_deref(),
        Some("09:00:00")
    );
    assert_eq!(
        role.not_available[0]
            .during
            .as_ref()
            .and_then(|p| p.end.as_deref()),
        Some("2017-05-20")
    );
    assert!(role.availability_exceptions.is_some());
    assert_eq!(
        role.healthcare_service[0].reference.as_deref(),
        Some("HealthcareService/example")
    );
    assert_eq!(
        role.endpoint[0].reference.as_deref(),
        Some("Endpoint/example")
    );
    let photo = ehr_tests::strict::<Practitioner>(r4("r4-practitioner-f005-photo.json"))
        .expect("the R4 f005 example decodes");
    assert_eq!(photo.photo[0].content_type.as_deref(), Some("image/jpeg"));
    assert!(photo.photo[0].data.as_ref().is_some_and(|d| d.len() > 1000));
}

#[test]
fn extension_values_real_servers_send_are_kept() {
    let bundle: Value = serde_json::from_str(&r4("hapi-practitionerrole-searchset.json")).unwrap();
    let mut identifiers = 0;
    let mut periods = 0;
    for entry in bundle["entry"].as_array().unwrap() {
        let role: PractitionerRole = ehr_tests::strict_value(&entry["resource"]).unwrap();
        // Nested in complex extensions (`extension[5].extension[0].valueIdentifier`).
        for extension in role.extension.iter().flat_map(|e| &e.extension) {
            identifiers += usize::from(extension.value_identifier.is_some());
            periods += usize::from(extension.value_period.is_some());
        }
    }
    assert!(identifiers > 0 && periods > 0, "{identifiers} {periods}");
}

#[tokio::test]
async fn real_hapi_searchsets_page_through_the_typed_searches() {
    let server = serving(
        "/fhir/R4/PractitionerRole",
        200,
        r4("hapi-practitionerrole-searchset.json"),
    );
    let roles: Vec<PractitionerRole> = client(&server)
        .practitioner_role_search()
        .items()
        .max_items(10)
        .try_collect()
        .await
        .expect("HAPI's PractitionerRole page decodes");
    assert!(!roles.is_empty());

    let server = serving(
        "/fhir/R4/Practitioner",
        200,
        r4("hapi-practitioner-searchset.json"),
    );
    let practitioners: Vec<Practitioner> = client(&server)
        .practitioner_search()
        .items()
        .try_collect()
        .await
        .expect("HAPI's Practitioner page decodes");
    assert!(!practitioners.is_empty());
}

#[tokio::test]
async fn include_and_outcome_entries_stay_in_the_page_and_out_of_the_items() {
    let body = r4("constructed-searchset-include-outcome.json");
    let server = serving("/fhir/R4/PractitionerRole", 200, body.clone());
    let client = client(&server);

    let roles: Vec<PractitionerRole> = client
        .practitioner_role_search()
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        roles.len(),
        1,
        "only the matched PractitionerRole is an item"
    );

    let page = client.practitioner_role_search().send().await.unwrap();
    let kept: Vec<(String, Value)> = page
        .entry
        .iter()
        .filter_map(|entry| match entry.resource.as_ref()? {
            PractitionerRoleEntryResource::OtherResource(other) => Some((
                other["resourceType"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                Value::Object(other.0.clone()),
            )),
            PractitionerRoleEntryResource::PractitionerRole(_) => None,
        })
        .collect();
    let types: Vec<&str> = kept.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["Practitioner", "Location", "OperationOutcome"]);
    let outcome = &kept[2].1;
    assert!(
        outcome["issue"].as_array().is_some_and(|i| !i.is_empty()),
        "the outcome entry keeps its issues: {outcome}"
    );
}

#[tokio::test]
async fn an_entry_of_the_searched_type_that_does_not_decode_is_an_error_not_left_out() {
    let mut body: Value = serde_json::from_str(&r4("hapi-practitioner-searchset.json")).unwrap();
    body["entry"][0]["resource"]["active"] = json!("Doe 1980-01-02");
    let server = serving("/fhir/R4/Practitioner", 200, body.to_string());

    let outcome: Result<Vec<Practitioner>, Error> = client(&server)
        .practitioner_search()
        .items()
        .try_collect()
        .await;

    let error = outcome.expect_err("not silently dropped");
    let Error::Decode { source, .. } = &error else {
        panic!("expected a decode error, got {error:?}");
    };
    assert!(source.path.starts_with("$.entry[0]"), "{}", source.path);
    let printed = format!("{error} {error:?}");
    assert!(!printed.contains("Doe"), "{printed}");
}

#[tokio::test]
async fn an_outcome_shows_its_human_readable_text_before_its_diagnostics() {
    let outcome = json!({"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "not-found",
        "diagnostics": "HAPI-2001: at ca.uhn.fhir.jpa.dao.BaseHapiFhirResourceDao.read(BaseHapiFhirResourceDao.java:1742)",
        "details": {"text": "Practitioner not found"}
    }]});
    let server = serving("/fhir/R4/Practitioner/x", 404, outcome.to_string());
    let error = client(&server)
        .practitioner_read()
        .id("x")
        .send()
        .await
        .expect_err("404");
    assert_eq!(
        error.to_string(),
        "practitioner_read: 404 Not Found: Practitioner not found"
    );
    let kept = error.operation_outcome().expect("the outcome");
    assert!(
        kept.issue[0]
            .diagnostics
            .as_deref()
            .unwrap()
            .contains("HAPI-2001")
    );

    for file in [
        "r4-operationoutcome-101.json",
        "r4-operationoutcome-exception.json",
        "r4-operationoutcome-searchfail.json",
        "r4-operationoutcome-validationfail.json",
        "hapi-operationoutcome-unknown-search-param.json",
    ] {
        let server = serving("/fhir/R4/Practitioner/x", 400, r4(file));
        let error = client(&server)
            .practitioner_read()
            .id("x")
            .send()
            .await
            .unwrap_err();
        assert!(error.vendor_message().is_some(), "{file}: {error}");
        assert!(error.operation_outcome().is_some(), "{file}");
    }
}

#[test]
fn bundle_elements_of_r4_beyond_the_page_decode_strictly() {
    // Bundle.identifier, Bundle.timestamp (0..1) and Bundle.entry.link (0..*) of the R4
    // definition, added to a real HAPI searchset.
    let mut body: Value = serde_json::from_str(&r4("hapi-practitioner-searchset.json")).unwrap();
    body["identifier"] = json!({"system": "urn:ietf:rfc:3986", "value": "urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0"});
    body["timestamp"] = json!("2014-08-18T01:43:30Z");
    body["entry"][0]["link"] =
        json!([{"relation": "alternate", "url": "https://example.org/fhir/Practitioner/1"}]);
    let bundle: ehr_sdk::healthgorilla::api::types::PractitionerBundle =
        ehr_tests::strict_value(&body).expect("decodes strictly");
    assert_eq!(bundle.timestamp.as_deref(), Some("2014-08-18T01:43:30Z"));
    assert_eq!(
        bundle.identifier.and_then(|i| i.value).as_deref(),
        Some("urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0")
    );
    assert_eq!(
        bundle.entry[0].link[0].url.as_deref(),
        Some("https://example.org/fhir/Practitioner/1")
    );
}
