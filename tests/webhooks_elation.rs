//! Elation webhooks as a receiving service sees them: a subscription created through the typed
//! call, its deliveries verified with the subscription's Ed25519 `signing_pub_key` over the raw
//! body, decoded, and redeliveries processed once.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ehr_sdk::elation::{Action, Client, WebhookVerifier};
use ehr_sdk::webhooks::{AcceptError, MemorySeenDeliveries, WebhookError};
use httpmock::Method::{GET, POST};
use httpmock::MockServer;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};

fn key_pair() -> Ed25519KeyPair {
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).expect("a key");
    Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("a key pair")
}

fn public_key(pair: &Ed25519KeyPair) -> String {
    STANDARD.encode(pair.public_key().as_ref())
}

fn payload(uuid: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "data": {"id": 140754680, "first_name": "Ada", "last_name": "Lovelace"},
        "action": "saved",
        "event_id": 9912,
        "event_uuid": uuid,
        "application_id": "app-77",
        "resource": "patients",
        "resource_url": "https://sandbox.elationemr.com/api/2.0/patients/140754680/"
    }))
    .unwrap()
}

fn delivery(signature: Option<&str>) -> http::request::Parts {
    let mut request =
        http::Request::post("/hooks/elation").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("El8-Ed25519-Signature", signature);
    }
    request.body(()).unwrap().into_parts().0
}

fn sign(pair: &Ed25519KeyPair, body: &[u8]) -> String {
    STANDARD.encode(pair.sign(body).as_ref())
}

#[tokio::test]
async fn a_subscription_is_created_and_its_deliveries_verify_with_its_key() {
    let pair = key_pair();
    let server = MockServer::start();
    server.mock(|when, then| {
        when.method(POST).path("/api/2.0/oauth2/token/");
        then.status(200)
            .json_body(json!({"access_token": "t", "token_type": "Bearer", "expires_in": 3600}));
    });
    let key = public_key(&pair);
    let create = server.mock(|when, then| {
        when.method(POST)
            .path("/api/2.0/app/subscriptions/")
            .header("authorization", "Bearer t")
            .json_body(
                json!({"resource": "patients", "target": "https://clinic.example/hooks/elation"}),
            );
        then.status(201).json_body(json!({
            "id": 31, "resource": "patients",
            "target": "https://clinic.example/hooks/elation", "signing_pub_key": key
        }));
    });
    server.mock(|when, then| {
        when.method(GET).path("/api/2.0/app/subscriptions/");
        then.status(200).json_body(
            json!({"count": 1, "next": null, "previous": null, "results": [
                {"id": 31, "resource": "patients", "target": "https://clinic.example/hooks/elation"}
            ]}),
        );
    });
    let client = Client::builder()
        .base_url(server.base_url())
        .client_credentials("id", "secret")
        .build()
        .unwrap();

    let subscription = client
        .subscriptions_create()
        .body(
            ehr_sdk::elation::api::types::SubscriptionCreate::builder()
                .resource("patients")
                .target("https://clinic.example/hooks/elation"),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    create.assert();
    let listed = client
        .subscriptions_list()
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.results[0].id, Some(31));

    let verifier = WebhookVerifier::new(subscription.signing_pub_key.as_deref().unwrap()).unwrap();
    let body = payload("6f1c-uuid");
    let event = verifier
        .verify(&delivery(Some(&sign(&pair, &body))), &body)
        .unwrap();
    assert_eq!(event.action, Action::Saved);
    assert_eq!(event.resource, "patients");
    assert_eq!(event.event_id.as_deref(), Some("9912"));
    assert_eq!(event.delivery_id(), Some("6f1c-uuid"));
    assert_eq!(event.application_id.as_deref(), Some("app-77"));
    assert_eq!(event.data["last_name"], "Lovelace");
    assert!(
        !format!("{event:?}").contains("Lovelace"),
        "no PHI in Debug"
    );
}

#[test]
fn a_wrong_signature_a_tampered_body_or_no_header_is_refused() {
    let pair = key_pair();
    let verifier = WebhookVerifier::new(&public_key(&pair)).unwrap();
    let body = payload("u-1");
    let signature = sign(&pair, &body);

    // Another key's signature.
    let other = sign(&key_pair(), &body);
    assert_eq!(
        verifier.verify(&delivery(Some(&other)), &body).unwrap_err(),
        WebhookError::BadSignature
    );
    // The body changed after signing (one byte).
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| *b == b'A').unwrap();
    tampered[at] = b'E';
    assert_eq!(
        verifier
            .verify(&delivery(Some(&signature)), &tampered)
            .unwrap_err(),
        WebhookError::BadSignature
    );
    // Not base64, or not 64 bytes.
    for bad in ["%%%", "c2hvcnQ="] {
        assert_eq!(
            verifier.verify(&delivery(Some(bad)), &body).unwrap_err(),
            WebhookError::BadSignature
        );
    }
    assert_eq!(
        verifier.verify(&delivery(None), &body).unwrap_err(),
        WebhookError::MissingHeader("el8-ed25519-signature")
    );
}

#[test]
fn a_signed_but_malformed_or_oversized_payload_is_a_typed_error() {
    let pair = key_pair();
    let verifier = WebhookVerifier::new(&public_key(&pair))
        .unwrap()
        .max_body(1024);
    for body in [
        b"not json".to_vec(),
        serde_json::to_vec(&json!({"data": {"first_name": "Ada"}, "action": "saved"})).unwrap(),
        serde_json::to_vec(&json!({"action": 5, "resource": "patients", "data": "Ada"})).unwrap(),
    ] {
        let error = verifier
            .verify(&delivery(Some(&sign(&pair, &body))), &body)
            .unwrap_err();
        assert!(
            matches!(&error, WebhookError::MalformedBody(why) if !why.contains("Ada")),
            "{error:?}"
        );
    }
    let big: Value =
        json!({"data": {"notes": "x".repeat(2000)}, "action": "saved", "resource": "patients"});
    let big = serde_json::to_vec(&big).unwrap();
    assert_eq!(
        verifier
            .verify(&delivery(Some(&sign(&pair, &big))), &big)
            .unwrap_err(),
        WebhookError::BodyTooLarge { limit: 1024 }
    );
}

