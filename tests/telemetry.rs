//! What an operator sees of a call, through the public API: the `ehr.call` span's
//! OpenTelemetry attributes, as a real `tracing` subscriber receives them, and the metrics, as
//! a real `metrics` recorder receives them (`metrics_util`'s debugging recorder, local to each
//! test's thread).

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use ehr_sdk::telemetry;
use ehr_tests::{Reply, ScriptedServer};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use tracing::field::{Field, Visit};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

const EMPTY_PAGE: &str = r#"{"next": null, "previous": null, "results": []}"#;

// --- a subscriber that keeps each finished call's span fields --------------------------------

/// The fields of an `ehr.call` span as recorded so far.
#[derive(Clone, Default, Debug)]
struct Fields(HashMap<String, String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name().into(), format!("{value:?}"));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.to_string());
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.to_string());
    }
}

/// Every `ehr.call` span's fields at the moment its `ehr call finished` event was written.
#[derive(Clone, Default)]
struct Finished(Arc<Mutex<Vec<HashMap<String, String>>>>);

impl<S> Layer<S> for Finished
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        if attrs.metadata().name() != "ehr.call" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(fields);
        }
    }

    fn on_record(
        &self,
        id: &tracing::span::Id,
        values: &tracing::span::Record<'_>,
        ctx: Context<'_, S>,
    ) {
        if let Some(span) = ctx.span(id)
            && let Some(fields) = span.extensions_mut().get_mut::<Fields>()
        {
            values.record(fields);
        }
    }

    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut message = Fields::default();
        event.record(&mut message);
        if message.0.get("message").map(String::as_str) != Some("ehr call finished") {
            return;
        }
        if let Some(span) = ctx.event_span(event)
            && let Some(fields) = span.extensions().get::<Fields>()
        {
            self.0.lock().unwrap().push(fields.0.clone());
        }
    }
}

/// The test binary's one subscriber.
fn finished() -> &'static Finished {
    static FINISHED: OnceLock<Finished> = OnceLock::new();
    FINISHED.get_or_init(|| {
        let finished = Finished::default();
        tracing::subscriber::set_global_default(
            tracing_subscriber::registry().with(finished.clone()),
        )
        .expect("the only subscriber of this test binary");
        finished
    })
}

/// The fields of the one finished `ehr.call` span of `operation_id` that went to `port` (tests
/// run in parallel, each against a server of its own).
fn span_of(operation_id: &str, port: u16) -> HashMap<String, String> {
    let spans = finished().0.lock().unwrap();
    let port = port.to_string();
    let found: Vec<_> = spans
        .iter()
        .filter(|s| {
            s.get("operation_id").map(String::as_str) == Some(operation_id)
                && s.get("server.port") == Some(&port)
        })
        .collect();
    assert_eq!(found.len(), 1, "one span of {operation_id}: {spans:#?}");
    found[0].clone()
}

// --- a recorder local to the test's thread ----------------------------------------------------

/// Runs `test` on a current-thread runtime with a recorder of its own and metrics enabled, and
/// returns what was recorded: `(name, sorted labels) → value`.
fn recorded<F: Future<Output = ()>>(test: impl FnOnce() -> F) -> Recorded {
    finished();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        telemetry::enable_metrics();
        runtime.block_on(test());
    });
    let mut values = HashMap::new();
    for (key, _, _, value) in snapshotter.snapshot().into_vec() {
        let (_, key) = key.into_parts();
        let mut labels: Vec<(String, String)> = key
            .labels()
            .map(|l| (l.key().to_string(), l.value().to_string()))
            .collect();
        labels.sort();
        values.insert((key.name().to_string(), labels), value);
    }
    Recorded(values)
}

struct Recorded(HashMap<(String, Vec<(String, String)>), DebugValue>);

