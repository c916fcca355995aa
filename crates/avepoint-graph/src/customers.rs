//! The customers listing (`POST /partner/external/v3/general/customers/batch`): the
//! partner's customers with their backup job status, management mode and tenants, walked
//! page by page ([`PagedRequest`]`<`[`CustomersListing`]`>`).
//!
//! The integer codes `jobStatus` and `managementMode` become [`JobStatus`] and
//! [`ManagementMode`], which keep a value this version does not know as `Unknown(code)`
//! instead of failing, so a status AvePoint adds later does not break a listing.

use std::fmt;
use std::num::NonZeroU32;

use avepoint_graph_raw::types as raw;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::operation::{Operation, Scopes, StatusHints};
use crate::paging::{DEFAULT_MAX_PAGES, Paged, PagedOperation, PagedRequest, sealed};

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

avepoint_graph_raw::open_code! {
    /// The status of a customer's backup jobs (`jobStatus`): the statuses this version
    /// knows, or `Unknown(code)` for one the service added.
    #[non_exhaustive]
    pub enum JobStatus: i32 {
        /// `0` - N/A.
        NotApplicable = 0,
        /// `1` - Working.
        Working = 1,
        /// `2` - Failed.
        Failed = 2,
        /// `3` - Waiting for configuration.
        WaitingForConfiguration = 3,
        /// `4` - Multiple issues found.
        MultipleIssuesFound = 4,
        /// `5` - Finished with exception.
        FinishedWithException = 5,
        /// `6` - No backup updates.
        NoBackupUpdates = 6,
    }
}

impl JobStatus {
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

avepoint_graph_raw::open_code! {
    /// Who manages a customer's services (`managementMode`): the modes this version knows,
    /// or `Unknown(code)` for one the service added.
    #[non_exhaustive]
    pub enum ManagementMode: i32 {
        /// `0` - Customer-managed.
        CustomerManaged = 0,
        /// `1` - Partner-managed.
        PartnerManaged = 1,
        /// `2` - To be configured.
        ToBeConfigured = 2,
    }
}

impl ManagementMode {
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// The customer's third-party tenants (empty when the service sent none: the field is
    /// optional and nullable in the spec, and both read back as empty).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tenants: Vec<CustomerTenant>,
}

/// A list that may be `null` on the wire, read as empty.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

impl CustomerTenant {
    /// A tenant with its id and name.
    pub fn new(id: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
        }
    }
}

impl Customer {
    /// A customer with the fields the service always sends; the optional ones are `None` and
    /// `tenants` is empty (set them on the value: the fields are public).
    pub fn new(
        id: impl Into<String>,
        job_status: JobStatus,
        management_mode: ManagementMode,
    ) -> Self {
        Self {
            id: id.into(),
            organization: None,
            owner_email: None,
            job_status,
            country_or_region: None,
            management_mode,
            tenants: Vec::new(),
        }
    }

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
}

/// The customers listing as a paginated operation: the `Op` of the [`PagedRequest`] that
/// [`Client::customers`] returns.
#[derive(Debug, Clone, Default)]
pub struct CustomersListing {
    customer_ids: Vec<String>,
}

impl sealed::Sealed for CustomersListing {}

impl PagedOperation for CustomersListing {
    type Item = Customer;
}

impl Paged for CustomersListing {
    type Target = raw::CustomersBatchRequest;
    type RawPage = raw::CustomersPage;
    type RawItem = raw::PartnerCustomer;

    const OPERATION: &'static Operation = &OPERATION;
    const DEFAULT_MAX_PAGES: u32 = DEFAULT_MAX_PAGES;

    fn target(&self) -> Result<Self::Target, Error> {
        Ok(raw::CustomersBatchRequest {
            customer_ids: self.customer_ids.clone(),
        })
    }

    fn span(_: &Self::Target, index: NonZeroU32, size: NonZeroU32) -> tracing::Span {
        tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            page_index = index.get(),
            page_size = size.get(),
        )
    }

    async fn send(
        body: &Self::Target,
        raw: &avepoint_graph_raw::Client,
        index: NonZeroU32,
        size: NonZeroU32,
    ) -> Result<
        avepoint_graph_raw::ResponseValue<Self::RawPage>,
        avepoint_graph_raw::Error<avepoint_graph_raw::ByteStream>,
    > {
        raw.list_customers_batch(Some(index), Some(size), body)
            .await
    }

    fn split(page: Self::RawPage) -> (Vec<Self::RawItem>, raw::PageMetadata) {
        (page.data, page.metadata)
    }

    fn item(raw: Self::RawItem) -> Result<Customer, Error> {
        Ok(Customer::from_raw(raw))
    }

    fn key(customer: &Customer) -> String {
        customer.id.clone()
    }
}

impl Client {
    /// Prepares a listing of the partner's customers (`elements.customers.read.all`), fetched
    /// page by page: [`PagedRequest::stream`] yields them one at a time,
    /// [`PagedRequest::collect_all`] gathers them, [`PagedRequest::first_page`] fetches page
    /// 1 only (with the `totalCount`).
    pub fn customers(&self) -> PagedRequest<CustomersListing> {
        PagedRequest::new(self, CustomersListing::default())
    }
}

impl PagedRequest<CustomersListing> {
    /// Lists only these customers (the body's `customerIds`); none given lists all.
    pub fn customer_ids<I, S>(mut self, ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.operation.customer_ids = ids.into_iter().map(Into::into).collect();
        self
    }
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

    /// A customer serialised in the spec's `PartnerCustomer` shape reads back, with
    /// `tenants` missing or `null` (both allowed by the spec) as no tenants.
    #[test]
    fn customers_read_back_without_tenants() {
        let full = serde_json::json!({
            "id": "c1", "organization": "Contoso", "ownerEmail": null, "jobStatus": 1,
            "countryOrRegion": "DE", "managementMode": 0,
            "tenants": [{"id": "t1", "name": "contoso.onmicrosoft.com"}]
        });
        let customer: Customer = serde_json::from_value(full.clone()).expect("full");
        assert_eq!(customer.tenants.len(), 1);
        assert_eq!(serde_json::to_value(&customer).expect("serialises"), full);
        for tenants in [None, Some(serde_json::Value::Null)] {
            let mut sparse = full.clone();
            let object = sparse.as_object_mut().expect("object");
            object.remove("tenants");
            if let Some(value) = tenants {
                object.insert("tenants".into(), value);
            }
            let customer: Customer = serde_json::from_value(sparse).expect("without tenants");
            assert!(customer.tenants.is_empty());
            assert_eq!(customer.id, "c1");
        }
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
