//! The catalogue kept by its producers and the hub: producer partners,
//! drafts no chain sees, versions that refuse a stale write, the review
//! path, certificates that lapse, images checked from their bytes, and a
//! product that goes from a producer's phone to a chain's order.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_producer_completes_a_draft_the_hub_reviews_it_and_a_chain_orders_it() {
    let app = TestApp::new().await;
    let (mine, theirs) = producers(&app).await;
    producer_partner(&app, "htx-mat-ong", &mine).await;
    producer_partner(&app, "htx-other", &theirs).await;
    // The hub corrects the producer's record; a producer cannot.
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation($id: ID!) { updateProducer(id: $id, input: { address: \"Thôn Phượng Hoàng, xã Hồng Nam\" }) { address } }",
            json!({ "id": mine }),
        )
        .await;
    assert_eq!(
        res.expect_data()["updateProducer"]["address"],
        "Thôn Phượng Hoàng, xã Hồng Nam"
    );
    let res = app
        .gql_as(
            "htx-mat-ong",
            PRODUCER_SCOPES,
            "mutation($id: ID!) { updateProducer(id: $id, input: { name: \"x\" }) { id } }",
            json!({ "id": mine }),
        )
        .await;
    assert_eq!(
        res.code(),
        Some("FORBIDDEN"),
        "producers are onboarded by the hub"
    );
    let me = |q: &str, v: Value| {
        let (app, q) = (&app, q.to_owned());
        async move { app.gql_as("htx-mat-ong", PRODUCER_SCOPES, &q, v).await }
    };

    // A producer writes only its own producer's products.
    let res = app
        .gql_as(
            "htx-mat-ong",
            PRODUCER_SCOPES,
            CREATE,
            new_product(&theirs, "MO-1"),
        )
        .await;
    assert_eq!(res.code(), Some("NOT_FOUND"), "{}", res.body);
    let created = me(CREATE, new_product(&mine, "MO-1")).await;
    let draft = created.expect_data()["createProduct"].clone();
    assert_eq!(
        (draft["status"].as_str(), draft["version"].as_i64()),
        (Some("DRAFT"), Some(1))
    );
    let id = draft["id"].clone();

    // Nobody else sees the draft: chains, the other producer, any path.
    for (partner, scopes) in [
        ("aeon-vn", ALL_RETAIL_SCOPES),
        ("htx-other", PRODUCER_SCOPES),
    ] {
        let res = app
            .gql_as(partner, scopes, "query($id: ID!) { product(id: $id) { id } node(id: $id) { id } productBySku(sku: \"MO-1\") { id } products(filter: { search: \"mat ong hoa nhan\" }) { totalCount } }", json!({ "id": id }))
            .await;
        let data = res.data();
        assert!(
            data["product"].is_null() && data["node"].is_null() && data["productBySku"].is_null(),
            "{partner}: {}",
            res.body
        );
        assert_eq!(data["products"]["totalCount"], 0, "{partner}");
        let res = app
            .gql_as(
                partner,
                scopes,
                UPDATE,
                json!({ "id": id, "v": 1, "in": { "nameEn": "x" } }),
            )
            .await;
        assert!(
            matches!(res.code(), Some("NOT_FOUND" | "FORBIDDEN")),
            "{partner}: {}",
            res.body
        );
    }
    let res = me(
        "{ products(filter: { search: \"mat ong hoa nhan\" }) { totalCount } }",
        json!({}),
    )
    .await;
    assert_eq!(
        res.expect_data()["products"]["totalCount"],
        1,
        "the producer finds its own draft"
    );

    // What is missing, in sentences; submitting now names every gap.
    let res = me(PRODUCT, json!({ "id": id })).await;
    let c = res.expect_data()["product"]["completeness"].clone();
    assert_eq!(c["ready"], false);
    let missing: Vec<&str> = c["missing"]
        .as_array()
        .map(|m| m.iter().filter_map(|x| x["field"].as_str()).collect())
        .unwrap_or_default();
    for field in [
        "netContent",
        "shelfLifeDays",
        "ingredients",
        "storage",
        "usage",
        "certificate",
        "images",
    ] {
        assert!(missing.contains(&field), "{field} in {missing:?}");
    }
    let res = me(SUBMIT, json!({ "id": id })).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    assert!(
        res.body["errors"][0]["extensions"]["missing"]
            .as_array()
            .is_some_and(|m| m.len() == missing.len())
    );

    // Fill it in: a stale version is refused and writes nothing.
    let fill = json!({ "netContent": { "value": 0.5, "unit": "L" }, "shelfLifeDays": 720,
        "ingredients": "Mật ong hoa nhãn 100%", "storage": "Nơi khô ráo", "usage": "Pha với nước ấm" });
    let res = me(UPDATE, json!({ "id": id, "v": 7, "in": fill })).await;
    assert_eq!(res.code(), Some("CONFLICT"));
    assert_eq!(res.body["errors"][0]["extensions"]["currentVersion"], 1);
    let res = me(UPDATE, json!({ "id": id, "v": 1, "in": fill })).await;
    let saved = res.expect_data()["updateProduct"].clone();
    assert_eq!(saved["version"], 2);
    assert_eq!(saved["netContent"], json!({ "value": 0.5, "unit": "L" }));
    let res = me(
        "mutation($id: ID!) { recordCertificate(productId: $id, input: { number: \"HY-OCOP-2026-0042\", stars: 4, issuedOn: \"2026-06-01\", expiresOn: \"2029-05-31\" }) { status stars } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(res.expect_data()["recordCertificate"]["status"], "VALID");

    // A photo from the phone: the bytes decide, not the header.
    let token = app.token("htx-mat-ong", PRODUCER_SCOPES);
    let up = upload(&app, &token, "image/jpeg", png(1200, 900)).await;
    assert_eq!(up.status, 201, "{}", up.body);
    let media = up.body["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        (up.body["width"].as_i64(), up.body["height"].as_i64()),
        (Some(1200), Some(900))
    );
    let again = upload(&app, &token, "image/png", png(1200, 900)).await;
    assert_eq!(again.body["id"], up.body["id"], "one file, one object");
    // The phone copy, made once at upload: a JPEG 480 px wide.
    let (status, headers, small) = app.get_bytes(&format!("/media/{media}/480")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/jpeg");
    let small = image::load_from_memory(&small).expect("the phone copy decodes");
    assert_eq!((small.width(), small.height()), (480, 360));
    let (status, _, _) = app.get(&format!("/media/{media}/1024")).await;
    assert_eq!(status, 404, "only the phone size is made");
    let (status, headers, _) = app.get(&format!("/media/{media}")).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/png");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    me(
        "mutation($id: ID!, $m: String!) { addProductImage(productId: $id, mediaId: $m, alt: \"Chai mật ong 500 ml\", role: FRONT) { version } }",
        json!({ "id": id, "m": media }),
    )
    .await
    .expect_data();
    let res = me(PRODUCT, json!({ "id": id })).await;
    let p = res.expect_data()["product"].clone();
    assert_eq!(p["completeness"]["ready"], true, "{}", p["completeness"]);
    assert_eq!(p["completeness"]["score"], 100);
    assert_eq!(p["images"][0]["url"], format!("/media/{media}"));

    // Submitted; the operator rejects once (a reason is required), then approves.
    assert_eq!(
        me(SUBMIT, json!({ "id": id })).await.expect_data()["submitProduct"]["status"],
        "IN_REVIEW"
    );
    let hub = |v: Value| {
        let app = &app;
        async move {
            app.gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, REVIEW, v)
                .await
        }
    };
    let res = hub(json!({ "id": id, "d": "REJECT" })).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"));
    let res = me(REVIEW, json!({ "id": id, "d": "APPROVE" })).await;
    assert_eq!(res.code(), Some("FORBIDDEN"), "a producer does not review");
    let res = hub(json!({ "id": id, "d": "REJECT", "r": ["Ảnh nhãn sau còn thiếu"] })).await;
    let rejected = res.expect_data()["reviewProduct"].clone();
    assert_eq!(rejected["status"], "DRAFT");
    assert_eq!(
        rejected["review"]["reasons"],
        json!(["Ảnh nhãn sau còn thiếu"])
    );
    let res = hub(json!({ "id": id, "d": "APPROVE" })).await;
    assert_eq!(
        res.code(),
        Some("CONFLICT"),
        "only a product in review is decided"
    );
    me(SUBMIT, json!({ "id": id })).await.expect_data();
    let res = hub(json!({ "id": id, "d": "APPROVE" })).await;
    assert_eq!(res.expect_data()["reviewProduct"]["status"], "ACTIVE");

    // Public now: a chain finds it and orders it.
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "{ products(filter: { search: \"mat ong hoa nhan\" }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["products"]["nodes"][0]["id"], id);
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 120 }) { onHand } }",
        json!({ "p": id, "l": app.a_location().await }),
    )
    .await
    .expect_data();
    let store = store_of(&app, "aeon-vn").await;
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("honey-1", &store, vec![(id.clone(), 12)]),
        )
        .await;
    assert_eq!(res.expect_data()["placeOrder"]["order"]["status"], "PLACED");

    // Every write is in its history, for the producer and the operator only.
    let res = me(PRODUCT, json!({ "id": id })).await;
    let actions: Vec<&str> = res.expect_data()["product"]["history"]
        .as_array()
        .map(|h| h.iter().filter_map(|x| x["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        [
            "approve",
            "submit",
            "reject",
            "submit",
            "add_image",
            "certificate",
            "update",
            "create"
        ]
    );
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "query($id: ID!) { product(id: $id) { history { action } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    assert_consistent(&app).await;
}

