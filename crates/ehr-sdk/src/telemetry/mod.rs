//! What an operator sees of the SDK's calls: one `tracing` span per call with OpenTelemetry's
//! HTTP client attributes, and metrics through the [`metrics`] facade.
//!
//! # Traces
//!
//! Every call (generated, hand-built, or a request to an OAuth endpoint) runs inside one span,
//! `ehr.call` (level INFO), whose fields follow OpenTelemetry's semantic conventions for HTTP
//! clients, so that `tracing-opentelemetry` exports it as an OpenTelemetry client span:
//!
//! | field | value |
//! |---|---|
//! | `otel.name` | `{method} {url.template}` (`GET /api/patients/{id}`), as the conventions name a client span |
//! | `otel.kind` | `client` |
//! | `vendor` | `drchrono`, `elation`, `empego`, `healthgorilla`, or `oauth` for a token request |
//! | `operation_id` | the spec's `operationId` (`patients_read`); a token request's grant (`oauth_token_refresh`) |
//! | `http.request.method` | `GET`, `POST`, … |
//! | `server.address`, `server.port` | the host the call went to, and its port when the URL names one |
//! | `url.template` | the operation's path template in the spec (`/api/patients/{id}`); a token request's path |
//! | `http.response.status_code` | the vendor's final status (none when no answer came) |
//! | `error.type` | the [`ErrorKind`](crate::ErrorKind) name of a failed call (`not_found`, `http`, …) |
//! | `attempts`, `latency_ms` | attempts made, and the call's time |
//!
//! The span never holds a URL (a path holds ids, a query holds search terms), a header or a
//! body. Two events carry the same fields: `ehr call retrying` for each attempt followed by
//! another (with the status or failure and the wait), and `ehr call finished`.
//!
//! A decode failure happens after the call, in the caller's `send().await`: the span records
//! the vendor's status, and the [`Error::Decode`](crate::Error::Decode) the caller gets names it.
//!
//! # Metrics
//!
//! Recorded through whichever [`metrics`] recorder the application installed (a Prometheus or
//! OpenTelemetry exporter, say), once [`enable_metrics`] has been called:
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | [`CALLS`] | counter | `vendor`, `operation`, `outcome` | calls ended; `outcome` is `ok` or the [`ErrorKind`](crate::ErrorKind) name |
//! | [`CALL_DURATION`] | histogram (seconds) | `vendor`, `operation`, `outcome` | each call's time, retries and waits included |
//! | [`RETRIES`] | counter | `vendor`, `operation` | attempts sent again (after a 429, a 5xx, a dropped connection, …) |
//! | [`TOKEN_REFRESHES`] | counter | `grant`, `outcome` | requests for a new access token (`grant`: `refresh_token`, `client_credentials` or `jwt_bearer`; `outcome`: `ok`, `refused` or `failed`) |
//! | [`RATE_LIMIT_WAITS`] | counter | `vendor`, `operation` | calls held by the client-side rate limit |
//! | [`RATE_LIMIT_WAIT`] | histogram (seconds) | `vendor`, `operation` | how long each was held |
//!
//! Token requests are calls too: they are counted in [`CALLS`] with `vendor` `oauth`.
//!
//! Until [`enable_metrics`] is called, recording costs one relaxed atomic load a call: the
//! [`metrics`] facade itself cannot tell an application that installed no recorder from one
//! that did, and building a metric's labels costs more than the rest of a call's overhead.
//!
//! ```
//! // Install the exporter's recorder first (e.g. `metrics_exporter_prometheus`), then:
//! ehr_sdk::telemetry::enable_metrics();
//! assert!(ehr_sdk::telemetry::metrics_enabled());
//! ```

mod record;

use std::sync::atomic::{AtomicBool, Ordering};

pub(crate) use record::{call_finished, rate_limit_waited, retried, token_refreshed};

/// Counter: calls ended, by `vendor`, `operation` and `outcome`.
pub const CALLS: &str = "ehr_client_calls_total";
/// Histogram, in seconds: each call's time, by `vendor`, `operation` and `outcome`.
pub const CALL_DURATION: &str = "ehr_client_call_duration_seconds";
/// Counter: attempts sent again, by `vendor` and `operation`.
pub const RETRIES: &str = "ehr_client_retries_total";
/// Counter: requests for a new access token, by `grant` and `outcome`.
pub const TOKEN_REFRESHES: &str = "ehr_client_token_refreshes_total";
/// Counter: calls held by the client-side rate limit, by `vendor` and `operation`.
pub const RATE_LIMIT_WAITS: &str = "ehr_client_rate_limit_waits_total";
/// Histogram, in seconds: how long a call was held by the rate limit, by `vendor` and
/// `operation`.
pub const RATE_LIMIT_WAIT: &str = "ehr_client_rate_limit_wait_seconds";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Records the SDK's metrics from now on, through the [`metrics`] recorder installed (call it
/// after installing one), and describes them to it (unit and meaning of each). Calling it again
/// describes them again.
pub fn enable_metrics() {
    record::describe();
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether [`enable_metrics`] was called.
pub fn metrics_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}
