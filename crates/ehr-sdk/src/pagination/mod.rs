//! Streams of pages and of items over any paginated list of a generated client.
//!
//! Every list builder of a vendor with a paging convention (DrChrono's `{next, previous,
//! results}`, Elation's `{count, next, previous, results}`) implements
//! [`ListRequest`], so [`Paginate`] gives it:
//!
//! - [`pages`](Paginate::pages): a lazy stream of pages;
//! - [`items`](Paginate::items): a lazy stream of results, with [`Items::max_items`] and
//!   [`Items::prefetch`].
//!
//! Both follow each page's absolute `next` URL with the same client (same credentials, retries
//! and rate limit) and end after the first error. A server that would keep a stream going
//! forever ends it with [`Error::Pagination`] instead, never with silence:
//!
//! - a `next` on another origin is refused (nothing is sent there);
//! - a `next` that cycles back to any page already fetched in this stream;
//! - [`MAX_EMPTY_PAGES`] empty pages in a row that still have a `next`;
//! - more pages than the stream's cap, [`DEFAULT_MAX_PAGES`] unless set with
//!   [`Pages::max_pages`] / [`Items::max_pages`].
//!
//! Memory holds one page (two with prefetch) and the `next` URLs followed so far.
//!
//! ```no_run
//! # async fn run(client: ehr_sdk::drchrono::Client) -> Result<(), ehr_sdk::Error> {
//! use ehr_sdk::pagination::Paginate;
//! use futures::TryStreamExt;
//!
//! let mut patients = client.patients_list().doctor(5).page_size(100).items().prefetch(true);
//! while let Some(patient) = patients.try_next().await? {
//!     println!("{}", patient.id);
//! }
//! # Ok(()) }
//! ```

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};

use ehr_runtime::pagination::{ListRequest, NextPage, Page, PageFuture};
use futures::{FutureExt, Stream};
use reqwest::Url;

use crate::Error;
use crate::pipeline::Origin;

/// The most pages a stream fetches unless told otherwise (10,000: 2.5 million DrChrono records
/// at 250 a page); one more ends the stream with [`Error::Pagination`].
pub const DEFAULT_MAX_PAGES: usize = 10_000;

/// How many empty pages in a row, each with a `next`, end a stream with [`Error::Pagination`].
pub const MAX_EMPTY_PAGES: usize = 5;

/// Paging for every generated list builder.
pub trait Paginate<'a>: ListRequest<'a> {
    /// The pages of the list, lazily.
    fn pages(self) -> Pages<'a, Self::Page> {
        Pages::new(self.split())
    }

    /// The results of the list, page after page, lazily.
    fn items(self) -> Items<'a, Self::Page> {
        Items {
            pages: self.pages(),
            buffer: Vec::new().into_iter(),
            remaining: None,
        }
    }
}

impl<'a, T: ListRequest<'a>> Paginate<'a> for T {}

/// A stream of pages; see [`Paginate::pages`].
pub struct Pages<'a, P> {
    operation_id: &'static str,
    origin: Option<Origin>,
    next: NextPage<'a, P>,
    in_flight: Option<PageFuture<'a, P>>,
    /// Whether the prefetch in flight asked to be polled again (see [`Prefetch`]).
    prefetch_wake: std::sync::Arc<Prefetch>,
    ready: Option<Result<P, Error>>,
    pending_url: Option<String>,
    /// Every `next` followed in this stream (cycle detection).
    followed: HashSet<String>,
    /// Pages taken in so far, and how many of the last ones were empty.
    fetched: usize,
    empty_run: usize,
    max_pages: usize,
    prefetch: bool,
    done: bool,
}

impl<'a, P: Page> Pages<'a, P> {
    fn new(split: ehr_runtime::pagination::Split<'a, P>) -> Self {
        let operation_id = split.operation_id;
        let origin = Origin::parse(split.base_url).ok();
        Self {
            operation_id,
            origin,
            in_flight: Some(split.first),
            prefetch_wake: std::sync::Arc::new(Prefetch::default()),
            next: split.next,
            ready: None,
            pending_url: None,
            followed: HashSet::new(),
            fetched: 0,
            empty_run: 0,
            max_pages: DEFAULT_MAX_PAGES,
            prefetch: false,
            done: false,
        }
    }

    /// Starts fetching the next page as soon as a page arrives, so it downloads while the
    /// current one is consumed (through [`Items`]).
    pub fn prefetch(mut self, on: bool) -> Self {
        self.prefetch = on;
        self
    }

    /// Ends the stream with [`Error::Pagination`] after `max` pages (at least one).
    pub fn max_pages(mut self, max: usize) -> Self {
        self.max_pages = max.max(1);
        self
    }

