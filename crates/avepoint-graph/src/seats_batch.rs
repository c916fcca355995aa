//! The paginated seats report
//! (`POST .../customers/{customerId}/3rd-party-products/type/{type}/tenants/batch`): the
//! same seats as [`Client::tenant_user_seats`], page by page, optionally for chosen tenants
//! ([`TenantSeatsBatchRequest`]).
//!
//! Each record carries the tenant type the service reports ([`ReportedTenantType`]), which
//! keeps a type this version does not know instead of failing.

use std::borrow::Cow;
use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use avepoint_graph_raw::types as raw;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use crate::client::Client;
use crate::error::Error;
use crate::operation::{Operation, Scopes, StatusHints};
use crate::paging::{
    self, DEFAULT_MAX_TENANT_PAGES, DEFAULT_PAGE_SIZE, FetchPage, Page, PageStream,
};
use crate::types::{TenantSeats, TenantType, seat_count};

/// The paginated seats report (`POST .../3rd-party-products/type/{type}/tenants/batch`).
pub(crate) static OPERATION: Operation = Operation {
    name: "retrieve_customer_tenants_batch",
    scopes: Scopes::License,
    hints: StatusHints {
        bad_request: "check the customer id, the tenant type and the paging parameters (pageIndex from 1, pageSize 1..=100)",
        ..StatusHints::LICENSE
    },
    paged: true,
};

/// A tenant type as a response reports it: one of the [`TenantType`]s, or a code this
/// version does not know (AvePoint added a product).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "i32", into = "i32")]
pub enum ReportedTenantType {
    /// A known tenant type.
    Known(TenantType),
    /// A code this version does not know.
    Other(i32),
}

impl ReportedTenantType {
    /// The wire integer.
    pub fn code(self) -> i32 {
        match self {
            Self::Known(t) => t.code(),
            Self::Other(code) => code,
        }
    }

    /// The known tenant type, if it is one.
    pub fn known(self) -> Option<TenantType> {
        match self {
            Self::Known(t) => Some(t),
            Self::Other(_) => None,
        }
    }
}

impl From<i32> for ReportedTenantType {
    fn from(code: i32) -> Self {
        TenantType::from_code(code).map_or(Self::Other(code), Self::Known)
    }
}

impl From<ReportedTenantType> for i32 {
    fn from(t: ReportedTenantType) -> i32 {
        t.code()
    }
}

impl From<TenantType> for ReportedTenantType {
    fn from(t: TenantType) -> Self {
        Self::Known(t)
    }
}

impl fmt::Display for ReportedTenantType {
    /// The short name (`m365`, ...); an unknown code shows as `type 7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(t) => t.fmt(f),
            Self::Other(code) => write!(f, "type {code}"),
        }
    }
}

impl JsonSchema for ReportedTenantType {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("ReportedTenantType")
    }

    fn json_schema(_generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "integer",
            "format": "int32",
            "description": "The tenant type: 0 Microsoft 365, 1 Salesforce, 2 Google, 3 Dynamics 365; other values may be added.",
        })
    }
}

/// One tenant and its user seats, from the paginated report.
///
/// Serialises with the wire names (`type`, `tenantId`, `tenantName`, `availableUserSeat`,
/// `assignedUserSeat`), like the spec's `TenantSeatsBatchItem`. [`TenantSeats::from`] gives
/// the same row as the `users` report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "TenantSeatsBatchItem")]
pub struct TenantSeatsRecord {
    /// The tenant type the service reported.
    #[serde(rename = "type")]
    pub tenant_type: ReportedTenantType,
    /// The ID of the tenant.
    #[serde(rename = "tenantId")]
    pub tenant_id: String,
    /// The name of the tenant.
    #[serde(rename = "tenantName")]
    pub tenant_name: String,
    /// The number of available user seats of the tenant.
    #[serde(rename = "availableUserSeat")]
    pub available_seats: u64,
    /// The number of assigned user seats of the tenant.
    #[serde(rename = "assignedUserSeat")]
    pub assigned_seats: u64,
}

impl From<TenantSeatsRecord> for TenantSeats {
    fn from(r: TenantSeatsRecord) -> Self {
        TenantSeats {
            tenant_id: r.tenant_id,
            tenant_name: r.tenant_name,
            available_seats: r.available_seats,
            assigned_seats: r.assigned_seats,
        }
    }
}

impl TenantSeatsRecord {
    /// Converts a raw record; negative counts (which the spec forbids) are a decode error.
    fn from_raw(r: raw::TenantSeatsBatchItem) -> Result<Self, Error> {
        let op = OPERATION.name;
        Ok(Self {
            tenant_type: ReportedTenantType::from(r.type_),
            available_seats: seat_count(op, "availableUserSeat", r.available_user_seat)?,
            assigned_seats: seat_count(op, "assignedUserSeat", r.assigned_user_seat)?,
            tenant_id: r.tenant_id,
            tenant_name: r.tenant_name,
        })
    }

    fn key(&self) -> String {
        format!("{}/{}", self.tenant_type.code(), self.tenant_id)
    }
}

/// A prepared paginated seats report; see [`Client::tenant_seats_batch`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed or collected"]
pub struct TenantSeatsBatchRequest {
    client: Client,
    customer_id: String,
    tenant_type: TenantType,
    page_size: u32,
    max_pages: u32,
    tenant_ids: Vec<String>,
}

