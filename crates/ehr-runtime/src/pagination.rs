//! What a paginated list operation of a generated client must provide, so that the façade can
//! stream its pages and items.
//!
//! `cargo xtask codegen` implements [`ListRequest`] for the builder of every list operation
//! (`*_list`) of a vendor with a paging convention, and [`Page`] for its page envelope. The
//! façade (`ehr_sdk::pagination`) turns a `ListRequest` into streams.

use std::future::Future;
use std::pin::Pin;

use crate::Error;

/// A page being fetched.
pub type PageFuture<'a, P> = Pin<Box<dyn Future<Output = Result<P, Error>> + Send + 'a>>;

/// Fetches the page at an absolute `next` URL, with the same client (same runtime, same auth).
pub type NextPage<'a, P> = Box<dyn Fn(String) -> PageFuture<'a, P> + Send + Sync + 'a>;

/// A page envelope: `{next, previous, results}` (DrChrono), `{count, next, previous, results}`
/// (Elation).
pub trait Page: Send + 'static {
    /// One result.
    type Item: Send + 'static;
    /// The absolute URL of the next page, if there is one.
    fn next_url(&self) -> Option<&str>;
    /// How many results the page holds.
    fn item_count(&self) -> usize;
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

/// Decodes what a `next` page request got the way generated code decodes the first page.
pub async fn decode_page<P: serde::de::DeserializeOwned>(
    operation_id: &'static str,
    sent: reqwest::Result<reqwest::Response>,
) -> Result<P, Error> {
    let response = sent.map_err(|e| Error::http(operation_id, e, Vec::new()))?;
    let status = response.status();
    if !status.is_success() {
        return Err(Error::from_response(operation_id, response).await);
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| Error::http(operation_id, e, Vec::new()))?;
    serde_json::from_slice(&body).map_err(|e| Error::decode(operation_id, status, &body, &e))
}
