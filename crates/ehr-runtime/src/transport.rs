//! How a request built by generated code gets onto the wire.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::CallInfo;

/// The future a [`Transport`] returns.
pub type TransportFuture<'a> =
    Pin<Box<dyn Future<Output = reqwest::Result<reqwest::Response>> + Send + 'a>>;

/// Sends one request of a generated client and returns its final response.
///
/// A transport may change the request (add `Authorization` or impersonation headers), send it
/// more than once (retries, re-sending to a redirect's `Location`) or wait before sending (rate
/// limits); whatever it returns is what the generated code decodes. The façade's transports live
/// in `ehr-sdk`; [`Direct`] sends each request once, unchanged.
pub trait Transport: fmt::Debug + Send + Sync + 'static {
    /// Sends `request` with `http` and resolves to the response the generated code should decode.
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        call: CallInfo,
    ) -> TransportFuture<'a>;
}

/// Sends every request once, as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct Direct;

impl Transport for Direct {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        _call: CallInfo,
    ) -> TransportFuture<'a> {
        Box::pin(http.execute(request))
    }
}
