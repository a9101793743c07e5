//! Bulk: the hub's catalogue sheets in (`POST /catalog/import`), the
//! catalogue out (`GET /catalog/export.jsonl|.csv`), and a buyer's order
//! sheet placed in one upload (`POST /orders/import`), through the router
//! on both databases.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use ocop_gateway::domain::catalog::Audience;
use ocop_gateway::domain::catalog::export::{self, Scope};
use serde_json::{Value, json};

use crate::helpers::{
    ALL_RETAIL_SCOPES, GqlResponse, OPERATOR_SCOPES, PRODUCER_SCOPES, TestApp, assert_consistent,
    producer_partner, producers, tomorrow,
};

const HUB: &str = "hanoi-ocop-hub";

async fn upload(app: &TestApp, path: &str, token: &str, sheet: impl Into<Body>) -> GqlResponse {
    let request = Request::post(path)
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "text/csv")
        .body(sheet.into())
        .expect("request");
    app.send(request).await
}

async fn import_as(app: &TestApp, token: &str, query: &str, sheet: &str) -> GqlResponse {
    let path = format!("/catalog/import{query}");
    upload(app, &path, token, sheet.to_owned()).await
}

fn hub_token(app: &TestApp) -> String {
    app.token(HUB, OPERATOR_SCOPES)
}

/// The catalogue sheet's header, in the template's order.
const HEADER: &str =
    "sku,producerCode,nameVi,nameEn,category,unit,packSize,wholesalePrice,minOrderQuantity";

fn row(sku: &str, name: &str) -> String {
    format!("{sku},HTX-GOM-BATTRANG,{name},Vase,HANDICRAFTS_SOUVENIRS,chiếc,4,\"450,000\",4")
}

async fn product_count(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT COUNT(*) FROM product").await
}

async fn by_sku(app: &TestApp, sku: &str) -> Value {
    app.gql_as(
        HUB,
        OPERATOR_SCOPES,
        "query($s: String!) { productBySku(sku: $s) { id sku nameVi wholesalePrice packSize version netContent { value unit } certificate { number stars status } producer { code } } }",
        json!({ "s": sku }),
    )
    .await
    .data()["productBySku"]
        .clone()
}

#[tokio::test]
async fn the_template_round_trips_through_an_export() {
    let app = TestApp::new().await;
    let (status, headers, template) = app.get("/catalog/import/template.csv").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/csv")
    );
    assert!(template.starts_with('\u{feff}'), "a BOM, for Excel");
    let mut lines = template.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap_or_default().to_owned();
    let example = lines.next().unwrap_or_default().to_owned();
    assert!(
        example.contains("Mật ong hoa nhãn Ba Vì"),
        "Vietnamese intact"
    );
    // The example imports as it is once the SKU is the clerk's own: its
    // producer exists here and its certificate is in force today.
    let filled = example.replace("HN-MAT-ONG-500", "BT-MAT-ONG-TEST");
    let sheet = format!("{header}\r\n{filled}\r\n");
    let token = hub_token(&app);
    let report = import_as(&app, &token, "", &sheet).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["created"], 1, "{}", report.body);
    assert_eq!(report.body["committed"], true);
    let p = by_sku(&app, "BT-MAT-ONG-TEST").await;
    assert_eq!(p["nameVi"], "Mật ong hoa nhãn Ba Vì");
    assert_eq!(p["wholesalePrice"], 120_000);
    assert_eq!(p["netContent"], json!({ "value": 0.5, "unit": "KG" }));
    assert_eq!(p["certificate"]["stars"], 4);
    assert_eq!(p["producer"]["code"], "HTX-GOM-BATTRANG");

    // The operator's CSV export imports back changing nothing.
    let auth = format!("Bearer {token}");
    let (status, _, csv) = app
        .get_with("/catalog/export.csv", &[("authorization", &auth)])
        .await;
    assert_eq!(status, StatusCode::OK);
    let again = import_as(&app, &token, "", &csv).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["failed"], 0, "{}", again.body["errors"]);
    assert_eq!(again.body["created"], 0);
    assert_eq!(again.body["updated"], 0, "{}", again.body["results"]);
    assert_eq!(again.body["unchanged"], again.body["rows"]);
    assert_eq!(
        by_sku(&app, "BT-MAT-ONG-TEST").await["version"],
        p["version"]
    );
}

