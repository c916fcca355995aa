//! The seats report of one customer and tenant type
//! (`retrieve_customer_tenant_user_seats`): its descriptor and [`TenantUserSeatsRequest`].

use avepoint_graph_raw as raw;
use tracing::Instrument as _;

use crate::client::{Client, checked_customer_id};
use crate::error::Error;
use crate::operation::{Operation, Scopes, StatusHints};
use crate::types::{SeatStatus, TenantSeats, TenantType};

/// `POST .../customers/{customerId}/3rd-party-products/type/{type}/users`.
pub(crate) static OPERATION: Operation = Operation {
    name: "retrieve_customer_tenant_user_seats",
    scopes: Scopes::License,
    hints: StatusHints::LICENSE,
    paged: false,
};

/// A prepared seats call; see [`Client::tenant_user_seats`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until `send` is awaited"]
pub struct TenantUserSeatsRequest {
    client: Client,
    customer_id: String,
    tenant_type: TenantType,
    status: Option<SeatStatus>,
}

impl TenantUserSeatsRequest {
    pub(crate) fn new(client: Client, customer_id: String, tenant_type: TenantType) -> Self {
        Self {
            client,
            customer_id,
            tenant_type,
            status: None,
        }
    }

    /// Reports only available or only assigned seats (the body's `licenseAssignedStatus`).
    pub fn status(mut self, status: SeatStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// Sends the call (with retries) and returns the customer's tenants of the type.
    pub async fn send(self) -> Result<Vec<TenantSeats>, Error> {
        let customer_id: raw::types::RetrieveCustomerTenantUserSeatsCustomerId =
            checked_customer_id(self.customer_id)?;
        let tenant_type = raw::types::TenantType::from(self.tenant_type);
        let body = raw::types::UserSeatsRequest {
            license_assigned_status: self.status.map(Into::into),
        };
        let span = tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            customer_id = %crate::escape::escape_control(&customer_id),
            tenant_type = %self.tenant_type,
        );
        let started = crate::operation::outcome_clock(&span);
        let result = self
            .client
            .call_raw(&OPERATION, |raw| {
                raw.retrieve_customer_tenant_user_seats(&customer_id, &tenant_type, &body)
            })
            .instrument(span.clone())
            .await;
        let tenants = result.as_ref().ok().map(Vec::len);
        crate::operation::record_outcome(&span, started, &result, tenants);
        result?
            .into_iter()
            .map(|r| TenantSeats::from_raw(OPERATION.name, r))
            .collect()
    }
}
