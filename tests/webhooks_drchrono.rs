//! DrChrono webhooks as a receiving service sees them: the verification handshake, deliveries
//! verified against the secret token, each documented event decoded with the API's types, and
//! redeliveries processed once.

use ehr_sdk::drchrono::{AcceptError, Event, EventObject, WebhookVerifier};
use ehr_sdk::webhooks::{MemorySeenDeliveries, WebhookError};
use ehr_tests::json_fixture;
use hmac::Mac;
use serde_json::{Value, json};

const SECRET: &str = "7f3c2a9e41d8b6f05c1e9a2d4b7f8c3e6a1d0b9f";

fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
    let mut request = http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(()).unwrap().into_parts().0
}

fn delivery(event: &str, token: &str, id: &str) -> http::request::Parts {
    parts(
        "POST",
        "/hooks/drchrono",
        &[
            ("X-drchrono-event", event),
            ("X-drchrono-signature", token),
            ("X-drchrono-delivery", id),
            ("content-type", "application/json"),
        ],
    )
}

fn body(object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "receiver": {"id": 901, "callback_url": "https://clinic.example/hooks/drchrono"},
        "object": object
    }))
    .unwrap()
}

/// The first object of a list fixture (the API's own serializer, blanks included).
fn first(fixture: &str) -> Value {
    json_fixture(&format!("drchrono/{fixture}.json"))["results"][0].clone()
}

#[test]
fn the_handshake_answers_the_hex_hmac_sha256_of_msg() {
    let verifier = WebhookVerifier::new(SECRET);
    let request = parts("GET", "/hooks/drchrono?msg=a%20b%2Bc&other=1", &[]);

    let answer = verifier.handshake(&request).unwrap();

    // Computed independently, as the reference's Python example does.
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(b"a b+c");
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(answer.secret_token, expected);
    assert_eq!(
        serde_json::to_value(&answer).unwrap(),
        json!({"secret_token": expected})
    );
    assert_eq!(
        verifier.handshake(&parts("GET", "/hooks/drchrono", &[])),
        Err(WebhookError::MissingParameter("msg"))
    );
}

