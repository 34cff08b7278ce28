//! `multipart/form-data` requests, which progenitor 0.15 cannot generate, sent through the same
//! runtime (auth, retries, redirects) as every generated call.

use std::fmt;

use ehr_runtime::{CallInfo, Runtime};
use serde::Serialize;
use serde_json::Value;

use crate::Error;

/// A file to upload: its name, media type and bytes.
///
/// `Debug` shows the name, the media type and the size, never the content (it may be PHI).
#[derive(Clone)]
pub struct FilePart {
    file_name: String,
    content_type: String,
    bytes: bytes::Bytes,
}

impl FilePart {
    /// A file named `file_name` holding `bytes`, sent as `application/octet-stream` unless
    /// [`content_type`](Self::content_type) says otherwise.
    pub fn new(file_name: impl Into<String>, bytes: impl Into<bytes::Bytes>) -> Self {
        Self {
            file_name: file_name.into(),
            content_type: "application/octet-stream".into(),
            bytes: bytes.into(),
        }
    }

    /// Sets the media type, e.g. `application/pdf` or `image/jpeg`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.content_type = content_type.into();
        self
    }

    fn into_part(self, operation_id: &'static str) -> Result<reqwest::multipart::Part, Error> {
        let size = self.bytes.len() as u64;
        reqwest::multipart::Part::stream_with_length(reqwest::Body::from(self.bytes), size)
            .file_name(self.file_name)
            .mime_str(&self.content_type)
            .map_err(|e| Error::InvalidRequest {
                operation_id,
                message: format!("bad media type for the file: {e}"),
            })
    }
}

impl fmt::Debug for FilePart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePart")
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// One multipart request: where it goes and what it carries.
pub(crate) struct MultipartCall<'a, F: Serialize> {
    pub(crate) call: CallInfo,
    pub(crate) method: reqwest::Method,
    pub(crate) baseurl: &'a str,
    pub(crate) path: String,
    /// The non-file keys, as the generated JSON body type; each becomes a text field.
    pub(crate) fields: &'a F,
    pub(crate) file_field: &'static str,
    pub(crate) file: FilePart,
}

impl<F: Serialize> MultipartCall<'_, F> {
    /// Sends the request through `runtime` and returns the response if its status is a success.
    pub(crate) async fn send(self, runtime: &Runtime) -> Result<reqwest::Response, Error> {
        let operation_id = self.call.operation_id;
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in text_fields(operation_id, self.fields)? {
            form = form.text(name, value);
        }
        form = form.part(self.file_field, self.file.into_part(operation_id)?);
        let url = format!("{}{}", self.baseurl.trim_end_matches('/'), self.path);
        let request = runtime.http().request(self.method, &url).multipart(form);
        crate::pipeline::send_hand_built(runtime, request, self.call).await
    }
}

/// The keys of `fields` as form fields: strings as they are, numbers and booleans as JSON text,
/// arrays and objects as JSON (as DrChrono asks for `metatags`: `'["a", "b"]'`); absent values
/// are left out.
fn text_fields(
    operation_id: &'static str,
    fields: &impl Serialize,
) -> Result<Vec<(String, String)>, Error> {
    let value = serde_json::to_value(fields).map_err(|e| Error::InvalidRequest {
        operation_id,
        message: format!("cannot encode the fields: {e}"),
    })?;
    let Value::Object(map) = value else {
        return Err(Error::InvalidRequest {
            operation_id,
            message: "the fields are not an object".into(),
        });
    };
    Ok(map
        .into_iter()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::Null => return None,
                Value::String(s) => s,
                other => other.to_string(),
            };
            Some((name, text))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_become_text_and_absent_values_are_left_out() {
        let fields = serde_json::json!({
            "description": "Scan", "doctor": 5, "archived": false,
            "metatags": ["a", "b"], "note": null
        });
        let mut got = text_fields("op", &fields).unwrap();
        got.sort();
        assert_eq!(
            got,
            [
                ("archived".to_string(), "false".to_string()),
                ("description".into(), "Scan".into()),
                ("doctor".into(), "5".into()),
                ("metatags".into(), r#"["a","b"]"#.into()),
            ]
        );
    }

    #[test]
    fn file_part_debug_shows_no_content() {
        let part =
            FilePart::new("chart.pdf", &b"PATIENT: Jane Doe"[..]).content_type("application/pdf");
        let debug = format!("{part:?}");
        assert!(
            debug.contains("chart.pdf") && debug.contains("len: 17"),
            "{debug}"
        );
        assert!(!debug.contains("Jane"), "{debug}");
    }
}
