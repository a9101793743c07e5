//! Live events over graphql-transport-ws, with a real WebSocket client
//! speaking the protocol to a real server on a random port, on both
//! databases: delivery, isolation between partners, replay with `since`,
//! the protocol's refusals, token expiry and the limits.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;

use crate::helpers::*;
pub use crate::ws_client::{Said, Ws};

pub const ORDER_EVENTS: &str = "subscription($since: String) { orderEvents(since: $since) { cursor at status order { id status } } }";
const STOCK: &str = "subscription($p: [ID!], $l: [ID!]) { stockChanged(productIds: $p, locationIds: $l) { product { id sku } location { id code } onHand reserved available reorderPoint lowStock at } }";

/// How long a test waits for what must come: a bound on a hang, not a
/// latency claim (latency is measured in bench/, not asserted here).
const PATIENCE: Duration = Duration::from_secs(10);

pub async fn place(app: &TestApp, partner: &str, key: &str) -> Value {
    let store = store_of(app, partner).await;
    let ps = products(app, 1).await;
    let (p, moq, _) = &ps[0];
    app.gql_as(
        partner,
        ALL_RETAIL_SCOPES,
        PLACE,
        input(key, &store, vec![(p.clone(), *moq)]),
    )
    .await
    .expect_data()["placeOrder"]["order"]["id"]
        .clone()
}

/// A cursor to follow `partner`'s events from: the position of a warm-up
/// order's event. A subscription with it receives every later event
/// however long it takes to start on a loaded machine (a fixed pause
/// before placing the order under test raced in CI).
async fn start_from(app: &TestApp, partner: &str) -> Value {
    let earlier = place(app, partner, &format!("warm-up-{partner}")).await;
    app.gql_as(
        partner,
        "orders:read",
        "query($id: ID!) { order(id: $id) { statusHistory { cursor } } }",
        json!({ "id": earlier }),
    )
    .await
    .expect_data()["order"]["statusHistory"][0]["cursor"]
        .clone()
}

#[tokio::test]
async fn an_order_reaches_its_partner_and_the_operator_and_no_one_else() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let mut aeon = Ws::connect(addr, &app.token("aeon-vn", "orders:read")).await;
    let mut winmart = Ws::connect(addr, &app.token("winmart", "orders:read")).await;
    let mut hub = Ws::connect(addr, &app.token("hanoi-ocop-hub", OPERATOR_SCOPES)).await;
    // Aeon and the operator follow from an earlier event's cursor, so the
    // order below reaches them however long their subscriptions take to
    // start on a loaded machine (a fixed pause here was flaky in CI).
    // Winmart too, from its own earlier warm-up: what it may see from then
    // on is its own orders only.
    let since = start_from(&app, "winmart").await;
    let cursor = start_from(&app, "aeon-vn").await;
    for ws in [&mut aeon, &mut hub] {
        ws.subscribe("o", ORDER_EVENTS, json!({ "since": cursor }))
            .await;
    }
    winmart
        .subscribe("o", ORDER_EVENTS, json!({ "since": since }))
        .await;
    let id = place(&app, "aeon-vn", "live-1").await;
    for ws in [&mut aeon, &mut hub] {
        let event = ws.next("o", PATIENCE).await;
        let e = &event["data"]["orderEvents"];
        assert_eq!(e["order"]["id"], id, "{event}");
        assert_eq!(e["status"], "PLACED");
        assert!(e["cursor"].as_str().is_some_and(|c| !c.is_empty()));
    }
    // Winmart sees nothing of it: the first event after its cursor is its
    // own order, placed after Aeon's (`next` fails on any other message).
    let own = place(&app, "winmart", "live-2").await;
    let event = winmart.next("o", PATIENCE).await;
    assert_eq!(event["data"]["orderEvents"]["order"]["id"], own, "{event}");
    // The cancellation is an event too, with the order as it is now.
    app.gql_as(
        "winmart",
        ALL_RETAIL_SCOPES,
        "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
        json!({ "id": own }),
    )
    .await
    .expect_data();
    let event = winmart.next("o", PATIENCE).await;
    assert_eq!(event["data"]["orderEvents"]["status"], "CANCELLED");
    assert_eq!(event["data"]["orderEvents"]["order"]["status"], "CANCELLED");
}