#[test]
fn each_documented_event_is_decoded_with_its_type() {
    let verifier = WebhookVerifier::new(SECRET);
    let cases = [
        (
            "APPOINTMENT_CREATE",
            Event::AppointmentCreate,
            "appointments",
        ),
        (
            "APPOINTMENT_MODIFY",
            Event::AppointmentModify,
            "appointments",
        ),
        ("PATIENT_CREATE", Event::PatientCreate, "patients"),
        ("PATIENT_MODIFY", Event::PatientModify, "patients"),
        (
            "PATIENT_PROBLEM_CREATE",
            Event::PatientProblemCreate,
            "problems",
        ),
        (
            "PATIENT_PROBLEM_MODIFY",
            Event::PatientProblemModify,
            "problems",
        ),
        (
            "PATIENT_ALLERGY_CREATE",
            Event::PatientAllergyCreate,
            "allergies",
        ),
        (
            "PATIENT_ALLERGY_MODIFY",
            Event::PatientAllergyModify,
            "allergies",
        ),
        (
            "PATIENT_MEDICATION_CREATE",
            Event::PatientMedicationCreate,
            "medications",
        ),
        (
            "PATIENT_MEDICATION_MODIFY",
            Event::PatientMedicationModify,
            "medications",
        ),
        (
            "CLINICAL_NOTE_LOCK",
            Event::ClinicalNoteLock,
            "clinical_notes",
        ),
        (
            "CLINICAL_NOTE_UNLOCK",
            Event::ClinicalNoteUnlock,
            "clinical_notes",
        ),
    ];
    for (name, event, fixture) in cases {
        let object = first(fixture);
        let delivery = verifier
            .verify(&delivery(name, SECRET, "d-1"), &body(object.clone()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(delivery.event, event);
        assert_eq!(delivery.event.to_string(), name);
        assert_eq!(delivery.id.as_str(), "d-1");
        assert_eq!(delivery.receiver["id"], 901);
        let id = match (&delivery.object, fixture) {
            (EventObject::Appointment(a), "appointments") => a.id.to_string(),
            (EventObject::Patient(p), "patients") => p.id.to_string(),
            (EventObject::Problem(p), "problems") => p.id.to_string(),
            (EventObject::Allergy(a), "allergies") => a.id.to_string(),
            (EventObject::Medication(m), "medications") => m.id.to_string(),
            (EventObject::ClinicalNote(n), "clinical_notes") => {
                serde_json::to_value(n).unwrap()["id"].to_string()
            }
            (other, _) => panic!("{name} decoded as {other:?}"),
        };
        assert_eq!(
            id.trim_matches('"'),
            object["id"].to_string().trim_matches('"'),
            "{name}"
        );
        // PHI stays out of Debug.
        assert!(!format!("{delivery:?}").contains("hypertension"));
    }
}

#[test]
fn a_ping_and_an_unknown_event_are_kept() {
    let verifier = WebhookVerifier::new(SECRET);
    let ping = verifier
        .verify(&delivery("PING", SECRET, "d-ping"), &body(Value::Null))
        .unwrap();
    assert_eq!(ping.event, Event::Ping);
    assert!(matches!(ping.object, EventObject::None));

    let unknown = verifier
        .verify(
            &delivery("TASK_CREATE", SECRET, "d-task"),
            &body(json!({"id": 5, "title": "Call back"})),
        )
        .unwrap();
    assert_eq!(unknown.event, Event::Other("TASK_CREATE".into()));
    assert!(matches!(&unknown.object, EventObject::Other(o) if o["id"] == 5));
}

#[test]
fn a_wrong_or_missing_token_and_missing_headers_are_refused() {
    let verifier = WebhookVerifier::new(SECRET);
    let ok_body = body(first("patients"));
    for token in [&SECRET[..SECRET.len() - 1], "", "x", &format!("{SECRET}0")] {
        let refused = verifier.verify(&delivery("PATIENT_CREATE", token, "d"), &ok_body);
        assert!(
            matches!(
                refused,
                Err(WebhookError::BadSignature) | Err(WebhookError::MissingHeader(_))
            ),
            "{token:?}: {refused:?}"
        );
    }
    let another = WebhookVerifier::new("another webhook's secret");
    assert_eq!(
        another
            .verify(&delivery("PATIENT_CREATE", SECRET, "d"), &ok_body)
            .unwrap_err(),
        WebhookError::BadSignature
    );
    for (missing, name) in [
        (0, "x-drchrono-event"),
        (1, "x-drchrono-signature"),
        (2, "x-drchrono-delivery"),
    ] {
        let mut headers = vec![
            ("X-drchrono-event", "PATIENT_CREATE"),
            ("X-drchrono-signature", SECRET),
            ("X-drchrono-delivery", "d"),
        ];
        headers.remove(missing);
        let error = verifier
            .verify(&parts("POST", "/h", &headers), &ok_body)
            .unwrap_err();
        assert_eq!(error, WebhookError::MissingHeader(name));
        assert_eq!(error.status(), http::StatusCode::BAD_REQUEST);
    }
}

#[test]
fn malformed_or_oversized_bodies_are_typed_errors_without_the_values() {
    let verifier = WebhookVerifier::new(SECRET).max_body(4096);
    let request = delivery("PATIENT_MODIFY", SECRET, "d");
    for bad in [
        b"not json".to_vec(),
        b"{\"receiver\": {}, \"object\": ".to_vec(),
        body(json!({"id": "Jane Doe is not a number", "first_name": "Jane"})),
        body(json!(["a", "list"])),
    ] {
        let error = verifier.verify(&request, &bad).unwrap_err();
        let WebhookError::MalformedBody(why) = &error else {
            panic!("expected a malformed body, got {error:?}");
        };
        assert!(!why.contains("Jane"), "the value leaked: {why}");
        assert!(!error.to_string().contains("Jane"));
    }
    let big = body(json!({"notes": "x".repeat(5000)}));
    assert_eq!(
        verifier.verify(&request, &big).unwrap_err(),
        WebhookError::BodyTooLarge { limit: 4096 }
    );
    // A bad token is refused before the body is even looked at.
    assert_eq!(
        verifier
            .verify(&delivery("PATIENT_MODIFY", "nope", "d"), &big)
            .unwrap_err()
            .status(),
        http::StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_redelivery_is_processed_once() {
    let verifier = WebhookVerifier::new(SECRET);
    let seen = MemorySeenDeliveries::default();
    let object = body(first("appointments"));
    let mut processed = 0;

    // The first delivery, then the vendor's redeliveries (after 1 h, 3 h and 7 h) of the same id,
    // and another delivery.
    for id in ["d-77", "d-77", "d-77", "d-78"] {
        if let Some(delivery) = verifier
            .accept(&delivery("APPOINTMENT_MODIFY", SECRET, id), &object, &seen)
            .await
            .unwrap()
        {
            assert!(matches!(delivery.object, EventObject::Appointment(_)));
            processed += 1;
        }
    }
    assert_eq!(processed, 2);

    // A refused delivery is not recorded as seen.
    let refused = verifier
        .accept(
            &delivery("APPOINTMENT_MODIFY", "forged", "d-79"),
            &object,
            &seen,
        )
        .await;
    assert!(matches!(
        refused,
        Err(AcceptError::Refused(WebhookError::BadSignature))
    ));
    assert!(
        verifier
            .accept(
                &delivery("APPOINTMENT_MODIFY", SECRET, "d-79"),
                &object,
                &seen
            )
            .await
            .unwrap()
            .is_some()
    );
}

#[test]
fn the_secret_is_never_printed() {
    let verifier = WebhookVerifier::new(SECRET);
    let error = verifier
        .verify(&delivery("PING", "forged-token", "d"), &body(Value::Null))
        .unwrap_err();
    for printed in [
        format!("{verifier:?}"),
        format!("{error:?}"),
        error.to_string(),
    ] {
        assert!(
            !printed.contains(SECRET) && !printed.contains("forged-token"),
            "{printed}"
        );
    }
}

// --- iframe launches -------------------------------------------------------------------------

const CLIENT_SECRET: &str = "drchrono-client-secret-41c9";

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The query DrChrono appends: `params`, and a `jwt` signing `signed` with `secret`.
fn launch(params: &[(&str, String)], signed: Value, secret: &str) -> String {
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &signed,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap();
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    query.append_pair("jwt", &jwt);
    query.finish()
}

fn patient_page(iat: i64) -> (Vec<(&'static str, String)>, Value) {
    let params = vec![
        ("user_id", "11".to_string()),
        ("doctor_id", "22".to_string()),
        ("patient_id", "33".to_string()),
        ("practice_id", "44".to_string()),
        ("iat", iat.to_string()),
    ];
    let signed =
        json!({"user_id": 11, "doctor_id": 22, "patient_id": 33, "practice_id": 44, "iat": iat});
    (params, signed)
}

#[test]
fn a_signed_recent_launch_gives_the_page_and_its_ids() {
    use ehr_sdk::drchrono::{IframeLaunch, IframeVerifier};
    let verifier = IframeVerifier::new(CLIENT_SECRET);
    let iat = now() - 10;

    let (params, signed) = patient_page(iat);
    let launched = verifier
        .verify_query(&launch(&params, signed, CLIENT_SECRET))
        .unwrap();
    assert!(matches!(
        launched,
        IframeLaunch::PatientPage {
            user: 11,
            doctor: 22,
            patient: 33,
            practice: Some(44),
            ..
        }
    ));

    // The clinical note page: appointment_id instead of user_id, no practice.
    let params = [
        ("appointment_id", "55".to_string()),
        ("doctor_id", "22".to_string()),
        ("patient_id", "33".to_string()),
        ("iat", iat.to_string()),
    ];
    let signed = json!({"appointment_id": "55", "doctor_id": 22, "patient_id": 33, "iat": iat});
    let uri: http::Uri = format!("/iframe/note?{}", launch(&params, signed, CLIENT_SECRET))
        .parse()
        .unwrap();
    assert!(matches!(
        verifier.verify(&uri).unwrap(),
        IframeLaunch::ClinicalNotePage {
            appointment: 55,
            doctor: 22,
            patient: 33,
            practice: None,
            ..
        }
    ));
}

#[test]
fn a_bad_signature_or_a_tampered_missing_or_extra_parameter_is_refused() {
    use ehr_sdk::drchrono::{IframeVerifier, LaunchError};
    let verifier = IframeVerifier::new(CLIENT_SECRET).allow_unsigned(["tenant"]);
    let iat = now();
    let (params, signed) = patient_page(iat);

    // Signed with another secret.
    assert_eq!(
        verifier.verify_query(&launch(&params, signed.clone(), "other-secret")),
        Err(LaunchError::BadSignature)
    );
    // Not a JWT at all.
    assert_eq!(
        verifier.verify_query("user_id=11&doctor_id=22&patient_id=33&iat=1&jwt=abc.def.ghi"),
        Err(LaunchError::BadSignature)
    );
    // No jwt.
    assert_eq!(
        verifier.verify_query("user_id=11&doctor_id=22&patient_id=33&iat=1"),
        Err(LaunchError::MissingParameter("jwt"))
    );
    // A tampered parameter: another patient than the signed one.
    let mut tampered = params.clone();
    tampered[2].1 = "34".into();
    assert_eq!(
        verifier.verify_query(&launch(&tampered, signed.clone(), CLIENT_SECRET)),
        Err(LaunchError::Tampered("patient_id".into()))
    );
    // A signed parameter missing from the URL.
    let missing: Vec<_> = params
        .iter()
        .filter(|(n, _)| *n != "practice_id")
        .cloned()
        .collect();
    assert_eq!(
        verifier.verify_query(&launch(&missing, signed.clone(), CLIENT_SECRET)),
        Err(LaunchError::Missing("practice_id".into()))
    );
    // An extra, unsigned parameter.
    let mut extra = params.clone();
    extra.push(("appointment_id", "99".into()));
    assert_eq!(
        verifier.verify_query(&launch(&extra, signed.clone(), CLIENT_SECRET)),
        Err(LaunchError::Unsigned("appointment_id".into()))
    );
    // A parameter given twice.
    let mut twice = params.clone();
    twice.push(("patient_id", "33".into()));
    assert_eq!(
        verifier.verify_query(&launch(&twice, signed.clone(), CLIENT_SECRET)),
        Err(LaunchError::RepeatedParameter("patient_id".into()))
    );
    // A parameter of the integrator's own URL, allowed by name.
    let mut own = params.clone();
    own.push(("tenant", "north".into()));
    assert!(
        verifier
            .verify_query(&launch(&own, signed, CLIENT_SECRET))
            .is_ok()
    );
}

#[test]
fn a_stale_future_or_missing_iat_is_refused() {
    use ehr_sdk::drchrono::{IframeVerifier, LaunchError};
    let verifier = IframeVerifier::new(CLIENT_SECRET).max_age(std::time::Duration::from_secs(120));

    let (params, signed) = patient_page(now() - 600);
    assert!(matches!(
        verifier.verify_query(&launch(&params, signed, CLIENT_SECRET)),
        Err(LaunchError::Stale { age }) if age.as_secs() >= 600
    ));

    let (params, signed) = patient_page(now() + 3600);
    assert_eq!(
        verifier.verify_query(&launch(&params, signed, CLIENT_SECRET)),
        Err(LaunchError::FromTheFuture)
    );

    let (params, mut signed) = patient_page(now());
    let without: Vec<_> = params.into_iter().filter(|(n, _)| *n != "iat").collect();
    signed.as_object_mut().unwrap().remove("iat");
    assert_eq!(
        verifier.verify_query(&launch(&without, signed, CLIENT_SECRET)),
        Err(LaunchError::MissingParameter("iat"))
    );

    let error = LaunchError::Tampered("patient_id".into());
    assert!(!format!("{verifier:?} {error}").contains(CLIENT_SECRET));
}

// --- the axum route --------------------------------------------------------------------------

#[tokio::test]
async fn the_axum_route_answers_the_handshake_and_processes_each_delivery_once() {
    use std::sync::{Arc, Mutex};
    use tower::ServiceExt;

    let processed = Arc::new(Mutex::new(Vec::new()));
    let fail_next = Arc::new(Mutex::new(false));
    let route = {
        let processed = processed.clone();
        let fail_next = fail_next.clone();
        ehr_sdk::webhooks::axum::drchrono(
            WebhookVerifier::new(SECRET),
            Arc::new(MemorySeenDeliveries::default()),
            move |delivery| {
                let processed = processed.clone();
                let fail = std::mem::take(&mut *fail_next.lock().unwrap());
                async move {
                    if fail {
                        return Err("the database is down".into());
                    }
                    processed.lock().unwrap().push(delivery.id.to_string());
                    Ok(())
                }
            },
        )
    };
    let app = axum::Router::new().route("/hooks/drchrono", route);
    let send = |request: http::Request<axum::body::Body>| {
        let app = app.clone();
        async move { app.oneshot(request).await.unwrap() }
    };
    let post = |token: &str, id: &str| {
        http::Request::post("/hooks/drchrono")
            .header("X-drchrono-event", "PATIENT_CREATE")
            .header("X-drchrono-signature", token)
            .header("X-drchrono-delivery", id)
            .body(axum::body::Body::from(body(first("patients"))))
            .unwrap()
    };

    let handshake = send(
        http::Request::get("/hooks/drchrono?msg=hello")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(handshake.status(), 200);
    let json: Value = serde_json::from_slice(
        &axum::body::to_bytes(handshake.into_body(), 1024)
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        json["secret_token"],
        WebhookVerifier::new(SECRET)
            .handshake_answer("hello")
            .secret_token
    );

    assert_eq!(send(post(SECRET, "d-1")).await.status(), 200);
    assert_eq!(
        send(post(SECRET, "d-1")).await.status(),
        200,
        "a redelivery is acknowledged"
    );
    assert_eq!(send(post("forged", "d-2")).await.status(), 401);
    // A handler failure answers 500 and forgets the delivery, so the redelivery is processed.
    *fail_next.lock().unwrap() = true;
    assert_eq!(send(post(SECRET, "d-3")).await.status(), 500);
    assert_eq!(send(post(SECRET, "d-3")).await.status(), 200);
    assert_eq!(*processed.lock().unwrap(), ["d-1", "d-3"]);
}
