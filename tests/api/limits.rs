//! Oversized bodies, over-deep and over-costly queries, malformed JSON and
//! oversized batches are refused before they reach the database, and the
//! server keeps serving.

use serde_json::json;

use crate::helpers::*;

const SKUS: &str = "{ products(first: 2) { edges { node { sku } } } }";

async fn still_serves(app: &TestApp) {
    let res = app.gql_as("aeon-vn", "catalog:read", SKUS, json!({})).await;
    assert_eq!(
        res.expect_data()["products"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let app = TestApp::with_config(|c| c.max_body_bytes = 4096).await;
    let token = app.token("aeon-vn", "catalog:read");
    let padding = " ".repeat(5000);
    let body = json!({ "query": format!("{{ locations {{ code }} {padding} }}") }).to_string();
    app.reset_statements();
    let auth = format!("Bearer {token}");
    let res = app
        .post_raw(body, &[("authorization", auth.as_str())])
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    assert_eq!(app.statement_count(), 0);
    still_serves(&app).await;
}

#[tokio::test]
async fn malformed_json_and_bad_batches_are_bad_user_input() {
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", "catalog:read");
    let auth = format!("Bearer {token}");
    let headers = [("authorization", auth.as_str())];
    for body in ["{not json", "[]", "42", "{\"query\": 5}"] {
        let res = app.post_raw(body.to_owned(), &headers).await;
        assert_eq!(res.status, 400, "{body}");
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{body}");
    }
    let one = json!({ "query": "{ locations { code } }" });
    let res = app.post_raw(json!([one, one]).to_string(), &headers).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body.as_array().map(Vec::len), Some(2));
    let too_many = json!([one, one, one, one, one, one]).to_string();
    let res = app.post_raw(too_many, &headers).await;
    assert_eq!(res.status, 400);
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    still_serves(&app).await;
}

#[tokio::test]
async fn syntax_and_validation_errors_are_bad_user_input() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ products(first: 1) { edges ",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    let res = app
        .gql_as("aeon-vn", "catalog:read", "{ noSuchField }", json!({}))
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "query($n: Int) { products(first: $n) { totalCount } }",
            json!({ "n": "x" }),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn over_deep_queries_are_refused() {
    let app = TestApp::with_config(|c| c.max_query_depth = 5).await;
    let deep = "{ products(first: 1) { edges { node { stock { location { code } } } } } }";
    app.reset_statements();
    let res = app
        .gql_as("aeon-vn", "catalog:read inventory:read", deep, json!({}))
        .await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"));
    assert!(res.data().is_null());
    assert_eq!(app.statement_count(), 1, "only the partner lookup ran");
    still_serves(&app).await;
}

#[tokio::test]
async fn connection_cost_grows_with_first() {
    let app = TestApp::with_config(|c| c.max_query_complexity = 500).await;
    let query = "query($n: Int) { products(first: $n) { edges { node { sku nameVi nameEn stars unit } } } }";
    let small = app
        .gql_as("aeon-vn", "catalog:read", query, json!({ "n": 10 }))
        .await;
    assert_eq!(
        small.expect_data()["products"]["edges"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
    let large = app
        .gql_as("aeon-vn", "catalog:read", query, json!({ "n": 100 }))
        .await;
    assert_eq!(large.code(), Some("QUERY_TOO_COMPLEX"));
    still_serves(&app).await;
}

#[tokio::test]
async fn page_size_is_bounded() {
    let app = TestApp::new().await;
    for n in [-1, 101] {
        let res = app
            .gql_as(
                "aeon-vn",
                "catalog:read",
                "query($n: Int) { products(first: $n) { totalCount } }",
                json!({ "n": n }),
            )
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "first: {n}");
    }
}

#[tokio::test]
async fn one_partner_flooding_is_rate_limited_without_harming_another() {
    let app = TestApp::with_config(|c| {
        c.rate_limit_rps = 1;
        c.rate_limit_burst = 3;
        // The "no SQL" check below needs the partner record still cached;
        // an hour-long TTL keeps it so however slow the machine.
        c.partner_cache_ttl_ms = 3_600_000;
    })
    .await;
    let flooder = app.token("winmart", "catalog:read");
    let mut limited = None;
    for _ in 0..10 {
        let res = app.gql(Some(&flooder), SKUS, json!({})).await;
        if res.status == 429 {
            limited = Some(res);
            break;
        }
    }
    let res = limited.expect("the flood was never limited");
    assert_eq!(res.code(), Some("RATE_LIMITED"));
    let retry_after: u64 = res.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!(
        res.body["errors"][0]["extensions"]["retryAfterSeconds"],
        json!(retry_after),
        "the same wait in the body as in the header"
    );
    // Refused before the database: the partner lookup never ran.
    app.reset_statements();
    assert_eq!(app.gql(Some(&flooder), SKUS, json!({})).await.status, 429);
    assert_eq!(app.statement_count(), 0);
    // Another partner is served normally.
    still_serves(&app).await;
}

fn retry_after(res: &GqlResponse) -> u64 {
    res.headers["retry-after"]
        .to_str()
        .ok()
        .and_then(|v| v.parse().ok())
        .expect("Retry-After")
}

#[tokio::test]
async fn a_partners_own_request_rate_overrides_the_default() {
    let app = TestApp::with_config(|c| {
        c.rate_limit_rps = 1_000;
        c.rate_limit_burst = 1_000;
    })
    .await;
    app.exec("UPDATE partner SET rate_limit_rps = 1 WHERE code = 'winmart'")
        .await;
    let winmart = app.token("winmart", "catalog:read");
    let aeon = app.token("aeon-vn", "catalog:read");
    let mut statuses = Vec::new();
    let started = std::time::Instant::now();
    for _ in 0..6 {
        statuses.push(app.gql(Some(&winmart), SKUS, json!({})).await.status);
        // The neighbour, on the default rate, is never limited.
        let res = app.gql(Some(&aeon), SKUS, json!({})).await;
        assert_eq!(res.status, 200);
        assert!(res.body.get("errors").is_none(), "{}", res.body);
    }
    // A burst of two seconds' worth (2) and one refill a second: however
    // slow the machine, no more got through than the burst plus what
    // refilled while the loop ran, and the first two always did.
    let elapsed = started.elapsed().as_secs_f64();
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert_eq!(statuses[..2], [200, 200], "{statuses:?}");
    assert!(
        served <= 2 + elapsed.ceil() as usize,
        "{served} served in {elapsed:.2} s: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    // That the third request within a second is refused is shown on an
    // injected clock, without depending on this loop's speed
    // (`rate_limit::tests::requests_beyond_the_burst_wait_for_the_refill`).
}

#[tokio::test]
async fn costly_queries_spend_a_separate_budget_and_are_refused_before_running() {
    let app = TestApp::with_config(|c| {
        c.rate_limit_rps = 1_000;
        c.rate_limit_burst = 1_000;
        c.rate_limit_cost_per_sec = 100_000;
        c.max_query_complexity = 1_000;
        // "Refused before any SQL" needs the partner record cached.
        c.partner_cache_ttl_ms = 3_600_000;
    })
    .await;
    // One cost unit a second: the bucket holds only its floor, the
    // complexity limit (1,000), and refills far slower than it drains.
    app.exec("UPDATE partner SET query_cost_per_sec = 1 WHERE code = 'winmart'")
        .await;
    let costly = "{ products(first: 40) { edges { node { sku producer { name } } } } }";
    let winmart = app.token("winmart", "catalog:read orders:write");
    // A valid order, prepared before the budget runs out.
    let store = store_of(&app, "winmart").await;
    let product = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ products(first: 1, filter: { orderable: true }) { nodes { id minOrderQuantity } } }",
            json!({}),
        )
        .await
        .expect_data()["products"]["nodes"][0]
        .clone();
    let order = json!({ "input": {
        "idempotencyKey": "cost-1",
        "buyerReference": "PO-cost-1",
        "storeId": store,
        "requestedDeliveryDate": (chrono::Utc::now().date_naive() + chrono::Days::new(1)).to_string(),
        "lines": [{ "productId": product["id"], "quantity": product["minOrderQuantity"] }],
    }});
    let mut served = 0;
    let limited = loop {
        let res = app.gql(Some(&winmart), costly, json!({})).await;
        if res.status == 429 {
            break res;
        }
        assert!(res.body.get("errors").is_none(), "{}", res.body);
        served += 1;
        assert!(served < 100, "the cost budget never ran out");
    };
    // Cheap requests would still be admitted by the request rate alone.
    assert!(served >= 2, "{served}");
    assert_eq!(limited.code(), Some("RATE_LIMITED"));
    assert!(retry_after(&limited) >= 1);

    // Drain what is left with cheap queries, then a refused mutation
    // writes nothing: it never reaches its resolver.
    let cheap = "{ viewer { partner { code } } }";
    for _ in 0..100 {
        if app.gql(Some(&winmart), cheap, json!({})).await.status == 429 {
            break;
        }
    }
    let orders = app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await;
    app.reset_statements();
    let res = app
        .gql(
            Some(&winmart),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { replayed order { id status } } }",
            order.clone(),
        )
        .await;
    assert_eq!(res.status, 429, "{}", res.body);
    assert_eq!(app.statement_count(), 0);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await,
        orders
    );
    // Another partner, on the default budget, is served.
    still_serves(&app).await;
}

#[tokio::test]
async fn beyond_the_in_flight_limit_requests_are_shed_at_once() {
    let app = TestApp::with_config(|c| c.max_in_flight = 1).await;
    let token = app.token("aeon-vn", "catalog:read");
    // Polled together on one task: the first holds the only permit while it
    // waits on the database, so the others find none.
    let responses =
        futures_util::future::join_all((0..8).map(|_| app.gql(Some(&token), SKUS, json!({}))))
            .await;
    let shed: Vec<_> = responses.iter().filter(|r| r.status == 503).collect();
    let served = responses.iter().filter(|r| r.status == 200).count();
    assert!(served >= 1, "nothing was served");
    assert!(!shed.is_empty(), "nothing was shed");
    for res in shed {
        assert_eq!(res.code(), Some("RATE_LIMITED"));
        assert_eq!(retry_after(res), 1);
    }
    // The permit comes back: the gateway serves again.
    still_serves(&app).await;
}