#[test]
fn the_key_is_read_from_base64_or_hex_and_anything_else_is_refused() {
    let pair = key_pair();
    let raw = pair.public_key().as_ref().to_vec();
    let hex: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw);
    let body = payload("u");
    let signature = sign(&pair, &body);
    for key in [public_key(&pair), hex, url_safe] {
        let verifier = WebhookVerifier::new(&key).unwrap();
        assert!(
            verifier.verify(&delivery(Some(&signature)), &body).is_ok(),
            "{key}"
        );
    }
    for bad in ["", "abc", &STANDARD.encode([0u8; 31])] {
        assert!(WebhookVerifier::new(bad).is_err(), "{bad:?}");
    }
}

#[tokio::test]
async fn a_redelivered_event_is_processed_once() {
    let pair = key_pair();
    let verifier = WebhookVerifier::new(&public_key(&pair)).unwrap();
    let seen = MemorySeenDeliveries::default();
    let mut processed = 0;
    for uuid in ["e-1", "e-1", "e-2", "e-1"] {
        let body = payload(uuid);
        if verifier
            .accept(&delivery(Some(&sign(&pair, &body))), &body, &seen)
            .await
            .unwrap()
            .is_some()
        {
            processed += 1;
        }
    }
    assert_eq!(processed, 2);
    let body = payload("e-3");
    assert!(matches!(
        verifier.accept(&delivery(Some("AAAA")), &body, &seen).await,
        Err(AcceptError::Refused(WebhookError::BadSignature))
    ));
}

#[tokio::test]
async fn the_axum_route_verifies_and_processes_each_event_once() {
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    let pair = key_pair();
    let processed = Arc::new(Mutex::new(0));
    let route = {
        let processed = processed.clone();
        ehr_sdk::webhooks::axum::elation(
            WebhookVerifier::new(&public_key(&pair)).unwrap(),
            Arc::new(MemorySeenDeliveries::default()),
            move |event| {
                let processed = processed.clone();
                async move {
                    assert_eq!(event.resource, "patients");
                    *processed.lock().unwrap() += 1;
                    Ok(())
                }
            },
        )
    };
    let app = axum::Router::new().route("/hooks/elation", route);
    let body = payload("e-9");
    let request = |signature: &str| {
        http::Request::post("/hooks/elation")
            .header("El8-Ed25519-Signature", signature)
            .body(axum::body::Body::from(body.clone()))
            .unwrap()
    };
    let signature = sign(&pair, &body);
    for _ in 0..2 {
        let answer = app.clone().oneshot(request(&signature)).await.unwrap();
        assert_eq!(answer.status(), 200);
    }
    let forged = app.clone().oneshot(request("AAAA")).await.unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(*processed.lock().unwrap(), 1);
}

// --- a scheme of one's own, through the same verifier and route --------------------------------

#[tokio::test]
async fn a_scheme_of_ones_own_gets_the_limit_once_only_processing_and_the_route() {
    use ehr_sdk::webhooks::{Verify, WebhookVerifier};
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    /// A vendor that sends a shared token in `x-token` and an id in `x-id`.
    #[derive(Debug)]
    struct SharedToken;

    struct Hook {
        id: String,
        text: String,
    }

    impl Verify for SharedToken {
        type Delivery = Hook;

        fn verify(
            &self,
            request: &http::request::Parts,
            body: &[u8],
            max_body: usize,
        ) -> Result<Hook, WebhookError> {
            if request.headers.get("x-token").is_none_or(|t| t != "ok") {
                return Err(WebhookError::BadSignature);
            }
            if body.len() > max_body {
                return Err(WebhookError::BodyTooLarge { limit: max_body });
            }
            let id = request
                .headers
                .get("x-id")
                .and_then(|v| v.to_str().ok())
                .ok_or(WebhookError::MissingHeader("x-id"))?;
            Ok(Hook {
                id: id.to_string(),
                text: String::from_utf8_lossy(body).into_owned(),
            })
        }

        fn delivery_id(hook: &Hook) -> Option<&str> {
            Some(&hook.id)
        }
    }

    let processed = Arc::new(Mutex::new(Vec::new()));
    let route = {
        let processed = processed.clone();
        ehr_sdk::webhooks::axum::route(
            WebhookVerifier::with_scheme(SharedToken).max_body(16),
            Arc::new(MemorySeenDeliveries::default()),
            move |hook: Hook| {
                processed.lock().unwrap().push(hook.text);
                async { Ok(()) }
            },
        )
    };
    let app = axum::Router::new().route("/hooks", route);
    let post = |token: &str, id: &str, body: &'static str| {
        let request = http::Request::post("/hooks")
            .header("x-token", token)
            .header("x-id", id)
            .body(axum::body::Body::from(body))
            .unwrap();
        let app = app.clone();
        async move { app.oneshot(request).await.unwrap().status() }
    };

    assert_eq!(post("ok", "1", "first").await, 200);
    assert_eq!(post("ok", "1", "first").await, 200, "a redelivery");
    assert_eq!(post("forged", "2", "second").await, 401);
    assert_eq!(post("ok", "3", "far more than sixteen bytes").await, 413);
    assert_eq!(*processed.lock().unwrap(), ["first"]);
}
