//! Recording the metrics listed in [`telemetry`](super): each function returns at once unless
//! [`enable_metrics`](super::enable_metrics) was called.

use std::time::Duration;

use ehr_runtime::CallInfo;
use metrics::{Unit, counter, describe_counter, describe_histogram, histogram};

use super::{
    CALL_DURATION, CALLS, RATE_LIMIT_WAIT, RATE_LIMIT_WAITS, RETRIES, TOKEN_REFRESHES,
    metrics_enabled,
};

/// Tells the installed recorder each metric's unit and meaning.
pub(super) fn describe() {
    describe_counter!(
        CALLS,
        Unit::Count,
        "Calls ended, by vendor, operation and outcome"
    );
    describe_histogram!(
        CALL_DURATION,
        Unit::Seconds,
        "Time of each call, retries and waits included"
    );
    describe_counter!(RETRIES, Unit::Count, "Attempts sent again");
    describe_counter!(
        TOKEN_REFRESHES,
        Unit::Count,
        "Requests for a new access token, by grant and outcome"
    );
    describe_counter!(
        RATE_LIMIT_WAITS,
        Unit::Count,
        "Calls held by the client-side rate limit"
    );
    describe_histogram!(
        RATE_LIMIT_WAIT,
        Unit::Seconds,
        "How long a call was held by the client-side rate limit"
    );
}

/// `call` ended with `outcome` (`ok` or an error kind's name) after `elapsed`.
pub(crate) fn call_finished(call: CallInfo, outcome: &'static str, elapsed: Duration) {
    if !metrics_enabled() {
        return;
    }
    let labels = [
        ("vendor", call.vendor),
        ("operation", call.operation_id),
        ("outcome", outcome),
    ];
    counter!(CALLS, &labels).increment(1);
    histogram!(CALL_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// An attempt of `call` is to be sent again.
pub(crate) fn retried(call: CallInfo) {
    if !metrics_enabled() {
        return;
    }
    let labels = [("vendor", call.vendor), ("operation", call.operation_id)];
    counter!(RETRIES, &labels).increment(1);
}

/// `call` was held `waited` by the client-side rate limit.
pub(crate) fn rate_limit_waited(call: CallInfo, waited: Duration) {
    if !metrics_enabled() {
        return;
    }
    let labels = [("vendor", call.vendor), ("operation", call.operation_id)];
    counter!(RATE_LIMIT_WAITS, &labels).increment(1);
    histogram!(RATE_LIMIT_WAIT, &labels).record(waited.as_secs_f64());
}

/// A request for a new access token by `grant` ended with `outcome` (`ok`, `refused`,
/// `failed`).
pub(crate) fn token_refreshed(grant: &'static str, outcome: &'static str) {
    if !metrics_enabled() {
        return;
    }
    counter!(TOKEN_REFRESHES, "grant" => grant, "outcome" => outcome).increment(1);
}

#[cfg(test)]
mod tests {
    use metrics_util::debugging::DebuggingRecorder;

    use super::*;

    #[test]
    fn nothing_is_recorded_until_metrics_are_enabled_then_every_call_is() {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        let call = CallInfo {
            vendor: "drchrono",
            operation_id: "doctors_list",
        };
        metrics::with_local_recorder(&recorder, || {
            call_finished(call, "ok", Duration::from_millis(5));
            retried(call);
            token_refreshed("refresh_token", "ok");
        });
        assert!(
            snapshotter.snapshot().into_vec().is_empty(),
            "recorded before enable_metrics"
        );

        metrics::with_local_recorder(&recorder, || {
            super::super::enable_metrics();
            call_finished(call, "ok", Duration::from_millis(5));
        });
        let recorded = snapshotter.snapshot().into_vec();
        let names: Vec<_> = recorded.iter().map(|(k, ..)| k.key().name()).collect();
        assert!(
            names.contains(&CALLS) && names.contains(&CALL_DURATION),
            "{names:?}"
        );
        let (_, unit, description, _) = recorded
            .iter()
            .find(|(k, ..)| k.key().name() == CALL_DURATION)
            .expect("described");
        assert_eq!(*unit, Some(Unit::Seconds));
        assert!(description.is_some());
    }
}
