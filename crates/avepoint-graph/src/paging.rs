//! Walking paginated operations: the one request type of every paginated operation
//! ([`PagedRequest`]), [`Page`], the lazy [`PageStream`] and the guards that end a walk the
//! service does not bring to an end itself.
//!
//! Each paginated operation is a small descriptor implementing [`PagedOperation`] (what every
//! page fetch sends, how to fetch page N of size S, how to map the raw page); the page size,
//! the page cap, streaming and collecting are written once, on [`PagedRequest`].
//!
//! The paginated operations take `pageIndex` (from 1) and `pageSize` (1..=100) and answer one
//! page of items with `metadata.totalCount`, the size of the whole result. A [`PageStream`]
//! fetches page 1 when first polled, yields its items, and fetches the next page only once
//! those are consumed. Every page fetch is one call of the client, with its retries and its
//! 401 refresh.
//!
//! The walk ends normally when
//! * as many distinct items as the largest `totalCount` seen have been yielded, or
//! * a page is empty, or
//! * a page is shorter than the page size (the last page).
//!
//! `totalCount` may change during the walk (customers added or removed): a larger value is
//! followed; a smaller one does not end the walk early (the pages themselves show where the
//! list ends, with a short or empty page), so no item is lost to a miscounted total. Offset paging over a changing list can show an item twice; an item already yielded
//! (same key, e.g. the customer id) is skipped, so each appears once.
//!
//! It ends with [`Error::Paging`] (after the items already yielded) when the service
//! misbehaves:
//! * a page holds only items already yielded (the service repeated a page, or ignores
//!   `pageIndex`): the page is fetched again up to [`REPEATED_PAGE_REFETCHES`] times, then
//!   the walk stops;
//! * the walk would go past the page cap: twice the pages the first `totalCount` needs, plus
//!   two (so a `totalCount` that keeps growing, or pages that keep repeating items, cannot go
//!   on for ever), and never more than [`DEFAULT_MAX_PAGES`] (or
//!   the request's `max_pages`), however large a `totalCount` the service announces;
//! * the time spent waiting for pages passes the walk's time budget
//!   ([`DEFAULT_TIME_BUDGET`], or [`PageStream::time_budget`]): a service that answers each
//!   page slowly cannot hold a walk for ever. Only the page fetches count, not the time the
//!   consumer takes between pages, and they are timed on the client's clock
//!   ([`ClientBuilder::clock`](crate::ClientBuilder::clock)) like every other wait.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::Stream;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use avepoint_graph_raw as raw;

use crate::client::Client;
use crate::clock::{self, Clock, TokioClock};
use crate::error::Error;
use crate::operation::Operation;

/// The largest page size the service accepts.
pub const MAX_PAGE_SIZE: u32 = 100;

/// The page size used when none is given: the largest, so a walk needs the fewest calls.
pub const DEFAULT_PAGE_SIZE: u32 = MAX_PAGE_SIZE;

/// The absolute cap on the pages of one walk, whatever `totalCount` says: 2,000 pages, i.e.
/// 200,000 items at the default page size, far above any real partner's customers. It also
/// bounds the time and the memory of the walk's duplicate check.
pub const DEFAULT_MAX_PAGES: u32 = 2_000;

/// The absolute cap on the pages of one customer's tenants report: 1,000 pages, i.e. 100,000
/// tenants at the default page size. The report is collected in memory, so its cap is lower.
pub const DEFAULT_MAX_TENANT_PAGES: u32 = 1_000;

/// The default budget of time spent waiting for the pages of one walk: 15 minutes.
pub const DEFAULT_TIME_BUDGET: Duration = Duration::from_secs(15 * 60);

/// How many times a page that repeats earlier items is fetched again before the walk stops.
pub(crate) const REPEATED_PAGE_REFETCHES: u32 = 2;

/// One page of a paginated operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page, as the service sent them.
    pub items: Vec<T>,
    /// The page index the service reported (`metadata.pageIndex`, 1-based).
    pub page_index: u32,
    /// The page size the service reported (`metadata.pageSize`).
    pub page_size: u32,
    /// The number of items of the whole result, all pages together (`metadata.totalCount`).
    pub total_count: u64,
}

