//! The origin page behind every QR stamp: what a shopper reads, in which
//! language, what a machine reads (linkset, resolver description), the
//! printed QR code read back, and what must never show.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

const BASE: &str = "https://ocop.test";
const PRODUCT_LINKS: &str = "query($id: ID!) { product(id: $id) { gtin traceCode nameVi nameEn wholesalePrice digitalLink stampUrl producer { id name province } } }";

async fn hub(app: &TestApp, query: &str, vars: Value) -> Value {
    app.gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, query, vars)
        .await
        .expect_data()
        .clone()
}

/// A published demo product with a FRONT image and a certificate in force
/// for 400 more days; its id and what the API says of it.
async fn published(app: &TestApp) -> (Value, Value) {
    let id = products(app, 1).await[0].0.clone();
    let token = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    let media = upload(app, &token, "image/png", png(800, 600)).await;
    assert_eq!(media.status, StatusCode::CREATED, "{}", media.body);
    hub(
        app,
        "mutation($p: ID!, $m: ID!) { addProductImage(productId: $p, mediaId: $m, alt: \"Hũ mật ong\", role: FRONT) { id } }",
        json!({ "p": id, "m": media.body["id"] }),
    )
    .await;
    let today = ocop_gateway::domain::clock::business_today();
    hub(
        app,
        "mutation($id: ID!, $i: Date!, $e: Date!) { recordCertificate(productId: $id, input: { number: \"HN-2026-77\", stars: 4, issuedOn: $i, expiresOn: $e }) { status } }",
        json!({ "id": id, "i": today.to_string(), "e": (today + chrono::Duration::days(400)).to_string() }),
    )
    .await;
    let p = hub(app, PRODUCT_LINKS, json!({ "id": id })).await["product"].clone();
    (id, p)
}

fn text(p: &Value, field: &str) -> String {
    p[field].as_str().unwrap_or_default().to_owned()
}

