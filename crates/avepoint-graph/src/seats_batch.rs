//! The paginated seats report
//! (`POST .../customers/{customerId}/3rd-party-products/type/{type}/tenants/batch`): the
//! same seats as [`Client::tenant_user_seats`], page by page, optionally for chosen tenants
//! ([`PagedRequest`]`<`[`TenantSeatsBatch`]`>`).
//!
//! Each record carries the tenant type the service reports ([`ReportedTenantType`]), which
//! keeps a type this version does not know instead of failing.

use std::num::NonZeroU32;

use avepoint_graph_raw::types as raw;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::operation::{Operation, Scopes, StatusHints};
use crate::paging::{DEFAULT_MAX_TENANT_PAGES, Paged, PagedOperation, PagedRequest, sealed};
use crate::types::{ReportedTenantType, TenantSeats, TenantType, seat_count};

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

/// One tenant and its user seats, from the paginated report.
///
/// Serialises with the wire names (`type`, `tenantId`, `tenantName`, `availableUserSeat`,
/// `assignedUserSeat`), like the spec's `TenantSeatsBatchItem`. [`TenantSeats::from`] gives
/// the same row as the `users` report.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// A tenant of the paginated report with its seat counts (e.g. read back from your own
    /// store, or for a test).
    pub fn new(
        tenant_type: ReportedTenantType,
        tenant_id: impl Into<String>,
        tenant_name: impl Into<String>,
        available_seats: u64,
        assigned_seats: u64,
    ) -> Self {
        Self {
            tenant_type,
            tenant_id: tenant_id.into(),
            tenant_name: tenant_name.into(),
            available_seats,
            assigned_seats,
        }
    }

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
}

/// The paginated seats report of one customer's tenants of one type as a paginated
/// operation: the `Op` of the [`PagedRequest`] that [`Client::tenant_seats_batch`] returns.
#[derive(Debug, Clone)]
pub struct TenantSeatsBatch {
    customer_id: String,
    tenant_type: TenantType,
    tenant_ids: Vec<String>,
}

/// What every page fetch of one report sends.
#[derive(Debug)]
pub(crate) struct ReportTarget {
    customer_id: raw::RetrieveCustomerTenantsBatchCustomerId,
    customer_label: String,
    tenant_type: TenantType,
    body: raw::TenantsBatchRequest,
}

impl sealed::Sealed for TenantSeatsBatch {}

impl PagedOperation for TenantSeatsBatch {
    type Item = TenantSeatsRecord;
}

impl Paged for TenantSeatsBatch {
    type Target = ReportTarget;
    type RawPage = raw::TenantSeatsPage;
    type RawItem = raw::TenantSeatsBatchItem;

    const OPERATION: &'static Operation = &OPERATION;
    const DEFAULT_MAX_PAGES: u32 = DEFAULT_MAX_TENANT_PAGES;

    fn target(&self) -> Result<ReportTarget, Error> {
        Ok(ReportTarget {
            customer_id: crate::client::checked_customer_id(self.customer_id.clone())?,
            customer_label: self.customer_id.clone(),
            tenant_type: self.tenant_type,
            body: raw::TenantsBatchRequest {
                tenant_ids: self.tenant_ids.clone(),
            },
        })
    }

    fn span(target: &ReportTarget, index: NonZeroU32, size: NonZeroU32) -> tracing::Span {
        tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            customer_id = %crate::escape::escape_control(&target.customer_label),
            tenant_type = %target.tenant_type,
            page_index = index.get(),
            page_size = size.get(),
        )
    }

    async fn send(
        target: &ReportTarget,
        raw: &avepoint_graph_raw::Client,
        index: NonZeroU32,
        size: NonZeroU32,
    ) -> Result<
        avepoint_graph_raw::ResponseValue<raw::TenantSeatsPage>,
        avepoint_graph_raw::Error<avepoint_graph_raw::ByteStream>,
    > {
        let tenant_type = raw::TenantType::from(target.tenant_type);
        raw.retrieve_customer_tenants_batch(
            &target.customer_id,
            &tenant_type,
            Some(index),
            Some(size),
            &target.body,
        )
        .await
    }

    fn split(page: raw::TenantSeatsPage) -> (Vec<raw::TenantSeatsBatchItem>, raw::PageMetadata) {
        (page.data, page.metadata)
    }

    fn item(raw: raw::TenantSeatsBatchItem) -> Result<TenantSeatsRecord, Error> {
        TenantSeatsRecord::from_raw(raw)
    }

    fn key(record: &TenantSeatsRecord) -> String {
        format!("{}/{}", record.tenant_type.code(), record.tenant_id)
    }
}

impl Client {
    /// Prepares the paginated seats report (`tenants/batch`, `elements.license.read.all`) of
    /// customer `customer_id`'s tenants of `tenant_type`: [`PagedRequest::stream`] yields
    /// the tenants one at a time, [`PagedRequest::collect_all`] gathers them. The rows are
    /// those of [`Client::tenant_user_seats`] (convert with [`TenantSeats::from`]).
    pub fn tenant_seats_batch(
        &self,
        customer_id: impl Into<String>,
        tenant_type: TenantType,
    ) -> PagedRequest<TenantSeatsBatch> {
        PagedRequest::new(
            self,
            TenantSeatsBatch {
                customer_id: customer_id.into(),
                tenant_type,
                tenant_ids: Vec::new(),
            },
        )
    }
}

impl PagedRequest<TenantSeatsBatch> {
    /// Reports only these tenants (the body's `tenantIds`); none given reports all.
    pub fn tenant_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.operation.tenant_ids = ids.into_iter().map(Into::into).collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
