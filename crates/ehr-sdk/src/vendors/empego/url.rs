//! The URL an embeddable endpoint answers with, read from whatever form the server sends.

use std::fmt;
use std::future::Future;

use ehr_runtime::error::DecodeFailure;
use futures::StreamExt;
use progenitor_client::{ByteStream, ResponseValue};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;

use super::api::builder;
use crate::Error;

/// The most of an embeddable endpoint's answer that is read: far more than any URL.
const MAX_BODY: usize = 64 * 1024;

/// A URL that opens an authenticated Empego view, to load in an iframe.
///
/// It is temporary, single-use and carries a session, so it is a credential: `Debug` shows its
/// origin only, it has no `Display`, and the SDK never logs it. Read it with
/// [`as_str`](Self::as_str) or [`as_url`](Self::as_url) where it is used (an iframe's `src`).
///
/// Only `http` and `https` URLs are accepted, so a `javascript:` or `data:` answer can never
/// reach an iframe.
#[derive(Clone, PartialEq, Eq)]
pub struct EmbeddableUrl(url::Url);

impl EmbeddableUrl {
    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }

    /// The parsed URL, owned.
    pub fn into_url(self) -> url::Url {
        self.0
    }

    /// The URL's origin (`https://app.empego.ca`), for a `frame-src` Content-Security-Policy.
    pub fn origin(&self) -> String {
        self.0.origin().ascii_serialization()
    }

    /// Reads the URL from the answer of `operation_id`: a `text/plain` URL (the document's
    /// sample reads `response.text()`), a JSON string, or a JSON object with `iframeUrl` or
    /// `url`. Anything else is [`Error::Decode`], naming the content type and never the body.
    pub(crate) async fn read(
        operation_id: &'static str,
        answer: ResponseValue<ByteStream>,
    ) -> Result<Self, Error> {
        let status = answer.status();
        let content_type = answer
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        let mut stream = answer.into_inner();
        let mut body = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| Error::http(operation_id, e, Vec::new()))?;
            if body.len() + chunk.len() > MAX_BODY {
                return Err(not_a_url(
                    operation_id,
                    status,
                    "$",
                    format!(
                        "a body over {} KiB is not an embeddable URL",
                        MAX_BODY / 1024
                    ),
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Self::parse(operation_id, status, content_type.as_deref(), &body)
    }

    fn parse(
        operation_id: &'static str,
        status: StatusCode,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Self, Error> {
        let json = match content_type {
            Some(t) => t == "application/json" || t.ends_with("+json"),
            // No content type: JSON if it looks like JSON, else text.
            None => body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| matches!(b, b'{' | b'"')),
        };
        let text_type = content_type.is_none_or(|t| t == "text/plain" || t == "text/uri-list");
        if json {
            let value: serde_json::Value = serde_json::from_slice(body)
                .map_err(|e| Error::decode(operation_id, status, body, &e))?;
            let (path, text) = match &value {
                serde_json::Value::String(s) => ("$", Some(s.as_str())),
                serde_json::Value::Object(o) => match (o.get("iframeUrl"), o.get("url")) {
                    (Some(v), _) => ("$.iframeUrl", v.as_str()),
                    (None, Some(v)) => ("$.url", v.as_str()),
                    (None, None) => {
                        return Err(not_a_url(
                            operation_id,
                            status,
                            "$",
                            "a JSON object without `iframeUrl` or `url`".into(),
                        ));
                    }
                },
                _ => ("$", None),
            };
            let text = text.ok_or_else(|| {
                not_a_url(operation_id, status, path, "expected a URL string".into())
            })?;
            return Self::from_text(operation_id, status, path, text);
        }
        if !text_type {
            let content_type = content_type.unwrap_or_default();
            return Err(not_a_url(
                operation_id,
                status,
                "$",
                format!("a `{content_type}` body is not an embeddable URL"),
            ));
        }
        let text = std::str::from_utf8(body)
            .map_err(|_| not_a_url(operation_id, status, "$", "the text is not UTF-8".into()))?;
        Self::from_text(operation_id, status, "$", text)
    }

    fn from_text(
        operation_id: &'static str,
        status: StatusCode,
        path: &str,
        text: &str,
    ) -> Result<Self, Error> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            // url's messages name the problem, not the input.
            not_a_url(operation_id, status, path, format!("not a URL ({e})"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(not_a_url(
                operation_id,
                status,
                path,
                format!("a `{}:` URL, not http or https", url.scheme()),
            ));
        }
        Ok(Self(url))
    }
}

impl fmt::Debug for EmbeddableUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmbeddableUrl({}/[redacted])", self.origin())
    }
}