fn vn_date(d: chrono::NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

#[tokio::test]
async fn a_shopper_reads_the_origin_in_vietnamese_or_english() {
    let app = TestApp::new().await;
    let (_, p) = published(&app).await;
    let gtin = text(&p, "gtin");
    let gtin14 = format!("{gtin:0>14}");
    assert_eq!(p["digitalLink"], json!(format!("{BASE}/01/{gtin14}")));
    assert_eq!(p["stampUrl"], p["digitalLink"]);

    let (status, headers, vi) = app.get(&format!("/01/{gtin}")).await;
    assert_eq!(status, StatusCode::OK, "{vi}");
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["content-language"], "vi");
    assert!(vi.len() < 30 * 1024, "{} bytes", vi.len());
    assert!(!vi.contains("<script"), "no script on the page");
    let expires = ocop_gateway::domain::clock::business_today() + chrono::Duration::days(400);
    for shown in [
        text(&p, "nameVi"),
        text(&p, "nameEn"),
        text(&p["producer"], "name"),
        text(&p["producer"], "province"),
        format!("Còn hiệu lực đến {}", vn_date(expires)),
        "HN-2026-77".into(),
        "★★★★☆".into(),
        "href=\"?lang=en\"".into(),
        "/media/".into(),
        "alt=\"Hũ mật ong\"".into(),
        gtin14.clone(),
    ] {
        assert!(vi.contains(&shown), "the page shows {shown}: {vi}");
    }
    // Never a price, stock, partner or order.
    let price = p["wholesalePrice"].as_i64().unwrap_or(0).to_string();
    for hidden in [price.as_str(), "aeon", "AEON", "stock", "Tồn kho"] {
        assert!(!vi.contains(hidden), "the page shows {hidden}");
    }
    let csp = headers["content-security-policy"].to_str().unwrap_or("");
    assert!(
        csp.starts_with("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap_or("")
            .starts_with("public, max-age=")
    );
    let tag = headers["etag"].to_str().unwrap_or("").to_owned();

    // Every form of the GTIN is the same page.
    let (_, headers14, same) = app.get(&format!("/01/{gtin14}")).await;
    assert_eq!(headers14["etag"], tag.as_str());
    assert_eq!(same, vi);
    let (status, ..) = app
        .get_with(&format!("/01/{gtin}"), &[("if-none-match", &tag)])
        .await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);

    // English when the phone prefers it, or when the switch says so.
    let (_, headers, en) = app
        .get_with(
            &format!("/01/{gtin}"),
            &[("accept-language", "en-GB,en;q=0.9,vi;q=0.5")],
        )
        .await;
    assert_eq!(headers["content-language"], "en");
    assert!(
        en.contains(&format!("In force until {}", vn_date(expires))),
        "{en}"
    );
    assert!(en.contains("href=\"?lang=vi\""));
    let (_, _, switched) = app
        .get_with(&format!("/01/{gtin}?lang=en"), &[("accept-language", "vi")])
        .await;
    assert_eq!(switched, en);

    // The OCOP stamp's trace code leads to the same product.
    let trace = text(&p, "traceCode");
    let (status, _, by_trace) = app.get(&format!("/trace/{trace}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_trace.contains(&text(&p, "nameVi")));
}

/// A lot shipped with an expiry shows it; a lot never shipped is a 404 that
/// still leads to the product.
#[tokio::test]
async fn a_lot_shows_the_expiry_recorded_when_it_shipped() {
    let app = TestApp::new().await;
    let (id, p) = published(&app).await;
    let gtin = text(&p, "gtin");
    let moq = products(&app, 1).await[0].1;
    let store = store_of(&app, "aeon-vn").await;
    let res = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            PLACE,
            input("lot-1", &store, vec![(id.clone(), moq)]),
        )
        .await;
    let order = res.expect_data()["placeOrder"]["order"]["id"].clone();
    let lines = hub(
        &app,
        "query($id: ID!) { order(id: $id) { lines { id } } }",
        json!({ "id": order }),
    )
    .await;
    let line = lines["order"]["lines"][0]["id"].clone();
    hub(
        &app,
        "mutation($id: ID!) { confirmOrder(id: $id) { status } }",
        json!({ "id": order }),
    )
    .await;
    let expiry = in_days(200);
    hub(
        &app,
        "mutation($id: ID!, $input: ShipOrderInput) { shipOrder(id: $id, input: $input) { status } }",
        json!({ "id": order, "input": { "carrier": "Viettel Post", "trackingReference": "VTP-9",
            "packages": [{ "sscc": sscc(9), "lines": [{ "lineId": line, "quantity": moq,
                "lotNumber": "LOT-2026-11A", "expiryDate": expiry }] }] } }),
    )
    .await;
    let expiry = chrono::NaiveDate::parse_from_str(&expiry, "%Y-%m-%d").expect("date");

    let (status, _, page) = app.get(&format!("/01/{gtin}/10/LOT-2026-11A")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("LOT-2026-11A"));
    assert!(
        page.contains(&format!(
            "Hạn sử dụng ghi nhận khi xuất hàng: {}",
            vn_date(expiry)
        )),
        "{page}"
    );
    assert!(
        !page.contains("khác với hạn"),
        "no warning when the code agrees"
    );

    // The code's own expiry (AI 17), when it disagrees, is pointed out.
    let other = (expiry + chrono::Duration::days(30)).format("%y%m%d");
    let (status, _, page) = app
        .get(&format!("/01/{gtin}/10/LOT-2026-11A?17={other}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("khác với hạn ghi nhận khi xuất hàng"),
        "{page}"
    );
    let (status, ..) = app
        .get(&format!("/01/{gtin}/10/LOT-2026-11A?17=271399"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, _, page) = app.get(&format!("/01/{gtin}/10/NEVER-SHIPPED")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Không tìm thấy lô hàng"), "{page}");
    assert!(
        page.contains(&format!("href=\"/01/{gtin:0>14}\"")),
        "{page}"
    );
    // A serial (AI 21) is read past, to the item.
    let (status, ..) = app.get(&format!("/01/{gtin}/21/SERIAL-1")).await;
    assert_eq!(status, StatusCode::OK);
}

/// A wrong check digit, an unknown GTIN, a draft, a product in review and
/// an unknown trace code each answer 404 with a page; the draft's and the
/// review's are the unknown one's, word for word.
#[tokio::test]
async fn scans_that_lead_nowhere_get_a_page_and_give_nothing_away() {
    let app = TestApp::new().await;
    let (producer, _) = producers(&app).await;
    let mut draft = new_product(&producer, "ORIGIN-DRAFT");
    draft["in"]["gtin"] = json!("8934563138165");
    hub(&app, CREATE, draft).await;
    let mut review = new_product(&producer, "ORIGIN-REVIEW");
    review["in"]["gtin"] = json!("4006381333931");
    let created = hub(&app, CREATE, review).await;
    let _ = created;
    app.exec("UPDATE product SET status = 'in_review' WHERE sku = 'ORIGIN-REVIEW'")
        .await;

    let (status, _, invalid) = app.get("/01/8934563138166").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(invalid.contains("Mã vạch không hợp lệ"), "{invalid}");
    let (status, _, unknown) = app.get("/01/96385074").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(unknown.contains("Không tìm thấy sản phẩm"), "{unknown}");
    let same = |page: &str, gtin: &str| {
        page.replace(&format!("{gtin:0>14}"), "G")
            .replace(gtin, "G")
    };
    for gtin in ["8934563138165", "4006381333931"] {
        let (status, headers, page) = app.get(&format!("/01/{gtin}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{gtin}");
        assert_eq!(
            same(&page, gtin),
            same(&unknown, "96385074"),
            "{gtin} looks unknown"
        );
        assert_eq!(headers["cache-control"], "public, max-age=60");
        let (status, _, json) = app
            .get_accepting(&format!("/01/{gtin}"), "application/linkset+json")
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    }
    let (status, _, page) = app.get("/trace/NO-SUCH-CODE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Không tìm thấy sản phẩm"));
    let (status, _, page) = app.get("/01/8934563138165/10").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("<h1>"), "a page, not a blank");
    // A GTIN-14 of the draft's item is the same item: refused for another product.
    let mut twin = new_product(&producer, "ORIGIN-TWIN");
    twin["in"]["gtin"] = json!("08934563138165");
    let res = app
        .gql_as("hanoi-ocop-hub", OPERATOR_SCOPES, CREATE, twin)
        .await;
    assert_eq!(res.code(), Some("BAD_USER_INPUT"), "{}", res.body);
    assert_eq!(res.body["errors"][0]["extensions"]["field"], "input.gtin");
}

#[tokio::test]
async fn hostile_catalogue_text_is_shown_as_text() {
    let app = TestApp::new().await;
    let (id, p) = published(&app).await;
    let producer = p["producer"]["id"].clone();
    hub(
        &app,
        "mutation($id: ID!) { updateProducer(id: $id, input: { name: \"<script>alert(1)</script> HTX\" }) { id } }",
        json!({ "id": producer }),
    )
    .await;
    let version = hub(
        &app,
        "query($id: ID!) { product(id: $id) { version } }",
        json!({ "id": id }),
    )
    .await;
    hub(
        &app,
        UPDATE,
        json!({ "id": id, "v": version["product"]["version"], "in": { "ingredients": "\"><img src=x onerror=alert(1)> mật ong & 'sáp'" } }),
    )
    .await;
    let (status, _, page) = app.get(&format!("/01/{}", text(&p, "gtin"))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!page.contains("<script"), "{page}");
    assert!(!page.contains("<img src=x"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; HTX"));
    assert!(
        page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt; mật ong &amp; &#39;sáp&#39;")
    );
}

#[tokio::test]
async fn machines_read_the_linkset_and_the_resolver_description() {
    let app = TestApp::new().await;
    let (_, p) = published(&app).await;
    let gtin = text(&p, "gtin");
    let link = text(&p, "digitalLink");
    let (status, headers, body) = app
        .get_accepting(&format!("/01/{gtin}"), "application/linkset+json")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["content-type"], "application/linkset+json");
    let set: Value = serde_json::from_str(&body).expect("linkset JSON");
    let item = &set["linkset"][0];
    assert_eq!(item["anchor"], json!(link));
    assert_eq!(item["https://gs1.org/voc/pip"][0]["href"], json!(link));
    assert_eq!(item["https://gs1.org/voc/pip"][0]["type"], "text/html");
    let image = item["https://gs1.org/voc/relatedImage"][0]["href"]
        .as_str()
        .unwrap_or("");
    assert!(image.starts_with(&format!("{BASE}/media/")), "{image}");
    let (_, _, by_query) = app.get(&format!("/01/{gtin:0>14}?linkType=linkset")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&by_query).expect("json"),
        set,
        "every GTIN form"
    );
    let (_, headers, _) = app.get(&format!("/01/{gtin}")).await;
    assert!(
        headers["link"]
            .to_str()
            .unwrap_or("")
            .contains("rel=\"linkset\"")
    );

    let (status, headers, body) = app.get("/.well-known/gs1resolver").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "application/json");
    let about: Value = serde_json::from_str(&body).expect("json");
    assert_eq!(about["resolverRoot"], BASE);
    assert_eq!(about["supportedPrimaryKeys"], json!(["01"]));
    assert_eq!(about["supportedLinkType"][0]["prefix"], "gs1:");
}

/// The certificate in force today has lapsed on a replica whose clock runs
/// 401 days ahead; the page there says so, the page here does not.
#[tokio::test]
async fn a_lapsed_certificate_is_shown_as_lapsed() {
    let app = TestApp::new().await;
    let (_, p) = published(&app).await;
    let path = format!("/01/{}", text(&p, "gtin"));
    let later = app.replica_with(|c| c.clock_offset_days = 401).await;
    let (status, headers, bytes) = raw_send(
        &later,
        Request::get(&path).body(Body::empty()).expect("request"),
    )
    .await;
    let page = String::from_utf8_lossy(&bytes);
    assert_eq!(status, StatusCode::OK);
    let lapsed = ocop_gateway::domain::clock::business_today() + chrono::Duration::days(401);
    assert!(
        page.contains(&format!("Đã hết hiệu lực từ {}", vn_date(lapsed))),
        "{page}"
    );
    assert!(page.contains("box bad"), "shown in the warning colour");
    assert!(!page.contains("Còn hiệu lực"));
    let age: i64 = headers["cache-control"]
        .to_str()
        .unwrap_or("")
        .trim_start_matches("public, max-age=")
        .parse()
        .expect("max-age");
    assert!((0..=300).contains(&age));
    let (_, _, today) = app.get(&path).await;
    assert!(today.contains("Còn hiệu lực đến"));
}

/// The QR code to print, rasterised as a printer would and read back as a
/// phone camera would: it is the product's Digital Link.
#[tokio::test]
async fn the_printed_qr_code_reads_back_as_the_digital_link() {
    let app = TestApp::new().await;
    let (_, p) = published(&app).await;
    let (status, headers, svg) = app.get(&format!("/01/{}/qr.svg", text(&p, "gtin"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/svg+xml");
    assert_eq!(read_qr(&svg), text(&p, "digitalLink"));
    let (status, _, svg) = app
        .get(&format!("/trace/{}/qr.svg", text(&p, "traceCode")))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        read_qr(&svg),
        format!("{BASE}/trace/{}", text(&p, "traceCode"))
    );
    let (status, ..) = app.get("/01/8934563138166/qr.svg").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// Draws the SVG's `M x y h n v1 h-n z` runs at 6 px a module and decodes it.
fn read_qr(svg: &str) -> String {
    let view = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse::<u32>().ok())
        .expect("viewBox");
    let d = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("path");
    let scale = 6;
    let mut img = image::GrayImage::from_pixel(view * scale, view * scale, image::Luma([255]));
    for run in d.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').expect("run");
        let (x, y) = xy.split_once(' ').expect("x y");
        let (x, y): (u32, u32) = (x.parse().expect("x"), y.parse().expect("y"));
        let n: u32 = rest
            .split('v')
            .next()
            .and_then(|n| n.parse().ok())
            .expect("length");
        for px in x * scale..(x + n) * scale {
            for py in y * scale..(y + 1) * scale {
                img.put_pixel(px, py, image::Luma([0]));
            }
        }
    }
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    let (meta, content) = grids[0].decode().expect("decodes");
    assert!(
        meta.ecc_level <= 1,
        "error correction M or better: {}",
        meta.ecc_level
    );
    content
}

/// Pages are kept until a commit: a poll costs no SQL, a product write
/// shows at once.
#[tokio::test]
async fn kept_pages_cost_nothing_and_never_outlive_a_write() {
    let app = TestApp::with_config(|c| c.response_cache_entries = 100).await;
    app.listening().await;
    let (id, p) = published(&app).await;
    let path = format!("/01/{}", text(&p, "gtin"));
    let (_, _, first) = app.get(&path).await;
    app.reset_statements();
    let (_, _, again) = app.get(&path).await;
    assert_eq!(app.statement_count(), 0, "kept");
    assert_eq!(again, first);
    let version = hub(
        &app,
        "query($id: ID!) { product(id: $id) { version } }",
        json!({ "id": id }),
    )
    .await;
    hub(
        &app,
        UPDATE,
        json!({ "id": id, "v": version["product"]["version"], "in": { "nameVi": "Mật ong rừng U Minh" } }),
    )
    .await;
    let (_, _, after) = app.get(&path).await;
    assert!(
        after.contains("Mật ong rừng U Minh"),
        "the write shows at once"
    );
}

/// Anonymous callers are metered per client address; behind a trusted
/// proxy, per `X-Forwarded-For`, which nobody else may set. /metrics
/// counts the outcomes and never a GTIN.
#[tokio::test]
async fn origin_pages_are_metered_per_client_address() {
    let app = TestApp::with_config(|c| {
        c.origin_rate_limit_rps = 1;
        c.origin_rate_limit_burst = 2;
        c.trusted_proxies = vec!["127.0.0.1".parse().expect("cidr")];
    })
    .await;
    let (_, p) = published(&app).await;
    let gtin = text(&p, "gtin");
    let addr = app.serve().await;
    let client = reqwest::Client::new();
    let get = |from: &'static str| {
        let client = client.clone();
        let url = format!("http://{addr}/01/{gtin}");
        async move {
            client
                .get(url)
                .header("x-forwarded-for", from)
                .send()
                .await
                .expect("request")
        }
    };
    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(get("203.0.113.1").await.status().as_u16());
    }
    assert_eq!(codes, vec![200, 200, 429]);
    let refused = get("203.0.113.1").await;
    assert!(refused.headers().contains_key("retry-after"));
    assert_eq!(
        get("203.0.113.2").await.status().as_u16(),
        200,
        "another shopper"
    );

    let (_, _, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains(
            "ocop_gateway_origin_views_total{format=\"html\",outcome=\"rate_limited\"} 2"
        ),
        "{metrics}"
    );
    assert!(!metrics.contains(&gtin), "no per-GTIN labels");
    assert!(metrics.contains("route=\"/01/{gtin}\""));
}
