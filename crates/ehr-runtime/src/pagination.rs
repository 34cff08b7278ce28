//! What a paginated list operation of a generated client must provide, so that the façade can
//! stream its pages and items.
//!
//! `cargo xtask codegen` implements [`ListRequest`] for the builder of every list operation
//! (`*_list`) of a vendor with a paging convention, and [`Page`] for its page envelope. The
//! façade (`ehr_sdk::pagination`) turns a `ListRequest` into streams.

use std::future::Future;
use std::pin::Pin;

use progenitor_client::{Error, ResponseValue};

/// What fetching one page can fail with: the generated client's error, with the vendor's error
/// body re-encoded as JSON (so lists of every operation share one type).
pub type PageError = Error<serde_json::Value>;

/// A page being fetched.
pub type PageFuture<'a, P> = Pin<Box<dyn Future<Output = Result<P, PageError>> + Send + 'a>>;

/// Fetches the page at an absolute `next` URL, with the same client (same runtime, same auth).
pub type NextPage<'a, P> = Box<dyn Fn(String) -> PageFuture<'a, P> + Send + Sync + 'a>;

/// A page envelope: `{next, previous, results}` (DrChrono), `{count, next, previous, results}`
/// (Elation).
pub trait Page: Send + 'static {
    /// One result.
    type Item: Send + 'static;
    /// The absolute URL of the next page, if there is one.
    fn next_url(&self) -> Option<&str>;
    /// The results, in order.
    fn into_items(self) -> Vec<Self::Item>;
}

/// A list request, ready to page through.
pub struct Split<'a, P> {
    /// The `operationId`.
    pub operation_id: &'static str,
    /// The client's base URL: `next` links must stay in its origin.
    pub base_url: &'a str,
    /// The first page, as the request asks for it.
    pub first: PageFuture<'a, P>,
    /// Fetches a `next` page.
    pub next: NextPage<'a, P>,
}

/// The builder of a generated list operation.
pub trait ListRequest<'a>: Sized + Send + 'a {
    /// Its page envelope.
    type Page: Page;
    /// Splits the request into its first page and the means to fetch the rest.
    fn split(self) -> Split<'a, Self::Page>;
}

/// The generated client's error with its body as JSON.
pub fn erase<E: serde::Serialize>(error: Error<E>) -> PageError {
    match error {
        Error::InvalidRequest(m) => Error::InvalidRequest(m),
        Error::CommunicationError(e) => Error::CommunicationError(e),
        Error::InvalidUpgrade(e) => Error::InvalidUpgrade(e),
        Error::ErrorResponse(value) => {
            let status = value.status();
            let headers = value.headers().clone();
            let body = serde_json::to_value(value.into_inner()).unwrap_or_default();
            Error::ErrorResponse(ResponseValue::new(body, status, headers))
        }
        Error::ResponseBodyError(e) => Error::ResponseBodyError(e),
        Error::InvalidResponsePayload(b, e) => Error::InvalidResponsePayload(b, e),
        Error::UnexpectedResponse(r) => Error::UnexpectedResponse(r),
        Error::Custom(m) => Error::Custom(m),
    }
}

/// Decodes a `next` page response the way generated code decodes the first.
pub async fn decode_page<P: serde::de::DeserializeOwned>(
    response: reqwest::Response,
) -> Result<P, PageError> {
    if response.status().is_success() {
        ResponseValue::<P>::from_response::<serde_json::Value>(response)
            .await
            .map(ResponseValue::into_inner)
    } else {
        Err(Error::UnexpectedResponse(response))
    }
}
