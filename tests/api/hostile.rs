//! Hostile input, second pass: nothing a client sends may cost more than it
//! is charged. Each shape is refused before it costs anything, and the
//! gateway keeps serving everyone else.

use serde_json::{Value, json};

use crate::helpers::*;

/// `levels` fragments, each spreading the next `fanout` times.
fn fragment_explosion(levels: usize, fanout: usize) -> String {
    let mut doc = String::from("{...F0}");
    for i in 0..levels {
        let spreads = format!("...F{} ", i + 1).repeat(fanout);
        doc.push_str(&format!(" fragment F{i} on Query{{{spreads}}}"));
    }
    doc.push_str(&format!(" fragment F{levels} on Query{{__typename}}"));
    doc
}

async fn others_still_served(app: &TestApp) {
    let (status, _, _) = app.get("/healthz").await;
    assert_eq!(status, 200);
    let res = app
        .gql_as(
            "central-retail",
            "catalog:read",
            "{ locations { code } }",
            json!({}),
        )
        .await;
    assert!(
        res.expect_data()["locations"]
            .as_array()
            .is_some_and(|l| !l.is_empty())
    );
}

#[tokio::test]
async fn a_fragment_explosion_is_refused_with_or_without_a_token() {
    let app = TestApp::new().await;
    let doc = fragment_explosion(9, 8);
    assert!(doc.len() < 700, "a small document: {} bytes", doc.len());
    let anonymous = app.gql(None, &doc, json!({})).await;
    assert_eq!(
        anonymous.code(),
        Some("QUERY_TOO_COMPLEX"),
        "{}",
        anonymous.body
    );
    let token = app.token("aeon-vn", "catalog:read");
    app.reset_statements();
    let partner = app.gql(Some(&token), &doc, json!({})).await;
    assert_eq!(
        partner.code(),
        Some("QUERY_TOO_COMPLEX"),
        "{}",
        partner.body
    );
    assert!(partner.body["data"].is_null());
    assert!(app.statement_count() <= 1, "no SQL but the partner lookup");
    others_still_served(&app).await;
}

#[tokio::test]
async fn page_queries_and_counts_cost_the_same_at_any_page_size() {
    // 10 for a page query, 25 for a count: with a limit of 30, a page of
    // nothing is allowed and a count of everything is not.
    let app = TestApp::with_config(|c| c.max_query_complexity = 30).await;
    let token = app.token("aeon-vn", "catalog:read");
    let page = app
        .gql(
            Some(&token),
            "{ products(first: 0) { pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert!(page.body.get("errors").is_none(), "{}", page.body);
    let count = app
        .gql(
            Some(&token),
            "{ products(first: 0) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count.code(), Some("QUERY_TOO_COMPLEX"), "{}", count.body);

    // 2,000 aliased counts are refused at the alias limit, before any SQL.
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", "catalog:read");
    let many: String = (0..2_000)
        .map(|i| format!("a{i}: products(first: 0) {{ totalCount }} "))
        .collect();
    let doc = format!("{{ {many} }}");
    app.reset_statements();
    let res = app.gql(Some(&token), &doc, json!({})).await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"), "{}", res.body);
    assert!(app.statement_count() <= 1, "no SQL but the partner lookup");
}

#[tokio::test]
async fn aliased_mutations_are_capped_and_refused_as_a_whole() {
    let app = TestApp::new().await;
    let store = store_of(&app, "aeon-vn").await;
    let (product, moq, _) = products(&app, 1).await[0].clone();
    let date = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let mutation = |n: usize| {
        let fields: String = (0..n)
            .map(|i| {
                format!(
                    r#"o{i}: placeOrder(input: {{ idempotencyKey: "alias-{n}-{i}", buyerReference: "PO-A{i}", storeId: {store}, requestedDeliveryDate: "{date}", lines: [{{ productId: {p}, quantity: {q} }}] }}) {{ order {{ id }} }} "#,
                    store = store,
                    p = product,
                    q = moq,
                )
            })
            .collect();
        format!("mutation {{ {fields} }}")
    };
    let orders = || app.scalar_i64("SELECT COUNT(*) FROM purchase_order");
    let before = orders().await;
    for n in [300, 11] {
        let res = app
            .gql_as("aeon-vn", "orders:write", &mutation(n), json!({}))
            .await;
        assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"), "{n}: {}", res.body);
        assert_eq!(orders().await, before, "{n} aliased orders: none placed");
    }
    let res = app
        .gql_as("aeon-vn", "orders:write", &mutation(2), json!({}))
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
    assert_eq!(orders().await, before + 2);
    others_still_served(&app).await;
}

/// The mutation cap counts across the whole HTTP request: a JSON batch of
/// 5 documents of 10 `placeOrder`s each places at most 10 orders, and the
/// documents past the cap are refused with QUERY_TOO_COMPLEX.
#[tokio::test]
async fn a_batch_shares_one_mutation_cap() {
    let app = TestApp::with_config(|c| c.max_batch_size = 10).await;
    let store = store_of(&app, "aeon-vn").await;
    let (product, moq, _) = products(&app, 1).await[0].clone();
    let date = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string();
    let document = |d: usize| {
        let fields: String = (0..10)
            .map(|i| {
                format!(
                    r#"o{i}: placeOrder(input: {{ idempotencyKey: "batch-{d}-{i}", buyerReference: "PO-B{d}-{i}", storeId: {store}, requestedDeliveryDate: "{date}", lines: [{{ productId: {product}, quantity: {moq} }}] }}) {{ order {{ id }} }} "#
                )
            })
            .collect();
        json!({ "query": format!("mutation {{ {fields} }}") })
    };
    let batch = Value::Array((0..5).map(document).collect());
    let orders = || app.scalar_i64("SELECT COUNT(*) FROM purchase_order");
    let before = orders().await;
    let token = format!("Bearer {}", app.token("aeon-vn", "orders:write"));
    let res = app
        .post_raw(batch.to_string(), &[("authorization", &token)])
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(orders().await, before + 10, "the cap, not 50");
    let answers = res.body.as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), 5);
    assert!(answers[0].get("errors").is_none(), "{}", answers[0]);
    for refused in &answers[1..] {
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
            "{refused}"
        );
    }
}

