//! The two paths a call can take through a `Transport`: `begin` → send → `finish`, and `send`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use ehr_runtime::{CallInfo, Finish, Resend, Runtime, Ticket, Transport, TransportFuture};
use httpmock::prelude::*;

const CALL: CallInfo = CallInfo {
    vendor: "test",
    operation_id: "things_list",
};

/// Marks each request with the path it took and counts calls of each method.
#[derive(Debug)]
struct Marking {
    fast: bool,
    counts: Arc<Counts>,
}

/// How often each method of [`Marking`] was called.
#[derive(Debug, Default)]
struct Counts {
    begun: AtomicUsize,
    succeeded: AtomicUsize,
    finished: AtomicUsize,
    full: AtomicUsize,
}

/// A runtime over a [`Marking`] transport (taking the fast path when `fast`), and its counts.
fn marking(fast: bool) -> (Runtime, Arc<Counts>) {
    let counts = Arc::new(Counts::default());
    let transport = Marking {
        fast,
        counts: counts.clone(),
    };
    (
        Runtime::new(ehr_runtime::default_http_client(), transport),
        counts,
    )
}

impl Transport for Marking {
    fn send<'a>(
        &'a self,
        http: &'a reqwest::Client,
        mut request: reqwest::Request,
        _call: CallInfo,
    ) -> TransportFuture<'a> {
        self.counts.full.fetch_add(1, Ordering::SeqCst);
        request
            .headers_mut()
            .insert("x-path", reqwest::header::HeaderValue::from_static("full"));
        Box::pin(http.execute(request))
    }

    fn begin(&self, request: &mut reqwest::Request, _call: CallInfo) -> Option<Ticket> {
        self.counts.begun.fetch_add(1, Ordering::SeqCst);
        if !self.fast {
            return None;
        }
        let resend = Resend::of(request);
        request
            .headers_mut()
            .insert("x-path", reqwest::header::HeaderValue::from_static("fast"));
        let ticket = Ticket {
            resend,
            method: request.method().clone(),
            started: Instant::now(),
            span: tracing::Span::none(),
            authorization: Some(reqwest::header::HeaderValue::from_static("Bearer seven")),
        };
        Some(ticket)
    }

    fn succeeded(&self, response: &reqwest::Response, ticket: &Ticket, _call: CallInfo) {
        self.counts.succeeded.fetch_add(1, Ordering::SeqCst);
        assert!(response.status().is_success());
        assert!(ticket.resend.is_some());
    }

    fn finish<'a>(
        &'a self,
        http: &'a reqwest::Client,
        outcome: reqwest::Result<reqwest::Response>,
        ticket: Ticket,
        call: CallInfo,
    ) -> Finish<'a> {
        self.counts.finished.fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            ticket.authorization.as_ref().map(|v| v.as_bytes()),
            Some(&b"Bearer seven"[..])
        );
        match outcome {
            Ok(response) if response.status().is_success() => Finish::Done(Ok(response)),
            _ => match ticket.resend {
                Some(again) => Finish::More(self.send(http, again.into_request(), call)),
                None => Finish::Done(Ok(http::Response::new("").into())),
            },
        }
    }
}

fn get(server: &MockServer, path: &str) -> reqwest::Request {
    reqwest::Request::new(reqwest::Method::GET, server.url(path).parse().unwrap())
}

#[tokio::test]
async fn a_success_on_the_fast_path_is_sent_once_and_returned_as_it_is() {
    let server = MockServer::start_async().await;
    let fast = server
        .mock_async(|when, then| {
            when.path("/things").header("x-path", "fast");
            then.status(200).body("[]");
        })
        .await;
    let (runtime, counts) = marking(true);

    let response = runtime
        .execute(get(&server, "/things"), CALL)
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "[]");
    fast.assert_calls_async(1).await;
    // Seen by `succeeded`, not handed to `finish`.
    let counts = (
        counts.begun.load(Ordering::SeqCst),
        counts.succeeded.load(Ordering::SeqCst),
        counts.finished.load(Ordering::SeqCst),
        counts.full.load(Ordering::SeqCst),
    );
    assert_eq!(counts, (1, 1, 0, 0));
}

#[tokio::test]
async fn a_failure_on_the_fast_path_goes_on_along_the_transports_future() {
    let server = MockServer::start_async().await;
    let fast = server
        .mock_async(|when, then| {
            when.path("/things").header("x-path", "fast");
            then.status(503);
        })
        .await;
    let full = server
        .mock_async(|when, then| {
            when.path("/things").header("x-path", "full");
            then.status(200).body("[1]");
        })
        .await;
    let (runtime, counts) = marking(true);

    let response = runtime
        .execute(get(&server, "/things"), CALL)
        .await
        .unwrap();

    assert_eq!(response.text().await.unwrap(), "[1]");
    fast.assert_calls_async(1).await;
    full.assert_calls_async(1).await;
    assert_eq!(counts.full.load(Ordering::SeqCst), 1);
    assert_eq!(counts.finished.load(Ordering::SeqCst), 1);
    assert_eq!(counts.succeeded.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_transport_that_declines_the_fast_path_sends_every_call_through_send() {
    let server = MockServer::start_async().await;
    let full = server
        .mock_async(|when, then| {
            when.path("/things").header("x-path", "full");
            then.status(200).body("[]");
        })
        .await;
    let (runtime, counts) = marking(false);

    let response = runtime
        .execute(get(&server, "/things"), CALL)
        .await
        .unwrap();

    assert_eq!(response.status(), 200);
    full.assert_calls_async(1).await;
    assert_eq!(counts.finished.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_error_status_on_the_fast_path_is_classified_with_the_vendors_body() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/things");
            then.status(404).body(r#"{"detail":"Not found."}"#);
        })
        .await;
    let (runtime, _) = marking(true);

    let response = runtime
        .execute(get(&server, "/things"), CALL)
        .await
        .unwrap();

    let error = ehr_runtime::carried(&response).expect("a classified error");
    assert!(error.to_string().contains("Not found."), "{error}");
}