#[tokio::test]
async fn a_stock_receipt_reaches_stock_subscribers_with_the_new_level() {
    // Every level counts as low here, so `lowStock` must say so.
    let app = TestApp::with_config(|c| c.default_reorder_point = 1_000_000_000).await;
    let addr = app.serve().await;
    let data = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ products(first: 2) { nodes { id sku stock { location { id code } onHand reserved } } } }",
            json!({}),
        )
        .await;
    let nodes = data.expect_data()["products"]["nodes"].clone();
    let (product, other) = (&nodes[0], &nodes[1]);
    let level = &product["stock"][0];
    let mut ws = Ws::connect(addr, &app.token("aeon-vn", "inventory:read catalog:read")).await;
    ws.subscribe("s", STOCK, json!({ "p": [product["id"]] }))
        .await;
    let receive = |p: &Value, l: &Value| {
        let vars = json!({ "p": p, "l": l });
        let app = &app;
        async move {
            app.gql_as(
                "hanoi-ocop-hub",
                OPERATOR_SCOPES,
                "mutation($p: ID!, $l: ID!) { receiveStock(input: { productId: $p, locationId: $l, quantity: 7 }) { onHand } }",
                vars,
            )
            .await
            .expect_data()["receiveStock"]["onHand"]
                .as_i64()
        }
    };
    // The subscription is live once a warm-up receipt's event has come
    // through (a fixed pause raced its start on a loaded machine). Events
    // come in commit order, so once the one showing the last warm-up's
    // level has arrived nothing of the warm-up is pending: that level is
    // the baseline.
    let mut last = None;
    let mut live = false;
    for _ in 0..20 {
        last = receive(&product["id"], &level["location"]["id"]).await;
        if let Said::Message(m) = ws.recv(Duration::from_millis(500)).await {
            live = m["payload"]["data"]["stockChanged"]["onHand"].as_i64() == last;
            break;
        }
    }
    while !live {
        let m = ws.next("s", PATIENCE).await;
        live = m["data"]["stockChanged"]["onHand"].as_i64() == last;
    }
    let on_hand = last.expect("the warm-up receipts answered") + 7;
    // A receipt of another product is not this subscriber's.
    receive(&other["id"], &other["stock"][0]["location"]["id"]).await;
    receive(&product["id"], &level["location"]["id"]).await;
    let event = ws.next("s", PATIENCE).await;
    let e = &event["data"]["stockChanged"];
    assert_eq!(e["product"]["id"], product["id"], "{event}");
    assert_eq!(e["location"]["id"], level["location"]["id"]);
    assert_eq!(e["onHand"], on_hand);
    assert_eq!(
        e["available"].as_i64(),
        e["onHand"]
            .as_i64()
            .zip(e["reserved"].as_i64())
            .map(|(h, r)| h - r)
    );
    assert_eq!(e["lowStock"], true);
    // The product's own reorder point overrides the default.
    let set =
        "mutation($p: ID!, $u: Int) { setReorderPoint(productId: $p, units: $u) { reorderPoint } }";
    let r = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            set,
            json!({ "p": product["id"], "u": 0 }),
        )
        .await;
    assert_eq!(r.expect_data()["setReorderPoint"]["reorderPoint"], 0);
    for (who, scopes, units, code) in [
        (
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            json!(-1),
            "BAD_USER_INPUT",
        ),
        ("aeon-vn", ALL_RETAIL_SCOPES, json!(5), "FORBIDDEN"),
    ] {
        let r = app
            .gql_as(who, scopes, set, json!({ "p": product["id"], "u": units }))
            .await;
        assert_eq!(r.code(), Some(code));
    }
    receive(&product["id"], &level["location"]["id"]).await;
    let event = ws.next("s", PATIENCE).await;
    let e = &event["data"]["stockChanged"];
    assert_eq!(
        (e["reorderPoint"].as_i64(), e["lowStock"].as_bool()),
        (Some(0), Some(false)),
        "{event}"
    );
    // An order reserving it is a stock change too.
    let store = store_of(&app, "aeon-vn").await;
    let moq = app
        .gql_as(
            "aeon-vn",
            ALL_RETAIL_SCOPES,
            "query($id: ID!) { product(id: $id) { minOrderQuantity } }",
            json!({ "id": product["id"] }),
        )
        .await
        .expect_data()["product"]["minOrderQuantity"]
        .as_i64()
        .unwrap_or(1);
    app.gql_as(
        "aeon-vn",
        ALL_RETAIL_SCOPES,
        PLACE,
        input("live-s", &store, vec![(product["id"].clone(), moq)]),
    )
    .await
    .expect_data();
    let event = ws.next("s", PATIENCE).await;
    let reserved = event["data"]["stockChanged"]["reserved"]
        .as_i64()
        .unwrap_or(0);
    assert!(reserved >= moq, "{event}");
}

