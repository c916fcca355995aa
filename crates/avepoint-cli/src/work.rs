//! The unit of work of `avepoint seats`: one customer's seats of one tenant type
//! ([`Target`]), and what the inputs (`--customer`/`--customers-file`, or the customers
//! listing of `--all-customers`) turn into ([`Work`]).

use std::sync::Arc;

use avepoint_graph::TenantType;
use futures::{Stream, StreamExt as _};

use crate::input::{Item, Source};

/// A customer as the output names it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CustomerRef {
    /// The customer ID.
    pub(crate) id: String,
    /// The organization name, when it came from the customers listing.
    pub(crate) organization: Option<String>,
}

/// One report to fetch: a customer's tenants of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The customer (shared by its types' targets).
    pub(crate) customer: Arc<CustomerRef>,
    /// The tenant type.
    pub(crate) tenant_type: TenantType,
}

/// One entry of the fan-out's input, in output order: by default a seats report, for the
/// licensing commands a customer.
#[derive(Debug)]
pub(crate) enum Work<T = Target> {
    /// Fetch this report.
    Report(T),
    /// An input line that could not be used (reported, counted as a failure).
    Invalid(String),
    /// The customers listing failed after `listed` customers; nothing follows.
    ListingFailed {
        /// The listing's error.
        error: avepoint_graph::Error,
        /// How many customers it had yielded before.
        listed: u64,
    },
}

/// The reports of `customer` for each of `types`, in that order.
pub(crate) fn per_type(customer: CustomerRef, types: &[TenantType]) -> Vec<Work> {
    let customer = Arc::new(customer);
    types
        .iter()
        .map(|&tenant_type| {
            Work::Report(Target {
                customer: Arc::clone(&customer),
                tenant_type,
            })
        })
        .collect()
}

/// The given customer IDs (`--customer`, `--customers-file`) as the fan-out's input, each
/// expanded by `expand` (one entry per customer, or one per customer and type), in input
/// order; an unusable line of the customers file becomes [`Work::Invalid`].
pub(crate) fn given<T: Send + 'static>(
    source: Source,
    expand: impl Fn(CustomerRef) -> Vec<Work<T>> + Send + 'static,
) -> impl Stream<Item = Work<T>> + Send + Unpin + 'static {
    source.into_stream().flat_map(move |item| {
        futures::stream::iter(match item {
            Item::Customer(id) => expand(CustomerRef {
                id,
                organization: None,
            }),
            Item::Invalid(message) => vec![Work::Invalid(message)],
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_report_per_type_in_order() {
        let work = per_type(
            CustomerRef {
                id: "c".into(),
                organization: None,
            },
            &TenantType::ALL,
        );
        let types: Vec<TenantType> = work
            .iter()
            .map(|w| match w {
                Work::Report(t) => t.tenant_type,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(types, TenantType::ALL);
    }
}
