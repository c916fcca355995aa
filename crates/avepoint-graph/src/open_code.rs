//! Open codes: integer codes of the API that gain values over time (`jobStatus`,
//! `managementMode`, AvePoint product codes). Each is an enum of the known values plus
//! `Unknown(code)`, so a value this version does not know is kept instead of refused.

/// Implements, for a code enum with an `Unknown($int)` variant: `code`, `from_code`,
/// `is_known` and `From<$int>`/`Into<$int>`. The schema name and description document the
/// code at the call site (the spec's component name and its values).
macro_rules! open_code_enum {
    ($name:ident : $int:ty, $schema_name:literal, $description:literal, [$($variant:ident = $code:literal),+ $(,)?]) => {
        impl $name {
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

        impl From<$int> for $name {
            fn from(code: $int) -> Self {
                Self::from_code(code)
            }
        }

        impl From<$name> for $int {
            fn from(value: $name) -> $int {
                value.code()
            }
        }
    };
}

pub(crate) use open_code_enum;
