//! The stock ledger's compaction: rows older than the retention fold into
//! one opening balance per level, levels and `check` unchanged, nothing
//! newer touched, and nothing the webhooks' fan-out has not read yet.

use chrono::Duration;
use ocop_gateway::db::Db;
use ocop_gateway::domain::clock;
use ocop_gateway::domain::inventory::check_invariants;
use ocop_gateway::domain::inventory::compact::{Compacted, compact_ledger};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::live::place;

const RECEIVE: &str = r#"mutation($p: ID!, $l: ID!, $q: Int!) {
  receiveStock(input: { productId: $p, locationId: $l, quantity: $q }) { onHand } }"#;
const STOCK: &str = "{ products(first: 50) { edges { node { sku stock { location { code } onHand reserved available } } } } }";

async fn stock(app: &TestApp) -> Value {
    app.gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, STOCK, json!({}))
        .await
        .expect_data()
        .clone()
}

/// Puts every ledger row so far 40 days in the past.
async fn age_everything(app: &TestApp) {
    let sql = match backend() {
        Backend::Postgres => {
            "UPDATE stock_movement SET created_at = created_at - interval '40 days'"
        }
        Backend::Sqlite => {
            "UPDATE stock_movement SET created_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', created_at, '-40 days')"
        }
    };
    app.exec(sql).await;
}

async fn a_product_and_location(app: &TestApp) -> (Value, Value) {
    let r = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ products(first: 1) { edges { node { id stock { location { id } } } } } }",
            json!({}),
        )
        .await;
    let node = r.expect_data()["products"]["edges"][0]["node"].clone();
    (
        node["id"].clone(),
        node["stock"][0]["location"]["id"].clone(),
    )
}

async fn receive(app: &TestApp, p: &Value, l: &Value, q: i64) {
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        RECEIVE,
        json!({ "p": p, "l": l, "q": q }),
    )
    .await
    .expect_data();
}

fn thirty_days_ago() -> chrono::DateTime<chrono::Utc> {
    clock::now() - Duration::days(30)
}

#[tokio::test]
async fn old_rows_fold_into_one_opening_balance_per_level() {
    let app = TestApp::new().await;
    let db = Db::new(app.db.clone());
    let (p, l) = a_product_and_location(&app).await;
    for q in [5, 7, 11] {
        receive(&app, &p, &l, q).await;
    }
    let order = place(&app, "aeon-vn", "ledger-1").await;
    assert!(order.is_string(), "an order was placed");
    age_everything(&app).await;
    let levels = app
        .scalar_i64(
            "SELECT COUNT(*) FROM (SELECT product_id, location_id FROM stock_movement GROUP BY product_id, location_id) x",
        )
        .await;
    let folding = app
        .scalar_i64(
            "SELECT COUNT(*) FROM (SELECT product_id, location_id FROM stock_movement GROUP BY product_id, location_id HAVING COUNT(*) > 1) x",
        )
        .await;
    let rows_before = app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await;
    assert!(folding >= 1, "some level has several rows to fold");
    // One fresh row after the horizon: it stays as it is, where it is.
    receive(&app, &p, &l, 3).await;
    let fresh = app.scalar_i64("SELECT MAX(id) FROM stock_movement").await;
    let before = stock(&app).await;

    let done = compact_ledger(&db, thirty_days_ago())
        .await
        .expect("compaction");

    assert_eq!(
        done.levels, folding as u64,
        "each level with old rows folds"
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await,
        levels + 1,
        "one row per level, and the fresh one"
    );
    assert_eq!(done.rows_removed as i64, rows_before - levels);
    assert_eq!(stock(&app).await, before, "the levels read the same");
    assert!(
        check_invariants(&app.db).await.expect("check").is_empty(),
        "check still rebuilds every level from the ledger"
    );
    assert_eq!(
        app.scalar_i64(&format!(
            "SELECT COUNT(*) FROM stock_movement WHERE id = {fresh} AND kind = 'receipt' AND on_hand_delta = 3"
        ))
        .await,
        1,
        "the row after the horizon is untouched"
    );
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM stock_movement WHERE reason LIKE 'opening balance:%' AND kind = 'adjustment'"
        )
        .await,
        folding,
        "each fold says what it is"
    );
    // Nothing left to fold, and the order still releases what it holds.
    assert_eq!(
        compact_ledger(&db, thirty_days_ago()).await.expect("again"),
        Compacted::default()
    );
    app.gql_as(
        "aeon-vn",
        ALL_RETAIL_SCOPES,
        "mutation($id: ID!) { cancelOrder(id: $id, reason: \"ledger test\") { status } }",
        json!({ "id": order }),
    )
    .await
    .expect_data();
    assert!(
        check_invariants(&app.db).await.expect("check").is_empty(),
        "a release after the fold keeps the ledger whole"
    );
}

#[tokio::test]
async fn rows_the_webhooks_have_not_fanned_out_are_kept() {
    let app = TestApp::with_config(|c| c.webhooks.webhook_allow_private_targets = Some(true)).await;
    let db = Db::new(app.db.clone());
    let (p, l) = a_product_and_location(&app).await;
    app.gql_as(
        "aeon-vn",
        "webhooks:manage inventory:read",
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { secret } }",
        json!({ "i": { "url": "http://127.0.0.1:9/hook", "topics": ["STOCK_CHANGED"] } }),
    )
    .await
    .expect_data();
    // Delivery is off in tests: the fan-out reads nothing by itself. Put
    // its cursor where a running one would be by now, past the seed.
    let past_the_head = "UPDATE webhook_cursor SET tx = (SELECT MAX(tx) FROM stock_movement), id = (SELECT MAX(id) FROM stock_movement) WHERE source = 'stock_movement'";
    app.exec(past_the_head).await;
    receive(&app, &p, &l, 5).await;
    receive(&app, &p, &l, 6).await;
    age_everything(&app).await;
    let rows = app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await;
    let done = compact_ledger(&db, thirty_days_ago())
        .await
        .expect("compaction");
    let after = app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await;
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM stock_movement m, webhook_cursor c
             WHERE c.source = 'stock_movement' AND (m.tx > c.tx OR (m.tx = c.tx AND m.id > c.id))"
        )
        .await,
        2,
        "both receipts after the fan-out's cursor stay (done: {done:?}, {rows} -> {after})"
    );
    // Once the fan-out has passed them, they fold too.
    app.exec(past_the_head).await;
    let done = compact_ledger(&db, thirty_days_ago())
        .await
        .expect("compaction");
    assert!(done.rows_removed >= 1, "{done:?}");
    assert!(check_invariants(&app.db).await.expect("check").is_empty());
}
