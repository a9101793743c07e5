//! Purchase orders: placement all-or-nothing, zero oversell under
//! contention across replicas, idempotency, lifecycle and isolation.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::*;

const ORDER: &str = "query($id: ID!) { order(id: $id) { id status total statusHistory { fromStatus toStatus actor reason } } }";
const AVAILABLE: &str = "query($id: ID!) { product(id: $id) { available stock { location { code } onHand reserved } } }";

async fn counts(app: &TestApp) -> (i64, i64, i64, i64, i64) {
    (
        app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await,
        app.scalar_i64("SELECT COUNT(*) FROM order_line").await,
        app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await,
        app.scalar_i64("SELECT SUM(reserved) FROM inventory_level")
            .await,
        app.scalar_i64("SELECT COUNT(*) FROM order_event").await,
    )
}

#[tokio::test]
async fn placing_an_order_reserves_stock_and_captures_prices() {
    let app = TestApp::new().await;
    let store = store_of(&app, "aeon-vn").await;
    let ps = products(&app, 2).await;
    let (a, b) = (&ps[0], &ps[1]);
    let before = (available(&app, &a.0).await, available(&app, &b.0).await);
    let vars = input(
        "k-1",
        &store,
        vec![(a.0.clone(), a.1), (b.0.clone(), b.1 * 2)],
    );
    let res = app.gql_as("aeon-vn", ALL_RETAIL_SCOPES, PLACE, vars).await;
    let payload = &res.expect_data()["placeOrder"];
    assert_eq!(payload["replayed"], false);
    let order = &payload["order"];
    assert_eq!(order["status"], "PLACED");
    assert_eq!(order["currency"], "VND");
    assert_eq!(order["total"].as_i64(), Some(a.1 * a.2 + b.1 * 2 * b.2));
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));
    for line in order["lines"].as_array().cloned().unwrap_or_default() {
        let allocated: i64 = line["allocations"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x["quantity"].as_i64()).sum())
            .unwrap_or(0);
        assert_eq!(
            Some(allocated),
            line["quantity"].as_i64(),
            "allocations cover the line"
        );
        assert_eq!(
            line["lineTotal"].as_i64(),
            Some(line["quantity"].as_i64().unwrap_or(0) * line["unitPrice"].as_i64().unwrap_or(0))
        );
    }
    assert_eq!(
        order["statusHistory"],
        json!([{ "fromStatus": null, "toStatus": "PLACED", "actor": "aeon-vn" }])
    );
    assert_eq!(available(&app, &a.0).await, before.0 - a.1);
    assert_eq!(available(&app, &b.0).await, before.1 - b.1 * 2);
    // A price change later does not touch the captured price.
    app.exec("UPDATE product SET wholesale_price_vnd = wholesale_price_vnd * 2")
        .await;
    let again = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "query($id: ID!) { order(id: $id) { total lines { unitPrice } } }",
            json!({ "id": order["id"] }),
        )
        .await;
    assert_eq!(again.expect_data()["order"]["total"], order["total"]);
    assert_consistent(&app).await;
}

#[tokio::test]
async fn a_replay_with_its_lines_in_another_order_or_split_is_the_same_order() {
    let app = TestApp::new().await;
    let store = store_of(&app, "winmart").await;
    let ps = products(&app, 2).await;
    let (a, b) = (&ps[0], &ps[1]);
    let first = input(
        "reorder-1",
        &store,
        vec![(a.0.clone(), a.1 * 2), (b.0.clone(), b.1)],
    );
    let res = app.gql_as("winmart", ALL_RETAIL_SCOPES, PLACE, first).await;
    let id = res.expect_data()["placeOrder"]["order"]["id"].clone();
    let snapshot = counts(&app).await;
    // The same lines reversed, and the first one sent as two halves.
    let reordered = input(
        "reorder-1",
        &store,
        vec![(b.0.clone(), b.1), (a.0.clone(), a.1), (a.0.clone(), a.1)],
    );
    let res = app
        .gql_as("winmart", ALL_RETAIL_SCOPES, PLACE, reordered)
        .await;
    assert_eq!(res.expect_data()["placeOrder"]["replayed"], true);
    assert_eq!(res.expect_data()["placeOrder"]["order"]["id"], id);
    assert_eq!(
        counts(&app).await,
        snapshot,
        "nothing written or reserved again"
    );
}

