//! The B2B order flow: acknowledgement per line, shipments of SSCC-labelled
//! packages with lots, delivery with a shortfall, contract prices, and
//! partner administration.

use serde_json::{Value, json};

use crate::helpers::*;

const ORDER: &str = r#"query($id: ID!) { order(id: $id) { id status promisedShipDate
  lines { id quantity acceptedQuantity shippedQuantity deliveredQuantity status rejectionReason }
  shipments { id carrier trackingReference packages { sscc lines { line { id } quantity lotNumber expiryDate } } }
  statusHistory { fromStatus toStatus reason } } }"#;
const CONFIRM: &str = "mutation($id: ID!, $input: ConfirmOrderInput) { confirmOrder(id: $id, input: $input) { status lines { status acceptedQuantity } } }";
const SHIP: &str = "mutation($id: ID!, $input: ShipOrderInput) { shipOrder(id: $id, input: $input) { status lines { shippedQuantity } } }";
const DELIVER: &str = "mutation($id: ID!, $input: DeliverOrderInput) { deliverOrder(id: $id, input: $input) { status lines { deliveredQuantity } } }";

async fn hub(app: &TestApp, query: &str, vars: Value) -> GqlResponse {
    app.gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, query, vars)
        .await
}

async fn order(app: &TestApp, id: &Value) -> Value {
    hub(app, ORDER, json!({ "id": id })).await.expect_data()["order"].clone()
}

/// A two-line order from AEON; returns (order id, [(product, line id,
/// quantity)]).
async fn two_line_order(app: &TestApp, key: &str) -> (Value, Vec<(Value, Value, i64)>) {
    let store = store_of(app, "aeon-vn").await;
    let ps = products(app, 2).await;
    let lines = vec![
        (ps[0].0.clone(), ps[0].1 * 4),
        (ps[1].0.clone(), ps[1].1 * 3),
    ];
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input(key, &store, lines.clone()),
        )
        .await;
    let id = res.expect_data()["placeOrder"]["order"]["id"].clone();
    let placed = order(app, &id).await;
    let line_ids: Vec<Value> = placed["lines"]
        .as_array()
        .map(|l| l.iter().map(|x| x["id"].clone()).collect())
        .unwrap_or_default();
    let out = lines
        .into_iter()
        .zip(line_ids)
        .map(|((p, q), l)| (p, l, q))
        .collect();
    (id, out)
}

fn package(serial: u64, line: &Value, quantity: i64) -> Value {
    json!({ "sscc": sscc(serial), "lines": [{ "lineId": line, "quantity": quantity,
        "lotNumber": format!("LOT-{serial}"), "expiryDate": in_days(200) }] })
}

