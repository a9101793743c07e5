//! Documents kept by hash, so that the few queries an integration sends
//! all day are parsed, measured and validated once, not per request:
//! - parsed and measured documents, by the SHA-256 of their text;
//! - validation results (the cost), by document, operation and the
//!   variables a cost can depend on;
//! - persisted queries (Apollo's automatic persisted queries): the text
//!   of a document, by its hash, so a client may send the hash alone.
//!
//! Each is bounded (`crate::recent`).

use std::sync::Arc;

use async_graphql::parser::types::{BaseType, ExecutableDocument, OperationDefinition};
use sha2::{Digest, Sha256};

use crate::graphql::measure::Measured;
use crate::recent::Recent;

pub type Hash = [u8; 32];

pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

pub fn hex(hash: &Hash) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash written as 64 hex digits.
pub fn parse_hex(text: &str) -> Option<Hash> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The caches of one replica.
pub struct Documents {
    pub parsed: Recent<Arc<Measured>>,
    /// The cost async-graphql computed for a document's operation.
    pub costs: Recent<usize>,
    pub persisted: Recent<Arc<str>>,
}

/// A parsed document (its syntax tree) is counted at this many times its
/// text: the tree's nodes, names and positions take several times the
/// bytes they were parsed from.
pub const PARSED_BYTES_PER_TEXT_BYTE: usize = 10;

impl Documents {
    /// `capacity` entries each; `max_bytes` shared out: parsed documents
    /// three quarters, persisted texts a quarter (costs are a few bytes).
    pub fn new(capacity: usize, max_bytes: usize) -> Self {
        Self {
            parsed: Recent::with_bytes(capacity, max_bytes / 4 * 3),
            costs: Recent::new(capacity),
            persisted: Recent::with_bytes(capacity, max_bytes / 4),
        }
    }
}

/// The key of a validation result. A document's validity depends only on
/// its text and the operation chosen; its cost also on arguments that may
/// be variables: page sizes and a report's dates. The values of variables
/// of those types (`cost::ARGUMENT_TYPES`) are part of the key, no other
/// variable's: an id, a search text or an order's input does not change
/// what a query costs, and they are what varies from one request to the
/// next.
pub fn cost_key(
    document: &Hash,
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &async_graphql::Variables,
) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(document);
    hasher.update([0]);
    hasher.update(operation_name.unwrap_or("").as_bytes());
    hasher.update([0]);
    if let Some(op) = operation(doc, operation_name) {
        for def in &op.variable_definitions {
            if drives_cost(&def.node.var_type.node.base) {
                let name = def.node.name.node.as_str();
                hasher.update(name.as_bytes());
                hasher.update([1]);
                let value = variables.get(name).map(|v| v.to_string());
                hasher.update(value.unwrap_or_default().as_bytes());
                hasher.update([0]);
            }
        }
    }
    hasher.finalize().into()
}

fn drives_cost(base: &BaseType) -> bool {
    match base {
        BaseType::Named(name) => crate::graphql::cost::ARGUMENT_TYPES.contains(&name.as_str()),
        BaseType::List(inner) => drives_cost(&inner.base),
    }
}

/// The operation a request runs: the named one, or the only one.
pub fn operation<'a>(
    doc: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        (DocumentOperations::Single(_), Some(_)) => None,
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_read_back_from_hex() {
        let h = sha256(b"{ __typename }");
        assert_eq!(parse_hex(&hex(&h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex(&"g".repeat(64)), None);
    }
}
