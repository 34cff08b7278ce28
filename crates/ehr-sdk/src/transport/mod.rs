//! The façade's per-call pipeline: credentials, rate limit, redirects, 401 refresh, retries and
//! tracing, as one [`ehr_runtime::Transport`] every generated call goes through.

mod failure;
mod guard;
mod origin;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ehr_runtime::{CallInfo, Transport, TransportFuture};
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
        if self.0.check().is_err() {
            Box::pin(self.0.until_ready()).await;
        }
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
        }
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

    async fn run(
        &self,
        http: &reqwest::Client,
        request: Request,
        call: CallInfo,
        started: Instant,
    ) -> Response {
        let method = request.method().clone();
        let idempotent = is_idempotent(&method);
        let mut next = Some(request);
        let mut history: Vec<Attempt> = Vec::new();
        let mut redirects = 0;
        let mut refreshed = false;
        loop {
            let Some(mut request) = next.take() else {
                // Unreachable by construction: every `continue` below sets `next`.
                return failure::response(call, Failure::CannotResend, history);
            };
            // Keep a copy to re-send, if the body allows it.
            let template = resendable_copy(&request);
            let token = match self.authorize(&mut request).await {
                Ok(token) => token,
                Err(failure) => return failure::response(call, failure, history),
            };
            if let Some(guard) = &self.guard
                && let Err(refusal) = guard.before_send(&request, token.as_ref().map(|b| &b.token))
            {
                return failure::response(call, Failure::Refused(refusal), history);
            }
            if let Some(limit) = &self.rate_limit {
                limit.wait().await;
            }
            let attempt_no = history.len() as u32 + 1;
            let result = http.execute(request).await;
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
                        next = template;
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
                        .conclude(call, response, history, token.as_deref())
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
                let Some(mut again) = template else {
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
                next = again.try_clone();
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
                    next = template;
                    continue;
                }
            }
            return self
                .conclude(call, response, history, token.as_deref())
                .await;
        }
    }

    /// Whether another attempt after `attempt_no`, waiting `wait` first, fits the policy.
    fn may_retry(&self, attempt_no: u32, started: Instant, wait: Duration) -> bool {
        attempt_no < self.retry.max_attempts
            && started.elapsed().saturating_add(wait) <= self.retry.max_elapsed
    }

    /// Attaches credentials when the request goes to the configured origin.
    async fn authorize(&self, request: &mut Request) -> Result<Option<Arc<Bearer>>, Failure> {
        if !self.origin.matches(request.url()) {
            return Ok(None);
        }
        for (name, value) in self.headers.iter() {
            if !request.headers().contains_key(name) {
                request.headers_mut().insert(name.clone(), value.clone());
            }
        }
        match &self.credentials {
            Credentials::None => Ok(None),
            Credentials::Bearer(cache) => {
                let bearer = cache.bearer().await.map_err(Failure::Auth)?;
                request
                    .headers_mut()
                    .insert(AUTHORIZATION, bearer.header.clone());
                Ok(Some(bearer))
            }
            Credentials::Header { name, value } => {
                let mut value = HeaderValue::from_str(value.expose())
                    .map_err(|_| Failure::InvalidCredential)?;
                value.set_sensitive(true);
                request.headers_mut().insert(name.clone(), value);
                Ok(None)
            }
        }
    }
}

impl Transport for FacadeTransport {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: Request,
        call: CallInfo,
    ) -> TransportFuture<'a> {
        let span = tracing::info_span!(
            "ehr.call",
            vendor = call.vendor,
            operation_id = call.operation_id,
            method = %request.method(),
            status = tracing::field::Empty,
            attempts = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let recorder = span.clone();
        Box::pin(
            async move {
                let started = Instant::now();
                let method = request.method().clone();
                let response = self.run(http, request, call, started).await;
                // A refusal the pipeline classified is carried with status 599: record the
                // vendor's status instead.
                let status = ehr_runtime::error::carried_status(&response)
                    .unwrap_or(response.status())
                    .as_u16();
                let attempts = response
                    .extensions()
                    .get::<RetryHistory>()
                    .map_or(1, |h| h.0.len() + 1);
                let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                recorder.record("status", status);
                recorder.record("attempts", attempts);
                recorder.record("latency_ms", latency_ms);
                // Never the URL, headers or body: they can carry credentials and PHI.
                tracing::info!(
                    vendor = call.vendor,
                    operation_id = call.operation_id,
                    method = %method,
                    status,
                    attempts,
                    latency_ms,
                    "ehr call finished"
                );
                Ok(response)
            }
            .instrument(span),
        )
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
    ) -> Response {
        let response = self.finish(response, history, token);
        match &self.guard {
            Some(guard) if !response.status().is_success() => {
                let error =
                    Box::pin(crate::Error::from_response(call.operation_id, response)).await;
                ehr_runtime::carry(guard.refine(error))
            }
            _ => response,
        }
    }

    /// The final response, with the attempts made before it and, when it is a refusal, the
    /// credentials the request carried (so the vendor's text is scrubbed of them).
    fn finish(
        &self,
        mut response: Response,
        history: Vec<Attempt>,
        token: Option<&Bearer>,
    ) -> Response {
        if !history.is_empty() {
            response.extensions_mut().insert(RetryHistory(history));
        }
        if !response.status().is_success() {
            let mut sent: Vec<String> = self
                .headers
                .iter()
                .filter(|(_, v)| v.is_sensitive())
                .filter_map(|(_, v)| v.to_str().ok().map(str::to_string))
                .collect();
            if let Some(token) = token {
                sent.push(token.token.token.expose().to_string());
            }
            if let Credentials::Header { value, .. } = &self.credentials {
                sent.push(value.expose().to_string());
            }
            if !sent.is_empty() {
                response
                    .extensions_mut()
                    .insert(ehr_runtime::error::SentCredentials(sent.into()));
            }
        }
        response
    }
}

/// A copy of `request` to send again (after a 401 refresh, a redirect or a retry), or `None`
/// when its body is a stream, which cannot be replayed.
///
/// A request without a body or timeout of its own (every generated `GET` and `DELETE`) is
/// copied field by field: `Request::try_clone` would also write an empty per-request timeout
/// into the copy's extensions, a map allocated for nothing on every call.
fn resendable_copy(request: &Request) -> Option<Request> {
    if request.body().is_some() || request.timeout().is_some() {
        return request.try_clone();
    }
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
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