#[tokio::test]
async fn acknowledged_in_part_shipped_in_two_and_delivered_short() {
    let app = TestApp::new().await;
    let (id, lines) = two_line_order(&app, "b2b-1").await;
    let (a, b) = (&lines[0], &lines[1]);
    let before = (available(&app, &a.0).await, available(&app, &b.0).await);

    // Line A accepted in part, line B rejected: exactly the rest goes back.
    let accepted_a = a.2 / 2;
    let res = hub(
        &app,
        CONFIRM,
        json!({ "id": id, "input": { "promisedShipDate": in_days(3), "lines": [
            { "lineId": a.1, "acceptedQuantity": accepted_a, "reason": "short on stock" },
            { "lineId": b.1, "acceptedQuantity": 0, "reason": "discontinued by producer" } ] } }),
    )
    .await;
    assert_eq!(res.expect_data()["confirmOrder"]["status"], "CONFIRMED");
    assert_eq!(
        res.expect_data()["confirmOrder"]["lines"],
        json!([{ "status": "PARTIAL", "acceptedQuantity": accepted_a },
               { "status": "REJECTED", "acceptedQuantity": 0 }])
    );
    assert_eq!(available(&app, &a.0).await, before.0 + (a.2 - accepted_a));
    assert_eq!(available(&app, &b.0).await, before.1 + b.2);
    assert_consistent(&app).await;

    // Two shipments fill the accepted units.
    let on_hand_a = on_hand(&app, &a.0).await;
    let first = accepted_a / 2;
    let res = hub(
        &app,
        SHIP,
        json!({ "id": id, "input": { "carrier": "Viettel Post", "trackingReference": "VTP-1",
            "packages": [package(1, &a.1, first)] } }),
    )
    .await;
    assert_eq!(
        res.expect_data()["shipOrder"]["status"],
        "CONFIRMED",
        "part shipped"
    );
    let res = hub(
        &app,
        SHIP,
        json!({ "id": id, "input": { "carrier": "Viettel Post", "trackingReference": "VTP-2",
            "packages": [package(2, &a.1, accepted_a - first)] } }),
    )
    .await;
    assert_eq!(
        res.expect_data()["shipOrder"]["status"],
        "SHIPPED",
        "all accepted shipped"
    );
    assert_eq!(on_hand(&app, &a.0).await, on_hand_a - accepted_a);
    let shipped = order(&app, &id).await;
    assert_eq!(shipped["shipments"].as_array().map(Vec::len), Some(2));
    assert_eq!(shipped["shipments"][1]["packages"][0]["sscc"], sscc(2));
    assert_eq!(
        shipped["shipments"][0]["packages"][0]["lines"][0]["line"]["id"],
        a.1
    );
    assert_eq!(
        shipped["shipments"][0]["packages"][0]["lines"][0]["lotNumber"],
        "LOT-1"
    );
    assert_eq!(shipped["lines"][0]["shippedQuantity"], accepted_a);
    assert_consistent(&app).await;

    // Delivered one unit short: recorded, and no stock comes back.
    let on_hand_after = on_hand(&app, &a.0).await;
    let res = hub(
        &app,
        DELIVER,
        json!({ "id": id, "input": { "lines": [{ "lineId": a.1, "receivedQuantity": accepted_a - 1 }] } }),
    )
    .await;
    assert_eq!(res.expect_data()["deliverOrder"]["status"], "DELIVERED");
    let delivered = order(&app, &id).await;
    assert_eq!(delivered["lines"][0]["deliveredQuantity"], accepted_a - 1);
    assert_eq!(delivered["lines"][1]["deliveredQuantity"], 0);
    assert_eq!(on_hand(&app, &a.0).await, on_hand_after);
    let history: Vec<&str> = delivered["statusHistory"]
        .as_array()
        .map(|h| h.iter().filter_map(|e| e["toStatus"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        history,
        ["PLACED", "CONFIRMED", "CONFIRMED", "SHIPPED", "DELIVERED"]
    );
    assert!(
        delivered["statusHistory"][4]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("short"))
    );
    assert_consistent(&app).await;
}

#[tokio::test]
async fn bad_acknowledgements_and_shipments_change_nothing() {
    let app = TestApp::new().await;
    let (id, lines) = two_line_order(&app, "b2b-bad").await;
    let (_, other_lines) = two_line_order(&app, "b2b-other").await;
    let a = &lines[0];
    let snapshot = || async {
        (
            app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
                .await,
            app.scalar_i64("SELECT SUM(reserved) FROM inventory_level")
                .await,
            app.scalar_i64("SELECT COUNT(*) FROM shipment").await,
            app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await,
            order(&app, &id).await,
        )
    };
    let before = snapshot().await;
    // More than ordered, a line of another order, a negative quantity.
    let bad_acks = [
        json!([{ "lineId": a.1, "acceptedQuantity": a.2 + 1 }]),
        json!([{ "lineId": other_lines[0].1, "acceptedQuantity": 1 }]),
        json!([{ "lineId": a.1, "acceptedQuantity": -1 }]),
    ];
    for lines in bad_acks {
        let res = hub(
            &app,
            CONFIRM,
            json!({ "id": id, "input": { "lines": lines } }),
        )
        .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
        assert_eq!(snapshot().await, before, "nothing changed");
    }

    // Shipping before acknowledgement is a CONFLICT.
    let res = hub(&app, SHIP, json!({ "id": id, "input": { "carrier": "x", "trackingReference": "y", "packages": [package(9, &a.1, 1)] } })).await;
    assert_eq!(res.code(), Some("CONFLICT"));
    let res = hub(&app, CONFIRM, json!({ "id": id })).await;
    assert_eq!(res.expect_data()["confirmOrder"]["status"], "CONFIRMED");
    let before = snapshot().await;

    let mut wrong_digit = sscc(3);
    let last = wrong_digit.pop().and_then(|c| c.to_digit(10)).unwrap_or(0);
    wrong_digit.push(char::from_digit((last + 1) % 10, 10).unwrap_or('0'));
    let expired = json!({ "sscc": sscc(4), "lines": [{ "lineId": a.1, "quantity": 1,
        "lotNumber": "LOT-OLD", "expiryDate": "2020-01-01" }] });
    let cases = [
        json!([{ "sscc": wrong_digit, "lines": [{ "lineId": a.1, "quantity": 1, "lotNumber": "L", "expiryDate": in_days(100) }] }]),
        json!([package(5, &a.1, a.2 + 1)]),
        json!([package(6, &a.1, a.2), package(7, &a.1, 1)]),
        json!([expired]),
        json!([package(8, &other_lines[0].1, 1)]),
        json!([package(10, &a.1, 1), package(10, &a.1, 1)]),
    ];
    for packages in cases {
        let res = hub(&app, SHIP, json!({ "id": id, "input": { "carrier": "GHN", "trackingReference": "T", "packages": packages } })).await;
        assert_eq!(
            res.code(),
            Some("BAD_USER_INPUT"),
            "{packages}: {}",
            res.body
        );
        assert_eq!(snapshot().await, before, "{packages}: nothing changed");
    }
    // Food needs its lot and expiry date.
    let food = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ products(first: 1, filter: { category: FOOD, orderable: true }) { nodes { id minOrderQuantity } } }",
            json!({}),
        )
        .await
        .expect_data()["products"]["nodes"][0]
        .clone();
    let store = store_of(&app, "aeon-vn").await;
    let moq = food["minOrderQuantity"].as_i64().unwrap_or(1);
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("b2b-food", &store, vec![(food["id"].clone(), moq)]),
        )
        .await;
    let food_order = res.expect_data()["placeOrder"]["order"]["id"].clone();
    hub(&app, CONFIRM, json!({ "id": food_order }))
        .await
        .expect_data();
    let food_line = order(&app, &food_order).await["lines"][0]["id"].clone();
    let res = hub(&app, SHIP, json!({ "id": food_order, "input": { "carrier": "GHN", "trackingReference": "F",
        "packages": [{ "sscc": sscc(12), "lines": [{ "lineId": food_line, "quantity": moq }] }] } })).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.packages.0.lines.0.lotNumber"
    );

    // An SSCC is unique across shipments.
    let ok = hub(&app, SHIP, json!({ "id": id, "input": { "carrier": "GHN", "trackingReference": "T1", "packages": [package(11, &a.1, 1)] } })).await;
    assert!(ok.body.get("errors").is_none(), "{}", ok.body);
    let before = snapshot().await;
    let again = hub(&app, SHIP, json!({ "id": id, "input": { "carrier": "GHN", "trackingReference": "T2", "packages": [package(11, &a.1, 1)] } })).await;
    assert_eq!(again.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        snapshot().await,
        before,
        "the refused shipment left nothing"
    );

    // Cancelled after a partial shipment: only what is left is released.
    let reserved_before = app
        .scalar_i64("SELECT SUM(reserved) FROM inventory_level")
        .await;
    let left = a.2 - 1 + lines[1].2;
    let res = app
        .gql_as("aeon-vn", ALL_RETAIL_SCOPES, "mutation($id: ID!) { cancelOrder(id: $id, reason: \"late\") { status lines { shippedQuantity } } }", json!({ "id": id }))
        .await;
    assert_eq!(res.expect_data()["cancelOrder"]["status"], "CANCELLED");
    assert_eq!(
        app.scalar_i64("SELECT SUM(reserved) FROM inventory_level")
            .await,
        reserved_before - left
    );
    assert_eq!(
        res.expect_data()["cancelOrder"]["lines"][0]["shippedQuantity"],
        1
    );
    assert_consistent(&app).await;
}