impl Recorded {
    fn get(&self, name: &str, labels: &[(&str, &str)]) -> Option<&DebugValue> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.sort();
        self.0.get(&(name.to_string(), labels))
    }

    fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        match self.get(name, labels) {
            Some(DebugValue::Counter(n)) => *n,
            None => 0,
            other => panic!("{name} is not a counter: {other:?}"),
        }
    }

    fn histogram(&self, name: &str, labels: &[(&str, &str)]) -> Vec<f64> {
        match self.get(name, labels) {
            Some(DebugValue::Histogram(values)) => values.iter().map(|v| v.into_inner()).collect(),
            None => Vec::new(),
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    fn names(&self) -> Vec<&str> {
        let mut names: Vec<_> = self.0.keys().map(|(n, _)| n.as_str()).collect();
        names.sort();
        names.dedup();
        names
    }
}

fn port_of(base_url: &str) -> u16 {
    url::Url::parse(base_url).unwrap().port().unwrap()
}

fn drchrono(base_url: &str) -> ehr_sdk::drchrono::Client {
    ehr_sdk::drchrono::Client::builder()
        .base_url(base_url)
        .access_token("telemetry-token")
        .build()
        .unwrap()
}

// --- the tests ------------------------------------------------------------------------------

#[test]
fn a_refused_calls_span_has_the_http_client_attributes_and_no_id_or_query() {
    let mut port = 0;
    let recorded = recorded(|| async {
        let server = ScriptedServer::start(vec![Reply::json(
            404,
            serde_json::json!({"detail": "Not found."}),
        )])
        .await;
        port = port_of(&server.base_url);

        let error = drchrono(&server.base_url)
            .patients_retrieve()
            .id(424242)
            .send()
            .await
            .expect_err("404");

        assert_eq!(error.kind(), ehr_sdk::ErrorKind::NotFound);
    });

    let span = span_of("patients_retrieve", port);
    let expected = [
        ("otel.name", "GET /api/patients/{id}"),
        ("otel.kind", "client"),
        ("vendor", "drchrono"),
        ("http.request.method", "GET"),
        ("server.address", "127.0.0.1"),
        ("url.template", "/api/patients/{id}"),
        ("http.response.status_code", "404"),
        ("error.type", "not_found"),
        ("attempts", "1"),
    ];
    for (field, value) in expected {
        assert_eq!(
            span.get(field).map(String::as_str),
            Some(value),
            "{field}: {span:?}"
        );
    }
    assert!(span.contains_key("latency_ms"), "{span:?}");
    assert!(
        span.values()
            .all(|v| !v.contains("424242") && !v.contains("telemetry-token")),
        "no id, no token: {span:?}"
    );

    let labels = [
        ("vendor", "drchrono"),
        ("operation", "patients_retrieve"),
        ("outcome", "not_found"),
    ];
    assert_eq!(recorded.counter(telemetry::CALLS, &labels), 1);
    let durations = recorded.histogram(telemetry::CALL_DURATION, &labels);
    assert_eq!(durations.len(), 1);
    assert!(durations[0] > 0.0 && durations[0] < 30.0, "{durations:?}");
}

#[test]
fn a_call_that_succeeds_after_a_retry_counts_one_call_ok_and_one_retry() {
    let mut port = 0;
    let recorded = recorded(|| async {
        let server = ScriptedServer::start(vec![
            Reply::empty(429).header("retry-after", "0"),
            Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
        ])
        .await;
        port = port_of(&server.base_url);

        drchrono(&server.base_url)
            .doctors_list()
            .send()
            .await
            .expect("retried, then 200");
    });

    let span = span_of("doctors_list", port);
    assert_eq!(span["http.response.status_code"], "200");
    assert_eq!(span["attempts"], "2");
    assert_eq!(span["url.template"], "/api/doctors");
    assert!(
        !span.contains_key("error.type"),
        "a success has no error.type: {span:?}"
    );
    let call = [("vendor", "drchrono"), ("operation", "doctors_list")];
    assert_eq!(recorded.counter(telemetry::RETRIES, &call), 1);
    let ok = [call[0], call[1], ("outcome", "ok")];
    assert_eq!(recorded.counter(telemetry::CALLS, &ok), 1);
    assert_eq!(recorded.counter(telemetry::TOKEN_REFRESHES, &[]), 0);
}

#[test]
fn a_token_refresh_is_counted_by_grant_and_traced_as_a_call_of_the_oauth_endpoint() {
    let mut port = 0;
    let recorded = recorded(|| async {
        let server = ScriptedServer::start(vec![
            Reply::json(
                200,
                serde_json::json!({"access_token": "at2", "refresh_token": "rt2", "expires_in": 3600}),
            ),
            Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
            Reply::json(400, serde_json::json!({"error": "invalid_grant"})),
        ])
        .await;
        port = port_of(&server.base_url);
        let expired =
            ehr_sdk::auth::TokenSet::from_response("at1".into(), Some(-10), Some("rt1".into()));
        let store = ehr_sdk::auth::MemoryTokenStore::with(expired);
        let client = ehr_sdk::drchrono::Client::builder()
            .base_url(&server.base_url)
            .oauth("cid", "client-secret", "https://app.example/cb")
            .token_store(store)
            .build()
            .unwrap();

        client.doctors_list().send().await.expect("refreshed");
        // A refresh the endpoint refuses: counted as refused.
        ehr_sdk::drchrono::DrChronoOAuth::new("cid", "client-secret", "https://app.example/cb")
            .base_url(&server.base_url)
            .refresh("rt-spent")
            .await
            .expect_err("invalid_grant");
    });

    let refreshed = [("grant", "refresh_token"), ("outcome", "ok")];
    assert_eq!(recorded.counter(telemetry::TOKEN_REFRESHES, &refreshed), 1);
    let refused = [("grant", "refresh_token"), ("outcome", "refused")];
    assert_eq!(recorded.counter(telemetry::TOKEN_REFRESHES, &refused), 1);
    let token_call = [
        ("vendor", "oauth"),
        ("operation", "oauth_token_refresh"),
        ("outcome", "ok"),
    ];
    assert_eq!(recorded.counter(telemetry::CALLS, &token_call), 1);
    let spans = finished().0.lock().unwrap();
    let token_span = spans
        .iter()
        .find(|s| {
            s.get("operation_id").map(String::as_str) == Some("oauth_token_refresh")
                && s.get("server.port") == Some(&port.to_string())
                && s.get("http.response.status_code").map(String::as_str) == Some("200")
        })
        .unwrap_or_else(|| panic!("no token span: {spans:#?}"));
    assert_eq!(token_span["vendor"], "oauth");
    assert_eq!(token_span["url.template"], "/o/token/");
    assert_eq!(token_span["otel.name"], "POST /o/token/");
}

#[test]
fn a_call_held_by_the_rate_limit_is_counted_with_its_wait() {
    let recorded = recorded(|| async {
        let server = ScriptedServer::start(vec![
            Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
            Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
        ])
        .await;
        // Long enough that the second call is held however slow the machine.
        let quota = governor::Quota::with_period(Duration::from_secs(1)).unwrap();
        let client = ehr_sdk::drchrono::Client::builder()
            .base_url(&server.base_url)
            .access_token("telemetry-token")
            .rate_limit(ehr_sdk::pipeline::RateLimit::new(quota))
            .build()
            .unwrap();

        client.offices_list().send().await.expect("first");
        client
            .offices_list()
            .send()
            .await
            .expect("second, after a wait");
    });

    let call = [("vendor", "drchrono"), ("operation", "offices_list")];
    assert_eq!(recorded.counter(telemetry::RATE_LIMIT_WAITS, &call), 1);
    let waits = recorded.histogram(telemetry::RATE_LIMIT_WAIT, &call);
    assert_eq!(waits.len(), 1);
    assert!(waits[0] >= 0.5, "held about 1 s: {waits:?}");
    let ok = [call[0], call[1], ("outcome", "ok")];
    assert_eq!(recorded.counter(telemetry::CALLS, &ok), 2);
}

#[test]
fn a_call_that_never_got_an_answer_has_an_error_type_and_no_status() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let recorded = recorded(|| async {
        let client = ehr_sdk::drchrono::Client::builder()
            .base_url(format!("http://127.0.0.1:{port}"))
            .access_token("telemetry-token")
            .retry(ehr_sdk::retry::RetryPolicy {
                max_attempts: 1,
                ..Default::default()
            })
            .build()
            .unwrap();

        let error = client
            .appointments_list()
            .send()
            .await
            .expect_err("refused");
        assert_eq!(error.kind(), ehr_sdk::ErrorKind::Http);
    });

    let span = span_of("appointments_list", port);
    assert_eq!(span["error.type"], "http");
    assert!(!span.contains_key("http.response.status_code"), "{span:?}");
    let failed = [
        ("vendor", "drchrono"),
        ("operation", "appointments_list"),
        ("outcome", "http"),
    ];
    assert_eq!(recorded.counter(telemetry::CALLS, &failed), 1);
}