#[tokio::test]
async fn since_replays_what_happened_after_the_cursor_then_goes_live() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let token = app.token("hapro", "orders:read");
    let mut ws = Ws::connect(addr, &token).await;
    let start = start_from(&app, "hapro").await;
    ws.subscribe("o", ORDER_EVENTS, json!({ "since": start }))
        .await;
    let first = place(&app, "hapro", "since-1").await;
    let cursor = ws.next("o", PATIENCE).await["data"]["orderEvents"]["cursor"].clone();
    ws.close().await;
    // While away: two more orders.
    let second = place(&app, "hapro", "since-2").await;
    let third = place(&app, "hapro", "since-3").await;
    let mut ws = Ws::connect(addr, &token).await;
    ws.subscribe("o", ORDER_EVENTS, json!({ "since": cursor }))
        .await;
    let a = ws.next("o", PATIENCE).await;
    let b = ws.next("o", PATIENCE).await;
    assert_eq!(a["data"]["orderEvents"]["order"]["id"], second);
    assert_eq!(b["data"]["orderEvents"]["order"]["id"], third);
    assert_ne!(second, first);
    // Then live.
    let fourth = place(&app, "hapro", "since-4").await;
    let c = ws.next("o", PATIENCE).await;
    assert_eq!(c["data"]["orderEvents"]["order"]["id"], fourth);
    // A cursor that is not one, or too old, is BAD_USER_INPUT.
    ws.subscribe("bad", ORDER_EVENTS, json!({ "since": "bm90LWEtY3Vyc29y" }))
        .await;
    match ws.recv(PATIENCE).await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        other => panic!("{other:?}"),
    }
    app.exec("UPDATE order_event SET created_at = '2020-01-01T00:00:00+00:00'")
        .await;
    ws.subscribe("old", ORDER_EVENTS, json!({ "since": cursor }))
        .await;
    match ws.recv(PATIENCE).await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert!(
                m["payload"][0]["message"]
                    .as_str()
                    .is_some_and(|s| s.contains("days old")),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_partner_over_its_rate_is_told_to_come_back_not_signed_out() {
    let app = TestApp::with_config(|c| {
        c.rate_limit_rps = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    let addr = app.serve().await;
    let token = app.token("winmart", "catalog:read");
    let mut limited = false;
    for _ in 0..10 {
        if app
            .gql(Some(&token), "{ viewer { scopes } }", json!({}))
            .await
            .status
            == 429
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "the flood was never limited");
    let mut ws = Ws::open(addr).await;
    ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    let (code, reason) = ws.closed(PATIENCE).await;
    // 1013 (Try Again Later): graphql-ws and the console retry it; 4403
    // would have signed a busy but valid partner out.
    assert_eq!(code, 1013, "{reason}");
    assert!(reason.contains("try again in"), "{reason}");
}

#[tokio::test]
async fn the_protocol_refuses_bad_tokens_strangers_and_misuse() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    // A bad token: 4403.
    let mut ws = Ws::open(addr).await;
    ws.send(
        json!({ "type": "connection_init", "payload": { "authorization": "Bearer not-a-jwt" } }),
    )
    .await;
    assert_eq!(ws.closed(PATIENCE).await.0, 4403);
    // No token at all: 4403.
    let mut ws = Ws::open(addr).await;
    ws.send(json!({ "type": "connection_init" })).await;
    assert_eq!(ws.closed(PATIENCE).await.0, 4403);
    // Subscribing before connection_init: 4401.
    let mut ws = Ws::open(addr).await;
    ws.subscribe("x", ORDER_EVENTS, json!({})).await;
    assert_eq!(ws.closed(PATIENCE).await.0, 4401);
    // Garbage: 4400.
    let mut ws = Ws::open(addr).await;
    ws.0.send(Message::Text("{nope".into()))
        .await
        .expect("send");
    assert_eq!(ws.closed(PATIENCE).await.0, 4400);
    let token = app.token("aeon-vn", "orders:read");
    // A second connection_init: 4429.
    let mut ws = Ws::connect(addr, &token).await;
    ws.send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } }))
        .await;
    assert_eq!(ws.closed(PATIENCE).await.0, 4429);
    // A scope the token lacks: an error for that operation only.
    let mut ws = Ws::connect(addr, &token).await;
    ws.subscribe("s", STOCK, json!({})).await;
    match ws.recv(PATIENCE).await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["id"], "s");
            assert_eq!(m["payload"][0]["extensions"]["code"], "FORBIDDEN");
        }
        other => panic!("{other:?}"),
    }
    // Queries belong to POST /graphql.
    ws.subscribe("q", "{ viewer { scopes } }", json!({})).await;
    match ws.recv(PATIENCE).await {
        Said::Message(m) => {
            assert_eq!(m["type"], "error", "{m}");
            assert_eq!(m["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
        }
        other => panic!("{other:?}"),
    }
    // And subscriptions do not go to POST /graphql.
    let posted = app.gql(Some(&token), ORDER_EVENTS, json!({})).await;
    assert_eq!(posted.code(), Some("BAD_USER_INPUT"));
    assert!(
        posted.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("/graphql/ws")),
        "{}",
        posted.body
    );
    // A ping is answered.
    ws.send(json!({ "type": "ping" })).await;
    match ws.recv(PATIENCE).await {
        Said::Message(m) => assert_eq!(m["type"], "pong"),
        other => panic!("{other:?}"),
    }
    // The same id twice while the first is live: 4409.
    ws.subscribe("o", ORDER_EVENTS, json!({})).await;
    ws.subscribe("o", ORDER_EVENTS, json!({})).await;
    assert_eq!(ws.closed(PATIENCE).await.0, 4409);
    // Without the subprotocol: 4406.
    let (mut plain, _) = connect_async(format!("ws://{addr}/graphql/ws"))
        .await
        .expect("connect");
    let code = loop {
        match plain.next().await {
            Some(Ok(Message::Close(Some(f)))) => break u16::from(f.code),
            Some(Ok(_)) => continue,
            _ => break 0,
        }
    };
    assert_eq!(code, 4406);
}

