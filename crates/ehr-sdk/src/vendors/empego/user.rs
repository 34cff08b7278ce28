//! The user an Empego session is for, and its `x-integration-user` header.

use std::fmt;

use base64::Engine as _;
use serde::Serialize;

/// The longest `x-integration-user` value sent (4 KiB of base64). Servers cap a request's
/// headers (Spring Boot's default is 8 KiB for all of them); a longer value would be refused
/// with an answer that does not say why, so it is refused here, before sending.
pub const MAX_USER_HEADER: usize = 4096;

/// A user's preferred language (`preferredLanguage`: `FR` or `EN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum Language {
    /// French (`FR`).
    #[serde(rename = "FR")]
    Fr,
    /// English (`EN`).
    #[serde(rename = "EN")]
    En,
}

/// The Empego user a session is for, sent base64-encoded in the `x-integration-user` header.
///
/// Only `userId` is required. What the other fields do depends on whether Empego knows the
/// `userId` (the document's options and scenarios):
///
/// | constructor | sends | Empego does |
/// |---|---|---|
/// | [`existing`](Self::existing) | `userId` | uses the user as it is (no update) |
/// | [`new_user`](Self::new_user) | `userId`, `firstName`, `lastName`, `email` (+ optional) | creates the user, or updates it if it exists |
/// | [`clone_of_key_owner`](Self::clone_of_key_owner) | `userId` | creates the user as a copy of the API key owner's profile |
/// | [`update`](Self::update) + setters | `userId` + what changed | updates the changed fields |
///
/// Creating a user needs first name, last name and email, so [`new_user`](Self::new_user) takes
/// them as arguments: an incomplete new user cannot be built. (An `update` of a `userId` that
/// Empego does not know is answered with
/// [`Refusal::UserCreationFailed`](super::Refusal::UserCreationFailed).)
///
/// The header is standard base64 of the compact JSON, keys in the document's order, exactly as
/// the document's `Buffer.from(JSON.stringify(user)).toString('base64')` makes it:
///
/// ```
/// use ehr_sdk::empego::{IntegrationUser, Language};
///
/// let alice = IntegrationUser::new_user("new_user_456", "Dr. Alice", "Johnson", "alice.johnson@clinic.com")
///     .license_number("MD789123")
///     .preferred_language(Language::En);
/// assert_eq!(
///     alice.to_header()?,
///     "eyJ1c2VySWQiOiJuZXdfdXNlcl80NTYiLCJmaXJzdE5hbWUiOiJEci4gQWxpY2UiLCJsYXN0TmFtZSI6IkpvaG5zb24iLCJlbWFpbCI6ImFsaWNlLmpvaG5zb25AY2xpbmljLmNvbSIsImxpY2Vuc2VOdW1iZXIiOiJNRDc4OTEyMyIsInByZWZlcnJlZExhbmd1YWdlIjoiRU4ifQ=="
/// );
/// assert_eq!(IntegrationUser::existing("existing_user_123").to_header()?, "eyJ1c2VySWQiOiJleGlzdGluZ191c2VyXzEyMyJ9");
///
/// // Refused before anything is sent.
/// assert!(IntegrationUser::existing("").to_header().is_err());
/// # Ok::<(), ehr_sdk::empego::UserHeaderError>(())
/// ```
///
/// `Debug` shows the `userId` and which other fields are set, not their values (names and
/// email addresses are personal data).
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationUser {
    user_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    preferred_language: Option<Language>,
}

impl IntegrationUser {
    fn only_id(user_id: impl Into<String>) -> Self {
        Self {
            user_id: user_id.into(),
            first_name: None,
            last_name: None,
            email: None,
            license_number: None,
            preferred_language: None,
        }
    }

    /// A user Empego already has, used as it is ("Option 2: Use Existing User").
    pub fn existing(user_id: impl Into<String>) -> Self {
        Self::only_id(user_id)
    }

    /// A user to create (or, if the `userId` exists, to update), with the three fields
    /// creation requires ("Option 3"). Add [`license_number`](Self::license_number) (recommended
    /// for healthcare professionals) and [`preferred_language`](Self::preferred_language).
    pub fn new_user(
        user_id: impl Into<String>,
        first_name: impl Into<String>,
        last_name: impl Into<String>,
        email: impl Into<String>,
    ) -> Self {
        Self {
            first_name: Some(first_name.into()),
            last_name: Some(last_name.into()),
            email: Some(email.into()),
            ..Self::only_id(user_id)
        }
    }

    /// A new user whose profile Empego copies from the API key owner's ("Option 4: Clone from
    /// API Key Owner"). The header holds only the `userId`, as for [`existing`](Self::existing):
    /// which of the two happens depends on whether Empego knows the id.
    pub fn clone_of_key_owner(user_id: impl Into<String>) -> Self {
        Self::only_id(user_id)
    }

    /// An update of an existing user: only the fields set with the setters are sent, and
    /// Empego changes those that differ ("Scenario 2: Partial Updates").
    pub fn update(user_id: impl Into<String>) -> Self {
        Self::only_id(user_id)
    }