#[tokio::test]
async fn bom_and_semicolon_sheets_read_as_excel_wrote_them() {
    let app = TestApp::new().await;
    let token = hub_token(&app);
    // Excel in a Vietnamese locale: `;`, a decimal comma, grouped đồng.
    let semicolons = "\u{feff}sku;producerCode;nameVi;nameEn;category;unit;packSize;wholesalePrice;minOrderQuantity;netContent.value;netContent.unit\r\n\
        BT-SEMI-1;HTX-GOM-BATTRANG;Bình gốm; men lam;Vase;HANDICRAFTS_SOUVENIRS;chiếc;4;450.000;4;0,75;KG\r\n";
    // The `;` inside the name is a separator here: that row has one cell
    // too many, and says so.
    let report = import_as(&app, &token, "", semicolons).await;
    assert_eq!(report.body["failed"], 1, "{}", report.body);
    assert_eq!(report.body["errors"][0]["row"], 2);
    let quoted = semicolons.replace("Bình gốm; men lam", "\"Bình gốm; men lam\"");
    let report = import_as(&app, &token, "", &quoted).await;
    assert_eq!(report.body["created"], 1, "{}", report.body);
    let p = by_sku(&app, "BT-SEMI-1").await;
    assert_eq!(p["nameVi"], "Bình gốm; men lam");
    assert_eq!(p["wholesalePrice"], 450_000);
    assert_eq!(p["netContent"], json!({ "value": 0.75, "unit": "KG" }));
    // LibreOffice's default: commas, no BOM.
    let plain = format!("{HEADER}\n{}\n", row("BT-PLAIN-1", "Bình hoa"));
    let report = import_as(&app, &token, "", &plain).await;
    assert_eq!(report.body["created"], 1, "{}", report.body);
    assert_eq!(by_sku(&app, "BT-PLAIN-1").await["wholesalePrice"], 450_000);
}