impl<T> Page<T> {
    /// Builds a page from the raw metadata; a negative `totalCount` is refused, a negative
    /// echoed index or size is read as 0 (they are only informative).
    fn from_raw(
        operation: &'static str,
        items: Vec<T>,
        metadata: &avepoint_graph_raw::types::PageMetadata,
    ) -> Result<Self, Error> {
        let total_count = u64::try_from(metadata.total_count).map_err(|_| Error::Decode {
            operation,
            message: format!("`totalCount` is negative ({})", metadata.total_count),
            snippet: String::new(),
        })?;
        Ok(Self {
            items,
            page_index: metadata.page_index.get(),
            page_size: metadata.page_size.get(),
            total_count,
        })
    }
}

/// Checks a requested page size: 1..=[`MAX_PAGE_SIZE`].
fn checked_page_size(size: u32) -> Result<NonZeroU32, Error> {
    NonZeroU32::new(size)
        .filter(|s| s.get() <= MAX_PAGE_SIZE)
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "the page size {size} is out of range; use 1 to {MAX_PAGE_SIZE}"
            ))
        })
}

/// Checks a requested page index: pages count from 1.
fn checked_page_index(index: u32) -> Result<NonZeroU32, Error> {
    NonZeroU32::new(index).ok_or_else(|| {
        Error::InvalidInput("the page index 0 is out of range; pages count from 1".into())
    })
}

/// A paginated operation of the API: the type parameter of [`PagedRequest`].
///
/// Implemented by this crate, once per paginated operation ([`CustomersListing`],
/// [`TenantSeatsBatch`]); it is sealed (it cannot be implemented outside the crate).
///
/// [`CustomersListing`]: crate::CustomersListing
/// [`TenantSeatsBatch`]: crate::TenantSeatsBatch
pub trait PagedOperation: sealed::Sealed + fmt::Debug + Clone + Send + Sync + 'static {
    /// The items a walk of the operation yields.
    type Item: Send + 'static;
}

/// Keeps [`PagedOperation`] to this crate's operations.
pub(crate) mod sealed {
    /// Implemented by each paginated operation of this crate.
    pub trait Sealed {}
}

/// What a paginated operation tells the shared paging code: what every page fetch sends, how
/// to fetch page N of size S and how to map the raw page. Adding a paginated operation is
/// one implementation of this trait and one constructor on [`Client`].
pub(crate) trait Paged: PagedOperation {
    /// What every page fetch sends (checked once, before the first fetch).
    type Target: Send + Sync + 'static;
    /// The raw page the generated client returns.
    type RawPage: Send + 'static;
    /// One raw item of the raw page.
    type RawItem;

    /// The operation's descriptor (name, scopes, status hints).
    const OPERATION: &'static Operation;
    /// The page cap when the request sets none.
    const DEFAULT_MAX_PAGES: u32;

    /// Checks the request's parameters and prepares what every page fetch sends; an error
    /// is returned before anything is sent.
    fn target(&self) -> Result<Self::Target, Error>;

    /// The `avepoint.call` span of one page fetch.
    fn span(target: &Self::Target, index: NonZeroU32, size: NonZeroU32) -> tracing::Span;

    /// Sends page `index` of size `size` with the generated client.
    fn send(
        target: &Self::Target,
        raw: &raw::Client,
        index: NonZeroU32,
        size: NonZeroU32,
    ) -> impl Future<Output = Result<raw::ResponseValue<Self::RawPage>, raw::Error<raw::ByteStream>>>
    + Send;

    /// The raw items and the page metadata of a raw page.
    fn split(page: Self::RawPage) -> (Vec<Self::RawItem>, raw::types::PageMetadata);

    /// Maps one raw item; an error is a decode error of the page.
    fn item(raw: Self::RawItem) -> Result<Self::Item, Error>;

    /// What identifies an item within a walk (duplicates are skipped by it).
    fn key(item: &Self::Item) -> String;
}

/// A prepared request of a paginated operation `Op` (see [`PagedOperation`]), returned by
/// [`Client::customers`] and [`Client::tenant_seats_batch`].
///
/// Set the page size and the page cap, then walk every page lazily
/// ([`PagedRequest::stream`]), gather them ([`PagedRequest::collect_all`]) or fetch one page
/// ([`PagedRequest::page`], [`PagedRequest::first_page`]). Each operation adds its own
/// parameters (e.g. [`PagedRequest::customer_ids`]).
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed or collected"]
pub struct PagedRequest<Op: PagedOperation> {
    client: Client,
    pub(crate) operation: Op,
    page_size: u32,
    max_pages: u32,
    walker: Walker<Op>,
}

