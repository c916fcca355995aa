//! The tenant seat overview (`GET …/customers/{customerId}/3rd-party-products/type/{type}/overview`):
//! a customer's user seats of one tenant type, summed over its tenants of that type.

use avepoint_graph_raw::types as raw;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::operation::{self, Operation, Scopes, StatusHints};
use crate::types::{ReportedTenantType, TenantType, seat_count};

/// `GET .../3rd-party-products/type/{type}/overview`.
pub(crate) static OPERATION: Operation = Operation {
    name: "retrieve_customer_tenant_seat_overview",
    scopes: Scopes::License,
    hints: StatusHints::LICENSE,
    paged: false,
};

/// A customer's user seats of one tenant type, over all its tenants of that type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SeatOverview {
    /// The tenant type the service reported (the requested one when it sent none).
    #[serde(rename = "type")]
    pub tenant_type: ReportedTenantType,
    /// The number of available user seats.
    #[serde(rename = "availableUserSeat")]
    pub available_seats: u64,
    /// The number of assigned user seats.
    #[serde(rename = "assignedUserSeat")]
    pub assigned_seats: u64,
}

impl SeatOverview {
    /// An overview with its counts (e.g. read back from your own store, or for a test).
    pub fn new(tenant_type: ReportedTenantType, available_seats: u64, assigned_seats: u64) -> Self {
        Self {
            tenant_type,
            available_seats,
            assigned_seats,
        }
    }
}

impl SeatOverview {
    fn from_raw(requested: TenantType, r: raw::TenantSeatOverview) -> Result<Self, Error> {
        Ok(Self {
            tenant_type: ReportedTenantType::from(r.type_.unwrap_or(requested.code())),
            available_seats: seat_count(
                OPERATION.name,
                "availableUserSeat",
                r.available_user_seat,
            )?,
            assigned_seats: seat_count(OPERATION.name, "assignedUserSeat", r.assigned_user_seat)?,
        })
    }
}

impl Client {
    /// The seat overview of customer `customer_id` for `tenant_type`: available and assigned
    /// user seats summed over the customer's tenants of that type.
    ///
    /// A customer without tenants of the type may be answered with zeros or with a 404
    /// ([`Error::status`] is `Some(404)`), depending on the service.
    pub async fn seat_overview(
        &self,
        customer_id: &str,
        tenant_type: TenantType,
    ) -> Result<SeatOverview, Error> {
        let span = tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            customer_id = %customer_id,
            tenant_type = %tenant_type,
        );
        let kind = raw::TenantType::from(tenant_type);
        let overview = operation::call(
            self,
            &OPERATION,
            customer_id,
            span,
            |raw, customer: raw::RetrieveCustomerTenantSeatOverviewCustomerId| {
                let kind = kind.clone();
                async move {
                    raw.retrieve_customer_tenant_seat_overview(&customer, &kind)
                        .await
                }
            },
        )
        .await?;
        SeatOverview::from_raw(tenant_type, overview)
    }
}
