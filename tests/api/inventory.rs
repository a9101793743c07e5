//! Stock receipts and adjustments: operator only, ledger row in the same
//! transaction, and nothing changes when a write is refused.

use ocop_gateway::domain::inventory::check_invariants;
use serde_json::{Value, json};

use crate::helpers::*;

const RECEIVE: &str = r#"mutation($p: ID!, $l: ID!, $q: Int!, $r: String) {
  receiveStock(input: { productId: $p, locationId: $l, quantity: $q, reason: $r }) {
    onHand reserved available product { sku available } } }"#;
const ADJUST: &str = r#"mutation($p: ID!, $l: ID!, $d: Int!, $r: String!) {
  adjustStock(input: { productId: $p, locationId: $l, delta: $d, reason: $r }) { onHand available } }"#;

struct Ids {
    product: Value,
    location: Value,
    unstocked_location: Value,
}

/// Product 3 is not stocked at one demo location: returns it and that location.
async fn ids(app: &TestApp) -> Ids {
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ locations { id code } products(first: 3) { edges { node { id stock { location { id } } } } } }",
            json!({}),
        )
        .await;
    let data = res.expect_data();
    let node = &data["products"]["edges"][2]["node"];
    let stocked: Vec<Value> = node["stock"]
        .as_array()
        .map(|s| s.iter().map(|x| x["location"]["id"].clone()).collect())
        .unwrap_or_default();
    let locations: Vec<Value> = data["locations"]
        .as_array()
        .map(|l| l.iter().map(|x| x["id"].clone()).collect())
        .unwrap_or_default();
    let unstocked = locations
        .iter()
        .find(|l| !stocked.contains(l))
        .cloned()
        .expect("an unstocked location");
    Ids {
        product: node["id"].clone(),
        location: stocked[0].clone(),
        unstocked_location: unstocked,
    }
}

async fn ledger_rows(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await
}

async fn snapshot(app: &TestApp) -> (i64, i64, i64) {
    (
        app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
            .await,
        app.scalar_i64("SELECT COUNT(*) FROM inventory_level").await,
        ledger_rows(app).await,
    )
}

#[tokio::test]
async fn receipts_and_adjustments_write_the_ledger_and_agree_with_levels() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let before = ledger_rows(&app).await;
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": 120, "r": "PN-2026-001" }),
        )
        .await;
    let after_receipt = res.expect_data()["receiveStock"]["onHand"]
        .as_i64()
        .expect("onHand");
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            ADJUST,
            json!({ "p": ids.product, "l": ids.location, "d": -20, "r": "broken in transit" }),
        )
        .await;
    assert_eq!(
        res.expect_data()["adjustStock"]["onHand"].as_i64(),
        Some(after_receipt - 20)
    );
    // A receipt where the product was never stocked opens the level.
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            RECEIVE,
            json!({ "p": ids.product, "l": ids.unstocked_location, "q": 7 }),
        )
        .await;
    assert_eq!(res.expect_data()["receiveStock"]["onHand"], 7);
    assert_eq!(ledger_rows(&app).await, before + 3);
    assert_eq!(check_invariants(&app.db).await.expect("check"), vec![]);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM stock_movement WHERE kind = 'adjustment' AND reason = 'broken in transit' AND on_hand_delta = -20").await,
        1
    );
}

#[tokio::test]
async fn refused_stock_writes_change_nothing() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let before = snapshot(&app).await;
    let on_hand = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "query($p: ID!) { product(id: $p) { stock { location { id } onHand } } }",
            json!({ "p": ids.product }),
        )
        .await
        .expect_data()["product"]["stock"][0]["onHand"]
        .as_i64()
        .expect("onHand");
    let bad_product = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Product, 999_999).0;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            ADJUST,
            json!({ "p": ids.product, "l": ids.location, "d": -(on_hand + 1), "r": "count" }),
            "INSUFFICIENT_STOCK",
        ),
        (
            ADJUST,
            json!({ "p": ids.product, "l": ids.unstocked_location, "d": -1, "r": "count" }),
            "INSUFFICIENT_STOCK",
        ),
        (
            ADJUST,
            json!({ "p": ids.product, "l": ids.location, "d": 0, "r": "count" }),
            "BAD_USER_INPUT",
        ),
        (
            ADJUST,
            json!({ "p": ids.product, "l": ids.location, "d": -1, "r": "   " }),
            "BAD_USER_INPUT",
        ),
        (
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": 0 }),
            "BAD_USER_INPUT",
        ),
        (
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": -5 }),
            "BAD_USER_INPUT",
        ),
        (
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": 2_000_000 }),
            "BAD_USER_INPUT",
        ),
        (
            RECEIVE,
            json!({ "p": bad_product, "l": ids.location, "q": 1 }),
            "NOT_FOUND",
        ),
        (
            RECEIVE,
            json!({ "p": ids.product, "l": "nope", "q": 1 }),
            "BAD_USER_INPUT",
        ),
        (
            RECEIVE,
            json!({ "p": ids.location, "l": ids.location, "q": 1 }),
            "BAD_USER_INPUT",
        ),
    ];
    for (query, vars, code) in cases {
        let res = app
            .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, query, vars.clone())
            .await;
        assert_eq!(res.code(), Some(code), "{vars}");
        assert_eq!(snapshot(&app).await, before, "{vars} changed something");
    }
}

#[tokio::test]
async fn only_the_operator_writes_stock() {
    let app = TestApp::new().await;
    let ids = ids(&app).await;
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read inventory:read inventory:write",
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": 5 }),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            "catalog:read",
            RECEIVE,
            json!({ "p": ids.product, "l": ids.location, "q": 5 }),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn check_detects_a_level_that_disagrees_with_the_ledger() {
    let app = TestApp::new().await;
    assert!(check_invariants(&app.db).await.expect("check").is_empty());
    app.exec("UPDATE inventory_level SET on_hand = on_hand + 1 WHERE id = 1")
        .await;
    let found = check_invariants(&app.db).await.expect("check");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].what, "on_hand vs ledger");
}

#[test]
fn check_command_exits_non_zero_on_mismatch() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("check.db").display()
    );
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_ocop-gateway"))
            .args(args)
            .env("DATABASE_URL", &url)
            .output()
            .expect("run")
    };
    assert!(run(&["seed"]).status.success());
    let ok = run(&["check"]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    rt.block_on(async {
        let conn = ocop_gateway::db::connect_url(&url, 1, 5_000)
            .await
            .expect("connect");
        sea_orm::ConnectionTrait::execute_unprepared(
            conn.conn(),
            "UPDATE inventory_level SET on_hand = on_hand + 5 WHERE id = 2",
        )
        .await
        .expect("corrupt");
        conn.close().await.expect("close");
    });
    let bad = run(&["check"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stdout).contains("MISMATCH"));
}
