//! DrChrono API webhooks, as the v4 reference's "API Webhooks" section documents them: the
//! verification handshake, and deliveries checked against the webhook's secret token and
//! decoded with the generated types.

use std::fmt;

use hmac::{Mac, digest::KeyInit};
use sha2::Sha256;

use super::api;
use crate::Secret;
use crate::webhooks::{Verify, WebhookError, header, malformed};

type HmacSha256 = hmac::Hmac<Sha256>;

/// The header naming the event.
pub const EVENT_HEADER: &str = "x-drchrono-event";
/// The header carrying the webhook's secret token (the token itself, not an HMAC of the body).
pub const SIGNATURE_HEADER: &str = "x-drchrono-signature";
/// The header carrying the delivery's id.
pub const DELIVERY_HEADER: &str = "x-drchrono-delivery";

/// What triggered a delivery: the twelve documented events, `PING`, or an event this SDK does
/// not know yet (kept, not refused).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// `APPOINTMENT_CREATE`.
    AppointmentCreate,
    /// `APPOINTMENT_MODIFY`.
    AppointmentModify,
    /// `PATIENT_CREATE`.
    PatientCreate,
    /// `PATIENT_MODIFY`.
    PatientModify,
    /// `PATIENT_PROBLEM_CREATE`.
    PatientProblemCreate,
    /// `PATIENT_PROBLEM_MODIFY`.
    PatientProblemModify,
    /// `PATIENT_ALLERGY_CREATE`.
    PatientAllergyCreate,
    /// `PATIENT_ALLERGY_MODIFY`.
    PatientAllergyModify,
    /// `PATIENT_MEDICATION_CREATE`.
    PatientMedicationCreate,
    /// `PATIENT_MEDICATION_MODIFY`.
    PatientMedicationModify,
    /// `CLINICAL_NOTE_LOCK`.
    ClinicalNoteLock,
    /// `CLINICAL_NOTE_UNLOCK`.
    ClinicalNoteUnlock,
    /// `PING`: the "Ping webhook" button.
    Ping,
    /// Another event name, as sent.
    Other(String),
}

const EVENTS: [(&str, Event); 13] = [
    ("APPOINTMENT_CREATE", Event::AppointmentCreate),
    ("APPOINTMENT_MODIFY", Event::AppointmentModify),
    ("PATIENT_CREATE", Event::PatientCreate),
    ("PATIENT_MODIFY", Event::PatientModify),
    ("PATIENT_PROBLEM_CREATE", Event::PatientProblemCreate),
    ("PATIENT_PROBLEM_MODIFY", Event::PatientProblemModify),
    ("PATIENT_ALLERGY_CREATE", Event::PatientAllergyCreate),
    ("PATIENT_ALLERGY_MODIFY", Event::PatientAllergyModify),
    ("PATIENT_MEDICATION_CREATE", Event::PatientMedicationCreate),
    ("PATIENT_MEDICATION_MODIFY", Event::PatientMedicationModify),
    ("CLINICAL_NOTE_LOCK", Event::ClinicalNoteLock),
    ("CLINICAL_NOTE_UNLOCK", Event::ClinicalNoteUnlock),
    ("PING", Event::Ping),
];

impl Event {
    /// The event a `X-drchrono-event` value names.
    pub fn parse(name: &str) -> Event {
        EVENTS
            .iter()
            .find(|(n, _)| *n == name)
            .map_or_else(|| Event::Other(name.to_string()), |(_, e)| e.clone())
    }

