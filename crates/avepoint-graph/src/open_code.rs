//! Open codes: integer codes of the API that gain values over time (a tenant's `type` as
//! reported, `jobStatus`, `managementMode`, AvePoint product codes). Each is declared with
//! `avepoint_graph_raw::open_code!` (shared with the fake service): an enum of the known
//! values plus `Unknown(code)`, so a value this version does not know is kept instead of
//! refused. This module adds what only the SDK needs: the JSON Schema of such a code.

/// Implements `JsonSchema` for an open code: an integer of `$int`'s width, described by
/// `$description`.
macro_rules! open_code_schema {
    ($name:ident : $int:ty, $schema_name:literal, $description:literal) => {
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed($schema_name)
            }

            fn json_schema(_generator: &mut ::schemars::SchemaGenerator) -> ::schemars::Schema {
                let format = if <$int>::BITS == 64 { "int64" } else { "int32" };
                ::schemars::json_schema!({
                    "type": "integer",
                    "format": format,
                    "description": $description,
                })
            }
        }
    };
}

pub(crate) use open_code_schema;
