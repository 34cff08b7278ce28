//! The loop every call that leaves the fast path runs: the stages before an attempt
//! (credentials, guard, rate limit), the attempt, then the stages reading its outcome in
//! order (redirect, refresh, retry), until one of them ends the call.

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use ehr_runtime::{CallInfo, Resend};
use reqwest::header::HeaderValue;
use reqwest::{Request, Response};

use super::FacadeTransport;
use super::failure::{self, Failure};
use super::observe;
use crate::retry::{Attempt, is_idempotent};

/// An attempt sent, with what the stages after it need.
pub(super) struct Sent {
    pub(super) outcome: reqwest::Result<Response>,
    /// A copy of the request to send again, or `None` when its body is a stream.
    pub(super) resend: Option<Resend>,
    /// The `Authorization` value the attempt carried.
    pub(super) authorization: Option<HeaderValue>,
}

/// Where a call's loop starts.
pub(super) enum Start {
    /// Before its first attempt.
    Request(Request),
    /// After a first attempt the fast path sent.
    Sent(Sent),
}

/// What a stage decided.
pub(super) enum Step {
    /// Send this request next, after the wait.
    Again { request: Request, wait: Duration },
    /// The call ends with this failure.
    Fail(Failure),
}

/// What one call has been through.
pub(super) struct CallState {
    pub(super) call: CallInfo,
    /// Whether the request may be sent twice without changing the outcome.
    pub(super) repeatable: bool,
    pub(super) started: Instant,
    /// The attempts before the current one.
    pub(super) history: Vec<Attempt>,
    pub(super) redirects: u32,
    /// Whether a refused token was replaced already.
    pub(super) refreshed: bool,
}

impl CallState {
    /// The number of the current attempt (1 for the first).
    pub(super) fn attempt_no(&self) -> u32 {
        self.history.len() as u32 + 1
    }

    /// The current attempt is to be followed by another (told to tracing).
    pub(super) fn retrying(&mut self, attempt: Attempt) {
        observe::retrying(self.call, self.attempt_no(), &attempt);
        self.history.push(attempt);
    }

    /// The call's end with `failure`, carried as its error with the attempts made.
    fn fail(&mut self, failure: Failure) -> Response {
        failure::response(self.call, failure, std::mem::take(&mut self.history))
    }
}

impl FacadeTransport {
    /// The stages before an attempt, in order: credentials (fetching a token when none is
    /// fresh), the guard's verdict, a rate-limit permit. The fast path
    /// ([`Transport::begin`](ehr_runtime::Transport::begin)) is these same stages when none
    /// of them has to wait.
    async fn prepare(
        &self,
        mut request: Request,
        call: CallInfo,
    ) -> Result<(Request, Option<Resend>, Option<HeaderValue>), Failure> {
        let resend = Resend::of(&request);
        let home = self.origin.matches(request.url());
        let bearer = self.bearer(home).await?;
        if home {
            self.attach(&mut request, bearer.as_deref())?;
        }
        self.check(&request, bearer.as_deref())
            .map_err(Failure::Refused)?;
        if let Some(limit) = &self.rate_limit
            && let Some(waited) = limit.wait().await
        {
            observe::rate_limited(call, waited);
        }
        Ok((request, resend, bearer.map(|b| b.header.clone())))
    }

    /// A call from `start` to its final response (see the module documentation).
    pub(super) async fn run(
        &self,
        http: &reqwest::Client,
        start: Start,
        method: &reqwest::Method,
        call: CallInfo,
        started: Instant,
    ) -> Response {
        let mut state = CallState {
            call,
            repeatable: self.repeatable || is_idempotent(method),
            started,
            history: Vec::new(),
            redirects: 0,
            refreshed: false,
        };
        let (mut next, mut first) = match start {
            Start::Request(request) => (Some(request), None),
            Start::Sent(sent) => (None, Some(sent)),
        };
        loop {
            let sent = match first.take() {
                Some(sent) => sent,
                None => {
                    let Some(request) = next.take() else {
                        // Unreachable by construction: every step below sets `next`.
                        return state.fail(Failure::CannotResend);
                    };
                    match self.prepare(request, state.call).await {
                        Ok((request, resend, authorization)) => Sent {
                            outcome: http.execute(request).await,
                            resend,
                            authorization,
                        },
                        Err(failure) => return state.fail(failure),
                    }
                }
            };
            match self.after(sent, &mut state).await {
                ControlFlow::Break(Step::Again { request, wait }) => {
                    if !wait.is_zero() {
                        Box::pin(tokio::time::sleep(wait)).await;
                    }
                    next = Some(request);
                }
                ControlFlow::Break(Step::Fail(failure)) => return state.fail(failure),
                ControlFlow::Continue(response) => return response,
            }
        }
    }

    /// The stages after an attempt, in order: redirect, refresh, retry; an answer none of them
    /// acts on is the call's final response ([`conclude`](Self::conclude)).
    async fn after(&self, sent: Sent, state: &mut CallState) -> ControlFlow<Step, Response> {
        let Sent {
            outcome,
            mut resend,
            authorization,
        } = sent;
        let response = match outcome {
            Ok(response) => response,
            Err(error) => return ControlFlow::Break(self.retry_error(error, resend, state)),
        };
        let response = self.redirect(response, &mut resend, state)?;
        let response = self
            .refresh(response, authorization.as_ref(), resend.as_ref(), state)
            .await?;
        let response = self.retry_answer(response, &mut resend, state)?;
        let history = std::mem::take(&mut state.history);
        ControlFlow::Continue(
            self.conclude(
                state.call,
                response,
                history,
                authorization.as_ref(),
                resend.as_ref(),
            )
            .await,
        )
    }
}
