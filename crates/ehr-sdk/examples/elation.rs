//! Elation, offline: client-credentials tokens with typed scopes, the users list paged, a call
//! on behalf of a physician (`X-On-Behalf-Of`), a webhook subscription created, and a signed
//! delivery verified with its Ed25519 key, against an in-process mock built with the generated
//! typed mocks (`ehr_elation::mock`).
//!
//! `cargo run -p ehr-sdk --example elation`

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ehr_elation::mock::MockServerExt;
use ehr_sdk::elation::api::types;
use ehr_sdk::elation::{Client, Resource, ScopeSet, UserId, WebhookVerifier};
use ehr_sdk::pagination::Paginate;
use ehr_sdk::webhooks::MemorySeenDeliveries;
use futures::TryStreamExt;
use httpmock::MockServer;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;

fn users(ids: &[i64], next: Option<String>) -> types::PaginatedUserList {
    serde_json::from_value(json!({
        "count": 3, "next": next, "previous": null,
        "results": ids.iter().map(|id| json!({"id": id, "first_name": "Gary", "last_name": "Leung",
                                             "user_type": "physician", "is_active": true}))
            .collect::<Vec<_>>()
    }))
    .expect("a valid page")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start_async().await;
    // The key pair Elation would hold; the subscription hands out its public half.
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new())
        .map_err(|_| "cannot generate an Ed25519 key")?;
    let signing =
        Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| "cannot read the Ed25519 key")?;

    let tokens = server.oauth2_token_create(|_, then| {
        then.into_inner().status(200).json_body(json!({
            "access_token": "elation-access-token", "token_type": "Bearer", "expires_in": 36000,
            "scope": "system/patients.read act_as_user"
        }));
    });
    let next = format!("{}/api/2.0/users/?limit=2&offset=2", server.base_url());
    server.users_list(|when, then| {
        when.limit(2).into_inner().query_param_missing("offset");
        then.ok(&users(&[131074, 131075], Some(next)));
    });
    server.users_list(|when, then| {
        when.offset(2);
        then.ok(&users(&[131076], None));
    });
    server.users_retrieve(|when, then| {
        when.id(131074).x_on_behalf_of(131074);
        then.ok(&users(&[131074], None).results[0]);
    });
    let key = STANDARD.encode(signing.public_key().as_ref());
    server.subscriptions_create(|_, then| {
        then.created(&types::Subscription {
            id: Some(31),
            resource: Some("patients".into()),
            target: Some("https://clinic.example/hooks/elation".into()),
            signing_pub_key: Some(key),
            created_date: Some("2026-12-07T09:00:00Z".into()),
            deleted_date: None,
            properties: None,
        });
    });

    let client = Client::builder()
        .base_url(server.base_url())
        .client_credentials("client-id", "client-secret")
        .scopes(
            ScopeSet::builder()
                .read(Resource::Patients)
                .act_as_user()
                .build()?,
        )
        .build()?;

    let ids: Vec<i64> = client
        .users_list()
        .limit(2)
        .items()
        .map_ok(|u| u.id)
        .try_collect()
        .await?;
    println!("users across pages: {ids:?}");

    let as_physician = client.on_behalf_of(UserId::from_users_api_id(ids[0]));
    let me = as_physician.users_retrieve().id(ids[0]).send().await?;
    println!(
        "on behalf of user {}: {:?} {:?}",
        ids[0], me.first_name, me.last_name
    );

    let subscription = client
        .subscriptions_create()
        .body(
            types::SubscriptionCreate::builder()
                .resource("patients")
                .target("https://clinic.example/hooks/elation"),
        )
        .send()
        .await?
        .into_inner();
    println!(
        "subscription {:?} for {:?}",
        subscription.id, subscription.resource
    );

    // A delivery as Elation would POST it, signed over the raw body.
    let body = serde_json::to_vec(&json!({
        "data": {"id": 140754680}, "action": "saved", "event_id": 9912,
        "event_uuid": "6f1c2e", "application_id": "app-77", "resource": "patients",
        "resource_url": "https://sandbox.elationemr.com/api/2.0/patients/140754680/"
    }))?;
    let signature = STANDARD.encode(signing.sign(&body).as_ref());
    let request = http::Request::post("/hooks/elation")
        .header("El8-Ed25519-Signature", signature)
        .body(())?;
    let (parts, ()) = request.into_parts();
    let verifier = WebhookVerifier::new(subscription.signing_pub_key.as_deref().unwrap_or(""))?;
    let seen = MemorySeenDeliveries::default();
    for attempt in ["delivery", "redelivery"] {
        match verifier.accept(&parts, &body, &seen).await? {
            Some(event) => println!(
                "{attempt}: {:?} {} verified, processed",
                event.action, event.resource
            ),
            None => println!("{attempt}: already processed, acknowledged"),
        }
    }
    println!("token requests: {}", tokens.calls());
    Ok(())
}
