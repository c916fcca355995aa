//! The client under test: the `avepoint-graph` SDK exactly as a user calls it (client-secret
//! authentication against the token endpoint, token cache, default retry policy).

use anyhow::{Context as _, Result};
use avepoint_graph::{Client, Credentials, TenantType};

use crate::measure::SeatsCaller;
use crate::target::Target;
use crate::workload::WireTenant;

/// The SDK behind [`SeatsCaller`].
#[derive(Clone, Debug)]
pub struct SdkCaller {
    client: Client,
    tenant_type: TenantType,
}

impl SdkCaller {
    /// Builds the SDK client for `target` (no request is made yet: the first call fetches the
    /// token, as in a user's program).
    pub fn new(target: &Target, tenant_type: i32) -> Result<Self> {
        Self::with_adaptive(target, tenant_type, true)
    }

    /// [`SdkCaller::new`] with adaptive rate limiting on (the default) or off.
    pub fn with_adaptive(target: &Target, tenant_type: i32, adaptive: bool) -> Result<Self> {
        let tenant_type = TenantType::from_code(tenant_type)
            .with_context(|| format!("unknown tenant type {tenant_type}"))?;
        let client = Client::builder()
            .api_base_url(target.base_url.as_str())
            .token_url(target.token_url.as_str())
            .credentials(Credentials::client_secret(
                target.client_id.as_str(),
                target.client_secret.as_str(),
            ))
            .adaptive_rate_limit(adaptive)
            .build()
            .context("building the SDK client")?;
        Ok(Self {
            client,
            tenant_type,
        })
    }
}

impl SeatsCaller for SdkCaller {
    async fn call(&self, customer_id: &str) -> Result<Vec<WireTenant>, String> {
        let tenants = self
            .client
            .tenant_user_seats(customer_id, self.tenant_type)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        Ok(tenants
            .into_iter()
            .map(|t| WireTenant {
                id: t.tenant_id,
                name: t.tenant_name,
                available_user_seat: i64::try_from(t.available_seats).unwrap_or(i64::MAX),
                assigned_user_seat: i64::try_from(t.assigned_seats).unwrap_or(i64::MAX),
            })
            .collect())
    }
}
