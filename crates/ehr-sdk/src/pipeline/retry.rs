//! Stage **retry**: a failed attempt is classed ([`RetryClass`]: by the vendor's guard, or
//! the standard classes) and sent again when its class allows it for the request and the
//! [`RetryPolicy`](crate::retry::RetryPolicy)'s bounds leave room for the wait.

use std::ops::ControlFlow;
use std::time::Duration;

use ehr_runtime::Resend;
use reqwest::Response;

use super::FacadeTransport;
use super::failure::Failure;
use super::observe::describe;
use super::run::{CallState, Step};
use crate::retry::{Attempt, RetryClass};

impl FacadeTransport {
    /// What a transport error leads to: the request again after the backoff, or the call's
    /// failure.
    pub(super) fn retry_error(
        &self,
        error: reqwest::Error,
        resend: Option<Resend>,
        state: &mut CallState,
    ) -> Step {
        let attempt_no = state.attempt_no();
        let wait = self.retry.backoff(attempt_no);
        if RetryClass::of_error(&error).allows_resend(state.repeatable)
            && let Some(again) = resend
            && self.retry.allows(attempt_no, state.started.elapsed(), wait)
        {
            state.retrying(Attempt {
                status: None,
                failure: Some(describe(&error)),
                waited: wait,
            });
            return Step::Again {
                request: again.into_request(),
                wait,
            };
        }
        state.history.push(Attempt {
            status: None,
            failure: Some(describe(&error)),
            waited: Duration::ZERO,
        });
        Step::Fail(Failure::Http(error))
    }

    /// What an answer leads to: the request again after the wait its class names (a
    /// `Retry-After`) or the backoff, or, when it is not to be sent again, the answer passed on.
    pub(super) fn retry_answer(
        &self,
        response: Response,
        resend: &mut Option<Resend>,
        state: &mut CallState,
    ) -> ControlFlow<Step, Response> {
        if response.status().is_success() || resend.is_none() {
            return ControlFlow::Continue(response);
        }
        let class = self
            .classes
            .and_then(|classes| classes(&response))
            .or_else(|| self.guard.as_ref()?.retry_class(&response))
            .unwrap_or_else(|| RetryClass::of_response(&response));
        if !class.allows_resend(state.repeatable) {
            return ControlFlow::Continue(response);
        }
        let attempt_no = state.attempt_no();
        let wait = class
            .wait()
            .unwrap_or_else(|| self.retry.backoff(attempt_no));
        if !self.retry.allows(attempt_no, state.started.elapsed(), wait) {
            return ControlFlow::Continue(response);
        }
        let Some(again) = resend.take() else {
            return ControlFlow::Continue(response);
        };
        state.retrying(Attempt {
            status: Some(response.status().as_u16()),
            failure: None,
            waited: wait,
        });
        ControlFlow::Break(Step::Again {
            request: again.into_request(),
            wait,
        })
    }
}