    /// The name DrChrono sends.
    pub fn as_str(&self) -> &str {
        match self {
            Event::Other(name) => name,
            known => EVENTS
                .iter()
                .find(|(_, e)| e == known)
                .map_or("", |(n, _)| n),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A delivery's id (`X-drchrono-delivery`): the same for every redelivery of one event.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeliveryId(String);

impl DeliveryId {
    /// The id as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeliveryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The object a delivery is about, typed by its event with the API's own types (the body
/// "shares the same serializer as the DrChrono API", `""` read as absent like every response).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum EventObject {
    /// `APPOINTMENT_*`.
    Appointment(Box<api::types::Appointment>),
    /// `PATIENT_CREATE` / `PATIENT_MODIFY`.
    Patient(Box<api::types::Patient>),
    /// `PATIENT_PROBLEM_*`.
    Problem(Box<api::types::Problem>),
    /// `PATIENT_ALLERGY_*`.
    Allergy(Box<api::types::Allergy>),
    /// `PATIENT_MEDICATION_*`.
    Medication(Box<api::types::Medication>),
    /// `CLINICAL_NOTE_*`.
    ClinicalNote(Box<api::types::ClinicalNote>),
    /// A `PING`, or a delivery without an object.
    None,
    /// The object of an event this SDK does not know, as JSON.
    Other(serde_json::Value),
}

/// A verified delivery. `Debug` shows the event and id, never the object (it holds PHI).
#[derive(Clone)]
pub struct Delivery {
    /// What triggered it.
    pub event: Event,
    /// Its id: the same for each redelivery.
    pub id: DeliveryId,
    /// The webhook, as DrChrono represents it (`receiver`).
    pub receiver: serde_json::Value,
    /// The object the event is about.
    pub object: EventObject,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// The answer to the verification handshake: serialize it as the 200 JSON body
/// (`{"secret_token": "<hex HMAC-SHA256(secret, msg)>"}`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HandshakeAnswer {
    /// The hex HMAC-SHA256 of `msg` keyed with the secret token.
    pub secret_token: String,
}

/// Verifies what DrChrono sends to a webhook's callback URL with the webhook's secret token.
///
/// ```
/// use ehr_sdk::drchrono::{Event, WebhookVerifier};
///
/// let verifier = WebhookVerifier::new("b1946ac92492d2347c6235b4d2611184");
///
/// // The handshake: GET <callback>?msg=…, answered with 200 and this JSON.
/// let answer = verifier.handshake_answer("hello");
/// assert_eq!(answer.secret_token.len(), 64);
///
/// // A delivery: headers and body as received.
/// let request = http::Request::post("/hooks/drchrono")
///     .header("X-drchrono-event", "PING")
///     .header("X-drchrono-signature", "b1946ac92492d2347c6235b4d2611184")
///     .header("X-drchrono-delivery", "d-1")
///     .body(())
///     .unwrap();
/// let (parts, ()) = request.into_parts();
/// let delivery = verifier.verify(&parts, br#"{"receiver": {}, "object": null}"#).unwrap();
/// assert_eq!(delivery.event, Event::Ping);
/// ```
pub type WebhookVerifier = crate::webhooks::WebhookVerifier<WebhookSecret>;

/// DrChrono's [`Verify`] scheme: the webhook's secret token, which DrChrono sends as it is in
/// `X-drchrono-signature` and keys the handshake's HMAC with. Never printed.
#[derive(Clone)]
pub struct WebhookSecret {
    secret: Secret,
}

impl WebhookVerifier {
    /// A verifier for the webhook whose secret token is `secret`.
    pub fn new(secret: impl Into<Secret>) -> Self {
        Self::with_scheme(WebhookSecret {
            secret: secret.into(),
        })
    }

    /// The handshake answer for `msg`.
    pub fn handshake_answer(&self, msg: &str) -> HandshakeAnswer {
        let mut mac = self.scheme().mac();
        mac.update(msg.as_bytes());
        let digest = mac.finalize().into_bytes();
        HandshakeAnswer {
            secret_token: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }

    /// The handshake answer for the verification GET (its `msg` query parameter).
    pub fn handshake(
        &self,
        request: &http::request::Parts,
    ) -> Result<HandshakeAnswer, WebhookError> {
        let msg = request
            .uri
            .query()
            .and_then(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "msg")
                    .map(|(_, v)| v.into_owned())
            })
            .ok_or(WebhookError::MissingParameter("msg"))?;
        Ok(self.handshake_answer(&msg))
    }
}

impl WebhookSecret {
    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length: this cannot fail.
        <HmacSha256 as KeyInit>::new_from_slice(self.secret.expose().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
    }

    /// Whether `token` is the secret, compared in constant time (both are run through an HMAC
    /// keyed with the secret and the digests compared with `verify_slice`, so neither the
    /// content nor the length of the secret leaks through timing).
    fn is_secret(&self, token: &str) -> bool {
        let mut expected = self.mac();
        expected.update(self.secret.expose().as_bytes());
        let expected = expected.finalize().into_bytes();
        let mut received = self.mac();
        received.update(token.as_bytes());
        received.verify_slice(&expected).is_ok()
    }
}

impl Verify for WebhookSecret {
    type Delivery = Delivery;

    /// Verifies a delivery: its secret token, event and id headers, and its body
    /// `{receiver, object}` with `object` typed by the event.
    fn verify(
        &self,
        request: &http::request::Parts,
        body: &[u8],
        max_body: usize,
    ) -> Result<Delivery, WebhookError> {
        let headers = &request.headers;
        let token = header(headers, SIGNATURE_HEADER)?;
        if !self.is_secret(token) {
            return Err(WebhookError::BadSignature);
        }
        let event = Event::parse(header(headers, EVENT_HEADER)?);
        let id = DeliveryId(header(headers, DELIVERY_HEADER)?.to_string());
        if body.len() > max_body {
            return Err(WebhookError::BodyTooLarge { limit: max_body });
        }
        let (receiver, object) = typed(&event, body)?;
        Ok(Delivery {
            event,
            id,
            receiver,
            object,
        })
    }

    fn delivery_id(delivery: &Delivery) -> Option<&str> {
        Some(delivery.id.as_str())
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecret")
            .field("secret", &self.secret)
            .finish()
    }
}

/// The body `{receiver, object}`, with `object` decoded as the generated type `event` names.
fn typed(event: &Event, json: &[u8]) -> Result<(serde_json::Value, EventObject), WebhookError> {
    #[derive(serde::Deserialize)]
    #[serde(bound(deserialize = "T: serde::de::DeserializeOwned"))]
    struct Body<T> {
        #[serde(default)]
        receiver: serde_json::Value,
        // The API's `""`-means-absent rule, as for every optional field of a response.
        #[serde(default, deserialize_with = "ehr_runtime::absent_if_blank")]
        object: Option<T>,
    }
    fn decode<T: serde::de::DeserializeOwned>(
        json: &[u8],
        wrap: fn(Box<T>) -> EventObject,
    ) -> Result<(serde_json::Value, EventObject), WebhookError> {
        let body: Body<T> = serde_json::from_slice(json).map_err(|e| malformed(json, &e))?;
        let object = body.object.map_or(EventObject::None, |o| wrap(Box::new(o)));
        Ok((body.receiver, object))
    }
    match event {
        Event::AppointmentCreate | Event::AppointmentModify => {
            decode(json, EventObject::Appointment)
        }
        Event::PatientCreate | Event::PatientModify => decode(json, EventObject::Patient),
        Event::PatientProblemCreate | Event::PatientProblemModify => {
            decode(json, EventObject::Problem)
        }
        Event::PatientAllergyCreate | Event::PatientAllergyModify => {
            decode(json, EventObject::Allergy)
        }
        Event::PatientMedicationCreate | Event::PatientMedicationModify => {
            decode(json, EventObject::Medication)
        }
        Event::ClinicalNoteLock | Event::ClinicalNoteUnlock => {
            decode(json, EventObject::ClinicalNote)
        }
        Event::Ping | Event::Other(_) => {
            let (receiver, object) = decode::<serde_json::Value>(json, |v| EventObject::Other(*v))?;
            Ok(match object {
                EventObject::Other(serde_json::Value::Null) => (receiver, EventObject::None),
                other => (receiver, other),
            })
        }
    }
}
