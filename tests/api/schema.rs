//! `schema.graphql` is generated from the code and must not drift.

use serde_json::json;

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

#[tokio::test]
async fn the_served_schema_is_the_published_one() {
    let app = TestApp::new().await;
    // The running server answers introspection for every type in the file.
    let sdl = ocop_gateway::graphql::sdl();
    let res = app
        .gql(None, "{ __schema { types { name } } }", json!({}))
        .await;
    let served: Vec<String> = res.ok()["__schema"]["types"]
        .as_array()
        .map(|t| {
            t.iter()
                .filter_map(|x| x["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for name in served.iter().filter(|n| !n.starts_with("__")) {
        let declared = ["type", "enum", "scalar", "input", "interface", "union"]
            .iter()
            .any(|kw| {
                sdl.contains(&format!("{kw} {name} ")) || sdl.contains(&format!("{kw} {name}\n"))
            });
        let builtin = ["String", "Int", "Float", "Boolean", "ID"].contains(&name.as_str());
        assert!(
            declared || builtin,
            "served type {name} is missing from schema.graphql"
        );
    }
}
