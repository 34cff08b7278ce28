//! `ehr-empego` against httpmock: what goes on the wire and what comes back.

use ehr_empego::mock::MockServerExt;
use ehr_sdk::Error;
use ehr_sdk::empego::api::{Client, types};
use ehr_tests::body_text;
use httpmock::Method::GET;
use httpmock::MockServer;

#[tokio::test]
async fn consultation_view_sends_its_query_and_no_identity_header_of_its_own() {
    let server = MockServer::start();
    let mock = server.mock(|when, then| {
        when.method(GET)
            .path("/empego-integrations/R4/embeddable/consultation/view")
            .query_param("patientKey", "patient123")
            .query_param("locale", "en")
            // The façade sets it, from a typed user (`x-ehr-set-by-facade` in the spec).
            .header_missing("x-integration-user")
            .header_missing("api-version");
        then.status(200)
            .header("content-type", "text/plain")
            .body("https://app.empego.ca/embed/consultation/abc?sig=1");
    });
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let url = client
        .consultation_view()
        .patient_key("patient123")
        .locale("en")
        .send()
        .await
        .expect("200");

    mock.assert();
    assert_eq!(
        body_text(url.into_inner()).await,
        "https://app.empego.ca/embed/consultation/abc?sig=1"
    );
    assert_eq!(ehr_empego::FACADE_HEADERS, ["x-integration-user"]);
}

#[tokio::test]
async fn every_embeddable_endpoint_is_a_get_on_its_documented_path() {
    let server = MockServer::start();
    let paths = [
        "/empego-integrations/R4/embeddable/consultation/view",
        "/empego-integrations/R4/embeddable/consultation/dashboard",
        "/empego-integrations/R4/embeddable/consultation/specific",
        "/empego-integrations/R4/embeddable/consultation/answer",
        "/empego-integrations/R4/embeddable/followup/view",
        "/empego-integrations/R4/embeddable/followup/dashboard",
        "/empego-integrations/R4/embeddable/followup/specific",
        "/empego-integrations/R4/embeddable/followup/plan",
        "/empego-integrations/R4/embeddable/administration/franchise-management",
        "/empego-integrations/R4/embeddable/administration/franchise-onboarding",
        "/empego-integrations/R4/embeddable/administration/franchise-offboarding",
        "/empego-integrations/R4/embeddable/statistics",
    ];
    let mocks: Vec<_> = paths
        .iter()
        .map(|path| {
            server.mock(|when, then| {
                when.method(GET).path(*path);
                then.status(200)
                    .body(format!("https://app.empego.ca/embed{path}"));
            })
        })
        .collect();
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let responses = vec![
        client.consultation_view().patient_key("p").send().await,
        client.consultation_dashboard().send().await,
        client.consultation_specific().send().await,
        client.consultation_answer().send().await,
        client.followup_view().send().await,
        client.followup_dashboard().send().await,
        client.followup_specific().send().await,
        client.followup_plan().send().await,
        client.administration_franchise_management().send().await,
        client.administration_franchise_onboarding().send().await,
        client.administration_franchise_offboarding().send().await,
        client.statistics_dashboard().send().await,
    ];

    for ((path, mock), response) in paths.iter().zip(&mocks).zip(responses) {
        mock.assert_calls(1);
        let text = body_text(response.expect("200").into_inner()).await;
        assert_eq!(text, format!("https://app.empego.ca/embed{path}"));
    }
}

#[tokio::test]
async fn documented_error_body_is_decoded() {
    let server = MockServer::start();
    server.consultation_view(|when, then| {
        when.patient_key("patient123");
        then.bad_request(&types::ErrorBody {
            timestamp: Some("2025-01-15T14:30:00.123Z".parse().unwrap()),
            status: Some(400),
            error: Some("Bad Request".into()),
            message: Some("Invalid x-integration-user header format".into()),
            path: Some("/empego-integrations/R4/embeddable/consultation/view".into()),
        });
    });
    let client = Client::with_runtime(&server.base_url(), ehr_runtime::Runtime::direct());

    let err = client
        .consultation_view()
        .patient_key("patient123")
        .send()
        .await;

    let Err(Error::Validation(refusal)) = err else {
        panic!("expected the documented error body, got {:?}", err.err());
    };
    assert_eq!(refusal.status(), reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(
        refusal.message(),
        Some("Invalid x-integration-user header format")
    );
    let body: types::ErrorBody = refusal.vendor_body().expect("the Spring body, typed");
    assert_eq!(
        body.path.as_deref(),
        Some("/empego-integrations/R4/embeddable/consultation/view")
    );
}