/// `Op`'s part of the walk, taken from its [`Paged`] implementation when the request is made.
///
/// `Paged` names crate-private types (the scope set, the prepared target), so the public
/// methods of [`PagedRequest`] cannot be bounded by it; they reach it through these function
/// pointers instead.
struct Walker<Op: PagedOperation> {
    name: &'static str,
    key: ItemKey<Op::Item>,
    /// Checks the request and returns its page fetcher.
    fetcher: Fetcher<Op>,
}

/// Checks a request of `Op` and returns its page fetcher.
type Fetcher<Op> = fn(&Client, &Op) -> Result<FetchPage<<Op as PagedOperation>::Item>, Error>;

impl<Op: PagedOperation> Clone for Walker<Op> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<Op: PagedOperation> Copy for Walker<Op> {}

impl<Op: PagedOperation> fmt::Debug for Walker<Op> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

impl<Op: PagedOperation> PagedRequest<Op> {
    /// A request of `operation` with the default page size and page cap.
    pub(crate) fn new(client: &Client, operation: Op) -> Self
    where
        Op: Paged,
    {
        Self {
            client: client.clone(),
            operation,
            page_size: DEFAULT_PAGE_SIZE,
            max_pages: Op::DEFAULT_MAX_PAGES,
            walker: Walker {
                name: Op::OPERATION.name,
                key: Op::key,
                fetcher: fetcher::<Op>,
            },
        }
    }

    /// Items per page, 1..=[`MAX_PAGE_SIZE`] (default [`DEFAULT_PAGE_SIZE`]). Out of range,
    /// the stream yields [`Error::InvalidInput`] without calling the service.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most pages to fetch before ending with [`Error::Paging`] (default
    /// [`DEFAULT_MAX_PAGES`] for the customers listing, [`DEFAULT_MAX_TENANT_PAGES`] for a
    /// customer's tenants report); the walk also stops at twice the pages the first
    /// `totalCount` needs, plus two.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages;
        self
    }

    /// The items, fetched lazily page by page (see [`PageStream`]).
    pub fn stream(self) -> PageStream<Op::Item> {
        let Walker { name, key, fetcher } = self.walker;
        let prepared = fetcher(&self.client, &self.operation)
            .and_then(|fetch| checked_page_size(self.page_size).map(|size| (fetch, size)));
        match prepared {
            Ok((fetch, size)) => {
                PageStream::new(name, size, self.max_pages, key, fetch, self.client.clock())
            }
            Err(e) => PageStream::failed(name, key, e),
        }
    }

    /// Every item, all pages walked.
    pub async fn collect_all(self) -> Result<Vec<Op::Item>, Error> {
        self.stream().collect_all().await
    }

    /// Page `index` (1-based) alone.
    pub async fn page(&self, index: u32) -> Result<Page<Op::Item>, Error> {
        let fetch = (self.walker.fetcher)(&self.client, &self.operation)?;
        let size = checked_page_size(self.page_size)?;
        let index = checked_page_index(index)?;
        fetch(index, size).await
    }

    /// Page 1 alone, with the `totalCount` of the whole result.
    pub async fn first_page(&self) -> Result<Page<Op::Item>, Error> {
        self.page(1).await
    }
}

/// Checks `operation`'s parameters and returns its page fetcher.
fn fetcher<Op: Paged>(client: &Client, operation: &Op) -> Result<FetchPage<Op::Item>, Error> {
    let target = Arc::new(operation.target()?);
    let client = client.clone();
    Ok(Arc::new(move |index, size| {
        let (client, target) = (client.clone(), Arc::clone(&target));
        Box::pin(async move { fetch_page::<Op>(&client, &target, index, size).await })
    }))
}

/// Fetches one page of `Op` through the client's call path: the one place a page is fetched.
async fn fetch_page<Op: Paged>(
    client: &Client,
    target: &Op::Target,
    index: NonZeroU32,
    size: NonZeroU32,
) -> Result<Page<Op::Item>, Error> {
    let span = Op::span(target, index, size);
    let page = client
        .call_raw(Op::OPERATION, |raw| Op::send(target, raw, index, size))
        .instrument(span)
        .await?;
    let (data, metadata) = Op::split(page);
    let items = data
        .into_iter()
        .map(Op::item)
        .collect::<Result<Vec<_>, _>>()?;
    Page::from_raw(Op::OPERATION.name, items, &metadata)
}

