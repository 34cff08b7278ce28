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

    /// Whether `url` is in this origin: same scheme, host and port (a URL's origin, compared
    /// without building it, which would copy the host on every call).
    pub fn matches(&self, url: &Url) -> bool {
        use url::Host;
        let url::Origin::Tuple(scheme, host, port) = &self.0 else {
            return false;
        };
        let same_host = match (url.host(), host) {
            (Some(Host::Domain(a)), Host::Domain(b)) => a == b,
            (Some(Host::Ipv4(a)), Host::Ipv4(b)) => a == *b,
            (Some(Host::Ipv6(a)), Host::Ipv6(b)) => a == *b,
            _ => false,
        };
        url.scheme() == scheme && same_host && url.port_or_known_default() == Some(*port)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.ascii_serialization())
    }
}

#[cfg(test)]
mod tests {
    use super::Origin;
    use reqwest::Url;

    #[test]
    fn matches_exactly_the_urls_of_its_origin() {
        let origin = Origin::parse("https://drchrono.com").unwrap();
        let url = |s: &str| Url::parse(s).unwrap();
        for same in [
            "https://drchrono.com/api/patients?page=2",
            "https://DRCHRONO.com:443/x",
            "https://drchrono.com",
        ] {
            assert!(origin.matches(&url(same)), "{same}");
            assert_eq!(Origin::of(&url(same)), origin, "{same}");
        }
        for other in [
            "http://drchrono.com/api",
            "https://drchrono.com:8443/api",
            "https://app.drchrono.com/api",
            "https://drchrono.com.evil.example/api",
            "https://user@evil.example/@drchrono.com",
            "file:///api",
            "blob:https://drchrono.com/x",
        ] {
            assert!(!origin.matches(&url(other)), "{other}");
        }
        let ip = Origin::parse("http://127.0.0.1:8080").unwrap();
        assert!(ip.matches(&url("http://127.0.0.1:8080/a")));
        assert!(!ip.matches(&url("http://127.0.0.2:8080/a")));
        let v6 = Origin::parse("http://[::1]:80").unwrap();
        assert!(v6.matches(&url("http://[::1]/a")));
    }
}
