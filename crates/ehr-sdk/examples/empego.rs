//! Empego, offline: the API key, an embeddable URL as the key owner and as a given user (the
//! base64 `x-integration-user` header), and a documented refusal, against an in-process mock
//! built with the generated typed mocks (`ehr_empego::mock`).
//!
//! Empego has no lists, creates or webhooks to show: its API hands out embeddable URLs.
//!
//! `cargo run -p ehr-sdk --example empego`

use ehr_empego::mock::MockServerExt;
use ehr_sdk::Error;
use ehr_sdk::empego::api::types;
use ehr_sdk::empego::{Client, GetEmbeddableUrl, IntegrationUser, Language, Refusal};
use httpmock::MockServer;
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start_async().await;
    let jane = IntegrationUser::new_user("emp123", "Dr. Jane", "Smith", "jane.smith@clinic.com")
        .preferred_language(Language::En);
    let header = jane.to_header()?;

    server.consultation_dashboard(|when, then| {
        when.into_inner()
            .header("api-key", "YOUR_API_KEY")
            .header_missing("x-integration-user");
        then.into_inner()
            .status(200)
            .header("content-type", "text/plain")
            .body("https://app.empego.ca/embed/dashboard?session=owner-session");
    });
    server.consultation_view(|when, then| {
        when.patient_key("patient123")
            .into_inner()
            .header("x-integration-user", header.as_str());
        then.ok(
            json!({"iframeUrl": "https://app.empego.ca/embed/consultation?session=jane-session"}),
        );
    });
    server.statistics_dashboard(|_, then| {
        then.bad_request(&types::ErrorBody {
            timestamp: None,
            status: Some(400),
            error: Some("Bad Request".into()),
            message: Some("User creation failed - missing required fields".into()),
            path: Some("/empego-integrations/R4/embeddable/statistics".into()),
        });
    });

    let client = Client::builder()
        .base_url(server.base_url())
        .api_key("YOUR_API_KEY")
        .build()?;

    let dashboard = client.consultation_dashboard().url().await?;
    println!("as the key owner: a URL on {}", dashboard.origin());

    let as_jane = client.as_user(&jane)?;
    let view = as_jane
        .consultation_view()
        .patient_key("patient123")
        .url()
        .await?;
    // Embeddable URLs are single-use sessions: print the origin, never the URL itself.
    println!(
        "as {:?}: a URL on {} ({view:?})",
        as_jane.acting_as(),
        view.origin()
    );

    match as_jane.statistics_dashboard().url().await {
        Err(Error::Refused {
            code: Refusal::USER_CREATION_FAILED,
            answer,
        }) => {
            println!("refused, as documented: {}", answer.message().unwrap_or(""));
        }
        other => println!("unexpected: {other:?}"),
    }
    Ok(())
}
