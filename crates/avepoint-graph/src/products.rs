//! AvePoint products ([`ProductType`], an open code: products are added over time) and the
//! product seats operation (`GET …/customers/{customerId}/avpt-products/type/{productType}/overview`):
//! how many user seats of one product a customer holds.

use std::fmt;
use std::str::FromStr;

use avepoint_graph_raw::types as raw;
use serde::{Deserialize, Serialize};

use crate::client::Client;
use crate::error::Error;
use crate::operation::{self, Operation, Scopes, StatusHints};
use crate::types::{ParseEnumError, TenantType, seat_count};

/// `GET .../avpt-products/type/{productType}/overview`.
pub(crate) static OPERATION: Operation = Operation {
    name: "retrieve_customer_product_seats",
    scopes: Scopes::License,
    hints: StatusHints {
        not_found: "the customer holds no subscription of this product, or there is no such customer for this partner; check the customer id, the product code and the data center",
        ..StatusHints::LICENSE
    },
    paged: false,
};

avepoint_graph_raw::open_code! {
    /// An AvePoint product (`productType`): the 22 products this version knows, or a code it
    /// does not know, kept as `Unknown(code)`.
    #[non_exhaustive]
    pub enum ProductType: i64 {
        /// `1` - DocAve Online.
        DocAveOnline = 1,
        /// `4` - Cloud Governance.
        CloudGovernance = 4,
        /// `32` - Cloud Backup for Salesforce.
        CloudBackupForSalesforce = 32,
        /// `40` - Baseline Management.
        BaselineManagement = 40,
        /// `41` - Risk Management.
        RiskManagement = 41,
        /// `42` - Workspace Management.
        WorkspaceManagement = 42,
        /// `49` - User Management.
        UserManagement = 49,
        /// `60` - MyHub.
        MyHub = 60,
        /// `65` - Workspace Management - Storage Optimization.
        StorageOptimization = 65,
        /// `257` - TyGraph.
        TyGraph = 257,
        /// `2048` - Cloud Backup for Microsoft 365.
        CloudBackupForMicrosoft365 = 2048,
        /// `4096` - Cloud Management.
        CloudManagement = 4096,
        /// `8192` - Cloud Archiving.
        CloudArchiving = 8192,
        /// `65536` - Opus.
        Opus = 65536,
        /// `131072` - Cloud Backup for Dynamics 365.
        CloudBackupForDynamics365 = 131072,
        /// `4194304` - Insights.
        Insights = 4194304,
        /// `8388608` - Policies for Microsoft 365.
        PoliciesForMicrosoft365 = 8388608,
        /// `16777216` - Fly.
        Fly = 16777216,
        /// `33554432` - Cloud Backup for Google Workspace.
        CloudBackupForGoogleWorkspace = 33554432,
        /// `67108864` - Cense.
        Cense = 67108864,
        /// `134217728` - Enpower.
        Enpower = 134217728,
        /// `1073741824` - Cloud Backup for IaaS + PaaS.
        CloudBackupForIaasPaas = 1073741824,
    }
}