    /// Sets `firstName`.
    pub fn first_name(mut self, first_name: impl Into<String>) -> Self {
        self.first_name = Some(first_name.into());
        self
    }

    /// Sets `lastName`.
    pub fn last_name(mut self, last_name: impl Into<String>) -> Self {
        self.last_name = Some(last_name.into());
        self
    }

    /// Sets `email`.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets `licenseNumber` (the professional license number).
    pub fn license_number(mut self, license_number: impl Into<String>) -> Self {
        self.license_number = Some(license_number.into());
        self
    }

    /// Sets `preferredLanguage`.
    pub fn preferred_language(mut self, language: Language) -> Self {
        self.preferred_language = Some(language);
        self
    }

    /// The user's id in your system (`userId`).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The `x-integration-user` header value: standard base64 of the compact JSON. Refuses an
    /// empty `userId`, control characters (a line break, say) in any value, and a value
    /// longer than [`MAX_USER_HEADER`].
    pub fn to_header(&self) -> Result<String, UserHeaderError> {
        if self.user_id.trim().is_empty() {
            return Err(UserHeaderError::EmptyUserId);
        }
        let texts = [
            ("userId", Some(&self.user_id)),
            ("firstName", self.first_name.as_ref()),
            ("lastName", self.last_name.as_ref()),
            ("email", self.email.as_ref()),
            ("licenseNumber", self.license_number.as_ref()),
        ];
        for (field, value) in texts {
            if value.is_some_and(|v| v.chars().any(char::is_control)) {
                return Err(UserHeaderError::ControlCharacter { field });
            }
        }
        // Strings and a unit enum, into memory: serde_json fails only on non-string map keys.
        let json = serde_json::to_vec(self).expect("an IntegrationUser always serialises");
        let header = base64::engine::general_purpose::STANDARD.encode(json);
        if header.len() > MAX_USER_HEADER {
            return Err(UserHeaderError::TooLong { len: header.len() });
        }
        Ok(header)
    }
}

impl fmt::Debug for IntegrationUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |v: &Option<String>| if v.is_some() { "[set]" } else { "-" };
        f.debug_struct("IntegrationUser")
            .field("user_id", &self.user_id)
            .field("first_name", &set(&self.first_name))
            .field("last_name", &set(&self.last_name))
            .field("email", &set(&self.email))
            .field("license_number", &set(&self.license_number))
            .field("preferred_language", &self.preferred_language)
            .finish()
    }
}

/// Why an [`IntegrationUser`] cannot be sent as a header.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserHeaderError {
    /// `userId` is empty or blank: Empego requires it.
    EmptyUserId,
    /// A value holds a control character (a line break, a tab, NUL).
    ControlCharacter {
        /// The JSON key of the value (`firstName`).
        field: &'static str,
    },
    /// The encoded header is longer than [`MAX_USER_HEADER`].
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
}

impl fmt::Display for UserHeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserHeaderError::EmptyUserId => {
                f.write_str("the integration user has no userId (Empego requires one)")
            }
            UserHeaderError::ControlCharacter { field } => {
                write!(
                    f,
                    "the integration user's {field} holds a control character"
                )
            }
            UserHeaderError::TooLong { len } => write!(
                f,
                "the x-integration-user header would be {len} bytes, more than the {MAX_USER_HEADER} sent at most"
            ),
        }
    }
}

impl std::error::Error for UserHeaderError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_refused_with_the_field_named() {
        assert_eq!(
            IntegrationUser::existing("  ").to_header(),
            Err(UserHeaderError::EmptyUserId)
        );
        assert_eq!(
            IntegrationUser::update("u1")
                .last_name("Smith\r\nX-Evil: 1")
                .to_header(),
            Err(UserHeaderError::ControlCharacter { field: "lastName" })
        );
        let long = IntegrationUser::update("u1").email("a".repeat(4000));
        assert!(matches!(
            long.to_header(),
            Err(UserHeaderError::TooLong { len }) if len > MAX_USER_HEADER
        ));
    }

    #[test]
    fn debug_shows_the_id_but_no_personal_value() {
        let user = IntegrationUser::new_user("u-7", "Jane", "Smith", "jane@clinic.example");
        let printed = format!("{user:?}");
        assert!(printed.contains("u-7"));
        for value in ["Jane", "Smith", "jane@clinic.example"] {
            assert!(!printed.contains(value), "{printed}");
        }
    }

    #[test]
    fn non_ascii_values_are_sent_as_utf8_like_json_stringify() {
        // JSON.stringify leaves non-ASCII as it is and Buffer.from encodes UTF-8.
        let user = IntegrationUser::update("u1").first_name("Hélène");
        let json = base64::engine::general_purpose::STANDARD
            .decode(user.to_header().unwrap())
            .unwrap();
        assert_eq!(json, r#"{"userId":"u1","firstName":"Hélène"}"#.as_bytes());
    }
}
