//! The id Elation's `X-On-Behalf-Of` header takes.

use std::fmt;

use super::api::types::{Physician, User};

/// The numeric id of a user to act as: a [`User`]'s `id` from the Users API, or a
/// [`Physician`]'s `user_id`.
///
/// A physician has two ids, and only `user_id` names the user ("If looking up providers via the
/// Physicians API, use user_id, not id"). There is no conversion from a bare number, so a
/// physician's `id` cannot become a `UserId` by accident:
///
/// ```compile_fail
/// # fn f(physician: ehr_sdk::elation::api::types::Physician) {
/// let wrong: ehr_sdk::elation::UserId = physician.id.into(); // does not compile
/// # }
/// ```
///
/// ```
/// # fn f(physician: &ehr_sdk::elation::api::types::Physician, user: &ehr_sdk::elation::api::types::User) -> Result<(), ehr_sdk::elation::NoUserId> {
/// use ehr_sdk::elation::UserId;
///
/// let from_user = UserId::from(user);            // its `id`
/// let from_physician = UserId::try_from(physician)?; // its `user_id`, never its `id`
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserId(i64);

impl UserId {
    /// The `id` of a user from the Users API (`GET /api/2.0/users/`), kept elsewhere, say in a
    /// configuration file. Not a physician's `id`: use [`UserId::try_from`] with the
    /// [`Physician`] for those.
    pub fn from_users_api_id(id: i64) -> UserId {
        UserId(id)
    }

    /// The number sent in `X-On-Behalf-Of`.
    pub fn get(self) -> i64 {
        self.0
    }
}

impl From<&User> for UserId {
    fn from(user: &User) -> Self {
        UserId(user.id)
    }
}

impl TryFrom<&Physician> for UserId {
    type Error = NoUserId;

    /// The physician's `user_id`; an error when the record has none.
    fn try_from(physician: &Physician) -> Result<Self, Self::Error> {
        physician.user_id.map(UserId).ok_or(NoUserId)
    }
}

/// For the generated per-call setter: `.x_on_behalf_of(user_id)`.
impl From<UserId> for i64 {
    fn from(id: UserId) -> i64 {
        id.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A physician record without a `user_id`: it names no user to act as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoUserId;

impl fmt::Display for NoUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the physician record has no user_id, so it names no user to act as")
    }
}

impl std::error::Error for NoUserId {}