#[test]
fn every_metric_is_named_as_documented() {
    let recorded = recorded(|| async {
        let server = ScriptedServer::start(vec![
            Reply::json(
                200,
                serde_json::json!({"access_token": "at", "expires_in": 3600}),
            ),
            Reply::empty(503).header("retry-after", "0"),
            Reply::json(200, serde_json::from_str(EMPTY_PAGE).unwrap()),
        ])
        .await;
        let quota = governor::Quota::with_period(Duration::from_secs(1)).unwrap();
        let client = ehr_sdk::elation::Client::builder()
            .base_url(&server.base_url)
            .client_credentials("elation-client", "elation-secret")
            .rate_limit(ehr_sdk::pipeline::RateLimit::new(quota))
            .build()
            .unwrap();

        client
            .users_list()
            .send()
            .await
            .expect("a token, a 503, then 200");
    });

    assert_eq!(
        recorded.names(),
        [
            telemetry::CALL_DURATION,
            telemetry::CALLS,
            telemetry::RATE_LIMIT_WAIT,
            telemetry::RATE_LIMIT_WAITS,
            telemetry::RETRIES,
            telemetry::TOKEN_REFRESHES,
        ],
        "one of each, as the telemetry module lists them"
    );
    assert_eq!(
        recorded.counter(
            telemetry::TOKEN_REFRESHES,
            &[("grant", "client_credentials"), ("outcome", "ok")]
        ),
        1
    );
}