#[tokio::test]
async fn nothing_accepted_cancels_the_order() {
    let app = TestApp::new().await;
    let (id, lines) = two_line_order(&app, "b2b-none").await;
    let before: Vec<i64> = vec![
        available(&app, &lines[0].0).await,
        available(&app, &lines[1].0).await,
    ];
    let res = hub(
        &app,
        CONFIRM,
        json!({ "id": id, "input": { "lines": lines.iter().map(|l| json!({ "lineId": l.1, "acceptedQuantity": 0 })).collect::<Vec<_>>() } }),
    )
    .await;
    assert_eq!(res.expect_data()["confirmOrder"]["status"], "CANCELLED");
    assert_eq!(available(&app, &lines[0].0).await, before[0] + lines[0].2);
    assert_eq!(available(&app, &lines[1].0).await, before[1] + lines[1].2);
    assert_consistent(&app).await;
}

const SET_PRICE: &str = r#"mutation($input: SetContractPriceInput!) { setContractPrice(input: $input) { id unitPrice minimumQuantity quantityIncrement } }"#;
const OFFER: &str = r#"query($id: ID!) { product(id: $id) { wholesalePrice minOrderQuantity offer { unitPrice minimumQuantity quantityIncrement contract priceBreaks { minimumQuantity unitPrice } } } }"#;

