//! Every operation in `examples/` is valid against the schema and answers
//! real data on the demo catalogue.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn examples_run_against_the_demo_data() {
    let app = TestApp::new().await;
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut ran = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("examples dir")
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("graphql") {
            continue;
        }
        let query = std::fs::read_to_string(&path).expect("read example");
        let variables: Value = std::fs::read_to_string(path.with_extension("json"))
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(|| json!({}));
        let res = app
            .gql_as("aeon-vn", ALL_RETAIL_SCOPES, &query, variables)
            .await;
        let data = res.expect_data();
        let root = data
            .as_object()
            .and_then(|o| o.values().next())
            .cloned()
            .unwrap_or(Value::Null);
        assert!(!root.is_null(), "{} returned no data", path.display());
        if let Some(nodes) = root.get("nodes") {
            assert!(
                nodes.as_array().is_some_and(|n| !n.is_empty()),
                "{} returned no rows",
                path.display()
            );
        }
        ran += 1;
    }
    assert!(ran >= 5, "only {ran} examples ran");
}
