//! What an attempt ended in, as far as sending it again goes.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};

/// The class of an attempt's outcome that decides whether it is sent again.
///
/// The pipeline classifies each failed attempt with [`of_error`](Self::of_error) or
/// [`of_response`](Self::of_response), unless the vendor's
/// [`CallGuard::retry_class`](crate::pipeline::CallGuard::retry_class) names a class of its own
/// for a response, then asks [`allows_resend`](Self::allows_resend) and the
/// [`RetryPolicy`](super::RetryPolicy)'s bounds.
///
/// ```
/// use ehr_sdk::retry::RetryClass;
///
/// // A connection that was never made: any method may go again.
/// assert!(RetryClass::NotSent.allows_resend(false));
/// // A 503 after a POST may mean the server acted on it: not sent twice.
/// assert!(!RetryClass::Transient.allows_resend(false));
/// assert!(RetryClass::Transient.allows_resend(true));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryClass {
    /// The request never reached the server (the connection could not be made): sending it
    /// again cannot repeat anything, whatever the method.
    NotSent,
    /// The server asks the client to slow down (429), with the wait its `Retry-After` gives
    /// (seconds or an HTTP date), if any; otherwise the policy's backoff.
    Throttled(Option<Duration>),
    /// A failure that may pass: 502, 503 or 504, a timeout, a connection lost after the
    /// request was sent.
    Transient,
    /// Sending again cannot help (any other status, 500 included: a server error the server
    /// does not call temporary; a request that could not be built).
    Final,
}

impl RetryClass {
    /// The class of a transport error: [`NotSent`](Self::NotSent) when the connection failed,
    /// [`Final`](Self::Final) when the request could not be built, [`Transient`](Self::Transient)
    /// otherwise (the request may have reached the server).
    pub fn of_error(error: &reqwest::Error) -> Self {
        if error.is_connect() {
            Self::NotSent
        } else if error.is_builder() {
            Self::Final
        } else {
            Self::Transient
        }
    }

    /// The class of an answer, by its status: 429 [`Throttled`](Self::Throttled) (with its
    /// `Retry-After`), 502, 503 and 504 [`Transient`](Self::Transient), anything else
    /// [`Final`](Self::Final).
    pub fn of_response(response: &Response) -> Self {
        match response.status() {
            StatusCode::TOO_MANY_REQUESTS => Self::Throttled(
                response
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(super::retry_after),
            ),
            StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT => Self::Transient,
            _ => Self::Final,
        }
    }

    /// Whether an attempt of this class may be sent again. `repeatable`: the request may be
    /// sent twice without changing the outcome (an idempotent method, or a token request that
    /// spends nothing); only [`NotSent`](Self::NotSent) goes again without it.
    pub fn allows_resend(self, repeatable: bool) -> bool {
        match self {
            Self::NotSent => true,
            Self::Throttled(_) | Self::Transient => repeatable,
            Self::Final => false,
        }
    }

    /// The wait this class names (a `Retry-After`), if any.
    pub fn wait(self) -> Option<Duration> {
        match self {
            Self::Throttled(wait) => wait,
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> Response {
        let mut response = http::Response::builder().status(status);
        if let Some(value) = retry_after {
            response = response.header(RETRY_AFTER, value);
        }
        Response::from(response.body("").unwrap())
    }

    #[test]
    fn statuses_are_classed_as_the_policy_documents() {
        assert_eq!(
            RetryClass::of_response(&answer(429, Some("7"))),
            RetryClass::Throttled(Some(Duration::from_secs(7)))
        );
        assert_eq!(
            RetryClass::of_response(&answer(429, None)),
            RetryClass::Throttled(None)
        );
        for status in [502, 503, 504] {
            assert_eq!(
                RetryClass::of_response(&answer(status, None)),
                RetryClass::Transient
            );
        }
        for status in [200, 400, 401, 404, 500, 501] {
            assert_eq!(
                RetryClass::of_response(&answer(status, None)),
                RetryClass::Final
            );
        }
    }

    #[test]
    fn only_a_request_that_never_reached_the_server_goes_again_unrepeatable() {
        for class in [
            RetryClass::Throttled(None),
            RetryClass::Transient,
            RetryClass::Final,
        ] {
            assert!(!class.allows_resend(false), "{class:?}");
        }
        assert!(RetryClass::NotSent.allows_resend(false));
        assert!(!RetryClass::Final.allows_resend(true));
    }
}