#[tokio::test]
async fn a_contract_price_is_charged_to_its_partner_only_with_its_rules() {
    let app = TestApp::new().await;
    let (product, _, list_price) = products(&app, 1).await[0].clone();
    let aeon = hub(
        &app,
        "{ partners(first: 10) { nodes { id code } } }",
        json!({}),
    )
    .await
    .expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|p| p["code"] == "aeon-vn").cloned())
        .expect("aeon")["id"]
        .clone();
    let contract = list_price * 8 / 10;
    let breaks = list_price * 7 / 10;
    let res = hub(
        &app,
        SET_PRICE,
        json!({ "input": { "partnerId": aeon, "productId": product, "unitPrice": contract,
            "minimumQuantity": 12, "quantityIncrement": 6,
            "priceBreaks": [{ "minimumQuantity": 48, "unitPrice": breaks }] } }),
    )
    .await;
    assert_eq!(res.expect_data()["setContractPrice"]["unitPrice"], contract);

    let seen = |partner: &'static str| {
        let product = product.clone();
        let app = &app;
        async move {
            app.gql_as(partner, "catalog:read", OFFER, json!({ "id": product }))
                .await
                .expect_data()["product"]["offer"]
                .clone()
        }
    };
    let mine = seen("aeon-vn").await;
    assert_eq!(
        mine,
        json!({ "unitPrice": contract, "minimumQuantity": 12, "quantityIncrement": 6, "contract": true,
                "priceBreaks": [{ "minimumQuantity": 48, "unitPrice": breaks }] })
    );
    let theirs = seen("winmart").await;
    assert_eq!(theirs["unitPrice"], list_price);
    assert_eq!(theirs["contract"], false);

    // The quantity rules hold, and the order keeps the price it charged.
    let store = store_of(&app, "aeon-vn").await;
    for (qty, key) in [(6, "c-1"), (13, "c-2")] {
        let res = app
            .gql_as(
                "aeon-vn",
                ALL_RETAIL_SCOPES,
                PLACE,
                input(key, &store, vec![(product.clone(), qty)]),
            )
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{qty}: {}", res.body);
    }
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("c-3", &store, vec![(product.clone(), 18)]),
        )
        .await;
    assert_eq!(
        res.expect_data()["placeOrder"]["order"]["lines"][0]["unitPrice"],
        contract
    );
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("c-4", &store, vec![(product.clone(), 48)]),
        )
        .await;
    assert_eq!(
        res.expect_data()["placeOrder"]["order"]["lines"][0]["unitPrice"],
        breaks
    );
    assert_eq!(
        res.expect_data()["placeOrder"]["order"]["total"],
        breaks * 48
    );
    // Another chain pays the list price.
    let store = store_of(&app, "winmart").await;
    let res = app
        .gql_as(
            "winmart",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("c-5", &store, vec![(product.clone(), 48)]),
        )
        .await;
    assert_eq!(
        res.expect_data()["placeOrder"]["order"]["lines"][0]["unitPrice"],
        list_price
    );
    assert_consistent(&app).await;
}

