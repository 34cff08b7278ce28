//! Keeping credentials and request values out of what errors print.
//!
//! - [`scrub`]: vendor text (an error message, an OAuth `error_description`) with every
//!   credential the client holds, and anything shaped like one, replaced by `[redacted]`,
//!   before it reaches `Display`, `Debug` or a log.
//! - [`DecodeFailure`]: a decode error as the JSON path and what was expected there, never the
//!   value found (serde's own message quotes it: `invalid type: string "Doe 1980-01-02"`).
//! - [`Body`]: a body kept for an explicit look, whose `Debug` shows only its length.

use std::fmt;
use std::sync::LazyLock;

use bytes::Bytes;
use regex::Regex;

/// What replaces a credential in text.
pub const REDACTED: &str = "[redacted]";

/// Things shaped like credentials: an `Authorization`-style scheme and its value, and a
/// credential-named key with its value (`client_secret=…`, `"refresh_token": "…"`,
/// `Api-key: …`), in form, JSON, header or prose.
static CREDENTIAL_SHAPES: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"(?i)(?P<scheme>\b(?:bearer|basic)\s+)[^\s"'<>&,;]+"#,
        r#"|(?P<key>\b(?:client_secret|refresh_token|access_token|id_token|assertion|"#,
        r#"api[-_]?key|x-api-key|password|authorization|x-integration-user)"#,
        r#"["']?\s*[:=]\s*["']?)(?:(?:bearer|basic)\s+)?[^\s"'<>&,;]+"#,
    ))
    .ok()
});

/// `text` with each of `known` (the client's own credentials, at least 4 characters) and
/// everything shaped like a credential replaced by [`REDACTED`].
///
/// ```
/// use ehr_runtime::error::scrub;
///
/// let echoed = "bad form: client_secret=s3cr3t&refresh_token=rt-1; Authorization: Bearer abc.def";
/// let clean = scrub(echoed, &["s3cr3t"]);
/// assert!(!clean.contains("s3cr3t") && !clean.contains("rt-1") && !clean.contains("abc.def"));
/// ```
pub fn scrub(text: &str, known: &[&str]) -> String {
    let mut out = text.to_string();
    for secret in known.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret) {
            out = out.replace(secret, REDACTED);
        }
    }
    match CREDENTIAL_SHAPES.as_ref() {
        Some(shapes) if shapes.is_match(&out) => shapes
            .replace_all(&out, |caps: &regex::Captures<'_>| {
                let kept = caps
                    .name("scheme")
                    .or_else(|| caps.name("key"))
                    .map_or("", |m| m.as_str());
                format!("{kept}{REDACTED}")
            })
            .into_owned(),
        _ => out,
    }
}

/// Why a body did not decode: where (a JSON path such as `$.results[3].date_of_birth`) and
/// what was expected there. Never holds the value found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The JSON path of the value that failed (`$` for the document itself).
    pub path: String,
    /// What went wrong, without the value: `invalid type: string, expected i64`.
    pub reason: String,
}

impl DecodeFailure {
    /// The failure `error` reports for `body`.
    pub fn new(body: &[u8], error: &serde_json::Error) -> Self {
        Self {
            path: json_path_at(body, error.line(), error.column()),
            reason: without_values(&error.to_string()),
        }
    }
}

impl fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at {}: {}", self.path, self.reason)
    }
}

impl std::error::Error for DecodeFailure {}

/// serde's message with any quoted value and the position taken out.
fn without_values(message: &str) -> String {
    let message = match message.rfind(" at line ") {
        Some(at) => &message[..at],
        None => message,
    };
    for lead in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(lead) {
            let (found, expected) = rest.split_once(", expected ").unwrap_or((rest, ""));
            // `string "Doe"`, `integer `5``, `floating point `1.5``: keep the kind only.
            let kind = found.split(['"', '`', '\'']).next().unwrap_or("").trim();
            return match expected {
                "" => format!("{lead}{kind}"),
                expected => format!("{lead}{kind}, expected {expected}"),
            };
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant ") {
        let expected = rest.split_once(", expected ").map_or("", |(_, e)| e);
        return format!("unknown variant, expected {expected}");
    }
    message.to_string()
}

