//! The façade's per-call pipeline: one [`ehr_runtime::Transport`], [`FacadeTransport`], that
//! every generated call goes through, made of named stages around a short loop.
//!
//! | stage | file | before an attempt | after it |
//! |---|---|---|---|
//! | credentials | `credentials.rs` | attach the token (fetched when none is fresh), key and identity headers, to the origin only | |
//! | guard | `guard.rs` | the vendor's refusal, before anything is sent | a 401 no new token cures; the vendor's retry classes and refusals |
//! | rate limit | `rate_limit.rs` | wait for a permit | |
//! | redirect | `redirect.rs` | | follow a same-origin redirect |
//! | refresh | `refresh.rs` | | replace a refused token, once, and send again |
//! | retry | `retry.rs` | | class the failure ([`RetryClass`](crate::retry::RetryClass)), wait, send again |
//! | observe | `observe.rs` | call start (the `ehr.call` span) | each retry, call end |
//!
//! `run.rs` is the loop: the stages before an attempt, the attempt, the stages after it, until
//! one ends the call (`conclude.rs` writes what the final response carries); a failure of the
//! pipeline itself is carried as the call's error (`failure.rs`).
//!
//! The **fast path** is the case in which no stage before the attempt has to wait (a fresh
//! cached token, a free permit, no refusal): [`Transport::begin`] runs those same stages
//! synchronously and the runtime sends the request inline, without a boxed future; a success
//! is the answer, and anything else enters the loop after its first attempt.

mod conclude;
mod credentials;
mod failure;
mod guard;
mod observe;
mod origin;
mod rate_limit;
mod redirect;
mod refresh;
mod retry;
mod run;

use std::sync::Arc;
use std::time::Instant;

use ehr_runtime::{CallInfo, Finish, Resend, Transport, TransportFuture};
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Request, Response};
use tracing::Instrument;

use crate::retry::RetryPolicy;
pub use ehr_runtime::RetryHistory;

pub use credentials::Credentials;
pub use guard::{CallGuard, Refusal};
pub use origin::Origin;
pub use rate_limit::RateLimit;
use run::{Sent, Start};

/// The façade's [`Transport`]: see the module documentation.
///
/// For each call: wait for the rate limiter; attach credentials (only to the configured origin);
/// send; then
/// - on a redirect (301/302/307/308) to the **same origin**, re-send the original request
///   (same method, headers and body) to `Location`, as DrChrono's reference asks (a 303 is
///   followed with a GET without body, as RFC 9110 says); a redirect to
///   another origin is not followed (the call fails with [`crate::Error::Redirect`]) so
///   credentials never leave the origin; at most `max_redirects` are followed;
/// - on 401 with a bearer token, refresh the token once (single-flight) and re-send once;
/// - on a retryable failure (see [`RetryPolicy`] and [`RetryClass`](crate::retry::RetryClass)),
///   wait and re-send, within the policy's bounds.
///
/// A request whose body is a stream (an upload) cannot be re-sent: its first response is final.
///
/// A vendor's [`CallGuard`] may refuse a request before it is sent, name 401s that a new
/// token cannot cure (those are not retried) and class answers for retries; an acting copy
/// (see [`acting`](Self::acting)) adds a user's identity to every request.
#[derive(Clone, Debug)]
pub struct FacadeTransport {
    origin: Origin,
    credentials: Credentials,
    retry: RetryPolicy,
    max_redirects: u32,
    /// Whether redirects are followed at all (OAuth endpoints: not, the redirect is the answer).
    follow_redirects: bool,
    /// Whether every request may be sent twice, whatever its method (a token request that
    /// spends nothing).
    repeatable: bool,
    /// The pipeline's own retry classes, read before the guard's and the standard ones (OAuth
    /// endpoints: a server error is final, see [`send_oauth`]).
    classes: Option<fn(&Response) -> Option<crate::retry::RetryClass>>,
    rate_limit: Option<RateLimit>,
    guard: Option<Arc<dyn CallGuard>>,
    /// Headers added to each request to the origin that lacks them (impersonation).
    headers: Arc<[(HeaderName, HeaderValue)]>,
    decoding: ehr_runtime::decode::Decoding,
}

