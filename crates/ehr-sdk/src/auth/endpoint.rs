//! Talking to an OAuth endpoint: one request, its body on success, a typed refusal otherwise.

use serde::Deserialize;

use super::{AccessToken, AuthError, DecodeFailure, TokenSet};

/// The most of a token endpoint's answer that is read (64 KiB, as for API errors).
const MAX_BODY: usize = ehr_runtime::MAX_ERROR_BODY;

/// What a request to an OAuth endpoint is, for the pipeline it goes through: its name in
/// traces (the `operation_id` of its `ehr.call` span, whose `vendor` is `oauth`) and whether
/// it may be sent twice once it may have reached the server.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grant {
    operation_id: &'static str,
    repeatable: bool,
    /// Its `grant` label in [`TOKEN_REFRESHES`](crate::telemetry::TOKEN_REFRESHES), when it
    /// asks for a new access token to replace one (not for a code exchange or a revocation).
    refreshes: Option<&'static str>,
}

impl Grant {
    /// Its name in traces and errors (`oauth_token_refresh`, …), for the vendors whose public
    /// calls name a grant (DrChrono's OAuth calls, Elation's `granted_scopes`).
    #[cfg_attr(not(any(feature = "drchrono", feature = "elation")), allow(dead_code))]
    pub(crate) const fn operation_id(self) -> &'static str {
        self.operation_id
    }

    /// The client-credentials grant: asking again spends nothing.
    pub(crate) const CLIENT_CREDENTIALS: Grant = Grant {
        operation_id: "oauth_token_client_credentials",
        repeatable: true,
        refreshes: Some("client_credentials"),
    };
    /// The JWT-bearer grant: never sent twice once it may have reached the server (the
    /// assertion's `jti` is single-use; the next fetch signs a new one).
    pub(crate) const JWT_BEARER: Grant = Grant {
        operation_id: "oauth_token_jwt_bearer",
        repeatable: false,
        refreshes: Some("jwt_bearer"),
    };
    /// The refresh-token grant: never sent twice once it may have reached the server (a
    /// rotating refresh token is spent by the first).
    #[cfg(feature = "drchrono")]
    pub(crate) const REFRESH_TOKEN: Grant = Grant {
        operation_id: "oauth_token_refresh",
        repeatable: false,
        refreshes: Some("refresh_token"),
    };
    /// The authorization-code grant: never sent twice once it may have reached the server (a
    /// code is single-use).
    #[cfg(feature = "drchrono")]
    pub(crate) const AUTHORIZATION_CODE: Grant = Grant {
        operation_id: "oauth_token_authorization_code",
        repeatable: false,
        refreshes: None,
    };
    /// Token revocation (RFC 7009): revoking twice is revoking once.
    #[cfg(feature = "drchrono")]
    pub(crate) const REVOKE: Grant = Grant {
        operation_id: "oauth_revoke",
        repeatable: true,
        refreshes: None,
    };
}

/// Sends `request` (a form post to a token or revocation endpoint) through the pipeline's
/// stages for OAuth endpoints ([`pipeline::send_oauth`](crate::pipeline::send_oauth): traced,
/// retried as `grant` allows) and returns the body of a successful answer; any other status is
/// [`AuthError::Refused`], its OAuth message scrubbed of `known` (the credentials the form
/// carried) and of anything shaped like a credential. Transport errors are kept without the
/// URL.
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    grant: Grant,
    known: &[&str],
) -> Result<bytes::Bytes, AuthError> {
    let answer = send_unrecorded(request, grant, known).await;
    if let Some(label) = grant.refreshes {
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(AuthError::Refused { .. }) => "refused",
            Err(_) => "failed",
        };
        crate::telemetry::token_refreshed(label, outcome);
    }
    answer
}

/// [`send`] without its record in the metrics.
async fn send_unrecorded(
    request: reqwest::RequestBuilder,
    grant: Grant,
    known: &[&str],
) -> Result<bytes::Bytes, AuthError> {
    let http_error = |e: reqwest::Error| AuthError::Http(e.without_url());
    let (client, request) = request.build_split();
    let request = request.map_err(http_error)?;
    let response =
        crate::pipeline::send_oauth(&client, request, grant.operation_id, grant.repeatable)
            .await
            .map_err(|error| match error {
                ehr_runtime::Error::Http { source, .. } => AuthError::Http(source),
                other => AuthError::Unavailable {
                    reason: other.to_string(),
                    retry_in: std::time::Duration::ZERO,
                },
            })?;
    let status = response.status();
    let (body, _) = ehr_runtime::error::read_limited(response, MAX_BODY)
        .await
        .map_err(|(_, e)| http_error(e))?;
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

/// What a grant made with a client id and secret holds (the client-credentials and JWT-bearer
/// grants): the token URL, the client's id and secret, the scopes asked for and the HTTP
/// client; and the one exchange both make.
#[derive(Clone)]
pub(crate) struct ClientGrant {
    pub(crate) token_url: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: crate::Secret,
    pub(crate) scope: Option<String>,
    pub(crate) http: reqwest::Client,
}

impl ClientGrant {
    /// A grant asking `token_url` for tokens of `client_id`, with the default HTTP client and
    /// no scope.
    pub(crate) fn new(token_url: String, client_id: String, client_secret: crate::Secret) -> Self {
        Self {
            token_url,
            client_id,
            client_secret,
            scope: None,
            http: ehr_runtime::default_http_client(),
        }
    }

    /// Asks for `scope` (space-separated; empty: the server's default).
    pub(crate) fn set_scope(&mut self, scope: String) {
        self.scope = (!scope.is_empty()).then_some(scope);
    }

    /// Posts `head`, `client_id`, `tail` and the scope (when set), form-encoded, and returns the
    /// access token of the answer. A refusal is scrubbed of the client secret and `known`
    /// (the other credentials the form carries).
    pub(crate) async fn exchange(
        &self,
        grant: Grant,
        head: &[(&str, &str)],
        tail: &[(&str, &str)],
        known: &[&str],
    ) -> Result<AccessToken, AuthError> {
        let mut form = head.to_vec();
        form.push(("client_id", &self.client_id));
        form.extend_from_slice(tail);
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let mut scrub = vec![self.client_secret.expose()];
        scrub.extend_from_slice(known);
        exchange(
            &self.http,
            &self.token_url,
            grant,
            &form,
            &scrub,
            self.scope.as_deref(),
        )
        .await
    }

    /// Writes the grant's fields into `f` (the secret as `[redacted]`).
    pub(crate) fn debug_fields(&self, f: &mut std::fmt::DebugStruct<'_, '_>) {
        f.field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("scope", &self.scope);
    }
}

/// Posts `form` to `token_url` and returns the access token it answers with. Its scope is the
/// endpoint's `scope` answer, or `requested` when it says nothing (OAuth 2.0: "as requested").
/// `known` are the credentials the form carries, scrubbed from any refusal.
async fn exchange(
    http: &reqwest::Client,
    token_url: &str,
    grant: Grant,
    form: &[(&str, &str)],
    known: &[&str],
    requested: Option<&str>,
) -> Result<AccessToken, AuthError> {
    let bytes = send(
        http.post(token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(form),
        grant,
        known,
    )
    .await?;
    let answer: TokenResponse = decode(&bytes, serde_json::from_slice(&bytes))?;
    let mut token = TokenSet::from_response(answer.access_token, answer.expires_in, None).access;
    token.scope = answer.scope.or_else(|| requested.map(str::to_string));
    Ok(token)
}
