//! How a request built by generated code gets onto the wire.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

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
///
/// A call takes one of two paths:
/// - the **fast path**, for a call that needs nothing to wait for before it is sent (the usual
///   case: a cached token, a free rate-limit permit): [`begin`](Self::begin) prepares the request
///   synchronously and returns a [`Ticket`]; the [`Runtime`](crate::Runtime) sends it, inline
///   in the caller's future; a success (2xx) is shown to [`succeeded`](Self::succeeded), by
///   reference, and returned as it is; anything else goes to [`finish`](Self::finish), which
///   may hand it to the transport's own (boxed) future;
/// - the **full path**, [`send`](Self::send), for everything else. Transports that implement
///   only `send` (the defaults of `begin` and `finish`) take it for every call.
pub trait Transport: fmt::Debug + Send + Sync + 'static {
    /// Sends `request` with `http` and resolves to the response the generated code should decode.
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        request: reqwest::Request,
        call: CallInfo,
    ) -> TransportFuture<'a>;

    /// Decides, without waiting for anything, how `request` is to be sent (see the trait's
    /// documentation): `Some(ticket)` sends `request`, as `begin` left it, once, now, inside the
    /// ticket's span, and gives the outcome to [`finish`](Self::finish); `None` takes the full
    /// path, [`send`](Self::send), with `request` (which `begin` leaves as it found it). The
    /// default takes the full path.
    fn begin(&self, request: &mut reqwest::Request, call: CallInfo) -> Option<Ticket> {
        let _ = (request, call);
        None
    }

    /// Sees a success (2xx) of a request that [`begin`](Self::begin) returned a ticket for,
    /// before it is returned as it is (to record it, say). Takes the ticket by reference: on
    /// the usual path nothing of the call is moved again. The default does nothing.
    fn succeeded(&self, response: &reqwest::Response, ticket: &Ticket, call: CallInfo) {
        let _ = (response, ticket, call);
    }

    /// Concludes a request that [`begin`](Self::begin) returned a ticket for, from the
    /// outcome of sending it once when that was not a success (an error, or a status other
    /// than 2xx; a success goes to [`succeeded`](Self::succeeded)). The default returns the
    /// outcome as it is.
    fn finish<'a>(
        &'a self,
        http: &'a reqwest::Client,
        outcome: reqwest::Result<reqwest::Response>,
        ticket: Ticket,
        call: CallInfo,
    ) -> Finish<'a> {
        let _ = (http, ticket, call);
        Finish::Done(outcome)
    }

    /// How the responses it returns are to be decoded (see [`decode`](crate::decode)); read
    /// once, by [`Runtime::new`](crate::Runtime::new). The default is tolerant.
    fn decoding(&self) -> crate::decode::Decoding {
        crate::decode::Decoding::Tolerant
    }
}

/// What a transport keeps of a call on the fast path, for [`Transport::finish`].
pub struct Ticket {
    /// A copy of the request to send again (after a refreshed token, a redirect or a retry), or
    /// `None` when its body is a stream.
    pub resend: Option<crate::Resend>,
    /// The request's method.
    pub method: reqwest::Method,
    /// When the call started.
    pub started: Instant,
    /// The call's tracing span, entered while the request is sent.
    pub span: tracing::Span,
    /// The `Authorization` value the request carried, if the transport attached one: the
    /// credential the server saw, so that a transport refreshing a refused token knows which
    /// one was refused, and can scrub it from the vendor's answer.
    pub authorization: Option<reqwest::header::HeaderValue>,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the request (its headers carry credentials) nor the credential.
        f.debug_struct("Ticket")
            .field("method", &self.method)
            .field("resendable", &self.resend.is_some())
            .field("started", &self.started)
            .finish_non_exhaustive()
    }
}

/// What [`Transport::finish`] decided.
pub enum Finish<'a> {
    /// The call's final outcome.
    Done(reqwest::Result<reqwest::Response>),
    /// The call goes on (a retry, a redirect, a refreshed token, a refusal to classify): await
    /// this future for its final outcome.
    More(TransportFuture<'a>),
}

impl fmt::Debug for Finish<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finish::Done(outcome) => f.debug_tuple("Done").field(&outcome.is_ok()).finish(),
            Finish::More(_) => f.write_str("More"),
        }
    }
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