#[tokio::test]
async fn the_operator_onboards_a_chain_that_orders_at_once() {
    let app = TestApp::new().await;
    let res = hub(
        &app,
        "mutation { createPartner(input: { code: \"coopmart-hn\", name: \"Co.opmart Hà Nội\", grants: [\"catalog:read\", \"orders:write\", \"orders:read\"] }) { id code status grants } }",
        json!({}),
    )
    .await;
    let partner = res.expect_data()["createPartner"].clone();
    assert_eq!(
        partner["grants"],
        json!(["catalog:read", "orders:read", "orders:write"])
    );
    let res = hub(
        &app,
        "mutation($p: ID!) { addStore(input: { partnerId: $p, code: \"CM-CG\", name: \"Co.opmart Cầu Giấy\", address: \"Cầu Giấy\", gln: \"8934567000017\" }) { id code } }",
        json!({ "p": partner["id"] }),
    )
    .await;
    let store = res.expect_data()["addStore"]["id"].clone();
    let (product, moq, _) = products(&app, 1).await[0].clone();
    let res = app
        .gql_as(
            "coopmart-hn",
            "catalog:read orders:write inventory:read",
            PLACE,
            input("first", &store, vec![(product, moq)]),
        )
        .await;
    assert_eq!(res.expect_data()["placeOrder"]["order"]["status"], "PLACED");
    // Its grants cap its tokens.
    let res = app
        .gql_as(
            "coopmart-hn",
            "catalog:read inventory:read",
            "{ viewer { scopes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.expect_data()["viewer"]["scopes"],
        json!(["catalog:read"])
    );

    // Bad input changes nothing.
    let partners = app.scalar_i64("SELECT COUNT(*) FROM partner").await;
    for (input, code) in [
        (
            r#"{ code: "coopmart-hn", name: "again", grants: [] }"#,
            "CONFLICT",
        ),
        (
            r#"{ code: "Bad Code", name: "x", grants: [] }"#,
            "BAD_USER_INPUT",
        ),
        (
            r#"{ code: "sneaky", name: "x", grants: ["partners:admin"] }"#,
            "BAD_USER_INPUT",
        ),
    ] {
        let res = hub(
            &app,
            &format!("mutation {{ createPartner(input: {input}) {{ id }} }}"),
            json!({}),
        )
        .await;
        assert_eq!(res.code(), Some(code), "{input}");
    }
    let res = hub(
        &app,
        "mutation($p: ID!) { addStore(input: { partnerId: $p, code: \"X\", name: \"X\", address: \"\", gln: \"8934567000019\" }) { id } }",
        json!({ "p": partner["id"] }),
    )
    .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "GLN check digit");
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM partner").await,
        partners
    );

    // Every change is in the audit trail.
    let res = hub(
        &app,
        "query { partners(first: 20) { totalCount nodes { code auditTrail { action actor } } } }",
        json!({}),
    )
    .await;
    let trail = res.expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|p| p["code"] == "coopmart-hn").cloned())
        .expect("listed")["auditTrail"]
        .clone();
    assert_eq!(
        trail,
        json!([{ "action": "add_store", "actor": "hanoi-ocop-hub" }, { "action": "create", "actor": "hanoi-ocop-hub" }])
    );
    assert_consistent(&app).await;
}

