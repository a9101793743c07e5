//! The demo catalogue is what the contract promises (four chains, the operator, 60+ products), and loading it twice changes nothing.

use ocop_gateway::seed;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn seeding_twice_changes_nothing() {
    let app = TestApp::new().await;
    let before = (
        app.scalar_i64("SELECT COUNT(*) FROM product").await,
        app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await,
        app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
            .await,
    );
    let report = seed::seed_demo(&app.state.db).await.expect("seed");
    assert!(report.is_empty(), "second seed inserted {report:?}");
    let after = (
        app.scalar_i64("SELECT COUNT(*) FROM product").await,
        app.scalar_i64("SELECT COUNT(*) FROM stock_movement").await,
        app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
            .await,
    );
    assert_eq!(before, after);
}

#[tokio::test]
async fn demo_data_matches_the_spec() {
    let app = TestApp::new().await;
    assert!(app.scalar_i64("SELECT COUNT(*) FROM product").await >= 60);
    assert!(app.scalar_i64("SELECT COUNT(*) FROM producer").await >= 12);
    assert!(
        app.scalar_i64("SELECT COUNT(DISTINCT province) FROM producer")
            .await
            >= 5
    );
    assert_eq!(
        app.scalar_i64("SELECT COUNT(DISTINCT category) FROM product")
            .await,
        6
    );
    assert!(app.scalar_i64("SELECT COUNT(*) FROM location").await >= 3);
    assert_eq!(
        app.scalar_i64(
            "SELECT COUNT(*) FROM product p WHERE (SELECT COUNT(*) FROM inventory_level i WHERE i.product_id = p.id) < 3"
        )
        .await,
        0,
        "every product is stocked at three or more locations"
    );
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ viewer { partner { code kind } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["viewer"]["partner"]["kind"], "OPERATOR");
    for partner in ["aeon-vn", "winmart", "central-retail", "hapro"] {
        let res = app
            .gql_as(
                partner,
                "catalog:read",
                "{ viewer { partner { stores { code } } } }",
                json!({}),
            )
            .await;
        assert!(
            res.expect_data()["viewer"]["partner"]["stores"]
                .as_array()
                .map_or(0, Vec::len)
                >= 2,
            "{partner}"
        );
    }
    // Ledger and levels agree from the start.
    assert_eq!(
        app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
            .await,
        app.scalar_i64("SELECT SUM(on_hand_delta) FROM stock_movement")
            .await
    );
    let res = app
        .gql_as(
            "aeon-vn",
            "catalog:read",
            "{ products(first: 100) { edges { node { nameVi gtin } } } }",
            json!({}),
        )
        .await;
    let names: Vec<String> = res.expect_data()["products"]["edges"]
        .as_array()
        .map(|e| {
            e.iter()
                .filter_map(|x| x["node"]["nameVi"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert!(names.iter().any(|n| n == "Bình hoa sen men rạn Bát Tràng"));
    assert!(
        names
            .iter()
            .any(|n| n.contains("Nước mắm") && n.contains("Ba Làng"))
    );
    for edge in res.expect_data()["products"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if let Some(gtin) = edge["node"]["gtin"].as_str() {
            assert!(ocop_gateway::domain::gtin::is_valid(gtin), "{gtin}");
        }
    }
}

#[tokio::test]
async fn a_synthetic_scale_loads_consistently_and_only_once() {
    let app = TestApp::new().await;
    // The city scale's code path at a tenth of its size, to keep the suite fast.
    let city = seed::scale::Scale::City.sizes().expect("city has sizes");
    let sizes = seed::scale::Sizes {
        producers: city.producers / 10,
        products: city.products / 10,
        partners: 4,
        orders: city.orders / 10,
        ..city
    };
    let report = seed::scale::seed_scale(&app.db, sizes).await.expect("seed");
    assert_eq!(report.products, sizes.products as u64);
    assert_eq!(report.orders, sizes.orders as u64);
    // Every synthetic product is stocked at every synthetic location.
    assert_eq!(report.stock_rows, (sizes.products * sizes.locations) as u64);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM store WHERE code LIKE 'C%-S%'")
            .await,
        (sizes.partners * sizes.stores_per_partner) as i64
    );
    assert_eq!(
        ocop_gateway::domain::inventory::check_invariants(&app.db)
            .await
            .expect("check"),
        vec![]
    );
    let again = seed::scale::seed_scale(&app.db, sizes)
        .await
        .expect("seed again");
    assert!(again.skipped);
    // The API serves the new data: a synthetic partner can read it.
    let res = app
        .gql_as(
            "chain-001",
            "catalog:read",
            "query($q: String!) { products(first: 5, filter: { search: $q }) { edges { node { sku } } } }",
            json!({ "q": "mat ong" }),
        )
        .await;
    let edges = res.expect_data()["products"]["edges"].as_array().cloned();
    assert!(edges.is_some_and(|e| !e.is_empty()), "{}", res.body);
}
