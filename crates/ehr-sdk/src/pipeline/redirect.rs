//! Stage **redirect**: a redirect to the origin is followed by sending the same request to
//! `Location` (a 303 with GET and no body, as RFC 9110 says); one to another origin is not,
//! so credentials never leave it.

use std::ops::ControlFlow;

use reqwest::header::{CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use reqwest::{Response, StatusCode};

use super::FacadeTransport;
use super::failure::Failure;
use super::origin::Origin;
use super::run::{CallState, Step};
use ehr_runtime::Resend;

impl FacadeTransport {
    /// What a redirect answer leads to: the request again at `Location` (same origin, within
    /// `max_redirects`) or a failure. Any other answer, a redirect naming no usable
    /// `Location`, and every answer of a pipeline that follows no redirects, is passed on.
    pub(super) fn redirect(
        &self,
        response: Response,
        resend: &mut Option<Resend>,
        state: &mut CallState,
    ) -> ControlFlow<Step, Response> {
        let status = response.status();
        if !self.follow_redirects || !status.is_redirection() || status == StatusCode::NOT_MODIFIED
        {
            return ControlFlow::Continue(response);
        }
        let Some(location) = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| response.url().join(v).ok())
        else {
            return ControlFlow::Continue(response);
        };
        if !self.origin.matches(&location) {
            return ControlFlow::Break(Step::Fail(Failure::CrossOriginRedirect {
                status: status.as_u16(),
                location_origin: Origin::of(&location).to_string(),
            }));
        }
        if state.redirects >= self.max_redirects {
            return ControlFlow::Break(Step::Fail(Failure::TooManyRedirects(self.max_redirects)));
        }
        let Some(mut again) = resend.take().map(Resend::into_request) else {
            return ControlFlow::Break(Step::Fail(Failure::CannotResend));
        };
        state.redirects += 1;
        *again.url_mut() = location;
        if status == StatusCode::SEE_OTHER {
            // 303 See Other: fetch the result with GET, without the body (RFC 9110).
            *again.method_mut() = reqwest::Method::GET;
            *again.body_mut() = None;
            let headers = again.headers_mut();
            for name in [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING] {
                headers.remove(name);
            }
        }
        ControlFlow::Break(Step::Again {
            request: again,
            wait: std::time::Duration::ZERO,
        })
    }
}
