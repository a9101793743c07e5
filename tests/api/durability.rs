//! An order is acknowledged only after its transaction commits: a server
//! killed with SIGKILL under load loses no acknowledged order, and the stock
//! invariants hold on restart. Ignored by default (it spawns the real
//! binary twice); `.ci/run` runs it on both backends.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ocop_gateway::domain::inventory::check_invariants;
use serde_json::{Value, json};

use crate::helpers::*;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn spawn_server(url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ocop-gateway"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("JWT_SECRET", TEST_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn server")
}

/// Polls /readyz until the server answers (bounded).
async fn wait_ready(client: &reqwest::Client, port: u16) {
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server on port {port} never became ready");
}

async fn post(
    client: &reqwest::Client,
    port: u16,
    token: &str,
    query: &str,
    variables: Value,
) -> Option<Value> {
    client
        .post(format!("http://127.0.0.1:{port}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "spawns and kills the real server; run with --ignored"]
async fn sigkill_under_load_loses_no_acknowledged_order() {
    let (url, _dir) = fresh_database().await;
    let port = free_port();
    let mut server = spawn_server(&url, port);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    wait_ready(&client, port).await;

    let app = TestApp::with_config(|_| {}).await; // only to mint tokens with the test secret
    let token = app.token("aeon-vn", ALL_RETAIL_SCOPES);
    let setup = post(&client, port, &token, "{ viewer { partner { stores { id } } } products(first: 5) { nodes { id minOrderQuantity } } }", json!({}))
        .await
        .expect("setup query");
    let store = setup["data"]["viewer"]["partner"]["stores"][0]["id"].clone();
    let products: Vec<(Value, i64)> = setup["data"]["products"]["nodes"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| (p["id"].clone(), p["minOrderQuantity"].as_i64().unwrap_or(1)))
                .collect()
        })
        .unwrap_or_default();

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (client, token, store, products, acknowledged) = (
            client.clone(),
            token.clone(),
            store.clone(),
            products.clone(),
            acknowledged.clone(),
        );
        workers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                let (p, moq) = &products[(w + i) % products.len()];
                let vars = json!({ "input": {
                    "idempotencyKey": format!("kill-{w}-{i}"), "buyerReference": "PO-KILL", "storeId": store,
                    "requestedDeliveryDate": (chrono::Utc::now().date_naive() + chrono::Days::new(2)).to_string(),
                    "lines": [{ "productId": p, "quantity": moq }] } });
                let q = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }";
                match post(&client, port, &token, q, vars).await {
                    Some(body) => {
                        if let Some(id) = body["data"]["placeOrder"]["order"]["id"].as_str() {
                            acknowledged.lock().expect("lock").push(id.to_owned());
                        }
                    }
                    None => return, // the server is gone
                }
            }
        }));
    }
    // Let the load run, then kill the server without warning.
    for _ in 0..100 {
        if acknowledged.lock().expect("lock").len() >= 40 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    server.kill().expect("SIGKILL");
    let _ = server.wait();
    for w in workers {
        let _ = w.await;
    }
    let acked = acknowledged.lock().expect("lock").clone();
    assert!(
        !acked.is_empty(),
        "no order was acknowledged before the kill"
    );

    let port = free_port();
    let mut server = spawn_server(&url, port);
    wait_ready(&client, port).await;
    let operator = app.token("hanoi-ocop-hub", OPERATOR_SCOPES);
    for id in &acked {
        let body = post(
            &client,
            port,
            &operator,
            "query($id: ID!) { order(id: $id) { id status } }",
            json!({ "id": id }),
        )
        .await
        .expect("query after restart");
        assert_eq!(
            body["data"]["order"]["id"].as_str(),
            Some(id.as_str()),
            "acknowledged order {id} lost: {body}"
        );
    }
    let _ = server.kill();
    let _ = server.wait();
    let conn = ocop_gateway::db::connect_url(&url, 1, 5_000)
        .await
        .expect("connect");
    assert_eq!(
        check_invariants(conn.conn()).await.expect("check"),
        vec![],
        "invariants after the crash"
    );
    eprintln!("{} acknowledged orders survived SIGKILL", acked.len());
}
