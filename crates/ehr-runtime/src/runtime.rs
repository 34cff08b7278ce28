//! The value every generated client carries and routes its requests through.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::decode::Decoding;
use crate::transport::Finish;
use crate::{CallInfo, Direct, Transport};

/// The HTTP client and the [`Transport`] behind a generated vendor client.
///
/// Cheap to clone (two reference-counted handles). Build one with [`Runtime::direct`] or
/// [`Runtime::new`] and hand it to the vendor crate's `Client::with_runtime`.
#[derive(Clone)]
pub struct Runtime {
    http: reqwest::Client,
    transport: Arc<dyn Transport>,
    /// The transport is [`Direct`]: requests are sent here, without a boxed future.
    direct: bool,
    decoding: Decoding,
}

impl Runtime {
    /// A runtime sending requests with `http` through `transport`, decoding responses as
    /// [`Transport::decoding`] says.
    pub fn new<T: Transport>(http: reqwest::Client, transport: T) -> Self {
        let direct = std::any::TypeId::of::<T>() == std::any::TypeId::of::<Direct>();
        let decoding = transport.decoding();
        Self {
            http,
            transport: Arc::new(transport),
            direct,
            decoding,
        }
    }

    /// This runtime, decoding responses as `decoding` says (tolerant unless told otherwise;
    /// see [`decode`](crate::decode)).
    ///
    /// ```
    /// use ehr_runtime::{Runtime, decode::Decoding};
    ///
    /// let runtime = Runtime::direct().with_decoding(Decoding::Strict);
    /// assert_eq!(runtime.decoding(), Decoding::Strict);
    /// assert_eq!(Runtime::direct().decoding(), Decoding::Tolerant);
    /// ```
    pub fn with_decoding(mut self, decoding: Decoding) -> Self {
        self.decoding = decoding;
        self
    }

    /// How responses are decoded.
    pub fn decoding(&self) -> Decoding {
        self.decoding
    }

    /// A runtime that sends each request once, unchanged, with [`default_http_client`].
    pub fn direct() -> Self {
        Self::new(default_http_client(), Direct)
    }

    /// The HTTP client requests are sent with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends one request built by generated code (which `cargo xtask codegen` writes without
    /// progenitor's undocumented `api-version` header) through the transport: on its fast path
    /// when [`Transport::begin`] allows, otherwise with [`Transport::send`].
    ///
    /// A successful (2xx) response comes back as it is. Any other answer is read here (its
    /// body bounded to [`MAX_ERROR_BODY`](crate::MAX_ERROR_BODY)), classified as an
    /// [`Error`](crate::Error) with the vendor's reason, and returned [carried](crate::error::carry)
    /// in a response, so that every operation, documented error status or not, keeps the
    /// vendor's body.
    pub async fn execute(
        &self,
        mut request: reqwest::Request,
        call: CallInfo,
    ) -> reqwest::Result<reqwest::Response> {
        // Written so that little is kept across each `.await` (every call's future is moved
        // into its caller's at each level, so its size is paid per call): the ticket is taken
        // out of its `Option` at once, and what the send needs ends with the send.
        let response = 'sent: {
            if self.direct {
                break 'sent self.http.execute(request).await?;
            }
            let Some(ticket) = self.transport.begin(&mut request, call) else {
                break 'sent self.transport.send(&self.http, request, call).await?;
            };
            let finish = {
                // Sent in the call's span, borrowed from the ticket (no clone, no wrapper).
                let mut sending = std::pin::pin!(self.http.execute(request));
                let span = &ticket.span;
                let outcome = std::future::poll_fn(|cx| {
                    let _entered = span.enter();
                    sending.as_mut().poll(cx)
                })
                .await;
                match outcome {
                    // The usual path: the ticket is only looked at, then dropped here.
                    Ok(response) if response.status().is_success() => {
                        self.transport.succeeded(&response, &ticket, call);
                        return Ok(response);
                    }
                    outcome => self.transport.finish(&self.http, outcome, ticket, call),
                }
            };
            match finish {
                Finish::Done(outcome) => outcome?,
                Finish::More(rest) => rest.await?,
            }
        };
        if response.status().is_success() || crate::error::is_carrier(&response) {
            return Ok(response);
        }
        // In a future of its own: reading an error body is the rare path, and inline it would
        // make every call's future (moved at each await) several times larger.
        let error = Box::pin(crate::Error::from_response(call.operation_id, response)).await;
        Ok(crate::carry(error))
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
            .field("decoding", &self.decoding)
            .finish_non_exhaustive()
    }
}

