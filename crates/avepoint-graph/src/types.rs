//! The typed vocabulary of the API: tenant types, seat statuses and the seats of a tenant.
//!
//! The wire uses bare integers (`type` 0..3, `licenseAssignedStatus` 0..1); these enums give
//! them names, parse both the short names and the numbers, and convert to and from the raw
//! generated types.
//!
//! A tenant type comes in two forms. What a request asks for is a [`TenantType`], a closed
//! enum: the spec allows only the four types in the `type` path parameter, so a request can
//! name only those (and the command line parses them with their aliases). What a response
//! reports is a [`ReportedTenantType`], an open code like the other codes the service may
//! extend: a type AvePoint adds later is kept as `Unknown(code)`, not refused. The wire
//! codes are written once, in [`ReportedTenantType`]; [`TenantType`] maps to and from it by
//! name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use avepoint_graph_raw::types as raw;

/// Why a string is not a valid [`TenantType`] or [`SeatStatus`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{input}` is not a valid {what}; use one of: {valid}")]
pub struct ParseEnumError {
    input: String,
    what: &'static str,
    valid: &'static str,
}

impl ParseEnumError {
    /// `input` is not a valid `what`; `valid` says what is.
    pub(crate) fn new(input: &str, what: &'static str, valid: &'static str) -> Self {
        Self {
            input: input.to_owned(),
            what,
            valid,
        }
    }
}

/// The kind of third-party tenant a customer has (the path parameter `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
#[non_exhaustive]
pub enum TenantType {
    /// Microsoft 365 (`0`, short name `m365`).
    Microsoft365,
    /// Salesforce (`1`, short name `salesforce`).
    Salesforce,
    /// Google Workspace (`2`, short name `google`).
    Google,
    /// Dynamics 365 (`3`, short name `d365`).
    Dynamics365,
}

impl TenantType {
    /// Every tenant type, in wire order.
    pub const ALL: [TenantType; 4] = [
        Self::Microsoft365,
        Self::Salesforce,
        Self::Google,
        Self::Dynamics365,
    ];

    const VALID: &'static str = "m365 (0), salesforce (1), google (2), d365 (3)";

    /// The wire integer.
    pub fn code(self) -> i32 {
        ReportedTenantType::from(self).code()
    }

    /// The tenant type of a wire integer; `None` for a code this version does not know.
    pub fn from_code(code: i32) -> Option<Self> {
        ReportedTenantType::from_code(code).known()
    }

    /// The short name used on command lines and in output (`m365`, `salesforce`, ...).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Microsoft365 => "m365",
            Self::Salesforce => "salesforce",
            Self::Google => "google",
            Self::Dynamics365 => "d365",
        }
    }

    /// The product name (`Microsoft 365`, ...).
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Microsoft365 => "Microsoft 365",
            Self::Salesforce => "Salesforce",
            Self::Google => "Google",
            Self::Dynamics365 => "Dynamics 365",
        }
    }
}

impl fmt::Display for TenantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

impl FromStr for TenantType {
    type Err = ParseEnumError;

    /// Accepts the short names, the product names and aliases (case-insensitive) and the
    /// wire numbers.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_'))
            .flat_map(char::to_lowercase)
            .collect();
        let found = match key.as_str() {
            "0" | "m365" | "microsoft365" | "o365" | "office365" => Some(Self::Microsoft365),
            "1" | "salesforce" | "sf" => Some(Self::Salesforce),
            "2" | "google" | "googleworkspace" | "gws" => Some(Self::Google),
            "3" | "d365" | "dynamics365" | "dynamics" => Some(Self::Dynamics365),
            _ => None,
        };
        found.ok_or_else(|| ParseEnumError {
            input: s.to_owned(),
            what: "tenant type",
            valid: Self::VALID,
        })
    }
}

impl From<TenantType> for i32 {
    fn from(t: TenantType) -> i32 {
        t.code()
    }
}

impl TryFrom<i32> for TenantType {
    type Error = ParseEnumError;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        Self::from_code(code).ok_or_else(|| ParseEnumError {
            input: code.to_string(),
            what: "tenant type",
            valid: Self::VALID,
        })
    }
}

impl From<TenantType> for raw::TenantType {
    fn from(t: TenantType) -> Self {
        match raw::TenantType::try_from(t.code()) {
            Ok(v) => v,
            // The spec's enum is 0..=3, the same as `TenantType::ALL`; a test checks it.
            Err(_) => unreachable!("TenantType codes match the spec"),
        }
    }
}