#[tokio::test]
async fn stock_stays_behind_inventory_read() {
    let app = TestApp::new().await;
    let store = store_of(&app, "winmart").await;
    let product = app
        .gql_as(
            "winmart",
            "catalog:read",
            "{ products(first: 1) { nodes { id sku minOrderQuantity } } }",
            json!({}),
        )
        .await
        .expect_data()["products"]["nodes"][0]
        .clone();
    let sku = product["sku"].as_str().unwrap_or_default().to_owned();
    let place = |key: &str, quantity: Value| {
        json!({ "input": {
            "idempotencyKey": key, "buyerReference": "PO-leak", "storeId": store,
            "requestedDeliveryDate": (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string(),
            "lines": [{ "productId": product["id"], "quantity": quantity }] } })
    };
    let q = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }";

    // INSUFFICIENT_STOCK says how much there is only to who may see stock.
    let blind = app
        .gql_as("winmart", "orders:write", q, place("leak-1", json!(99_999)))
        .await;
    assert_eq!(blind.code(), Some("INSUFFICIENT_STOCK"));
    assert_eq!(
        blind.body["errors"][0]["message"],
        format!("{sku}: 99999 units requested, more than is available")
    );
    assert_eq!(
        blind.body["errors"][0]["extensions"]["requestedQuantity"],
        99_999
    );
    assert!(
        blind.body["errors"][0]["extensions"]
            .get("availableQuantity")
            .is_none(),
        "{}",
        blind.body
    );
    let seeing = app
        .gql_as(
            "winmart",
            "orders:write inventory:read",
            q,
            place("leak-2", json!(99_999)),
        )
        .await;
    let message = seeing.body["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    let prefix = format!("{sku}: 99999 units requested, ");
    let available = message
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(" available"))
        .and_then(|n| n.parse::<i64>().ok());
    assert!(available.is_some(), "{message}");
    assert_eq!(
        seeing.body["errors"][0]["extensions"]["availableQuantity"],
        json!(available),
        "the extension says what the message says"
    );

    // `inStock` answers a stock question.
    let filtered = "{ products(filter: { inStock: true }) { nodes { sku } } }";
    let res = app
        .gql_as("winmart", "catalog:read", filtered, json!({}))
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    let res = app
        .gql_as(
            "winmart",
            "catalog:read inventory:read",
            filtered,
            json!({}),
        )
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);

    // Catalogue fields reached through an order need catalog:read.
    let placed = app
        .gql_as(
            "winmart",
            "orders:write",
            q,
            place("ok-1", product["minOrderQuantity"].clone()),
        )
        .await;
    assert!(placed.body.get("errors").is_none(), "{}", placed.body);
    let orders = "{ orders(first: 1) { nodes { lines { quantity product { sku } allocations { quantity location { code } } } } } }";
    let res = app
        .gql_as("winmart", "orders:read", orders, json!({}))
        .await;
    assert_eq!(
        res.codes(),
        vec!["FORBIDDEN".to_owned(), "FORBIDDEN".to_owned()],
        "{}",
        res.body
    );
    assert!(res.body["data"]["orders"]["nodes"][0]["lines"][0]["quantity"].is_i64());
    let res = app
        .gql_as("winmart", "orders:read catalog:read", orders, json!({}))
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
    assert_eq!(
        res.expect_data()["orders"]["nodes"][0]["lines"][0]["product"]["sku"],
        sku
    );
}

