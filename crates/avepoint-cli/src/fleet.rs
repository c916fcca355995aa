//! `--all-customers`: the customers listing, walked lazily page by page while the seats are
//! fetched, turned into the fan-out's input: each customer once per requested tenant type.
//!
//! Only the page being consumed is held (the fan-out pulls the next customer when it has
//! room), so memory does not grow with the number of customers. The progress bar learns
//! its total (`totalCount` x types) when the first page arrives. A listing failure becomes
//! the last entry ([`Work::ListingFailed`]): what was listed before it is still reported.

use std::collections::VecDeque;

use avepoint_graph::{Client, Customer, PageStream, TenantType};
use futures::{Stream, StreamExt as _};
use indicatif::ProgressBar;

use crate::progress;
use crate::work::{CustomerRef, Work, per_type};

/// The walk's state between entries.
struct Walk<T, E> {
    customers: PageStream<Customer>,
    expand: E,
    /// How many entries `expand` makes of one customer (sizes the progress bar).
    per_customer: u64,
    pending: VecDeque<Work<T>>,
    listed: u64,
    progress: Option<ProgressBar>,
    unit: &'static str,
    done: bool,
}

impl<T, E: Fn(CustomerRef) -> Vec<Work<T>>> Walk<T, E> {
    /// The next entry: a queued report, or the next customer's reports.
    async fn next(&mut self) -> Option<Work<T>> {
        loop {
            if let Some(work) = self.pending.pop_front() {
                return Some(work);
            }
            if self.done {
                return None;
            }
            match self.customers.next().await {
                Some(Ok(customer)) => {
                    self.listed += 1;
                    self.pending.extend((self.expand)(CustomerRef {
                        id: customer.id,
                        organization: customer.organization,
                    }));
                    self.size_progress(self.customers.total_count());
                }
                Some(Err(error)) => {
                    self.done = true;
                    return Some(Work::ListingFailed {
                        error,
                        listed: self.listed,
                    });
                }
                None => {
                    self.done = true;
                    // The walk is over: the exact total.
                    self.size_progress(Some(self.listed));
                }
            }
        }
    }

    /// Sizes the bar for `customers` customers (never fewer than listed so far).
    fn size_progress(&self, customers: Option<u64>) {
        if let (Some(pb), Some(n)) = (&self.progress, customers) {
            let reports = n.max(self.listed).saturating_mul(self.per_customer);
            progress::set_total(pb, reports, self.unit);
        }
    }
}

/// Every customer of the listing, each once per type of `types` (in that order), as the
/// fan-out's input; `progress` gets its total from the listing's `totalCount`.
pub(crate) fn work(
    client: &Client,
    types: Vec<TenantType>,
    progress: Option<ProgressBar>,
    unit: &'static str,
) -> impl Stream<Item = Work> + Send + Unpin + 'static {
    let per_customer = types.len() as u64;
    listing(
        client,
        move |customer| per_type(customer, &types),
        per_customer,
        progress,
        unit,
    )
}

/// Every customer of the listing, each expanded by `expand` into `per_customer` entries of
/// the fan-out's input; `progress` gets its total from the listing's `totalCount`.
pub(crate) fn listing<T: Send + 'static>(
    client: &Client,
    expand: impl Fn(CustomerRef) -> Vec<Work<T>> + Send + 'static,
    per_customer: u64,
    progress: Option<ProgressBar>,
    unit: &'static str,
) -> impl Stream<Item = Work<T>> + Send + Unpin + 'static {
    let walk = Walk {
        customers: client.customers().stream(),
        expand,
        per_customer,
        pending: VecDeque::new(),
        listed: 0,
        progress,
        unit,
        done: false,
    };
    Box::pin(futures::stream::unfold(walk, |mut walk| async move {
        walk.next().await.map(|work| (work, walk))
    }))
}
