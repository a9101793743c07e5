//! Catalogue fixtures shared by the catalogue-write tests: the write
//! documents, the demo producers, a producer partner, a new product and an
//! upload.

use axum::body::Body;
use axum::http::Request;
use serde_json::{Value, json};

use super::{GqlResponse, OPERATOR_SCOPES, TestApp};

pub const CREATE: &str =
    "mutation($in: CreateProductInput!) { createProduct(input: $in) { id sku status version } }";
pub const UPDATE: &str = "mutation($id: ID!, $v: Int!, $in: UpdateProductInput!) { updateProduct(id: $id, expectedVersion: $v, input: $in) { id version nameVi netContent { value unit } } }";
pub const SUBMIT: &str = "mutation($id: ID!) { submitProduct(id: $id) { status version } }";
pub const REVIEW: &str = "mutation($id: ID!, $d: ReviewDecision!, $r: [String!]) { reviewProduct(id: $id, decision: $d, reasons: $r) { status review { decision reasons } } }";
pub const PRODUCT: &str = "query($id: ID!) { product(id: $id) { id status version completeness { score ready missing { field rule message } } certificate { number status } images { url width height role } history { action actor version } } }";
pub const PRODUCER_SCOPES: &str = "catalog:read catalog:write inventory:read";

/// The first two demo producers' ids.
pub async fn producers(app: &TestApp) -> (Value, Value) {
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ producers(first: 2) { nodes { id } } }",
            json!({}),
        )
        .await;
    let nodes = res.expect_data()["producers"]["nodes"].clone();
    (nodes[0]["id"].clone(), nodes[1]["id"].clone())
}

/// Onboards a PRODUCER partner `code` for `producer`.
pub async fn producer_partner(app: &TestApp, code: &str, producer: &Value) {
    app.gql_as(
        "hanoi-ocop-hub",
        OPERATOR_SCOPES,
        "mutation($in: CreatePartnerInput!) { createPartner(input: $in) { id kind } }",
        json!({ "in": { "code": code, "name": format!("Producer {code}"), "kind": "PRODUCER",
                        "producerId": producer, "grants": ["catalog:read", "catalog:write", "inventory:read"] } }),
    )
    .await
    .expect_data();
}

pub fn new_product(producer: &Value, sku: &str) -> Value {
    json!({ "in": {
        "producerId": producer, "sku": sku, "nameVi": "Mật ong hoa nhãn Hưng Yên",
        "nameEn": "Hung Yen longan honey", "category": "FOOD", "unit": "chai",
        "packSize": 12, "wholesalePrice": 180000, "minOrderQuantity": 12,
    } })
}

/// A real `w` x `h` PNG (a gradient, so each size is a different file).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 255 / w.max(1)) as u8, (y * 255 / h.max(1)) as u8, 128])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode a PNG");
    out.into_inner()
}

/// Only a PNG's header, claiming `w` x `h`: what a decompression bomb
/// looks like before anything is decoded.
pub fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&w.to_be_bytes());
    b.extend_from_slice(&h.to_be_bytes());
    b.extend_from_slice(&[8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE]);
    b.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    b
}

pub async fn upload(app: &TestApp, token: &str, content_type: &str, bytes: Vec<u8>) -> GqlResponse {
    app.send(
        Request::post("/media")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", content_type)
            .body(Body::from(bytes))
            .expect("request"),
    )
    .await
}
