//! The values a request carried, so that a vendor's echo of them never reaches `Display`.
//!
//! Vendors repeat what they were sent in their refusals: Health Gorilla's `OperationOutcome`
//! quotes the search (`No Practitioner matches name=Doe … 1980-01-02`), Empego quotes the
//! `x-integration-user` header it could not read, DRF quotes the value of a field it refused.
//! [`SentValues`] collects every such value of a request (query and path values, header values,
//! form and JSON body values, and what a base64 header value decodes to); a refusal's message
//! and field errors are scrubbed of them before they are kept (see
//! [`VendorError`](super::VendorError)). The body itself stays as it arrived, reachable only
//! through the accessors that say it may hold PHI.

use std::fmt;
use std::sync::Arc;

use base64::Engine as _;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName};

/// The most values kept from one request: a bulk body of thousands of fields is scrubbed of its
/// first ones, and scrubbing stays cheap.
pub const MAX_SENT_VALUES: usize = 2_048;

/// The largest body whose values are collected (1 MiB); a larger one is not parsed.
const MAX_BODY_SCANNED: usize = 1024 * 1024;

/// Headers whose values are the request's framing, not its data.
const FRAMING: [HeaderName; 9] = [
    reqwest::header::ACCEPT,
    reqwest::header::ACCEPT_ENCODING,
    reqwest::header::ACCEPT_LANGUAGE,
    reqwest::header::CONTENT_TYPE,
    reqwest::header::CONTENT_LENGTH,
    reqwest::header::CONTENT_ENCODING,
    reqwest::header::USER_AGENT,
    reqwest::header::HOST,
    reqwest::header::CONNECTION,
];

/// The values a request carried (what counts is listed at the top of `error/sent.rs`),
/// attached by a transport to a refused response's extensions so that the vendor's text is
/// scrubbed of them.
/// `Debug` shows only how many there are.
///
/// A value of at least 6 characters is scrubbed wherever it appears; a shorter one (2 to 5
/// characters: `Doe`, an id, a page size) only where it stands alone, not inside a longer word,
/// so that `Li` never takes a piece out of `Limit`. Single characters, `true`, `false` and
/// `null` are not values worth scrubbing.
///
/// ```
/// use ehr_runtime::error::{SentValues, scrub_sent};
///
/// let url = "https://api.example/fhir/R4/Patient/p-991?name=Doe&birthdate=1980-01-02";
/// let sent = SentValues::of_url(&url.parse().unwrap());
/// let echoed = "No Patient p-991 matches name=Doe and birthdate 1980-01-02 (Doeville)";
/// assert_eq!(
///     scrub_sent(echoed, &[], &sent),
///     "No Patient [redacted] matches name=[redacted] and birthdate [redacted] (Doeville)"
/// );
/// ```
#[derive(Clone, Default)]
pub struct SentValues(Arc<[String]>);

impl SentValues {
    /// The values of `url`: its query values and the path segments that are identifiers (a
    /// segment with a digit that is not an API version such as `v1`, `R4` or `2.0`).
    pub fn of_url(url: &Url) -> Self {
        let mut values = Collector::default();
        values.url(url);
        values.finish()
    }

    /// The values of a request to be sent: those of its URL, its headers (not the framing ones,
    /// `Accept`, `Content-Type` and the like) and its body, when the body is in memory and is
    /// JSON or a form.
    pub fn of_parts(url: &Url, headers: &HeaderMap, body: Option<&[u8]>) -> Self {
        let mut values = Collector::default();
        values.url(url);
        values.headers(headers);
        if let Some(body) = body {
            values.body(headers, body);
        }
        values.finish()
    }

    /// The values of the header values `values` (each also decoded when it is base64, and
    /// the decoded JSON's values taken).
    pub fn of_header_values<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut collector = Collector::default();
        for value in values {
            collector.header_value(value);
        }
        collector.finish()
    }

    /// These values and `other`'s.
    pub fn and(&self, other: &SentValues) -> SentValues {
        if other.0.is_empty() {
            return self.clone();
        }
        if self.0.is_empty() {
            return other.clone();
        }
        let mut values = Collector::default();
        for value in self.0.iter().chain(other.0.iter()) {
            values.push(value);
        }
        values.finish()
    }

    /// The values, longest first.
    pub fn values(&self) -> &[String] {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SentValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SentValues({} redacted)", self.0.len())
    }
}