avepoint_graph_raw::open_code! {
    /// A tenant type as a response reports it (`type`): one of the types this version knows,
    /// or `Unknown(code)` for one AvePoint added. [`ReportedTenantType::known`] gives the
    /// [`TenantType`] to ask for.
    #[non_exhaustive]
    pub enum ReportedTenantType: i32 {
        /// `0` - Microsoft 365.
        Microsoft365 = 0,
        /// `1` - Salesforce.
        Salesforce = 1,
        /// `2` - Google.
        Google = 2,
        /// `3` - Dynamics 365.
        Dynamics365 = 3,
    }
}

impl ReportedTenantType {
    /// The [`TenantType`] of a known type; `None` for an unknown code.
    pub fn known(self) -> Option<TenantType> {
        match self {
            Self::Microsoft365 => Some(TenantType::Microsoft365),
            Self::Salesforce => Some(TenantType::Salesforce),
            Self::Google => Some(TenantType::Google),
            Self::Dynamics365 => Some(TenantType::Dynamics365),
            Self::Unknown(_) => None,
        }
    }
}

impl From<TenantType> for ReportedTenantType {
    fn from(t: TenantType) -> Self {
        match t {
            TenantType::Microsoft365 => Self::Microsoft365,
            TenantType::Salesforce => Self::Salesforce,
            TenantType::Google => Self::Google,
            TenantType::Dynamics365 => Self::Dynamics365,
        }
    }
}

impl fmt::Display for ReportedTenantType {
    /// The short name of a known type (`m365`, ...); an unknown code shows as `unknown (7)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.known() {
            Some(t) => t.fmt(f),
            None => write!(f, "unknown ({})", self.code()),
        }
    }
}

/// Which user seats to report (the body field `licenseAssignedStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32", into = "i32")]
pub enum SeatStatus {
    /// Available user seats (`0`, short name `available`).
    Available,
    /// Assigned user seats (`1`, short name `assigned`).
    Assigned,
}

impl SeatStatus {
    const VALID: &'static str = "available (0), assigned (1)";

    /// The wire integer.
    pub fn code(self) -> i32 {
        match self {
            Self::Available => 0,
            Self::Assigned => 1,
        }
    }

    /// The short name (`available`, `assigned`).
    pub fn short_name(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Assigned => "assigned",
        }
    }
}

impl fmt::Display for SeatStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short_name())
    }
}

impl FromStr for SeatStatus {
    type Err = ParseEnumError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "0" | "available" => Ok(Self::Available),
            "1" | "assigned" => Ok(Self::Assigned),
            _ => Err(ParseEnumError {
                input: s.to_owned(),
                what: "seat status",
                valid: Self::VALID,
            }),
        }
    }
}

impl From<SeatStatus> for i32 {
    fn from(s: SeatStatus) -> i32 {
        s.code()
    }
}

impl TryFrom<i32> for SeatStatus {
    type Error = ParseEnumError;

    fn try_from(code: i32) -> Result<Self, Self::Error> {
        match code {
            0 => Ok(Self::Available),
            1 => Ok(Self::Assigned),
            _ => Err(ParseEnumError {
                input: code.to_string(),
                what: "seat status",
                valid: Self::VALID,
            }),
        }
    }
}

impl From<SeatStatus> for raw::LicenseAssignedStatus {
    fn from(s: SeatStatus) -> Self {
        match raw::LicenseAssignedStatus::try_from(s.code()) {
            Ok(v) => v,
            Err(_) => unreachable!("SeatStatus codes match the spec"),
        }
    }
}

/// One tenant of a customer and its user seats.
///
/// Serialises with the wire names (`id`, `name`, `availableUserSeat`, `assignedUserSeat`),
/// like the spec's `TenantUserSeats` (a test keeps them in step).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TenantSeats {
    /// The ID of the tenant.
    #[serde(rename = "id")]
    pub tenant_id: String,
    /// The name of the tenant.
    #[serde(rename = "name")]
    pub tenant_name: String,
    /// The number of available user seats of the tenant.
    #[serde(rename = "availableUserSeat")]
    pub available_seats: u64,
    /// The number of assigned user seats of the tenant.
    #[serde(rename = "assignedUserSeat")]
    pub assigned_seats: u64,
}

