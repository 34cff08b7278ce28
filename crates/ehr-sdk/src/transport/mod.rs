//! The façade's per-call pipeline: credentials, rate limit, redirects, 401 refresh, retries and
//! tracing, as one [`ehr_runtime::Transport`] every generated call goes through.

mod failure;
mod guard;
mod origin;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ehr_runtime::error::SentValues;
use ehr_runtime::{CallInfo, Finish, Resend, Transport, TransportFuture};
use governor::{DefaultDirectRateLimiter, Quota};
use reqwest::header::{
    AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue,
    LOCATION, RETRY_AFTER,
};
use reqwest::{Request, Response, StatusCode};
use tracing::Instrument;

use crate::Secret;
use crate::auth::TokenCache;
use crate::auth::cache::Bearer;
use crate::retry::{Attempt, RetryPolicy, is_idempotent, retry_after};
pub use ehr_runtime::RetryHistory;

use failure::Failure;
pub use guard::{CallGuard, Refusal};
pub use origin::Origin;

/// How requests are authenticated.
#[derive(Clone)]
pub enum Credentials {
    /// No credentials (token endpoints, public calls).
    None,
    /// `Authorization: Bearer <token>` from a cache, refreshed once on 401.
    Bearer(Arc<TokenCache>),
    /// A fixed header, such as Empego's `Api-key`.
    Header {
        /// The header name.
        name: HeaderName,
        /// Its value.
        value: Secret,
    },
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::None => f.write_str("None"),
            Credentials::Bearer(cache) => f.debug_tuple("Bearer").field(cache).finish(),
            Credentials::Header { name, value } => f
                .debug_struct("Header")
                .field("name", name)
                .field("value", value)
                .finish(),
        }
    }
}

/// A client-side rate limit, so a well-behaved application never sees 429.
#[derive(Clone)]
pub struct RateLimit(Arc<DefaultDirectRateLimiter>);

impl RateLimit {
    /// At most `quota` (a `governor` quota) requests.
    pub fn new(quota: Quota) -> Self {
        Self(Arc::new(DefaultDirectRateLimiter::direct(quota)))
    }

    /// DrChrono's documented default of 500 requests an hour (reset at the top of the hour),
    /// with bursts of at most 10 (its burst limit is about 10 calls a second). Paced at 490 an
    /// hour, so that no 60-minute window, aligned to the hour or not, holds more than 500.
    pub fn drchrono() -> Self {
        let per_hour = std::num::NonZeroU32::new(490).expect("non-zero");
        let burst = std::num::NonZeroU32::new(10).expect("non-zero");
        Self::new(Quota::per_hour(per_hour).allow_burst(burst))
    }

    /// Waits for a permit: none when one is free now (the usual case, decided without a
    /// future), otherwise until the quota allows.
    async fn wait(&self) {
        if !self.try_now() {
            Box::pin(self.0.until_ready()).await;
        }
    }

    /// Takes a permit if one is free now.
    fn try_now(&self) -> bool {
        self.0.check().is_ok()
    }
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RateLimit")
    }
}

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
/// - on a retryable failure (see [`RetryPolicy`]), wait and re-send, within the policy's bounds.
///
/// A request whose body is a stream (an upload) cannot be re-sent: its first response is final.
///
/// A vendor's [`CallGuard`] may refuse a request before it is sent and name 401s that a new
/// token cannot cure (those are not retried); an acting copy (see [`acting`](Self::acting))
/// adds a user's identity to every request.
#[derive(Clone, Debug)]
pub struct FacadeTransport {
    origin: Origin,
    credentials: Credentials,
    retry: RetryPolicy,
    max_redirects: u32,
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