/// Fetches page `index` of size `size`.
type FetchPage<T> =
    Arc<dyn Fn(NonZeroU32, NonZeroU32) -> BoxFuture<'static, Result<Page<T>, Error>> + Send + Sync>;

/// What identifies an item within a walk (a customer id, a tenant id).
type ItemKey<T> = fn(&T) -> String;

/// The items of a paginated operation, fetched page by page as they are consumed.
///
/// Yields `Ok(item)` for each item, in the service's order, and ends after the last page; a
/// failed page fetch (after retries) or a paging problem ([`Error::Paging`]) is yielded as
/// the last item. [`PageStream::total_count`] tells the announced total once the first page
/// has arrived.
#[must_use = "a stream does nothing until polled"]
pub struct PageStream<T> {
    fetch: FetchPage<T>,
    walk: Walk<T>,
    in_flight: Option<BoxFuture<'static, Result<Page<T>, Error>>>,
    /// When the fetch in flight started, on `clock`.
    fetch_started: Option<Instant>,
    /// The client's clock, which times the walk's budget.
    clock: Arc<dyn Clock>,
    ready: VecDeque<T>,
    /// An error to yield once `ready` is drained; then the stream ends.
    failure: Option<Error>,
    finished: bool,
}

impl<T> fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("operation", &self.walk.operation)
            .field("page_size", &self.walk.page_size)
            .field("next_page", &self.walk.next_index)
            .field("total_count", &self.walk.total)
            .field("yielded", &self.walk.seen.len())
            .field("finished", &self.finished)
            .finish_non_exhaustive()
    }
}

impl<T> PageStream<T> {
    fn new(
        operation: &'static str,
        page_size: NonZeroU32,
        max_pages: u32,
        key: ItemKey<T>,
        fetch: FetchPage<T>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            fetch,
            clock,
            walk: Walk::new(operation, page_size, max_pages, key),
            in_flight: None,
            fetch_started: None,
            ready: VecDeque::new(),
            failure: None,
            finished: false,
        }
    }

    /// A stream that yields `error` and ends (a request refused before anything was sent).
    fn failed(operation: &'static str, key: ItemKey<T>, error: Error) -> Self {
        let fetch: FetchPage<T> = Arc::new(|_, _| {
            Box::pin(async { Err(Error::InvalidInput("the request was refused".into())) })
        });
        let mut stream = Self::new(
            operation,
            NonZeroU32::MIN,
            1,
            key,
            fetch,
            Arc::new(TokioClock),
        );
        stream.failure = Some(error);
        stream.finished = true;
        stream
    }

    /// The `totalCount` of the latest page received: `None` until the first page arrives.
    pub fn total_count(&self) -> Option<u64> {
        self.walk.total
    }

    /// Sets the budget of time spent waiting for pages (default [`DEFAULT_TIME_BUDGET`]):
    /// once the page fetches together took longer, the walk ends with [`Error::Paging`]
    /// after the items received.
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.walk.time_budget = budget;
        self
    }

    /// The number of pages fetched so far (repeated fetches included).
    pub fn pages_fetched(&self) -> u32 {
        self.walk.fetches
    }
}

impl<T: Send + 'static> PageStream<T> {
    /// Consumes the stream and returns every item, or the first error.
    pub async fn collect_all(self) -> Result<Vec<T>, Error> {
        use futures::TryStreamExt as _;
        self.try_collect().await
    }
}

// No field is structurally pinned (the future in flight is boxed), whatever `T` is.
impl<T> Unpin for PageStream<T> {}

impl<T> Stream for PageStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = Pin::into_inner(self);
        loop {
            if let Some(item) = this.ready.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(error) = this.failure.take() {
                this.finished = true;
                return Poll::Ready(Some(Err(error)));
            }
            if this.finished {
                return Poll::Ready(None);
            }
            let index = this.walk.next_index;
            let fetch = this.fetch.clone();
            let size = this.walk.page_size;
            let clock = &this.clock;
            let started = *this.fetch_started.get_or_insert_with(|| clock.now());
            let future = this.in_flight.get_or_insert_with(|| fetch(index, size));
            let result = match future.as_mut().poll(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(result) => result,
            };
            this.in_flight = None;
            this.fetch_started = None;
            this.walk.fetch_time += clock::elapsed(&*this.clock, started);
            match result {
                Err(error) => {
                    this.failure = Some(error);
                }
                Ok(page) => {
                    let step = this.walk.accept(index, page);
                    this.ready.extend(step.items);
                    match step.next {
                        Next::Fetch => {}
                        Next::End => this.finished = true,
                        Next::Fail(error) => this.failure = Some(error),
                    }
                }
            }
        }
    }
}

