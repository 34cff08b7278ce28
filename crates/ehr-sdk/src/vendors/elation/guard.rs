//! Elation's rules, checked around each call: the resource scope a call needs, the
//! `act_as_user` scope impersonation needs, and the two impersonation 401s (recognised in
//! `refusal.rs`).

use reqwest::Request;
use reqwest::header::HeaderName;

use super::scopes::{Access, GrantedScopes, Resource, Scope};
use crate::auth::AccessToken;
use crate::pipeline::{CallGuard, Refusal};
use crate::runtime::error::RefusalCode;

/// The impersonation header.
pub(super) const ON_BEHALF_OF: HeaderName = HeaderName::from_static("x-on-behalf-of");

/// The headers naming who a call is made for.
static IDENTITY: [HeaderName; 1] = [ON_BEHALF_OF];

/// Where resource paths start.
const API_PREFIX: &str = "/api/2.0/";

/// Checks Elation calls against the token's granted scopes.
///
/// The scope a call needs comes from its path and method, as the Token Scopes document
/// defines it: the first path segment after `/api/2.0/` is the resource (nested endpoints go
/// with their parent), GET reads and every other method writes. Paths whose resource has no
/// documented scope (`users`) are left to the server. A token whose grant is unknown (the token
/// endpoint did not say, and no scope was asked for, which means `apiv2`) passes, and so does a
/// token whose grant is in a naming the SDK cannot read (`vitals_read …`, as a real 2019 token
/// had): the guard refuses only what it knows is missing.
#[derive(Debug, Default)]
pub(super) struct ElationGuard;

impl ElationGuard {
    /// The scope `request` needs, if its resource has scopes.
    pub(super) fn needed(request: &Request) -> Option<(Resource, Access)> {
        let path = request.url().path();
        let rest = &path[path.find(API_PREFIX)? + API_PREFIX.len()..];
        let resource = Resource::from_name(rest.split('/').next()?)?;
        Some((resource, Access::of_method(request.method())))
    }
}

impl CallGuard for ElationGuard {
    fn identity_headers(&self) -> &[HeaderName] {
        &IDENTITY
    }

    fn before_send(&self, request: &Request, token: Option<&AccessToken>) -> Result<(), Refusal> {
        let Some(granted) = token.and_then(|t| t.scope.as_deref()) else {
            return Ok(());
        };
        let granted = GrantedScopes::parse(granted);
        // A grant in a naming this SDK cannot read: refuse nothing, the server decides.
        if !granted.is_readable() {
            return Ok(());
        }
        if request.headers().contains_key(ON_BEHALF_OF) && !granted.contains(Scope::ACT_AS_USER) {
            return Err(Refusal::MissingScope(Scope::ACT_AS_USER.to_string()));
        }
        if let Some((resource, access)) = Self::needed(request)
            && !granted.allows(resource, access)
            && let Some(scope) = Scope::for_access(resource, access)
        {
            return Err(Refusal::MissingScope(scope.to_string()));
        }
        Ok(())
    }

    fn refusal(&self, status: reqwest::StatusCode, body: &[u8]) -> Option<RefusalCode> {
        super::Refusal::recognise(status, body).map(super::Refusal::code)
    }
}