/// How long a connection may take to open unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a whole request may take unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The settings of [`default_http_client`], to adjust before building: redirects are **not**
/// followed (a transport decides what to do with them, so credentials never follow a redirect
/// to another origin), [`DEFAULT_CONNECT_TIMEOUT`] to connect, [`DEFAULT_TIMEOUT`] for a whole
/// request.
///
/// TLS (feature `rustls`, the default) uses rustls with *ring*'s cryptography; this calls
/// [`install_tls_provider`] first.
pub fn http_client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(DEFAULT_CONNECT_TIMEOUT)
        .timeout(DEFAULT_TIMEOUT)
}

/// Makes sure the process has a rustls crypto provider, installing *ring*'s as the process
/// default when it has none (rustls's documented way of choosing one); a provider the
/// application installed first is kept. Idempotent and cheap.
///
/// The SDK builds reqwest without a crypto provider of its own (so a build compiles *ring*
/// only, not also aws-lc's C library), and reqwest panics when a client is built with no
/// provider installed. [`http_client_builder`], [`default_http_client`], [`Runtime::direct`]
/// and the façade's `HttpClient` call this; an application that builds its own
/// `reqwest::Client` for [`Runtime::new`] calls it (or installs its own provider) first:
///
/// ```
/// ehr_runtime::install_tls_provider();
/// let http = reqwest::Client::builder().build().expect("TLS provider installed");
/// let runtime = ehr_runtime::Runtime::new(http, ehr_runtime::Direct);
/// # drop(runtime);
/// ```
pub fn install_tls_provider() {
    #[cfg(feature = "rustls")]
    if rustls::crypto::CryptoProvider::get_default().is_none() {
        // Another thread may install one in between; either way a provider is installed.
        // rustls 0.23.48 deprecates *ring*'s provider because it has no post-quantum key
        // exchange; it stays the SDK's default because aws-lc-rs's C library added ~30 CPU-s
        // to a clean downstream build (of ~170). An application that wants post-quantum key
        // exchange installs aws-lc-rs's provider first, and it is kept (see above).
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let _ = provider.install_default();
    }
}

/// The HTTP client generated clients use unless given another (see [`http_client_builder`]):
/// a handle on one client per process, made on first use, so every runtime and token source
/// made with it shares its connection pool and TLS set-up (a `reqwest::Client` is a
/// reference-counted handle; cloning it copies no state).
///
/// ```
/// let a = ehr_runtime::default_http_client();
/// let b = ehr_runtime::default_http_client();
/// # let _ = (a, b);
/// ```
pub fn default_http_client() -> reqwest::Client {
    static SHARED: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    SHARED
        .get_or_init(|| {
            http_client_builder()
                .build()
                // Only TLS back-end initialisation can fail here; without it no client can be
                // made.
                .unwrap_or_else(|_| reqwest::Client::new())
        })
        .clone()
}

#[cfg(all(test, feature = "rustls"))]
mod tests {
    use super::*;

    #[test]
    fn the_default_client_builds_with_tls_when_the_application_chose_no_provider() {
        // reqwest is built without a crypto provider of its own: without the one installed
        // here, building a client panics.
        let client = default_http_client();
        assert!(rustls::crypto::CryptoProvider::get_default().is_some());
        drop(client);
        http_client_builder()
            .https_only(true)
            .build()
            .expect("an https-only client builds");
    }
}