impl Client {
    /// Prepares the paginated seats report (`tenants/batch`, `elements.license.read.all`) of
    /// customer `customer_id`'s tenants of `tenant_type`: [`TenantSeatsBatchRequest::stream`]
    /// yields the tenants one at a time, [`TenantSeatsBatchRequest::collect_all`] gathers
    /// them. The rows are those of [`Client::tenant_user_seats`] (convert with
    /// [`TenantSeats::from`]).
    pub fn tenant_seats_batch(
        &self,
        customer_id: impl Into<String>,
        tenant_type: TenantType,
    ) -> TenantSeatsBatchRequest {
        TenantSeatsBatchRequest {
            client: self.clone(),
            customer_id: customer_id.into(),
            tenant_type,
            page_size: DEFAULT_PAGE_SIZE,
            max_pages: DEFAULT_MAX_TENANT_PAGES,
            tenant_ids: Vec::new(),
        }
    }
}

/// What every page fetch of one report sends.
#[derive(Debug, Clone)]
struct ReportTarget {
    customer_id: raw::RetrieveCustomerTenantsBatchCustomerId,
    customer_label: String,
    tenant_type: TenantType,
    body: raw::TenantsBatchRequest,
}

impl TenantSeatsBatchRequest {
    /// Tenants per page, 1..=100 (default 100). Out of range, the stream yields
    /// [`Error::InvalidInput`] without calling the service.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most pages to fetch before ending with [`Error::Paging`] (default
    /// [`DEFAULT_MAX_TENANT_PAGES`]); the walk also stops at twice the pages the first `totalCount`
    /// needs, plus two.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages;
        self
    }

    /// Reports only these tenants (the body's `tenantIds`); none given reports all.
    pub fn tenant_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tenant_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    fn target(&self) -> Result<ReportTarget, Error> {
        let customer_id = crate::client::checked_customer_id(&self.customer_id)?;
        Ok(ReportTarget {
            customer_id,
            customer_label: self.customer_id.clone(),
            tenant_type: self.tenant_type,
            body: raw::TenantsBatchRequest {
                tenant_ids: self.tenant_ids.clone(),
            },
        })
    }

    /// The tenants with their seats, fetched lazily page by page (see [`PageStream`]).
    pub fn stream(self) -> PageStream<TenantSeatsRecord> {
        let prepared = self
            .target()
            .and_then(|t| paging::checked_page_size(self.page_size).map(|size| (t, size)));
        let (target, size) = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                return PageStream::failed(OPERATION.name, TenantSeatsRecord::key, e);
            }
        };
        let client = self.client;
        let fetch: FetchPage<TenantSeatsRecord> = Arc::new(move |index, size| {
            let (client, target) = (client.clone(), target.clone());
            Box::pin(async move { fetch_page(&client, &target, index, size).await })
        });
        PageStream::new(
            OPERATION.name,
            size,
            self.max_pages,
            TenantSeatsRecord::key,
            fetch,
        )
    }

    /// Every tenant of the report, all pages walked.
    pub async fn collect_all(self) -> Result<Vec<TenantSeatsRecord>, Error> {
        self.stream().collect_all().await
    }

    /// Page `index` (1-based) alone.
    pub async fn page(&self, index: u32) -> Result<Page<TenantSeatsRecord>, Error> {
        let target = self.target()?;
        let size = paging::checked_page_size(self.page_size)?;
        let index = paging::checked_page_index(index)?;
        fetch_page(&self.client, &target, index, size).await
    }

    /// Page 1 alone, with the `totalCount` of the whole report.
    pub async fn first_page(&self) -> Result<Page<TenantSeatsRecord>, Error> {
        self.page(1).await
    }
}

/// Fetches one page of the report through the client's call path.
async fn fetch_page(
    client: &Client,
    target: &ReportTarget,
    index: NonZeroU32,
    size: NonZeroU32,
) -> Result<Page<TenantSeatsRecord>, Error> {
    let span = tracing::info_span!(
        "avepoint.call",
        operation = OPERATION.name,
        customer_id = %crate::escape::escape_control(&target.customer_label),
        tenant_type = %target.tenant_type,
        page_index = index.get(),
        page_size = size.get(),
    );
    let tenant_type = raw::TenantType::from(target.tenant_type);
    let page = client
        .call_raw(&OPERATION, |raw| {
            let (customer_id, tenant_type, body) = (
                target.customer_id.clone(),
                tenant_type.clone(),
                target.body.clone(),
            );
            async move {
                raw.retrieve_customer_tenants_batch(
                    &customer_id,
                    &tenant_type,
                    Some(index),
                    Some(size),
                    &body,
                )
                .await
            }
        })
        .instrument(span)
        .await?;
    let items = page
        .data
        .into_iter()
        .map(TenantSeatsRecord::from_raw)
        .collect::<Result<Vec<_>, _>>()?;
    Page::from_raw(OPERATION.name, items, &page.metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reported_types_keep_unknown_codes() {
        for t in TenantType::ALL {
            assert_eq!(
                ReportedTenantType::from(t.code()),
                ReportedTenantType::Known(t)
            );
        }
        let other = ReportedTenantType::from(7);
        assert_eq!(other, ReportedTenantType::Other(7));
        assert_eq!(other.to_string(), "type 7");
        assert_eq!(other.known(), None);
        assert_eq!(serde_json::to_string(&other).ok().as_deref(), Some("7"));
        assert_eq!(
            serde_json::from_str::<ReportedTenantType>("1").ok(),
            Some(ReportedTenantType::Known(TenantType::Salesforce))
        );
    }

    #[test]
    fn negative_counts_are_refused() {
        let r = raw::TenantSeatsBatchItem {
            assigned_user_seat: -1,
            available_user_seat: 0,
            tenant_id: "t".into(),
            tenant_name: "n".into(),
            type_: 0,
        };
        assert!(TenantSeatsRecord::from_raw(r).is_err());
    }
}
