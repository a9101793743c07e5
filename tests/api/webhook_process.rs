//! Webhooks with real server processes: a server killed with SIGKILL in
//! the middle of an attempt loses nothing (the restarted one sends it
//! again, with the same `webhook-id`, once the dead one's lease runs out).
//! Ignored by default; `.ci/run` runs it on both backends.

use std::time::Duration;

use serde_json::json;

use crate::durability::{free_port, post, spawn_server, wait_ready};
use crate::helpers::receiver::{Receiver, Reply};
use crate::helpers::*;

const ENV: &[(&str, &str)] = &[
    ("WEBHOOK_ALLOW_PRIVATE_TARGETS", "true"),
    ("WEBHOOK_TIMEOUT", "3s"),
    ("WEBHOOK_RETRY_SCHEDULE", "100ms,100ms"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "spawns and kills the real server; run with --ignored"]
async fn a_server_killed_mid_attempt_loses_no_delivery() {
    let (url, _dir) = fresh_database().await;
    let minter = TestApp::new().await;
    let token = minter.token("aeon-vn", "webhooks:manage orders:read");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut rx = Receiver::start().await;
    // The first call is held open: the server is killed while it waits.
    rx.answer(&[Reply::Hang]);

    let port = free_port();
    let mut first = spawn_server(&url, port, ENV);
    wait_ready(&client, port).await;
    let created = post(&client, port, &token,
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
        json!({ "i": { "url": rx.url(), "topics": ["ORDER_EVENTS"] } }),
    )
    .await
    .expect("an answer");
    let id = created["data"]["createWebhookEndpoint"]["endpoint"]["id"].clone();
    assert!(id.is_string(), "{created}");
    post(
        &client,
        port,
        &token,
        "mutation($id: ID!) { pingWebhookEndpoint(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await
    .expect("an answer");
    let during = rx.next().await;
    first.kill().expect("SIGKILL");
    first.wait().expect("reaped");

    // Restarted: once the dead attempt's lease runs out (timeout + 5 s),
    // the delivery is sent again, with the same id, and recorded once.
    let port = free_port();
    let mut second = spawn_server(&url, port, ENV);
    wait_ready(&client, port).await;
    let again = rx.next().await;
    assert_eq!(again.id(), during.id(), "the same webhook-id");
    assert_eq!(again.body, during.body, "the same body");
    let log = "query { webhookEndpoints { deliveries { status attempts } } }";
    let mut delivered = false;
    for _ in 0..200 {
        let r = post(&client, port, &token, log, json!({}))
            .await
            .expect("an answer");
        let d = &r["data"]["webhookEndpoints"][0]["deliveries"];
        if d[0]["status"] == "DELIVERED" {
            assert_eq!(d.as_array().map(Vec::len), Some(1), "{r}");
            assert_eq!(d[0]["attempts"], 2, "the killed attempt counts: {r}");
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = second.kill();
    let _ = second.wait();
    assert!(delivered, "the delivery was recorded as delivered");
    assert!(rx.drain().is_empty(), "and not sent a third time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "spawns two real servers; run with --ignored"]
async fn two_server_processes_deliver_each_event_once() {
    let (url, _dir) = fresh_database().await;
    let minter = TestApp::new().await;
    let token = minter.token(
        "aeon-vn",
        "webhooks:manage orders:read orders:write catalog:read",
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut rx = Receiver::start().await;
    let ports = [free_port(), free_port()];
    let mut servers: Vec<_> = ports.iter().map(|p| spawn_server(&url, *p, ENV)).collect();
    for p in ports {
        wait_ready(&client, p).await;
    }
    let created = post(&client, ports[0], &token,
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { endpoint { id } } }",
        json!({ "i": { "url": rx.url(), "topics": ["ORDER_EVENTS"] } }),
    )
    .await
    .expect("an answer");
    assert!(
        created["data"]["createWebhookEndpoint"]["endpoint"]["id"].is_string(),
        "{created}"
    );
    let what = post(&client, ports[0], &token,
        "{ viewer { partner { stores { id } } } products(first: 1, filter: { orderable: true }) { nodes { id minOrderQuantity } } }",
        json!({}),
    )
    .await
    .expect("an answer");
    let store = what["data"]["viewer"]["partner"]["stores"][0]["id"].clone();
    let product = &what["data"]["products"]["nodes"][0];
    const ORDERS: usize = 10;
    for i in 0..ORDERS {
        let r = post(
            &client,
            ports[i % 2],
            &token,
            PLACE,
            input(
                &format!("two-proc-{i}"),
                &store,
                vec![(
                    product["id"].clone(),
                    product["minOrderQuantity"].as_i64().unwrap_or(1),
                )],
            ),
        )
        .await
        .expect("an answer");
        assert!(r["errors"].is_null(), "{r}");
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < ORDERS {
        let r = rx.next_of("order.placed").await;
        assert!(seen.insert(r.id().to_owned()), "{} twice", r.id());
    }
    let log = "query { webhookEndpoints { deliveries(first: 50) { status attempts } } }";
    let mut settled = false;
    for _ in 0..200 {
        let r = post(&client, ports[1], &token, log, json!({}))
            .await
            .expect("an answer");
        let d = r["data"]["webhookEndpoints"][0]["deliveries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if d.len() >= ORDERS && d.iter().all(|x| x["status"] == "DELIVERED") {
            assert_eq!(d.len(), ORDERS, "one delivery per event: {r}");
            assert!(
                d.iter().all(|x| x["attempts"] == 1),
                "one attempt each: {r}"
            );
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    assert!(settled, "every delivery recorded delivered");
    assert!(rx.drain().is_empty(), "nothing sent twice");
}