impl ProductType {
    /// The product's name as AvePoint writes it; `None` for an unknown code.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Self::DocAveOnline => "DocAve Online",
            Self::CloudGovernance => "Cloud Governance",
            Self::CloudBackupForSalesforce => "Cloud Backup for Salesforce",
            Self::BaselineManagement => "Baseline Management",
            Self::RiskManagement => "Risk Management",
            Self::WorkspaceManagement => "Workspace Management",
            Self::UserManagement => "User Management",
            Self::MyHub => "MyHub",
            Self::StorageOptimization => "Workspace Management - Storage Optimization",
            Self::TyGraph => "TyGraph",
            Self::CloudBackupForMicrosoft365 => "Cloud Backup for Microsoft 365",
            Self::CloudManagement => "Cloud Management",
            Self::CloudArchiving => "Cloud Archiving",
            Self::Opus => "Opus",
            Self::CloudBackupForDynamics365 => "Cloud Backup for Dynamics 365",
            Self::Insights => "Insights",
            Self::PoliciesForMicrosoft365 => "Policies for Microsoft 365",
            Self::Fly => "Fly",
            Self::CloudBackupForGoogleWorkspace => "Cloud Backup for Google Workspace",
            Self::Cense => "Cense",
            Self::Enpower => "Enpower",
            Self::CloudBackupForIaasPaas => "Cloud Backup for IaaS + PaaS",
            Self::Unknown(_) => return None,
        })
    }

    /// The AvePoint backup product that covers the users of a tenant type: Microsoft 365 ↔
    /// Cloud Backup for Microsoft 365, Salesforce ↔ Cloud Backup for Salesforce, Google ↔
    /// Cloud Backup for Google Workspace, Dynamics 365 ↔ Cloud Backup for Dynamics 365.
    pub fn backup_for(tenant_type: TenantType) -> Self {
        match tenant_type {
            TenantType::Microsoft365 => Self::CloudBackupForMicrosoft365,
            TenantType::Salesforce => Self::CloudBackupForSalesforce,
            TenantType::Google => Self::CloudBackupForGoogleWorkspace,
            TenantType::Dynamics365 => Self::CloudBackupForDynamics365,
        }
    }

    /// The tenant type whose users this backup product covers (the inverse of
    /// [`ProductType::backup_for`]); `None` for the other products.
    pub fn backed_up_tenant_type(self) -> Option<TenantType> {
        TenantType::ALL
            .into_iter()
            .find(|&t| Self::backup_for(t) == self)
    }
}

impl fmt::Display for ProductType {
    /// The name; an unknown code shows as `unknown (N)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "unknown ({})", self.code()),
        }
    }
}

/// A name compared without case, spaces, `-`, `_` and `+`.
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '+'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl FromStr for ProductType {
    type Err = ParseEnumError;

    /// Accepts a non-negative code (any, known or not) or a known product's name, compared
    /// without case, spaces, `-`, `_` and `+` (`2048`, `Cloud Backup for Microsoft 365`,
    /// `cloud-backup-for-microsoft-365`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let trimmed = s.trim();
        if !trimmed.is_empty()
            && trimmed.bytes().all(|b| b.is_ascii_digit())
            && let Ok(code) = trimmed.parse::<i64>()
        {
            return Ok(Self::from_code(code));
        }
        let key = name_key(trimmed);
        Self::KNOWN
            .into_iter()
            .find(|p| p.name().is_some_and(|name| name_key(name) == key))
            .ok_or_else(|| {
                ParseEnumError::new(
                    s,
                    "product",
                    "a product code (a non-negative integer) or a product name such as `Cloud Backup for Microsoft 365`",
                )
            })
    }
}

/// The user seats a customer holds of one AvePoint product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProductSeats {
    /// The product the service reported (the requested one when it sent none or sent a
    /// string that is not a number).
    #[serde(rename = "productType")]
    pub product_type: ProductType,
    /// The number of user seats of the product the customer holds.
    #[serde(rename = "availableUserSeat")]
    pub available_seats: u64,
}

impl ProductSeats {
    /// A product's seats (e.g. read back from your own store, or for a test).
    pub fn new(product_type: ProductType, available_seats: u64) -> Self {
        Self {
            product_type,
            available_seats,
        }
    }
}

impl ProductSeats {
    fn from_raw(requested: ProductType, r: raw::ProductSeatOverview) -> Result<Self, Error> {
        let product_type = match r.product_type {
            None => requested,
            Some(raw::ProductTypeCode::Int64(code)) => ProductType::from_code(code),
            Some(raw::ProductTypeCode::String(text)) => match text.trim().parse::<i64>() {
                Ok(code) => ProductType::from_code(code),
                Err(_) => {
                    tracing::warn!(
                        operation = OPERATION.name,
                        product_type = %text.escape_debug(),
                        "the service sent a productType that is not a number; keeping the requested product"
                    );
                    requested
                }
            },
        };
        Ok(Self {
            product_type,
            available_seats: seat_count(
                OPERATION.name,
                "availableUserSeat",
                r.available_user_seat,
            )?,
        })
    }
}