#[tokio::test]
async fn two_writers_of_one_version_one_wins_the_other_is_told_the_current_one() {
    let app = TestApp::new().await;
    let (mine, _) = producers(&app).await;
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            CREATE,
            new_product(&mine, "RACE-1"),
        )
        .await;
    let id = res.expect_data()["createProduct"]["id"].clone();
    let write = |name: &'static str| {
        let (app, id) = (&app, id.clone());
        async move {
            app.gql_as(
                "hanoi-ocop-hub",
                OPERATOR_SCOPES,
                UPDATE,
                json!({ "id": id, "v": 1, "in": { "nameEn": name } }),
            )
            .await
        }
    };
    let (a, b) = tokio::join!(write("Longan honey"), write("Honey of longan flowers"));
    let codes = [a.code(), b.code()];
    assert_eq!(
        codes.iter().filter(|c| c.is_none()).count(),
        1,
        "{} {}",
        a.body,
        b.body
    );
    assert_eq!(codes.iter().filter(|c| **c == Some("CONFLICT")).count(), 1);
    let loser = if a.code().is_some() { &a } else { &b };
    assert_eq!(loser.body["errors"][0]["extensions"]["currentVersion"], 2);
    let audits = app
        .scalar_i64("SELECT COUNT(*) FROM product_audit WHERE action = 'update'")
        .await;
    assert_eq!(audits, 1, "the refused write left nothing");
}