    /// The full path of a call (see the type's documentation), from its request or from the
    /// outcome of a first attempt the fast path sent.
    async fn run(
        &self,
        http: &reqwest::Client,
        start: Start,
        method: &reqwest::Method,
        call: CallInfo,
        started: Instant,
    ) -> Response {
        let idempotent = is_idempotent(method);
        let (mut next, mut first) = match start {
            Start::Request(request) => (Some(request), None),
            Start::Sent(sent) => (None, Some(sent)),
        };
        let mut history: Vec<Attempt> = Vec::new();
        let mut redirects = 0;
        let mut refreshed = false;
        loop {
            let (result, template, token) = match first.take() {
                Some(sent) => (sent.outcome, sent.resend, sent.token),
                None => {
                    let Some(mut request) = next.take() else {
                        // Unreachable by construction: every `continue` below sets `next`.
                        return failure::response(call, Failure::CannotResend, history);
                    };
                    // Keep a copy to re-send, if the body allows it.
                    let template = Resend::of(&request);
                    let token = match self.authorize(&mut request).await {
                        Ok(token) => token,
                        Err(failure) => return failure::response(call, failure, history),
                    };
                    if let Err(refusal) = self.check(&request, token.as_deref()) {
                        return failure::response(call, Failure::Refused(refusal), history);
                    }
                    if let Some(limit) = &self.rate_limit {
                        limit.wait().await;
                    }
                    (http.execute(request).await, template, token)
                }
            };
            let attempt_no = history.len() as u32 + 1;
            let response = match result {
                Ok(response) => response,
                Err(error) => {
                    let before_response = error.is_connect();
                    let retryable = before_response || (idempotent && !error.is_builder());
                    let wait = self.retry.backoff(attempt_no);
                    if retryable && template.is_some() && self.may_retry(attempt_no, started, wait)
                    {
                        let attempt = Attempt {
                            status: None,
                            failure: Some(describe(&error)),
                            waited: wait,
                        };
                        retrying(call, attempt_no, &attempt);
                        history.push(attempt);
                        Box::pin(tokio::time::sleep(wait)).await;
                        next = template.map(Resend::into_request);
                        continue;
                    }
                    history.push(Attempt {
                        status: None,
                        failure: Some(describe(&error)),
                        waited: Duration::ZERO,
                    });
                    return failure::response(call, Failure::Http(error), history);
                }
            };
            let status = response.status();

            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let Some(location) = response
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| response.url().join(v).ok())
                else {
                    return self
                        .conclude(call, response, history, token.as_deref(), template.as_ref())
                        .await;
                };
                if !self.origin.matches(&location) {
                    return failure::response(
                        call,
                        Failure::CrossOriginRedirect {
                            status: status.as_u16(),
                            location_origin: Origin::of(&location).to_string(),
                        },
                        history,
                    );
                }
                if redirects >= self.max_redirects {
                    return failure::response(
                        call,
                        Failure::TooManyRedirects(self.max_redirects),
                        history,
                    );
                }
                let Some(mut again) = template.map(Resend::into_request) else {
                    return failure::response(call, Failure::CannotResend, history);
                };
                redirects += 1;
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
                next = Some(again);
                continue;
            }

            let response = match &self.guard {
                Some(guard) if status == StatusCode::UNAUTHORIZED => {
                    let (response, body) = match Box::pin(buffered(response)).await {
                        Ok(buffered) => buffered,
                        Err(error) => {
                            return failure::response(call, Failure::Http(error), history);
                        }
                    };
                    if let Some(refusal) = guard.unauthorized(&body) {
                        return failure::response(call, Failure::Refused(refusal), history);
                    }
                    response
                }
                _ => response,
            };
            if status == StatusCode::UNAUTHORIZED
                && !refreshed
                && let (Credentials::Bearer(cache), Some(token), Some(again)) =
                    (&self.credentials, token.as_ref(), template.as_ref())
                && cache.can_refresh()
            {
                refreshed = true;
                if let Err(e) = Box::pin(cache.replace_rejected(&token.token)).await {
                    return failure::response(call, Failure::Auth(e), history);
                }
                let attempt = Attempt {
                    status: Some(401),
                    failure: None,
                    waited: Duration::ZERO,
                };
                retrying(call, attempt_no, &attempt);
                history.push(attempt);
                next = Some(again.request());
                continue;
            }