impl Client {
    /// The user seats customer `customer_id` holds of `product`.
    ///
    /// A customer without a subscription of the product is answered with a 404
    /// ([`Error::status`] is `Some(404)`) or with zero seats, depending on the service.
    pub async fn product_seats(
        &self,
        customer_id: &str,
        product: ProductType,
    ) -> Result<ProductSeats, Error> {
        let code = product.code();
        if code < 0 {
            return Err(Error::InvalidInput(format!(
                "the product code {code} is negative; product codes are non-negative integers"
            )));
        }
        let span = tracing::info_span!(
            "avepoint.call",
            operation = OPERATION.name,
            customer_id = %customer_id,
            product_type = code,
        );
        let seats = operation::call(
            self,
            &OPERATION,
            customer_id,
            span,
            |raw, customer: raw::RetrieveCustomerProductSeatsCustomerId| async move {
                raw.retrieve_customer_product_seats(&customer, code).await
            },
        )
        .await?;
        ProductSeats::from_raw(product, seats)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn products_parse_names_and_numbers() {
        assert_eq!(ProductType::KNOWN.len(), 22);
        for p in ProductType::KNOWN {
            assert!(p.is_known());
            assert_eq!(p.code().to_string().parse::<ProductType>(), Ok(p));
            let name = p.name().expect("known products have names");
            assert_eq!(name.parse::<ProductType>(), Ok(p));
            assert_eq!(name.to_uppercase().parse::<ProductType>(), Ok(p));
            assert_eq!(ProductType::from_code(p.code()), p);
        }
        assert_eq!(
            "cloud-backup-for-microsoft-365".parse::<ProductType>(),
            Ok(ProductType::CloudBackupForMicrosoft365)
        );
        assert_eq!(
            "Cloud Backup for IaaS + PaaS".parse::<ProductType>(),
            Ok(ProductType::CloudBackupForIaasPaas)
        );
        assert_eq!("7".parse::<ProductType>(), Ok(ProductType::Unknown(7)));
        assert_eq!(ProductType::Unknown(7).to_string(), "unknown (7)");
        assert!("-1".parse::<ProductType>().is_err());
        assert!("Teams".parse::<ProductType>().is_err());
        assert!("".parse::<ProductType>().is_err());
    }

    #[test]
    fn backup_pairs_go_both_ways() {
        for t in TenantType::ALL {
            let p = ProductType::backup_for(t);
            assert_eq!(p.backed_up_tenant_type(), Some(t));
        }
        assert_eq!(ProductType::Fly.backed_up_tenant_type(), None);
        assert_eq!(ProductType::backup_for(TenantType::Google).code(), 33554432);
    }

    fn decoded(product_type: Option<raw::ProductTypeCode>) -> ProductType {
        let r = raw::ProductSeatOverview {
            product_type,
            available_user_seat: 1,
        };
        ProductSeats::from_raw(ProductType::Fly, r)
            .expect("valid")
            .product_type
    }

    #[test]
    fn product_type_decodes_from_number_or_string() {
        assert_eq!(
            decoded(Some(raw::ProductTypeCode::Int64(32))),
            ProductType::CloudBackupForSalesforce
        );
        assert_eq!(
            decoded(Some(raw::ProductTypeCode::String("2048".into()))),
            ProductType::CloudBackupForMicrosoft365
        );
        assert_eq!(
            decoded(Some(raw::ProductTypeCode::Int64(99))),
            ProductType::Unknown(99)
        );
        assert_eq!(decoded(None), ProductType::Fly);
        assert_eq!(
            decoded(Some(raw::ProductTypeCode::String("Fly!".into()))),
            ProductType::Fly
        );
    }

    #[test]
    fn negative_seats_are_a_decode_error() {
        let r = raw::ProductSeatOverview {
            product_type: None,
            available_user_seat: -5,
        };
        assert!(ProductSeats::from_raw(ProductType::Fly, r).is_err());
    }
}