#[tokio::test]
async fn a_socket_that_never_initialises_is_closed() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let mut ws = Ws::open(addr).await;
    assert_eq!(ws.closed(Duration::from_secs(8)).await.0, 4408);
}

#[tokio::test]
async fn the_stream_ends_when_the_token_expires() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let token = app
        .state
        .auth
        .mint(
            "aeon-vn",
            &ocop_gateway::auth::ScopeSet::parse("orders:read"),
            Duration::from_secs(2),
        )
        .expect("mint");
    let mut ws = Ws::connect(addr, &token).await;
    ws.subscribe("o", ORDER_EVENTS, json!({})).await;
    let (code, reason) = ws.closed(Duration::from_secs(5)).await;
    assert_eq!(code, 4403);
    assert!(reason.contains("expired"), "{reason}");
}

#[tokio::test]
async fn subscriptions_are_limited_per_partner_and_per_socket_and_counted() {
    let app = TestApp::with_config(|c| {
        c.subscriptions_per_partner = 2;
        c.subscriptions_per_socket = 3;
    })
    .await;
    let addr = app.serve().await;
    let token = app.token("central-retail", "orders:read");
    let mut ws = Ws::connect(addr, &token).await;
    // Every subscription follows from this cursor, so the order placed
    // below reaches each that is open however long it took to start.
    let since = start_from(&app, "central-retail").await;
    for id in ["a", "b", "c"] {
        ws.subscribe(id, ORDER_EVENTS, json!({ "since": since }))
            .await;
    }
    match ws.recv(PATIENCE).await {
        Said::Message(m) => {
            assert_eq!(
                (m["type"].as_str(), m["id"].as_str()),
                (Some("error"), Some("c")),
                "{m}"
            );
            assert_eq!(m["payload"][0]["extensions"]["code"], "RATE_LIMITED");
        }
        other => panic!("{other:?}"),
    }
    let (_, _, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains("ocop_gateway_subscriptions{subscription=\"orderEvents\"} 2"),
        "{metrics}"
    );
    // Completing one frees its place (once the server has let it go).
    ws.send(json!({ "type": "complete", "id": "a" })).await;
    let freed = "ocop_gateway_subscriptions{subscription=\"orderEvents\"} 1";
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !app.get("/metrics").await.2.contains(freed) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the completed subscription was never let go"
        );
        tokio::task::yield_now().await;
    }
    ws.subscribe("d", ORDER_EVENTS, json!({ "since": since }))
        .await;
    place(&app, "central-retail", "limits-1").await;
    let mut got = Vec::new();
    for _ in 0..2 {
        match ws.recv(PATIENCE).await {
            Said::Message(m) if m["type"] == "next" => {
                got.push(m["id"].as_str().unwrap_or("").to_owned())
            }
            other => panic!("{other:?}"),
        }
    }
    got.sort();
    assert_eq!(got, ["b", "d"]);
    let (_, _, metrics) = app.get("/metrics").await;
    assert!(
        metrics.contains("ocop_gateway_subscription_events_total{subscription=\"orderEvents\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("ocop_gateway_subscription_delay_seconds_count"),
        "{metrics}"
    );
}