            let retryable_status = matches!(status.as_u16(), 429 | 502 | 503 | 504);
            if retryable_status && idempotent && template.is_some() {
                let wait = if status == StatusCode::TOO_MANY_REQUESTS {
                    response
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(retry_after)
                        .unwrap_or_else(|| self.retry.backoff(attempt_no))
                } else {
                    self.retry.backoff(attempt_no)
                };
                if self.may_retry(attempt_no, started, wait) {
                    let attempt = Attempt {
                        status: Some(status.as_u16()),
                        failure: None,
                        waited: wait,
                    };
                    retrying(call, attempt_no, &attempt);
                    history.push(attempt);
                    drop(response);
                    Box::pin(tokio::time::sleep(wait)).await;
                    next = template.map(Resend::into_request);
                    continue;
                }
            }
            return self
                .conclude(call, response, history, token.as_deref(), template.as_ref())
                .await;
        }
    }

    /// Whether another attempt after `attempt_no`, waiting `wait` first, fits the policy.
    fn may_retry(&self, attempt_no: u32, started: Instant, wait: Duration) -> bool {
        attempt_no < self.retry.max_attempts
            && started.elapsed().saturating_add(wait) <= self.retry.max_elapsed
    }

    /// Attaches credentials when the request goes to the configured origin, fetching a token
    /// when the cached one is not fresh.
    async fn authorize(&self, request: &mut Request) -> Result<Option<Arc<Bearer>>, Failure> {
        if !self.origin.matches(request.url()) {
            return Ok(None);
        }
        let bearer = match &self.credentials {
            Credentials::Bearer(cache) => Some(cache.bearer().await.map_err(Failure::Auth)?),
            _ => None,
        };
        self.attach(request, bearer.as_deref())?;
        Ok(bearer)
    }

    /// Adds the pipeline's headers and credentials (`bearer` for bearer credentials) to a
    /// request to the origin.
    fn attach(&self, request: &mut Request, bearer: Option<&Bearer>) -> Result<(), Failure> {
        for (name, value) in self.headers.iter() {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
        // An identity header set per call (the generated setter) is as sensitive as one the
        // pipeline adds.
        if let Some(guard) = &self.guard {
            for name in guard.identity_headers() {
                if let Some(value) = request.headers_mut().get_mut(name) {
                    value.set_sensitive(true);
                }
            }
        }
        match &self.credentials {
            Credentials::None => {}
            Credentials::Bearer(_) => {
                if let Some(bearer) = bearer {
                    request
                        .headers_mut()
                        .insert(AUTHORIZATION, bearer.header.clone());
                }
            }
            Credentials::Header { name, value } => {
                let mut value = HeaderValue::from_str(value.expose())
                    .map_err(|_| Failure::InvalidCredential)?;
                value.set_sensitive(true);
                request.headers_mut().insert(name.clone(), value);
            }
        }
        Ok(())
    }

    /// The vendor's [`CallGuard`] verdict on a request about to be sent.
    fn check(&self, request: &Request, bearer: Option<&Bearer>) -> Result<(), Refusal> {
        match &self.guard {
            Some(guard) => guard.before_send(request, bearer.map(|b| &b.token)),
            None => Ok(()),
        }
    }

    /// The full path's future, in the call's span, ending with the call's record.
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
                finished(call, &method, &response, started, &recorder);
                Ok(response)
            }
            .instrument(span),
        )
    }
}

/// Where the full path starts.
enum Start {
    /// Before the first attempt.
    Request(Request),
    /// After a first attempt the fast path sent.
    Sent(Sent),
}

/// A first attempt the fast path sent, and what the full path needs to go on from it.
struct Sent {
    outcome: reqwest::Result<Response>,
    resend: Option<Resend>,
    token: Option<Arc<Bearer>>,
}

