//! The catalogue API: page walks, filters, search, lookups and the
//! statement count that proves nested fields are batched.

use std::collections::HashSet;

use ocop_gateway::domain::text::fold;
use serde_json::{Value, json};

use crate::helpers::*;

const SCOPES: &str = "catalog:read inventory:read";

const PAGE: &str = r#"
query($first: Int, $after: String, $last: Int, $before: String, $order: ProductOrderInput, $filter: ProductFilterInput) {
  products(first: $first, after: $after, last: $last, before: $before, orderBy: $order, filter: $filter) {
    edges { cursor node { id sku nameVi stars wholesalePrice updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"#;

const ALL: &str = r#"
query($after: String) {
  products(first: 100, after: $after) {
    totalCount
    edges { node { id sku nameVi nameEn category stars status updatedAt available
                   producer { id name province district } } }
    pageInfo { hasNextPage endCursor }
  }
}"#;

fn edges(res: &GqlResponse) -> Vec<Value> {
    res.expect_data()["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn all_products(app: &TestApp) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = Value::Null;
    loop {
        let res = app
            .gql_as("aeon-vn", SCOPES, ALL, json!({ "after": after }))
            .await;
        out.extend(edges(&res).into_iter().map(|e| e["node"].clone()));
        let info = &res.expect_data()["products"]["pageInfo"];
        if info["hasNextPage"] != true {
            return out;
        }
        after = info["endCursor"].clone();
    }
}

/// Walks every page in one direction and returns the nodes in display order.
async fn walk(app: &TestApp, order: Value, size: i64, forward: bool) -> Vec<Value> {
    let mut nodes: Vec<Value> = Vec::new();
    let mut cursor = Value::Null;
    for _ in 0..200 {
        let vars = if forward {
            json!({ "first": size, "after": cursor, "order": order })
        } else {
            json!({ "last": size, "before": cursor, "order": order })
        };
        let res = app.gql_as("winmart", SCOPES, PAGE, vars).await;
        let page: Vec<Value> = edges(&res).into_iter().map(|e| e["node"].clone()).collect();
        assert!(page.len() as i64 <= size);
        let info = res.expect_data()["products"]["pageInfo"].clone();
        if forward {
            nodes.extend(page);
            if info["hasNextPage"] != true {
                return nodes;
            }
            cursor = info["endCursor"].clone();
        } else {
            let mut page = page;
            page.extend(nodes);
            nodes = page;
            if info["hasPreviousPage"] != true {
                return nodes;
            }
            cursor = info["startCursor"].clone();
        }
    }
    panic!("page walk did not end");
}

fn sort_value(node: &Value, field: &str) -> Value {
    match field {
        "NAME" => node["nameVi"].clone(),
        "STARS" => node["stars"].clone(),
        "PRICE" => node["wholesalePrice"].clone(),
        "UPDATED_AT" => node["updatedAt"].clone(),
        _ => Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_walks_visit_every_product_once_while_stock_changes() {
    let app = TestApp::new().await;
    let total = app.scalar_i64("SELECT COUNT(*) FROM product").await as usize;
    let all_ids: HashSet<String> = all_products(&app)
        .await
        .iter()
        .map(|n| n["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(all_ids.len(), total);

    // Stock keeps changing during the walks.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let router = app.router.clone();
        let token = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
        let ids: Vec<String> = all_ids.iter().take(10).cloned().collect();
        let location = app.a_location().await;
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let body = json!({
                    "query": "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 3 }) { onHand } }",
                    "variables": { "p": ids[n % ids.len()], "l": location },
                });
                let req = axum::http::Request::post("/graphql")
                    .header("content-type", "application/json")
                    .header("authorization", format!("Bearer {token}"))
                    .body(axum::body::Body::from(body.to_string()))
                    .expect("request");
                let response = tower::ServiceExt::oneshot(router.clone(), req)
                    .await
                    .expect("router never fails");
                let status = response.status();
                let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
                    .await
                    .expect("body");
                let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                assert!(
                    status == 200 && body["data"]["receiveStock"]["onHand"].is_i64(),
                    "a receipt during the walk failed: {status} {body}"
                );
                n += 1;
            }
            n
        })
    };

    for (field, direction) in [
        ("ID", "ASC"),
        ("NAME", "ASC"),
        ("PRICE", "DESC"),
        ("STARS", "ASC"),
        ("UPDATED_AT", "DESC"),
    ] {
        let order = json!({ "field": field, "direction": direction });
        for size in [1, 7, 50] {
            for forward in [true, false] {
                let nodes = walk(&app, order.clone(), size, forward).await;
                let ids: Vec<&str> = nodes
                    .iter()
                    .map(|n| n["id"].as_str().unwrap_or_default())
                    .collect();
                let unique: HashSet<&str> = ids.iter().copied().collect();
                let what = format!("{field} {direction} size {size} forward {forward}");
                assert_eq!(ids.len(), total, "{what}: every product exactly once");
                assert_eq!(unique.len(), total, "{what}: no duplicates");
                if field != "ID" {
                    let values: Vec<Value> = nodes.iter().map(|n| sort_value(n, field)).collect();
                    for pair in values.windows(2) {
                        let ordered = match (&pair[0], &pair[1]) {
                            (Value::Number(a), Value::Number(b)) => {
                                let (a, b) = (a.as_i64(), b.as_i64());
                                if direction == "ASC" { a <= b } else { a >= b }
                            }
                            // Text order is the database's collation; only check numbers and times.
                            (Value::String(a), Value::String(b)) if field == "UPDATED_AT" => {
                                if direction == "ASC" {
                                    a <= b
                                } else {
                                    a >= b
                                }
                            }
                            _ => true,
                        };
                        assert!(ordered, "{what}: {pair:?} out of order");
                    }
                }
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let writes = writer.await.expect("every receipt succeeded");
    assert!(writes > 0, "stock changed during the walks");
}

/// Keyset pages follow the sort key, so a product whose key changes during
/// a walk may be met again (or not at all); every other product is still
/// met exactly once, whatever moves around it.
#[tokio::test]
async fn page_walks_visit_unchanged_products_once_while_sort_keys_change() {
    let app = TestApp::new().await;
    let total = app.scalar_i64("SELECT COUNT(*) FROM product").await as usize;
    let ids = app.scalar_i64("SELECT MIN(id) FROM product").await;
    let moving: Vec<i64> = (ids..ids + 6).collect();
    let moving_ids: HashSet<String> = moving
        .iter()
        .map(|id| ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Product, *id).0)
        .collect();
    for (field, change) in [
        (
            "PRICE",
            "wholesale_price_vnd = (wholesale_price_vnd * 7 + 130000) % 900000 + 1000",
        ),
        (
            "NAME",
            "name_vi = CASE WHEN name_vi LIKE 'A%' THEN 'Ư' || name_vi ELSE 'A' || name_vi END",
        ),
    ] {
        let order = json!({ "field": field, "direction": "ASC" });
        let mut seen: Vec<String> = Vec::new();
        let mut cursor = Value::Null;
        let mut pages = 0;
        loop {
            let res = app
                .gql_as(
                    "winmart",
                    SCOPES,
                    PAGE,
                    json!({ "first": 7, "after": cursor, "order": order }),
                )
                .await;
            seen.extend(
                edges(&res)
                    .iter()
                    .filter_map(|e| e["node"]["id"].as_str().map(str::to_owned)),
            );
            // Between pages, the moving products change their sort key.
            let list = moving
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(", ");
            app.exec(&format!("UPDATE product SET {change} WHERE id IN ({list})"))
                .await;
            let info = res.expect_data()["products"]["pageInfo"].clone();
            pages += 1;
            assert!(pages < 100, "{field}: the walk ends");
            if info["hasNextPage"] != true {
                break;
            }
            cursor = info["endCursor"].clone();
        }
        let steady: Vec<&String> = seen.iter().filter(|id| !moving_ids.contains(*id)).collect();
        let unique: HashSet<&String> = steady.iter().copied().collect();
        assert_eq!(
            unique.len(),
            total - moving.len(),
            "{field}: every unchanged product met"
        );
        assert_eq!(
            steady.len(),
            unique.len(),
            "{field}: no unchanged product met twice"
        );
    }
}

#[tokio::test]
async fn cursors_are_validated() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            PAGE,
            json!({ "first": 2, "order": { "field": "NAME" } }),
        )
        .await;
    let cursor = res.expect_data()["products"]["pageInfo"]["endCursor"].clone();
    let cases = [
        json!({ "first": 2, "after": cursor, "order": { "field": "PRICE" } }),
        json!({ "first": 2, "after": "garbage!" }),
        json!({ "first": 2, "last": 2 }),
        json!({ "first": 2, "before": cursor }),
        json!({ "last": 101 }),
    ];
    for vars in cases {
        let res = app.gql_as("aeon-vn", SCOPES, PAGE, vars.clone()).await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{vars}");
    }
}

fn ids_of(nodes: &[Value]) -> HashSet<String> {
    nodes
        .iter()
        .filter_map(|n| n["id"].as_str().map(str::to_owned))
        .collect()
}

async fn filtered(app: &TestApp, filter: Value) -> (HashSet<String>, i64) {
    let query = r#"query($filter: ProductFilterInput) {
        products(first: 100, filter: $filter) { totalCount edges { node { id } } } }"#;
    let res = app
        .gql_as("central-retail", SCOPES, query, json!({ "filter": filter }))
        .await;
    let nodes: Vec<Value> = edges(&res).into_iter().map(|e| e["node"].clone()).collect();
    (
        ids_of(&nodes),
        res.expect_data()["products"]["totalCount"]
            .as_i64()
            .unwrap_or(-1),
    )
}

#[tokio::test]
async fn every_filter_alone_and_combined_matches_the_catalogue() {
    let app = TestApp::new().await;
    // Take one product out of stock everywhere and move one's update time.
    app.exec("UPDATE inventory_level SET on_hand = 0 WHERE product_id = 3")
        .await;
    let all = all_products(&app).await;
    let bat_trang_producer = all
        .iter()
        .find(|n| n["producer"]["name"] == "Hợp tác xã Gốm sứ Bát Tràng")
        .map(|n| n["producer"]["id"].clone())
        .expect("Bat Trang producer");
    let since = all
        .iter()
        .filter_map(|n| n["updatedAt"].as_str())
        .max()
        .map(str::to_owned)
        .expect("times");

    type Pred = Box<dyn Fn(&Value) -> bool>;
    let cases: Vec<(Value, Pred)> = vec![
        (
            json!({ "category": "BEVERAGES" }),
            Box::new(|n| n["category"] == "BEVERAGES"),
        ),
        (
            json!({ "minStars": 5 }),
            Box::new(|n| n["stars"].as_i64() >= Some(5)),
        ),
        (
            json!({ "maxStars": 3 }),
            Box::new(|n| n["stars"].as_i64() <= Some(3)),
        ),
        (
            json!({ "province": "ha noi" }),
            Box::new(|n| n["producer"]["province"] == "Hà Nội"),
        ),
        (
            json!({ "province": "Đà Nẵng" }),
            Box::new(|n| n["producer"]["province"] == "Đà Nẵng"),
        ),
        (
            json!({ "district": "GIA LAM" }),
            Box::new(|n| n["producer"]["district"] == "Gia Lâm"),
        ),
        (
            json!({ "producerId": bat_trang_producer.clone() }),
            Box::new(move |n| n["producer"]["id"] == bat_trang_producer),
        ),
        (
            json!({ "inStock": true }),
            Box::new(|n| n["available"].as_i64() > Some(0)),
        ),
        (
            json!({ "inStock": false }),
            Box::new(|n| n["available"].as_i64() == Some(0)),
        ),
        (
            json!({ "updatedSince": since.clone() }),
            Box::new(move |n| n["updatedAt"].as_str() >= Some(since.as_str())),
        ),
        (
            json!({ "updatedSince": "2999-01-01T00:00:00Z" }),
            Box::new(|_| false),
        ),
        (
            json!({ "status": "ACTIVE" }),
            Box::new(|n| n["status"] == "ACTIVE"),
        ),
        (
            json!({ "category": "FOOD", "minStars": 4, "province": "Quảng Ninh", "inStock": true }),
            Box::new(|n| {
                n["category"] == "FOOD"
                    && n["stars"].as_i64() >= Some(4)
                    && n["producer"]["province"] == "Quảng Ninh"
                    && n["available"].as_i64() > Some(0)
            }),
        ),
        (
            json!({ "search": "mam", "maxStars": 4, "category": "FOOD" }),
            Box::new(|n| {
                let text = fold(&format!(
                    "{} {} {} {}",
                    n["nameVi"], n["nameEn"], n["producer"]["name"], n["sku"]
                ));
                text.contains("mam") && n["stars"].as_i64() <= Some(4) && n["category"] == "FOOD"
            }),
        ),
    ];
    for (filter, pred) in cases {
        let expected: HashSet<String> = all
            .iter()
            .filter(|n| pred(n))
            .filter_map(|n| n["id"].as_str().map(str::to_owned))
            .collect();
        let (got, total) = filtered(&app, filter.clone()).await;
        assert_eq!(got, expected, "filter {filter}");
        assert_eq!(total as usize, expected.len(), "totalCount for {filter}");
    }
    let res = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            "{ products(filter: { minStars: 6 }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn search_ignores_diacritics_and_case() {
    let app = TestApp::new().await;
    let (plain, n1) = filtered(&app, json!({ "search": "gom bat trang" })).await;
    let (upper, n2) = filtered(&app, json!({ "search": "GỐM BÁT TRÀNG" })).await;
    let (exact, n3) = filtered(&app, json!({ "search": "Gốm Bát Tràng" })).await;
    assert!(n1 >= 5, "all Bat Trang ceramics: {n1}");
    assert_eq!((n1, n2), (n2, n3));
    assert_eq!(plain, upper);
    assert_eq!(upper, exact);
    let (mam, _) = filtered(&app, json!({ "search": "nuoc mam ba lang" })).await;
    assert!(!mam.is_empty());
    let (sku, _) = filtered(&app, json!({ "search": "hl-chamuc" })).await;
    assert_eq!(sku.len(), 2);
    let (english, _) = filtered(&app, json!({ "search": "SEAWEED" })).await;
    assert!(!english.is_empty());
    let (nothing, total) = filtered(&app, json!({ "search": "xyzzy không có" })).await;
    assert!(nothing.is_empty());
    assert_eq!(total, 0);
}

#[tokio::test]
async fn hostile_search_text_is_harmless() {
    let app = TestApp::new().await;
    for text in [
        "%",
        "_",
        "\\",
        "' OR 1=1 --",
        "\"; DROP TABLE product; --",
        "100%_\\x",
        "a\u{0}b",
    ] {
        let (found, total) = filtered(&app, json!({ "search": text })).await;
        assert_eq!(found.len() as i64, total.min(100), "{text:?}");
        assert!(
            total == 0 || text.contains('\u{0}'),
            "{text:?} matched {total}"
        );
    }
    assert!(
        app.scalar_i64("SELECT COUNT(*) FROM product").await >= 60,
        "nothing was dropped"
    );
    for text in ["x".repeat(101), "a b c d e f g h i".to_owned()] {
        let query = "query($s: String) { products(filter: { search: $s }) { totalCount } }";
        let res = app
            .gql_as("aeon-vn", SCOPES, query, json!({ "s": text }))
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{text}");
        assert_eq!(
            res.body["errors"][0]["extensions"]["field"],
            "filter.search"
        );
    }
}

const LOOKUP: &str = "{ id sku nameVi producer { name commune district province } certificate { number issuedOn expiresOn validToday } }";

#[tokio::test]
async fn lookups_find_products_and_refuse_bad_keys() {
    let app = TestApp::new().await;
    let all = all_products(&app).await;
    let first = &all[0];
    let id = first["id"].as_str().expect("id");
    let sku = first["sku"].as_str().expect("sku");
    let by_id = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            &format!("query($id: ID!) {{ product(id: $id) {LOOKUP} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(by_id.expect_data()["product"]["sku"], sku);
    let by_sku = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            &format!("query($s: String!) {{ productBySku(sku: $s) {LOOKUP} }}"),
            json!({ "s": sku }),
        )
        .await;
    assert_eq!(by_sku.expect_data()["productBySku"]["id"], id);

    let gtin = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ productBySku(sku: \"BL-MAM-40N\") { gtin traceCode } }",
            json!({}),
        )
        .await;
    let gtin_code = gtin.expect_data()["productBySku"]["gtin"]
        .as_str()
        .expect("has gtin")
        .to_owned();
    let trace = gtin.expect_data()["productBySku"]["traceCode"]
        .as_str()
        .expect("trace")
        .to_owned();
    let res = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            &format!("query($g: String!) {{ productByGtin(gtin: $g) {LOOKUP} }}"),
            json!({ "g": gtin_code }),
        )
        .await;
    assert_eq!(res.expect_data()["productByGtin"]["sku"], "BL-MAM-40N");
    let res = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            &format!("query($c: String!) {{ productByTraceCode(code: $c) {LOOKUP} }}"),
            json!({ "c": trace }),
        )
        .await;
    let product = &res.expect_data()["productByTraceCode"];
    assert_eq!(product["producer"]["province"], "Thanh Hóa");
    assert_eq!(product["producer"]["commune"], "Hải Thanh");
    assert!(product["certificate"]["validToday"].is_boolean());

    let location_id = app
        .gql_as("aeon-vn", SCOPES, "{ locations { id } }", json!({}))
        .await
        .expect_data()["locations"][0]["id"]
        .clone();
    let unknown = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Product, 999_999).0;
    let cases = [
        (
            "query($id: ID!) { product(id: $id) { sku } }",
            json!({ "id": unknown }),
            "NOT_FOUND",
        ),
        (
            "query($id: ID!) { product(id: $id) { sku } }",
            json!({ "id": "not-an-id" }),
            "BAD_USER_INPUT",
        ),
        (
            "query($id: ID!) { product(id: $id) { sku } }",
            json!({ "id": location_id }),
            "BAD_USER_INPUT",
        ),
        (
            "query($id: ID!) { product(id: $id) { sku } }",
            json!({ "id": "x".repeat(500) }),
            "BAD_USER_INPUT",
        ),
        (
            "query($s: String!) { productBySku(sku: $s) { sku } }",
            json!({ "s": "NO-SUCH-SKU" }),
            "NOT_FOUND",
        ),
        (
            "query($s: String!) { productBySku(sku: $s) { sku } }",
            json!({ "s": "" }),
            "BAD_USER_INPUT",
        ),
        (
            "query($g: String!) { productByGtin(gtin: $g) { sku } }",
            json!({ "g": "8934563138164" }),
            "BAD_USER_INPUT",
        ),
        (
            "query($g: String!) { productByGtin(gtin: $g) { sku } }",
            json!({ "g": "4006381333931" }),
            "NOT_FOUND",
        ),
        (
            "query($c: String!) { productByTraceCode(code: $c) { sku } }",
            json!({ "c": "OCOP-XX-0" }),
            "NOT_FOUND",
        ),
    ];
    for (query, vars, code) in cases {
        let res = app.gql_as("aeon-vn", SCOPES, query, vars.clone()).await;
        assert_eq!(res.code(), Some(code), "{query} {vars}");
    }
}

#[tokio::test]
async fn nested_fields_cost_a_constant_number_of_statements() {
    let app = TestApp::new().await;
    // Once listening, nothing unheard can have changed the partners and
    // locations cached below (on PostgreSQL starting to listen counts as
    // "everything changed", and they would be read again).
    app.listening().await;
    let query = r#"query($n: Int) { products(first: $n) { edges { node {
        sku producer { name province } available stock { location { code name } onHand available } } } } }"#;
    // The first request reads the partner; later ones find it cached.
    app.gql_as("aeon-vn", SCOPES, query, json!({ "n": 1 }))
        .await
        .expect_data();
    let mut counts = Vec::new();
    for n in [5, 20, 66] {
        app.reset_statements();
        let res = app
            .gql_as("aeon-vn", SCOPES, query, json!({ "n": n }))
            .await;
        assert_eq!(edges(&res).len(), n as usize);
        counts.push(app.statement_count());
    }
    assert!(
        counts.iter().all(|c| *c == counts[0]),
        "statements grew with the page: {counts:?}"
    );
    // page + producers + stock per location + available (summed in SQL);
    // partners and locations are cached after the first request.
    assert_eq!(counts[0], 4, "{counts:?}");

    // W1 of the load benchmark: a filtered page of 50 (asking for
    // totalCount would add a COUNT).
    app.reset_statements();
    let res = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            "query($c: Category!) { products(first: 50, filter: { category: $c, minStars: 4 }) {
                edges { node { sku producer { name } available } } } }",
            json!({ "c": "FOOD" }),
        )
        .await;
    assert!(!edges(&res).is_empty());
    assert!(app.statement_count() <= 3, "{}", app.statement_count());

    app.reset_statements();
    let res = app
        .gql_as("aeon-vn", SCOPES, "{ producers(first: 20) { totalCount edges { node { name products { sku available } } } } }", json!({}))
        .await;
    assert!(res.expect_data()["producers"]["totalCount"].as_i64() >= Some(12));
    assert!(app.statement_count() <= 5, "{}", app.statement_count());
}

#[tokio::test]
async fn catalogue_needs_catalog_read_and_stock_needs_inventory_read() {
    let app = TestApp::new().await;
    let query = "{ products(first: 3) { edges { node { sku available stock { onHand } } } } }";
    let res = app
        .gql_as("aeon-vn", "catalog:read", query, json!({}))
        .await;
    let nodes = res.data()["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nodes.len(), 3);
    for e in &nodes {
        assert!(e["node"]["sku"].is_string());
        assert!(e["node"]["available"].is_null());
        assert!(e["node"]["stock"].is_null());
    }
    assert!(res.codes().iter().all(|c| c == "FORBIDDEN"));
    assert_eq!(res.codes().len(), 6);
    let res = app
        .gql_as("aeon-vn", "inventory:read", query, json!({}))
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    assert!(res.data()["products"].is_null());
}