/// A hub of its own with a tiny ring, on the app's database.
fn small_hub(app: &TestApp, max_behind: usize) -> std::sync::Arc<ocop_gateway::live::hub::Hub> {
    ocop_gateway::live::hub::Hub::new(
        app.state.db.clone(),
        &app.url,
        ocop_gateway::live::hub::LiveLimits {
            per_partner: 10,
            per_socket: 10,
            replay_days: 7,
            max_behind,
            default_reorder_point: 20,
            poll: Duration::from_millis(200),
            ring: 2,
        },
        app.state.metrics.live.clone(),
    )
}

type Events = std::pin::Pin<
    Box<
        dyn futures_util::Stream<
                Item = Result<ocop_gateway::live::feed::OrderEvent, ocop_gateway::error::AppError>,
            > + Send,
    >,
>;

/// The order ids of the next `n` events of `stream` (waits up to 5 s each).
async fn next_orders(stream: &mut Events, n: usize) -> Vec<i64> {
    let mut out = Vec::new();
    for _ in 0..n {
        let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event in time")
            .expect("the stream goes on")
            .expect("no error");
        out.push(event.event.order_id);
    }
    out
}

/// Places and cancels `n` orders of `partner`: 2n events. After each
/// change it waits until `pacer` (another subscriber of the same hub) has
/// received it, so the dispatcher publishes each as a batch of its own and
/// a subscriber that does not read falls behind by 2n batches. Returns the
/// orders' ids.
async fn churn(app: &TestApp, partner: &str, n: usize, pacer: &mut Events) -> Vec<i64> {
    let mut ids = Vec::new();
    let store = store_of(app, partner).await;
    let ps = products(app, 1).await;
    let (p, moq, _) = &ps[0];
    // Keys unique in the test, so a later churn never replays an order.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    for _ in 0..n {
        let i = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let placed = app
            .gql_as(
                partner,
                ALL_RETAIL_SCOPES,
                PLACE,
                input(&format!("churn-{i}"), &store, vec![(p.clone(), *moq)]),
            )
            .await;
        let id = placed.expect_data()["placeOrder"]["order"]["id"].clone();
        ids.extend(next_orders(pacer, 1).await);
        app.gql_as(
            partner,
            ALL_RETAIL_SCOPES,
            "mutation($id: ID!) { cancelOrder(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await
        .expect_data();
        ids.extend(next_orders(pacer, 1).await);
    }
    ids
}

