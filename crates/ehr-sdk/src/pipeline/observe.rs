//! Stage **observe**: the one place that sees a call start, each attempt sent again, and the
//! call end, and tells tracing and the metrics recorder (see [`crate::telemetry`] for the
//! names). Never the URL, headers or body: they can carry credentials and PHI.

use std::time::{Duration, Instant};

use ehr_runtime::{CallInfo, ErrorKind, RetryHistory};
use reqwest::Response;
use tracing::field::Empty;

use crate::retry::Attempt;
use crate::telemetry;

/// The `vendor` of a request to an OAuth endpoint.
pub(super) const OAUTH: &str = "oauth";

/// Call start: the span of one call, `ehr.call`, with OpenTelemetry's HTTP client attributes
/// known before it is sent; its status, error type, attempts and latency are recorded at the
/// end. Entered while each attempt is sent.
pub(super) fn start(call: CallInfo, method: &reqwest::Method, url: &reqwest::Url) -> tracing::Span {
    let span = tracing::info_span!(
        "ehr.call",
        otel.name = Empty,
        otel.kind = "client",
        vendor = call.vendor,
        operation_id = call.operation_id,
        http.request.method = method.as_str(),
        server.address = Empty,
        server.port = Empty,
        url.template = Empty,
        http.response.status_code = Empty,
        error.type = Empty,
        attempts = Empty,
        latency_ms = Empty,
    );
    if span.is_disabled() {
        return span;
    }
    if let Some(host) = url.host_str() {
        span.record("server.address", host);
    }
    if let Some(port) = url.port() {
        span.record("server.port", port);
    }
    // A token endpoint's path holds no ids: it is its own template.
    let template = match call.vendor {
        OAUTH => Some(url.path()),
        vendor => crate::vendors::path_template(vendor, call.operation_id),
    };
    match template {
        Some(template) => {
            span.record("url.template", template);
            span.record("otel.name", format!("{method} {template}"));
        }
        None => {
            span.record("otel.name", method.as_str());
        }
    }
    span
}

/// An attempt to be followed by another, after the wait (`ehr call retrying`): so retries are
/// visible on calls that end in success too (an operator sees that a `Retry-After` cost 5 s).
pub(super) fn retrying(call: CallInfo, attempt_no: u32, attempt: &Attempt) {
    telemetry::retried(call);
    tracing::info!(
        vendor = call.vendor,
        operation_id = call.operation_id,
        attempt = attempt_no,
        status = attempt.status,
        failure = attempt.failure.as_deref(),
        wait_ms = millis(attempt.waited),
        "ehr call retrying"
    );
}

/// The call was held `waited` by the client-side rate limit.
pub(super) fn rate_limited(call: CallInfo, waited: Duration) {
    telemetry::rate_limit_waited(call, waited);
    tracing::debug!(
        vendor = call.vendor,
        operation_id = call.operation_id,
        wait_ms = millis(waited),
        "ehr call held by the rate limit"
    );
}

/// Call end: the outcome recorded on the call's span, as one event (`ehr call finished`) and
/// in the metrics.
pub(super) fn end(
    call: CallInfo,
    method: &reqwest::Method,
    response: &Response,
    started: Instant,
    span: &tracing::Span,
) {
    // Nobody listens: skip the clock read and the record.
    if span.is_disabled()
        && !tracing::enabled!(tracing::Level::INFO)
        && !telemetry::metrics_enabled()
    {
        return;
    }
    // A failure the pipeline carries (status 599): the vendor's status inside it, if any, and
    // its error's kind. Any other answer of 400 or more: the kind `Error` will give it.
    let (status, error) = match response.status().as_u16() {
        ehr_runtime::error::CARRIER_STATUS => (
            ehr_runtime::error::carried_status(response).map(|s| s.as_u16()),
            ehr_runtime::error::carried_kind(response).map(ErrorKind::as_str),
        ),
        status if status >= 400 => (
            Some(status),
            Some(ErrorKind::of_status(response.status()).as_str()),
        ),
        status => (Some(status), None),
    };
    let attempts = response
        .extensions()
        .get::<RetryHistory>()
        .map_or(1, |h| h.0.len() + 1);
    let elapsed = started.elapsed();
    telemetry::call_finished(call, error.unwrap_or("ok"), elapsed);
    let latency_ms = millis(elapsed);
    if let Some(status) = status {
        span.record("http.response.status_code", status);
    }
    if let Some(error) = error {
        span.record("error.type", error);
    }
    span.record("attempts", attempts);
    span.record("latency_ms", latency_ms);
    tracing::info!(
        parent: span,
        vendor = call.vendor,
        operation_id = call.operation_id,
        method = %method,
        status,
        error.type = error,
        attempts,
        latency_ms,
        "ehr call finished"
    );
}

/// `duration` in whole milliseconds, saturating.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A transport error in words, without its URL (which may carry identifiers).
pub(super) fn describe(error: &reqwest::Error) -> String {
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
