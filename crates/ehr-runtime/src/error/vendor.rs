//! What a vendor answered when it refused a call: status, its reason, the bounded body.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, RETRY_AFTER, WWW_AUTHENTICATE};

use super::{Attempt, SentValues};

/// The most of an error body that is kept (64 KiB); the rest is not read.
pub const MAX_ERROR_BODY: usize = 64 * 1024;

/// The vendor's answer to a call it did not succeed with.
///
/// Holds the status, the vendor's reason as the vendor documents it (DRF's `{"detail": …}` and
/// field errors for DrChrono and Elation, Spring's `{"message": …}` for Empego, FHIR's
/// `OperationOutcome` for Health Gorilla, OAuth's `error_description`), and the body itself,
/// bounded to [`MAX_ERROR_BODY`] bytes.
///
/// `Display` shows the operation, the status and the vendor's message; `Debug` shows the same
/// plus the body's length and content type, never the body (it may hold PHI). The body is
/// reachable only through [`body`](Self::body) and [`vendor_body`](Self::vendor_body).
#[derive(Clone)]
pub struct VendorError(Box<Answer>);

/// The parts of a [`VendorError`], boxed so that `Result<_, Error>` stays small.
#[derive(Clone)]
struct Answer {
    operation_id: &'static str,
    status: StatusCode,
    content_type: Option<String>,
    body: Bytes,
    truncated: bool,
    message: Option<String>,
    fields: Vec<FieldError>,
    retry_after: Option<Duration>,
    permission: Option<String>,
    attempts: Vec<Attempt>,
}

/// The credentials a transport sent with a request, attached to a refused response's
/// extensions so that the vendor's text is scrubbed of them even when it echoes them in a shape
/// [`scrub`](super::scrub) does not know. `Debug` never shows them.
#[derive(Clone)]
pub struct SentCredentials(pub std::sync::Arc<[String]>);

impl fmt::Debug for SentCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SentCredentials({} redacted)", self.0.len())
    }
}

/// A vendor's complaint about one field of the request (DRF: `{"gender": ["This field is
/// required."]}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The field, dotted for nested objects (`address.zip_code`).
    pub field: String,
    /// What the vendor said about it.
    pub messages: Vec<String>,
}

impl VendorError {
    /// The answer to `operation_id`: `status` with `headers` and (the start of) `body`. The
    /// vendor's message and field errors are [scrubbed](super::scrub) of anything shaped like
    /// a credential.
    pub fn new(
        operation_id: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
        truncated: bool,
    ) -> Self {
        Self::scrubbed(operation_id, status, headers, body, truncated, &[])
    }

    /// Like [`new`](Self::new), also scrubbing each of `known` (the credentials the request
    /// carried) from the vendor's text.
    pub fn scrubbed(
        operation_id: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
        truncated: bool,
        known: &[&str],
    ) -> Self {
        Self::scrubbed_of_sent(
            operation_id,
            status,
            headers,
            body,
            truncated,
            known,
            &SentValues::default(),
        )
    }

    /// Like [`scrubbed`](Self::scrubbed), also scrubbing every value the request carried
    /// (`sent`: its query, path, header and body values) from the vendor's text, so that a
    /// vendor repeating the request (`No Practitioner matches name=Doe`) prints none of it.
    pub fn scrubbed_of_sent(
        operation_id: &'static str,
        status: StatusCode,
        headers: &HeaderMap,
        body: Bytes,
        truncated: bool,
        known: &[&str],
        sent: &SentValues,
    ) -> Self {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let (message, mut fields) = reason(content_type.as_deref(), &body);
        let message = message.map(|m| super::scrub_sent(&m, known, sent));
        for field in &mut fields {
            for m in &mut field.messages {
                *m = super::scrub_sent(m, known, sent);
            }
        }
        let retry_after = headers
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(super::retry_after);
        let permission = headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .and_then(insufficient_scope);
        Self(Box::new(Answer {
            operation_id,
            status,
            content_type,
            body,
            truncated,
            message,
            fields,
            retry_after,
            permission,
            attempts: Vec::new(),
        }))
    }