/// The GraphQL spec orders a response map like its selection set; clients
/// that diff responses or read them by eye rely on it.
#[tokio::test]
async fn response_maps_keep_the_order_of_the_selection_set() {
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", "catalog:read");
    let query = r#"{ z: locations { code name } a: viewer { scopes partner { name code } } m: productBySku(sku: "BT-BINH-HOASEN") { sku nameVi } }"#;
    for _ in 0..5 {
        let request = axum::http::Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::from(
                json!({ "query": query }).to_string(),
            ))
            .expect("request");
        let response = tower::ServiceExt::oneshot(app.router.clone(), request)
            .await
            .expect("router never fails");
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        let text = String::from_utf8_lossy(&bytes);
        let at = |key: &str| text.find(key).unwrap_or(usize::MAX);
        assert!(
            at("\"z\"") < at("\"a\"") && at("\"a\"") < at("\"m\""),
            "{text}"
        );
        assert!(
            at("\"scopes\"") < at("\"partner\"") && at("\"name\":\"AEON") < at("\"code\":\"aeon"),
            "{text}"
        );
        assert!(at("\"sku\"") < at("\"nameVi\""), "{text}");
    }
}

/// graphql-js's `getIntrospectionQuery()`, as GraphiQL and code generators
/// send it.
const FULL_INTROSPECTION: &str = r#"query IntrospectionQuery { __schema { queryType { name } mutationType { name } subscriptionType { name }
  types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }"#;

#[tokio::test]
async fn requests_without_a_token_are_metered_capped_and_optional() {
    let app = TestApp::with_config(|c| {
        c.anon_rate_limit_rps = 1;
        c.anon_rate_limit_burst = 5;
    })
    .await;
    // GraphiQL's own introspection fits the anonymous budget.
    let res = app.gql(None, FULL_INTROSPECTION, json!({})).await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
    // 300 aliased schemas do not.
    let many: String = (0..300)
        .map(|i| format!("s{i}: __schema {{ types {{ name fields {{ name }} }} }} "))
        .collect();
    let res = app.gql(None, &format!("{{ {many} }}"), json!({})).await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"));
    // A flood from one address is metered; partners are not touched.
    let mut limited = None;
    for _ in 0..20 {
        let res = app.gql(None, "{ __typename }", json!({})).await;
        if res.status == 429 {
            limited = Some(res);
            break;
        }
    }
    let limited = limited.expect("the anonymous flood was never limited");
    assert_eq!(limited.code(), Some("RATE_LIMITED"));
    assert!(limited.body["errors"][0]["extensions"]["retryAfterSeconds"].as_u64() >= Some(1));
    others_still_served(&app).await;

    // INTROSPECTION=authenticated: no token, no answer; partners introspect.
    let app = TestApp::with_config(|c| {
        c.introspection = Some(ocop_gateway::config::Introspection::Authenticated)
    })
    .await;
    let res = app
        .gql(None, "{ __schema { queryType { name } } }", json!({}))
        .await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (401, Some("UNAUTHENTICATED"))
    );
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ __schema { queryType { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["__schema"]["queryType"]["name"], "Query");

    // INTROSPECTION=off: nobody.
    let app =
        TestApp::with_config(|c| c.introspection = Some(ocop_gateway::config::Introspection::Off))
            .await;
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ __schema { queryType { name } } }",
            json!({}),
        )
        .await;
    assert!(
        res.body.get("errors").is_some() || res.body["data"]["__schema"].is_null(),
        "{}",
        res.body
    );
}

#[test]
fn introspection_defaults_to_public_in_development_and_authenticated_in_production() {
    use ocop_gateway::config::{Config, Environment, Introspection};
    let mut config = Config::development();
    assert_eq!(config.introspection(), Introspection::Public);
    config.env = Environment::Production;
    assert_eq!(config.introspection(), Introspection::Authenticated);
}

