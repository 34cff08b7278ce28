//! Stage **refresh**: a 401 the vendor's guard does not name as a documented refusal replaces
//! the refused
//! bearer token (single-flight: a burst of 401s makes one refresh) and sends the request again,
//! once per call.

use std::ops::ControlFlow;

use ehr_runtime::Resend;
use reqwest::header::HeaderValue;
use reqwest::{Response, StatusCode};

use super::FacadeTransport;
use super::credentials::Credentials;
use super::failure::Failure;
use super::run::{CallState, Step};
use crate::retry::Attempt;

impl FacadeTransport {
    /// What a 401 leads to: the request again with a new token. Any other answer, and a 401
    /// that no new token can follow (a refusal the vendor's guard recognises in its body, no
    /// bearer token, a source that cannot refresh, a body that cannot be copied, a second
    /// 401), is passed on.
    pub(super) async fn refresh(
        &self,
        response: Response,
        authorization: Option<&HeaderValue>,
        resend: Option<&Resend>,
        state: &mut CallState,
    ) -> ControlFlow<Step, Response> {
        if response.status() != StatusCode::UNAUTHORIZED {
            return ControlFlow::Continue(response);
        }
        let response = match &self.guard {
            Some(guard) => {
                let (response, body) = match Box::pin(buffered(response)).await {
                    Ok(buffered) => buffered,
                    Err(error) => return ControlFlow::Break(Step::Fail(Failure::Http(error))),
                };
                if guard.refusal(StatusCode::UNAUTHORIZED, &body).is_some() {
                    return ControlFlow::Continue(response);
                }
                response
            }
            None => response,
        };
        let (Credentials::Bearer(cache), Some(authorization), Some(again)) =
            (&self.credentials, authorization, resend)
        else {
            return ControlFlow::Continue(response);
        };
        if state.refreshed || !cache.can_refresh() {
            return ControlFlow::Continue(response);
        }
        state.refreshed = true;
        if let Err(e) = Box::pin(cache.replace_refused(authorization)).await {
            return ControlFlow::Break(Step::Fail(Failure::Auth(e)));
        }
        state.retrying(Attempt {
            status: Some(401),
            failure: None,
            waited: std::time::Duration::ZERO,
        });
        ControlFlow::Break(Step::Again {
            request: again.request(),
            wait: std::time::Duration::ZERO,
        })
    }
}

/// Reads the body of `response` and gives back an equivalent response with the body in memory.
async fn buffered(response: Response) -> Result<(Response, bytes::Bytes), reqwest::Error> {
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = http_body_util::BodyExt::collect(body).await?.to_bytes();
    let response = Response::from(http::Response::from_parts(parts, body.clone()));
    Ok((response, body))
}