    /// Reads at most [`MAX_ERROR_BODY`] bytes of `response` and keeps them. The vendor's text
    /// is scrubbed of the credentials a transport recorded as [`SentCredentials`], of the
    /// values it recorded as [`SentValues`] (headers, body), and of the values of the request's
    /// URL (query values and identifiers in the path), which every response knows.
    pub async fn read(operation_id: &'static str, response: reqwest::Response) -> Self {
        let status = response.status();
        let headers = response.headers().clone();
        let credentials = response.extensions().get::<SentCredentials>().cloned();
        let recorded = response.extensions().get::<SentValues>().cloned();
        let sent = SentValues::of_url(response.url()).and(&recorded.unwrap_or_default());
        let (body, truncated) = read_bounded(response, MAX_ERROR_BODY).await;
        let known: Vec<&str> = credentials
            .as_ref()
            .map(|s| s.0.iter().map(String::as_str).collect())
            .unwrap_or_default();
        Self::scrubbed_of_sent(
            operation_id,
            status,
            &headers,
            body,
            truncated,
            &known,
            &sent,
        )
    }

    /// Records the attempts made before this answer.
    pub fn with_attempts(mut self, attempts: Vec<Attempt>) -> Self {
        self.0.attempts = attempts;
        self
    }

    /// The operation (`operationId`).
    pub fn operation_id(&self) -> &'static str {
        self.0.operation_id
    }

    /// The status the vendor answered with.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The vendor's reason in its own words, when its body says one, [scrubbed](super::scrub)
    /// of every credential and every value the request carried (see [`SentValues`]).
    pub fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }

    /// The fields the vendor named as wrong (DRF field errors), sorted by field name.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.0.fields
    }

    /// How long the vendor asked to wait (`Retry-After`, seconds or an HTTP date).
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The scope the vendor says is missing (RFC 6750 `WWW-Authenticate: Bearer
    /// error="insufficient_scope", scope="…"`), when it says so.
    pub fn permission(&self) -> Option<&str> {
        self.0.permission.as_deref()
    }

    /// The attempts before this answer (empty when the first attempt got it).
    pub fn attempts(&self) -> &[Attempt] {
        &self.0.attempts
    }

    /// The response's `Content-Type`, as sent.
    pub fn content_type(&self) -> Option<&str> {
        self.0.content_type.as_deref()
    }

    /// The body as the vendor sent it, up to [`MAX_ERROR_BODY`] bytes, **unscrubbed**: it may
    /// hold PHI, the request's own values echoed back (a searched name and birth date) and
    /// echoed credentials. [`message`](Self::message) and `Display` are scrubbed of them; this
    /// is not. Do not log it.
    pub fn body(&self) -> &Bytes {
        &self.0.body
    }

    /// Whether the body was longer than [`MAX_ERROR_BODY`] and only its start was kept.
    pub fn is_truncated(&self) -> bool {
        self.0.truncated
    }

    /// The body decoded as `T` (e.g. Health Gorilla's `OperationOutcome`), when it decodes.
    /// Like [`body`](Self::body), **unscrubbed**: it may hold PHI and the request's own
    /// values. Do not log it.
    pub fn vendor_body<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_slice(&self.0.body).ok()
    }
}

impl fmt::Display for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.operation_id, self.0.status)?;
        if let Some(message) = &self.0.message {
            write!(f, ": {message}")?;
        }
        for (i, field) in self.0.fields.iter().enumerate() {
            let sep = if i == 0 && self.0.message.is_none() {
                ": "
            } else {
                "; "
            };
            write!(f, "{sep}{}: {}", field.field, field.messages.join(" "))?;
        }
        if !self.0.attempts.is_empty() {
            write!(f, " (after {} earlier attempt(s))", self.0.attempts.len())?;
        }
        Ok(())
    }
}

impl fmt::Debug for VendorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendorError")
            .field("operation_id", &self.0.operation_id)
            .field("status", &self.0.status)
            .field("message", &self.0.message)
            .field("fields", &self.0.fields)
            .field("retry_after", &self.0.retry_after)
            .field("content_type", &self.0.content_type)
            .field("body_len", &self.0.body.len())
            .field("truncated", &self.0.truncated)
            .field("attempts", &self.0.attempts)
            .finish()
    }
}

/// Reads at most `limit` bytes of the body; says whether there was more. A body cut off
/// mid-way keeps what arrived (it still says what arrived of the vendor's reason).
pub(crate) async fn read_bounded(response: reqwest::Response, limit: usize) -> (Bytes, bool) {
    read_limited(response, limit)
        .await
        .unwrap_or_else(|(kept, _)| (kept, false))
}