/// The span of one call: never the URL, headers or body (they can carry credentials and PHI).
fn call_span(call: CallInfo, method: &reqwest::Method) -> tracing::Span {
    tracing::info_span!(
        "ehr.call",
        vendor = call.vendor,
        operation_id = call.operation_id,
        method = %method,
        status = tracing::field::Empty,
        attempts = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

/// Records a call's outcome on its span and as one event.
fn finished(
    call: CallInfo,
    method: &reqwest::Method,
    response: &Response,
    started: Instant,
    span: &tracing::Span,
) {
    // Nobody listens: skip the clock read and the record.
    if span.is_disabled() && !tracing::enabled!(tracing::Level::INFO) {
        return;
    }
    // A refusal the pipeline classified is carried with status 599: record the vendor's status
    // instead.
    let status = match response.status().as_u16() {
        ehr_runtime::error::CARRIER_STATUS => ehr_runtime::error::carried_status(response)
            .unwrap_or(response.status())
            .as_u16(),
        status => status,
    };
    let attempts = response
        .extensions()
        .get::<RetryHistory>()
        .map_or(1, |h| h.0.len() + 1);
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    span.record("status", status);
    span.record("attempts", attempts);
    span.record("latency_ms", latency_ms);
    // Never the URL, headers or body: they can carry credentials and PHI.
    tracing::info!(
        parent: span,
        vendor = call.vendor,
        operation_id = call.operation_id,
        method = %method,
        status,
        attempts,
        latency_ms,
        "ehr call finished"
    );
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
        let span = call_span(call, &method);
        let started = Instant::now();
        self.traced(http, Start::Request(request), method, call, started, span)
    }

    /// The fast path: a request whose body can be copied, a fresh cached token (if any), a free
    /// rate-limit permit (if limited) and no refusal from the guard is sent at once; anything
    /// else takes the full path from the start.
    fn begin(&self, request: &mut Request, call: CallInfo) -> Option<ehr_runtime::Ticket> {
        let started = Instant::now();
        let home = self.origin.matches(request.url());
        let bearer = match &self.credentials {
            Credentials::Bearer(cache) if home => Some(cache.fresh_bearer(started)?),
            _ => None,
        };
        // A stream cannot be copied: the full path knows what that means for each answer.
        let resend = Resend::of(request)?;
        let attached = !home || self.attach(request, bearer.as_deref()).is_ok();
        // Unsendable credentials, refused or limited: the full path fails or refuses it (with
        // its record) or waits for a permit, from the request as it came.
        if !attached
            || self.check(request, bearer.as_deref()).is_err()
            || self
                .rate_limit
                .as_ref()
                .is_some_and(|limit| !limit.try_now())
        {
            *request = resend.into_request();
            return None;
        }
        let method = request.method().clone();
        let span = call_span(call, &method);
        let ticket = ehr_runtime::Ticket {
            resend: Some(resend),
            method,
            started,
            span,
            credential: bearer.map(|b| b as Arc<dyn std::any::Any + Send + Sync>),
        };
        Some(ticket)
    }

    /// A success is the call's answer: recorded here, by reference.
    fn succeeded(&self, response: &Response, ticket: &ehr_runtime::Ticket, call: CallInfo) {
        finished(call, &ticket.method, response, ticket.started, &ticket.span);
    }

    /// Anything but a success goes on along the full path (a success handed here is
    /// recorded and returned, as by [`succeeded`](Transport::succeeded)).
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
                let token = ticket
                    .credential
                    .and_then(|credential| credential.downcast::<Bearer>().ok());
                let sent = Sent {
                    outcome,
                    resend: ticket.resend,
                    token,
                };
                let start = Start::Sent(sent);
                Finish::More(self.traced(
                    http,
                    start,
                    ticket.method,
                    call,
                    ticket.started,
                    ticket.span,
                ))
            }
        }
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

