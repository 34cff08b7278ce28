//! A copy of a request kept to send it again.

use std::fmt;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Request, Url, Version};
use smallvec::SmallVec;

/// How many headers a request may have to be copied without allocating for them: a generated
/// `GET` or `DELETE` carries `Accept` and rarely a header parameter.
const INLINE_HEADERS: usize = 2;

/// A copy of a request, to send again after a refreshed token, a redirect or a retry.
///
/// A request without a body or timeout of its own and with at most two headers (nearly every
/// generated `GET` and `DELETE`, before credentials are attached) is copied field by field, its
/// headers kept inline: a transport makes this copy for every call, and `Request::try_clone`
/// would allocate a header map for it (and an extensions map for an empty timeout). Any other
/// request is copied with `Request::try_clone`; one whose body is a stream cannot be copied.
///
/// ```
/// use ehr_runtime::Resend;
///
/// let mut request = reqwest::Request::new(
///     reqwest::Method::GET,
///     "https://api.example/things".parse().unwrap(),
/// );
/// request.headers_mut().insert("accept", "application/json".parse().unwrap());
/// let copy = Resend::of(&request).expect("no streamed body");
/// let again = copy.request();
/// assert_eq!(again.url(), request.url());
/// assert_eq!(again.headers(), request.headers());
/// ```
pub struct Resend(Copy);

enum Copy {
    Bare {
        method: Method,
        url: Url,
        version: Version,
        headers: SmallVec<[(HeaderName, HeaderValue); INLINE_HEADERS]>,
    },
    Request(Request),
}

impl Resend {
    /// A copy of `request`, or `None` when its body is a stream, which cannot be replayed.
    pub fn of(request: &Request) -> Option<Self> {
        if request.body().is_some()
            || request.timeout().is_some()
            || request.headers().len() > INLINE_HEADERS
        {
            return request.try_clone().map(|r| Self(Copy::Request(r)));
        }
        Some(Self(Copy::Bare {
            method: request.method().clone(),
            url: request.url().clone(),
            version: request.version(),
            headers: request
                .headers()
                .iter()
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        }))
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        match &self.0 {
            Copy::Bare { method, .. } => method,
            Copy::Request(request) => request.method(),
        }
    }

    /// The request's URL.
    pub fn url(&self) -> &Url {
        match &self.0 {
            Copy::Bare { url, .. } => url,
            Copy::Request(request) => request.url(),
        }
    }

    /// The request's headers, in order.
    pub fn headers(&self) -> Box<dyn Iterator<Item = (&HeaderName, &HeaderValue)> + '_> {
        match &self.0 {
            Copy::Bare { headers, .. } => Box::new(headers.iter().map(|(n, v)| (n, v))),
            Copy::Request(request) => Box::new(request.headers().iter()),
        }
    }

    /// Every value the request carries (see [`SentValues`](crate::error::SentValues)): its
    /// URL's, its headers' and its body's.
    pub fn sent_values(&self) -> crate::error::SentValues {
        match &self.0 {
            Copy::Bare { url, headers, .. } => {
                let map: HeaderMap = headers.iter().cloned().collect();
                crate::error::SentValues::of_parts(url, &map, None)
            }
            Copy::Request(request) => crate::error::SentValues::of_parts(
                request.url(),
                request.headers(),
                request.body().and_then(reqwest::Body::as_bytes),
            ),
        }
    }

    /// A request to send, equal to the one copied; the copy stays for later attempts.
    pub fn request(&self) -> Request {
        match &self.0 {
            Copy::Bare {
                method,
                url,
                version,
                headers,
            } => bare(
                method.clone(),
                url.clone(),
                *version,
                headers.iter().cloned(),
            ),
            // `try_clone` succeeded once on this request's body, so it succeeds again.
            Copy::Request(request) => request
                .try_clone()
                .unwrap_or_else(|| Request::new(request.method().clone(), request.url().clone())),
        }
    }

    /// The request to send, equal to the one copied.
    pub fn into_request(self) -> Request {
        match self.0 {
            Copy::Bare {
                method,
                url,
                version,
                headers,
            } => bare(method, url, version, headers),
            Copy::Request(request) => request,
        }
    }
}

fn bare(
    method: Method,
    url: Url,
    version: Version,
    headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
) -> Request {
    let mut request = Request::new(method, url);
    *request.version_mut() = version;
    let map: &mut HeaderMap = request.headers_mut();
    for (name, value) in headers {
        map.append(name, value);
    }
    request
}

impl fmt::Debug for Resend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL or headers: they can carry identifiers and credentials.
        f.debug_struct("Resend")
            .field("method", self.method())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, headers: &[(&'static str, &'static str)]) -> Request {
        let mut request = Request::new(method, "https://api.example/a?b=1".parse().unwrap());
        for (name, value) in headers {
            request
                .headers_mut()
                .append(*name, HeaderValue::from_static(value));
        }
        request
    }

    fn same(a: &Request, b: &Request) {
        assert_eq!(a.method(), b.method());
        assert_eq!(a.url(), b.url());
        assert_eq!(a.headers(), b.headers());
        assert_eq!(a.version(), b.version());
        assert_eq!(a.timeout(), b.timeout());
        assert_eq!(
            a.body().and_then(|b| b.as_bytes()),
            b.body().and_then(|b| b.as_bytes())
        );
    }

    #[test]
    fn a_bare_request_is_copied_with_its_headers_and_their_sensitivity() {
        let mut original = request(Method::DELETE, &[("accept", "application/json")]);
        let mut secret = HeaderValue::from_static("k1");
        secret.set_sensitive(true);
        original.headers_mut().append("api-key", secret);
        *original.version_mut() = Version::HTTP_2;
        let copy = Resend::of(&original).unwrap();
        assert!(matches!(copy.0, Copy::Bare { .. }));
        let again = copy.request();
        same(&again, &original);
        assert!(again.headers()["api-key"].is_sensitive());
        same(&copy.into_request(), &original);
    }

    #[test]
    fn repeated_headers_keep_every_value_in_order() {
        let original = request(Method::GET, &[("x-a", "1"), ("x-a", "2")]);
        let again = Resend::of(&original).unwrap().into_request();
        let values: Vec<_> = again.headers().get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "2"]);
    }

    #[test]
    fn requests_with_a_body_timeout_or_many_headers_are_copied_whole() {
        let mut with_body = request(Method::POST, &[("content-type", "application/json")]);
        *with_body.body_mut() = Some(reqwest::Body::from("{\"a\":1}"));
        let mut with_timeout = request(Method::GET, &[]);
        *with_timeout.timeout_mut() = Some(std::time::Duration::from_secs(3));
        let many = request(Method::GET, &[("x-a", "1"), ("x-b", "2"), ("x-c", "3")]);
        for original in [with_body, with_timeout, many] {
            let copy = Resend::of(&original).unwrap();
            assert!(matches!(copy.0, Copy::Request(_)));
            same(&copy.request(), &original);
            same(&copy.into_request(), &original);
        }
    }

    #[test]
    fn a_streamed_body_cannot_be_copied() {
        let mut original = request(Method::POST, &[]);
        let stream = futures::stream::iter([Ok::<_, std::io::Error>(bytes::Bytes::from("x"))]);
        *original.body_mut() = Some(reqwest::Body::wrap_stream(stream));
        assert!(Resend::of(&original).is_none());
    }
}