/// Reads at most `limit` bytes of `response`'s body and says whether there was more (the rest
/// is not read). A transport failure mid-body gives what arrived and the error.
pub async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<(Bytes, bool), (Bytes, reqwest::Error)> {
    let mut kept = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - kept.len();
                if chunk.len() > room {
                    kept.extend_from_slice(&chunk[..room]);
                    return Ok((kept.into(), true));
                }
                kept.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok((kept.into(), false)),
            Err(e) => return Err((kept.into(), e)),
        }
    }
}

/// Longest message kept from a body (characters).
const MAX_MESSAGE: usize = 500;

/// The vendor's message and field errors, from a JSON body of one of the documented shapes, or
/// from a short plain-text body.
fn reason(content_type: Option<&str>, body: &[u8]) -> (Option<String>, Vec<FieldError>) {
    let essence = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase());
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
        let (message, fields) = from_json(&json);
        return (message.map(|m| clip(&m)), fields);
    }
    // A short, one-line plain-text reason (`Not Found`); never HTML or other markup.
    if essence.as_deref() == Some("text/plain")
        && let Ok(text) = std::str::from_utf8(body)
    {
        let text = text.trim();
        if !text.is_empty() && !text.contains('\n') && text.chars().count() <= 200 {
            return (Some(text.to_string()), Vec::new());
        }
    }
    (None, Vec::new())
}

