//! Puts every response map back in the order of its selection set, as the
//! GraphQL spec orders it (CollectFields: first occurrence wins).
//!
//! async-graphql resolves the fields of a query in parallel and inserts
//! each result as it completes, so `{ z: locations a: viewer }` could come
//! back as `a, z`, and differently from one request to the next. Clients
//! that diff responses, or people reading them, rely on the order.

use async_graphql::Value;
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};

/// Reorders `data` (the response's `data`) after the operation that ran.
pub fn reorder(data: &mut Value, doc: &ExecutableDocument, operation_name: Option<&str>) {
    let Some(operation) = crate::graphql::documents::operation(doc, operation_name) else {
        return;
    };
    reorder_value(data, &[&operation.selection_set], doc);
}

fn reorder_value(value: &mut Value, sets: &[&Positioned<SelectionSet>], doc: &ExecutableDocument) {
    if matches!(value, Value::List(_) | Value::Object(_)) {
        Plan::new(sets, doc).apply(value, doc);
    }
}

/// The response keys of one selection (merged as the spec merges them),
/// in document order, each with the selection sets answering to it:
/// computed once for every item of a list.
struct Plan<'a> {
    keys: IndexMap<&'a str, Vec<&'a Positioned<SelectionSet>>>,
}

impl<'a> Plan<'a> {
    fn new(sets: &[&'a Positioned<SelectionSet>], doc: &'a ExecutableDocument) -> Self {
        let mut keys = IndexMap::new();
        for set in sets {
            collect(set, doc, &mut keys, &mut Vec::new());
        }
        Plan { keys }
    }

    fn apply(&self, value: &mut Value, doc: &ExecutableDocument) {
        match value {
            Value::List(items) => {
                for item in items {
                    self.apply(item, doc);
                }
            }
            Value::Object(map) => {
                if !self.in_order(map) {
                    let mut old = std::mem::take(map);
                    for key in self.keys.keys() {
                        if let Some((name, child)) = old.shift_remove_entry(*key) {
                            map.insert(name, child);
                        }
                    }
                    // Anything not found in the document (none is
                    // expected) keeps its place at the end, not lost.
                    map.extend(old);
                }
                for (name, child) in map.iter_mut() {
                    if let Some(children) = self.keys.get(name.as_str())
                        && !children.is_empty()
                    {
                        reorder_value(child, children, doc);
                    }
                }
            }
            _ => {}
        }
    }

    /// The map's keys already follow the document (most do: only fields
    /// that finish out of order need moving).
    fn in_order(&self, map: &IndexMap<async_graphql::Name, Value>) -> bool {
        let mut last = None;
        for name in map.keys() {
            match self.keys.get_index_of(name.as_str()) {
                Some(i) if last.is_none_or(|l| l < i) => last = Some(i),
                _ => return false,
            }
        }
        true
    }
}

fn collect<'a>(
    set: &'a Positioned<SelectionSet>,
    doc: &'a ExecutableDocument,
    keys: &mut IndexMap<&'a str, Vec<&'a Positioned<SelectionSet>>>,
    spreading: &mut Vec<&'a str>,
) {
    for item in &set.node.items {
        match &item.node {
            Selection::Field(field) => {
                let key = field.node.response_key().node.as_str();
                let children = keys.entry(key).or_default();
                if !field.node.selection_set.node.items.is_empty() {
                    children.push(&field.node.selection_set);
                }
            }
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set, doc, keys, spreading);
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // Validation refuses cycles; this only keeps a bad document
                // from looping here.
                if spreading.contains(&name) {
                    continue;
                }
                if let Some(fragment) = doc.fragments.get(name) {
                    spreading.push(name);
                    collect(&fragment.node.selection_set, doc, keys, spreading);
                    spreading.pop();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Name;
    use async_graphql::parser::parse_query;

    use super::*;

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(k, v)| (Name::new(k), v)).collect())
    }

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn maps_follow_the_selection_set_through_fragments_and_lists() {
        let doc = parse_query(
            "{ z: locations { code name } a: viewer { ...V } m: product { sku } } fragment V on Viewer { scopes partner { name code } }",
        )
        .expect("parses");
        let mut data = object(vec![
            ("m", object(vec![("sku", Value::from("S"))])),
            (
                "a",
                object(vec![
                    (
                        "partner",
                        object(vec![("code", Value::from("c")), ("name", Value::from("n"))]),
                    ),
                    ("scopes", Value::List(vec![])),
                ]),
            ),
            (
                "z",
                Value::List(vec![object(vec![
                    ("name", Value::from("n")),
                    ("code", Value::from("c")),
                ])]),
            ),
        ]);
        reorder(&mut data, &doc, None);
        assert_eq!(keys(&data), ["z", "a", "m"]);
        let Value::Object(map) = &data else {
            panic!("object")
        };
        assert_eq!(keys(&map["a"]), ["scopes", "partner"]);
        if let Value::Object(a) = &map["a"] {
            assert_eq!(keys(&a["partner"]), ["name", "code"]);
        }
        if let Value::List(items) = &map["z"] {
            assert_eq!(keys(&items[0]), ["code", "name"]);
        }
    }
}