#[tokio::test]
async fn retail_partners_cannot_administer() {
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let id = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Partner, 1).0;
    for doc in [
        "mutation { createPartner(input: { code: \"x-y\", name: \"x\", grants: [] }) { id } }",
        "mutation($id: ID!) { suspendPartner(id: $id, reason: \"x\") { id } }",
        "mutation($id: ID!) { reactivatePartner(id: $id) { id } }",
        "mutation($id: ID!) { revokePartnerTokens(id: $id) { id } }",
        "mutation($id: ID!) { updatePartner(id: $id, input: { name: \"x\" }) { id } }",
        "mutation($id: ID!) { addStore(input: { partnerId: $id, code: \"x\", name: \"x\", address: \"x\" }) { id } }",
        "mutation($id: ID!) { setContractPrice(input: { partnerId: $id, productId: $id, unitPrice: 1, minimumQuantity: 1 }) { id } }",
        "{ partners { nodes { id } } }",
        "mutation($id: ID!) { confirmOrder(id: $id) { id } }",
    ] {
        let vars = if doc.contains("$id") {
            json!({ "id": id })
        } else {
            json!({})
        };
        let res = app.gql(Some(&token), doc, vars).await;
        assert_eq!(res.code(), Some("FORBIDDEN"), "{doc}: {}", res.body);
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM partner_audit").await,
        0
    );
}

#[tokio::test]
async fn suspension_reactivation_and_revocation_apply_to_tokens() {
    let app = TestApp::with_config(|c| c.partner_cache_ttl_ms = 0).await;
    let hapro_id = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'hapro'")
        .await;
    let id = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Partner, hapro_id).0;
    let token = app.token("hapro", "catalog:read");
    let viewer = "{ viewer { partner { code } } }";
    assert_eq!(app.gql(Some(&token), viewer, json!({})).await.status, 200);

    let res = hub(
        &app,
        "mutation($id: ID!) { suspendPartner(id: $id, reason: \"unpaid invoices\") { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(res.expect_data()["suspendPartner"]["status"], "SUSPENDED");
    assert_eq!(app.gql(Some(&token), viewer, json!({})).await.status, 401);
    let res = hub(
        &app,
        "mutation($id: ID!) { reactivatePartner(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(res.expect_data()["reactivatePartner"]["status"], "ACTIVE");
    assert_eq!(app.gql(Some(&token), viewer, json!({})).await.status, 200);

    let res = hub(
        &app,
        "mutation($id: ID!) { revokePartnerTokens(id: $id) { tokensValidAfter } }",
        json!({ "id": id }),
    )
    .await;
    let after = res.expect_data()["revokePartnerTokens"]["tokensValidAfter"].clone();
    assert!(after.is_string());
    assert_eq!(
        app.gql(Some(&token), viewer, json!({})).await.status,
        401,
        "an old token"
    );
    // A token issued after the revocation (from the next second) works.
    let revoked_at = chrono::DateTime::parse_from_rfc3339(after.as_str().unwrap_or_default())
        .expect("time")
        .timestamp();
    let fresh = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "hapro", "scope": "catalog:read", "iss": "ocop-gateway", "aud": "ocop-partners",
                 "iat": revoked_at + 1, "exp": revoked_at + 600 }),
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign");
    let res = app.gql(Some(&fresh), viewer, json!({})).await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "hapro");
    let res = hub(
        &app,
        "{ partners(first: 10) { nodes { code auditTrail { action detail } } } }",
        json!({}),
    )
    .await;
    let trail = res.expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|n| n.iter().find(|p| p["code"] == "hapro").cloned())
        .expect("hapro")["auditTrail"]
        .clone();
    let actions: Vec<&str> = trail
        .as_array()
        .map(|t| t.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(actions, ["revoke_tokens", "reactivate", "suspend"]);
    assert_eq!(trail[2]["detail"], "unpaid invoices");
}