/// What the walk does after a page.
#[derive(Debug)]
enum Next {
    /// Fetch `Walk::next_index` (the next page, or the same one again).
    Fetch,
    /// The walk is complete.
    End,
    /// Stop with this error after the items.
    Fail(Error),
}

/// The outcome of one page: the new items to yield, then what to do.
#[derive(Debug)]
struct Step<T> {
    items: Vec<T>,
    next: Next,
}

/// The bookkeeping of one walk, independent of HTTP (unit-tested below).
struct Walk<T> {
    operation: &'static str,
    page_size: NonZeroU32,
    max_pages: u32,
    key: ItemKey<T>,
    /// The most time the page fetches may take together.
    time_budget: Duration,
    /// The time the page fetches took so far.
    fetch_time: Duration,
    /// The page to fetch next (1-based).
    next_index: NonZeroU32,
    /// Pages fetched, repeats included.
    fetches: u32,
    /// Fetches of `next_index` that came back with only items already yielded.
    repeats: u32,
    /// The first `totalCount`, which sets the page cap.
    first_total: Option<u64>,
    /// The latest `totalCount`.
    total: Option<u64>,
    /// The largest `totalCount` seen.
    max_total: u64,
    /// Keys of the items yielded so far.
    seen: HashSet<String>,
}

impl<T> Walk<T> {
    fn new(
        operation: &'static str,
        page_size: NonZeroU32,
        max_pages: u32,
        key: ItemKey<T>,
    ) -> Self {
        Self {
            operation,
            page_size,
            max_pages: max_pages.max(1),
            key,
            time_budget: DEFAULT_TIME_BUDGET,
            fetch_time: Duration::ZERO,
            next_index: NonZeroU32::MIN,
            fetches: 0,
            repeats: 0,
            first_total: None,
            total: None,
            max_total: 0,
            seen: HashSet::new(),
        }
    }

    /// The most pages this walk may fetch (distinct indexes).
    fn page_cap(&self) -> u64 {
        let size = u64::from(self.page_size.get());
        let needed = self.first_total.unwrap_or(0).div_ceil(size);
        needed
            .saturating_mul(2)
            .saturating_add(2)
            .min(u64::from(self.max_pages))
    }

    fn paging_error(&self, message: String) -> Error {
        Error::Paging {
            operation: self.operation,
            message,
        }
    }

