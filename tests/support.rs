//! Helpers shared by the cross-crate integration tests.
//!
//! Every test runs offline against an `httpmock::MockServer` on 127.0.0.1.

pub mod counting_store;
pub mod servers;

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

/// Decodes `json` as `T` strictly (`ehr_runtime::decode::Decoding::Strict`): a value of
/// another type than the spec says anywhere fails, where a client would leave the field out.
/// For tests that check the specs against bodies from the wire.
pub fn strict<T: serde::de::DeserializeOwned>(json: impl AsRef<[u8]>) -> serde_json::Result<T> {
    ehr_runtime::decode::from_slice(json.as_ref(), ehr_runtime::decode::Decoding::Strict)
        .map(|(value, _)| value)
}

/// [`strict`] for a `serde_json::Value`.
pub fn strict_value<T: serde::de::DeserializeOwned>(
    json: &serde_json::Value,
) -> serde_json::Result<T> {
    strict(serde_json::to_vec(json).expect("a Value encodes"))
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

/// One request as a [`ScriptedServer`] received it.
#[derive(Clone, Debug)]
pub struct Received {
    /// Method.
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
    /// Which connection it came on: 0 for the first the server accepted, 1 for the next, …
    pub connection: usize,
}

impl Received {
    /// The first value of header `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One scripted answer: status, headers, body.
#[derive(Clone, Debug)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: String,
}

impl Reply {
    /// A JSON reply.
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    /// A reply without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A server on 127.0.0.1 that answers its requests, in order of arrival, with a script of
/// replies (and 500 once the script is spent), recording every request. For tests of sequences
/// (retries, refreshes, redirects) that a matcher-based mock cannot express.
pub struct ScriptedServer {
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl ScriptedServer {
    /// Starts a server answering with `script`.
    pub async fn start(script: Vec<Reply>) -> Self {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base_url = format!("http://{}", listener.local_addr().expect("addr"));
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let script = std::sync::Arc::new(std::sync::Mutex::new(std::collections::VecDeque::from(
            script,
        )));
        let log = received.clone();
        tokio::spawn(async move {
            for connection in 0.. {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    loop {
                        // Read one request: head, then Content-Length bytes of body.
                        let mut buf = Vec::new();
                        let head_end = loop {
                            if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                                break i + 4;
                            }
                            let mut chunk = [0u8; 4096];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => buf.extend_from_slice(&chunk[..n]),
                            }
                        };
                        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
                        let mut lines = head.split("\r\n");
                        let mut first = lines.next().unwrap_or("").split(' ');
                        let method = first.next().unwrap_or("").to_string();
                        let target = first.next().unwrap_or("").to_string();
                        let headers: Vec<(String, String)> = lines
                            .filter_map(|l| l.split_once(':'))
                            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                            .collect();
                        let length: usize = headers
                            .iter()
                            .find(|(n, _)| n == "content-length")
                            .and_then(|(_, v)| v.parse().ok())
                            .unwrap_or(0);
                        let mut body = buf[head_end..].to_vec();
                        while body.len() < length {
                            let mut chunk = [0u8; 4096];
                            match socket.read(&mut chunk).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => body.extend_from_slice(&chunk[..n]),
                            }
                        }
                        body.truncate(length);
                        log.lock().unwrap().push(Received {
                            method,
                            target,
                            headers,
                            body,
                            connection,
                        });
                        let reply = script
                            .lock()
                            .unwrap()
                            .pop_front()
                            .unwrap_or(Reply::empty(500));
                        let mut out = format!(
                            "HTTP/1.1 {} X\r\ncontent-length: {}\r\n",
                            reply.status,
                            reply.body.len()
                        );
                        for (n, v) in &reply.headers {
                            out.push_str(&format!("{n}: {v}\r\n"));
                        }
                        out.push_str("\r\n");
                        out.push_str(&reply.body);
                        if socket.write_all(out.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { base_url, received }
    }

    /// Every request received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// A shared handle on the request log, for code that must look at it while a call runs.
    pub fn log(&self) -> std::sync::Arc<std::sync::Mutex<Vec<Received>>> {
        self.received.clone()
    }
}

/// Everything `tracing` writes while a [`TraceCapture::install`] guard lives, as text.
#[derive(Clone, Default)]
pub struct TraceCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl TraceCapture {
    /// Captures every event and span of this thread (TRACE and up) until the guard is dropped.
    pub fn install(&self) -> tracing::subscriber::DefaultGuard {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(self.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// One capture for the whole test binary, installed as the global subscriber on first use:
    /// it sees what every thread and task writes, so a test can rely on finding its own events
    /// (a thread-scoped [`install`](Self::install) can miss events whose callsite another test
    /// thread registered first). Call it before the calls whose traces are checked.
    pub fn global() -> &'static TraceCapture {
        static GLOBAL: std::sync::OnceLock<TraceCapture> = std::sync::OnceLock::new();
        GLOBAL.get_or_init(|| {
            let capture = TraceCapture::default();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(capture.clone())
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber)
                .expect("no other global subscriber in this test binary");
            capture
        })
    }

    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for TraceCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for TraceCapture {
    type Writer = tracing_subscriber::fmt::writer::EitherWriter<TraceCapture, std::io::Sink>;
    fn make_writer(&'a self) -> Self::Writer {
        tracing_subscriber::fmt::writer::EitherWriter::A(self.clone())
    }
    /// Everything but the mock server's own logs (which print the mocks' expected headers):
    /// what the SDK and the HTTP stack under it write.
    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        if meta.target().starts_with("httpmock") {
            tracing_subscriber::fmt::writer::EitherWriter::B(std::io::sink())
        } else {
            self.make_writer()
        }
    }
}
