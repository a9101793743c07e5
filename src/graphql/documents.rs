//! Documents kept by hash, so that the few queries an integration sends
//! all day are parsed, measured and validated once, not per request:
//! - parsed and measured documents, by the SHA-256 of their text;
//! - validation results (the cost), by document, operation and the
//!   variables a cost can depend on;
//! - persisted queries (Apollo's automatic persisted queries): the text
//!   of a document, by its hash, so a client may send the hash alone.
//!
//! Each is bounded: two generations of at most `capacity / 2` entries;
//! a hit in the old generation moves the entry to the new one, and when
//! the new one fills, the old one is dropped. That is least-recently-used
//! eviction in halves, with one lock and no list to maintain.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{BaseType, ExecutableDocument, OperationDefinition};
use sha2::{Digest, Sha256};

use crate::graphql::measure::Measured;

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

pub struct Recent<V> {
    half: usize,
    generations: Mutex<(HashMap<Hash, V>, HashMap<Hash, V>)>,
}

impl<V: Clone> Recent<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            half: (capacity / 2).max(1),
            generations: Mutex::new(Default::default()),
        }
    }

    pub fn get(&self, key: &Hash) -> Option<V> {
        let mut guard = self.generations.lock().ok()?;
        let (new, old) = &mut *guard;
        if let Some(v) = new.get(key) {
            return Some(v.clone());
        }
        let v = old.remove(key)?;
        Self::put(new, old, self.half, *key, v.clone());
        Some(v)
    }

    pub fn insert(&self, key: Hash, value: V) {
        if let Ok(mut guard) = self.generations.lock() {
            let (new, old) = &mut *guard;
            Self::put(new, old, self.half, key, value);
        }
    }

    fn put(
        new: &mut HashMap<Hash, V>,
        old: &mut HashMap<Hash, V>,
        half: usize,
        key: Hash,
        value: V,
    ) {
        if new.len() >= half && !new.contains_key(&key) {
            *old = std::mem::take(new);
        }
        new.insert(key, value);
    }
}

/// The caches of one replica.
pub struct Documents {
    pub parsed: Recent<Arc<Measured>>,
    /// The cost async-graphql computed for a document's operation.
    pub costs: Recent<usize>,
    pub persisted: Recent<Arc<str>>,
}

impl Documents {
    pub fn new(capacity: usize) -> Self {
        Self {
            parsed: Recent::new(capacity),
            costs: Recent::new(capacity),
            persisted: Recent::new(capacity),
        }
    }
}

/// The key of a validation result. A document's validity depends only on
/// its text and the operation chosen; its cost also on arguments that may
/// be variables (page sizes, a report's dates). Every variable's value is
/// part of the key except those typed `ID` or `String`: ids and texts never
/// change what a query costs (`graphql::cost` keeps to that), and they are
/// what varies from one poll to the next.
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
            if !is_id_or_text(&def.node.var_type.node.base) {
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

fn is_id_or_text(base: &BaseType) -> bool {
    match base {
        BaseType::Named(name) => matches!(name.as_str(), "ID" | "String"),
        BaseType::List(inner) => is_id_or_text(&inner.base),
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
    fn the_least_recently_used_half_is_dropped() {
        let cache = Recent::new(4);
        let key = |i: u8| [i; 32];
        cache.insert(key(1), 1);
        cache.insert(key(2), 2);
        // Full: 1 and 2 move to the old generation.
        cache.insert(key(3), 3);
        // A hit moves 1 back to the new generation.
        assert_eq!(cache.get(&key(1)), Some(1));
        // The new generation (3, 1) is full: 2 is dropped.
        cache.insert(key(4), 4);
        assert_eq!(cache.get(&key(2)), None);
        assert_eq!(cache.get(&key(1)), Some(1));
        assert_eq!(cache.get(&key(3)), Some(3));
    }

    #[test]
    fn hashes_read_back_from_hex() {
        let h = sha256(b"{ __typename }");
        assert_eq!(parse_hex(&hex(&h)), Some(h));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex(&"g".repeat(64)), None);
    }
}