/// `text` with each of `known` (credentials: at least 4 characters, anywhere) and each of
/// `sent` (see [`SentValues`]) replaced by [`REDACTED`](super::REDACTED), then with anything
/// shaped like a credential replaced too (see [`scrub`](super::scrub)).
pub fn scrub_sent(text: &str, known: &[&str], sent: &SentValues) -> String {
    let mut out = text.to_string();
    for value in sent.values() {
        if out.contains(value.as_str()) {
            out = replace_value(&out, value);
        }
    }
    super::scrub(&out, known)
}

/// `text` (which contains `value`) with `value` replaced: anywhere when it has 6 characters or
/// more, otherwise only where it is not part of a longer word.
fn replace_value(text: &str, value: &str) -> String {
    if value.chars().count() >= 6 {
        return text.replace(value, super::REDACTED);
    }
    let is_word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The character before `rest` in `text` (not in `out`, which may end in a replacement).
    let mut previous: Option<char> = None;
    while let Some(at) = rest.find(value) {
        let before = rest[..at].chars().next_back().or(previous);
        let after = rest[at + value.len()..].chars().next();
        out.push_str(&rest[..at]);
        if is_word(before) || is_word(after) {
            out.push_str(value);
        } else {
            out.push_str(super::REDACTED);
        }
        previous = value.chars().next_back();
        rest = &rest[at + value.len()..];
    }
    out.push_str(rest);
    out
}

/// Collects values, without duplicates, up to [`MAX_SENT_VALUES`].
#[derive(Default)]
struct Collector {
    values: Vec<String>,
}

impl Collector {
    fn push(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < 2
            || matches!(value, "true" | "false" | "null")
            || self.values.len() >= MAX_SENT_VALUES
            || self.values.iter().any(|v| v == value)
        {
            return;
        }
        self.values.push(value.to_string());
    }

    fn url(&mut self, url: &Url) {
        for (_, value) in url.query_pairs() {
            self.push(&value);
        }
        if let Some(query) = url.query() {
            // As sent, too: a vendor may echo the encoded form (`Doe%20Jr`).
            for pair in query.split('&') {
                if let Some((_, value)) = pair.split_once('=') {
                    self.push(value);
                }
            }
        }
        for segment in url.path_segments().into_iter().flatten() {
            if is_identifier(segment) {
                self.push(segment);
                let decoded = percent_decoded(segment);
                if decoded != segment {
                    self.push(&decoded);
                }
            }
        }
    }

    fn headers(&mut self, headers: &HeaderMap) {
        for (name, value) in headers {
            if FRAMING.contains(name) {
                continue;
            }
            if let Ok(value) = value.to_str() {
                self.header_value(value);
            }
        }
    }

    /// A header value, its credential after a scheme (`Bearer x`), and what it decodes to when
    /// it is base64 (Empego's `x-integration-user`: JSON with the user's id, names and email).
    fn header_value(&mut self, value: &str) {
        self.push(value);
        if let Some((_, credential)) = value.split_once(' ') {
            self.push(credential);
        }
        let engines = [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
            &base64::engine::general_purpose::STANDARD_NO_PAD,
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ];
        let Some(decoded) = engines.iter().find_map(|e| e.decode(value.trim()).ok()) else {
            return;
        };
        match serde_json::from_slice::<serde_json::Value>(&decoded) {
            Ok(json) => {
                self.json(&json);
                if let Ok(text) = std::str::from_utf8(&decoded) {
                    self.push(text);
                }
            }
            Err(_) => {
                if let Ok(text) = std::str::from_utf8(&decoded)
                    && !text.chars().any(char::is_control)
                {
                    self.push(text);
                }
            }
        }
    }

