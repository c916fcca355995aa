//! The customers listing (`POST /partner/external/v3/general/customers/batch`): the
//! partner's customers with their backup job status, management mode and tenants, walked
//! page by page ([`CustomersRequest`]).
//!
//! The integer codes `jobStatus` and `managementMode` become [`JobStatus`] and
//! [`ManagementMode`], which keep a value this version does not know as `Unknown(code)`
//! instead of failing, so a status AvePoint adds later does not break a listing.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::Arc;

use avepoint_graph_raw::types as raw;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use crate::client::Client;
use crate::error::Error;
use crate::open_code::open_code_enum;
use crate::operation::{Operation, Scopes, StatusHints};
use crate::paging::{self, DEFAULT_MAX_PAGES, DEFAULT_PAGE_SIZE, FetchPage, Page, PageStream};

/// The customers listing (`POST .../general/customers/batch`), one page at a time.
pub(crate) static OPERATION: Operation = Operation {
    name: "list_customers_batch",
    scopes: Scopes::Customers,
    hints: StatusHints {
        bad_request: "check the paging parameters (pageIndex from 1, pageSize 1..=100) and the customer ids",
        forbidden: "the app lacks the permission (scope elements.customers.read.all); check the app registration in Elements",
        ..StatusHints::LICENSE
    },
    paged: true,
};

/// The status of a customer's backup jobs (`jobStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i32", into = "i32")]
#[non_exhaustive]
pub enum JobStatus {
    /// `0` - N/A.
    NotApplicable,
    /// `1` - Working.
    Working,
    /// `2` - Failed.
    Failed,
    /// `3` - Waiting for configuration.
    WaitingForConfiguration,
    /// `4` - Multiple issues found.
    MultipleIssuesFound,
    /// `5` - Finished with exception.
    FinishedWithException,
    /// `6` - No backup updates.
    NoBackupUpdates,
    /// A code this version does not know (the service added a status).
    Unknown(i32),
}

open_code_enum!(
    JobStatus: i32,
    "JobStatus",
    "The status of the customer's backup jobs: 0 N/A, 1 Working, 2 Failed, 3 Waiting for configuration, 4 Multiple issues found, 5 Finished with exception, 6 No backup updates; other values may be added.",
    [
        NotApplicable = 0,
        Working = 1,
        Failed = 2,
        WaitingForConfiguration = 3,
        MultipleIssuesFound = 4,
        FinishedWithException = 5,
        NoBackupUpdates = 6,
    ]
);

impl JobStatus {
    /// Every known status, in code order.
    pub const KNOWN: [JobStatus; 7] = [
        Self::NotApplicable,
        Self::Working,
        Self::Failed,
        Self::WaitingForConfiguration,
        Self::MultipleIssuesFound,
        Self::FinishedWithException,
        Self::NoBackupUpdates,
    ];

    /// The label AvePoint uses (`N/A`, `Working`, ...); `unknown` for an unknown code.
    pub fn label(self) -> &'static str {
        match self {
            Self::NotApplicable => "N/A",
            Self::Working => "Working",
            Self::Failed => "Failed",
            Self::WaitingForConfiguration => "Waiting for configuration",
            Self::MultipleIssuesFound => "Multiple issues found",
            Self::FinishedWithException => "Finished with exception",
            Self::NoBackupUpdates => "No backup updates",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for JobStatus {
    /// The label; an unknown code shows as `unknown (7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "unknown ({code})"),
            known => f.write_str(known.label()),
        }
    }
}

/// Who manages a customer's services (`managementMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "i32", into = "i32")]
#[non_exhaustive]
pub enum ManagementMode {
    /// `0` - Customer-managed.
    CustomerManaged,
    /// `1` - Partner-managed.
    PartnerManaged,
    /// `2` - To be configured.
    ToBeConfigured,
    /// A code this version does not know (the service added a mode).
    Unknown(i32),
}

open_code_enum!(
    ManagementMode: i32,
    "ManagementMode",
    "Who manages the customer's services: 0 customer-managed, 1 partner-managed, 2 to be configured; other values may be added.",
    [CustomerManaged = 0, PartnerManaged = 1, ToBeConfigured = 2]
);