/// Hapro's order events from now on, straight from `hub`.
async fn hapro_events(app: &TestApp, hub: &std::sync::Arc<ocop_gateway::live::hub::Hub>) -> Events {
    let partner = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'hapro'")
        .await;
    let admitted = hub.admit(partner, "orderEvents").expect("admitted");
    Box::pin(
        hub.order_events(admitted, Some(partner), None)
            .await
            .expect("stream"),
    )
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_catches_up_from_the_database_in_order() {
    let app = TestApp::new().await;
    let hub = small_hub(&app, 10_000);
    let mut stream = hapro_events(&app, &hub).await;
    let mut pacer = hapro_events(&app, &hub).await;
    // Not read while 40 events happen: far past the 2-batch ring.
    let ids = churn(&app, "hapro", 20, &mut pacer).await;
    let (_, _, before) = app.get("/metrics").await;
    let mut positions = Vec::new();
    let mut orders = Vec::new();
    for _ in 0..40 {
        let event = tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("an event in time")
            .expect("the stream goes on")
            .expect("no error");
        positions.push(event.position);
        orders.push(event.event.order_id);
    }
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "in commit order, no duplicate"
    );
    assert_eq!(orders, ids, "exactly the churn's events, in order");
    let (_, _, after) = app.get("/metrics").await;
    let resyncs = |m: &str| {
        m.lines()
            .find(|l| l.starts_with("ocop_gateway_subscription_resyncs_total"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    assert!(resyncs(&after) >= 1.0, "{before}\n{after}");
    // Nothing more than what happened: the next event is a later marker's.
    let marker = churn(&app, "hapro", 1, &mut pacer).await;
    assert_eq!(next_orders(&mut stream, 2).await, marker);
}

#[tokio::test]
async fn a_subscriber_too_far_behind_is_ended_with_the_cursor_to_resume_from() {
    let app = TestApp::new().await;
    let hub = small_hub(&app, 10);
    let mut stream = hapro_events(&app, &hub).await;
    let mut pacer = hapro_events(&app, &hub).await;
    churn(&app, "hapro", 15, &mut pacer).await;
    let mut ended = None;
    for _ in 0..40 {
        match tokio::time::timeout(Duration::from_secs(5), stream.next())
            .await
            .expect("in time")
        {
            Some(Ok(_)) => continue,
            Some(Err(e)) => {
                ended = Some(e);
                break;
            }
            None => break,
        }
    }
    let e = ended.expect("ended with an error");
    assert_eq!(e.code(), "CONFLICT");
    assert!(
        e.public_message().contains("since"),
        "{}",
        e.public_message()
    );
    assert!(stream.next().await.is_none(), "and then it ends");
}

/// A token may claim an expiry no clock can hold (`exp` near `u64::MAX`):
/// the socket is served, and when it closes the gauge goes back to zero
/// (the expiry once overflowed `Instant` and killed the socket's task).
#[tokio::test]
async fn a_token_that_never_expires_neither_crashes_the_socket_nor_leaks_it() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let now = jsonwebtoken::get_current_timestamp();
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &json!({ "sub": "aeon-vn", "scope": "orders:read", "iss": "ocop-gateway",
                 "aud": "ocop-partners", "exp": u64::MAX - 1, "iat": now }),
        &jsonwebtoken::EncodingKey::from_secret(TEST_SECRET.as_bytes()),
    )
    .expect("sign");
    let since = start_from(&app, "aeon-vn").await;
    let mut ws = Ws::connect(addr, &token).await;
    ws.subscribe("o", ORDER_EVENTS, json!({ "since": since }))
        .await;
    let id = place(&app, "aeon-vn", "forever-1").await;
    let event = ws.next("o", PATIENCE).await;
    assert_eq!(event["data"]["orderEvents"]["order"]["id"], id, "{event}");
    ws.close().await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !app
        .get("/metrics")
        .await
        .2
        .contains("ocop_gateway_websockets 0")
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the socket was never let go"
        );
        tokio::task::yield_now().await;
    }
}

