//! Webhooks through the real stack on both databases: a real receiver on
//! a random port, signatures checked with the Standard Webhooks
//! specification's own library (`standardwebhooks`), retries on a short
//! configured schedule, SSRF refusals, isolation between partners, two
//! replicas, replays and the log's pruning.

use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::receiver::{PATIENCE, Receiver, Reply};
use crate::helpers::*;
use crate::live::place;

const SCOPES: &str = "webhooks:manage orders:read orders:write inventory:read catalog:read";
const CREATE: &str = "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id url topics enabled } secret } }";
const DELIVERIES: &str = "query { webhookEndpoints { id enabled disabledReason deliveries(first: 50) { id messageId eventType status attempts responseStatus failureReason nextAttemptAt } } }";
const PING: &str = "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id messageId status } }";

async fn webhook_app(adjust: impl FnOnce(&mut ocop_gateway::config::Config)) -> TestApp {
    TestApp::with_config(|c| {
        c.webhooks.webhook_delivery = true;
        c.webhooks.webhook_allow_private_targets = Some(true);
        c.webhooks.webhook_retry_schedule = vec![Duration::from_millis(30); 3];
        adjust(c);
    })
    .await
}

/// Registers an endpoint for `partner`; its id and secret.
async fn register(app: &TestApp, partner: &str, url: &str, topics: &[&str]) -> (String, String) {
    let r = app
        .gql_as(
            partner,
            SCOPES,
            CREATE,
            json!({ "i": { "url": url, "topics": topics } }),
        )
        .await;
    let c = &r.expect_data()["createWebhookEndpoint"];
    (
        c["endpoint"]["id"].as_str().unwrap_or_default().to_owned(),
        c["secret"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + PATIENCE;
    while !done().await {
        assert!(Instant::now() < deadline, "never came: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The log of `partner`'s endpoint `id` (newest first).
async fn log(app: &TestApp, partner: &str, id: &str) -> Vec<Value> {
    let r = app.gql_as(partner, SCOPES, DELIVERIES, json!({})).await;
    r.expect_data()["webhookEndpoints"]
        .as_array()
        .and_then(|v| v.iter().find(|e| e["id"] == id))
        .and_then(|e| e["deliveries"].as_array().cloned())
        .unwrap_or_default()
}

async fn endpoint(app: &TestApp, partner: &str, id: &str) -> Value {
    let r = app.gql_as(partner, SCOPES, DELIVERIES, json!({})).await;
    r.expect_data()["webhookEndpoints"]
        .as_array()
        .and_then(|v| v.iter().find(|e| e["id"] == id).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn an_order_reaches_the_chain_signed_as_its_own_library_checks() {
    let app = webhook_app(|_| {}).await;
    let mut rx = Receiver::start().await;
    let (id, secret) = register(
        &app,
        "aeon-vn",
        &rx.url(),
        &["ORDER_EVENTS", "STOCK_CHANGED"],
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    let order = place(&app, "aeon-vn", "wh-1").await;

    let placed = rx.next_of("order.placed").await;
    assert!(
        placed.verifies_with(&secret),
        "the specification's verifier accepts it"
    );
    assert!(!placed.verifies_with("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    let body = placed.json();
    assert_eq!(body["data"]["order"]["id"], order, "{body}");
    assert_eq!(body["data"]["to"], "PLACED");
    assert!(body["timestamp"].as_str().is_some_and(|t| t.ends_with('Z')));
    // The cursor is the one `orderEvents(since:)` takes.
    let cursor = body["data"]["cursor"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let history = app
        .gql_as(
            "aeon-vn",
            "orders:read",
            "query($id: ID!) { order(id: $id) { statusHistory { cursor } } }",
            json!({ "id": order }),
        )
        .await;
    assert_eq!(
        history.expect_data()["order"]["statusHistory"][0]["cursor"],
        cursor.as_str()
    );
    let ts: i64 = placed
        .header("webhook-timestamp")
        .parse()
        .expect("Unix seconds");
    assert!((ts - chrono::Utc::now().timestamp()).abs() < 600);

    let stock = rx.next_of("stock.changed").await;
    assert!(stock.verifies_with(&secret));
    assert!(stock.json()["data"]["available"].is_i64());

    let message = placed.id().to_owned();
    until("the log shows it delivered", || async {
        log(&app, "aeon-vn", &id).await.iter().any(|d| {
            d["messageId"] == message.as_str()
                && d["status"] == "DELIVERED"
                && d["responseStatus"] == 200
        })
    })
    .await;
}

#[tokio::test]
async fn a_failed_attempt_is_retried_with_the_same_id_and_delivered_once() {
    let app = webhook_app(|_| {}).await;
    let mut rx = Receiver::start().await;
    let (id, secret) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    rx.answer(&[Reply::Status(500)]);
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    let first = rx.next().await;
    let second = rx.next().await;
    assert_eq!(first.id(), second.id(), "a retry keeps its webhook-id");
    assert_eq!(first.body, second.body, "and its body");
    assert!(second.verifies_with(&secret));
    until("delivered after one retry", || async {
        let l = log(&app, "aeon-vn", &id).await;
        l.len() == 1 && l[0]["status"] == "DELIVERED" && l[0]["attempts"] == 2
    })
    .await;
    assert!(rx.drain().is_empty(), "nothing more was sent");
}

#[tokio::test]
async fn retries_end_failed_with_the_reason_and_410_disables_at_once() {
    let app = webhook_app(|_| {}).await;
    let mut rx = Receiver::start().await;
    let (id, _) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    // Four 503s: the first attempt and the three retries of the schedule.
    rx.answer(&[Reply::Status(503); 4]);
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    until("given up", || async {
        let l = log(&app, "aeon-vn", &id).await;
        l.first()
            .is_some_and(|d| d["status"] == "FAILED" && d["attempts"] == 4)
    })
    .await;
    let l = log(&app, "aeon-vn", &id).await;
    assert_eq!(l[0]["failureReason"], "answered HTTP 503", "{l:?}");
    assert_eq!(l[0]["nextAttemptAt"], Value::Null);
    // A redelivery starts afresh, with the same id.
    let failed = l[0]["id"].clone();
    let ids: Vec<String> = rx.drain().iter().map(|r| r.id().to_owned()).collect();
    assert_eq!(ids.len(), 4);
    app.gql_as(
        "aeon-vn",
        SCOPES,
        "mutation($d: ID!) { redeliverWebhook(deliveryId: $d) { status } }",
        json!({ "d": failed }),
    )
    .await
    .expect_data();
    assert_eq!(rx.next().await.id(), ids[0]);

    rx.answer(&[Reply::Status(410)]);
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    until("disabled by the 410", || async {
        endpoint(&app, "aeon-vn", &id).await["enabled"] == false
    })
    .await;
    let e = endpoint(&app, "aeon-vn", &id).await;
    assert!(
        e["disabledReason"]
            .as_str()
            .is_some_and(|r| r.contains("410")),
        "{e}"
    );
    // The operator sees the same story in /metrics: three retries, one
    // given up, one redelivered, one 410.
    until("attempts counted by outcome", || async {
        let (_, _, text) = app.get("/metrics").await;
        [
            r#"webhook_attempts_total{outcome="retrying"} 3"#,
            r#"webhook_attempts_total{outcome="failed"} 1"#,
            r#"webhook_attempts_total{outcome="delivered"} 1"#,
            r#"webhook_attempts_total{outcome="gone"} 1"#,
        ]
        .iter()
        .all(|line| text.contains(line))
    })
    .await;
}

#[tokio::test]
async fn during_a_rotation_both_secrets_sign() {
    let app = webhook_app(|_| {}).await;
    let mut rx = Receiver::start().await;
    let (id, old) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    let r = app
        .gql_as("aeon-vn", SCOPES, "mutation($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { previousSecretExpiresAt } } }", json!({ "id": id }))
        .await;
    let new = r.expect_data()["rotateWebhookSecret"]["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_ne!(new, old);
    assert!(r.data()["rotateWebhookSecret"]["endpoint"]["previousSecretExpiresAt"].is_string());
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    let call = rx.next().await;
    assert_eq!(
        call.header("webhook-signature").split(' ').count(),
        2,
        "two signatures"
    );
    assert!(
        call.verifies_with(&old),
        "a receiver still on the old secret accepts it"
    );
    assert!(call.verifies_with(&new), "and one on the new");
    // The secret is never shown again.
    let listed = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            "query { webhookEndpoints { id url } }",
            json!({}),
        )
        .await;
    assert!(!listed.body.to_string().contains(&new[6..]));
}

#[tokio::test]
async fn targets_on_non_public_addresses_are_refused_at_creation_and_before_each_attempt() {
    let app = TestApp::with_config(|c| {
        c.webhooks.webhook_delivery = true;
        c.webhooks.webhook_allow_private_targets = Some(false);
    })
    .await;
    let mut rx = Receiver::start().await;
    let port = rx.addr.port();
    for url in [
        format!("http://127.0.0.1:{port}/hooks"),
        format!("http://localhost:{port}/hooks"),
        "http://10.0.0.7/hooks".into(),
        "http://172.16.3.4/hooks".into(),
        "http://192.168.1.10/hooks".into(),
        "http://169.254.169.254/latest/meta-data".into(),
        "http://0.0.0.0/".into(),
        "http://[::1]/".into(),
        "http://[fd00::1]/".into(),
        "http://[fe80::1]/".into(),
        "http://[::ffff:127.0.0.1]/".into(),
        "ftp://example.com/".into(),
        "http://user:pw@example.com/".into(),
    ] {
        let r = app
            .gql_as(
                "aeon-vn",
                SCOPES,
                CREATE,
                json!({ "i": { "url": url, "topics": ["ORDER_EVENTS"] } }),
            )
            .await;
        assert_eq!(r.code(), Some("BAD_USER_INPUT"), "{url}: {}", r.body);
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM webhook_endpoint")
            .await,
        0,
        "nothing was written"
    );
    // A name that resolved to a public address when it was registered
    // and to loopback now is not reached.
    let partner = app
        .scalar_i64("SELECT id FROM partner WHERE code = 'aeon-vn'")
        .await;
    let sealed = {
        let key = ocop_gateway::webhooks::secrets::SealKey::new(
            &app.state.config.webhook_key().expect("key"),
        )
        .expect("key");
        key.seal("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .expect("seal")
    };
    app.exec(&format!(
        "INSERT INTO webhook_endpoint (partner_id, url, description, topics, enabled, secret_sealed, created_at_ms, updated_at_ms)
         VALUES ({partner}, 'http://localhost:{port}/hooks', '', 'ORDER_EVENTS', TRUE, '{sealed}', 0, 0)"
    ))
    .await;
    let id = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            "query { webhookEndpoints { id } }",
            json!({}),
        )
        .await
        .expect_data()["webhookEndpoints"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    until("the attempt refused", || async {
        log(&app, "aeon-vn", &id).await.first().is_some_and(|d| {
            d["attempts"] == 1
                && d["failureReason"]
                    .as_str()
                    .is_some_and(|r| r.contains("refused"))
        })
    })
    .await;
    assert!(
        rx.drain().is_empty(),
        "the receiver on loopback was never called"
    );
}

#[tokio::test]
async fn a_partner_gets_only_what_it_could_read_and_manages_only_its_own() {
    let app = webhook_app(|_| {}).await;
    let (mut aeon_rx, mut win_rx) = (Receiver::start().await, Receiver::start().await);
    let (aeon, _) = register(&app, "aeon-vn", &aeon_rx.url(), &["ORDER_EVENTS"]).await;
    let (win, _) = register(&app, "winmart", &win_rx.url(), &["ORDER_EVENTS"]).await;
    let order = place(&app, "aeon-vn", "iso-1").await;
    let theirs = place(&app, "winmart", "iso-2").await;
    assert_eq!(
        aeon_rx.next_of("order.placed").await.json()["data"]["order"]["id"],
        order
    );
    assert_eq!(
        win_rx.next_of("order.placed").await.json()["data"]["order"]["id"],
        theirs
    );
    // Both orders were fanned out (deliveries are written per event for
    // every endpoint at once): neither endpoint got the other's.
    for (id, not) in [(&aeon, &theirs), (&win, &order)] {
        let l = log(&app, if id == &aeon { "aeon-vn" } else { "winmart" }, id).await;
        assert_eq!(
            l.iter()
                .filter(|d| d["eventType"] == "order.placed")
                .count(),
            1,
            "{l:?}"
        );
        let _ = not;
    }
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM webhook_delivery WHERE event_type = 'order.placed'")
            .await,
        2
    );
    // Another's endpoint is not found, as a missing one.
    let r = app
        .gql_as("winmart", SCOPES, PING, json!({ "id": aeon }))
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    let r = app
        .gql_as(
            "winmart",
            SCOPES,
            "mutation($id: ID!) { deleteWebhookEndpoint(id: $id) }",
            json!({ "id": aeon }),
        )
        .await;
    assert_eq!(r.code(), Some("NOT_FOUND"));
    // The operator sees both.
    let all = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "query { webhookEndpoints { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        all.expect_data()["webhookEndpoints"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    // Without the scope, no webhooks at all.
    let r = app
        .gql_as(
            "aeon-vn",
            "orders:read",
            "query { webhookEndpoints { id } }",
            json!({}),
        )
        .await;
    assert_eq!(r.code(), Some("FORBIDDEN"));
}

#[tokio::test]
async fn topics_need_the_grant_to_read_them_and_endpoints_are_bounded() {
    let app = webhook_app(|c| c.webhooks.webhook_max_endpoints = 2).await;
    let rx = Receiver::start().await;
    app.exec("UPDATE partner SET allowed_scopes = 'orders:read orders:write webhooks:manage' WHERE code = 'winmart'")
        .await;
    let r = app
        .gql_as(
            "winmart",
            SCOPES,
            CREATE,
            json!({ "i": { "url": rx.url(), "topics": ["STOCK_CHANGED"] } }),
        )
        .await;
    assert_eq!(r.code(), Some("BAD_USER_INPUT"), "{}", r.body);
    register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    register(&app, "aeon-vn", &rx.url(), &["LOW_STOCK"]).await;
    let r = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            CREATE,
            json!({ "i": { "url": rx.url(), "topics": ["ORDER_EVENTS"] } }),
        )
        .await;
    assert_eq!(
        r.body["errors"][0]["extensions"]["reason"], "TOO_MANY_ENDPOINTS",
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_dead_endpoint_never_delays_another() {
    let app = webhook_app(|c| c.webhooks.webhook_timeout = Duration::from_secs(120)).await;
    let (mut dead, mut alive) = (Receiver::start().await, Receiver::start().await);
    dead.answer(&[Reply::Hang; 20]);
    let (d, _) = register(&app, "aeon-vn", &dead.url(), &["ORDER_EVENTS"]).await;
    let (a, _) = register(&app, "winmart", &alive.url(), &["ORDER_EVENTS"]).await;
    for _ in 0..10 {
        app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": d }))
            .await
            .expect_data();
    }
    // The dead one holds its four slots (WEBHOOK_CONCURRENCY_PER_ENDPOINT).
    for _ in 0..4 {
        dead.next().await;
    }
    for _ in 0..3 {
        app.gql_as("winmart", SCOPES, PING, json!({ "id": a }))
            .await
            .expect_data();
        alive.next().await;
    }
    assert!(dead.drain().is_empty(), "no fifth call while four hang");
}

#[tokio::test]
async fn two_replicas_deliver_each_event_exactly_once() {
    let app = webhook_app(|_| {}).await;
    let _other = app.replica().await;
    let mut rx = Receiver::start().await;
    let (id, _) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    for i in 0..12 {
        place(&app, "aeon-vn", &format!("two-{i}")).await;
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 12 {
        let r = rx.next_of("order.placed").await;
        assert!(seen.insert(r.id().to_owned()), "{} twice", r.id());
    }
    until("all marked delivered", || async {
        app.scalar_i64("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'DELIVERED'")
            .await
            == 12
    })
    .await;
    assert_eq!(
        app.scalar_i64("SELECT MAX(attempts) FROM webhook_delivery")
            .await,
        1,
        "one attempt each"
    );
    assert!(rx.drain().is_empty(), "and nothing sent twice");
    let _ = id;
}

#[tokio::test]
async fn a_replay_sends_past_events_again_with_their_ids() {
    let app = webhook_app(|_| {}).await;
    let mut rx = Receiver::start().await;
    let (id, _) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(5);
    place(&app, "aeon-vn", "replay-1").await;
    let first = rx.next_of("order.placed").await.id().to_owned();
    let r = app
        .gql_as(
            "aeon-vn",
            SCOPES,
            "mutation($id: ID!, $s: DateTime!) { replayWebhooks(endpointId: $id, since: $s) }",
            json!({ "id": id, "s": since.to_rfc3339() }),
        )
        .await;
    assert!(
        r.expect_data()["replayWebhooks"]
            .as_i64()
            .is_some_and(|n| n >= 1),
        "{}",
        r.body
    );
    assert_eq!(
        rx.next_of("order.placed").await.id(),
        first,
        "the same webhook-id"
    );
}

#[tokio::test]
async fn the_log_is_pruned_after_its_retention() {
    let app = webhook_app(|c| c.webhooks.webhook_log_retention = Duration::from_secs(3600)).await;
    let mut rx = Receiver::start().await;
    let (id, _) = register(&app, "aeon-vn", &rx.url(), &["ORDER_EVENTS"]).await;
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    rx.next().await;
    until("delivered", || async {
        log(&app, "aeon-vn", &id)
            .await
            .first()
            .is_some_and(|d| d["status"] == "DELIVERED")
    })
    .await;
    app.exec("UPDATE webhook_delivery SET created_at_ms = created_at_ms - 7200000")
        .await;
    app.gql_as("aeon-vn", SCOPES, PING, json!({ "id": id }))
        .await
        .expect_data();
    rx.next().await;
    let wh = app.state.webhooks.clone().expect("webhooks");
    let db = ocop_gateway::db::Db::new(app.db.clone());
    until("the fresh one settled", || async {
        app.scalar_i64("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'PENDING'")
            .await
            == 0
    })
    .await;
    let n = ocop_gateway::webhooks::worker::prune(&wh, &db)
        .await
        .expect("prune");
    assert_eq!(n, 1, "the old entry goes");
    assert_eq!(
        log(&app, "aeon-vn", &id).await.len(),
        1,
        "the recent one stays"
    );
}