fn not_a_url(operation_id: &'static str, status: StatusCode, path: &str, reason: String) -> Error {
    Error::Decode {
        operation_id,
        status,
        source: DecodeFailure {
            path: path.to_string(),
            reason,
        },
    }
}

/// `.url()` on every embeddable call: sends it and reads the [`EmbeddableUrl`] it answers.
///
/// ```no_run
/// # async fn run(client: ehr_sdk::empego::Client) -> Result<(), ehr_sdk::Error> {
/// use ehr_sdk::empego::GetEmbeddableUrl;
///
/// let url = client.followup_dashboard().locale("fr").url().await?;
/// # let _ = url;
/// # Ok(()) }
/// ```
pub trait GetEmbeddableUrl: Sized {
    /// Sends the call and reads the URL (see [`EmbeddableUrl`] for the forms accepted).
    fn url(self) -> impl Future<Output = Result<EmbeddableUrl, Error>> + Send;
}

macro_rules! embeddable {
    ($($builder:ident => $operation_id:literal,)*) => {
        $(
            impl GetEmbeddableUrl for builder::$builder<'_> {
                async fn url(self) -> Result<EmbeddableUrl, Error> {
                    EmbeddableUrl::read($operation_id, self.send().await?).await
                }
            }
        )*
    };
}

embeddable! {
    ConsultationView => "consultation_view",
    ConsultationDashboard => "consultation_dashboard",
    ConsultationSpecific => "consultation_specific",
    ConsultationAnswer => "consultation_answer",
    FollowupView => "followup_view",
    FollowupDashboard => "followup_dashboard",
    FollowupSpecific => "followup_specific",
    FollowupPlan => "followup_plan",
    AdministrationFranchiseManagement => "administration_franchise_management",
    AdministrationFranchiseOnboarding => "administration_franchise_onboarding",
    AdministrationFranchiseOffboarding => "administration_franchise_offboarding",
    StatisticsDashboard => "statistics_dashboard",
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(content_type: Option<&str>, body: &str) -> Result<EmbeddableUrl, Error> {
        EmbeddableUrl::parse(
            "consultation_view",
            StatusCode::OK,
            content_type,
            body.as_bytes(),
        )
    }

    #[test]
    fn every_documented_form_is_read() {
        let want = "https://app.empego.ca/embed/abc?session=s1";
        for (content_type, body) in [
            (Some("text/plain"), want.to_string()),
            (Some("text/plain"), format!("  {want}\n")),
            (None, want.to_string()),
            (
                Some("application/json"),
                format!(r#"{{"iframeUrl":"{want}"}}"#),
            ),
            (
                Some("application/json"),
                format!(r#"{{"url":"{want}","x":1}}"#),
            ),
            (Some("application/json"), format!(r#""{want}""#)),
            (None, format!(r#"{{"iframeUrl":"{want}"}}"#)),
        ] {
            let url = parse(content_type, &body).unwrap();
            assert_eq!(url.as_str(), want, "{content_type:?} {body}");
        }
    }

    #[test]
    fn anything_else_is_a_decode_error_without_the_body() {
        for (content_type, body, path, says) in [
            (Some("text/html"), "<html>login</html>", "$", "`text/html`"),
            (Some("text/plain"), "no url here", "$", "not a URL"),
            (
                Some("text/plain"),
                "javascript:alert(1)",
                "$",
                "`javascript:`",
            ),
            (
                Some("application/json"),
                r#"{"iframeUrl":5}"#,
                "$.iframeUrl",
                "URL string",
            ),
            (
                Some("application/json"),
                r#"{"other":"x"}"#,
                "$",
                "without `iframeUrl`",
            ),
            (Some("application/json"), "[1]", "$", "URL string"),
            (Some("application/json"), "{", "$", "EOF"),
        ] {
            let error = parse(content_type, body).unwrap_err();
            let Error::Decode { source, .. } = &error else {
                panic!("{error:?}");
            };
            assert_eq!(source.path, path, "{body}");
            let printed = error.to_string();
            assert!(printed.contains(says), "{printed}");
            assert!(
                !printed.contains("login") && !printed.contains("alert"),
                "{printed}"
            );
        }
    }

    #[test]
    fn debug_shows_the_origin_only() {
        let url = parse(None, "https://app.empego.ca/embed/xyz?token=t0p").unwrap();
        assert_eq!(
            format!("{url:?}"),
            "EmbeddableUrl(https://app.empego.ca/[redacted])"
        );
        assert_eq!(url.origin(), "https://app.empego.ca");
    }
}
