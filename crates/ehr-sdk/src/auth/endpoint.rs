//! Talking to an OAuth endpoint: one request, its body on success, a typed refusal otherwise.

use super::AuthError;

/// Sends `request` (a form post to a token or revocation endpoint) and returns the body of a
/// successful answer; any other status is [`AuthError::Refused`] with the body as sent (OAuth
/// servers keep error bodies free of secrets: `{"error": "invalid_grant"}`).
pub(crate) async fn send(request: reqwest::RequestBuilder) -> Result<bytes::Bytes, AuthError> {
    let response = request.send().await.map_err(AuthError::Http)?;
    let status = response.status();
    let body = response.bytes().await.map_err(AuthError::Http)?;
    if !status.is_success() {
        return Err(AuthError::Refused {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    Ok(body)
}