#[tokio::test]
async fn every_invalid_order_is_refused_and_writes_nothing() {
    let app = TestApp::new().await;
    let store = store_of(&app, "aeon-vn").await;
    let other_store = store_of(&app, "winmart").await;
    let ps = products(&app, 3).await;
    let (p, moq) = (ps[0].0.clone(), ps[0].1);
    app.exec("UPDATE product SET status = 'discontinued' WHERE id = 3")
        .await;
    let discontinued = ps[2].0.clone();
    let unknown = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Product, 999_999).0;
    let base = input("bad", &store, vec![(p.clone(), moq)]);
    let with = |path: &str, value: Value| {
        let mut v = base.clone();
        v["input"][path] = value;
        v
    };
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    let cases: Vec<(Value, &str)> = vec![
        (with("storeId", other_store), "NOT_FOUND"),
        (with("storeId", json!("bogus")), "BAD_USER_INPUT"),
        (with("storeId", p.clone()), "BAD_USER_INPUT"),
        (with("idempotencyKey", json!("")), "BAD_USER_INPUT"),
        (
            with("idempotencyKey", json!("k".repeat(129))),
            "BAD_USER_INPUT",
        ),
        (with("buyerReference", json!("  ")), "BAD_USER_INPUT"),
        (
            with("requestedDeliveryDate", json!(yesterday)),
            "BAD_USER_INPUT",
        ),
        (
            with("requestedDeliveryDate", json!("2099-01-01")),
            "BAD_USER_INPUT",
        ),
        (
            with("requestedDeliveryDate", json!("not-a-date")),
            "BAD_USER_INPUT",
        ),
        (with("lines", json!([])), "BAD_USER_INPUT"),
        (
            with(
                "lines",
                json!(
                    (0..101)
                        .map(|_| json!({ "productId": p, "quantity": moq }))
                        .collect::<Vec<_>>()
                ),
            ),
            "BAD_USER_INPUT",
        ),
        (
            with("lines", json!([{ "productId": p, "quantity": 0 }])),
            "BAD_USER_INPUT",
        ),
        (
            with("lines", json!([{ "productId": p, "quantity": -3 }])),
            "BAD_USER_INPUT",
        ),
        (
            with("lines", json!([{ "productId": p, "quantity": moq - 1 }])),
            "BAD_USER_INPUT",
        ),
        (
            with("lines", json!([{ "productId": p, "quantity": 1_000_000 }])),
            "BAD_USER_INPUT",
        ),
        (
            with("lines", json!([{ "productId": unknown, "quantity": 5 }])),
            "NOT_FOUND",
        ),
        (
            with(
                "lines",
                json!([{ "productId": discontinued, "quantity": 50 }]),
            ),
            "BAD_USER_INPUT",
        ),
        (
            with(
                "lines",
                json!([{ "productId": p, "quantity": moq }, { "productId": "zz", "quantity": 1 }]),
            ),
            "BAD_USER_INPUT",
        ),
    ];
    let before = counts(&app).await;
    for (vars, code) in cases {
        let res = app
            .gql_as("aeon-vn", ALL_RETAIL_SCOPES, PLACE, vars.clone())
            .await;
        assert_eq!(res.code(), Some(code), "{vars}");
        assert_eq!(counts(&app).await, before, "{vars} wrote something");
    }
    // Without orders:write, nothing is placed either.
    let res = app
        .gql_as("aeon-vn", "catalog:read orders:read", PLACE, base.clone())
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    assert_eq!(counts(&app).await, before);
    // Duplicate lines are merged into one.
    let merged = input("merge", &store, vec![(p.clone(), moq), (p.clone(), moq)]);
    let res = app
        .gql_as("aeon-vn", ALL_RETAIL_SCOPES, PLACE, merged)
        .await;
    let lines = res.expect_data()["placeOrder"]["order"]["lines"].clone();
    assert_eq!(lines.as_array().map(Vec::len), Some(1));
    assert_eq!(lines[0]["quantity"].as_i64(), Some(moq * 2));
}

