//! Health Gorilla, offline: JWT-bearer tokens for an admin, an NPI lookup, a paged name search
//! and a clinical user created from the directory entry, against an in-process mock built with
//! the generated typed mocks (`ehr_healthgorilla::mock`).
//!
//! `cargo run -p ehr-sdk --example healthgorilla`

use ehr_healthgorilla::mock::MockServerExt;
use ehr_sdk::healthgorilla::api::types;
use ehr_sdk::healthgorilla::{
    Account, AdministrativeRole, Client, CreateUsers, PractitionerRoleCode, Scope,
};
use ehr_sdk::pagination::Paginate;
use futures::TryStreamExt;
use httpmock::MockServer;
use serde_json::json;

const NPI: &str = "1234567893";

fn practitioner(id: &str, npi: &str, family: &str) -> serde_json::Value {
    json!({"resourceType": "Practitioner", "id": id,
           "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}],
           "name": [{"use": "official", "text": format!("Joe {family}"), "family": family, "given": ["Joe"]}]})
}

fn bundle(entries: Vec<serde_json::Value>, next: Option<String>) -> types::PractitionerBundle {
    let mut link = vec![json!({"relation": "self", "url": "self"})];
    if let Some(next) = next {
        link.push(json!({"relation": "next", "url": next}));
    }
    serde_json::from_value(json!({
        "resourceType": "Bundle", "type": "searchset", "total": entries.len(), "link": link,
        "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()
    }))
    .expect("a valid Bundle")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start_async().await;
    let tokens = server.oauth_token_create(|_, then| {
        then.ok(&types::TokenResponse {
            access_token: "hg-access-token".into(),
            token_type: "Bearer".into(),
            expires_in: Some(3600),
            scope: Some("user/*.* create_users".into()),
            refresh_token: None,
        });
    });
    server.practitioner_search(|when, then| {
        when.identifier(format!("http://hl7.org/fhir/sid/us-npi|{NPI}").as_str());
        then.ok(&bundle(vec![practitioner("c91b", NPI, "Gorilla")], None));
    });
    let page_two = format!(
        "{}/fhir/R4/Practitioner?name=nguyen&_cursor=c2",
        server.base_url()
    );
    server.practitioner_search(|when, then| {
        when.name("nguyen")
            .into_inner()
            .query_param_missing("_cursor");
        then.ok(&bundle(
            vec![
                practitioner("p1", "1000000001", "Nguyen"),
                practitioner("p2", "1000000002", "Nguyen"),
            ],
            Some(page_two),
        ));
    });
    server.practitioner_search(|when, then| {
        when.cursor("c2");
        then.ok(&bundle(
            vec![practitioner("p3", "1000000003", "Nguyen")],
            None,
        ));
    });
    server.practitioner_role_create(|_, then| {
        then.into_inner().status(201).header(
            "location",
            "https://sandbox.healthgorilla.com/fhir/R4/PractitionerRole/pr-123/_history/1",
        );
    });

    let client = Client::builder()
        .environment(server.base_url(), server.url("/oauth/token"))
        .client_credentials("client-id", "client-secret")
        .scopes([Scope::USER_ALL, Scope::CREATE_USERS])
        .build()?;
    let admin = client.as_user("admin.login")?;
    println!("acting as {:?}", admin.acting_as());

    let found = admin.lookup_npi(NPI).await?;
    println!("NPI {NPI}: Practitioner {:?}", found.id);

    let names: Vec<_> = admin
        .practitioner_search()
        .name("nguyen")
        .items()
        .map_ok(|p| p.id.unwrap_or_default())
        .try_collect()
        .await?;
    println!("search 'nguyen' across pages: {names:?}");

    let account = Account::new(
        "jgorilla",
        AdministrativeRole::Provider,
        PractitionerRoleCode::Doctor,
    )
    .email("joe@example.org")
    .verified();
    let created = admin.create_clinical_user(NPI, account).await?;
    println!("created user: PractitionerRole {:?}", created.id);
    println!(
        "token requests: {} (one for the admin, reused)",
        tokens.calls()
    );
    Ok(())
}