#[tokio::test]
async fn requests_without_a_token_never_take_partners_in_flight_slots() {
    let app = TestApp::with_config(|c| {
        c.anon_rate_limit_rps = 0;
        c.anon_max_in_flight = 1;
    })
    .await;
    let doc = "{ __schema { queryType { name } } }";
    // One anonymous request in flight holds the only anonymous slot...
    let held = app
        .state
        .anon_in_flight
        .clone()
        .try_acquire_owned()
        .expect("a free slot");
    let res = app.gql(None, doc, json!({})).await;
    assert_eq!(
        (res.status.as_u16(), res.code()),
        (503, Some("RATE_LIMITED"))
    );
    assert_eq!(
        res.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    // ...while partners keep theirs.
    others_still_served(&app).await;
    drop(held);
    let res = app.gql(None, doc, json!({})).await;
    assert_eq!(res.expect_data()["__schema"]["queryType"]["name"], "Query");
}

/// Memory is bounded in bytes: a flood of large, distinct documents (each
/// under every document limit) and of their answers keeps the caches
/// within their byte budgets, whatever the number of entries; a document
/// past the byte limit is refused before it is parsed or kept; a caller
/// without a token registers no persisted query.
#[tokio::test]
async fn caches_are_bounded_in_bytes_and_strangers_register_nothing() {
    const DOCS: usize = 1024 * 1024;
    const ANSWERS: usize = 512 * 1024;
    let app = TestApp::with_config(|c| {
        c.document_cache_bytes = DOCS;
        c.response_cache_bytes = ANSWERS;
        c.rate_limit_rps = 100_000;
        c.rate_limit_burst = 100_000;
        c.rate_limit_cost_per_sec = 10_000_000;
        c.rate_limit_cost_burst = 10_000_000;
    })
    .await;
    let token = app.token("aeon-vn", "catalog:read");
    for i in 0..200 {
        // 28 KB of text (a comment makes it distinct), a few tokens.
        let doc = format!("{{ viewer {{ scopes }} }} # {i} {}", "x".repeat(28 * 1024));
        let res = app.gql(Some(&token), &doc, json!({})).await;
        assert!(res.body.get("errors").is_none(), "{}", res.body);
        let documents = &app.state.admission.documents;
        assert!(
            documents.parsed.bytes() <= DOCS * 3 / 4,
            "parsed: {}",
            documents.parsed.bytes()
        );
        assert!(
            app.state.responses.bytes() <= ANSWERS,
            "answers: {}",
            app.state.responses.bytes()
        );
    }
    // 200 × 28 KB × 10 would be 56 MB of parsed documents unbounded.
    assert!(app.state.admission.documents.parsed.bytes() > 0);

    // Past the byte limit: refused, nothing kept.
    let before = app.state.admission.documents.parsed.bytes();
    let huge = format!("{{ viewer {{ scopes }} }} #{}", "x".repeat(40 * 1024));
    let res = app.gql(Some(&token), &huge, json!({})).await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"), "{}", res.body);
    let long_string = format!(
        "{{ productBySku(sku: \"{}\") {{ id }} }}",
        "x".repeat(9 * 1024)
    );
    let res = app.gql(Some(&token), &long_string, json!({})).await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"), "{}", res.body);
    assert!(app.state.admission.documents.parsed.bytes() <= before.max(DOCS * 3 / 4));

    // A stranger's persisted query is answered but not kept.
    let query = "{ __typename }";
    let hash = ocop_gateway::graphql::documents::hex(&ocop_gateway::graphql::documents::sha256(
        query.as_bytes(),
    ));
    let pq = |q: Option<&str>| {
        let mut body =
            json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } });
        if let Some(q) = q {
            body["query"] = json!(q);
        }
        body.to_string()
    };
    let res = app.post_raw(pq(Some(query)), &[]).await;
    assert_eq!(res.body["data"]["__typename"], "Query", "{}", res.body);
    assert_eq!(app.state.admission.documents.persisted.bytes(), 0);
    let auth = format!("Bearer {token}");
    let res = app.post_raw(pq(None), &[("authorization", &auth)]).await;
    assert_eq!(
        res.code(),
        Some("NOT_FOUND"),
        "the stranger's text was not kept: {}",
        res.body
    );
    // A partner's is.
    app.post_raw(pq(Some(query)), &[("authorization", &auth)])
        .await;
    let res = app.post_raw(pq(None), &[("authorization", &auth)]).await;
    assert_eq!(res.body["data"]["__typename"], "Query", "{}", res.body);
}
