//! Credentials: where access tokens come from, how they are cached and refreshed, and where
//! refresh tokens are kept.
//!
//! - [`TokenSource`] fetches a new access token (OAuth refresh, client credentials, a JWT
//!   exchange): one small implementation per grant; [`ClientCredentials`] is the
//!   client-credentials grant, [`JwtBearer`] the JWT-bearer grant (RFC 7523, Health Gorilla),
//!   [`StaticToken`] a fixed token your platform hands you.
//! - [`TokenCache`] reuses a token until shortly before it expires and refreshes it
//!   **single-flight**: however many calls need a token at once, one request is made.
//! - [`TokenStore`] persists what must survive a restart (a rotating refresh token):
//!   [`MemoryTokenStore`] and the atomic, owner-only [`FileTokenStore`].

pub(crate) mod cache;
mod client_credentials;
pub(crate) mod endpoint;
mod jwt_bearer;
mod lease;
mod static_token;
mod store;
pub(crate) mod token;

pub use cache::{FAILURE_BACKOFF, TokenCache};
pub use client_credentials::ClientCredentials;
pub use ehr_runtime::OAuthErrorCode;
pub use jwt_bearer::{
    DEFAULT_ASSERTION_LIFETIME, JWT_BEARER_GRANT, JwtBearer, MAX_ASSERTION_LIFETIME,
};
pub use lease::{
    DEFAULT_LEASE, DEFAULT_LEASE_WAIT, Generation, Lease, LeasedConnection, LeasedTokenStore,
    MemoryLeasedStore,
};
pub use static_token::StaticToken;
pub use store::{FileTokenStore, MemoryTokenStore, StoreError, StoreFuture, StoreLock, TokenStore};
use token::DecodeFailure;
pub use token::{
    AccessToken, AuthError, MAX_TOKEN_LIFETIME, TokenSet, TokenSource, TokenSourceFuture,
};
