//! Talking to an OAuth endpoint: one request, its body on success, a typed refusal otherwise.

use super::{AuthError, DecodeFailure};

/// The most of a token endpoint's answer that is read (64 KiB, as for API errors).
const MAX_BODY: usize = ehr_runtime::MAX_ERROR_BODY;

/// Sends `request` (a form post to a token or revocation endpoint) and returns the body of a
/// successful answer; any other status is [`AuthError::Refused`], its OAuth message scrubbed
/// of `known` (the credentials the form carried) and of anything shaped like a credential.
/// Transport errors are kept without the URL.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    known: &[&str],
) -> Result<bytes::Bytes, AuthError> {
    let http = |e: reqwest::Error| AuthError::Http(e.without_url());
    let mut response = request.send().await.map_err(http)?;
    let status = response.status();
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(http)? {
        if body.len() + chunk.len() > MAX_BODY {
            body.extend_from_slice(&chunk[..MAX_BODY - body.len()]);
            break;
        }
        body.extend_from_slice(&chunk);
    }
    let body = bytes::Bytes::from(body);
    if !status.is_success() {
        return Err(AuthError::refused(status, body, known));
    }
    Ok(body)
}

/// Decodes a token endpoint's answer; a failure names the JSON path, never the value (which
/// could be a token).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(
    body: &[u8],
    decoded: serde_json::Result<T>,
) -> Result<T, AuthError> {
    decoded.map_err(|e| AuthError::Decode(DecodeFailure::new(body, &e)))
}
