//! `schema.graphql` is generated from the code and must not drift.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::helpers::*;

#[test]
fn schema_file_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    let generated = ocop_gateway::graphql::sdl();
    assert!(
        on_disk == generated,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql`"
    );
}

const INTROSPECT: &str = r#"{ __schema { types { name kind
  fields(includeDeprecated: true) { name args { name type { ...T } } type { ...T } }
  inputFields { name type { ...T } }
  enumValues(includeDeprecated: true) { name } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

fn render(ty: &Value) -> String {
    match ty["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", render(&ty["ofType"])),
        Some("LIST") => format!("[{}]", render(&ty["ofType"])),
        _ => ty["name"].as_str().unwrap_or("?").to_owned(),
    }
}

/// Every type, field (with its arguments and type), input field and enum
/// value the running server answers introspection with.
fn served_signatures(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let empty = Vec::new();
    for t in schema["types"].as_array().unwrap_or(&empty) {
        let name = t["name"].as_str().unwrap_or_default();
        if name.starts_with("__") || BUILTIN.contains(&name) {
            continue;
        }
        out.insert(format!("type {name}"));
        for f in t["fields"].as_array().unwrap_or(&empty) {
            let args: Vec<String> = f["args"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|a| {
                    format!(
                        "{}: {}",
                        a["name"].as_str().unwrap_or("?"),
                        render(&a["type"])
                    )
                })
                .collect();
            out.insert(format!(
                "{name}.{}({}): {}",
                f["name"].as_str().unwrap_or("?"),
                args.join(", "),
                render(&f["type"])
            ));
        }
        for f in t["inputFields"].as_array().unwrap_or(&empty) {
            out.insert(format!(
                "{name}.{}: {}",
                f["name"].as_str().unwrap_or("?"),
                render(&f["type"])
            ));
        }
        for v in t["enumValues"].as_array().unwrap_or(&empty) {
            out.insert(format!("{name}::{}", v["name"].as_str().unwrap_or("?")));
        }
    }
    out
}

/// The same signatures, read from an SDL document.
fn published_signatures(sdl: &str) -> BTreeSet<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let doc = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
    let mut out = BTreeSet::new();
    for def in doc.definitions {
        let TypeSystemDefinition::Type(t) = def else {
            continue;
        };
        let t = t.node;
        let name = t.name.node.to_string();
        if BUILTIN.contains(&name.as_str()) {
            continue;
        }
        out.insert(format!("type {name}"));
        match t.kind {
            TypeKind::Object(o) => field_signatures(&name, &o.fields, &mut out),
            TypeKind::Interface(o) => field_signatures(&name, &o.fields, &mut out),
            TypeKind::InputObject(o) => {
                for f in o.fields {
                    out.insert(format!("{name}.{}: {}", f.node.name.node, f.node.ty.node));
                }
            }
            TypeKind::Enum(e) => {
                for v in e.values {
                    out.insert(format!("{name}::{}", v.node.value.node));
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    out
}

fn field_signatures(
    type_name: &str,
    fields: &[async_graphql::parser::Positioned<async_graphql::parser::types::FieldDefinition>],
    out: &mut BTreeSet<String>,
) {
    for f in fields {
        let f = &f.node;
        let args: Vec<String> = f
            .arguments
            .iter()
            .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
            .collect();
        out.insert(format!(
            "{type_name}.{}({}): {}",
            f.name.node,
            args.join(", "),
            f.ty.node
        ));
    }
}

const BUILTIN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

#[tokio::test]
async fn the_served_schema_is_the_published_one() {
    let app = TestApp::new().await;
    let res = app.gql(None, INTROSPECT, json!({})).await;
    let served = served_signatures(&res.expect_data()["__schema"]);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let published = published_signatures(&std::fs::read_to_string(path).unwrap_or_default());
    assert!(
        served.len() > 100,
        "introspection answered: {}",
        served.len()
    );
    let unpublished: Vec<_> = served.difference(&published).collect();
    let unserved: Vec<_> = published.difference(&served).collect();
    assert!(
        unpublished.is_empty() && unserved.is_empty(),
        "served but not in schema.graphql: {unpublished:#?}\nin schema.graphql but not served: {unserved:#?}"
    );
}
