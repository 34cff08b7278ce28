//! The OAuth 2.0 JWT-bearer grant (RFC 7523 §2.1): a short-lived assertion signed with the
//! client secret, exchanged for an access token whenever the cache needs a new one. There is no
//! refresh token: a new assertion is signed instead.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use super::endpoint::{ClientGrant, Grant};
use super::{AccessToken, AuthError, TokenSource, TokenSourceFuture};
use crate::Secret;

/// The grant type sent with the assertion.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// The longest an assertion may live: one hour.
pub const MAX_ASSERTION_LIFETIME: Duration = Duration::from_secs(3600);

/// How long an assertion lives unless told otherwise: five minutes, enough for the exchange
/// and short enough that a leaked one is soon useless.
pub const DEFAULT_ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// Fetches tokens with the JWT-bearer grant: for each one, an assertion with the claims
/// `iss` (the client id), `sub` (the subject), `aud` (the token URL, exactly), `iat`, `exp`
/// (at most an hour later) and a unique `jti`, signed HS256 with the client secret, posted
/// form-encoded with `grant_type`, `assertion`, `client_id` and, when set, the space-separated
/// `scope`.
///
/// The token endpoint's `scope` answer is kept in [`AccessToken::scope`]; when it says nothing
/// the requested scope is recorded instead (OAuth 2.0: an omitted `scope` means "as requested").
///
/// ```
/// use ehr_sdk::auth::{JwtBearer, TokenCache};
///
/// let source = JwtBearer::new(
///     "https://sandbox.healthgorilla.com/oauth/token",
///     "client-id",
///     "client-secret",
/// )
/// .subject("admin.login")
/// .scope("user/*.* create_users");
/// let cache = TokenCache::new(source, TokenCache::DEFAULT_SKEW);
/// assert!(!format!("{cache:?}").contains("client-secret"));
/// ```
#[derive(Clone)]
pub struct JwtBearer {
    grant: ClientGrant,
    subject: String,
    lifetime: Duration,
}

/// The claims of an assertion (RFC 7523 §3).
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

impl JwtBearer {
    /// A source asking `token_url` for tokens of `client_id`, whose assertions are signed with
    /// `client_secret`. The subject is the client id until [`subject`](Self::subject) says
    /// otherwise.
    pub fn new(
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<Secret>,
    ) -> Self {
        let client_id = client_id.into();
        Self {
            subject: client_id.clone(),
            grant: ClientGrant::new(token_url.into(), client_id, client_secret.into()),
            lifetime: DEFAULT_ASSERTION_LIFETIME,
        }
    }

    /// The `sub` claim: whom the token acts for (a user's login, or the client id).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = subject.into();
        self
    }

    /// The scopes to ask for, space-separated (none unless set: the server's default).
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.grant.set_scope(scope.into());
        self
    }

    /// How long each assertion is valid (`exp - iat`): clamped to between one second and
    /// [`MAX_ASSERTION_LIFETIME`]; [`DEFAULT_ASSERTION_LIFETIME`] unless set.
    pub fn assertion_lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime.clamp(Duration::from_secs(1), MAX_ASSERTION_LIFETIME);
        self
    }

    /// Sends token requests with `http`.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.grant.http = http;
        self
    }

    /// The subject (`sub`) of this source's assertions.
    pub fn subject_name(&self) -> &str {
        &self.subject
    }

    /// The scopes asked for, space-separated.
    pub fn requested_scope(&self) -> Option<&str> {
        self.grant.scope.as_deref()
    }

    /// A new signed assertion, valid from now for the assertion lifetime.
    fn assertion(&self) -> Result<Secret, AuthError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Claims {
            iss: &self.grant.client_id,
            sub: &self.subject,
            aud: &self.grant.token_url,
            iat: now,
            exp: now.saturating_add(self.lifetime.as_secs()),
            jti: format!("{:032x}", fastrand::u128(..)),
        };
        crate::jwt::sign(&claims, self.grant.client_secret.expose().as_bytes())
            .map(Secret::new)
            .map_err(|e| AuthError::Assertion(e.to_string()))
    }

    async fn request(&self) -> Result<AccessToken, AuthError> {
        let assertion = self.assertion()?;
        self.grant
            .exchange(
                Grant::JWT_BEARER,
                &[
                    ("grant_type", JWT_BEARER_GRANT),
                    ("assertion", assertion.expose()),
                ],
                &[],
                &[assertion.expose()],
            )
            .await
    }
}

impl TokenSource for JwtBearer {
    fn fetch<'a>(&'a self, _rejected: Option<&'a AccessToken>) -> TokenSourceFuture<'a> {
        // No refresh token: a refused or expiring token is replaced by a new assertion.
        Box::pin(self.request())
    }
}

impl fmt::Debug for JwtBearer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("JwtBearer");
        self.grant.debug_fields(&mut f);
        f.field("subject", &self.subject)
            .field("lifetime", &self.lifetime)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Decoded {
        iss: String,
        sub: String,
        aud: String,
        iat: u64,
        exp: u64,
        jti: String,
    }

    fn decode(assertion: &Secret, secret: &str, aud: &str) -> Decoded {
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.set_audience(&[aud]);
        jsonwebtoken::decode::<Decoded>(
            assertion.expose(),
            &jsonwebtoken::DecodingKey::from_secret(secret.as_bytes()).unwrap(),
            &validation,
        )
        .expect("signed HS256 with the client secret")
        .claims
    }

    #[test]
    fn each_assertion_carries_the_claims_and_a_fresh_jti() {
        let url = "https://sandbox.healthgorilla.com/oauth/token";
        let source = JwtBearer::new(url, "cid", "s3cret")
            .subject("dr.who")
            .assertion_lifetime(Duration::from_secs(7200));
        let first = decode(&source.assertion().unwrap(), "s3cret", url);
        let second = decode(&source.assertion().unwrap(), "s3cret", url);
        assert_eq!(
            (first.iss.as_str(), first.sub.as_str(), first.aud.as_str()),
            ("cid", "dr.who", url)
        );
        assert_eq!(first.exp - first.iat, 3600, "clamped to an hour");
        assert_ne!(first.jti, second.jti);
        assert_eq!(first.jti.len(), 32);
    }

    #[test]
    fn the_subject_defaults_to_the_client_id_and_debug_hides_the_secret() {
        let source = JwtBearer::new("https://t/oauth/token", "cid", "s3cret");
        assert_eq!(source.subject_name(), "cid");
        assert!(!format!("{source:?}").contains("s3cret"));
    }
}
