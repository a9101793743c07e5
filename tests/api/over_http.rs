//! GraphQL over HTTP: GET with entity tags, media types and their status
//! codes, persisted queries, and Relay's `node`.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::helpers::*;

const GRJ: &str = "application/graphql-response+json";

fn url(query: &str, variables: &Value) -> String {
    let params = [
        ("query", query.to_owned()),
        ("variables", variables.to_string()),
    ];
    format!(
        "/graphql?{}",
        serde_urlencoded::to_string(params).expect("encode")
    )
}

async fn get(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> GqlResponse {
    let mut request = Request::get(path);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

async fn post(app: &TestApp, body: Value, headers: &[(&str, &str)]) -> GqlResponse {
    let mut request = Request::post("/graphql");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    app.send(request.body(Body::from(body.to_string())).expect("request"))
        .await
}

/// On PostgreSQL the data version is known once this replica listens for
/// other replicas' commits; until then nothing is kept or tagged.
const STOCK: &str = "query Stock($id: ID!) { product(id: $id) { sku available stock { location { code } available } } }";

#[tokio::test]
async fn an_unchanged_poll_is_answered_304_without_running_anything() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let product = products(&app, 1).await[0].0.clone();
    let aeon = format!("Bearer {}", app.token("aeon-vn", ALL_RETAIL_SCOPES));
    let path = url(STOCK, &json!({ "id": product }));

    let first = get(&app, &path, &[("authorization", &aeon)]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.body["data"]["product"]["sku"].is_string());
    let tag = first.header("etag").to_owned();
    assert!(tag.starts_with('"'), "a strong tag: {tag}");
    assert_eq!(first.header("cache-control"), "private, max-age=5");
    assert_eq!(first.header("vary"), "Authorization, Accept");

    app.reset_statements();
    let again = get(
        &app,
        &path,
        &[("authorization", &aeon), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status, 304);
    assert_eq!(again.header("etag"), tag);
    assert_eq!(app.statement_count(), 0, "a 304 runs no SQL");

    // Another partner sees other prices: its tag differs.
    let winmart = format!("Bearer {}", app.token("winmart", ALL_RETAIL_SCOPES));
    let other = get(
        &app,
        &path,
        &[("authorization", &winmart), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(other.status, 200);
    assert_ne!(other.header("etag"), tag);

    // A commit moves the data version: the same poll runs again.
    let location = first.body["data"]["product"]["stock"][0]["location"]["code"].clone();
    let location_id = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ locations { id code } }",
            json!({}),
        )
        .await
        .expect_data()["locations"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["code"] == location))
        .map(|l| l["id"].clone())
        .expect("location");
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 7 }) { onHand } }",
        json!({ "p": product, "l": location_id }),
    )
    .await
    .expect_data();
    let changed = get(
        &app,
        &path,
        &[("authorization", &aeon), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_ne!(changed.header("etag"), tag);
    assert_eq!(
        changed.body["data"]["product"]["available"]
            .as_i64()
            .unwrap_or(0),
        first.body["data"]["product"]["available"]
            .as_i64()
            .unwrap_or(0)
            + 7
    );

    // An answer with errors is not cached.
    let bad = get(
        &app,
        &url(STOCK, &json!({ "id": "nope" })),
        &[("authorization", &aeon)],
    )
    .await;
    assert_eq!(
        bad.body["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(bad.header("cache-control"), "no-store");
    assert_eq!(bad.header("etag"), "");
}

#[tokio::test]
async fn a_query_answer_is_kept_until_the_next_commit() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let product = products(&app, 1).await[0].0.clone();
    let aeon = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let first = app.gql(Some(&aeon), STOCK, json!({ "id": product })).await;
    let available = first.expect_data()["product"]["available"]
        .as_i64()
        .expect("available");

    // The same request from the same partner: the kept answer, no SQL
    // (the partner's record is cached too).
    app.reset_statements();
    let again = app.gql(Some(&aeon), STOCK, json!({ "id": product })).await;
    assert_eq!(again.body, first.body);
    assert_eq!(app.statement_count(), 0, "served from the kept answer");
    // Another partner's request runs.
    let winmart = app.token("winmart", ALL_RETAIL_SCOPES);
    app.gql(Some(&winmart), STOCK, json!({ "id": product }))
        .await
        .expect_data();
    assert!(app.statement_count() > 0);

    // A mutation is never kept, and its commit retires every kept answer.
    let store = store_of(&app, "aeon-vn").await;
    let (_, moq, _) = products(&app, 1).await[0].clone();
    let placed = app
        .gql(
            Some(&aeon),
            PLACE,
            input("kept-1", &store, vec![(product.clone(), moq)]),
        )
        .await;
    placed.expect_data();
    let after = app.gql(Some(&aeon), STOCK, json!({ "id": product })).await;
    assert_eq!(
        after.expect_data()["product"]["available"].as_i64(),
        Some(available - moq)
    );
    // Replaying the same placeOrder body runs it again (it replays the
    // order by its key rather than coming from a kept answer).
    let replayed = app
        .gql(
            Some(&aeon),
            PLACE,
            input("kept-1", &store, vec![(product.clone(), moq)]),
        )
        .await;
    assert_eq!(replayed.expect_data()["placeOrder"]["replayed"], true);
}

#[tokio::test]
async fn methods_and_media_types_are_held_to_graphql_over_http() {
    let app = TestApp::new().await;
    let token = format!("Bearer {}", app.token("hanoi-ocop-hub", OPERATOR_SCOPES));
    let auth = ("authorization", token.as_str());

    // A mutation is never run by a GET.
    let path = url(
        "mutation { setReorderPoint(productId: \"x\", units: 1) { sku } }",
        &json!({}),
    );
    let res = get(&app, &path, &[auth]).await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("allow"), "POST");
    assert_eq!(
        res.body["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );

    // A POST must say it is JSON.
    let body = json!({ "query": "{ __typename }" });
    let res = post(&app, body.clone(), &[auth]).await;
    assert_eq!(res.status, 415);
    let res = post(&app, body.clone(), &[auth, ("content-type", "text/plain")]).await;
    assert_eq!(res.status, 415);
    let json_ct = ("content-type", "application/json; charset=utf-8");
    let res = post(&app, body.clone(), &[auth, json_ct]).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), "application/json");

    // Nothing the client accepts: 406.
    let res = post(
        &app,
        body.clone(),
        &[auth, json_ct, ("accept", "text/plain")],
    )
    .await;
    assert_eq!(res.status, 406);

    // The newer media type when asked for; request errors are then 400
    // with no `data`, and 200 with application/json.
    let grj = ("accept", GRJ);
    let res = post(&app, body, &[auth, json_ct, grj]).await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").starts_with(GRJ));
    for (query, variables) in [
        ("{ products(first: 1) { nodes { id }", json!({})),
        ("{ noSuchField }", json!({})),
        ("query($id: ID!) { product(id: $id) { sku } }", json!({})),
        (
            "query($n: Int) { products(first: $n) { nodes { id } } }",
            json!({ "n": "ten" }),
        ),
    ] {
        let body = json!({ "query": query, "variables": variables });
        let res = post(&app, body.clone(), &[auth, json_ct, grj]).await;
        assert_eq!(res.status, 400, "{query}: {}", res.body);
        assert!(res.body.get("data").is_none(), "{}", res.body);
        assert_eq!(
            res.body["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
        let res = post(&app, body, &[auth, json_ct]).await;
        assert_eq!(res.status, 200, "{query}");
        assert_eq!(
            res.body["errors"][0]["extensions"]["code"],
            "BAD_USER_INPUT"
        );
    }

    // A browser asking for the page gets GraphiQL; anyone else a 400.
    let res = get(&app, "/graphql", &[("accept", "text/html")]).await;
    assert_eq!(res.status, 200);
    let res = get(&app, "/graphql", &[auth]).await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn persisted_queries_run_from_their_hash() {
    let app = TestApp::new().await;
    let token = format!("Bearer {}", app.token("aeon-vn", ALL_RETAIL_SCOPES));
    let headers = [
        ("authorization", token.as_str()),
        ("content-type", "application/json"),
    ];
    let query = "{ products(first: 2) { nodes { sku } } }";
    let hash = sha256_hex(query);
    let ext = json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } });

    // Unknown hash: Apollo's clients then send the text.
    let res = post(&app, json!({ "extensions": ext }), &headers).await;
    assert_eq!(res.body["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(res.body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let res = post(&app, json!({ "query": query, "extensions": ext }), &headers).await;
    assert!(res.body["data"]["products"]["nodes"][1]["sku"].is_string());
    // Known now: the hash alone runs it, by POST and by GET.
    let res = post(&app, json!({ "extensions": ext }), &headers).await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
    let path = format!(
        "/graphql?{}",
        serde_urlencoded::to_string([("extensions", ext.to_string())]).expect("encode")
    );
    let res = get(&app, &path, &headers[..1]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body["data"]["products"]["nodes"].is_array());

    // A hash that is not the text's is refused.
    let wrong = json!({ "persistedQuery": { "version": 1, "sha256Hash": sha256_hex("{ x }") } });
    let res = post(
        &app,
        json!({ "query": query, "extensions": wrong }),
        &headers,
    )
    .await;
    assert_eq!(
        res.body["errors"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "extensions.persistedQuery.sha256Hash"
    );
}

fn sha256_hex(text: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn a_cached_cost_still_follows_the_page_size() {
    let app = TestApp::with_config(|c| c.max_query_complexity = 300).await;
    let query = "query($n: Int) { products(first: $n) { nodes { sku nameVi producer { name } } } }";
    let small = app
        .gql_as("aeon-vn", "catalog:read", query, json!({ "n": 5 }))
        .await;
    small.expect_data();
    // Same document, a larger page: its own cost, refused.
    let large = app
        .gql_as("aeon-vn", "catalog:read", query, json!({ "n": 100 }))
        .await;
    assert_eq!(large.code(), Some("QUERY_TOO_COMPLEX"));
    let small = app
        .gql_as("aeon-vn", "catalog:read", query, json!({ "n": 5 }))
        .await;
    small.expect_data();
}

#[tokio::test]
async fn node_refetches_what_the_token_may_see() {
    let app = TestApp::new().await;
    const NODE: &str = "query($id: ID!) { node(id: $id) { __typename id ... on Product { sku } ... on Order { buyerReference } } }";
    let (product, moq, _) = products(&app, 1).await[0].clone();
    let res = app
        .gql_as("aeon-vn", "catalog:read", NODE, json!({ "id": product }))
        .await;
    assert_eq!(res.expect_data()["node"]["__typename"], "Product");
    assert_eq!(res.expect_data()["node"]["id"], product);
    let res = app
        .gql_as("aeon-vn", "orders:read", NODE, json!({ "id": product }))
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"), "needs catalog:read");

    // An order: its owner sees it; another partner gets null, as if missing.
    let store = store_of(&app, "aeon-vn").await;
    let placed = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("node-1", &store, vec![(product.clone(), moq)]),
        )
        .await;
    let order = placed.expect_data()["placeOrder"]["order"]["id"].clone();
    let res = app
        .gql_as("aeon-vn", "orders:read", NODE, json!({ "id": order }))
        .await;
    assert_eq!(res.expect_data()["node"]["__typename"], "Order");
    let res = app
        .gql_as("winmart", "orders:read", NODE, json!({ "id": order }))
        .await;
    assert_eq!(res.expect_data()["node"], Value::Null);

    // Stores and partners: one's own; another's needs partners:admin.
    let res = app
        .gql_as("aeon-vn", "catalog:read", NODE, json!({ "id": store }))
        .await;
    assert_eq!(res.expect_data()["node"]["__typename"], "Store");
    let res = app
        .gql_as("winmart", "catalog:read", NODE, json!({ "id": store }))
        .await;
    assert_eq!(res.expect_data()["node"], Value::Null);
    // The operator sees every store (those of the orders it sees), with
    // or without partners:admin: the same rule as `Order.store`.
    for scopes in ["orders:read", OPERATOR_SCOPES] {
        let res = app
            .gql_as("hanoi-ocop-hub", scopes, NODE, json!({ "id": store }))
            .await;
        assert_eq!(res.expect_data()["node"]["__typename"], "Store", "{scopes}");
        let res = app
            .gql_as(
                "hanoi-ocop-hub",
                scopes,
                "query($id: ID!) { order(id: $id) { store { id } } }",
                json!({ "id": order }),
            )
            .await;
        assert_eq!(res.expect_data()["order"]["store"]["id"], store, "{scopes}");
    }

    for bad in ["nope", "T3JkZXJMaW5lOjE"] {
        let res = app
            .gql_as("aeon-vn", ALL_RETAIL_SCOPES, NODE, json!({ "id": bad }))
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{bad}");
    }
}

#[tokio::test]
async fn a_commit_on_another_replica_retires_kept_answers() {
    if backend() != Backend::Postgres {
        skip(
            "a_commit_on_another_replica_retires_kept_answers",
            "on SQLite one process writes the file (docs/http.md: polling with ETags)",
        );
        return;
    }
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let other = app.replica().await;
    let product = products(&app, 1).await[0].0.clone();
    let aeon = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let before = app.gql(Some(&aeon), STOCK, json!({ "id": product })).await;
    let available = before.expect_data()["product"]["available"]
        .as_i64()
        .expect("available");
    let location = app.a_location().await;
    let hub = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    gql_on(
        &other,
        Some(&hub),
        "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 5 }) { onHand } }",
        json!({ "p": product, "l": location }),
    )
    .await
    .expect_data();
    // The other replica's NOTIFY reaches this one within moments.
    let mut seen = None;
    for _ in 0..50 {
        let now = app.gql(Some(&aeon), STOCK, json!({ "id": product })).await;
        seen = now.expect_data()["product"]["available"].as_i64();
        if seen == Some(available + 5) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("still {seen:?}, expected {}", available + 5);
}

/// Only a commit moves the data version: a refused mutation rolls back and
/// leaves every kept answer and `ETag` standing (here, and on PostgreSQL
/// no NOTIFY goes to the other replicas).
#[tokio::test]
async fn a_refused_mutation_retires_no_tag() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let product = products(&app, 1).await[0].0.clone();
    let aeon = format!("Bearer {}", app.token("aeon-vn", ALL_RETAIL_SCOPES));
    let path = url(STOCK, &json!({ "id": product }));
    let first = get(&app, &path, &[("authorization", &aeon)]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let tag = first.header("etag").to_owned();
    let version = app.state.db.changes().current();

    // An unknown store, a missing order, a stock receipt at a location
    // that does not exist: each refused after its transaction began.
    let store = store_of(&app, "aeon-vn").await;
    let mut unknown_store = input("refused-1", &store, vec![(product.clone(), 1_000)]);
    unknown_store["input"]["storeId"] = json!("U3RvcmU6OTk5OQ");
    let res = app
        .gql_as("aeon-vn", ALL_RETAIL_SCOPES, PLACE, unknown_store)
        .await;
    assert!(res.code().is_some(), "{}", res.body);
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "mutation { cancelOrder(id: \"T3JkZXI6OTk5OTk5\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), Some("NOT_FOUND"), "{}", res.body);
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation($p: ID!) { receiveStock(input: { productId: $p, locationId: \"TG9jYXRpb246OTk5OQ\", quantity: 1 }) { onHand } }",
            json!({ "p": product }),
        )
        .await;
    assert!(res.code().is_some(), "{}", res.body);

    assert_eq!(
        app.state.db.changes().current(),
        version,
        "no commit, no new version"
    );
    let again = get(
        &app,
        &path,
        &[("authorization", &aeon), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(again.status, 304, "the tag still stands");

    // A commit does move it.
    let placed = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input(
                "committed-1",
                &store,
                vec![(product.clone(), products(&app, 1).await[0].1)],
            ),
        )
        .await;
    placed.expect_data();
    assert_ne!(app.state.db.changes().current(), version);
    let after = get(
        &app,
        &path,
        &[("authorization", &aeon), ("if-none-match", &tag)],
    )
    .await;
    assert_eq!(after.status, 200);
}