impl FacadeTransport {
    /// A pipeline for calls to `origin`, with `credentials`.
    pub fn new(origin: Origin, credentials: Credentials) -> Self {
        Self {
            origin,
            credentials,
            retry: RetryPolicy::default(),
            max_redirects: 5,
            follow_redirects: true,
            repeatable: false,
            classes: None,
            rate_limit: None,
            guard: None,
            headers: Arc::new([]),
            decoding: ehr_runtime::decode::Decoding::Tolerant,
        }
    }

    /// Decodes responses as `decoding` says (see [`ehr_runtime::decode`]); acting copies keep
    /// it.
    pub fn with_decoding(mut self, decoding: ehr_runtime::decode::Decoding) -> Self {
        self.decoding = decoding;
        self
    }

    /// Checks every call with `guard`.
    pub fn guard(mut self, guard: impl CallGuard) -> Self {
        self.guard = Some(Arc::new(guard));
        self
    }

    /// A copy of this pipeline acting on behalf of a user (see [`crate::impersonation`]).
    pub fn acting(&self, as_user: crate::impersonation::Impersonation) -> Self {
        use crate::impersonation::Impersonation;
        match as_user {
            Impersonation::Header { name, value } => self.clone().with_header(name, value),
            Impersonation::Credentials(credentials) => {
                let mut acting = self.clone();
                acting.credentials = credentials;
                acting
            }
        }
    }

    /// Adds header `name: value` to every request to the origin that does not already carry a
    /// header of that name (so a per-call value wins), replacing an earlier value this
    /// pipeline added under that name. Mark secret values
    /// [sensitive](HeaderValue::set_sensitive): their text is then scrubbed from vendor errors.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        let mut headers: Vec<_> = self
            .headers
            .iter()
            .filter(|(n, _)| *n != name)
            .cloned()
            .collect();
        headers.push((name, value));
        self.headers = headers.into();
        self
    }

    /// The value of header `name` this pipeline adds to every request, if any.
    pub fn added_header(&self, name: &HeaderName) -> Option<&HeaderValue> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets the retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Sets how many same-origin redirects one call may follow.
    pub fn max_redirects(mut self, max: u32) -> Self {
        self.max_redirects = max;
        self
    }

    /// Paces requests with `limit`.
    ///
    /// The wait for the limiter is not bounded by the retry policy's `max_elapsed`: a quota
    /// such as DrChrono's 500 an hour legitimately holds the 11th call of a burst for seconds
    /// and a batch job's calls for longer, and failing them would only make the caller retry
    /// into the same quota. Bound a call's total time with a timeout of your own
    /// (`tokio::time::timeout`) where that matters; a dropped call leaves the limiter as it was.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// The loop's future, in the call's span, ending with the call's record.
    fn traced<'a>(
        &'a self,
        http: &'a reqwest::Client,
        start: Start,
        method: reqwest::Method,
        call: CallInfo,
        started: Instant,
        span: tracing::Span,
    ) -> TransportFuture<'a> {
        let recorder = span.clone();
        Box::pin(
            async move {
                let response = self.run(http, start, &method, call, started).await;
                observe::end(call, &method, &response, started, &recorder);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

impl Transport for FacadeTransport {
    fn decoding(&self) -> ehr_runtime::decode::Decoding {
        self.decoding
    }

    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: Request,
        call: CallInfo,
    ) -> TransportFuture<'a> {
        let method = request.method().clone();
        let span = observe::start(call, &method, request.url());
        let started = Instant::now();
        self.traced(http, Start::Request(request), method, call, started, span)
    }

    /// The fast path: the stages before an attempt, when none of them has to wait (a request
    /// whose body can be copied, a fresh cached token if any, no refusal from the guard, a free
    /// rate-limit permit if limited); anything else takes the loop from the start, with the
    /// request as it came.
    fn begin(&self, request: &mut Request, call: CallInfo) -> Option<ehr_runtime::Ticket> {
        let started = Instant::now();
        let home = self.origin.matches(request.url());
        let bearer = self.bearer_now(home, started)?;
        // A stream cannot be copied: the loop knows what that means for each answer.
        let resend = Resend::of(request)?;
        let ready = (!home || self.attach(request, bearer.as_deref()).is_ok())
            && self.check(request, bearer.as_deref()).is_ok()
            && self.rate_limit.as_ref().is_none_or(RateLimit::try_now);
        if !ready {
            *request = resend.into_request();
            return None;
        }
        let method = request.method().clone();
        Some(ehr_runtime::Ticket {
            resend: Some(resend),
            span: observe::start(call, &method, request.url()),
            method,
            started,
            authorization: bearer.map(|b| b.header.clone()),
        })
    }

    /// A success is the call's answer: recorded here, by reference.
    fn succeeded(&self, response: &Response, ticket: &ehr_runtime::Ticket, call: CallInfo) {
        observe::end(call, &ticket.method, response, ticket.started, &ticket.span);
    }

    /// Anything but a success enters the loop after its first attempt (a success handed here
    /// is recorded and returned, as by [`succeeded`](Transport::succeeded)).
    fn finish<'a>(
        &'a self,
        http: &'a reqwest::Client,
        outcome: reqwest::Result<Response>,
        ticket: ehr_runtime::Ticket,
        call: CallInfo,
    ) -> Finish<'a> {
        match outcome {
            Ok(response) if response.status().is_success() => {
                self.succeeded(&response, &ticket, call);
                Finish::Done(Ok(response))
            }
            outcome => {
                let sent = Sent {
                    outcome,
                    resend: ticket.resend,
                    authorization: ticket.authorization,
                };
                Finish::More(self.traced(
                    http,
                    Start::Sent(sent),
                    ticket.method,
                    call,
                    ticket.started,
                    ticket.span,
                ))
            }
        }
    }
}

