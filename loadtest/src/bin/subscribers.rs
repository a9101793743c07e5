//! Live-events load: opens `OCOP_SUBSCRIBERS` graphql-transport-ws
//! connections to `OCOP_WS_URL`, each subscribed to `orderEvents` with one
//! of the tokens in `OCOP_TOKENS` (round robin), writes `ready` to
//! `OCOP_READY` once every one is subscribed, and for `OCOP_SECONDS`
//! records the delay from each event's `at` (its transaction's time) to
//! its arrival. Prints a one-line JSON summary (and appends it to
//! `OCOP_SUMMARY` when set).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// 1 ms buckets up to 10 s (the last one holds everything slower).
const BUCKETS: usize = 10_000;

struct Stats {
    delay_ms: Vec<AtomicU64>,
    events: AtomicU64,
    closed: AtomicU64,
}

impl Stats {
    fn percentile(&self, q: f64) -> usize {
        let total: u64 = self
            .delay_ms
            .iter()
            .map(|b| b.load(Ordering::Relaxed))
            .sum();
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (ms, b) in self.delay_ms.iter().enumerate() {
            seen += b.load(Ordering::Relaxed);
            if seen >= rank {
                return ms;
            }
        }
        BUCKETS
    }
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

async fn subscriber(
    url: String,
    token: String,
    stats: Arc<Stats>,
    subscribed: Arc<AtomicU64>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut request = url.into_client_request()?;
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut ws, _) = connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    ws.send(Message::Text(init.to_string().into())).await?;
    let subscribe = json!({ "type": "subscribe", "id": "1", "payload": {
        "query": "subscription { orderEvents { cursor at status order { id status } } }" } });
    let mut counted = false;
    while let Some(message) = ws.next().await {
        let Message::Text(text) = message? else {
            continue;
        };
        let v: Value = serde_json::from_str(&text)?;
        match v["type"].as_str() {
            Some("connection_ack") => {
                ws.send(Message::Text(subscribe.to_string().into())).await?;
                // The server has the subscription once it reads it; a short
                // pause below lets every one start before the load.
                if !counted {
                    counted = true;
                    subscribed.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some("ping") => {
                ws.send(Message::Text(json!({ "type": "pong" }).to_string().into()))
                    .await?;
            }
            Some("next") => {
                let at = v["payload"]["data"]["orderEvents"]["at"]
                    .as_str()
                    .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok());
                if let Some(at) = at {
                    let ms = (chrono::Utc::now() - at.with_timezone(&chrono::Utc))
                        .num_milliseconds()
                        .clamp(0, BUCKETS as i64 - 1) as usize;
                    stats.delay_ms[ms].fetch_add(1, Ordering::Relaxed);
                    stats.events.fetch_add(1, Ordering::Relaxed);
                }
            }
            Some("error") | Some("complete") => {
                eprintln!("subscription ended: {text}");
                break;
            }
            _ => {}
        }
    }
    stats.closed.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let url = env("OCOP_WS_URL", "ws://127.0.0.1:18080/graphql/ws");
    let n: usize = env("OCOP_SUBSCRIBERS", "1000").parse()?;
    let seconds: u64 = env("OCOP_SECONDS", "15").parse()?;
    let tokens: Vec<String> = std::fs::read_to_string(env("OCOP_TOKENS", "tokens.txt"))?
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if tokens.is_empty() {
        return Err("OCOP_TOKENS has no token".into());
    }
    let stats = Arc::new(Stats {
        delay_ms: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        events: AtomicU64::new(0),
        closed: AtomicU64::new(0),
    });
    let subscribed = Arc::new(AtomicU64::new(0));
    for i in 0..n {
        let (url, token) = (url.clone(), tokens[i % tokens.len()].clone());
        let (stats, subscribed) = (stats.clone(), subscribed.clone());
        tokio::spawn(async move {
            if let Err(e) = subscriber(url, token, stats.clone(), subscribed).await {
                eprintln!("subscriber {i}: {e}");
                stats.closed.fetch_add(1, Ordering::Relaxed);
            }
        });
        // Connect in waves rather than 1,000 handshakes at once.
        if i % 100 == 99 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while subscribed.load(Ordering::Relaxed) < n as u64 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    if let Ok(path) = std::env::var("OCOP_READY") {
        std::fs::write(path, "ready")?;
    }
    // Only what arrives during the load counts.
    for b in &stats.delay_ms {
        b.store(0, Ordering::Relaxed);
    }
    stats.events.store(0, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let summary = json!({
        "request": "orderEvents delivery",
        "subscribers": subscribed.load(Ordering::Relaxed),
        "events": stats.events.load(Ordering::Relaxed),
        "p50_ms": stats.percentile(0.5),
        "p99_ms": stats.percentile(0.99),
        "max_ms": stats.percentile(1.0),
        "closed": stats.closed.load(Ordering::Relaxed),
    });
    println!("{summary}");
    if let Ok(path) = std::env::var("OCOP_SUMMARY") {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        writeln!(f, "{summary}")?;
    }
    std::process::exit(0);
}