#[tokio::test]
async fn the_operator_sets_a_partners_grants_and_rate_limits() {
    let app = TestApp::with_config(|c| c.partner_cache_ttl_ms = 0).await;
    let winmart = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'winmart'")
        .await;
    let id = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Partner, winmart).0;
    let update = "mutation($id: ID!, $input: UpdatePartnerInput!) { updatePartner(id: $id, input: $input) { grants rateLimitRps queryCostPerSec } }";
    let res = hub(
        &app,
        update,
        json!({ "id": id, "input": { "grants": ["catalog:read"], "rateLimitRps": 7, "queryCostPerSec": 900 } }),
    )
    .await;
    assert_eq!(
        res.expect_data()["updatePartner"],
        json!({ "grants": ["catalog:read"], "rateLimitRps": 7, "queryCostPerSec": 900 })
    );
    // Its tokens now carry no more than the new grants.
    let res = app
        .gql_as(
            "winmart",
            ALL_RETAIL_SCOPES,
            "{ viewer { scopes } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.expect_data()["viewer"]["scopes"],
        json!(["catalog:read"])
    );
    // null goes back to the gateway's default; left out stays as it is.
    let res = hub(
        &app,
        update,
        json!({ "id": id, "input": { "rateLimitRps": null } }),
    )
    .await;
    assert_eq!(
        res.expect_data()["updatePartner"]["rateLimitRps"],
        Value::Null
    );
    assert_eq!(res.expect_data()["updatePartner"]["queryCostPerSec"], 900);
    // Bad changes change nothing.
    let operator = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'hanoi-ocop-hub'")
        .await;
    let operator = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Partner, operator).0;
    for (who, input) in [
        (&id, json!({ "rateLimitRps": 0 })),
        (&id, json!({ "grants": ["fulfillment:write"] })),
        (&operator, json!({ "grants": ["catalog:read"] })),
    ] {
        let res = hub(&app, update, json!({ "id": who, "input": input })).await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{input}");
    }
    let after = app
        .scalar_i64(&format!(
            "SELECT COUNT(*) FROM partner_audit WHERE partner_id = {winmart} AND action = 'update'"
        ))
        .await;
    assert_eq!(
        after, 2,
        "each accepted change is in the audit trail, the refused ones are not"
    );
}

#[tokio::test]
async fn the_operator_issues_a_buyer_token_within_the_partners_grants() {
    let app = TestApp::new().await;
    const ISSUE: &str = "mutation($in: IssuePartnerTokenInput!) { issuePartnerToken(input: $in) { token scopes expiresAt partner { code } } }";
    let hapro = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ partners(first: 20) { nodes { id code } } }",
            json!({}),
        )
        .await
        .expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == "hapro"))
        .map(|p| p["id"].clone())
        .expect("hapro");
    let input = |scopes: Value, minutes: i64| json!({ "in": { "partnerId": hapro, "scopes": scopes, "expiresInMinutes": minutes } });

    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            ISSUE,
            input(json!(["catalog:read", "orders:write"]), 60),
        )
        .await;
    let issued = res.expect_data()["issuePartnerToken"].clone();
    assert_eq!(issued["partner"]["code"], "hapro");
    assert_eq!(issued["scopes"], json!(["catalog:read", "orders:write"]));
    let token = issued["token"].as_str().expect("token").to_owned();
    // It works, as hapro, with those scopes only.
    let res = app
        .gql(
            Some(&token),
            "{ viewer { partner { code } scopes } }",
            json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["code"], "hapro");
    assert_eq!(
        res.expect_data()["viewer"]["scopes"],
        json!(["catalog:read", "orders:write"])
    );

    // Never more than the grants, a sane lifetime, and only the operator.
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            ISSUE,
            input(json!(["partners:admin"]), 60),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.scopes.0"
    );
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            ISSUE,
            input(json!(["catalog:read"]), 1),
        )
        .await;
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.expiresInMinutes"
    );
    let res = app
        .gql_as(
            "hapro",
            ALL_RETAIL_SCOPES,
            ISSUE,
            input(json!(["catalog:read"]), 60),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));

    // Recorded, without the token.
    let trail = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ partners(first: 20) { nodes { code auditTrail { action detail } } } }",
            json!({}),
        )
        .await
        .expect_data()["partners"]["nodes"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["code"] == "hapro"))
        .map(|p| p["auditTrail"].to_string())
        .expect("hapro");
    assert!(
        trail.contains("issue_token") && trail.contains("catalog:read orders:write"),
        "{trail}"
    );
    assert!(!trail.contains(&token));
}

