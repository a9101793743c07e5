//! Order fixtures shared by every test module that places orders: the
//! `placeOrder` document, a partner's store, products, stock figures and
//! the ledger/rollup consistency check.

use ocop_gateway::domain::inventory::check_invariants;
use serde_json::{Value, json};

use super::{OPERATOR_SCOPES, TestApp};

pub const PLACE: &str = r#"mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    replayed
    order { id status total currency buyerReference requestedDeliveryDate
            store { code }
            lines { lineNumber quantity unitPrice lineTotal product { sku } allocations { location { code } quantity } }
            statusHistory { fromStatus toStatus actor } }
  } }"#;
const AVAILABLE: &str = "query($id: ID!) { product(id: $id) { available stock { location { code } onHand reserved } } }";

/// A delivery date every order accepts: tomorrow.
pub fn tomorrow() -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string()
}

/// An SSCC with a valid GS1 check digit, from a serial.
pub fn sscc(serial: u64) -> String {
    let body = format!("0893456{serial:010}");
    let sum: u32 = body
        .chars()
        .rev()
        .enumerate()
        .map(|(i, c)| c.to_digit(10).unwrap_or(0) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// `n` days from today, as a GraphQL `Date`.
pub fn in_days(n: u64) -> String {
    (chrono::Utc::now().date_naive() + chrono::Days::new(n)).to_string()
}

pub async fn store_of(app: &TestApp, partner: &str) -> Value {
    app.gql_as(
        partner,
        "catalog:read",
        "{ viewer { partner { stores { id } } } }",
        json!({}),
    )
    .await
    .expect_data()["viewer"]["partner"]["stores"][0]["id"]
        .clone()
}

/// (id, minOrderQuantity, wholesalePrice) of the first `n` products.
pub async fn products(app: &TestApp, n: i64) -> Vec<(Value, i64, i64)> {
    let res = app
        .gql_as("aeon-vn", "catalog:read", "query($n: Int) { products(first: $n, filter: { orderable: true }) { nodes { id minOrderQuantity wholesalePrice } } }", json!({ "n": n }))
        .await;
    res.expect_data()["products"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p["id"].clone(),
                        p["minOrderQuantity"].as_i64().unwrap_or(1),
                        p["wholesalePrice"].as_i64().unwrap_or(0),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

pub async fn available(app: &TestApp, product: &Value) -> i64 {
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        AVAILABLE,
        json!({ "id": product }),
    )
    .await
    .expect_data()["product"]["available"]
        .as_i64()
        .expect("available")
}

pub fn input(key: &str, store: &Value, lines: Vec<(Value, i64)>) -> Value {
    json!({ "input": {
        "idempotencyKey": key,
        "buyerReference": format!("PO-{key}"),
        "storeId": store,
        "requestedDeliveryDate": tomorrow(),
        "lines": lines.into_iter().map(|(p, q)| json!({ "productId": p, "quantity": q })).collect::<Vec<_>>(),
    }})
}

pub async fn assert_consistent(app: &TestApp) {
    assert_eq!(
        check_invariants(&app.db).await.expect("check"),
        vec![],
        "invariants"
    );
    assert_eq!(
        ocop_gateway::domain::rollup::verify(&app.db)
            .await
            .expect("verify rollups"),
        vec![],
        "report rollups"
    );
}

pub async fn on_hand(app: &TestApp, product: &Value) -> i64 {
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            AVAILABLE,
            json!({ "id": product }),
        )
        .await;
    res.expect_data()["product"]["stock"]
        .as_array()
        .map(|s| s.iter().filter_map(|x| x["onHand"].as_i64()).sum())
        .unwrap_or(0)
}
