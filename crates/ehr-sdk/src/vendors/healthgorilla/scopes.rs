//! The scopes a Health Gorilla token asks for.

use std::borrow::Cow;
use std::fmt;

/// One OAuth scope, as Health Gorilla spells it. The ones its documentation names are
/// constants; [`Scope::new`] makes any other.
///
/// ```
/// use ehr_sdk::healthgorilla::Scope;
///
/// let scopes = [Scope::USER_ALL, Scope::CREATE_USERS, Scope::new("patient360").unwrap()];
/// assert_eq!(scopes[1].as_str(), "create_users");
/// assert!(Scope::new("two words").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Scope(Cow<'static, str>);

impl Scope {
    /// `user/*.*`: read and write every resource the user may (the vendor's examples).
    pub const USER_ALL: Scope = Scope(Cow::Borrowed("user/*.*"));
    /// `patient360`: Patient360 queries (the vendor's examples).
    pub const PATIENT360: Scope = Scope(Cow::Borrowed("patient360"));
    /// `create_users`: required to create users through PractitionerRole (the clinical-user
    /// document). Creating a user without it is refused before sending.
    pub const CREATE_USERS: Scope = Scope(Cow::Borrowed("create_users"));
    /// `practitioner.read`: Practitioner search and read (the developer portal).
    pub const PRACTITIONER_READ: Scope = Scope(Cow::Borrowed("practitioner.read"));

    /// A scope of another name; `None` when it is empty or holds whitespace or control
    /// characters (scopes are sent space-separated).
    pub fn new(scope: impl Into<String>) -> Option<Scope> {
        let scope = scope.into();
        let valid = !scope.is_empty()
            && !scope
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\\');
        valid.then_some(Scope(Cow::Owned(scope)))
    }

    /// The scope as sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `granted` (space-separated, as a token endpoint answers) holds this scope.
    pub fn is_in(&self, granted: &str) -> bool {
        granted.split_whitespace().any(|s| s == self.as_str())
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
