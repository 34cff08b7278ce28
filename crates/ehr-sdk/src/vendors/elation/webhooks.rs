//! Elation webhook deliveries: the Ed25519 signature of `El8-Ed25519-Signature` checked with the
//! subscription's `signing_pub_key`, and the payload decoded.
//!
//! **Which bytes are signed is not confirmed by Elation's public documentation.** This verifier
//! checks the signature over the raw request body, exactly as received (read the body as bytes
//! and pass it before any JSON parsing or re-serialization). If Elation signs something else,
//! every delivery fails with [`WebhookError::BadSignature`]; nothing unverified is accepted.

use std::fmt;

use base64::Engine;
use ring::signature::{ED25519, UnparsedPublicKey};

use crate::webhooks::{Verify, WebhookError, header, malformed};

/// The header carrying the base64 Ed25519 signature.
pub const SIGNATURE_HEADER: &str = "el8-ed25519-signature";

/// What happened to the resource.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// `saved`: created or changed.
    Saved,
    /// `deleted`.
    Deleted,
    /// Another action, as sent.
    Other(String),
}

/// A verified delivery. `Debug` shows what changed, never `data` (it holds PHI).
#[derive(Clone)]
pub struct WebhookEvent {
    /// `saved` or `deleted`.
    pub action: Action,
    /// The resource type (`patients`, `appointments`, …).
    pub resource: String,
    /// The changed object's API URL, when sent.
    pub resource_url: Option<String>,
    /// `event_id`, as text.
    pub event_id: Option<String>,
    /// `event_uuid`: the same for each redelivery of one event.
    pub event_uuid: Option<String>,
    /// `application_id`, as text.
    pub application_id: Option<String>,
    /// The object, as the API serializes it.
    pub data: serde_json::Value,
}

impl WebhookEvent {
    /// The id that names this event across redeliveries: `event_uuid`, else `event_id`.
    pub fn delivery_id(&self) -> Option<&str> {
        self.event_uuid.as_deref().or(self.event_id.as_deref())
    }
}

impl fmt::Debug for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEvent")
            .field("action", &self.action)
            .field("resource", &self.resource)
            .field("event_id", &self.event_id)
            .field("event_uuid", &self.event_uuid)
            .finish_non_exhaustive()
    }
}

/// Why a `signing_pub_key` is not an Ed25519 public key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidKey;

impl fmt::Display for InvalidKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the signing key is not a 32-byte Ed25519 public key in base64 or hex")
    }
}

impl std::error::Error for InvalidKey {}

/// Verifies Elation deliveries with a subscription's `signing_pub_key`.
///
/// ```
/// use ehr_sdk::elation::WebhookVerifier;
///
/// // `signing_pub_key` of the subscription (`subscriptions_retrieve`).
/// let verifier = WebhookVerifier::new("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=").unwrap();
/// let request = http::Request::post("/hooks/elation")
///     .header("El8-Ed25519-Signature", "bm90IGEgc2lnbmF0dXJl")
///     .body(())
///     .unwrap();
/// let (parts, ()) = request.into_parts();
/// assert!(verifier.verify(&parts, br#"{"action": "saved"}"#).is_err());
/// ```
pub type WebhookVerifier = crate::webhooks::WebhookVerifier<SigningKey>;

/// Elation's [`Verify`] scheme: a subscription's Ed25519 `signing_pub_key`, checked over the
/// raw body.
#[derive(Clone)]
pub struct SigningKey {
    key: [u8; 32],
}

impl WebhookVerifier {
    /// A verifier for the subscription whose `signing_pub_key` is `key` (base64, standard or
    /// URL-safe, or hex, of the 32-byte key; the encoding is not documented).
    pub fn new(key: &str) -> Result<Self, InvalidKey> {
        let key = key.trim();
        let bytes = decode_base64(key)
            .filter(|b| b.len() == 32)
            .or_else(|| decode_hex(key))
            .ok_or(InvalidKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| InvalidKey)?;
        Ok(Self::with_scheme(SigningKey { key }))
    }
}

impl Verify for SigningKey {
    type Delivery = WebhookEvent;

    /// Verifies a delivery's signature over the raw `body` and decodes it.
    fn verify(
        &self,
        request: &http::request::Parts,
        body: &[u8],
        max_body: usize,
    ) -> Result<WebhookEvent, WebhookError> {
        let signature = header(&request.headers, SIGNATURE_HEADER)?;
        if body.len() > max_body {
            return Err(WebhookError::BodyTooLarge { limit: max_body });
        }
        let signature = decode_base64(signature)
            .filter(|s| s.len() == 64)
            .ok_or(WebhookError::BadSignature)?;
        UnparsedPublicKey::new(&ED25519, &self.key)
            .verify(body, &signature)
            .map_err(|_| WebhookError::BadSignature)?;
        decode(body)
    }

    /// [`WebhookEvent::delivery_id`]: `event_uuid`, else `event_id`.
    fn delivery_id(event: &WebhookEvent) -> Option<&str> {
        event.delivery_id()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey").finish_non_exhaustive()
    }
}

fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
    [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .into_iter()
        .find_map(|engine| engine.decode(text).ok())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() != 64 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The payload `{data, action, event_id, event_uuid, application_id, resource, resource_url}`.
fn decode(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
    #[derive(serde::Deserialize)]
    struct Payload {
        #[serde(default)]
        data: serde_json::Value,
        action: String,
        #[serde(default)]
        event_id: Option<serde_json::Value>,
        #[serde(default)]
        event_uuid: Option<serde_json::Value>,
        #[serde(default)]
        application_id: Option<serde_json::Value>,
        resource: String,
        #[serde(default)]
        resource_url: Option<String>,
    }
    let payload: Payload = serde_json::from_slice(body).map_err(|e| malformed(body, &e))?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    Ok(WebhookEvent {
        action: match payload.action.as_str() {
            "saved" => Action::Saved,
            "deleted" => Action::Deleted,
            _ => Action::Other(payload.action),
        },
        resource: payload.resource,
        resource_url: payload.resource_url,
        event_id: text(payload.event_id),
        event_uuid: text(payload.event_uuid),
        application_id: text(payload.application_id),
        data: payload.data,
    })
}
