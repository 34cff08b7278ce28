//! Origins: where credentials may be sent.

use std::fmt;

use reqwest::Url;

/// A scheme, host and port. Credentials, redirects and `next` links are only followed within
/// one origin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin(url::Origin);

impl Origin {
    /// The origin of `url`.
    pub fn of(url: &Url) -> Self {
        Self(url.origin())
    }

    /// The origin of a base URL such as `https://drchrono.com`.
    pub fn parse(base_url: &str) -> Result<Self, url::ParseError> {
        Ok(Self::of(&Url::parse(base_url)?))
    }

    /// Whether `url` is in this origin.
    pub fn matches(&self, url: &Url) -> bool {
        self.0.is_tuple() && url.origin() == self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.ascii_serialization())
    }
}