    fn body(&mut self, headers: &HeaderMap, body: &[u8]) {
        if body.len() > MAX_BODY_SCANNED {
            return;
        }
        let essence = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if essence == "application/x-www-form-urlencoded" {
            for (_, value) in url::form_urlencoded::parse(body) {
                self.push(&value);
            }
        } else if let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) {
            self.json(&json);
        }
    }

    fn json(&mut self, json: &serde_json::Value) {
        use serde_json::Value;
        match json {
            Value::String(s) => self.push(s),
            Value::Number(n) => self.push(&n.to_string()),
            Value::Array(items) => items.iter().for_each(|i| self.json(i)),
            Value::Object(map) => map.values().for_each(|v| self.json(v)),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn finish(mut self) -> SentValues {
        // Longest first: a value that contains another is replaced whole.
        self.values
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        SentValues(self.values.into())
    }
}

/// Whether a path segment is an identifier rather than part of the path's template: it has a
/// digit and is not an API version (`v1`, `R4`, `2.0`).
fn is_identifier(segment: &str) -> bool {
    let has_digit = segment.bytes().any(|b| b.is_ascii_digit());
    let version = {
        let rest = segment
            .strip_prefix(['v', 'V', 'r', 'R'])
            .unwrap_or(segment);
        rest.len() <= 4
            && rest.split('.').count() <= 2
            && rest
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
            && (rest.len() != segment.len() || rest.contains('.'))
    };
    has_digit && !version
}

/// `segment` with its `%XX` escapes decoded (invalid UTF-8 replaced).
fn percent_decoded(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let high = hex(h).unwrap_or_default();
                let low = hex(l).unwrap_or_default();
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn scrubbed(text: &str, sent: &SentValues) -> String {
        scrub_sent(text, &[], sent)
    }

    #[test]
    fn short_values_are_scrubbed_only_where_they_stand_alone() {
        let sent = SentValues::of_header_values(["Li", "100"]);
        assert_eq!(
            scrubbed("Li is not found; Limit is 100, not 1000", &sent),
            "[redacted] is not found; Limit is [redacted], not 1000"
        );
    }

    #[test]
    fn long_values_are_scrubbed_anywhere() {
        let sent = SentValues::of_header_values(["1980-01-02"]);
        assert_eq!(
            scrubbed("birthdate 1980-01-02T00:00:00 is in the future", &sent),
            "birthdate [redacted]T00:00:00 is in the future"
        );
    }

    #[test]
    fn query_path_and_encoded_values_are_values_but_versions_and_words_are_not() {
        let url: Url = "https://h.example/api/2.0/v1/R4/patients/12345/notes?name=Doe%20Jr&_count=50&verbose=true"
            .parse()
            .unwrap();
        let sent = SentValues::of_url(&url);
        let mut values = sent.values().to_vec();
        values.sort();
        assert_eq!(values, ["12345", "50", "Doe Jr", "Doe%20Jr"]);
    }

    #[test]
    fn a_base64_json_header_gives_its_values_and_a_json_body_its_leaves() {
        // Empego's documented example: {"userId":"new_user_456","firstName":"Dr. Alice",…}.
        let header = "eyJ1c2VySWQiOiJuZXdfdXNlcl80NTYiLCJmaXJzdE5hbWUiOiJEci4gQWxpY2UiLCJsYXN0TmFtZSI6IkpvaG5zb24iLCJlbWFpbCI6ImFsaWNlLmpvaG5zb25AY2xpbmljLmNvbSIsImxpY2Vuc2VOdW1iZXIiOiJNRDc4OTEyMyIsInByZWZlcnJlZExhbmd1YWdlIjoiRU4ifQ==";
        let mut headers = HeaderMap::new();
        headers.insert("x-integration-user", HeaderValue::from_static(header));
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let body = br#"{"patient": {"last_name": "Nguyen", "chart": [7, 12345], "ok": true}}"#;
        let url: Url = "https://h.example/a".parse().unwrap();
        let sent = SentValues::of_parts(&url, &headers, Some(body));
        for value in [
            header,
            "new_user_456",
            "Dr. Alice",
            "Johnson",
            "alice.johnson@clinic.com",
            "MD789123",
            "Nguyen",
            "12345",
        ] {
            assert!(
                sent.values().iter().any(|v| v == value),
                "{value}: {sent:?}"
            );
        }
        assert!(!sent.values().iter().any(|v| v == "application/json"));
        assert!(!format!("{sent:?}").contains("Nguyen"));
    }

    #[test]
    fn a_form_body_gives_its_values() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let url: Url = "https://h.example/a".parse().unwrap();
        let sent = SentValues::of_parts(&url, &headers, Some(b"family=O%27Brien&given=Ann+Marie"));
        assert_eq!(
            scrubbed("no match for O'Brien, Ann Marie", &sent),
            "no match for [redacted], [redacted]"
        );
    }

    #[test]
    fn odd_input_is_not_a_panic() {
        assert_eq!(percent_decoded("%"), "%");
        assert_eq!(percent_decoded("%zz%4"), "%zz%4");
        assert_eq!(percent_decoded("a%C3%A9"), "aé");
        let sent = SentValues::of_header_values(["é1", "ü", "%%%", "Zürich"]);
        assert_eq!(scrubbed("é1 in Zürich", &sent), "[redacted] in [redacted]");
        let mut headers = HeaderMap::new();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        let url: Url = "https://h.example/a".parse().unwrap();
        let deep = "[".repeat(100_000);
        let sent = SentValues::of_parts(&url, &headers, Some(deep.as_bytes()));
        assert!(sent.is_empty());
    }
}