/// A suspension or a revocation ends the partner's open streams at once,
/// not at the next keep-alive (15 s): on PostgreSQL the change is made
/// through another replica, so it travels by NOTIFY; on SQLite one
/// process owns the file, so it is made through the same one.
#[tokio::test]
async fn suspension_and_revocation_close_open_streams_at_once() {
    let app = TestApp::new().await;
    let addr = app.serve().await;
    let through = match backend() {
        Backend::Postgres => app.replica().await,
        Backend::Sqlite => app.router.clone(),
    };
    let operator = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    for (partner, mutation) in [
        (
            "winmart",
            "mutation($id: ID!) { suspendPartner(id: $id, reason: \"audit\") { id } }",
        ),
        (
            "hapro",
            "mutation($id: ID!) { revokePartnerTokens(id: $id) { id } }",
        ),
    ] {
        let mut ws = Ws::connect(addr, &app.token(partner, "orders:read")).await;
        let since = start_from(&app, partner).await;
        ws.subscribe("o", ORDER_EVENTS, json!({ "since": since }))
            .await;
        // Live: an order of its own reaches it.
        let own = place(&app, partner, &format!("before-{partner}")).await;
        assert_eq!(
            ws.next("o", PATIENCE).await["data"]["orderEvents"]["order"]["id"],
            own
        );
        let res = gql_on(
            &through,
            Some(&operator),
            mutation,
            json!({ "id": partner_id(&app, partner).await }),
        )
        .await;
        res.expect_data();
        // PATIENCE (10 s) is below the 15 s keep-alive: only the
        // announcement can close it in time.
        let (code, reason) = ws.closed(PATIENCE).await;
        assert_eq!(code, 4403, "{partner}: {reason}");
    }
}

/// Sockets are bounded before anyone is known: uninitialised ones per
/// client address and in all (refused with 503 at the upgrade, nothing
/// allocated), and initialised ones per partner (closed with 4429). Places
/// come back when sockets initialise or close.
#[tokio::test]
async fn sockets_are_capped_before_and_after_initialisation() {
    let app = TestApp::with_config(|c| {
        c.ws_max_pending = 3;
        c.ws_max_pending_per_address = 2;
        c.ws_max_sockets_per_partner = 1;
    })
    .await;
    let addr = app.serve().await;
    let refused = |addr: std::net::SocketAddr| async move {
        let mut request =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
                format!("ws://{addr}/graphql/ws"),
            )
            .expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            tokio_tungstenite::tungstenite::http::HeaderValue::from_static("graphql-transport-ws"),
        );
        match connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                response.status().as_u16()
            }
            Err(e) => panic!("{e}"),
            Ok(_) => 101,
        }
    };
    // Two waiting sockets from this address: a third is refused.
    let first = Ws::open(addr).await;
    let mut second = Ws::open(addr).await;
    assert_eq!(refused(addr).await, 503);
    // One initialises: its place is given back, so another may wait.
    second
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.token("aeon-vn", "orders:read")) } }))
        .await;
    match second.recv(PATIENCE).await {
        Said::Message(m) => assert_eq!(m["type"], "connection_ack", "{m}"),
        other => panic!("{other:?}"),
    }
    let mut third = Ws::open(addr).await;
    // Aeon holds its one socket: a second initialised one is closed.
    third
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.token("aeon-vn", "orders:read")) } }))
        .await;
    let (code, _) = third.closed(PATIENCE).await;
    assert_eq!(code, 4429);
    // Another partner has its own.
    let mut first = first;
    first
        .send(json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", app.token("winmart", "orders:read")) } }))
        .await;
    match first.recv(PATIENCE).await {
        Said::Message(m) => assert_eq!(m["type"], "connection_ack", "{m}"),
        other => panic!("{other:?}"),
    }
}