#[tokio::test]
async fn insufficient_stock_on_one_line_leaves_the_other_lines_untouched() {
    let app = TestApp::new().await;
    let store = store_of(&app, "hapro").await;
    let ps = products(&app, 2).await;
    let (a, b) = (&ps[0], &ps[1]);
    let before = (
        available(&app, &a.0).await,
        available(&app, &b.0).await,
        counts(&app).await,
    );
    let vars = input(
        "short",
        &store,
        vec![(a.0.clone(), a.1), (b.0.clone(), before.1 + 1)],
    );
    let res = app.gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, vars).await;
    assert_eq!(res.code(), Some("INSUFFICIENT_STOCK"));
    assert_eq!(res.body["errors"][0]["extensions"]["productId"], b.0);
    assert_eq!(
        (
            available(&app, &a.0).await,
            available(&app, &b.0).await,
            counts(&app).await
        ),
        before
    );
    // Exactly all the stock across locations is accepted (split allocation).
    let vars = input("exact", &store, vec![(b.0.clone(), before.1)]);
    let res = app.gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, vars).await;
    assert!(
        res.expect_data()["placeOrder"]["order"]["lines"][0]["allocations"]
            .as_array()
            .map_or(0, Vec::len)
            >= 2
    );
    assert_eq!(available(&app, &b.0).await, 0);
    assert_consistent(&app).await;
}

/// Leaves `stock` units of product 1 at a single location (through the API,
/// so the ledger agrees) and lets it be ordered one unit at a time.
async fn scarce_product(app: &TestApp, stock: i64) -> Value {
    let product = products(app, 1).await[0].0.clone();
    app.exec("UPDATE product SET min_order_qty = 1 WHERE id = 1")
        .await;
    let levels = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            AVAILABLE,
            json!({ "id": product }),
        )
        .await;
    let locations = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ locations { id code } }",
            json!({}),
        )
        .await;
    let location_id = |code: &Value| {
        locations.expect_data()["locations"]
            .as_array()
            .and_then(|l| l.iter().find(|x| &x["code"] == code))
            .map(|x| x["id"].clone())
    };
    let adjust = "mutation($p: ID!, $l: ID!, $d: Int!) { adjustStock(input: { productId: $p, locationId: $l, delta: $d, reason: \"test setup\" }) { onHand } }";
    let stock_levels = levels.expect_data()["product"]["stock"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, level) in stock_levels.iter().enumerate() {
        let on_hand = level["onHand"].as_i64().unwrap_or(0);
        let target = if i == 0 { stock } else { 0 };
        if on_hand != target {
            let l = location_id(&level["location"]["code"]).expect("location");
            app.gql_as(
                "hanoi-ocop-hub",
                OPERATOR_SCOPES,
                adjust,
                json!({ "p": product, "l": l, "d": target - on_hand }),
            )
            .await
            .expect_data();
        }
    }
    assert_eq!(available(app, &product).await, stock);
    product
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contention_never_oversells_across_replicas() {
    let app = TestApp::with_config(|c| c.db_max_connections = 6).await;
    let n = 12;
    let product = scarce_product(&app, n).await;
    let replica = app.replica().await;
    let stores = [
        store_of(&app, "aeon-vn").await,
        store_of(&app, "winmart").await,
    ];
    let tokens = [
        app.token("aeon-vn", ALL_RETAIL_SCOPES),
        app.token("winmart", ALL_RETAIL_SCOPES),
    ];
    let mut tasks = Vec::new();
    for i in 0..(n * 4) {
        let router = if i % 2 == 0 {
            app.router.clone()
        } else {
            replica.clone()
        };
        let who = (i as usize / 2) % 2;
        let token = tokens[who].clone();
        let vars = input(
            &format!("race-{i}"),
            &stores[who],
            vec![(product.clone(), 1)],
        );
        tasks.push(tokio::spawn(async move {
            gql_on(&router, Some(&token), PLACE, vars).await
        }));
    }
    let mut ok = 0;
    let mut short = 0;
    for task in tasks {
        let res = task.await.expect("task");
        match res.code() {
            None => ok += 1,
            Some("INSUFFICIENT_STOCK") => short += 1,
            other => panic!("unexpected {other:?}: {}", res.body),
        }
    }
    assert_eq!((ok, short), (n, n * 3), "exactly the stock was sold");
    assert_eq!(available(&app, &product).await, 0);
    assert_consistent(&app).await;
}

