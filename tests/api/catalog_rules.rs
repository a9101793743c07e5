//! The catalogue's rules measured against what is stored: each chain's
//! listing rules, the filters that find what lapses or is ready, the hub's
//! work list, a clock run ahead, and the statements a write costs.

use serde_json::{Value, json};

use crate::helpers::*;

/// A chain's own listing rules apply on top of the law, to that chain
/// only; and the filters find what can be ordered today and what lapses.
#[tokio::test]
async fn listing_rules_are_each_chains_own_and_filters_find_what_lapses() {
    let app = TestApp::new().await;
    let aeon = partner_id(&app, "aeon-vn").await;
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation($p: ID!) { setListingRequirements(partnerId: $p, input: { requiredFields: [\"warnings\", \"colour\"] }) { id } }",
            json!({ "p": aeon }),
        )
        .await;
    assert_eq!(
        res.body["errors"][0]["extensions"]["field"], "input.requiredFields.1",
        "{}",
        res.body
    );
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "mutation($p: ID!) { setListingRequirements(partnerId: $p, input: { requiredFields: [\"warnings\"], minImages: 2, minShelfLifeDays: 30 }) { listingRequirements { requiredFields minImages minShelfLifeDays } } }",
            json!({ "p": aeon }),
        )
        .await;
    assert_eq!(
        res.expect_data()["setListingRequirements"]["listingRequirements"],
        json!({ "requiredFields": ["warnings"], "minImages": 2, "minShelfLifeDays": 30 })
    );
    let product = products(&app, 1).await[0].0.clone();
    let q = "query($id: ID!, $p: ID) { product(id: $id) { completeness(partnerId: $p) { missing { field rule } } } }";
    let rules = |partner: &'static str, scopes: &'static str, p: Value| {
        let (app, product) = (&app, product.clone());
        async move {
            let res = app
                .gql_as(partner, scopes, q, json!({ "id": product, "p": p }))
                .await;
            res.expect_data()["product"]["completeness"]["missing"]
                .as_array()
                .map(|m| m.iter().filter(|x| x["rule"] == "LISTING").count())
                .unwrap_or(0)
        }
    };
    assert!(
        rules("aeon-vn", ALL_RETAIL_SCOPES, Value::Null).await >= 2,
        "aeon is measured against its rules"
    );
    assert_eq!(
        rules("winmart", ALL_RETAIL_SCOPES, aeon.clone()).await,
        0,
        "a chain sees only its own"
    );
    assert!(
        rules("hanoi-ocop-hub", OPERATOR_SCOPES, aeon.clone()).await >= 2,
        "the operator names the chain"
    );
    assert_eq!(
        rules("hanoi-ocop-hub", OPERATOR_SCOPES, Value::Null).await,
        0
    );

    // Filters: a lapsed certificate is EXPIRED and not orderable.
    app.exec("UPDATE product SET certificate_expires_on = '2025-12-31' WHERE id = (SELECT MIN(id) FROM product)")
        .await;
    let count = |filter: &'static str| {
        let app = &app;
        async move {
            app.gql_as(
                "aeon-vn",
                ALL_RETAIL_SCOPES,
                &format!("{{ products(filter: {filter}) {{ totalCount }} }}"),
                json!({}),
            )
            .await
            .expect_data()["products"]["totalCount"]
                .as_i64()
                .unwrap_or(-1)
        }
    };
    let all = count("{}").await;
    let (orderable, not) = (
        count("{ orderable: true }").await,
        count("{ orderable: false }").await,
    );
    assert_eq!(orderable + not, all);
    let expired = count("{ certificateStatus: EXPIRED }").await;
    assert!(
        expired >= 1 && not >= expired,
        "{expired} expired, {not} not orderable"
    );
    let (valid, expiring) = (
        count("{ certificateStatus: VALID }").await,
        count("{ certificateStatus: EXPIRING }").await,
    );
    assert_eq!(
        valid + expiring + expired,
        all,
        "every public product has a certificate"
    );
}

/// The hub's work list counts what is ready and what is missing; a
/// producer sees its own producer's only.
#[tokio::test]
async fn catalog_quality_is_the_hubs_work_list() {
    let app = TestApp::new().await;
    let (mine, theirs) = producers(&app).await;
    producer_partner(&app, "htx-q", &mine).await;
    app.gql_as("htx-q", PRODUCER_SCOPES, CREATE, new_product(&mine, "Q-1"))
        .await
        .expect_data();
    let q = "query($p: ID) { catalogQuality(producerId: $p) { products ready missingByField { field count } certificatesExpiring certificatesExpired } }";
    let res = app
        .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, q, json!({ "p": mine }))
        .await;
    let mine_q = res.expect_data()["catalogQuality"].clone();
    let res = app
        .gql_as("htx-q", PRODUCER_SCOPES, q, json!({ "p": theirs }))
        .await;
    assert_eq!(
        res.expect_data()["catalogQuality"],
        mine_q,
        "a producer is held to its own"
    );
    let products = mine_q["products"].as_i64().unwrap_or(0);
    assert!(products >= 2, "{mine_q}");
    assert!(
        mine_q["ready"].as_i64().unwrap_or(99) < products,
        "the draft is not ready"
    );
    let fields = mine_q["missingByField"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        fields
            .iter()
            .any(|f| f["field"] == "images" && f["count"].as_i64() >= Some(1)),
        "{mine_q}"
    );
    let res = app.gql_as("aeon-vn", ALL_RETAIL_SCOPES, q, json!({})).await;
    assert_eq!(res.code(), Some("FORBIDDEN"));
}