    /// Takes in a page: notes its `next` and decides whether to fetch it now.
    fn accept(&mut self, result: Result<P, Error>) -> Result<P, Error> {
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                self.done = true;
                return Err(e);
            }
        };
        self.fetched += 1;
        if page.item_count() == 0 {
            self.empty_run += 1;
        } else {
            self.empty_run = 0;
        }
        match page.next_url().map(str::to_string) {
            None => self.done_after_this(),
            Some(url) => match self.check(&url) {
                Err(e) => {
                    // Yield this page; the refusal comes next.
                    self.ready = Some(Err(e));
                }
                Ok(()) => {
                    self.followed.insert(url.clone());
                    if self.prefetch {
                        self.in_flight = Some((self.next)(url));
                        // A new future has never been polled: the first poll starts it.
                        self.prefetch_wake.woken.store(true, Ordering::Release);
                    } else {
                        self.pending_url = Some(url);
                    }
                }
            },
        }
        Ok(page)
    }

    fn done_after_this(&mut self) {
        self.pending_url = None;
        self.in_flight = None;
        self.ready = None;
        // `done` is set when the stream is polled again and finds nothing to fetch.
    }

    /// `Ok`: follow `url`; `Err`: end the stream with this error.
    fn check(&self, url: &str) -> Result<(), Error> {
        let stop = |reason: String| {
            Err(Error::Pagination {
                operation_id: self.operation_id,
                reason,
            })
        };
        let parsed = Url::parse(url).map_err(|e| Error::Pagination {
            operation_id: self.operation_id,
            reason: format!("`next` is not an absolute URL: {e}"),
        })?;
        let same_origin = self.origin.as_ref().is_some_and(|o| o.matches(&parsed));
        if !same_origin {
            return Err(Error::Pagination {
                operation_id: self.operation_id,
                reason: format!(
                    "`next` points to another origin ({}); not followed",
                    Origin::of(&parsed)
                ),
            });
        }
        if self.followed.contains(url) {
            return stop(format!(
                "`next` cycles back to a page already fetched (after {} pages)",
                self.fetched
            ));
        }
        if self.empty_run >= MAX_EMPTY_PAGES {
            return stop(format!(
                "{} empty pages in a row, each with a `next`",
                self.empty_run
            ));
        }
        if self.fetched >= self.max_pages {
            return stop(format!(
                "more than {} pages; raise the cap with .max_pages(…)",
                self.max_pages
            ));
        }
        Ok(())
    }

    /// Drives a prefetch in flight without yielding (used by [`Items`] between items).
    ///
    /// The future is polled only when it is new or has woken since its last poll, not once per
    /// item: polling a pending HTTP call walks the whole client stack, which cost more than a
    /// record's decoding when done for each of a page's items.
    fn poll_prefetch(&mut self, cx: &mut Context<'_>) {
        if self.ready.is_some() || self.in_flight.is_none() {
            return;
        }
        if !self.prefetch_wake.woken.swap(false, Ordering::AcqRel) {
            return;
        }
        let waker = self.prefetch_wake.waker_for(cx.waker());
        let mut prefetch_cx = Context::from_waker(&waker);
        if let Some(fut) = self.in_flight.as_mut()
            && let Poll::Ready(result) = fut.poll_unpin(&mut prefetch_cx)
        {
            self.in_flight = None;
            self.ready = Some(result);
        }
    }
}

/// The waker a prefetch is polled with between items: it notes that the prefetch woke, then
/// wakes the stream's consumer, so the stream knows when another poll can make progress.
#[derive(Default)]
struct Prefetch {
    woken: AtomicBool,
    consumer: std::sync::Mutex<Option<Waker>>,
}

impl Prefetch {
    /// A waker for the prefetch that also wakes `consumer`.
    fn waker_for(self: &std::sync::Arc<Self>, consumer: &Waker) -> Waker {
        let mut current = self.consumer.lock().unwrap_or_else(|e| e.into_inner());
        if !current.as_ref().is_some_and(|w| w.will_wake(consumer)) {
            *current = Some(consumer.clone());
        }
        Waker::from(self.clone())
    }
}

impl Wake for Prefetch {
    fn wake(self: std::sync::Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &std::sync::Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        let consumer = self.consumer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(waker) = consumer.as_ref() {
            waker.wake_by_ref();
        }
    }
}

// No field is pinned structurally: futures are boxed, pages and items are moved freely.
impl<P> Unpin for Pages<'_, P> {}
impl<P: Page> Unpin for Items<'_, P> {}

impl<P: Page> Stream for Pages<'_, P> {
    type Item = Result<P, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(result) = this.ready.take() {
            return match result {
                Ok(page) => Poll::Ready(Some(this.accept(Ok(page)))),
                Err(e) => {
                    this.done = true;
                    Poll::Ready(Some(Err(e)))
                }
            };
        }
        if this.in_flight.is_none() {
            match this.pending_url.take() {
                Some(url) => {
                    this.in_flight = Some((this.next)(url));
                }
                None => {
                    this.done = true;
                    return Poll::Ready(None);
                }
            }
        }
        let Some(fut) = this.in_flight.as_mut() else {
            this.done = true;
            return Poll::Ready(None);
        };
        match fut.poll_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(result) => {
                this.in_flight = None;
                Poll::Ready(Some(this.accept(result)))
            }
        }
    }
}

/// A stream of results; see [`Paginate::items`].
pub struct Items<'a, P: Page> {
    pages: Pages<'a, P>,
    /// The current page's results not yet yielded (no copy: the page's own vector).
    buffer: std::vec::IntoIter<P::Item>,
    remaining: Option<usize>,
}

impl<P: Page> Items<'_, P> {
    /// Stops after `max` results (and fetches no page beyond the one holding the last).
    pub fn max_items(mut self, max: usize) -> Self {
        self.remaining = Some(max);
        self
    }

    /// Fetches the next page while the current one is consumed.
    pub fn prefetch(mut self, on: bool) -> Self {
        self.pages = self.pages.prefetch(on);
        self
    }

    /// Ends the stream with [`Error::Pagination`] after `max` pages (see [`Pages::max_pages`]).
    pub fn max_pages(mut self, max: usize) -> Self {
        self.pages = self.pages.max_pages(max);
        self
    }
}

impl<P: Page> Stream for Items<'_, P> {
    type Item = Result<P::Item, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.remaining == Some(0) {
                return Poll::Ready(None);
            }
            if let Some(item) = this.buffer.next() {
                this.pages.poll_prefetch(cx);
                if let Some(n) = this.remaining.as_mut() {
                    *n -= 1;
                }
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer = page.into_items().into_iter(),
            }
        }
    }
}
