//! The one representation of an *open code*: an integer code of the API that gains values
//! over time (a tenant's `type`, `jobStatus`, `managementMode`, AvePoint product codes). It is
//! an enum of the values a version knows plus `Unknown(code)`, so a value added later is kept
//! as sent instead of refused.
//!
//! Shared by `avepoint-graph` (the SDK's typed codes) and `avepoint-fake` (its tenant kinds),
//! which both build on this crate; it is not part of this crate's API.

/// `serde`, for the code [`open_code!`](crate::open_code!) expands to in other crates.
pub use serde;

/// Declares an open code: the enum of the known values, each `Name = code`, plus
/// `Unknown(code)`, with
/// * `KNOWN` (every known value, in declaration order), `code`, `from_code`, `is_known`;
/// * `From<int>` and `Into<int>`;
/// * `Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash`, `PartialOrd`, `Ord` (known values
///   in declaration order, then unknown ones);
/// * serde as the bare wire integer.
///
/// ```
/// avepoint_graph_raw::open_code! {
///     /// A colour.
///     pub enum Colour: i32 {
///         /// `0` - red.
///         Red = 0,
///         /// `2` - blue.
///         Blue = 2,
///     }
/// }
///
/// assert_eq!(Colour::from_code(2), Colour::Blue);
/// assert_eq!(Colour::from_code(7), Colour::Unknown(7));
/// assert_eq!(Colour::Unknown(7).code(), 7);
/// assert_eq!(Colour::KNOWN, [Colour::Red, Colour::Blue]);
/// ```
#[doc(hidden)]
#[macro_export]
macro_rules! open_code {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident : $int:ty {
            $( $(#[$variant_meta:meta])* $variant:ident = $code:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$variant_meta])* $variant, )+
            /// A code this version does not know (the service added a value), kept as sent.
            Unknown($int),
        }

        impl $name {
            /// Every value this version knows, in declaration order.
            pub const KNOWN: [Self; [$(stringify!($variant)),+].len()] = [$(Self::$variant),+];

            /// The wire integer.
            pub fn code(self) -> $int {
                match self {
                    $(Self::$variant => $code,)+
                    Self::Unknown(code) => code,
                }
            }

            /// The value of a wire integer; one this version does not know is kept as
            /// `Unknown(code)`.
            pub fn from_code(code: $int) -> Self {
                match code {
                    $($code => Self::$variant,)+
                    other => Self::Unknown(other),
                }
            }

            /// Whether this is a value this version knows.
            pub fn is_known(self) -> bool {
                !matches!(self, Self::Unknown(_))
            }
        }

        impl ::core::convert::From<$int> for $name {
            fn from(code: $int) -> Self {
                Self::from_code(code)
            }
        }

        impl ::core::convert::From<$name> for $int {
            fn from(value: $name) -> $int {
                value.code()
            }
        }

        impl $crate::open_code::serde::Serialize for $name {
            fn serialize<S>(&self, serializer: S) -> ::core::result::Result<S::Ok, S::Error>
            where
                S: $crate::open_code::serde::Serializer,
            {
                $crate::open_code::serde::Serialize::serialize(&self.code(), serializer)
            }
        }

        impl<'de> $crate::open_code::serde::Deserialize<'de> for $name {
            fn deserialize<D>(deserializer: D) -> ::core::result::Result<Self, D::Error>
            where
                D: $crate::open_code::serde::Deserializer<'de>,
            {
                <$int as $crate::open_code::serde::Deserialize<'de>>::deserialize(deserializer)
                    .map(Self::from_code)
            }
        }
    };
}