impl FacadeTransport {
    /// The final response: as it is when it is a success; otherwise, when the vendor has a
    /// [`CallGuard`], read here and classified with the guard's
    /// [`refine`](CallGuard::refine), and carried as the call's error.
    ///
    /// Only a failure with a guard awaits anything (the body), in a future of its own, so the
    /// pipeline's future stays small for every successful call.
    async fn conclude(
        &self,
        call: CallInfo,
        response: Response,
        history: Vec<Attempt>,
        token: Option<&Bearer>,
        sent: Option<&Resend>,
    ) -> Response {
        let response = self.finish(response, history, token, sent);
        match &self.guard {
            Some(guard) if !response.status().is_success() => {
                let error =
                    Box::pin(crate::Error::from_response(call.operation_id, response)).await;
                ehr_runtime::carry(guard.refine(error))
            }
            _ => response,
        }
    }

    /// The final response, with the attempts made before it and, when it is a refusal, what
    /// the request carried, so that the vendor's text is scrubbed of it: the credentials
    /// ([`SentCredentials`](ehr_runtime::error::SentCredentials)) and every value of `sent`
    /// (the request as the caller built it: query, path, headers, body) and of the headers the
    /// pipeline added ([`SentValues`](ehr_runtime::error::SentValues)).
    fn finish(
        &self,
        mut response: Response,
        history: Vec<Attempt>,
        token: Option<&Bearer>,
        sent: Option<&Resend>,
    ) -> Response {
        if !history.is_empty() {
            response.extensions_mut().insert(RetryHistory(history));
        }
        if response.status().is_success() {
            return response;
        }
        let identity = self
            .guard
            .as_ref()
            .map_or(&[][..], |g| g.identity_headers());
        let mut credentials: Vec<String> = self
            .headers
            .iter()
            .filter(|(n, v)| v.is_sensitive() || identity.contains(n))
            .filter_map(|(_, v)| v.to_str().ok().map(str::to_string))
            .collect();
        if let Some(sent) = sent {
            credentials.extend(
                sent.headers()
                    .filter(|(n, v)| v.is_sensitive() || identity.contains(n))
                    .filter_map(|(_, v)| v.to_str().ok().map(str::to_string)),
            );
        }
        if let Some(token) = token {
            credentials.push(token.token.token.expose().to_string());
        }
        if let Credentials::Header { value, .. } = &self.credentials {
            credentials.push(value.expose().to_string());
        }
        if !credentials.is_empty() {
            response
                .extensions_mut()
                .insert(ehr_runtime::error::SentCredentials(credentials.into()));
        }
        let added = SentValues::of_header_values(
            self.headers
                .iter()
                .filter(|(n, _)| !sent.is_some_and(|s| s.headers().any(|(m, _)| m == n)))
                .filter_map(|(_, v)| v.to_str().ok()),
        );
        let values = match sent {
            Some(sent) => sent.sent_values().and(&added),
            None => added,
        };
        if !values.is_empty() {
            response.extensions_mut().insert(values);
        }
        response
    }
}

/// Reads the body of `response` and gives back an equivalent response with the body in memory.
async fn buffered(response: Response) -> Result<(Response, bytes::Bytes), reqwest::Error> {
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = http_body_util::BodyExt::collect(body).await?.to_bytes();
    let response = Response::from(http::Response::from_parts(parts, body.clone()));
    Ok((response, body))
}

/// Tells tracing that attempt `attempt_no` of `call` is to be followed by another, after the
/// wait: so retries are visible on calls that end in success too (an operator sees that a
/// `Retry-After` cost 5 s). Never the URL, headers or body.
fn retrying(call: CallInfo, attempt_no: u32, attempt: &Attempt) {
    tracing::info!(
        vendor = call.vendor,
        operation_id = call.operation_id,
        attempt = attempt_no,
        status = attempt.status,
        failure = attempt.failure.as_deref(),
        wait_ms = u64::try_from(attempt.waited.as_millis()).unwrap_or(u64::MAX),
        "ehr call retrying"
    );
}

/// A transport error in words, without its URL (which may carry identifiers).
fn describe(error: &reqwest::Error) -> String {
    let kind = if error.is_connect() {
        "connection failed"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_body() || error.is_decode() {
        "body failed"
    } else {
        "request failed"
    };
    kind.to_string()
}