impl TenantSeats {
    /// A tenant with its seat counts (e.g. read back from your own store, or for a test).
    pub fn new(
        tenant_id: impl Into<String>,
        tenant_name: impl Into<String>,
        available_seats: u64,
        assigned_seats: u64,
    ) -> Self {
        Self {
            tenant_id: tenant_id.into(),
            tenant_name: tenant_name.into(),
            available_seats,
            assigned_seats,
        }
    }

    /// Converts a raw record of `operation`; negative counts (which the spec forbids) are a
    /// decode error.
    pub(crate) fn from_raw(
        operation: &'static str,
        r: raw::TenantUserSeats,
    ) -> Result<Self, crate::Error> {
        Ok(Self {
            available_seats: seat_count(operation, "availableUserSeat", r.available_user_seat)?,
            assigned_seats: seat_count(operation, "assignedUserSeat", r.assigned_user_seat)?,
            tenant_id: r.id,
            tenant_name: r.name,
        })
    }
}

/// A seat count from the wire: the spec says `minimum: 0`, so a negative one is a decode
/// error of `operation`.
pub(crate) fn seat_count(
    operation: &'static str,
    field: &str,
    value: i64,
) -> Result<u64, crate::Error> {
    u64::try_from(value).map_err(|_| crate::Error::Decode {
        operation,
        message: format!("`{field}` is negative ({value})"),
        snippet: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_types_parse_names_and_numbers() {
        for t in TenantType::ALL {
            assert_eq!(t.short_name().parse::<TenantType>(), Ok(t));
            assert_eq!(t.code().to_string().parse::<TenantType>(), Ok(t));
            assert_eq!(t.display_name().parse::<TenantType>(), Ok(t));
            assert_eq!(TenantType::try_from(t.code()), Ok(t));
            assert_eq!(i32::from(raw::TenantType::from(t)), t.code());
        }
        assert_eq!("M365".parse::<TenantType>(), Ok(TenantType::Microsoft365));
        let err = "teams".parse::<TenantType>().expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "`teams` is not a valid tenant type; use one of: m365 (0), salesforce (1), google (2), d365 (3)"
        );
        assert!(TenantType::try_from(4).is_err());
    }

    #[test]
    fn reported_types_keep_unknown_codes() {
        for t in TenantType::ALL {
            let reported = ReportedTenantType::from_code(t.code());
            assert_eq!(reported, ReportedTenantType::from(t));
            assert_eq!(reported.known(), Some(t));
            assert_eq!(reported.to_string(), t.short_name());
        }
        assert_eq!(ReportedTenantType::KNOWN.len(), TenantType::ALL.len());
        let other = ReportedTenantType::from(7);
        assert_eq!(other, ReportedTenantType::Unknown(7));
        assert!(!other.is_known());
        assert_eq!(other.to_string(), "unknown (7)");
        assert_eq!(other.known(), None);
        assert_eq!(TenantType::from_code(7), None);
        assert_eq!(serde_json::to_string(&other).ok().as_deref(), Some("7"));
        assert_eq!(
            serde_json::from_str::<ReportedTenantType>("1").ok(),
            Some(ReportedTenantType::Salesforce)
        );
    }

    #[test]
    fn seat_statuses_parse_names_and_numbers() {
        assert_eq!("available".parse::<SeatStatus>(), Ok(SeatStatus::Available));
        assert_eq!("1".parse::<SeatStatus>(), Ok(SeatStatus::Assigned));
        assert_eq!(
            "used"
                .parse::<SeatStatus>()
                .expect_err("invalid")
                .to_string(),
            "`used` is not a valid seat status; use one of: available (0), assigned (1)"
        );
        for s in [SeatStatus::Available, SeatStatus::Assigned] {
            assert_eq!(s.to_string().parse::<SeatStatus>(), Ok(s));
            assert_eq!(i32::from(raw::LicenseAssignedStatus::from(s)), s.code());
        }
    }

    #[test]
    fn enums_serialise_as_wire_integers() {
        assert_eq!(
            serde_json::to_string(&TenantType::Google).ok().as_deref(),
            Some("2")
        );
        assert_eq!(
            serde_json::from_str::<SeatStatus>("1").ok(),
            Some(SeatStatus::Assigned)
        );
        assert!(serde_json::from_str::<TenantType>("9").is_err());
    }

    #[test]
    fn negative_counts_are_refused() {
        let r = raw::TenantUserSeats {
            id: "t".into(),
            name: "n".into(),
            available_user_seat: -1,
            assigned_user_seat: 2,
        };
        assert!(TenantSeats::from_raw("op", r).is_err());
    }
}
