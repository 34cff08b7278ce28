//! Stage **observe**: the one place that sees a call start, each attempt sent again, and the
//! call end, and tells tracing. Never the URL, headers or body: they can carry credentials and
//! PHI.

use std::time::Instant;

use ehr_runtime::{CallInfo, RetryHistory};
use reqwest::Response;

use crate::retry::Attempt;

/// Call start: the span of one call, `ehr.call`, with the vendor, operation id and method; its
/// status, attempts and latency are recorded at the end. Entered while each attempt is sent.
pub(super) fn start(call: CallInfo, method: &reqwest::Method) -> tracing::Span {
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

/// An attempt to be followed by another, after the wait (`ehr call retrying`): so retries are
/// visible on calls that end in success too (an operator sees that a `Retry-After` cost 5 s).
pub(super) fn retrying(call: CallInfo, attempt_no: u32, attempt: &Attempt) {
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

/// Call end: the outcome recorded on the call's span and as one event (`ehr call finished`).
pub(super) fn end(
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
