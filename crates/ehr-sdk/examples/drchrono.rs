//! DrChrono, offline: the OAuth code exchange into a token store, the patients list paged, an
//! appointment created, a webhook handshake and deliveries (a redelivery processed once), and an
//! iframe launch verified, against an in-process mock built with the generated typed mocks
//! (`ehr_drchrono::mock`). DrChrono has no impersonation: a token is one user's.
//!
//! `cargo run -p ehr-sdk --example drchrono`

use ehr_drchrono::mock::MockServerExt;
use ehr_sdk::auth::FileTokenStore;
use ehr_sdk::drchrono::api::types;
use ehr_sdk::drchrono::{
    Client, DrChronoOAuth, IframeLaunch, IframeVerifier, Scope, ScopeArea, WebhookVerifier,
};
use ehr_sdk::pagination::Paginate;
use ehr_sdk::webhooks::MemorySeenDeliveries;
use futures::TryStreamExt;
use httpmock::MockServer;
use serde_json::json;

const WEBHOOK_SECRET: &str = "b1946ac92492d2347c6235b4d2611184";

fn patients(ids: &[i64], next: Option<String>) -> types::PaginatedPatientList {
    serde_json::from_value(json!({
        "next": next, "previous": null,
        // DrChrono sends "" for absent values; the generated types read them as absent.
        "results": ids.iter().map(|id| json!({"id": id, "first_name": "Ada", "last_name": "Lovelace",
                                             "middle_name": "", "doctor": 218374}))
            .collect::<Vec<_>>()
    }))
    .expect("a valid page")
}

fn delivery(event: &str, id: &str) -> http::request::Parts {
    let request = http::Request::post("/hooks/drchrono")
        .header("X-drchrono-event", event)
        .header("X-drchrono-signature", WEBHOOK_SECRET)
        .header("X-drchrono-delivery", id)
        .body(())
        .expect("a request");
    request.into_parts().0
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let server = MockServer::start_async().await;
    let tokens = server.oauth_token_create(|_, then| {
        then.into_inner().status(200).json_body(json!({
            "access_token": "drchrono-access-token", "refresh_token": "drchrono-refresh-token",
            "expires_in": 172800, "token_type": "Bearer", "scope": "patients:read calendar:write"
        }));
    });
    let next = format!("{}/api/patients?page=2&page_size=2", server.base_url());
    server.patients_list(|when, then| {
        when.page_size(std::num::NonZeroU64::new(2))
            .into_inner()
            .query_param_missing("page");
        then.ok(&patients(&[87412390, 87412391], Some(next)));
    });
    server.patients_list(|when, then| {
        when.page(std::num::NonZeroU64::new(2));
        then.ok(&patients(&[87412392], None));
    });
    let appointment: types::Appointment = serde_json::from_value(json!({
        "id": "184930222", "doctor": 218374, "patient": 87412390, "office": 231455,
        "exam_room": 1, "scheduled_time": "2026-12-03T09:30:00", "duration": 30
    }))?;
    server.appointments_create(|_, then| {
        then.created(&appointment);
    });

    // Once per user: the authorize URL, then the code from the redirect traded for tokens.
    let dir = tempfile::tempdir()?;
    let store = FileTokenStore::new(dir.path().join("drchrono-token.json"));
    let oauth = DrChronoOAuth::new("client-id", "client-secret", "https://app.example/callback")
        .base_url(server.base_url());
    let url = oauth.authorize_url(
        [
            Scope::read(ScopeArea::Patients),
            Scope::write(ScopeArea::Calendar),
        ],
        "anti-csrf-state",
    )?;
    println!("send the user to {}", url.path());
    oauth.exchange_code("code-from-redirect", &store).await?;

    let client = Client::builder()
        .base_url(server.base_url())
        .oauth("client-id", "client-secret", "https://app.example/callback")
        .token_store(FileTokenStore::new(dir.path().join("drchrono-token.json")))
        .build()?;
    let ids: Vec<i64> = client
        .patients_list()
        .page_size(2)
        .items()
        .map_ok(|p| p.id)
        .try_collect()
        .await?;
    println!("patients across pages: {ids:?}");

    let body: types::AppointmentCreate = serde_json::from_value(json!({
        "doctor": 218374, "patient": ids[0], "office": 231455, "exam_room": 1,
        "scheduled_time": "2026-12-03T09:30:00", "duration": 30
    }))?;
    let created = client.appointments_create().body(body).send().await?;
    println!("appointment {} created", created.id);

    // Webhooks: the handshake, then a delivery and its redelivery.
    let verifier = WebhookVerifier::new(WEBHOOK_SECRET);
    let handshake = verifier.handshake_answer("verify-me");
    println!("handshake answer: {}", serde_json::to_string(&handshake)?);
    let seen = MemorySeenDeliveries::default();
    let hook = serde_json::to_vec(
        &json!({"receiver": {"id": 901}, "object": {"id": ids[0], "first_name": "Ada"}}),
    )?;
    for attempt in ["delivery", "redelivery after 1 h"] {
        match verifier
            .accept(&delivery("PATIENT_MODIFY", "d-77"), &hook, &seen)
            .await?
        {
            Some(delivery) => println!("{attempt}: {} {} processed", delivery.event, delivery.id),
            None => println!("{attempt}: already processed, acknowledged"),
        }
    }

    // An iframe launch on the patient page, signed by DrChrono with the client secret.
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let claims = json!({"user_id": 11, "doctor_id": 218374, "patient_id": ids[0], "iat": iat});
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"client-secret")?,
    )?;
    let query = format!(
        "user_id=11&doctor_id=218374&patient_id={}&iat={iat}&jwt={jwt}",
        ids[0]
    );
    if let IframeLaunch::PatientPage { user, patient, .. } =
        IframeVerifier::new("client-secret").verify_query(&query)?
    {
        println!("iframe launch verified: user {user} on patient {patient}");
    }
    println!("token requests: {}", tokens.calls());
    Ok(())
}