impl ManagementMode {
    /// Every known mode, in code order.
    pub const KNOWN: [ManagementMode; 3] = [
        Self::CustomerManaged,
        Self::PartnerManaged,
        Self::ToBeConfigured,
    ];

    /// The label (`Customer-managed`, ...); `unknown` for an unknown code.
    pub fn label(self) -> &'static str {
        match self {
            Self::CustomerManaged => "Customer-managed",
            Self::PartnerManaged => "Partner-managed",
            Self::ToBeConfigured => "To be configured",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl fmt::Display for ManagementMode {
    /// The label; an unknown code shows as `unknown (7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown(code) => write!(f, "unknown ({code})"),
            known => f.write_str(known.label()),
        }
    }
}

/// A third-party tenant of a customer, as the customers listing names it (no type, no seats:
/// ask the seats reports for those).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct CustomerTenant {
    /// The ID of the tenant.
    pub id: String,
    /// The name of the tenant.
    pub name: String,
}

/// One customer of the partner.
///
/// Serialises with the wire names (`id`, `organization`, `ownerEmail`, `jobStatus`,
/// `countryOrRegion`, `managementMode`, `tenants`), like the spec's `PartnerCustomer`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PartnerCustomer")]
pub struct Customer {
    /// The ID of the customer: the `customer_id` of the seats reports.
    pub id: String,
    /// The customer's organization name, when known.
    pub organization: Option<String>,
    /// The e-mail address of the customer's owner, when known.
    #[serde(rename = "ownerEmail")]
    pub owner_email: Option<String>,
    /// The status of the customer's backup jobs.
    #[serde(rename = "jobStatus")]
    pub job_status: JobStatus,
    /// The customer's country or region, when known.
    #[serde(rename = "countryOrRegion")]
    pub country_or_region: Option<String>,
    /// Who manages the customer's services.
    #[serde(rename = "managementMode")]
    pub management_mode: ManagementMode,
    /// The customer's third-party tenants (empty when the service sent none).
    pub tenants: Vec<CustomerTenant>,
}

impl Customer {
    /// The organization name, or the id when the service sent no name: what to show a person.
    pub fn display_name(&self) -> &str {
        self.organization
            .as_deref()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(&self.id)
    }

    fn from_raw(c: raw::PartnerCustomer) -> Self {
        Self {
            id: c.id,
            organization: c.organization,
            owner_email: c.owner_email,
            job_status: JobStatus::from_code(c.job_status),
            country_or_region: c.country_or_region,
            management_mode: ManagementMode::from_code(c.management_mode),
            tenants: c
                .tenants
                .unwrap_or_default()
                .into_iter()
                .map(|t| CustomerTenant {
                    id: t.id,
                    name: t.name,
                })
                .collect(),
        }
    }

    fn key(&self) -> String {
        self.id.clone()
    }
}

/// A prepared customers listing; see [`Client::customers`].
#[derive(Debug, Clone)]
#[must_use = "a request does nothing until it is streamed or collected"]
pub struct CustomersRequest {
    client: Client,
    page_size: u32,
    max_pages: u32,
    customer_ids: Vec<String>,
}

impl Client {
    /// Prepares a listing of the partner's customers (`elements.customers.read.all`), fetched
    /// page by page: [`CustomersRequest::stream`] yields them one at a time,
    /// [`CustomersRequest::collect_all`] gathers them, [`CustomersRequest::first_page`]
    /// fetches page 1 only (with the `totalCount`).
    pub fn customers(&self) -> CustomersRequest {
        CustomersRequest {
            client: self.clone(),
            page_size: DEFAULT_PAGE_SIZE,
            max_pages: DEFAULT_MAX_PAGES,
            customer_ids: Vec::new(),
        }
    }
}

impl CustomersRequest {
    /// Customers per page, 1..=100 (default 100). Out of range, the stream yields
    /// [`Error::InvalidInput`] without calling the service.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// The most pages to fetch before ending with [`Error::Paging`] (default
    /// [`DEFAULT_MAX_PAGES`]); the walk also stops at twice the pages the first `totalCount`
    /// needs, plus two.
    pub fn max_pages(mut self, pages: u32) -> Self {
        self.max_pages = pages;
        self
    }