#[tokio::test]
async fn uploads_are_judged_by_their_bytes_and_refused_whole() {
    let app = TestApp::new().await;
    let token = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    let html = b"<!doctype html><script>alert(document.cookie)</script>".to_vec();
    let mut truncated = png(800, 600);
    truncated.truncate(18);
    let mut headless = png(800, 600);
    headless.truncate(headless.len() / 2);
    for (what, content_type, bytes, status) in [
        ("a web page sent as a PNG", "image/png", html, 400),
        ("a cut-short file", "image/png", truncated, 400),
        ("a whole header, half a body", "image/png", headless, 400),
        (
            "a 20,000 px header",
            "image/png",
            png_header(20_000, 20_000),
            400,
        ),
        ("6 MiB", "image/jpeg", vec![0xFF; 6 * 1024 * 1024], 413),
    ] {
        let res = upload(&app, &token, content_type, bytes).await;
        assert_eq!(res.status, status, "{what}: {}", res.body);
        assert!(res.code().is_some(), "{what}: coded");
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM media").await,
        0,
        "nothing stored"
    );
    let files = std::fs::read_dir(&app.state.config.media_dir)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "no file written");
    // A chain may not upload; nobody without a token may.
    let res = upload(
        &app,
        &app.token("aeon-vn", ALL_RETAIL_SCOPES),
        "image/png",
        png(10, 10),
    )
    .await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
    let res = app
        .send(
            Request::post("/media")
                .body(Body::from(png(10, 10)))
                .expect("request"),
        )
        .await;
    assert_eq!(res.status, 401);
    let (status, _, _) = app.get(&format!("/media/{}", "0".repeat(64))).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn lapsed_and_unpublished_products_are_refused_by_name_and_reason() {
    let app = TestApp::new().await;
    let ps = products(&app, 3).await;
    let store = store_of(&app, "aeon-vn").await;
    // A lapsed certificate (recorded 2023, 36 months, over), and a product
    // taken off sale.
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "mutation($id: ID!) { recordCertificate(productId: $id, input: { number: \"OLD-1\", stars: 4, issuedOn: \"2023-01-01\", expiresOn: \"2025-12-31\" }) { status } }",
        json!({ "id": ps[0].0 }),
    )
    .await
    .expect_data();
    let res = app
        .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, "query($id: ID!) { product(id: $id) { certificate { status } certificates { number } } }", json!({ "id": ps[0].0 }))
        .await;
    let p = res.expect_data()["product"].clone();
    assert_ne!(
        p["certificate"]["number"], "OLD-1",
        "the newer certificate stays the product's"
    );
    assert_eq!(
        p["certificates"].as_array().map(Vec::len),
        Some(2),
        "both are kept"
    );
    app.exec("UPDATE product SET certificate_expires_on = '2025-12-31' WHERE id = (SELECT MIN(id) FROM product)")
        .await;
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "mutation($id: ID!) { discontinueProduct(id: $id, reason: \"recipe changed\") { status } }",
        json!({ "id": ps[1].0 }),
    )
    .await
    .expect_data();
    let before = app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await;
    for (n, (product, reason)) in [(&ps[0], "CERTIFICATE_EXPIRED"), (&ps[1], "NOT_ORDERABLE")]
        .into_iter()
        .enumerate()
    {
        let res = app
            .gql_as(
                "aeon-vn",
                ALL_RETAIL_SCOPES,
                PLACE,
                input(
                    &format!("refused-{n}"),
                    &store,
                    vec![(ps[2].0.clone(), ps[2].1), (product.0.clone(), product.1)],
                ),
            )
            .await;
        assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
        let ext = &res.body["errors"][0]["extensions"];
        assert_eq!(ext["reason"], reason);
        assert_eq!(ext["productId"], product.0);
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM purchase_order").await,
        before,
        "nothing placed"
    );
    assert_consistent(&app).await;
}

#[tokio::test]
async fn chains_cannot_be_granted_catalogue_writes() {
    let app = TestApp::new().await;
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation { createPartner(input: { code: \"chain-x\", name: \"Chain X\", grants: [\"catalog:read\", \"catalog:write\"] }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.grants.1"
    );
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation { createPartner(input: { code: \"htx-y\", name: \"HTX Y\", kind: PRODUCER, grants: [\"catalog:write\"] }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"],
        "input.producerId"
    );
}