/// `issuePartnerToken` is no way up: a token it issues holds at most what
/// the caller's own token holds and what the target is granted, and it is
/// never the operator's. Every combination of caller, target and request.
#[tokio::test]
async fn issued_tokens_never_exceed_the_callers_own_scopes_nor_reach_the_operator() {
    let app = TestApp::new().await;
    const ISSUE: &str =
        "mutation($in: IssuePartnerTokenInput!) { issuePartnerToken(input: $in) { token scopes } }";
    let ids = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ partners(first: 20) { nodes { id code } } }",
            json!({}),
        )
        .await
        .expect_data()["partners"]["nodes"]
        .clone();
    let id_of = |code: &str| {
        ids.as_array()
            .and_then(|ps| ps.iter().find(|p| p["code"] == code))
            .map(|p| p["id"].clone())
            .expect("partner")
    };
    let issue = |caller: &'static str, target: Value, scopes: Value| {
        let app = &app;
        async move {
            app.gql_as(
                "hanoi-ocop-hub",
                caller,
                ISSUE,
                json!({ "in": { "partnerId": target, "scopes": scopes, "expiresInMinutes": 60 } }),
            )
            .await
        }
    };
    let (hapro, hub) = (id_of("hapro"), id_of("hanoi-ocop-hub"));
    let every: Vec<&str> = OPERATOR_SCOPES
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .collect();
    let before = app.scalar_i64("SELECT COUNT(*) FROM partner_audit").await;

    // partners:admin alone: nothing else can be handed out, to anyone.
    for (target, scopes) in [
        (&hub, json!(every)),
        (&hub, json!(["partners:admin"])),
        (&hapro, json!(["orders:write"])),
        (&hapro, json!(["catalog:read"])),
    ] {
        let res = issue("partners:admin", target.clone(), scopes.clone()).await;
        assert!(
            matches!(res.code(), Some("FORBIDDEN" | "BAD_USER_INPUT")),
            "{scopes} for {target}: {}",
            res.body
        );
        assert!(
            res.body["data"]["issuePartnerToken"].is_null(),
            "{}",
            res.body
        );
    }
    // With catalog:read too: that, and only that, for a chain.
    let res = issue(
        "partners:admin catalog:read",
        hapro.clone(),
        json!(["catalog:read"]),
    )
    .await;
    assert_eq!(
        res.expect_data()["issuePartnerToken"]["scopes"],
        json!(["catalog:read"])
    );
    let res = issue(
        "partners:admin catalog:read",
        hapro.clone(),
        json!(["catalog:read", "orders:write"]),
    )
    .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.scopes.1"
    );
    // Every scope the operator holds: a chain still gets only its grants,
    // and the operator itself gets nothing, whatever is asked.
    let res = issue(OPERATOR_SCOPES, hapro.clone(), json!(["fulfillment:write"])).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    for scopes in [json!(every), json!(["catalog:read"])] {
        let res = issue(OPERATOR_SCOPES, hub.clone(), scopes).await;
        assert_eq!(res.code(), Some("FORBIDDEN"), "{}", res.body);
    }
    // A refusal writes nothing to the audit trail; the one token issued does.
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM partner_audit").await,
        before + 1
    );
}