    /// Lists only these customers (the body's `customerIds`); none given lists all.
    pub fn customer_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.customer_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// The customers, fetched lazily page by page (see [`PageStream`]).
    pub fn stream(self) -> PageStream<Customer> {
        let size = match paging::checked_page_size(self.page_size) {
            Ok(size) => size,
            Err(e) => return PageStream::failed(OPERATION.name, Customer::key, e),
        };
        let client = self.client;
        let body = raw::CustomersBatchRequest {
            customer_ids: self.customer_ids,
        };
        let fetch: FetchPage<Customer> = Arc::new(move |index, size| {
            let (client, body) = (client.clone(), body.clone());
            Box::pin(async move { fetch_page(&client, &body, index, size).await })
        });
        PageStream::new(OPERATION.name, size, self.max_pages, Customer::key, fetch)
    }

    /// Every customer, all pages walked.
    pub async fn collect_all(self) -> Result<Vec<Customer>, Error> {
        self.stream().collect_all().await
    }

    /// Page `index` (1-based) alone.
    pub async fn page(&self, index: u32) -> Result<Page<Customer>, Error> {
        let size = paging::checked_page_size(self.page_size)?;
        let index = paging::checked_page_index(index)?;
        let body = raw::CustomersBatchRequest {
            customer_ids: self.customer_ids.clone(),
        };
        fetch_page(&self.client, &body, index, size).await
    }

    /// Page 1 alone, with the `totalCount` of the whole listing.
    pub async fn first_page(&self) -> Result<Page<Customer>, Error> {
        self.page(1).await
    }
}

/// Fetches one page of customers through the client's call path.
async fn fetch_page(
    client: &Client,
    body: &raw::CustomersBatchRequest,
    index: NonZeroU32,
    size: NonZeroU32,
) -> Result<Page<Customer>, Error> {
    let span = tracing::info_span!(
        "avepoint.call",
        operation = OPERATION.name,
        page_index = index.get(),
        page_size = size.get(),
    );
    let page = client
        .call_raw(&OPERATION, |raw| {
            let body = body.clone();
            async move {
                raw.list_customers_batch(Some(index), Some(size), &body)
                    .await
            }
        })
        .instrument(span)
        .await?;
    let items = page.data.into_iter().map(Customer::from_raw).collect();
    Page::from_raw(OPERATION.name, items, &page.metadata)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_values_are_kept() {
        for (i, s) in JobStatus::KNOWN.iter().enumerate() {
            assert_eq!(s.code(), i as i32);
            assert_eq!(JobStatus::from_code(s.code()), *s);
            assert!(s.is_known());
        }
        for (i, m) in ManagementMode::KNOWN.iter().enumerate() {
            assert_eq!(m.code(), i as i32);
            assert_eq!(ManagementMode::from_code(m.code()), *m);
        }
        assert_eq!(JobStatus::from_code(7), JobStatus::Unknown(7));
        assert_eq!(JobStatus::Unknown(7).to_string(), "unknown (7)");
        assert_eq!(ManagementMode::from_code(-1).code(), -1);
        assert_eq!(
            serde_json::from_str::<JobStatus>("42").ok(),
            Some(JobStatus::Unknown(42))
        );
        assert_eq!(
            serde_json::to_string(&ManagementMode::PartnerManaged).ok(),
            Some("1".to_owned())
        );
        assert_eq!(
            JobStatus::WaitingForConfiguration.to_string(),
            "Waiting for configuration"
        );
    }

    #[test]
    fn display_name_falls_back_to_the_id() {
        let mut c = Customer::from_raw(raw::PartnerCustomer {
            country_or_region: None,
            id: "c1".into(),
            job_status: 9,
            management_mode: 0,
            organization: Some(" ".into()),
            owner_email: None,
            tenants: None,
        });
        assert_eq!(c.display_name(), "c1");
        assert!(c.tenants.is_empty());
        assert_eq!(c.job_status, JobStatus::Unknown(9));
        c.organization = Some("Contoso".into());
        assert_eq!(c.display_name(), "Contoso");
    }
}