#[tokio::test]
async fn one_bad_row_under_each_policy() {
    let app = TestApp::new().await;
    let token = hub_token(&app);
    let sheet = format!(
        "{HEADER}\r\n{}\r\n{}\r\n{}\r\n",
        row("BT-P-1", "Bình một"),
        row("BT-P-2", "Bình hai").replace(",4,\"450,000\"", ",bốn,\"450,000\""),
        row("BT-P-3", "Bình ba"),
    );
    let before = product_count(&app).await;

    let dry = import_as(&app, &token, "?dryRun=true", &sheet).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["dryRun"], true);
    assert_eq!(dry.body["created"], 2);
    assert_eq!(dry.body["failed"], 1);
    assert_eq!(
        dry.body["errors"],
        json!([{ "row": 3, "field": "packSize", "message": "a whole number (120000, 120.000 or 120,000)" }])
    );
    assert_eq!(
        product_count(&app).await,
        before,
        "a dry run writes nothing"
    );

    let all = import_as(&app, &token, "?errorPolicy=REJECT_EVERYTHING", &sheet).await;
    assert_eq!(all.body["committed"], false);
    assert_eq!(all.body["failed"], 1);
    assert_eq!(product_count(&app).await, before, "all rows or none");

    let good = import_as(&app, &token, "?errorPolicy=REJECT_FAILED_ROWS", &sheet).await;
    assert_eq!(good.body["committed"], true);
    assert_eq!(good.body["created"], 2);
    assert_eq!(product_count(&app).await, before + 2, "the good rows");
    assert!(by_sku(&app, "BT-P-2").await.is_null());
    let results: Vec<(i64, String)> = good.body["results"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| {
                    (
                        x["row"].as_i64().unwrap_or(0),
                        x["action"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        results,
        [
            (2, "created".into()),
            (3, "failed".into()),
            (4, "created".into())
        ]
    );

    // A rule of the mutation itself (not the sheet's reading) on its column.
    let taken = format!(
        "{HEADER}\r\n{}\r\n",
        row("BT-P-9", "Bình").replace("BT-P-9", "BT P 9")
    );
    let report = import_as(&app, &token, "", &taken).await;
    assert_eq!(report.body["errors"][0]["field"], "sku", "{}", report.body);
    let bad_policy = import_as(&app, &token, "?errorPolicy=IGNORE", &taken).await;
    assert_eq!(bad_policy.code(), Some("BAD_USER_INPUT"));
}

#[tokio::test]
async fn a_producer_imports_only_its_own_products() {
    let app = TestApp::new().await;
    let (own, _) = producers(&app).await;
    producer_partner(&app, "htx-battrang", &own).await;
    let token = app.token("htx-battrang", PRODUCER_SCOPES);
    let sheet = format!(
        "{HEADER}\r\n{}\r\n{}\r\n{}\r\n",
        // Its own new product (no producerCode needed: its own).
        row("BT-OWN-1", "Bình của tôi").replace("HTX-GOM-BATTRANG", ""),
        // Another producer's existing product.
        row("PV-GIO-MAY", "Giỏ của người khác"),
        // A new product for another producer.
        row("PV-NEW-1", "Không phải của tôi").replace("HTX-GOM-BATTRANG", "HTX-MAYTRE-PHUVINH"),
    );
    let report = import_as(&app, &token, "?errorPolicy=REJECT_FAILED_ROWS", &sheet).await;
    assert_eq!(report.status, StatusCode::OK, "{}", report.body);
    assert_eq!(report.body["created"], 1, "{}", report.body);
    let errors = report.body["errors"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fields: Vec<(i64, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["field"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(fields, [(3, "sku"), (4, "producerCode")], "{errors:?}");
    assert_eq!(
        by_sku(&app, "PV-GIO-MAY").await["nameVi"],
        "Giỏ mây đan Phú Vinh"
    );
    assert!(by_sku(&app, "PV-NEW-1").await.is_null());
    // A retail chain writes no catalogue at all.
    let chain = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let refused = import_as(&app, &chain, "", &sheet).await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn formula_cells_are_kept_as_text() {
    let app = TestApp::new().await;
    let token = hub_token(&app);
    let sheet = format!(
        "{HEADER},description\r\n{},\"+84 912 345 678, @hub\"\r\n",
        row(
            "BT-F-1",
            "\"=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""
        )
    );
    let report = import_as(&app, &token, "", &sheet).await;
    assert_eq!(report.body["created"], 1, "{}", report.body);
    assert_eq!(
        by_sku(&app, "BT-F-1").await["nameVi"],
        "=HYPERLINK(\"http://evil.example\",\"x\")"
    );
    let auth = format!("Bearer {token}");
    let (_, _, csv) = app
        .get_with("/catalog/export.csv", &[("authorization", &auth)])
        .await;
    let line = csv
        .lines()
        .find(|l| l.starts_with("BT-F-1"))
        .unwrap_or_default();
    assert!(
        line.contains("\"'=HYPERLINK(") && line.contains("'+84 912"),
        "a spreadsheet opening the export shows text, never runs it: {line}"
    );
}

#[tokio::test]
async fn oversized_sheets_and_too_many_rows_are_refused_with_a_code() {
    let app = TestApp::new().await;
    let token = hub_token(&app);
    let before = product_count(&app).await;
    let huge = vec![b'a'; 16 * 1024 * 1024 + 1];
    let refused = upload(&app, "/catalog/import", &token, huge).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    let mut many = String::from("sku,nameVi\n");
    for i in 0..20_001 {
        many.push_str(&format!("X-{i},Tên\n"));
    }
    let refused = import_as(&app, &token, "", &many).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert_eq!(refused.code(), Some("BAD_USER_INPUT"));
    assert_eq!(refused.body["errors"][0]["extensions"]["maxRows"], 20_000);
    let unknown = import_as(&app, &token, "", "sku,colour\nA,red\n").await;
    assert_eq!(unknown.code(), Some("BAD_USER_INPUT"));
    let utf16 = upload(
        &app,
        "/catalog/import",
        &token,
        b"\xff\xfes\x00k\x00u\x00".to_vec(),
    )
    .await;
    assert_eq!(utf16.code(), Some("BAD_USER_INPUT"));
    assert!(
        utf16.body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("UTF-8")
    );
    assert_eq!(product_count(&app).await, before);
    let anonymous = app
        .send(
            Request::post("/catalog/import")
                .body(Body::from(many))
                .expect("request"),
        )
        .await;
    assert_eq!(anonymous.code(), Some("UNAUTHENTICATED"));
}

/// Every product `partner` reads through the `products` connection, as
/// (id, sku, version).
async fn through_graphql(app: &TestApp, partner: &str, scopes: &str) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = app
            .gql_as(
                partner,
                scopes,
                "query($a: String) { products(first: 100, after: $a) { nodes { id sku version } pageInfo { hasNextPage endCursor } } }",
                json!({ "a": after }),
            )
            .await;
        let data = page.expect_data()["products"].clone();
        for n in data["nodes"].as_array().cloned().unwrap_or_default() {
            out.push((
                n["id"].as_str().unwrap_or("").to_owned(),
                n["sku"].as_str().unwrap_or("").to_owned(),
                n["version"].as_i64().unwrap_or(0),
            ));
        }
        if data["pageInfo"]["hasNextPage"] != true {
            return out;
        }
        after = data["pageInfo"]["endCursor"].as_str().map(str::to_owned);
    }
}

fn jsonl(body: &str) -> Vec<Value> {
    body.lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object a line"))
        .collect()
}

#[tokio::test]
async fn the_export_is_what_the_products_connection_shows_each_caller() {
    let app = TestApp::new().await;
    let (own, _) = producers(&app).await;
    producer_partner(&app, "htx-battrang", &own).await;
    // A draft: the operator and its producer see it, a chain does not.
    let draft = format!("{HEADER}\r\n{}\r\n", row("BT-DRAFT-1", "Bản nháp"));
    import_as(&app, &hub_token(&app), "", &draft).await;
    for (partner, scopes) in [
        ("aeon-vn", ALL_RETAIL_SCOPES),
        ("htx-battrang", PRODUCER_SCOPES),
        (HUB, OPERATOR_SCOPES),
    ] {
        let auth = format!("Bearer {}", app.token(partner, scopes));
        let (status, headers, body) = app
            .get_with("/catalog/export.jsonl", &[("authorization", &auth)])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let exported: Vec<(String, String, i64)> = jsonl(&body)
            .iter()
            .map(|p| {
                (
                    p["id"].as_str().unwrap_or("").to_owned(),
                    p["sku"].as_str().unwrap_or("").to_owned(),
                    p["version"].as_i64().unwrap_or(0),
                )
            })
            .collect();
        assert_eq!(
            exported,
            through_graphql(&app, partner, scopes).await,
            "{partner}"
        );
        assert_eq!(
            exported.iter().any(|p| p.1 == "BT-DRAFT-1"),
            partner != "aeon-vn",
            "{partner}: drafts are the producer's and the hub's"
        );
        let first = jsonl(&body).into_iter().next().unwrap_or_default();
        assert!(
            first["producer"]["code"].is_string() && first["certificate"]["status"].is_string()
        );
        // Unchanged: a 304 for the tag.
        let tag = headers["etag"].to_str().unwrap_or("").to_owned();
        let (status, _, _) = app
            .get_with(
                "/catalog/export.jsonl",
                &[("authorization", &auth), ("if-none-match", &tag)],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_MODIFIED, "{partner}");
    }
}

#[tokio::test]
async fn an_incremental_export_sends_only_what_changed() {
    let app = TestApp::new().await;
    let auth = format!("Bearer {}", app.token("aeon-vn", ALL_RETAIL_SCOPES));
    let (_, headers, all) = app
        .get_with("/catalog/export.jsonl", &[("authorization", &auth)])
        .await;
    let tag = headers["etag"].to_str().unwrap_or("").to_owned();
    let since = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert!(headers.contains_key("x-next-updated-since"));
    let sku = jsonl(&all)[0]["sku"].as_str().unwrap_or("").to_owned();
    let sheet = format!("sku,nameEn\r\n{sku},Renamed for the test\r\n");
    let report = import_as(&app, &hub_token(&app), "", &sheet).await;
    assert_eq!(report.body["updated"], 1, "{}", report.body);
    let (status, _, _) = app
        .get_with(
            "/catalog/export.jsonl",
            &[("authorization", &auth), ("if-none-match", &tag)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a change is a new export");
    let path = format!(
        "/catalog/export.jsonl?updatedSince={}",
        since.replace('+', "%2B")
    );
    let (status, _, changed) = app.get_with(&path, &[("authorization", &auth)]).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let changed = jsonl(&changed);
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["nameEn"], "Renamed for the test");
    let (status, _, _) = app
        .get_with(
            "/catalog/export.csv?updatedSince=yesterday",
            &[("authorization", &auth)],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_export_holds_one_page_at_a_time() {
    let app = TestApp::new().await;
    let scope = Scope {
        audience: Audience::Everything,
        updated_since: None,
    };
    let total = app.scalar_i64("SELECT COUNT(*) FROM product").await as usize;
    let (mut after, mut seen, mut pages) = (0, 0, 0);
    loop {
        app.reset_statements();
        let (entries, next) = export::page(&app.db, scope, after, 10).await.expect("page");
        assert!(entries.len() <= 10, "a page is at most its size");
        assert!(
            app.statement_count() <= 2,
            "two reads a page, whatever the size"
        );
        seen += entries.len();
        pages += 1;
        match next {
            Some(id) => after = id,
            None => break,
        }
    }
    assert_eq!(seen, total);
    assert!(pages >= total / 10, "read in pages: {pages} for {total}");
}

#[tokio::test]
async fn a_streamed_export_reads_the_catalogue_as_it_sends_it() {
    let app = TestApp::new().await;
    // 1,200 more products: three pages of ROWS_PER_READ.
    let sizes = ocop_gateway::seed::scale::Sizes {
        provinces: 2,
        producers: 10,
        products: 1_200,
        locations: 1,
        partners: 1,
        stores_per_partner: 1,
        orders: 0,
    };
    ocop_gateway::seed::scale::seed_scale(&app.db, sizes)
        .await
        .expect("seed");
    let total = app.scalar_i64("SELECT COUNT(*) FROM product").await as usize;
    let pages = total.div_ceil(export::ROWS_PER_READ as usize);
    assert!(pages >= 3, "{total} products");
    let token = hub_token(&app);
    let request = Request::get("/catalog/export.jsonl")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .expect("request");
    app.reset_statements();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let (mut chunks, mut lines) = (0, 0);
    while let Some(data) = futures_util::StreamExt::next(&mut body).await {
        let data = data.expect("chunk");
        chunks += 1;
        lines += data.iter().filter(|b| **b == b'\n').count();
        // Before the k-th chunk is taken, the server has read the pages up
        // to it and no further: the token's partner, the tag, and two
        // statements a page.
        assert!(
            app.statement_count() <= 2 + 2 * chunks,
            "chunk {chunks}: {} statements so far",
            app.statement_count()
        );
    }
    assert_eq!(lines, total, "every product once");
    assert_eq!(chunks, pages, "one chunk a page");
}

// ----- order sheets -----

const ORDER_HEADER: &str = "storeCode,buyerReference,requestedDeliveryDate,sku,quantity";

/// (sku, minOrderQuantity) of orderable products.
async fn orderable(app: &TestApp, n: i64) -> Vec<(String, i64)> {
    app.gql_as(
        "aeon-vn",
        "catalog:read",
        "query($n: Int) { products(first: $n, filter: { orderable: true }) { nodes { sku minOrderQuantity } } }",
        json!({ "n": n }),
    )
    .await
    .expect_data()["products"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p["sku"].as_str().unwrap_or("").to_owned(), p["minOrderQuantity"].as_i64().unwrap_or(1)))
                .collect()
        })
        .unwrap_or_default()
}

async fn orders_of(app: &TestApp) -> i64 {
    app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await
}

#[tokio::test]
async fn an_order_sheet_places_one_order_per_store_and_reference_once() {
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let p = orderable(&app, 2).await;
    let date = tomorrow();
    let mut sheet = format!("\u{feff}{ORDER_HEADER}\r\n");
    for store in ["AEON-LB", "AEON-HD", "AEON-TP"] {
        for (sku, q) in &p {
            sheet.push_str(&format!("{store},PO-W49,{date},{sku},{q}\r\n"));
        }
    }
    let before = orders_of(&app).await;
    let dry = upload(&app, "/orders/import?dryRun=true", &token, sheet.clone()).await;
    assert_eq!(dry.status, StatusCode::OK, "{}", dry.body);
    assert_eq!(dry.body["orders"].as_array().map(Vec::len), Some(3));
    assert!(
        dry.body["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|o| o["action"] == "wouldPlace")
    );
    assert_eq!(orders_of(&app).await, before, "a dry run places nothing");

    let placed = upload(&app, "/orders/import", &token, sheet.clone()).await;
    assert_eq!(placed.body["placed"], 3, "{}", placed.body);
    assert_eq!(placed.body["committed"], true);
    assert_eq!(orders_of(&app).await, before + 3);
    let first = &placed.body["orders"][0];
    assert_eq!(first["rows"], json!([2, 3]), "rows as the sheet shows them");
    assert!(first["orderId"].is_string() && first["totalVnd"].as_i64().unwrap_or(0) > 0);
    let order = app
        .gql(
            Some(&token),
            "query($id: ID!) { order(id: $id) { buyerReference store { code } lines { quantity product { sku } } } }",
            json!({ "id": first["orderId"] }),
        )
        .await;
    let order = order.expect_data()["order"].clone();
    assert_eq!(order["buyerReference"], "PO-W49");
    assert_eq!(order["store"]["code"], "AEON-LB");
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));

    let again = upload(&app, "/orders/import", &token, sheet).await;
    assert_eq!(again.body["placed"], 0, "{}", again.body);
    assert_eq!(again.body["alreadyPlaced"], 3);
    assert_eq!(again.body["orders"][0]["orderId"], first["orderId"]);
    assert_eq!(orders_of(&app).await, before + 3, "nothing placed twice");
    assert_consistent(&app).await;
}

#[tokio::test]
async fn an_order_sheet_names_each_bad_row_and_follows_its_policy() {
    let app = TestApp::new().await;
    let token = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let p = orderable(&app, 1).await;
    let (sku, min) = p[0].clone();
    let date = tomorrow();
    let sheet = format!(
        "{ORDER_HEADER}\r\n\
         AEON-LB,PO-A,{date},{sku},{min}\r\n\
         AEON-HD,PO-B,{date},NO-SUCH-SKU,5\r\n\
         AEON-HD,PO-C,{date},{sku},{}\r\n\
         WINMART-1,PO-D,{date},{sku},{min}\r\n",
        min - 1
    );
    let before = orders_of(&app).await;
    let all = upload(&app, "/orders/import", &token, sheet.clone()).await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    assert_eq!(all.body["committed"], false);
    assert_eq!(all.body["placed"], 0);
    assert_eq!(orders_of(&app).await, before, "REJECT_EVERYTHING: none");
    let errors: Vec<(i64, String)> = all.body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [
            (3, "sku".into()),
            (4, "quantity".into()),
            (5, "storeCode".into())
        ],
        "{}",
        all.body["errors"]
    );
    assert!(
        all.body["errors"][1]["message"]
            .as_str()
            .unwrap_or("")
            .contains("minimum"),
        "the reason: {}",
        all.body["errors"][1]
    );
    let good = upload(
        &app,
        "/orders/import?errorPolicy=REJECT_FAILED_ROWS",
        &token,
        sheet,
    )
    .await;
    assert_eq!(good.body["placed"], 1, "{}", good.body);
    assert_eq!(good.body["failed"], 3);
    assert_eq!(orders_of(&app).await, before + 1);
    let no_scope = app.token("aeon-vn", "catalog:read");
    let refused = upload(&app, "/orders/import", &no_scope, ORDER_HEADER.to_owned()).await;
    assert_eq!(refused.code(), Some("FORBIDDEN"));
    assert_consistent(&app).await;
}
