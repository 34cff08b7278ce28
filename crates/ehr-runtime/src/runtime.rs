//! The value every generated client carries and routes its requests through.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::{CallInfo, Direct, Transport};

/// Header progenitor 0.15 adds to every request, set to the spec's `info.version`. None of our
/// vendors documents it, so the runtime removes it before anything is sent.
const PROGENITOR_VERSION_HEADER: &str = "api-version";

/// The HTTP client and the [`Transport`] behind a generated vendor client.
///
/// Cheap to clone (two reference-counted handles). Build one with [`Runtime::direct`] or
/// [`Runtime::new`] and hand it to the vendor crate's `Client::with_runtime`.
#[derive(Clone)]
pub struct Runtime {
    http: reqwest::Client,
    transport: Arc<dyn Transport>,
}

impl Runtime {
    /// A runtime sending requests with `http` through `transport`.
    pub fn new(http: reqwest::Client, transport: impl Transport) -> Self {
        Self {
            http,
            transport: Arc::new(transport),
        }
    }

    /// A runtime that sends each request once, unchanged, with [`default_http_client`].
    pub fn direct() -> Self {
        Self::new(default_http_client(), Direct)
    }

    /// The HTTP client requests are sent with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request built by generated code: removes progenitor's undocumented
    /// `api-version` header, then hands the request to the transport.
    pub async fn execute(
        &self,
        mut request: reqwest::Request,
        call: CallInfo,
    ) -> reqwest::Result<reqwest::Response> {
        request.headers_mut().remove(PROGENITOR_VERSION_HEADER);
        self.transport.send(&self.http, request, call).await
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Self::direct()
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The transport's own Debug decides what it shows; transports never show secrets.
        f.debug_struct("Runtime")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// The HTTP client generated clients use unless given another: redirects are **not** followed
/// (a transport decides what to do with them, so credentials never follow a redirect to another
/// origin), 10 s to connect, 60 s for a whole request.
pub fn default_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        // Only TLS back-end initialisation can fail here; without it no client can be made.
        .unwrap_or_else(|_| reqwest::Client::new())
}