    /// Takes page `requested` and says which of its items to yield and what comes next.
    fn accept(&mut self, requested: NonZeroU32, page: Page<T>) -> Step<T> {
        self.fetches = self.fetches.saturating_add(1);
        if self.first_total.is_none() {
            self.first_total = Some(page.total_count);
        } else if self.total != Some(page.total_count) {
            tracing::info!(
                operation = self.operation,
                page = requested.get(),
                previous = self.total,
                total_count = page.total_count,
                "totalCount changed during the walk; following the latest value"
            );
        }
        self.total = Some(page.total_count);
        self.max_total = self.max_total.max(page.total_count);
        let received = page.items.len();
        let repeated = received > 0
            && page
                .items
                .iter()
                .all(|item| self.seen.contains(&(self.key)(item)));
        if repeated {
            self.repeats += 1;
            if self.repeats > REPEATED_PAGE_REFETCHES {
                let message = format!(
                    "page {} (the service reported index {}) held only items of earlier pages, {} times in a row; the service repeats pages or ignores pageIndex",
                    requested, page.page_index, self.repeats
                );
                return Step {
                    items: Vec::new(),
                    next: Next::Fail(self.paging_error(message)),
                };
            }
            tracing::warn!(
                operation = self.operation,
                page = requested.get(),
                reported_index = page.page_index,
                "the page repeats items already received; fetching it again"
            );
            return Step {
                items: Vec::new(),
                next: Next::Fetch,
            };
        }
        self.repeats = 0;
        let mut items = Vec::with_capacity(received);
        for item in page.items {
            if self.seen.insert((self.key)(&item)) {
                items.push(item);
            }
        }
        if items.len() < received {
            tracing::warn!(
                operation = self.operation,
                page = requested.get(),
                duplicates = received - items.len(),
                "skipped items already received on an earlier page (the list changed during the walk)"
            );
        }
        let yielded = self.seen.len() as u64;
        let short = received < self.page_size.get() as usize;
        if received == 0 || yielded >= self.max_total || short {
            if yielded < self.max_total {
                tracing::warn!(
                    operation = self.operation,
                    page = requested.get(),
                    yielded,
                    total_count = self.max_total,
                    "the last page came before totalCount items; the list shrank during the walk"
                );
            }
            return Step {
                items,
                next: Next::End,
            };
        }
        if self.fetch_time >= self.time_budget {
            let message = format!(
                "the pages took longer than the walk's time budget of {} ({} pages of {} in {}, {} items received, totalCount {}); the service is too slow or does not end its pages. Raise the time budget if the listing is really that long",
                crate::DisplayDuration(self.time_budget),
                requested,
                self.page_size,
                crate::DisplayDuration(self.fetch_time),
                yielded,
                page.total_count
            );
            return Step {
                items,
                next: Next::Fail(self.paging_error(message)),
            };
        }
        let next = u64::from(requested.get()) + 1;
        let cap = self.page_cap();
        match NonZeroU32::new(u32::try_from(next).unwrap_or(0)).filter(|_| next <= cap) {
            Some(next) => {
                self.next_index = next;
                Step {
                    items,
                    next: Next::Fetch,
                }
            }
            None => {
                let limit = if cap >= u64::from(self.max_pages) {
                    format!(
                        "the walk's absolute cap of {} pages (raise the page cap if the listing is really that long)",
                        self.max_pages
                    )
                } else {
                    "twice the pages the first totalCount needs".to_owned()
                };
                let message = format!(
                    "the service still had pages after {} pages of {}, {limit} (totalCount was {} at first, {} now, {} items received); it does not end its pages",
                    requested,
                    self.page_size,
                    self.first_total.unwrap_or(0),
                    page.total_count,
                    yielded
                );
                Step {
                    items,
                    next: Next::Fail(self.paging_error(message)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::ptr_arg)] // an `ItemKey<String>` takes `&String`
    fn key(s: &String) -> String {
        s.clone()
    }

    fn walk(size: u32) -> Walk<String> {
        Walk::new(
            "op",
            NonZeroU32::new(size).unwrap_or(NonZeroU32::MIN),
            DEFAULT_MAX_PAGES,
            key,
        )
    }

    fn page(range: std::ops::Range<u32>, total: u64) -> Page<String> {
        Page {
            items: range.map(|i| format!("item-{i}")).collect(),
            page_index: 1,
            page_size: 0,
            total_count: total,
        }
    }

    fn idx(i: u32) -> NonZeroU32 {
        NonZeroU32::new(i).unwrap_or(NonZeroU32::MIN)
    }

    #[test]
    fn empty_first_page_ends() {
        let mut w = walk(10);
        let step = w.accept(idx(1), page(0..0, 0));
        assert!(step.items.is_empty());
        assert!(matches!(step.next, Next::End));
    }

    #[test]
    fn total_equal_to_page_size_ends_without_another_fetch() {
        let mut w = walk(10);
        let step = w.accept(idx(1), page(0..10, 10));
        assert_eq!(step.items.len(), 10);
        assert!(matches!(step.next, Next::End));
    }

    #[test]
    fn full_pages_continue_until_the_total() {
        let mut w = walk(10);
        assert!(matches!(
            w.accept(idx(1), page(0..10, 20)).next,
            Next::Fetch
        ));
        assert_eq!(w.next_index.get(), 2);
        assert!(matches!(w.accept(idx(2), page(10..20, 20)).next, Next::End));
    }

    #[test]
    fn a_smaller_total_does_not_end_the_walk_early() {
        let mut w = walk(10);
        assert!(matches!(
            w.accept(idx(1), page(0..10, 30)).next,
            Next::Fetch
        ));
        let step = w.accept(idx(2), page(10..20, 12));
        assert!(matches!(step.next, Next::Fetch), "{:?}", step.next);
        assert!(matches!(w.accept(idx(3), page(20..30, 12)).next, Next::End));
        assert_eq!(w.seen.len(), 30);
    }

    #[test]
    fn a_short_page_ends_even_if_the_total_says_more() {
        let mut w = walk(10);
        assert!(matches!(
            w.accept(idx(1), page(0..10, 50)).next,
            Next::Fetch
        ));
        let step = w.accept(idx(2), page(10..13, 50));
        assert_eq!(step.items.len(), 3);
        assert!(matches!(step.next, Next::End));
    }

    #[test]
    fn duplicates_are_skipped_and_a_repeated_page_is_refetched_then_fails() {
        let mut w = walk(2);
        assert!(matches!(w.accept(idx(1), page(0..2, 6)).next, Next::Fetch));
        let step = w.accept(idx(2), page(1..3, 6));
        assert_eq!(step.items, vec!["item-2".to_owned()]);
        assert!(matches!(step.next, Next::Fetch));
        for _ in 0..REPEATED_PAGE_REFETCHES {
            let step = w.accept(idx(3), page(1..3, 6));
            assert!(step.items.is_empty());
            assert!(matches!(step.next, Next::Fetch));
            assert_eq!(w.next_index.get(), 3, "the same page is fetched again");
        }
        let step = w.accept(idx(3), page(1..3, 6));
        match step.next {
            Next::Fail(Error::Paging { message, .. }) => {
                assert!(message.contains("page 3"), "{message}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_growing_total_hits_the_cap() {
        let mut w = walk(10);
        let mut index = 1;
        loop {
            let start = (index - 1) * 10;
            let step = w.accept(idx(index), page(start..start + 10, u64::from(start) + 100));
            match step.next {
                Next::Fetch => index += 1,
                Next::Fail(Error::Paging { message, .. }) => {
                    assert!(message.contains("does not end"), "{message}");
                    break;
                }
                other => panic!("{other:?}"),
            }
            assert!(index < 100, "the cap must stop the walk");
        }
        // 100 items need 10 pages: the cap is 22.
        assert_eq!(index, 22);
    }

    #[test]
    fn the_absolute_cap_wins() {
        let mut w = Walk::new("op", idx(1), 3, key);
        assert!(matches!(
            w.accept(idx(1), page(0..1, 1000)).next,
            Next::Fetch
        ));
        assert!(matches!(
            w.accept(idx(2), page(1..2, 1000)).next,
            Next::Fetch
        ));
        assert!(matches!(
            w.accept(idx(3), page(2..3, 1000)).next,
            Next::Fail(Error::Paging { .. })
        ));
    }

    #[test]
    fn page_sizes_are_checked() {
        assert!(checked_page_size(0).is_err());
        assert!(checked_page_size(101).is_err());
        assert_eq!(checked_page_size(100).map(NonZeroU32::get).ok(), Some(100));
        assert_eq!(checked_page_size(1).map(NonZeroU32::get).ok(), Some(1));
    }

    #[test]
    fn an_absurd_total_count_stops_at_the_absolute_cap_and_says_so() {
        let mut w = walk(100);
        let mut index = 1u32;
        let error = loop {
            let start = (index - 1) * 100;
            match w
                .accept(idx(index), page(start..start + 100, 1_000_000_000_000))
                .next
            {
                Next::Fetch => index = w.next_index.get(),
                Next::Fail(e) => break e,
                Next::End => panic!("ended at page {index}"),
            }
        };
        assert_eq!(index, DEFAULT_MAX_PAGES);
        let message = error.to_string();
        assert!(message.contains("absolute cap of 2000 pages"), "{message}");
        assert!(message.contains("1000000000000"), "{message}");
    }

    #[test]
    fn a_walk_over_its_time_budget_stops_and_says_so() {
        let mut w = walk(10);
        w.time_budget = Duration::from_secs(1);
        assert!(matches!(
            w.accept(idx(1), page(0..10, 100)).next,
            Next::Fetch
        ));
        w.fetch_time = Duration::from_secs(2);
        match w.accept(idx(2), page(10..20, 100)) {
            Step {
                items,
                next: Next::Fail(e),
            } => {
                assert_eq!(items.len(), 10, "the page's items are still yielded");
                assert!(e.to_string().contains("time budget of 1s"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
}
