//! DrChrono bodies from the wire (`tests/fixtures/drchrono/wire/`, sources in its README) decode
//! through the typed calls, as a caller makes them.

use ehr_tests::fixture;
use httpmock::Method::GET;
use httpmock::MockServer;

fn client(server: &MockServer) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(server.base_url())
        .access_token("wire-token")
        .strict_decoding()
        .build()
        .expect("builds")
}

async fn appointments_page(file: &str) -> Vec<ehr_sdk::drchrono::api::types::Appointment> {
    let server = MockServer::start();
    let body = fixture(&format!("drchrono/wire/{file}"));
    server.mock(|when, then| {
        when.method(GET).path("/api/appointments");
        then.status(200)
            .header("content-type", "application/json")
            .body(body);
    });
    client(&server)
        .appointments_list()
        .send()
        .await
        .unwrap_or_else(|e| panic!("{file} decodes: {e}"))
        .into_inner()
        .results
}

#[tokio::test]
async fn a_captured_appointments_page_of_2020_decodes() {
    let results = appointments_page("appointments_page_2020.json").await;
    let appointment = &results[0];
    assert_eq!(appointment.id, "162915263");
    assert_eq!(appointment.icd9_codes.as_deref(), Some(&[][..]));
    assert_eq!(appointment.icd10_codes.as_deref(), Some(&[][..]));
    assert_eq!(appointment.doctor, Some(286076));
    assert_eq!(appointment.ins1_status, None, "\"\" is absent");
}

#[tokio::test]
async fn a_captured_appointments_page_of_2023_decodes() {
    let results = appointments_page("appointments_page_2023.json").await;
    let appointment = &results[0];
    assert_eq!(appointment.id, "257781246");
    assert_eq!(
        appointment.icd9_codes.as_deref(),
        Some(&["724.4".to_string(), "739.1".into(), "739.2".into()][..])
    );
    assert_eq!(appointment.first_edi_date, None, "\"\" is absent");
}

#[tokio::test]
async fn resources_and_deletes_of_the_official_schema_are_typed_calls() {
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(GET).path("/api/staff");
        then.status(200)
            .header("content-type", "application/json")
            .body(fixture("drchrono/staff.json"));
    });
    let deleted = server.mock(|when, then| {
        when.method(httpmock::Method::DELETE)
            .path("/api/lab_orders/77");
        then.status(204);
    });
    let client = client(&server);

    let staff = client
        .staff_list()
        .send()
        .await
        .expect("decodes")
        .into_inner();
    assert_eq!(staff.results[0].first_name.as_deref(), Some("Marisol"));
    // `active` is kept as JSON: the official schema types it as a string, the wire is not known.
    assert_eq!(staff.results[0].active, Some(serde_json::json!(true)));
    client
        .lab_orders_destroy()
        .id(77)
        .send()
        .await
        .expect("204");
    deleted.assert();
}