/// A non-blank string member.
fn text(value: Option<&serde_json::Value>) -> Option<&str> {
    value
        .and_then(serde_json::Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn from_json(json: &serde_json::Value) -> (Option<String>, Vec<FieldError>) {
    use serde_json::Value;
    match json {
        // DRF: a list of messages.
        Value::Array(items) => (
            join(strings(json).or_else(|| first_strings(items))),
            Vec::new(),
        ),
        Value::String(s) => (Some(s.clone()), Vec::new()),
        Value::Object(map) => {
            // FHIR OperationOutcome (Health Gorilla): the first issue's text, and how many
            // more issues there are. R4 puts the human-readable text in `details.text` (then a
            // coding's `display`) and troubleshooting in `diagnostics` (often a stack location),
            // so `diagnostics` is shown only when there is nothing better; Health Gorilla's own
            // examples carry `diagnostics` alone.
            if map.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome") {
                let issues = map.get("issue").and_then(Value::as_array);
                let said: Vec<&str> = issues
                    .into_iter()
                    .flatten()
                    .filter_map(|issue| {
                        let details = issue.get("details");
                        text(details.and_then(|d| d.get("text")))
                            .or_else(|| {
                                details
                                    .and_then(|d| d.get("coding"))
                                    .and_then(Value::as_array)
                                    .into_iter()
                                    .flatten()
                                    .find_map(|c| text(c.get("display")))
                            })
                            .or_else(|| text(issue.get("diagnostics")))
                            .or_else(|| text(issue.get("code")))
                    })
                    .collect();
                let message = match said.as_slice() {
                    [] => None,
                    [only] => Some((*only).to_string()),
                    [first, rest @ ..] => Some(format!("{first} (+{} more issue(s))", rest.len())),
                };
                return (message, Vec::new());
            }
            // Spring Boot (Empego): {"timestamp", "status", "error", "message", "path"}.
            if let Some(message) = text(map.get("message")) {
                return (Some(message.to_string()), Vec::new());
            }
            // DRF: {"detail": "…"}.
            if let Some(detail) = text(map.get("detail")) {
                return (Some(detail.to_string()), Vec::new());
            }
            // OAuth 2.0: {"error": "invalid_grant", "error_description": "…"}.
            if let Some(error) = text(map.get("error")) {
                let message = text(map.get("error_description")).unwrap_or(error);
                return (Some(message.to_string()), Vec::new());
            }
            // DRF serializer errors: {"field": ["…"], "non_field_errors": ["…"]}.
            let mut message = None;
            let mut fields = Vec::new();
            for (key, value) in map {
                if key == "non_field_errors" {
                    message = join(strings(value));
                } else {
                    collect_fields(key, value, &mut fields);
                }
            }
            (message, fields)
        }
        _ => (None, Vec::new()),
    }
}

/// The strings of a string or an array of strings.
fn strings(value: &serde_json::Value) -> Option<Vec<String>> {
    match value {
        serde_json::Value::String(s) => Some(vec![s.clone()]),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

/// For a DRF list body of per-object errors (bulk create): the first object's messages.
fn first_strings(items: &[serde_json::Value]) -> Option<Vec<String>> {
    items.iter().find_map(|item| {
        let (message, fields) = from_json(item);
        message.map(|m| vec![m]).or_else(|| {
            (!fields.is_empty()).then(|| {
                fields
                    .into_iter()
                    .map(|f| format!("{}: {}", f.field, f.messages.join(" ")))
                    .collect()
            })
        })
    })
}

fn collect_fields(path: &str, value: &serde_json::Value, out: &mut Vec<FieldError>) {
    if let Some(messages) = strings(value) {
        out.push(FieldError {
            field: path.to_string(),
            messages: messages.iter().map(|m| clip(m)).collect(),
        });
    } else if let serde_json::Value::Object(map) = value {
        for (key, value) in map {
            collect_fields(&format!("{path}.{key}"), value, out);
        }
    } else if let serde_json::Value::Array(items) = value {
        for (i, item) in items.iter().enumerate() {
            if item.is_object() {
                collect_fields(&format!("{path}[{i}]"), item, out);
            }
        }
    }
}

fn join(messages: Option<Vec<String>>) -> Option<String> {
    messages.filter(|m| !m.is_empty()).map(|m| m.join(" "))
}

fn clip(text: &str) -> String {
    match text.char_indices().nth(MAX_MESSAGE) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// The `scope` of an RFC 6750 `insufficient_scope` challenge.
fn insufficient_scope(challenge: &str) -> Option<String> {
    if !challenge.contains("insufficient_scope") {
        return None;
    }
    let at = challenge.find("scope=\"")? + "scope=\"".len();
    let rest = &challenge[at..];
    Some(rest[..rest.find('"')?].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(body: &str) -> (Option<String>, Vec<FieldError>) {
        reason(Some("application/json"), body.as_bytes())
    }

    #[test]
    fn drf_detail_and_field_errors_are_read() {
        assert_eq!(
            said(r#"{"detail": "Appointment overlaps another"}"#)
                .0
                .as_deref(),
            Some("Appointment overlaps another")
        );
        let (message, fields) = said(
            r#"{"gender": ["This field is required."], "address": {"zip": ["Too long."]}, "non_field_errors": ["Bad pair."]}"#,
        );
        assert_eq!(message.as_deref(), Some("Bad pair."));
        assert_eq!(fields[0].field, "address.zip");
        assert_eq!(fields[1].field, "gender");
    }

    #[test]
    fn spring_outcome_and_oauth_bodies_are_read() {
        assert_eq!(
            said(r#"{"timestamp":"t","status":400,"error":"Bad Request","message":"Invalid x-integration-user header format","path":"/p"}"#).0.as_deref(),
            Some("Invalid x-integration-user header format")
        );
        assert_eq!(
            said(r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","details":{"text":"NPI is invalid"}},{"severity":"error","code":"x","diagnostics":"Name missing"}]}"#).0.as_deref(),
            Some("NPI is invalid (+1 more issue(s))")
        );
        assert_eq!(
            said(r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"processing","diagnostics":"at ca.uhn.fhir.rest.server.RestfulServer.handleRequest(RestfulServer.java:1234)","details":{"text":"Practitioner not found"}}]}"#).0.as_deref(),
            Some("Practitioner not found"),
            "details.text, the human-readable text, wins over diagnostics"
        );
        assert_eq!(
            said(r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"trace","details":{"coding":[{"system":"s","code":"MSG_NO_MATCH","display":"No matching resource"}]}}]}"#).0.as_deref(),
            Some("No matching resource")
        );
        assert_eq!(
            said(r#"{"error":"invalid_grant","error_description":"Code expired"}"#)
                .0
                .as_deref(),
            Some("Code expired")
        );
    }

    #[test]
    fn html_is_never_a_message_and_short_text_is() {
        assert_eq!(reason(Some("text/html"), b"<html>Bearer x</html>").0, None);
        assert_eq!(
            reason(Some("text/plain"), b"Not Found\n").0.as_deref(),
            Some("Not Found")
        );
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        assert_eq!(
            insufficient_scope(r#"Bearer error="insufficient_scope", scope="patients:write""#)
                .as_deref(),
            Some("patients:write")
        );
        assert_eq!(insufficient_scope(r#"Bearer error="invalid_token""#), None);
    }
}
