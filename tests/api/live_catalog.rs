//! Catalogue events live (`productChanged`), from the catalogue's outbox,
//! over a real WebSocket: a chain hears writes to published products and
//! never of a draft; the draft's producer hears its own.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::*;
use crate::ws_client::{Said, Ws};

const CHANGED: &str = "subscription($p: [ID!]) { productChanged(productIds: $p) { action version at product { id status } } }";
const PATIENCE: Duration = Duration::from_secs(10);

/// Renames a published product as the hub; returns the version made.
async fn touch(app: &TestApp, id: &Value, n: usize) -> i64 {
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "query($id: ID!) { product(id: $id) { version } }",
            json!({ "id": id }),
        )
        .await;
    let v = res.expect_data()["product"]["version"].clone();
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            UPDATE,
            json!({ "id": id, "v": v, "in": { "nameEn": format!("Renamed {n}") } }),
        )
        .await;
    res.expect_data()["updateProduct"]["version"]
        .as_i64()
        .unwrap_or(-1)
}

/// Returns once `ws` hears writes to `id`: each warm-up write is answered
/// by its event once the subscription is live (a fixed pause would race
/// its start), and events come in commit order, so when the last warm-up
/// version has come, nothing of the warm-up is pending.
async fn warm_up(app: &TestApp, sockets: &mut [&mut Ws], id: &Value) {
    for ws in sockets.iter_mut() {
        let mut last = -1;
        let mut heard = false;
        for n in 0..20 {
            last = touch(app, id, n).await;
            if let Said::Message(m) = ws.recv(Duration::from_millis(500)).await {
                heard = m["payload"]["data"]["productChanged"]["version"].as_i64() == Some(last);
                break;
            }
        }
        while !heard {
            let m = ws.next("c", PATIENCE).await;
            heard = m["data"]["productChanged"]["version"].as_i64() == Some(last);
        }
    }
    // The other sockets heard the later warm-ups too: drain them to the
    // last version.
    let last = touch(app, id, 99).await;
    for ws in sockets.iter_mut() {
        loop {
            let m = ws.next("c", PATIENCE).await;
            if m["data"]["productChanged"]["version"].as_i64() == Some(last) {
                break;
            }
        }
    }
}

#[tokio::test]
async fn catalogue_writes_reach_those_who_may_see_them() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let (mine, _) = producers(&app).await;
    producer_partner(&app, "htx-live", &mine).await;
    let public = products(&app, 1).await[0].0.clone();

    let mut chain = Ws::connect(addr, &app.token("aeon-vn", "catalog:read")).await;
    chain.subscribe("c", CHANGED, json!({})).await;
    let mut maker = Ws::connect(addr, &app.token("htx-live", PRODUCER_SCOPES)).await;
    maker.subscribe("c", CHANGED, json!({})).await;
    warm_up(&app, &mut [&mut chain, &mut maker], &public).await;

    // A draft: its producer hears it, the chain does not.
    let res = app
        .gql_as(
            "htx-live",
            PRODUCER_SCOPES,
            CREATE,
            new_product(&mine, "LIVE-1"),
        )
        .await;
    let draft = res.expect_data()["createProduct"]["id"].clone();
    let e = maker.next("c", PATIENCE).await;
    let e = &e["data"]["productChanged"];
    assert_eq!(
        (&e["action"], &e["product"]["id"], &e["product"]["status"]),
        (&json!("create"), &draft, &json!("DRAFT"))
    );
    let version = touch(&app, &public, 100).await;
    let e = chain.next("c", PATIENCE).await;
    let e = &e["data"]["productChanged"];
    assert_eq!(
        (&e["action"], &e["product"]["id"], e["version"].as_i64()),
        (&json!("update"), &public, Some(version)),
        "the chain's next event is the public write, not the draft"
    );
    let e = maker.next("c", PATIENCE).await;
    assert_eq!(e["data"]["productChanged"]["product"]["id"], public);

    // Narrowed to some products; and refused without the scope.
    let mut narrow = Ws::connect(addr, &app.token("aeon-vn", "catalog:read")).await;
    narrow
        .subscribe("c", CHANGED, json!({ "p": ["bm90LWEtcHJvZHVjdA"] }))
        .await;
    match narrow.recv(PATIENCE).await {
        Said::Message(m) => assert_eq!(m["type"], "error", "{m}"),
        other => panic!("a bad id is refused: {other:?}"),
    }
    let mut unscoped = Ws::connect(addr, &app.token("aeon-vn", "orders:read")).await;
    unscoped.subscribe("c", CHANGED, json!({})).await;
    match unscoped.recv(PATIENCE).await {
        Said::Message(m) => assert_eq!(m["type"], "error", "{m}"),
        other => panic!("no scope, no events: {other:?}"),
    }
}
