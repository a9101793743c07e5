//! Reports for dashboards: sales by period and dimension in local business
//! days, fulfilment, low stock, and the CSV export; partner scoping.

use ocop_gateway::domain::rollup;
use serde_json::{Value, json};

use crate::helpers::*;

const SALES: &str = "query($from: Date!, $to: Date!, $g: SalesGroupBy!, $p: ID) { salesReport(from: $from, to: $to, groupBy: $g, partnerId: $p) { key label orders units revenue } }";
const FULFILMENT: &str = "query($from: Date!, $to: Date!, $p: ID) { fulfillmentReport(from: $from, to: $to, partnerId: $p) { orders unitsOrdered unitsAccepted unitsShipped unitsDelivered fillRate lineFillRate onTimeRate cancelRate leadTimeHours { placedToConfirmed { p50 p90 } placedToDelivered { p50 p90 } } } }";

/// Today as a local business day (UTC+7).
fn local_today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(7)).date_naive()
}

async fn sales(app: &TestApp, partner: &str, from: &str, to: &str, group: &str) -> Vec<Value> {
    let scopes = if partner == "hanoi-ocop-hub" {
        OPERATOR_SCOPES
    } else {
        "reports:read"
    };
    app.gql_as(
        partner,
        scopes,
        SALES,
        json!({ "from": from, "to": to, "g": group }),
    )
    .await
    .expect_data()["salesReport"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Places an order for `partner`: (order id, units, total).
async fn place(app: &TestApp, partner: &str, key: &str, times: i64) -> (Value, i64, i64) {
    let store = store_of(app, partner).await;
    let (product, moq, price) = products(app, 1).await[0].clone();
    let res = app
        .gql_as(
            partner,
            ALL_RETAIL_SCOPES,
            PLACE,
            input(key, &store, vec![(product, moq * times)]),
        )
        .await;
    (
        res.expect_data()["placeOrder"]["order"]["id"].clone(),
        moq * times,
        moq * times * price,
    )
}

fn order_pk(id: &Value) -> i64 {
    ocop_gateway::ids::decode(
        ocop_gateway::ids::Kind::Order,
        &async_graphql::ID(id.as_str().unwrap_or_default().into()),
        "id",
    )
    .expect("order id")
}

#[tokio::test]
async fn sales_move_with_orders_and_cancellations() {
    let app = TestApp::new().await;
    let today = local_today().to_string();
    assert!(
        sales(&app, "aeon-vn", &today, &today, "DAY")
            .await
            .is_empty()
    );
    let (id, units, total) = place(&app, "aeon-vn", "r-1", 2).await;
    let rows = sales(&app, "aeon-vn", &today, &today, "DAY").await;
    assert_eq!(
        rows,
        vec![
            json!({ "key": today, "label": local_today().format("%d/%m/%Y").to_string(), "orders": 1, "units": units, "revenue": total })
        ]
    );
    // Another chain's order is not in AEON's report, but is in the operator's.
    place(&app, "winmart", "r-2", 1).await;
    assert_eq!(
        sales(&app, "aeon-vn", &today, &today, "DAY").await[0]["orders"],
        1
    );
    assert_eq!(
        sales(&app, "hanoi-ocop-hub", &today, &today, "DAY").await[0]["orders"],
        2
    );
    let by_partner = sales(&app, "hanoi-ocop-hub", &today, &today, "PARTNER").await;
    let keys: Vec<&str> = by_partner
        .iter()
        .filter_map(|r| r["key"].as_str())
        .collect();
    assert!(
        keys.contains(&"aeon-vn") && keys.contains(&"winmart"),
        "{by_partner:?}"
    );

    // Cancelling takes it out at once.
    app.gql_as(
        "aeon-vn",
        ALL_RETAIL_SCOPES,
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await
    .expect_data();
    assert!(
        sales(&app, "aeon-vn", &today, &today, "DAY")
            .await
            .is_empty()
    );

    // Every grouping answers with the same totals.
    let (_, _, total) = place(&app, "aeon-vn", "r-3", 3).await;
    for group in [
        "DAY", "WEEK", "MONTH", "PRODUCT", "CATEGORY", "PROVINCE", "PARTNER", "LOCATION", "STORE",
    ] {
        let rows = sales(&app, "aeon-vn", &today, &today, group).await;
        let revenue: i64 = rows.iter().filter_map(|r| r["revenue"].as_i64()).sum();
        assert_eq!(revenue, total, "{group}: {rows:?}");
        assert!(
            rows.iter()
                .all(|r| r["label"].as_str().is_some_and(|l| !l.is_empty())),
            "{group}: {rows:?}"
        );
    }
    let week = sales(&app, "aeon-vn", &today, &today, "WEEK").await;
    let iso = chrono::Datelike::iso_week(&local_today());
    assert_eq!(week[0]["key"], format!("{}-W{:02}", iso.year(), iso.week()));
    // `first` keeps the top rows; 0 is refused.
    let top = "query($d: Date!, $n: Int) { salesReport(from: $d, to: $d, groupBy: PRODUCT, first: $n) { key revenue } }";
    let all = sales(&app, "aeon-vn", &today, &today, "PRODUCT").await;
    let one = app
        .gql_as(
            "aeon-vn",
            "reports:read",
            top,
            json!({ "d": today, "n": 1 }),
        )
        .await;
    assert_eq!(
        one.expect_data()["salesReport"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(one.expect_data()["salesReport"][0]["key"], all[0]["key"]);
    let zero = app
        .gql_as(
            "aeon-vn",
            "reports:read",
            top,
            json!({ "d": today, "n": 0 }),
        )
        .await;
    assert_eq!(zero.code(), Some("BAD_USER_INPUT"));
    let category = sales(&app, "aeon-vn", &today, &today, "CATEGORY").await;
    assert_eq!(category[0]["key"], "HANDICRAFTS_SOUVENIRS");
    assert_consistent(&app).await;
}

#[tokio::test]
async fn days_are_local_and_ranges_span_months() {
    let app = TestApp::new().await;
    let (late, _, late_total) = place(&app, "hapro", "r-late", 1).await;
    let (march, _, march_total) = place(&app, "hapro", "r-march", 2).await;
    // 23:30 UTC on 2026-01-31 is 06:30 on 1 February in Hà Nội.
    let at = |id: &Value, when: &str| {
        format!(
            "UPDATE purchase_order SET created_at = '{when}' WHERE id = {}",
            order_pk(id)
        )
    };
    let (late_at, march_at) = match backend() {
        Backend::Sqlite => ("2026-01-31T23:30:00+00:00", "2026-03-02T03:00:00+00:00"),
        Backend::Postgres => ("2026-01-31 23:30:00+00", "2026-03-02 03:00:00+00"),
    };
    app.exec(&at(&late, late_at)).await;
    app.exec(&at(&march, march_at)).await;
    // Moving orders behind the domain's back leaves the rollups stale, and
    // `check` says so; rebuilding them files the orders under their new days.
    assert!(!rollup::verify(&app.db).await.expect("verify").is_empty());
    rollup::rebuild(&app.db).await.expect("rebuild");
    assert_eq!(rollup::verify(&app.db).await.expect("verify"), vec![]);
    let days = sales(&app, "hapro", "2026-01-31", "2026-02-01", "DAY").await;
    assert_eq!(days.len(), 1, "{days:?}");
    assert_eq!(days[0]["key"], "2026-02-01");
    assert_eq!(days[0]["revenue"], late_total);
    let months = sales(&app, "hapro", "2026-01-01", "2026-03-31", "MONTH").await;
    let keys: Vec<&str> = months.iter().filter_map(|r| r["key"].as_str()).collect();
    assert_eq!(keys, ["2026-02", "2026-03"]);
    assert_eq!(months[0]["label"], "Tháng 2/2026");
    assert_eq!(months[1]["revenue"], march_total);
    assert!(
        sales(&app, "hapro", "2026-01-01", "2026-01-31", "DAY")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn fulfilment_follows_acknowledgement_shipment_and_delivery() {
    let app = TestApp::new().await;
    let (id, units, _) = place(&app, "central-retail", "r-f", 4).await;
    let today = local_today().to_string();
    let report = || {
        let today = today.clone();
        let app = &app;
        async move {
            app.gql_as(
                "central-retail",
                "reports:read",
                FULFILMENT,
                json!({ "from": today, "to": today }),
            )
            .await
            .expect_data()["fulfillmentReport"]
                .clone()
        }
    };
    let r = report().await;
    assert_eq!(
        (r["orders"].as_i64(), r["unitsOrdered"].as_i64()),
        (Some(1), Some(units))
    );
    assert_eq!(r["fillRate"], 0.0);
    let hub = |q: &'static str, vars: Value| app.gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, q, vars);
    let line = hub(
        "query($id: ID!) { order(id: $id) { lines { id } } }",
        json!({ "id": id }),
    )
    .await
    .expect_data()["order"]["lines"][0]["id"]
        .clone();
    hub("mutation($id: ID!, $l: ID!, $n: Int!) { confirmOrder(id: $id, input: { lines: [{ lineId: $l, acceptedQuantity: $n }] }) { status } }",
        json!({ "id": id, "l": line, "n": units / 2 })).await.expect_data();
    hub(
        "mutation($id: ID!) { shipOrder(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await
    .expect_data();
    hub("mutation($id: ID!, $l: ID!, $n: Int!) { deliverOrder(id: $id, input: { lines: [{ lineId: $l, receivedQuantity: $n }] }) { status } }",
        json!({ "id": id, "l": line, "n": units / 2 - 1 })).await.expect_data();
    let r = report().await;
    assert_eq!(r["unitsAccepted"], units / 2);
    assert_eq!(r["unitsShipped"], units / 2);
    assert_eq!(r["unitsDelivered"], units / 2 - 1);
    assert_eq!(r["fillRate"], 0.5);
    assert_eq!(r["lineFillRate"], 0.0);
    assert_eq!(r["onTimeRate"], 1.0);
    assert_eq!(r["cancelRate"], 0.0);
    assert!(
        r["leadTimeHours"]["placedToConfirmed"]["p50"]
            .as_f64()
            .is_some_and(|h| h >= 0.0)
    );
    assert!(
        r["leadTimeHours"]["placedToDelivered"]["p90"]
            .as_f64()
            .is_some()
    );
    // Sales count the accepted units once acknowledged.
    let rows = sales(&app, "central-retail", &today, &today, "DAY").await;
    assert_eq!(rows[0]["units"], units / 2);
}

#[tokio::test]
async fn reports_are_scoped_validated_and_costed() {
    let app = TestApp::new().await;
    place(&app, "aeon-vn", "r-s", 1).await;
    let today = local_today().to_string();
    let winmart = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'winmart'")
        .await;
    let winmart = ocop_gateway::ids::encode(ocop_gateway::ids::Kind::Partner, winmart).0;
    let res = app
        .gql_as(
            "aeon-vn",
            "reports:read",
            SALES,
            json!({ "from": today, "to": today, "g": "DAY", "p": winmart }),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            SALES,
            json!({ "from": today, "to": today, "g": "DAY", "p": winmart }),
        )
        .await;
    assert_eq!(
        res.expect_data()["salesReport"],
        json!([]),
        "the operator picks a partner"
    );
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            SALES,
            json!({ "from": today, "to": today, "g": "DAY" }),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"), "needs reports:read");
    for (from, to) in [("2026-02-01", "2026-01-01"), ("2024-01-01", "2026-01-01")] {
        let res = app
            .gql_as(
                "aeon-vn",
                "reports:read",
                SALES,
                json!({ "from": from, "to": to, "g": "DAY" }),
            )
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{from}..{to}");
    }
    // A year of days costs more than a day; with a small budget it is refused.
    let app = TestApp::with_config(|c| c.max_query_complexity = 300).await;
    let res = app
        .gql_as(
            "aeon-vn",
            "reports:read",
            SALES,
            json!({ "from": "2026-01-01", "to": "2026-12-31", "g": "PRODUCT" }),
        )
        .await;
    assert_eq!(res.code(), Some("QUERY_TOO_COMPLEX"));
    let res = app
        .gql_as(
            "aeon-vn",
            "reports:read",
            SALES,
            json!({ "from": "2026-01-01", "to": "2026-01-07", "g": "PRODUCT" }),
        )
        .await;
    assert!(res.body.get("errors").is_none(), "{}", res.body);
}

#[tokio::test]
async fn low_stock_ranks_by_days_of_cover() {
    let app = TestApp::new().await;
    place(&app, "aeon-vn", "r-low", 5).await;
    let q = "query($max: Int) { lowStock(maxDaysOfCover: $max) { product { sku } location { code } available dailyUnits daysOfCover } }";
    let rows = app
        .gql_as("aeon-vn", "reports:read catalog:read", q, json!({}))
        .await
        .expect_data()["lowStock"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!rows.is_empty());
    let row = &rows[0];
    let (available, daily) = (
        row["available"].as_f64().unwrap_or(0.0),
        row["dailyUnits"].as_f64().unwrap_or(0.0),
    );
    assert!(daily > 0.0);
    let cover = row["daysOfCover"].as_f64().unwrap_or(-1.0);
    // dailyUnits is rounded to 0.01 for display; cover from the exact rate.
    assert!((cover - available / daily).abs() / cover < 0.02, "{row}");
    let covers: Vec<f64> = rows
        .iter()
        .filter_map(|r| r["daysOfCover"].as_f64())
        .collect();
    assert!(
        covers.windows(2).all(|w| w[0] <= w[1]),
        "least cover first: {covers:?}"
    );
    let none = app
        .gql_as(
            "aeon-vn",
            "reports:read catalog:read",
            q,
            json!({ "max": (cover as i64) - 1 }),
        )
        .await;
    assert!(none.expect_data()["lowStock"].as_array().is_some_and(|r| {
        r.iter()
            .all(|x| x["daysOfCover"].as_f64() <= Some(cover - 1.0))
    }));
}

#[tokio::test]
async fn sales_export_as_csv_with_the_same_numbers() {
    let app = TestApp::new().await;
    let (_, units, total) = place(&app, "aeon-vn", "r-csv", 2).await;
    let today = local_today().to_string();
    let token = app.token("aeon-vn", "reports:read");
    let request = axum::http::Request::get(format!(
        "/reports/sales.csv?from={today}&to={today}&groupBy=PRODUCT"
    ))
    .header("authorization", format!("Bearer {token}"))
    .body(axum::body::Body::empty())
    .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("router never fails");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("body");
    assert!(
        bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
        "UTF-8 byte-order mark for Excel"
    );
    let text = String::from_utf8_lossy(&bytes[3..]).into_owned();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "key,label,orders,units,revenue_vnd");
    assert!(lines[1].ends_with(&format!(",1,{units},{total}")), "{text}");
    assert!(
        lines[1].contains("Bình hoa sen"),
        "Vietnamese label: {text}"
    );
    // Same auth and scope as the API.
    let request = axum::http::Request::get(format!("/reports/sales.csv?from={today}&to={today}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("router");
    assert_eq!(response.status(), 401);
    let token = app.token("aeon-vn", "catalog:read");
    let request = axum::http::Request::get(format!("/reports/sales.csv?from={today}&to={today}"))
        .header("authorization", format!("Bearer {token}"))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("router");
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn low_stock_is_computed_once_per_cache_period_for_each_partner() {
    let app = TestApp::with_config(|c| c.report_cache_ms = 60_000).await;
    place(&app, "aeon-vn", "r-cache", 5).await;
    let q = "{ lowStock { available daysOfCover } }";
    let first = app
        .gql_as("aeon-vn", "reports:read", q, json!({}))
        .await
        .expect_data()
        .clone();
    assert!(first["lowStock"].as_array().is_some_and(|r| !r.is_empty()));
    // The same partner with another token (so no kept HTTP answer serves
    // it), within the period: the same answer, and the report's own
    // statements do not run again (the partner's record is read once).
    app.reset_statements();
    let second = app
        .gql_as("aeon-vn", "reports:read catalog:read", q, json!({}))
        .await
        .expect_data()
        .clone();
    assert_eq!(second, first);
    assert!(app.statement_count() <= 1, "{}", app.statement_count());
    // Another partner's velocity is its own: aeon's order is not in it.
    let other = app
        .gql_as("winmart", "reports:read", q, json!({}))
        .await
        .expect_data()
        .clone();
    assert_ne!(other, first);
}

/// The CSV export is `salesReport` selecting every column, and costs what
/// that query costs: a partner cannot dodge its query-cost budget by
/// fetching reports as spreadsheets.
#[tokio::test]
async fn the_sales_csv_is_charged_the_reports_query_cost() {
    let app = TestApp::with_config(|c| {
        c.max_query_complexity = 1_000;
        c.rate_limit_cost_per_sec = 1;
        c.rate_limit_cost_burst = 1;
    })
    .await;
    let token = app.token("aeon-vn", "reports:read");
    let auth = format!("Bearer {token}");
    let to = local_today();
    let from = to - chrono::Days::new(399);
    // 400 days: 10 + 400 × 2 + 5 columns = 815 of the 1,000 burst.
    let path = format!("/reports/sales.csv?from={from}&to={to}");
    let (status, _, body) = app.get_with(&path, &[("authorization", &auth)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, headers, body) = app.get_with(&path, &[("authorization", &auth)]).await;
    assert_eq!(status, 429, "{body}");
    assert!(body.contains("RATE_LIMITED"), "{body}");
    assert!(headers.contains_key("retry-after"));
}

/// `lowStock`'s daily units are the caller's own sales: a chain never sees
/// another chain's stock velocity; the operator sees everyone's.
#[tokio::test]
async fn low_stock_velocity_is_the_callers_own_sales() {
    let app = TestApp::with_config(|c| c.report_cache_ms = 0).await;
    let q = "{ lowStock { product { id } location { code } dailyUnits } }";
    let units_of = |partner: &'static str, product: Value, location: Value| {
        let app = &app;
        async move {
            let scopes = if partner == "hanoi-ocop-hub" {
                OPERATOR_SCOPES
            } else {
                "reports:read"
            };
            app.gql_as(partner, scopes, q, json!({}))
                .await
                .expect_data()["lowStock"]
                .as_array()
                .and_then(|rows| {
                    rows.iter()
                        .find(|r| {
                            r["product"]["id"] == product && r["location"]["code"] == location
                        })
                        .and_then(|r| r["dailyUnits"].as_f64())
                })
                .unwrap_or(0.0)
        }
    };
    let store = store_of(&app, "aeon-vn").await;
    let (product, moq, _) = products(&app, 1).await[0].clone();
    let quantity = moq * 28;
    let placed = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("velocity-1", &store, vec![(product.clone(), quantity)]),
        )
        .await;
    let location = placed.expect_data()["placeOrder"]["order"]["lines"][0]["allocations"][0]["location"]["code"].clone();
    let aeon = units_of("aeon-vn", product.clone(), location.clone()).await;
    let winmart = units_of("winmart", product.clone(), location.clone()).await;
    let everyone = units_of("hanoi-ocop-hub", product.clone(), location.clone()).await;
    assert!(
        aeon >= moq as f64,
        "aeon's own {quantity} units over 28 days: {aeon}"
    );
    assert!(
        winmart < aeon,
        "winmart sees none of aeon's sales: {winmart} against {aeon}"
    );
    assert!(everyone >= aeon, "the operator sees all: {everyone}");
}

/// Sums stay exact or are refused: a revenue past 2^53 - 1 đồng (which no
/// JSON client reads exactly) or past a 64-bit integer (an overflow in the
/// database) is BAD_USER_INPUT naming the window, never a rounded number
/// or an INTERNAL error. The rollup rows are inflated by hand: no real
/// order can carry such amounts.
#[tokio::test]
async fn report_sums_past_the_exact_range_are_refused_not_rounded() {
    let app = TestApp::new().await;
    place(&app, "aeon-vn", "huge-1", 1).await;
    let today = local_today().to_string();
    let report = |g: &'static str| {
        let (app, today) = (&app, today.clone());
        async move {
            app.gql_as(
                "aeon-vn",
                "reports:read",
                SALES,
                json!({ "from": today, "to": today, "g": g }),
            )
            .await
        }
    };
    // Exactly the largest exact amount: served as it is.
    app.exec("UPDATE sales_rollup SET revenue = 9007199254740991 WHERE dim = 'product'")
        .await;
    let res = report("PRODUCT").await;
    assert_eq!(
        res.expect_data()["salesReport"][0]["revenue"].as_i64(),
        Some(9_007_199_254_740_991)
    );
    // Two such rows in one day: past it.
    let day = app
        .scalar_i64("SELECT COUNT(*) FROM sales_rollup WHERE dim = 'store'")
        .await;
    assert!(day >= 1);
    app.exec("UPDATE sales_rollup SET revenue = 9007199254740991 WHERE dim = 'store'")
        .await;
    place(&app, "aeon-vn", "huge-2", 1).await;
    app.exec("UPDATE sales_rollup SET revenue = 6000000000000000000 WHERE dim = 'store'")
        .await;
    for g in ["DAY", "MONTH", "STORE"] {
        let res = report(g).await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{g}: {}", res.body);
        assert_eq!(res.body["errors"][0]["extensions"]["field"], "to", "{g}");
    }
    // Two partners' rows whose sum passes a 64-bit integer: the operator's
    // day is refused the same way (it was an overflow in the database).
    place(&app, "winmart", "huge-3", 1).await;
    app.exec("UPDATE sales_rollup SET revenue = 6000000000000000000 WHERE dim = 'store'")
        .await;
    assert!(
        app.scalar_i64("SELECT COUNT(*) FROM sales_rollup WHERE dim = 'store'")
            .await
            >= 2
    );
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            SALES,
            json!({ "from": today, "to": today, "g": "DAY" }),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
}
