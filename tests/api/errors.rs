//! The one path from an error to the wire: INTERNAL answers are logged
//! exactly once with their request id, and a request past its time limit
//! gets the same JSON error shape as every other refusal.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use ocop_gateway::db;
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::*;

/// Captures what the gateway logs. One global subscriber for the whole
/// test binary: tracing caches per-callsite interest globally, so a
/// thread-local subscriber misses spans that other tests' threads (with no
/// subscriber) registered first. Tests find their own lines by request id.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test binary");
        logs
    })
}

#[tokio::test]
async fn an_internal_error_before_execution_is_logged_once_with_its_request_id() {
    let logs = captured_logs();
    let app = TestApp::new().await;

    // Authentication reads the partner (the cache is cold): make that fail.
    app.exec("ALTER TABLE partner RENAME TO partner_gone").await;
    let token = app.token("aeon-vn", "catalog:read");
    let res = app
        .post_raw(
            json!({ "query": "{ locations { code } }" }).to_string(),
            &[
                ("authorization", &format!("Bearer {token}")),
                ("x-request-id", "req-internal-7f3a"),
            ],
        )
        .await;
    assert_eq!(res.status, 500);
    assert_eq!(res.code(), Some("INTERNAL"));
    let text = res.body.to_string();
    assert!(
        !text.contains("partner") && !text.to_lowercase().contains("select"),
        "nothing internal reaches the client: {text}"
    );

    let logged = logs.text();
    let lines: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("req-internal-7f3a") && l.contains("internal error"))
        .collect();
    assert_eq!(
        lines.len(),
        1,
        "logged exactly once, in the request's span: {logged}"
    );
    assert!(
        lines[0].contains("partner"),
        "the log line has the cause: {}",
        lines[0]
    );
}

const RECEIVE: &str = r#"mutation($p: ID!, $l: ID!) {
  receiveStock(input: { productId: $p, locationId: $l, quantity: 5 }) { onHand } }"#;

#[tokio::test]
async fn a_request_past_its_time_limit_gets_a_coded_503_and_changes_nothing() {
    let app = TestApp::with_config(|c| c.request_timeout_ms = 300).await;
    let ids = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            "{ products(first: 1) { nodes { id } } locations { id } }",
            json!({}),
        )
        .await;
    let product = ids.expect_data()["products"]["nodes"][0]["id"].clone();
    let location = ids.expect_data()["locations"][0]["id"].clone();
    let before = app
        .scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
        .await;

    // Another writer (another replica's pool) holds the stock table, so the
    // receipt waits on the database past the request's time limit.
    let other = db::connect_url(&app.url, 1, 60_000).await.expect("connect");
    let (txn, _slot) = db::begin_write(&other).await.expect("begin");
    if backend() == Backend::Postgres {
        txn.execute_unprepared("LOCK TABLE inventory_level IN EXCLUSIVE MODE")
            .await
            .expect("lock");
    }
    let res = app
        .gql_as(
            "hanoi-ocop-hub",
            OPERATOR_SCOPES,
            RECEIVE,
            json!({ "p": product, "l": location }),
        )
        .await;
    txn.rollback().await.expect("release");

    assert_eq!(res.status, 503, "{:?}", res.body);
    assert_eq!(res.code(), Some("INTERNAL"));
    assert_eq!(
        res.body["errors"][0]["extensions"]["retryAfterSeconds"],
        json!(1)
    );
    assert_eq!(
        res.headers.get("retry-after").and_then(|v| v.to_str().ok()),
        Some("1")
    );
    assert!(res.headers.contains_key("x-request-id"));
    assert_eq!(
        app.scalar_i64("SELECT SUM(on_hand) FROM inventory_level")
            .await,
        before,
        "the stopped receipt wrote nothing"
    );
}