/// A product write costs a handful of statements, whatever the size of
/// the catalogue (no statement reads more than the product and its
/// producer): within the budget of the other mutations.
#[tokio::test]
async fn product_writes_take_few_statements() {
    let app = TestApp::new().await;
    // The national catalogue's size (16,000 products of 1,500 producers),
    // with one location and no orders: the writes' statements are counted
    // against a catalogue that large.
    let national = ocop_gateway::seed::scale::Scale::National
        .sizes()
        .expect("national has sizes");
    let sizes = ocop_gateway::seed::scale::Sizes {
        locations: 1,
        partners: 1,
        stores_per_partner: 1,
        orders: 0,
        ..national
    };
    ocop_gateway::seed::scale::seed_scale(&app.db, sizes)
        .await
        .expect("seed");
    assert!(app.scalar_i64("SELECT COUNT(*) FROM product").await >= 16_000);
    let (mine, _) = producers(&app).await;
    let token = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    app.reset_statements();
    let res = app
        .gql(Some(&token), CREATE, new_product(&mine, "COUNT-1"))
        .await;
    let id = res.expect_data()["createProduct"]["id"].clone();
    let created = app.statement_count();
    app.reset_statements();
    app.gql(
        Some(&token),
        UPDATE,
        json!({ "id": id, "v": 1, "in": { "nameEn": "Counted honey", "shelfLifeDays": 365 } }),
    )
    .await
    .expect_data();
    let updated = app.statement_count();
    // begin, producer, insert, audit, commit (+ the partner lookup);
    // begin, product, producer, update, audit, read back, commit.
    assert!(created <= 8, "createProduct: {created} statements");
    assert!(updated <= 9, "updateProduct: {updated} statements");
    // A renamed product is found by its new name.
    let res = app
        .gql(
            Some(&token),
            "{ products(filter: { search: \"counted honey\" }) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(res.expect_data()["products"]["nodes"][0]["id"], id);
}

/// `products(filter: { ready })` answers what `completeness` does, for
/// the hub (the law's baseline) and for a chain with its own rules.
#[tokio::test]
async fn ready_filter_agrees_with_completeness() {
    let app = TestApp::new().await;
    let ps = products(&app, 4).await;
    let hub = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    // Photos make some products ready; one gets two, which a chain asks for.
    let fill = json!({ "netContent": { "value": 0.5, "unit": "L" }, "shelfLifeDays": 720,
        "ingredients": "Mật ong hoa nhãn 100%", "storage": "Nơi khô ráo", "usage": "Pha với nước ấm" });
    for (n, (product, _, _)) in ps.iter().take(3).enumerate() {
        let res = app
            .gql(
                Some(&hub),
                "query($id: ID!) { product(id: $id) { version } }",
                json!({ "id": product }),
            )
            .await;
        let v = res.expect_data()["product"]["version"].clone();
        app.gql(
            Some(&hub),
            UPDATE,
            json!({ "id": product, "v": v, "in": fill }),
        )
        .await
        .expect_data();
        for side in 0..(if n == 0 { 2 } else { 1 }) {
            let res = upload(&app, &hub, "image/png", png(40 + n as u32, 30 + side)).await;
            assert_eq!(res.status, 201, "{}", res.body);
            let add = "mutation($p: ID!, $m: String!) { addProductImage(productId: $p, mediaId: $m, alt: \"Mặt trước\", role: FRONT) { id } }";
            app.gql(
                Some(&hub),
                add,
                json!({ "p": product, "m": res.body["id"] }),
            )
            .await
            .expect_data();
        }
    }
    let (mine, _) = producers(&app).await;
    app.gql(Some(&hub), CREATE, new_product(&mine, "DRAFT-READY"))
        .await
        .expect_data();
    let aeon = partner_id(&app, "aeon-vn").await;
    app.gql(
        Some(&hub),
        "mutation($p: ID!) { setListingRequirements(partnerId: $p, input: { requiredFields: [], minImages: 2 }) { id } }",
        json!({ "p": aeon }),
    )
    .await
    .expect_data();
    for (partner, scopes) in [
        ("hanoi-ocop-hub", OPERATOR_SCOPES),
        ("aeon-vn", ALL_RETAIL_SCOPES),
    ] {
        let ids = |filter: &'static str| {
            let app = &app;
            async move {
                let q = format!(
                    "{{ products(first: 100, filter: {filter}) {{ nodes {{ id completeness {{ ready }} }} }} }}"
                );
                let res = app.gql_as(partner, scopes, &q, json!({})).await;
                res.expect_data()["products"]["nodes"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            }
        };
        let all = ids("{}").await;
        let measured: Vec<Value> = all
            .iter()
            .filter(|n| n["completeness"]["ready"] == true)
            .map(|n| n["id"].clone())
            .collect();
        let ready: Vec<Value> = ids("{ ready: true }")
            .await
            .iter()
            .map(|n| n["id"].clone())
            .collect();
        let not_ready = ids("{ ready: false }").await.len();
        assert_eq!(
            ready, measured,
            "{partner}: the filter and completeness agree"
        );
        assert_eq!(ready.len() + not_ready, all.len(), "{partner}");
        let expected = if partner == "aeon-vn" { 1 } else { 3 };
        assert_eq!(ready.len(), expected, "{partner}: {all:?}");
    }
}

/// With the clock run three years ahead (a replica on the same database),
/// today's certificate has lapsed: its status says so, the filters move it,
/// and `placeOrder` refuses the line by reason; nothing is waited for.
#[tokio::test]
async fn a_clock_run_ahead_sees_certificates_lapse() {
    let app = TestApp::new().await;
    let ps = products(&app, 2).await;
    let store = store_of(&app, "aeon-vn").await;
    let today = ocop_gateway::domain::clock::business_today();
    let (issued, expires) = (
        today.to_string(),
        (today + chrono::Duration::days(400)).to_string(),
    );
    let record = "mutation($id: ID!, $i: Date!, $e: Date!) { recordCertificate(productId: $id, input: { number: \"NEW-1\", stars: 4, issuedOn: $i, expiresOn: $e }) { status } }";
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            record,
            json!({ "id": ps[0].0, "i": issued, "e": expires }),
        )
        .await;
    assert_eq!(res.expect_data()["recordCertificate"]["status"], "VALID");
    let status = "query($id: ID!) { product(id: $id) { certificate { status } } }";
    let aeon = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    for (days, expected) in [(0, "VALID"), (330, "EXPIRING"), (401, "EXPIRED")] {
        let later = app.replica_with(|c| c.clock_offset_days = days).await;
        let res = gql_on(&later, Some(&aeon), status, json!({ "id": ps[0].0 })).await;
        assert_eq!(
            res.expect_data()["product"]["certificate"]["status"],
            expected,
            "{days} days on"
        );
    }
    let later = app.replica_with(|c| c.clock_offset_days = 401).await;
    let mut order = input("later-1", &store, vec![(ps[0].0.clone(), ps[0].1)]);
    order["input"]["requestedDeliveryDate"] =
        json!((today + chrono::Duration::days(402)).to_string());
    let res = gql_on(&later, Some(&aeon), PLACE, order).await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    assert_eq!(
        res.body["errors"][0]["extensions"]["reason"],
        "CERTIFICATE_EXPIRED"
    );
    let res = app
        .gql(
            Some(&aeon),
            PLACE,
            input("today-1", &store, vec![(ps[0].0.clone(), ps[0].1)]),
        )
        .await;
    res.expect_data();
    assert_consistent(&app).await;
}
