//! Helpers shared by the cross-crate integration tests.
//!
//! Every test runs offline against an `httpmock::MockServer` on 127.0.0.1.

use ehr_runtime::{CallInfo, Runtime, Transport, TransportFuture};
use futures::TryStreamExt;

/// A transport that adds `Authorization: Bearer <token>` to every request and records which
/// operations it saw, standing in for the façade's auth to prove the generated clients route
/// every call through the runtime.
#[derive(Debug, Default)]
pub struct BearerForTests {
    /// The token sent.
    pub token: &'static str,
    /// The `operation_id`s of the calls seen, in order.
    pub seen: std::sync::Mutex<Vec<CallInfo>>,
}

impl Transport for BearerForTests {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        call: CallInfo,
    ) -> TransportFuture<'a> {
        self.seen.lock().expect("not poisoned").push(call);
        let value = format!("Bearer {}", self.token);
        request.headers_mut().insert(
            reqwest::header::AUTHORIZATION,
            value.parse().expect("valid header value"),
        );
        Box::pin(http.execute(request))
    }
}

/// A runtime sending through [`BearerForTests`] with `token`.
pub fn bearer_runtime(token: &'static str) -> (Runtime, std::sync::Arc<BearerForTests>) {
    let transport = std::sync::Arc::new(BearerForTests {
        token,
        seen: Default::default(),
    });
    let runtime = Runtime::new(
        ehr_runtime::default_http_client(),
        SharedTransport(transport.clone()),
    );
    (runtime, transport)
}

/// Lets a test keep a handle on a transport it gave to a runtime.
#[derive(Debug)]
struct SharedTransport(std::sync::Arc<BearerForTests>);

impl Transport for SharedTransport {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        call: CallInfo,
    ) -> TransportFuture<'a> {
        self.0.send(http, request, call)
    }
}

/// Reads a fixture from `tests/fixtures/`.
pub fn fixture(path: &str) -> String {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {}: {e}", full.display()))
}

/// A fixture parsed as JSON.
pub fn json_fixture(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Collects a raw (non-JSON) response body into a string.
pub async fn body_text(stream: progenitor_client::ByteStream) -> String {
    let chunks: Vec<bytes::Bytes> = stream
        .into_inner()
        .try_collect()
        .await
        .expect("body streams without error");
    String::from_utf8(chunks.concat()).expect("body is UTF-8")
}
