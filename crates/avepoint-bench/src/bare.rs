//! The baseline: a minimal hand-written `reqwest` + `serde` client, the practical limit of
//! this stack. One token, fetched once and never refreshed; one shared connection pool; no
//! retries, no tracing, no typed errors. It does what the SDK's call does on the wire and
//! nothing else.

use std::sync::Arc;

use anyhow::{Context as _, Result, bail};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::Deserialize;

use crate::measure::SeatsCaller;
use crate::target::Target;
use crate::workload::WireTenant;

/// The scope the seats endpoint needs.
const SCOPE: &str = "elements.license.read.all";

/// A bare client: `reqwest::Client` (one pool) plus a static `Authorization` header.
#[derive(Clone, Debug)]
pub struct BareClient {
    http: reqwest::Client,
    base: reqwest::Url,
    authorization: Arc<HeaderValue>,
    tenant_type: String,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl BareClient {
    /// Builds the client and fetches its one token from `target`'s token endpoint.
    pub async fn connect(target: &Target, tenant_type: i32) -> Result<Self> {
        let http = avepoint_graph::raw::http_client_builder()
            .build()
            .context("building the reqwest client")?;
        let access_token = fetch_token(&http, target).await?;
        let authorization = HeaderValue::from_str(&format!("Bearer {access_token}"))
            .context("the token is not a valid header value")?;
        let base = reqwest::Url::parse(&target.base_url).context("the base URL")?;
        if base.cannot_be_a_base() {
            bail!("the base URL {base} cannot be a base");
        }
        Ok(Self {
            http,
            base,
            authorization: Arc::new(authorization),
            tenant_type: tenant_type.to_string(),
        })
    }

    /// `POST .../customers/{customer_id}/3rd-party-products/type/{type}/users` with `{}`.
    pub async fn tenant_user_seats(&self, customer_id: &str) -> Result<Vec<WireTenant>, String> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| "the base URL cannot be a base".to_owned())?
            .pop_if_empty()
            .extend([
                "partner",
                "external",
                "v3",
                "general",
                "customers",
                customer_id,
                "3rd-party-products",
                "type",
                &self.tenant_type,
                "users",
            ]);
        let response = self
            .http
            .post(url)
            .header(AUTHORIZATION, (*self.authorization).clone())
            .header(CONTENT_TYPE, "application/json")
            .body("{}")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("HTTP {status}"));
        }
        response.json().await.map_err(|e| e.to_string())
    }
}

/// Fetches one access token for the seats endpoint's scope from `target`'s token endpoint
/// (client credentials).
pub(crate) async fn fetch_token(http: &reqwest::Client, target: &Target) -> Result<String> {
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "client_credentials")
        .append_pair("client_id", &target.client_id)
        .append_pair("client_secret", &target.client_secret)
        .append_pair("scope", SCOPE)
        .finish();
    let response = http
        .post(&target.token_url)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .context("token request")?;
    if !response.status().is_success() {
        bail!("the token endpoint answered {}", response.status());
    }
    let token: TokenResponse = response.json().await.context("token response")?;
    Ok(token.access_token)
}

impl SeatsCaller for BareClient {
    async fn call(&self, customer_id: &str) -> Result<Vec<WireTenant>, String> {
        self.tenant_user_seats(customer_id).await
    }
}
