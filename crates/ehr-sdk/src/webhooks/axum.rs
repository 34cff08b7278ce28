//! Ready [`axum`] routes for the vendors' webhooks (feature `axum`): mount one at your callback
//! path and give it what to do with each verified delivery.
//!
//! One route, [`route`], serves any vendor's [`WebhookVerifier`]; [`drchrono`] adds DrChrono's
//! handshake to it and [`elation`] is it for Elation. It reads the body (bounded by the
//! verifier's limit), verifies it, skips deliveries already processed ([`SeenDeliveries`]), and calls your handler once per delivery. It answers
//! `200` when the delivery was processed (or was a redelivery), the refusal's
//! [status](super::WebhookError::status) when it did not verify, and `500` when your handler
//! failed; the delivery is then forgotten, so the vendor's redelivery is processed again.
//! Nothing of the body or the headers is logged.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use ehr_sdk::drchrono::WebhookVerifier;
//! use ehr_sdk::webhooks::MemorySeenDeliveries;
//!
//! let hooks = ehr_sdk::webhooks::axum::drchrono(
//!     WebhookVerifier::new("the webhook's secret token"),
//!     Arc::new(MemorySeenDeliveries::default()),
//!     |delivery| async move {
//!         println!("{} {}", delivery.event, delivery.id);
//!         Ok(())
//!     },
//! );
//! let app: axum::Router = axum::Router::new().route("/hooks/drchrono", hooks);
//! # let _ = app;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;

use super::{AcceptError, SeenDeliveries, Verify, WebhookVerifier};

/// What a delivery handler returns: `Err` answers 500, so the vendor redelivers.
pub type HandlerResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The request's parts and body, or the answer when the body is over `limit` bytes.
async fn read(request: Request, limit: usize) -> Result<(http::request::Parts, Bytes), Response> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(_) => Err(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    }
}

/// Runs `handler` on a first-time delivery and answers for it.
async fn answer<T, Fut>(
    accepted: Result<Option<T>, AcceptError>,
    id: Option<String>,
    seen: &dyn SeenDeliveries,
    handler: impl FnOnce(T) -> Fut,
) -> Response
where
    Fut: Future<Output = HandlerResult>,
{
    match accepted {
        Ok(None) => StatusCode::OK.into_response(),
        Ok(Some(delivery)) => match handler(delivery).await {
            Ok(()) => StatusCode::OK.into_response(),
            Err(_) => {
                if let Some(id) = id {
                    // If this fails too, the redelivery is skipped: nothing better can be done.
                    let _ = seen.forget(&id).await;
                }
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        },
        Err(AcceptError::Refused(refusal)) => refusal.status().into_response(),
        Err(AcceptError::Seen(_)) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// The route of any vendor's deliveries: `POST` reads the body (bounded by the verifier's
/// limit), verifies it with the verifier's [`Verify`] scheme, and calls `on_delivery` once per
/// delivery id (see the module documentation for the answers). [`drchrono`] is this route
/// with DrChrono's handshake; [`elation`] is this route.
pub fn route<S, F, Fut>(
    verifier: WebhookVerifier<S>,
    seen: Arc<dyn SeenDeliveries>,
    on_delivery: F,
) -> MethodRouter
where
    S: Verify,
    F: Fn(S::Delivery) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    let verifier = Arc::new(verifier);
    axum::routing::post(move |request: Request| {
        let (verifier, seen, on_delivery) = (verifier.clone(), seen.clone(), on_delivery.clone());
        async move {
            let (parts, body) = match read(request, verifier.body_limit()).await {
                Ok(read) => read,
                Err(answer) => return answer,
            };
            let accepted = verifier.accept(&parts, &body, &*seen).await;
            let id = accepted
                .as_ref()
                .ok()
                .and_then(Option::as_ref)
                .and_then(S::delivery_id)
                .map(str::to_string);
            answer(accepted, id, &*seen, on_delivery).await
        }
    })
}

/// DrChrono's callback route: `GET ?msg=…` answers the verification handshake
/// (`{"secret_token": …}`), `POST` takes deliveries and calls `on_delivery` once per
/// delivery id.
#[cfg(feature = "drchrono")]
pub fn drchrono<F, Fut>(
    verifier: crate::drchrono::WebhookVerifier,
    seen: Arc<dyn SeenDeliveries>,
    on_delivery: F,
) -> MethodRouter
where
    F: Fn(crate::drchrono::Delivery) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = HandlerResult> + Send + 'static,
{
    let handshake = {
        let verifier = Arc::new(verifier.clone());
        move |request: Request| async move {
            let (parts, _) = request.into_parts();
            match verifier.handshake(&parts) {
                Ok(answer) => match serde_json::to_vec(&answer) {
                    Ok(json) => {
                        let json_type = [(axum::http::header::CONTENT_TYPE, "application/json")];
                        (json_type, axum::body::Body::from(json)).into_response()
                    }
                    Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                },
                Err(refusal) => refusal.status().into_response(),
            }
        }
    };
    route(verifier, seen, on_delivery).get(handshake)
}

/// Elation's callback route: [`route`] with an Elation verifier: `POST` takes deliveries,
/// verifies their Ed25519 signature and calls the handler once per event (by `event_uuid`,
/// else `event_id`).
#[cfg(feature = "elation")]
pub use route as elation;