/// Orders split over several locations, placed and cancelled at once from
/// two replicas: placement locks its levels in one statement, cancellation
/// one by one, both in the lock order, so no deadlock is ever met (the
/// process's deadlock counter stays 0) and the ledger agrees.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn split_orders_placed_and_cancelled_at_once_never_deadlock() {
    let app = TestApp::with_config(|c| c.db_max_connections = 8).await;
    let replica = app.replica().await;
    let ps = products(&app, 3).await;
    // Each line asks for more than its largest level holds: it splits.
    let mut lines = Vec::new();
    for (id, moq, _) in &ps {
        let levels = app
            .gql_as(
                "hanoi-ocop-hub",
                OPERATOR_SCOPES,
                "query($id: ID!) { product(id: $id) { stock { available } } }",
                json!({ "id": id }),
            )
            .await;
        let largest = levels.expect_data()["product"]["stock"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|s| s["available"].as_i64())
                    .max()
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        lines.push((id.clone(), (largest + 1).max(*moq)));
    }
    let partners = ["aeon-vn", "winmart", "central-retail", "hapro"];
    let mut stores = Vec::new();
    for p in partners {
        stores.push(store_of(&app, p).await);
    }
    let mut tasks = Vec::new();
    for i in 0..16usize {
        let router = if i % 2 == 0 {
            app.router.clone()
        } else {
            replica.clone()
        };
        let who = i % partners.len();
        let token = app.token(partners[who], ALL_RETAIL_SCOPES);
        let store = stores[who].clone();
        let lines = lines.clone();
        tasks.push(tokio::spawn(async move {
            let mut outcomes = Vec::new();
            for round in 0..10 {
                let vars = input(&format!("split-{i}-{round}"), &store, lines.clone());
                let placed = gql_on(&router, Some(&token), PLACE, vars).await;
                match placed.code() {
                    Some("INSUFFICIENT_STOCK") => outcomes.push("short"),
                    None => {
                        let id = placed.body["data"]["placeOrder"]["order"]["id"].clone();
                        let cancelled = gql_on(
                            &router,
                            Some(&token),
                            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
                            json!({ "id": id }),
                        )
                        .await;
                        assert_eq!(cancelled.code(), None, "{}", cancelled.body);
                        outcomes.push("placed and cancelled");
                    }
                    other => panic!("unexpected {other:?}: {}", placed.body),
                }
            }
            outcomes
        }));
    }
    let mut placed = 0;
    for task in tasks {
        placed += task
            .await
            .expect("task")
            .iter()
            .filter(|o| **o == "placed and cancelled")
            .count();
    }
    assert!(placed > 0, "some orders went through");
    let (_, _, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains("ocop_gateway_db_deadlocks_total 0\n"),
        "{}",
        metrics
            .lines()
            .filter(|l| l.contains("deadlock"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert_consistent(&app).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_identical_retries_yield_one_order() {
    let app = TestApp::new().await;
    let store = store_of(&app, "central-retail").await;
    let (p, moq, _) = products(&app, 1).await[0].clone();
    let before = available(&app, &p).await;
    let replica = app.replica().await;
    let token = app.token("central-retail", ALL_RETAIL_SCOPES);
    let vars = input("same-key", &store, vec![(p.clone(), moq)]);
    let mut tasks = Vec::new();
    for i in 0..10 {
        let router = if i % 2 == 0 {
            app.router.clone()
        } else {
            replica.clone()
        };
        let (token, vars) = (token.clone(), vars.clone());
        tasks.push(tokio::spawn(async move {
            gql_on(&router, Some(&token), PLACE, vars).await
        }));
    }
    let mut ids = HashSet::new();
    let mut fresh = 0;
    for task in tasks {
        let res = task.await.expect("task");
        let payload = &res.expect_data()["placeOrder"];
        ids.insert(
            payload["order"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        if payload["replayed"] == false {
            fresh += 1;
        }
    }
    assert_eq!(ids.len(), 1, "one order for one key");
    assert_eq!(fresh, 1, "exactly one request created it");
    assert_eq!(available(&app, &p).await, before - moq, "reserved once");

    // Same key, different body: CONFLICT, nothing written.
    let different = input("same-key", &store, vec![(p.clone(), moq * 2)]);
    let snapshot = counts(&app).await;
    let res = app.gql(Some(&token), PLACE, different).await;
    assert_eq!(res.code(), Some("CONFLICT"));
    assert_eq!(counts(&app).await, snapshot);
    // Another partner's identical key is independent.
    let hapro = input(
        "same-key",
        &store_of(&app, "hapro").await,
        vec![(p.clone(), moq)],
    );
    let res = app.gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, hapro).await;
    assert_eq!(res.expect_data()["placeOrder"]["replayed"], false);
    assert_consistent(&app).await;
}

async fn place(app: &TestApp, partner: &str, key: &str) -> (Value, Value, i64) {
    let store = store_of(app, partner).await;
    let (p, moq, _) = products(app, 1).await[0].clone();
    let res = app
        .gql_as(
            partner,
            ALL_RETAIL_SCOPES,
            PLACE,
            input(key, &store, vec![(p.clone(), moq)]),
        )
        .await;
    (
        res.expect_data()["placeOrder"]["order"]["id"].clone(),
        p,
        moq,
    )
}

async fn act(
    app: &TestApp,
    partner: &str,
    scopes: &str,
    mutation: &str,
    id: &Value,
) -> GqlResponse {
    let q = format!("mutation($id: ID!) {{ {mutation}(id: $id) {{ status }} }}");
    app.gql_as(partner, scopes, &q, json!({ "id": id })).await
}

#[tokio::test]
async fn the_lifecycle_moves_stock_and_refuses_illegal_steps() {
    let app = TestApp::new().await;
    let hub = ("hanoi-ocop-hub", OPERATOR_SCOPES);
    let (id, product, moq) = place(&app, "aeon-vn", "life-1").await;
    let (avail0, on_hand0) = (
        available(&app, &product).await,
        on_hand(&app, &product).await,
    );

    // The retail partner cannot fulfil, even claiming the scope.
    let res = act(
        &app,
        "aeon-vn",
        &format!("{ALL_RETAIL_SCOPES} fulfillment:write"),
        "confirmOrder",
        &id,
    )
    .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));

    let illegal_from_placed = ["shipOrder", "deliverOrder"];
    for m in illegal_from_placed {
        assert_eq!(
            act(&app, hub.0, hub.1, m, &id).await.code(),
            Some("CONFLICT"),
            "{m} from PLACED"
        );
    }
    assert_eq!(
        act(&app, hub.0, hub.1, "confirmOrder", &id)
            .await
            .expect_data()["confirmOrder"]["status"],
        "CONFIRMED"
    );
    for m in ["confirmOrder", "deliverOrder"] {
        assert_eq!(
            act(&app, hub.0, hub.1, m, &id).await.code(),
            Some("CONFLICT"),
            "{m} from CONFIRMED"
        );
    }
    assert_eq!(
        act(&app, hub.0, hub.1, "shipOrder", &id)
            .await
            .expect_data()["shipOrder"]["status"],
        "SHIPPED"
    );
    assert_eq!(
        available(&app, &product).await,
        avail0,
        "shipping keeps available"
    );
    assert_eq!(
        on_hand(&app, &product).await,
        on_hand0 - moq,
        "shipping takes on-hand"
    );
    for m in ["confirmOrder", "shipOrder"] {
        assert_eq!(
            act(&app, hub.0, hub.1, m, &id).await.code(),
            Some("CONFLICT"),
            "{m} from SHIPPED"
        );
    }
    assert_eq!(
        act(&app, "aeon-vn", ALL_RETAIL_SCOPES, "cancelOrder", &id)
            .await
            .code(),
        Some("CONFLICT")
    );
    assert_eq!(
        act(&app, hub.0, hub.1, "deliverOrder", &id)
            .await
            .expect_data()["deliverOrder"]["status"],
        "DELIVERED"
    );
    for m in ["confirmOrder", "shipOrder", "deliverOrder", "cancelOrder"] {
        assert_eq!(
            act(&app, hub.0, hub.1, m, &id).await.code(),
            Some("CONFLICT"),
            "{m} from DELIVERED"
        );
    }
    let history = app
        .gql_as("aeon-vn", ALL_RETAIL_SCOPES, ORDER, json!({ "id": id }))
        .await;
    let steps: Vec<(Value, Value, Value)> = history.expect_data()["order"]["statusHistory"]
        .as_array()
        .map(|h| {
            h.iter()
                .map(|e| {
                    (
                        e["fromStatus"].clone(),
                        e["toStatus"].clone(),
                        e["actor"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        steps,
        vec![
            (Value::Null, json!("PLACED"), json!("aeon-vn")),
            (json!("PLACED"), json!("CONFIRMED"), json!("hanoi-ocop-hub")),
            (
                json!("CONFIRMED"),
                json!("SHIPPED"),
                json!("hanoi-ocop-hub")
            ),
            (
                json!("SHIPPED"),
                json!("DELIVERED"),
                json!("hanoi-ocop-hub")
            ),
        ]
    );

    // Cancel from PLACED and from CONFIRMED releases the reservation.
    for (key, confirm_first) in [("life-2", false), ("life-3", true)] {
        let before = available(&app, &product).await;
        let (id, _, moq) = place(&app, "aeon-vn", key).await;
        assert_eq!(available(&app, &product).await, before - moq);
        if confirm_first {
            act(&app, hub.0, hub.1, "confirmOrder", &id)
                .await
                .expect_data();
        }
        let res = app
            .gql_as("aeon-vn", ALL_RETAIL_SCOPES, "mutation($id: ID!) { cancelOrder(id: $id, reason: \"store closed\") { status statusHistory { reason } } }", json!({ "id": id }))
            .await;
        assert_eq!(res.expect_data()["cancelOrder"]["status"], "CANCELLED");
        assert_eq!(available(&app, &product).await, before, "{key}: released");
        for m in ["confirmOrder", "shipOrder", "deliverOrder", "cancelOrder"] {
            let snapshot = counts(&app).await;
            assert_eq!(
                act(&app, hub.0, hub.1, m, &id).await.code(),
                Some("CONFLICT"),
                "{m} from CANCELLED"
            );
            assert_eq!(counts(&app).await, snapshot);
        }
    }
    assert_consistent(&app).await;
}

#[tokio::test]
async fn partners_see_and_touch_only_their_own_orders() {
    let app = TestApp::new().await;
    let (aeon_order, _, _) = place(&app, "aeon-vn", "mine").await;
    let (winmart_order, _, _) = place(&app, "winmart", "theirs").await;
    let res = app
        .gql_as(
            "winmart",
            ALL_RETAIL_SCOPES,
            ORDER,
            json!({ "id": aeon_order }),
        )
        .await;
    assert_eq!(res.code(), Some("NOT_FOUND"));
    let missing = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Order, 999_999).0;
    let res_missing = app
        .gql_as(
            "winmart",
            ALL_RETAIL_SCOPES,
            ORDER,
            json!({ "id": missing }),
        )
        .await;
    assert_eq!(
        res_missing.body["errors"][0]["message"], res.body["errors"][0]["message"],
        "indistinguishable"
    );
    let snapshot = counts(&app).await;
    assert_eq!(
        act(
            &app,
            "winmart",
            ALL_RETAIL_SCOPES,
            "cancelOrder",
            &aeon_order
        )
        .await
        .code(),
        Some("NOT_FOUND")
    );
    assert_eq!(counts(&app).await, snapshot);

    let list = "{ orders(first: 50) { totalCount nodes { id partner { code } } } }";
    let mine = app
        .gql_as("winmart", ALL_RETAIL_SCOPES, list, json!({}))
        .await;
    assert_eq!(mine.expect_data()["orders"]["totalCount"], 1);
    assert_eq!(
        mine.expect_data()["orders"]["nodes"][0]["id"],
        winmart_order
    );
    let all = app
        .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, list, json!({}))
        .await;
    assert_eq!(all.expect_data()["orders"]["totalCount"], 2);
    let res = app.gql_as("winmart", "catalog:read", list, json!({})).await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn orders_are_listed_newest_first_with_filters() {
    let app = TestApp::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(place(&app, "aeon-vn", &format!("list-{i}")).await.0);
    }
    act(
        &app,
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "confirmOrder",
        &ids[1],
    )
    .await
    .expect_data();
    let q = r#"query($first: Int, $after: String, $filter: OrderFilterInput) {
        orders(first: $first, after: $after, filter: $filter) { totalCount nodes { id } pageInfo { hasNextPage endCursor } } }"#;
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let res = app
            .gql_as(
                "aeon-vn",
                ALL_RETAIL_SCOPES,
                q,
                json!({ "first": 2, "after": after }),
            )
            .await;
        seen.extend(
            res.expect_data()["orders"]["nodes"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|n| n["id"].clone()),
        );
        if res.expect_data()["orders"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = res.expect_data()["orders"]["pageInfo"]["endCursor"].clone();
    }
    let mut newest_first = ids.clone();
    newest_first.reverse();
    assert_eq!(seen, newest_first);
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            q,
            json!({ "first": 10, "filter": { "status": "CONFIRMED" } }),
        )
        .await;
    assert_eq!(
        res.expect_data()["orders"]["nodes"],
        json!([{ "id": ids[1] }])
    );
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            q,
            json!({ "first": 10, "filter": { "buyerReference": "PO-list-3" } }),
        )
        .await;
    assert_eq!(
        res.expect_data()["orders"]["nodes"],
        json!([{ "id": ids[3] }])
    );
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            q,
            json!({ "first": 10, "filter": { "createdFrom": "2999-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(res.expect_data()["orders"]["totalCount"], 0);
}

/// W4 of the load benchmark, as a test: multi-line orders over a small hot
/// set, half of them cancelled again, through two gateways with separate
/// pools at once. Every unit is accounted for and none is sold twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn multi_line_orders_and_cancels_through_two_replicas_never_oversell() {
    let app = TestApp::with_config(|c| c.db_max_connections = 6).await;
    let replica = app.replica().await;
    let hot: Vec<Value> = products(&app, 3)
        .await
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    app.exec("UPDATE product SET min_order_qty = 1").await;
    let mut before = Vec::new();
    for id in &hot {
        before.push(available(&app, id).await);
    }
    let stores = [
        store_of(&app, "aeon-vn").await,
        store_of(&app, "winmart").await,
    ];
    let tokens = [
        app.token("aeon-vn", ALL_RETAIL_SCOPES),
        app.token("winmart", ALL_RETAIL_SCOPES),
    ];
    // Each order takes a tenth of the smaller product's stock from two of
    // the three products: 40 orders want about four times what there is.
    let mut tasks = Vec::new();
    for i in 0..40usize {
        let router = if i % 2 == 0 {
            app.router.clone()
        } else {
            replica.clone()
        };
        let who = (i / 2) % 2;
        let (a, b) = (i % 3, (i + 1) % 3);
        let qty = |p: usize| (before[p] / 10).max(1);
        let lines = vec![(hot[a].clone(), qty(a)), (hot[b].clone(), qty(b))];
        let wanted = [(a, qty(a)), (b, qty(b))];
        let vars = input(&format!("w4-{i}"), &stores[who], lines);
        let token = tokens[who].clone();
        tasks.push(tokio::spawn(async move {
            let res = gql_on(&router, Some(&token), PLACE, vars).await;
            let placed = match res.code() {
                None => Some(res.expect_data()["placeOrder"]["order"]["id"].clone()),
                Some("INSUFFICIENT_STOCK") => None,
                other => panic!("unexpected {other:?}: {}", res.body),
            };
            // Every other placed order is cancelled, on the same replica.
            let cancelled = match &placed {
                Some(id) if i % 4 < 2 => {
                    let res = gql_on(
                        &router,
                        Some(&token),
                        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
                        json!({ "id": id }),
                    )
                    .await;
                    assert_eq!(res.expect_data()["cancelOrder"]["status"], "CANCELLED");
                    true
                }
                _ => false,
            };
            (placed.is_some(), placed.is_some() && !cancelled, wanted)
        }));
    }
    let mut held = [0i64; 3];
    let (mut placed, mut refused) = (0, 0);
    for task in tasks {
        let (was_placed, holds, wanted) = task.await.expect("task");
        if !was_placed {
            refused += 1;
        }
        if holds {
            placed += 1;
            for (p, q) in wanted {
                held[p] += q;
            }
        }
    }
    assert!(placed > 0, "no order went through");
    assert!(
        refused > 0,
        "the orders wanted more than there was, so some were refused"
    );
    for (p, id) in hot.iter().enumerate() {
        let now = available(&app, id).await;
        assert!(now >= 0, "oversold product {p}");
        assert_eq!(
            now,
            before[p] - held[p],
            "product {p}: every unit accounted for"
        );
    }
    assert_consistent(&app).await;
}

#[tokio::test]
async fn partners_and_stores_under_orders_load_once_per_page() {
    let app = TestApp::new().await;
    let ps = products(&app, 3).await;
    for (n, partner) in ["aeon-vn", "winmart", "hapro"].iter().enumerate() {
        let store = store_of(&app, partner).await;
        let (product, moq, _) = &ps[n];
        let vars = input(&format!("n1-{n}"), &store, vec![(product.clone(), *moq)]);
        app.gql_as(partner, "orders:write catalog:read", PLACE, vars)
            .await
            .expect_data();
    }
    let query = "query($n: Int) { orders(first: $n) { nodes { partner { code stores { code } } store { code } } } }";
    let mut counts = Vec::new();
    // The first request also loads the caller into the partner cache.
    for n in [3, 1, 3] {
        app.reset_statements();
        let res = app
            .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, query, json!({ "n": n }))
            .await;
        let nodes = res.expect_data()["orders"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(nodes.len(), n as usize);
        assert!(
            nodes
                .iter()
                .all(|o| !o["partner"]["stores"].as_array().is_none_or(Vec::is_empty)),
            "the operator sees every partner's stores: {nodes:?}"
        );
        counts.push(app.statement_count());
    }
    assert_eq!(
        counts[1], counts[2],
        "statements for 1 and 3 orders: {counts:?}"
    );

    // A partner sees its own stores under its own orders, never another's.
    let res = app
        .gql_as(
            "winmart",
            "orders:read",
            "{ orders { nodes { partner { code stores { code } } } } }",
            json!({}),
        )
        .await;
    let nodes = res.expect_data()["orders"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["partner"]["code"], "winmart");
    assert!(
        !nodes[0]["partner"]["stores"]
            .as_array()
            .is_none_or(Vec::is_empty)
    );
}

/// An order placed yesterday for delivery "today" is retried after
/// midnight: the retry finds the first order by its key instead of being
/// refused for a date now in the past (and maybe placed again by the client
/// under a new key).
#[tokio::test]
async fn a_retry_after_midnight_replays_instead_of_failing_on_the_date() {
    let app = TestApp::new().await;
    let store = store_of(&app, "hapro").await;
    let (p, moq, _) = products(&app, 1).await[0].clone();
    let vars = input("midnight-1", &store, vec![(p.clone(), moq)]);
    let res = app
        .gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, vars.clone())
        .await;
    let id = res.expect_data()["placeOrder"]["order"]["id"].clone();
    // As if it had been placed yesterday, for yesterday.
    let yesterday = chrono::Utc::now().date_naive() - chrono::Days::new(1);
    let decode = |v: &Value, kind| {
        ocop_gateway::ids::decode(
            kind,
            &async_graphql::ID(v.as_str().unwrap_or_default().into()),
            "id",
        )
        .expect("id")
    };
    let fingerprint =
        ocop_gateway::domain::orders::fingerprint(ocop_gateway::domain::orders::NewOrder {
            idempotency_key: "midnight-1".into(),
            buyer_reference: "PO-midnight-1".into(),
            store_id: decode(&store, ocop_gateway::ids::Kind::Store),
            requested_delivery_date: yesterday,
            lines: vec![(decode(&p, ocop_gateway::ids::Kind::Product), moq)],
        })
        .expect("fingerprint");
    app.exec(&format!(
        "UPDATE purchase_order SET requested_delivery_date = '{yesterday}', request_hash = '{fingerprint}' WHERE idempotency_key = 'midnight-1'"
    ))
    .await;
    let snapshot = counts(&app).await;
    let mut retry = vars;
    retry["input"]["requestedDeliveryDate"] = json!(yesterday.to_string());
    let res = app
        .gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, retry.clone())
        .await;
    assert_eq!(
        res.expect_data()["placeOrder"]["replayed"],
        true,
        "{}",
        res.body
    );
    assert_eq!(res.expect_data()["placeOrder"]["order"]["id"], id);
    assert_eq!(counts(&app).await, snapshot);
    // A new order for yesterday is still refused.
    retry["input"]["idempotencyKey"] = json!("midnight-2");
    let res = app.gql_as("hapro", ALL_RETAIL_SCOPES, PLACE, retry).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn placing_an_order_takes_few_statements() {
    let app = TestApp::new().await;
    let store = store_of(&app, "aeon-vn").await;
    let ps = products(&app, 3).await;
    let lines: Vec<(Value, i64)> = ps.iter().map(|(id, moq, _)| (id.clone(), *moq)).collect();
    let token = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    const SLIM: &str = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id status total } } }";
    app.gql(Some(&token), SLIM, input("warm", &store, lines.clone()))
        .await
        .expect_data();
    app.reset_statements();
    app.gql(Some(&token), SLIM, input("count", &store, lines))
        .await
        .expect_data();
    // Three lines, one location each. On PostgreSQL one statement reads
    // all it needs (the key, the store, the products, the contract
    // prices, the stock: domain::orders::lead_pg), one writes the order,
    // its lines and allocations, and one the reservation (levels locked
    // in lock order first), the ledger rows, the event and the rollups
    // (domain::orders::tail_pg); SQLite takes a conditional update per
    // level and a statement per table.
    let most = match backend() {
        Backend::Postgres => 3,
        Backend::Sqlite => 17,
    };
    assert!(app.statement_count() <= most, "{}", app.statement_count());
}