/// Sends a request to an OAuth endpoint (a token request, a revocation) through the pipeline's
/// stages that fit it: no credentials (the form carries them), no guard or rate limit, a
/// redirect handed back as the answer (not followed), and the `ehr.call` span of vendor `oauth`
/// and `operation_id`. Retries follow [`RetryClass`] with the default policy: a request that
/// never reached the server goes again; a 429 goes again after its `Retry-After` only when
/// `repeatable` (a grant that spends nothing: a refresh-token grant may not, its token is spent
/// by the first); a server error is final, because the token cache shares and backs off from
/// a failed fetch ([`FAILURE_BACKOFF`](crate::auth::FAILURE_BACKOFF)) and the next call asks
/// again. A non-2xx answer is returned as it is; a failure of the pipeline (the transport's
/// last error) is the error.
///
/// [`RetryClass`]: crate::retry::RetryClass
pub(crate) async fn send_oauth(
    http: &reqwest::Client,
    request: Request,
    operation_id: &'static str,
    repeatable: bool,
) -> Result<Response, crate::Error> {
    let mut transport = FacadeTransport::new(Origin::of(request.url()), Credentials::None);
    transport.follow_redirects = false;
    transport.repeatable = repeatable;
    transport.classes = Some(|response| {
        response
            .status()
            .is_server_error()
            .then_some(crate::retry::RetryClass::Final)
    });
    let call = CallInfo {
        vendor: observe::OAUTH,
        operation_id,
    };
    let response = match transport.send(http, request, call).await {
        Ok(response) => response,
        Err(source) => return Err(crate::Error::http(operation_id, source, Vec::new())),
    };
    match ehr_runtime::carried(&response) {
        Some(error) => Err(error),
        None => Ok(response),
    }
}

/// Sends a request the façade built by hand (uploads, bulk creates) through `runtime`, as
/// generated calls are sent, and returns the response if its status is a success.
#[cfg(any(feature = "drchrono", feature = "healthgorilla"))]
pub(crate) async fn send_hand_built(
    runtime: &ehr_runtime::Runtime,
    request: reqwest::RequestBuilder,
    call: CallInfo,
) -> Result<Response, crate::Error> {
    let operation_id = call.operation_id;
    let request = request
        .build()
        .map_err(|source| crate::Error::InvalidRequest {
            operation_id,
            message: format!("cannot build the request: {source}"),
        })?;
    let response = runtime
        .execute(request, call)
        .await
        .map_err(|source| crate::Error::http(operation_id, source, Vec::new()))?;
    if response.status().is_success() {
        return Ok(response);
    }
    Err(crate::Error::from_response(operation_id, response).await)
}