/// The JSON path of the value being read at 1-based `line` and `column` (bytes) of `body`.
fn json_path_at(body: &[u8], line: usize, column: usize) -> String {
    enum Frame {
        Object { key: Option<String>, at_key: bool },
        Array { index: usize },
    }
    // The byte offset of (line, column).
    let mut offset = 0;
    let mut current_line = 1;
    while current_line < line && offset < body.len() {
        if body[offset] == b'\n' {
            current_line += 1;
        }
        offset += 1;
    }
    let end = offset.saturating_add(column).min(body.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match body[i] {
            b'{' => stack.push(Frame::Object {
                key: None,
                at_key: true,
            }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { at_key, .. }) => *at_key = true,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { at_key, .. }) = stack.last_mut() {
                    *at_key = false;
                }
            }
            b'"' => {
                let start = i + 1;
                i = start;
                while i < body.len() && body[i] != b'"' {
                    i += if body[i] == b'\\' { 2 } else { 1 };
                }
                if let Some(Frame::Object { key, at_key: true }) = stack.last_mut() {
                    let text = body.get(start..i.min(body.len())).unwrap_or_default();
                    *key = Some(String::from_utf8_lossy(text).into_owned());
                }
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::from("$");
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(key), .. } => {
                path.push('.');
                path.push_str(key);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// A body kept for an explicit look ([`as_bytes`](Self::as_bytes)); `Debug` and `Display`
/// show only its length, since bodies may hold PHI or echoed credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Body(pub(crate) Bytes);

impl Body {
    /// The body as sent (bounded where it was read).
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_echoed_in_any_shape_are_scrubbed() {
        for (text, secret) in [
            ("Authorization: Bearer eyJhbGciOi.x.y", "eyJhbGciOi"),
            ("<pre>authorization: bearer tok123</pre>", "tok123"),
            ("client_secret=abc123&grant_type=refresh_token", "abc123"),
            (
                r#"{"refresh_token": "rt-999", "error": "invalid_grant"}"#,
                "rt-999",
            ),
            ("Api-key: k-42 rejected", "k-42"),
            ("assertion=eyJ.hdr.sig", "eyJ.hdr.sig"),
        ] {
            let clean = scrub(text, &[]);
            assert!(!clean.contains(secret), "{text} -> {clean}");
            assert!(clean.contains(REDACTED), "{clean}");
        }
        assert_eq!(
            scrub("say my-own-token twice", &["my-own-token"]),
            "say [redacted] twice"
        );
        assert_eq!(scrub("Appointment overlaps", &[]), "Appointment overlaps");
    }

    #[test]
    fn decode_failures_name_the_path_not_the_value() {
        let body =
            br#"{"results": [{"id": 1}, {"id": 2, "last_name": 7, "dob": "Doe 1980-01-02"}]}"#;
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Page {
            results: Vec<Patient>,
        }
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Patient {
            id: i64,
            last_name: Option<String>,
            dob: Option<i64>,
        }
        let error = serde_json::from_slice::<Page>(body).err().unwrap();
        let failure = DecodeFailure::new(body, &error);
        assert_eq!(failure.path, "$.results[1].last_name");
        assert_eq!(failure.reason, "invalid type: integer, expected a string");

        let body = br#"{"results": [{"id": 2, "last_name": "x", "dob": "Doe 1980-01-02"}]}"#;
        let error = serde_json::from_slice::<Page>(body).err().unwrap();
        let failure = DecodeFailure::new(body, &error);
        assert_eq!(failure.path, "$.results[0].dob");
        assert!(!failure.to_string().contains("Doe"), "{failure}");
    }

    #[test]
    fn paths_survive_truncated_or_odd_input() {
        assert_eq!(json_path_at(b"", 1, 1), "$");
        assert_eq!(json_path_at(br#"{"a": "\"#, 1, 99), "$.a");
        assert_eq!(json_path_at(b"[[[", 5, 5), "$[0][0][0]");
    }
}
