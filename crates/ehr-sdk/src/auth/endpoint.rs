//! Talking to an OAuth endpoint: one request, its body on success, a typed refusal otherwise.

use serde::Deserialize;

use super::{AccessToken, AuthError, DecodeFailure, TokenSet};

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
    let response = request.send().await.map_err(http)?;
    let status = response.status();
    let (body, _) = ehr_runtime::error::read_limited(response, MAX_BODY)
        .await
        .map_err(|(_, e)| http(e))?;
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

/// A token endpoint's answer to a grant whose tokens are asked for again rather than refreshed
/// (client credentials, JWT-bearer). Only `access_token` is required; a refresh token, if sent,
/// is not needed.
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: Option<i64>,
    scope: Option<String>,
}

/// Posts `form` to `token_url` and returns the access token it answers with. Its scope is the
/// endpoint's `scope` answer, or `requested` when it says nothing (OAuth 2.0: "as requested").
/// `known` are the credentials the form carries, scrubbed from any refusal.
pub(crate) async fn exchange(
    http: &reqwest::Client,
    token_url: &str,
    form: &[(&str, &str)],
    known: &[&str],
    requested: Option<&str>,
) -> Result<AccessToken, AuthError> {
    let bytes = send(
        http.post(token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form),
        known,
    )
    .await?;
    let answer: TokenResponse = decode(&bytes, serde_json::from_slice(&bytes))?;
    let mut token = TokenSet::from_response(answer.access_token, answer.expires_in, None).access;
    token.scope = answer.scope.or_else(|| requested.map(str::to_string));
    Ok(token)
}
