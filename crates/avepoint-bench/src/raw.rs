//! The generated layer alone: `avepoint-graph-raw`'s progenitor client with one fixed token
//! (fetched once, like the bare client's), no retries, no token cache, no spans. Between the
//! bare client and the SDK it tells what the generated request building costs and what the
//! SDK's wrapper adds on top.

use anyhow::{Context as _, Result};
use avepoint_graph::raw;

use crate::bare::fetch_token;
use crate::measure::SeatsCaller;
use crate::target::Target;
use crate::workload::WireTenant;

/// The generated client behind [`SeatsCaller`].
#[derive(Clone, Debug)]
pub struct RawCaller {
    client: raw::Client,
    tenant_type: raw::types::TenantType,
}

impl RawCaller {
    /// Builds the generated client for `target` and fetches its one token.
    pub async fn connect(target: &Target, tenant_type: i32) -> Result<Self> {
        let http = raw::http_client_builder()
            .build()
            .context("building the reqwest client")?;
        let token = fetch_token(&http, target).await?;
        let context = raw::RequestContext::with_bearer(token, &target.base_url)
            .context("the token or the base URL")?;
        let tenant_type = raw::types::TenantType::try_from(tenant_type)
            .map_err(|e| anyhow::anyhow!("tenant type {tenant_type}: {e}"))?;
        Ok(Self {
            client: raw::Client::new_with_client(&target.base_url, http, context),
            tenant_type,
        })
    }
}

impl SeatsCaller for RawCaller {
    async fn call(&self, customer_id: &str) -> Result<Vec<WireTenant>, String> {
        let customer_id = customer_id.parse().map_err(|e| format!("{e}"))?;
        let tenants = self
            .client
            .retrieve_customer_tenant_user_seats(
                &customer_id,
                &self.tenant_type,
                &raw::types::UserSeatsRequest::default(),
            )
            .await
            .map_err(|e| e.to_string())?
            .into_inner();
        Ok(tenants.into_iter().map(WireTenant::from).collect())
    }
}
