//! Gives errors raised before any resolver runs (parse, validation, depth
//! and complexity limits) an error code of the contract (`error::code`), as async-graphql leaves them bare.
//!
//! This is done on the response, not in an extension: any extension puts
//! every field's resolution through async-graphql's extension chain, which
//! cost a stock poll of one product at 120 locations (W2 in BENCHMARKS.md: hundreds of fields) a measurable share of its CPU.

use async_graphql::ServerError;

use crate::error::code;

/// async-graphql's own messages for its two limits.
const LIMIT_MESSAGES: [&str; 2] = ["Query is too complex.", "Query is nested too deep."];

pub fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let ext = err.extensions.get_or_insert_with(Default::default);
    if ext.get("code").is_none() {
        ext.set("code", code);
    }
    err
}

/// Our errors always carry a code; what is left bare is the caller's fault:
/// a limit (QUERY_TOO_COMPLEX) or a syntax, validation or input coercion
/// error (BAD_USER_INPUT).
pub fn coded(err: ServerError) -> ServerError {
    if LIMIT_MESSAGES.contains(&err.message.as_str()) {
        with_code(err, code::QUERY_TOO_COMPLEX)
    } else {
        with_code(err, code::BAD_USER_INPUT)
    }
}
